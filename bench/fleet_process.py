"""One bot process of `bench/fleet.py`: the bot's own start-up without Discord, then commands.

It builds the bot as `citebot run --shards ... --shard-count ...` would (`bot.app.create_bot`) and
runs what its `setup_hook` runs before the extensions and the login: `_open_state()` (the shared
knowledge base, the PostgreSQL store, the shard leases, the change listener, every server's own
settings), then `_load_servers()` (every server of its shards with state, and the autocomplete
indexes). No Discord connection is made. The servers without uploads are loaded first, by the same
`Servers.load_known()` with the filter narrowed, so the memory of each kind can be told apart.

It prints one JSON line when loaded (or refused: its shards held), then reads JSON commands on
stdin and answers each with one JSON line (see `COMMANDS`). Run by `bench/fleet.py`, not by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bot import completion  # noqa: E402
from bot.app import create_bot  # noqa: E402
from bot.config import Config  # noqa: E402
from knowledge.errors import CitebotError  # noqa: E402
from knowledge.saved_index import index_slot  # noqa: E402
from knowledge.store import StoreError, StoreUnavailable  # noqa: E402
from knowledge.tenancy import UPLOADS_DIR, Servers, server_dir, shard_filter  # noqa: E402
from knowledge.uploads import KnowledgeSources  # noqa: E402

QUESTIONS = (
    "How does the mother's gut shape the antibodies in her milk?",
    "What is colostrum?",
    "How long does milk keep in the fridge?",
    "Is curated question 2 about milk answered here?",
    "What does word0x mean?",
)


def memory_kib() -> dict[str, int]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in KiB."""
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return {"rss": found["VmRSS"], "peak": found["VmHWM"]}


def settled_kib() -> int:
    """Resident memory after a garbage collection (what the process keeps holding)."""
    gc.collect()
    return memory_kib()["rss"]


def folder_kib(folder: Path) -> int:
    """The size of the files under ``folder``, in KiB."""
    if not folder.is_dir():
        return 0
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) // 1024


