"""Memory over many answers: does the bot's memory level off, or grow with every question?

Runs the real bot against simcord (an in-process Discord) and asks `/ask` questions across many
servers (default 100,000 questions in 100 servers; members' everyday wordings of
tests/knowledge/everyday_questions.yaml, answerable and off-topic, so both answers and declines).
Every 100th reply gets a 👍 (an answer) or Ask the moderators (a decline), every 1,000th its
Sources opened; after each checkpoint the oldest answer's 👍 is clicked (its buttons must still
work) and time moves on 15 minutes, as it would between real clicks, so private pages time out.

At every checkpoint (default every 10,000 questions) it reports:

- discord.py's view store: views kept per message, their items, open modals, dynamic item types;
- the bytes the bot holds: every object reachable from the bot (discord.py's caches, citebot's
  state) and from the globals of `bot`, `knowledge` and `discord` modules, stopping at simcord's
  objects (the simulated Discord keeps every message and request it ever saw, by design);
- the process's RSS (which includes simcord's records, so it grows whatever the bot does).

The slope is a least-squares line through the checkpoints after the first (the warm-up fills
discord.py's 1,000-message cache and the stem cache). Run:
python bench/answer_memory.py [--questions 100000] [--servers 100] [--every 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import report
import simcord
import yaml

from bot import create_bot
from bot.config import Config, CooldownConfig
from knowledge import KnowledgeBase

QUESTIONS_FILE = Path(__file__).resolve().parents[1] / "tests" / "knowledge" / "everyday_questions.yaml"
MEMBERS_PER_SERVER = 3
_ROOT_PACKAGES = ("bot", "knowledge", "discord")


def rss_mib() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def questions() -> list[str]:
    data = yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return [item["question"] for group in ("answerable", "off_topic") for item in data.get(group, [])]


def held_bytes(bot: object) -> int:
    """sys.getsizeof summed over every object reachable from ``bot`` and from the globals (and
    classes) of the bot's, the library's and discord.py's modules; simcord's objects, modules,
    classes and a function's globals are not followed."""
    roots: list[object] = [bot]
    for name, module in list(sys.modules.items()):
        if module is not None and name.split(".")[0] in _ROOT_PACKAGES:
            roots.append(vars(module))
            roots += [vars(v) for v in vars(module).values() if isinstance(v, type) and v.__module__ == name]
    seen: set[int] = set()
    total = 0
    stack = roots
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        kind = type(obj)
        if isinstance(obj, (types.ModuleType, type, types.FrameType)):
            continue
        if (kind.__module__ or "").startswith("simcord"):
            continue
        total += sys.getsizeof(obj)
        if isinstance(obj, types.FunctionType):
            stack += [c.cell_contents for c in obj.__closure__ or () if _filled(c)]
            stack += list(obj.__defaults__ or ()) + list((obj.__kwdefaults__ or {}).values())
            continue
        stack += gc.get_referents(obj)
    return total


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 -- an empty cell raises
    except ValueError:
        return False
    return True


def labels(message: object) -> list[str]:
    """The labels of a reply's buttons."""
    return [c["label"] for row in message.components for c in row["components"]]  # type: ignore[attr-defined]


def view_store(bot: object) -> dict[str, int]:
    store = bot._connection._view_store  # type: ignore[attr-defined]
    return {
        "views": len(store._views),
        "items": sum(len(items) for items in store._views.values()),
        "synced": len(store._synced_message_views),
        "modals": len(store._modals),
        "dynamic": len(store._dynamic_items),
    }


