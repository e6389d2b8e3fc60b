"""Load: 100 ``/ask`` interactions in flight at once, with a ``/kb reload`` rebuilding the index in
the middle of them.

simcord lets one test task run one operation at a time (``asyncio.gather`` of ``member.slash``
calls is refused as overlapping), so the interactions are all dispatched first and the bot then
works through them together: the same 100 concurrent interactions Discord would deliver. Every one
must be acknowledged within Discord's 3 seconds (measured in real time at the simulated Discord's
HTTP endpoint) and answered without error, and no retrieval, index build or SQLite call may run
on the event loop's thread.
"""

from __future__ import annotations

import functools
import inspect
import json
import random
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from reliability_helpers import last_message, server

from bot import create_bot
from bot.config import Config, CooldownConfig
from knowledge import Assistant, KnowledgeBase
from knowledge.kb import CORPUS_DIR
from knowledge.store import Store
from knowledge.uploads import KnowledgeSources

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


class TimedLog(list):
    """The simulated Discord's request log, with the real time each request arrived (perf_counter:
    simcord virtualises time.monotonic inside the bot)."""

    def __init__(self, items) -> None:
        super().__init__(items)
        self.times = [0.0] * len(self)

    def append(self, item) -> None:
        super().append(item)
        self.times.append(time.perf_counter())


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


@pytest.mark.simcord(settle_timeout=60)
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
        [(Assistant, "ask"), (KnowledgeBase, "search"), (KnowledgeSources, "load")]
        + [(Store, name) for name in public_methods(Store) if name not in {"close", "in_folder"}],
    )
    env.backend.http_requests = log = TimedLog(env.backend.http_requests)
    settle = env._settle_internal

    async def dispatch_only(**_kwargs) -> None:
        return None  # leave the bot's work running while more interactions arrive

    asks, dispatched = [], {}
    try:
        env._settle_internal = dispatch_only
        for n in range(ASKS):
            if n == ASKS // 2:
                reload = await s.manager.slash(s.channel, "kb reload")
                dispatched[reload._interaction.id] = time.perf_counter()
            member = members[n % len(members)]
            result = await member.slash(s.channel, "ask", question=QUESTIONS[n % len(QUESTIONS)])
            dispatched[result._interaction.id] = time.perf_counter()
            asks.append(result)
        started = time.perf_counter()
        del env._settle_internal
        await settle(timeout=60)
        elapsed = time.perf_counter() - started
    finally:
        env.__dict__.pop("_settle_internal", None)

    assert env.errors == []
    # Acknowledged within 3 seconds of arriving, every one of them.
    acked: dict[int, float] = {}
    for entry, at in zip(log, log.times, strict=True):
        found = re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", entry.path)
        if found and entry.method == "POST":
            acked.setdefault(int(found.group(1)), at)
    assert set(dispatched) <= set(acked), "some interactions were never acknowledged"
    waits = sorted(acked[i] - dispatched[i] for i in dispatched)
    assert waits[-1] < 3.0, f"slowest acknowledgement {waits[-1]:.2f}s"

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
    print(
        f"\n{ASKS} asks + 1 reload in {elapsed:.2f}s; acknowledged: median {waits[len(waits) // 2]:.3f}s, "
        f"max {waits[-1]:.3f}s"
    )

    # After the reload the new document answers.
    after = await s.member.slash(s.channel, "ask", question="What binds iron in milk?")
    assert "Lactoferrin" in after.response.embeds[0].description