class Process:
    """The loaded bot state of this process and the commands the bench sends it."""

    def __init__(self, servers: Servers, uploads: set[int], owns: Callable[[int], bool]) -> None:
        self.servers = servers
        self.uploads = uploads
        self.owns = owns
        self.out_lock = threading.Lock()

    def send(self, **fields: object) -> None:
        with self.out_lock:
            print(json.dumps(fields), flush=True)

    def ask(self, n: int, seed: int) -> dict[str, list[float]]:
        """``n`` questions to random servers of each kind held here: milliseconds per `/ask`."""
        rng = random.Random(seed)
        held = [state.guild_id for state in self.servers.loaded()]
        kinds = {
            "uploads": [g for g in held if g in self.uploads],
            "plain": [g for g in held if g not in self.uploads],
        }
        times: dict[str, list[float]] = {}
        for kind, guilds in kinds.items():
            times[kind] = []
            for i in range(n if guilds else 0):
                assistant = self.servers.get(rng.choice(guilds)).assistant
                started = time.perf_counter()
                assistant.ask(QUESTIONS[i % len(QUESTIONS)])
                times[kind].append((time.perf_counter() - started) * 1000)
        return times

    def edit(self, guild: int, answer_id: int, text: str) -> dict[str, object]:
        """A moderator's curated edit made through this process: acknowledged or refused."""
        curated = self.servers.get(guild).curated
        started = time.time()
        try:
            curated.edit(answer_id, by="bench", answer=text)
        except CitebotError as exc:
            refused = f"{type(exc).__name__}: {exc}"
            return {"ok": False, "error": refused, "t": started, "s": time.time() - started}
        return {"ok": True, "t": started, "s": time.time() - started}

    def served(self, guild: int, answer_id: int) -> str | None:
        entry = self.servers.get(guild).curated.get(answer_id)
        return entry.answer if entry is not None else None

    def wait_served(self, guild: int, answer_id: int, text: str, timeout: float) -> float | None:
        """The time this process first serves ``text`` as the answer (polled every millisecond)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.served(guild, answer_id) == text:
                return time.time()
            time.sleep(0.001)
        return None

    def answer_events(self, events: list[list[int]]) -> dict[str, int]:
        """Simulated gateway deliveries (event id, server): answered and recorded as the bot
        does for an `/ask`; the event id is the channel of the recorded answer."""
        answered = unrecorded = 0
        for event_id, guild in events:
            state = self.servers.get(guild)
            answer = state.assistant.ask(QUESTIONS[event_id % len(QUESTIONS)])  # the reply
            answered += 1
            try:
                state.store.record_answer(
                    QUESTIONS[event_id % len(QUESTIONS)],
                    [],
                    answer.answered,
                    user_id=1,
                    channel_id=event_id,
                )
            except StoreUnavailable:
                unrecorded += 1  # answered without buttons, as the bot does meanwhile
        return {"answered": answered, "unrecorded": unrecorded}

    def serve_commands(self) -> None:
        for line in sys.stdin:
            command = json.loads(line)
            op = command.pop("op")
            if op == "quit":
                break
            if op == "ask":
                self.send(**self.ask(**command))
            elif op == "edit":
                self.send(**self.edit(**command))
            elif op == "served":
                self.send(text=self.served(**command))
            elif op == "wait":
                self.send(watching=True)
                self.send(seen=self.wait_served(**command))
            elif op == "serves":
                missing = [
                    item
                    for item in command["items"]
                    if self.wait_served(*item, timeout=command["timeout"]) is None
                ]
                self.send(missing=missing)
            elif op == "events":
                self.send(**self.answer_events(command["events"]))
            elif op == "memory":
                self.send(**memory_kib())
            else:
                self.send(error=f"unknown command {op}")


def upload_guilds(url: str) -> set[int]:
    with psycopg.connect(url) as db:
        return {row[0] for row in db.execute("SELECT DISTINCT guild_id FROM uploads")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--shards", required=True, help="comma-separated shard ids")
    parser.add_argument("--shard-count", type=int, required=True)
    parser.add_argument("--spawned", type=float, required=True, help="time.time() at spawn")
    args = parser.parse_args()
    shards = tuple(int(s) for s in args.shards.split(","))
    imported, imports_kib = time.time(), settled_kib()
    config = Config(state_dir=args.state, database_url=args.url, shards=shards, shard_count=args.shard_count)
    bot = create_bot(config, kb=KnowledgeSources.resolve(None, args.state).loader.load_base())
    completion.prepare([bot._initial_kb])  # the shared base's autocomplete index, built once
    base_kib = settled_kib()
    base_loaded = time.time()
    try:
        store, servers = bot._open_state()
        bot._store, bot._servers = store, servers  # as setup_hook keeps them, for close_state()
    except StoreError as exc:
        print(json.dumps({"refused": str(exc), "s": time.time() - args.spawned}), flush=True)
        sys.exit(3)
    opened = time.time()
    mine = shard_filter(shards, args.shard_count)
    assert mine is not None
    uploads = upload_guilds(args.url)
    # The servers without uploads first, then the bot's own background load of the rest.
    servers.owns = lambda guild_id: mine(guild_id) and guild_id not in uploads
    plain = servers.load_known()
    plain_kib = settled_kib()
    servers.owns = mine
    states = asyncio.run(bot._load_servers(servers))
    loaded = time.time()
    loaded_kib = settled_kib()
    with_uploads = [s.guild_id for s in states if s.guild_id in uploads]
    index_kib = [
        folder_kib(index_slot(server_dir(args.state, g) / UPLOADS_DIR, args.state)) for g in with_uploads
    ]
    process = Process(servers, uploads, mine)
    process.send(
        pid=os.getpid(),
        servers=len(states),
        plain=len(plain),
        uploads=len(with_uploads),
        seconds={
            "imports": imported - args.spawned,
            "base": base_loaded - imported,
            "open": opened - base_loaded,
            "load": loaded - opened,
            "total": loaded - args.spawned,
        },
        kib={
            "imports": imports_kib,
            "base": base_kib,
            "plain": plain_kib,
            "loaded": loaded_kib,
            **memory_kib(),
        },
        index_kib=index_kib,
        guilds=[s.guild_id for s in states],
    )
    try:
        process.serve_commands()
    finally:
        bot.close_state()


if __name__ == "__main__":
    main()