async def run(
    total: int, servers: int, every: int, checkpoint: Callable[[list[dict[str, float]]], None]
) -> list[dict[str, float]]:
    folder = Path(tempfile.mkdtemp(prefix="citebot-answer-memory-"))
    kb = KnowledgeBase.default(state_dir=folder / "kb")
    # Members are never rate limited here: the bench is about memory, not the cooldown.
    config = Config(state_dir=folder / "state", cooldown=CooldownConfig(rate=10**9, per=1.0))
    bot = create_bot(config, kb=kb)
    asked = questions()
    rows: list[dict[str, float]] = []
    async with simcord.run(bot) as env:
        places = []
        for n in range(servers):
            guild = env.create_guild(f"server {n}")
            channel = guild.create_text_channel("help")
            members = [guild.add_member(env.create_user(f"m{n}-{k}")) for k in range(MEMBERS_PER_SERVER)]
            places.append((channel, members))
        oldest = None
        started = time.perf_counter()
        for i in range(1, total + 1):
            channel, members = places[i % servers]
            member = members[(i // servers) % MEMBERS_PER_SERVER]
            result = await member.slash(channel, "ask", question=asked[i % len(asked)])
            shown = labels(result.response)
            if oldest is None and "👍" in shown:
                oldest = (member, result.response)
            if i % 100 == 0:
                # An answer gets a vote; a decline is passed to the moderators by its asker.
                await member.click(result.response, label="👍" if "👍" in shown else "Ask the moderators")
            if i % 1000 == 0 and "Sources" in shown:
                await member.click(result.response, label="Sources")
            if i % every == 0 and oldest is not None:
                clicked = await oldest[0].click(oldest[1], label="👍")
                if "Thanks" not in (clicked.response.content or ""):
                    raise SystemExit(f"the oldest answer's 👍 no longer works: {clicked.response.content!r}")
                await env.advance_time(901)
                gc.collect()
                row = {
                    "questions": i,
                    "held_mib": held_bytes(bot) / 2**20,
                    "rss_mib": rss_mib(),
                    "seconds": time.perf_counter() - started,
                    **view_store(bot),
                }
                rows.append(row)
                print(
                    f"{i:>8,} held {row['held_mib']:8.2f} MiB  rss {row['rss_mib']:7.1f} MiB  "
                    f"views {row['views']} items {row['items']} modals {row['modals']}  "
                    f"{row['seconds']:.0f}s",
                    flush=True,
                )
                checkpoint(rows)
    return rows


def slope_per(rows: list[dict[str, float]], key: str, per: int) -> float:
    """Growth of ``key`` per ``per`` questions, least squares over the checkpoints after the first."""
    after = rows[1:] if len(rows) > 2 else rows
    if len(after) < 2:
        return float("nan")
    x = np.array([r["questions"] for r in after], dtype=float)
    y = np.array([r[key] for r in after], dtype=float)
    return float(np.polyfit(x, y, 1)[0] * per)


def summary(rows: list[dict[str, float]], command: str, total: int) -> str:
    """The results so far as Markdown: the checkpoints' table and the slopes after the warm-up."""
    columns = ["questions", "held MiB", "RSS MiB", "views kept", "view items", "modals", "dynamic types"]
    table = report.table(
        columns,
        [
            [
                int(r["questions"]),
                r["held_mib"],
                r["rss_mib"],
                int(r["views"]),
                int(r["items"]),
                int(r["modals"]),
                int(r["dynamic"]),
            ]
            for r in rows
        ],
    )
    held = slope_per(rows, "held_mib", 10_000) * 1024
    rss = slope_per(rows, "rss_mib", 10_000) * 1024
    done = int(rows[-1]["questions"]) if rows else 0
    return "\n".join(
        [
            report.header("Memory over many answers", command),
            table,
            "",
            f"Held by the bot after the warm-up: {held:+,.1f} KiB per 10,000 questions "
            f"({held * 1024 / 10_000:+,.1f} bytes per question).",
            f"RSS (includes simcord's record of every message and request): {rss:+,.0f} KiB per "
            "10,000 questions.",
            f"{done:,} of {total:,} questions in {rows[-1]['seconds']:.0f} s." if rows else "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--every", type=int, default=10_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    command = (
        f"python bench/answer_memory.py --questions {args.questions} --servers {args.servers} "
        f"--every {args.every}"
    )

    def checkpoint(rows: list[dict[str, float]]) -> None:
        # Written at every checkpoint: a run stopped early still leaves what it measured.
        report.write("answer_memory.md", summary(rows, command, args.questions))

    rows = asyncio.run(run(args.questions, args.servers, args.every, checkpoint))
    print(summary(rows, command, args.questions))
    print(report.RESULTS / "answer_memory.md")


if __name__ == "__main__":
    main()
