"""Load: 100 ``/ask`` interactions in flight at once, with a ``/kb reload`` rebuilding the index in
the middle of them.

simcord lets one test task run one operation at a time (``asyncio.gather`` of ``member.slash``
calls is refused as overlapping), so the interactions are all dispatched first and the bot then
works through them together: the same 100 concurrent interactions Discord would deliver. Every one
must be acknowledged before any work on it starts (so the acknowledgement waits on no answer),
and answered without error, and no retrieval, index build or SQLite call may run on the event
loop's thread. Orders and threads are checked, never timings: how soon acknowledgements arrive
under load is measured by bench/ack_latency.py.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import random
import re
import shutil
import sys
import threading
from pathlib import Path

import discord
import pytest
from reliability_helpers import last_message, server

from bot import create_bot
from bot.answering import ReplyService
from bot.config import Config, CooldownConfig
from knowledge import Assistant
from knowledge.kb import CORPUS_DIR
from knowledge.store import Store
from knowledge.uploads import KnowledgeLoader

ASKS = 100
QUESTIONS = [
    "What is the enteromammary immune system?",
    "How does secretory IgA reach breast milk?",
    "What does colostrum contain?",
    "How does the mother's gut shape her milk?",
    "What is the capital of France?",
    "Which cells travel from the gut to the breast?",
]
WORDS = [
    "milk",
    "antibody",
    "lymphocyte",
    "mucosa",
    "gut",
    "breast",
    "infant",
    "mother",
    "immune",
    "cell",
    "protein",
    "secretion",
    "lactation",
    "colostrum",
    "epithelium",
    "receptor",
    "transport",
    "pathogen",
    "microbiome",
    "tolerance",
    "feeding",
]


def synthetic_corpus(folder: Path, documents: int, seed: int = 7) -> None:
    """The built-in article plus generated documents, so a rebuild does real indexing work."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in CORPUS_DIR.glob("*.md"):
        shutil.copy(path, folder / path.name)
    rng = random.Random(seed)
    lines = []
    for n in range(documents):
        sentences = [" ".join(rng.choices(WORDS, k=12)).capitalize() + "." for _ in range(30)]
        lines.append(json.dumps({"_id": f"gen-{n}", "title": f"Generated {n}", "text": " ".join(sentences)}))
    (folder / "generated.jsonl").write_text("\n".join(lines) + "\n")


def record_work_before_acknowledgement(monkeypatch, targets: list[tuple[type, str]]) -> list[str]:
    """Wrap each ``(class, method)`` so a call made for an interaction before it was acknowledged
    is recorded. discord.py runs each interaction in its own task, and a worker thread started
    from it sees the task's context, so a context variable says which interaction a call is for."""
    acknowledged: contextvars.ContextVar[bool] = contextvars.ContextVar("acknowledged", default=False)
    early: list[str] = []
    defer = discord.InteractionResponse.defer

    async def defer_and_note(self, *args, **kwargs):
        await defer(self, *args, **kwargs)
        acknowledged.set(True)

    monkeypatch.setattr(discord.InteractionResponse, "defer", defer_and_note)
    for cls, name in targets:
        static = isinstance(inspect.getattr_static(cls, name), staticmethod)
        original = getattr(cls, name)

        @functools.wraps(original)
        def wrapper(*args, _original=original, _name=f"{cls.__name__}.{name}", **kwargs):
            if not acknowledged.get():
                early.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(cls, name, staticmethod(wrapper) if static else wrapper)
    return early


def public_methods(cls: type) -> list[str]:
    """The public methods ``cls`` defines (not inherited from object)."""
    return [name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")]


def record_calls_on_loop(monkeypatch, targets: list[tuple[type, str]]) -> list[str]:
    """Wrap each ``(class, method)`` so a call made on the event loop's thread is recorded."""
    on_loop: list[str] = []
    loop_thread = threading.current_thread()
    for cls, name in targets:
        original = getattr(cls, name)

        @functools.wraps(original)
        def wrapper(*args, _original=original, _name=f"{cls.__name__}.{name}", **kwargs):
            if threading.current_thread() is loop_thread:
                on_loop.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)
    return on_loop


