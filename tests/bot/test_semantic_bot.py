"""The bot with the meaning channel on (skipped without the test model): it is built at start and
after /kb add, members' everyday questions get answers BM25 alone declines, and /kb stats says so."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from semantic_model import semantic_test_model
from test_kb_admin import NEW_DOC, last_message, server

from bot import create_bot
from bot.config import RetrievalConfig

MODEL = semantic_test_model()


def saved_vectors(state_dir: Path) -> list[int]:
    """How many passage vectors each saved vectors file holds, fewest first."""
    counts = []
    for path in (state_dir / "index").glob("*-vectors-*.npz"):
        with np.load(path, allow_pickle=False) as data:
            counts.append(len(data["keys"]))
    return sorted(counts)


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
    assert saved_vectors(state_dir) == [5]

    added = await mod.slash(channel, "kb add", file=("Milk storage.md", NEW_DOC))
    assert "The index now has 2 documents" in last_message(added).content
    assert simcord_env.bot.server(guild.id).kb.semantic is not None  # the server's own knowledge
    # The article's vectors were kept, shared; the two uploaded passages' are the server's own.
    assert saved_vectors(state_dir) == [2, 5]

    fridge = await mod.slash(channel, "ask", question="how many days is pumped milk ok in the fridge")
    assert "keeps for up to four" in fridge.response.embeds[0].description

    stats = await mod.slash(channel, "kb stats")
    fields = {f.name: f.value for f in stats.response.embeds[0].fields}
    assert fields["Answering with"] == "lexical + meaning"