@pytest.fixture
def load_config(tmp_path, state_dir) -> Config:
    folder = tmp_path / "knowledge"
    synthetic_corpus(folder, documents=600)
    return Config(state_dir=state_dir, knowledge_dir=folder, cooldown=CooldownConfig(rate=ASKS, per=60.0))


@pytest.fixture
def simcord_bot(load_config):
    return create_bot(load_config)


async def test_100_concurrent_asks_and_a_reload_under_load(simcord_env, load_config, monkeypatch):
    env = simcord_env
    s = server(env)
    members = [s.member, s.moderator, s.admin] + [
        s.guild.add_member(env.create_user(f"asker{i}")) for i in range(7)
    ]
    # The reload must rebuild: the knowledge folder changes just before it.
    (load_config.knowledge_dir / "new.md").write_text("# New\n\nLactoferrin binds iron in milk.\n")

    for question in QUESTIONS:  # a bot that has answered before
        warm = await s.admin.slash(s.channel, "ask", question=question)
        assert warm.response.embeds

    # Retrieval, index builds and every SQLite call must run in worker threads: on the event loop
    # they would stall every other member's interaction. Recorded by thread, not by timing, so the
    # check does not depend on how busy the machine is.
    on_loop = record_calls_on_loop(
        monkeypatch,
        # /search's retrieval, in the extension module the running bot loaded (discord.py loads a
        # fresh module object per bot, so this one is looked up, not imported).
        [(Assistant, "ask"), (sys.modules["bot.exts.lookup"], "search"), (KnowledgeLoader, "load")]
        + [(Store, name) for name in public_methods(Store) if name not in {"close", "in_folder"}],
    )
    # No interaction's own work (cleaning, the red-flag check, its server, the answer) may start
    # before it is acknowledged: then acknowledgements never queue behind answers.
    early = record_work_before_acknowledgement(
        monkeypatch, [(ReplyService, name) for name in ("question", "read", "ask", "reply")]
    )
    log = env.backend.http_requests
    settle = env._settle_internal

    async def dispatch_only(**_kwargs) -> None:
        return None  # leave the bot's work running while more interactions arrive

    asks: list = []
    dispatched: set[int] = set()
    try:
        env._settle_internal = dispatch_only
        for n in range(ASKS):
            if n == ASKS // 2:
                reload = await s.manager.slash(s.channel, "kb reload")
                dispatched.add(reload._interaction.id)
            member = members[n % len(members)]
            result = await member.slash(s.channel, "ask", question=QUESTIONS[n % len(QUESTIONS)])
            dispatched.add(result._interaction.id)
            asks.append(result)
        del env._settle_internal
        await settle()
    finally:
        env.__dict__.pop("_settle_internal", None)

    assert env.errors == []
    acked = {
        int(found.group(1))
        for entry in log
        if entry.method == "POST"
        and (found := re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", entry.path))
    }
    assert dispatched <= acked, "some interactions were never acknowledged"
    assert early == [], f"work started before its interaction was acknowledged: {sorted(set(early))}"

    answered = 0
    for result in asks:
        assert result.acknowledged
        [embed] = result.response.embeds
        # Recorded: its buttons are there, and no "could not be recorded" footer.
        assert embed.footer.text is None and result.response.components
        answered += not embed.title.startswith("No answer")
    assert answered >= ASKS * 4 // 6  # the answerable questions were answered throughout
    reply = last_message(reload).content
    assert reply.startswith("Reloaded the knowledge folder.") and "602 documents" in reply

    assert on_loop == [], f"ran on the event loop: {sorted(set(on_loop))}"

    # After the reload the new document answers.
    after = await s.member.slash(s.channel, "ask", question="What binds iron in milk?")
    assert "Lactoferrin" in after.response.embeds[0].description
