"""A fleet of bot processes over one PostgreSQL: memory, start-up, `/ask`, changes, an outage.

Starts a throwaway PostgreSQL server (as the tests do, with its durable defaults), fills it with N
servers (default 10,000; 10 % with a few small uploaded Markdown documents; every one with a few
curated answers and a glossary term; ids spread over the shards as Discord's are,
`(guild_id >> 22) % shard_count`), then measures:

1. one process holding every shard (the reference), then P processes (default 4) each holding
   its own shards, as real subprocesses (`bench/fleet_process.py`: the bot's own start-up,
   `_open_state()` and `_load_servers()`, without a Discord login): time until every server of its
   shards is loaded, resident memory settled and at its peak, memory per server of each kind;
2. `/ask` (`Assistant.ask`) p50/p99 in random servers with and without uploads of each process;
3. a curated edit's time from a shard process to a reader that is not sharded (a console or the
   command line) and back, through LISTEN/NOTIFY;
4. a scripted outage: curated edits through the shard processes before, during (the server
   stopped with `pg_ctl stop -m fast`, then started again) and after it; an edit acknowledged as
   saved that is missing from the database or not served by its process is a loss;
5. a misconfigured process started for a shard already held (and one with another shard_count):
   it must refuse to start; simulated gateway events delivered to every running process of their
   shard, answered and recorded: answers recorded twice must be 0.

Each process keeps its own state folder (as each host does), fresh for the first start; the
indexes other processes stored in the database are emptied before it, so every first start builds
them. Both are started again at the end with their state folders kept (a restart on the same host).
Run: python bench/fleet.py [--servers 10000] [--processes 4] [--asks 200] [--edits 50]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # where the tests find PostgreSQL

import report  # noqa: E402
from fleet_report import CURATED_PER_SERVER, DOCS_PER_UPLOAD, render  # noqa: E402
from postgres import SUPERUSER, find_initdb  # noqa: E402

from knowledge.curated import CuratedStore  # noqa: E402
from knowledge.database import open_store  # noqa: E402
from knowledge.database.leases import SHARD_NAMESPACE  # noqa: E402
from knowledge.glossary import Glossary  # noqa: E402
from knowledge.tenancy import Servers  # noqa: E402
from knowledge.uploads import KnowledgeSources  # noqa: E402

PROCESS = Path(__file__).resolve().parent / "fleet_process.py"
EVENT_BASE = 10**9  # channel ids of the simulated gateway events' recorded answers


# -- the throwaway PostgreSQL server ------------------------------------------------------------------


class Cluster:
    """A PostgreSQL server in a temporary folder (a Unix socket only), which can be stopped and
    started again (the outage)."""

    def __init__(self, folder: Path) -> None:
        initdb = find_initdb()
        if initdb is None:
            sys.exit("no PostgreSQL: install it (Debian: apt-get install postgresql)")
        self.bin = initdb.parent
        self.folder = folder
        self.data = folder / "data"
        self.as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(folder, "nobody")
        self._run(
            str(initdb), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "--no-sync", "-E", "UTF8"
        )
        self.url = f"postgresql:///citebot?host={folder}&user={SUPERUSER}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, cwd=self.folder)

    def start(self) -> None:
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.folder}' -c max_connections=300"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


@contextmanager
def cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="citebot-fleet-pg-"))
    try:
        server = Cluster(folder)
        server.start()
        try:
            server._run(str(server.bin / "createdb"), "-h", str(folder), "-U", SUPERUSER, "citebot")
            yield server
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- the servers' state ---------------------------------------------------------------------------


def guild_ids(count: int, rng: random.Random) -> list[int]:
    """Snowflake-like server ids: a creation time in milliseconds above 22 other bits."""
    times = rng.sample(range(10**10, 3 * 10**11), count)
    return [(ms << 22) | rng.randrange(1 << 22) for ms in times]


def shard_of(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


def templates(folder: Path) -> tuple[str, str]:
    """One server's curated.yaml (SERVER in place of its id) and glossary.yaml."""
    curated = CuratedStore(folder / "curated.yaml")
    for n in range(1, CURATED_PER_SERVER + 1):
        curated.add(
            f"Is curated question {n} about milk answered in server SERVER?",
            f"Server SERVER's answer {n}.",
            author="bench",
        )
    glossary = Glossary(folder / "glossary.yaml")
    glossary.add("word0x", "colostrum", author="bench")
    return curated.export_yaml(), (folder / "glossary.yaml").read_text(encoding="utf-8")


def upload_texts(guild: int) -> dict[str, bytes]:
    return {
        f"notes-{n}.md": (
            f"# Notes {n} of server {guild}\n\n## Fridge\n\nIn server {guild}, milk keeps {n + 2} days in "
            f"the fridge at 4 degrees. Label bottle {n} with the date.\n\n## Freezer\n\nFrozen milk of "
            f"note {n} keeps six months; thaw it in the fridge overnight.\n"
        ).encode()
        for n in range(DOCS_PER_UPLOAD)
    }


def fill(url: str, folder: Path, guilds: list[int], uploads: set[int]) -> None:
    """Create the schema (the store migrates it) and copy every server's rows in bulk."""
    open_store(folder / "migrate", url).close()
    curated, glossary = templates(folder / "template")
    now = time.time()
    with psycopg.connect(url) as db, db.cursor() as cursor:
        with cursor.copy(
            "COPY state_documents (guild_id, name, text, revision, updated_at) FROM STDIN"
        ) as copy:
            for guild in guilds:
                copy.write_row((guild, "curated.yaml", curated.replace("SERVER", str(guild)), 1, now))
                copy.write_row((guild, "glossary.yaml", glossary, 1, now))
        with cursor.copy("COPY uploads (guild_id, filename, data, sha256, added_at) FROM STDIN") as copy:
            for guild in sorted(uploads):
                for name, data in upload_texts(guild).items():
                    copy.write_row((guild, name, data, hashlib.sha256(data).hexdigest(), now))


def sql(url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as db:
        cursor = db.execute(query, params)
        return cursor.fetchall() if cursor.description else []


# -- the bot processes ------------------------------------------------------------------------------


class Worker:
    """A bot process of `bench/fleet_process.py` and its command pipe."""

    def __init__(
        self, url: str, state: Path, shards: list[int], shard_count: int, log: Path, *, fresh: bool = True
    ) -> None:
        self.shards, self.shard_count, self.log = shards, shard_count, log
        if fresh:  # a new host; else a restart on the same host, its saved indexes and uploads kept
            shutil.rmtree(state, ignore_errors=True)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(PROCESS),
                "--url",
                url,
                "--state",
                str(state),
                "--shards",
                ",".join(map(str, shards)),
                "--shard-count",
                str(shard_count),
                "--spawned",
                str(time.time()),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            cwd=ROOT,
        )
        self.started: dict = {}
        self.asks: dict = {}

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"process for shards {self.shards} ended ({self.proc.poll()}):\n{tail}")
        return json.loads(line)

    def wait_started(self) -> dict:
        self.started = self.read()
        return self.started

    def send(self, op: str, **fields: object) -> None:
        self.proc.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.proc.stdin.flush()

    def call(self, op: str, **fields: object) -> dict:
        self.send(op, **fields)
        return self.read()

    def quit(self) -> None:
        if self.proc.poll() is None:
            self.send("quit")
            self.proc.wait(timeout=60)


# -- the measures -------------------------------------------------------------------------------------


def propagation(
    workers: list[Worker], reader: Servers, owner_of: dict[int, Worker], guilds: list[int]
) -> dict:
    """Seconds from a curated edit saved in one process to its being served by the other, both
    ways between the shard process serving the server and a reader that is not sharded."""
    to_reader, to_owner = [], []
    for n, guild in enumerate(guilds):
        owner = owner_of[guild]
        curated = reader.get(guild).curated
        text = f"Edited through the shard process, edit {n}."
        done = owner.call("edit", guild=guild, answer_id=1, text=text)
        assert done["ok"], done
        while curated.get(1).answer != text and time.time() < done["t"] + 30:
            time.sleep(0.001)
        to_reader.append(time.time() - done["t"])
        text = f"Edited through the command line, edit {n}."
        owner.send("wait", guild=guild, answer_id=1, text=text, timeout=30)
        assert owner.read() == {"watching": True}
        saved = time.time()
        curated.edit(1, by="bench", answer=text)
        seen = owner.read()["seen"]
        to_owner.append((seen or float("inf")) - saved)
    return {"shard process to reader": to_reader, "reader to shard process": to_owner}


def edit_round(workers: list[Worker], owner_of: dict[int, Worker], guilds: list[int], tag: str) -> list[dict]:
    """One curated edit per server through its shard process, the processes working at once."""
    texts = {guild: f"Outage bench: {tag} edit {n}." for n, guild in enumerate(guilds)}
    by_worker: dict[int, list[int]] = {}
    for guild in guilds:
        by_worker.setdefault(workers.index(owner_of[guild]), []).append(guild)
    results = []
    for index, mine in by_worker.items():
        for guild in mine:
            workers[index].send("edit", guild=guild, answer_id=2, text=texts[guild])
    for index, mine in by_worker.items():
        for guild in mine:
            results.append({"guild": guild, "text": texts[guild], **workers[index].read()})
    return results


def held_shards(url: str) -> int:
    rows = sql(
        url,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
        " AND classid = %s AND mode = 'ExclusiveLock'",
        (SHARD_NAMESPACE,),
    )
    return int(rows[0][0])


def outage(
    server: Cluster,
    workers: list[Worker],
    owner_of: dict[int, Worker],
    guilds: list[int],
    shard_count: int,
    down_s: float,
) -> dict:
    """Edits before, during and after a database restart; what was acknowledged and lost."""
    thirds = [guilds[i::3] for i in range(3)]
    before = edit_round(workers, owner_of, thirds[0], "before")
    server.stop("fast")
    stopped = time.time()
    during = edit_round(workers, owner_of, thirds[1], "during")
    answered = {"answered": 0, "unrecorded": 0}
    for worker in workers:  # members are still answered, without their answers recorded
        guild = worker.started["guilds"][0]
        got = worker.call("events", events=[[EVENT_BASE * 2 + n, guild] for n in range(10)])
        answered = {k: answered[k] + got[k] for k in answered}
    time.sleep(max(0.0, down_s - (time.time() - stopped)))
    server.start()
    restarted = time.time()
    after, pending, retried = [], list(thirds[2]), set()
    first_ok = None
    while pending:  # a moderator refused right after the restart tries again a second later
        round_ = edit_round(workers, owner_of, pending, "after")
        accepted = [r for r in round_ if r["ok"]]
        if accepted and first_ok is None:
            first_ok = min(r["t"] + r["s"] for r in accepted) - restarted
        after += accepted
        pending = [r["guild"] for r in round_ if not r["ok"]]
        retried |= set(pending)
        if pending and time.time() - restarted > 120:
            after += [r for r in round_ if not r["ok"]]
            break
        if pending:
            time.sleep(1)
    reclaimed = None
    while time.time() - restarted < 120:
        if held_shards(server.url) == shard_count:
            reclaimed = time.time() - restarted
            break
        time.sleep(0.2)
    stored = dict(
        sql(
            server.url,
            "SELECT guild_id, text FROM state_documents WHERE name = 'curated.yaml' AND guild_id = ANY(%s)",
            (guilds,),
        )
    )
    rows = []
    for phase, results in (("before", before), ("during (database stopped)", during), ("after", after)):
        acked = [r for r in results if r["ok"]]
        refused = [r for r in results if not r["ok"]]
        missing_db = [r for r in acked if r["text"] not in stored[r["guild"]]]
        not_served = []
        for worker in workers:
            items = [[r["guild"], 2, r["text"]] for r in acked if owner_of[r["guild"]] is worker]
            if items:
                not_served += worker.call("serves", items=items, timeout=30)["missing"]
        stored_anyway = [r for r in refused if r["text"] in stored[r["guild"]]]
        served_anyway = []
        for r in refused:
            if owner_of[r["guild"]].call("served", guild=r["guild"], answer_id=2)["text"] == r["text"]:
                served_anyway.append(r)
        lost = {r["guild"] for r in missing_db} | {item[0] for item in not_served}
        rows.append(
            {
                "phase": phase,
                "edits": len(results),
                "acknowledged": len(acked),
                "refused": len(refused),
                "lost": len(lost),
                "refused yet stored or served": len(stored_anyway) + len(served_anyway),
                "seconds to answer the moderator, p50 / max": (
                    f"{statistics.median(r['s'] for r in results):.2f} / {max(r['s'] for r in results):.2f}"
                ),
                "refusal": refused[0]["error"][:160] if refused else "",
            }
        )
    return {
        "rows": rows,
        "first_ok_s": first_ok,
        "reclaimed_s": reclaimed,
        "answered": answered,
        "retried": len(retried),
    }


def misconfigured(
    url: str,
    folder: Path,
    workers: list[Worker],
    owner_of: dict[int, Worker],
    guilds: list[int],
    shard_count: int,
    events: int,
) -> dict:
    """Start processes for held shards; deliver gateway events to every running process of each
    event's shard; count answers recorded twice."""
    attempts = []
    for name, shards, count in (
        ("shard 0 again", [0], shard_count),
        (f"shard_count {shard_count * 2}", [shard_count], shard_count * 2),
    ):
        worker = Worker(
            url, folder / f"misconfigured-{len(attempts)}", shards, count, folder / f"mis-{name}.log"
        )
        try:
            got = worker.wait_started()
        except RuntimeError as exc:
            got = {"refused": str(exc)}
        code = worker.proc.wait(timeout=60) if "refused" in got else None
        attempts.append({"name": name, "worker": worker, "outcome": got, "code": code})
    running = [w for w in workers] + [a["worker"] for a in attempts if a["worker"].proc.poll() is None]
    rng = random.Random(7)
    chosen = [rng.choice(guilds) for _ in range(events)]
    deliveries: dict[int, list[list[int]]] = {}
    for n, guild in enumerate(chosen):
        for index, worker in enumerate(running):
            if worker.shard_count == shard_count and shard_of(guild, shard_count) in worker.shards:
                deliveries.setdefault(index, []).append([EVENT_BASE + n, guild])
    for index, batch in deliveries.items():
        running[index].call("events", events=batch)
    recorded = sql(
        url,
        "SELECT count(*), count(DISTINCT channel_id) FROM answers WHERE channel_id >= %s AND channel_id < %s",
        (EVENT_BASE, EVENT_BASE + events),
    )
    total, distinct = recorded[0]
    for attempt in attempts:
        attempt["worker"].quit()
    return {"attempts": attempts, "events": events, "recorded": total, "duplicates": total - distinct}


# -- the report -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--shard-count", type=int, help="default: one shard per process")
    parser.add_argument("--uploads", type=float, default=0.10, help="share of servers with uploads")
    parser.add_argument("--asks", type=int, default=200, help="questions per kind of server per process")
    parser.add_argument("--edits", type=int, default=50, help="curated edits timed each way")
    parser.add_argument("--outage-edits", type=int, default=30, help="edits before, during and after, in all")
    parser.add_argument("--down", type=float, default=10.0, help="seconds the database stays stopped")
    parser.add_argument("--events", type=int, default=400, help="gateway events with a misconfigured process")
    parser.add_argument("--skip-reference", action="store_true", help="no single-process run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the reader's reconnecting during the outage is expected
    shard_count = args.shard_count or args.processes
    if shard_count % args.processes:
        sys.exit("--shard-count must be a multiple of --processes")
    rng = random.Random(1)
    guilds = guild_ids(args.servers, rng)
    with_uploads = set(rng.sample(guilds, round(args.servers * args.uploads)))
    plain = [g for g in guilds if g not in with_uploads]

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="citebot-fleet-")))
        server = stack.enter_context(cluster())
        url = server.url
        _, fill_s = report.timed(lambda: fill(url, folder, guilds, with_uploads))
        print(f"filled {args.servers:,} servers in {fill_s:.1f} s", file=sys.stderr)

        reference = again = None
        if not args.skip_reference:
            states = (url, folder / "reference", list(range(shard_count)), shard_count)
            reference = Worker(*states, folder / "ref.log")
            reference.wait_started()
            reference.asks = reference.call("ask", n=args.asks, seed=1)
            reference.quit()
            again = Worker(*states, folder / "ref-again.log", fresh=False)
            again.wait_started()
            again.quit()
            sql(url, "TRUNCATE shared_indexes")
            print(f"one process: {reference.started['seconds']['total']:.1f} s", file=sys.stderr)

        per = shard_count // args.processes
        fleet = [
            (url, folder / f"p{i}", list(range(i * per, (i + 1) * per)), shard_count)
            for i in range(args.processes)
        ]
        workers = [Worker(*states, folder / f"p{i}.log") for i, states in enumerate(fleet)]
        stack.callback(lambda: [w.quit() for w in workers])
        for worker in workers:
            worker.wait_started()
        print(
            "fleet loaded: " + ", ".join(f"{w.started['seconds']['total']:.1f} s" for w in workers),
            file=sys.stderr,
        )
        owner_of = {g: w for w in workers for g in w.started["guilds"]}
        assert len(owner_of) == args.servers, (len(owner_of), args.servers)
        for n, worker in enumerate(workers):
            worker.asks = worker.call("ask", n=args.asks, seed=n + 2)

        reader_store = open_store(folder / "reader", url)
        stack.callback(reader_store.close)
        reader = Servers(KnowledgeSources.resolve(None, folder / "reader"), reader_store)
        reader.watch()
        sample = rng.sample(plain, args.edits + args.outage_edits)
        delays = propagation(workers, reader, owner_of, sample[: args.edits])
        print("propagation done", file=sys.stderr)
        down = outage(server, workers, owner_of, sample[args.edits :], shard_count, args.down)
        print("outage done", file=sys.stderr)
        wrong = misconfigured(url, folder, workers, owner_of, guilds, shard_count, args.events)
        memory_after = [w.call("memory") for w in workers]
        for worker in workers:
            worker.quit()
        restarted = [
            Worker(*states, folder / f"p{i}-again.log", fresh=False) for i, states in enumerate(fleet)
        ]
        stack.callback(lambda: [w.quit() for w in restarted])
        for worker in restarted:
            worker.wait_started()

    runs = {"first start": (reference, workers), "restart": (again, restarted)}

    text = render(args, shard_count, fill_s, runs, delays, down, wrong, memory_after)
    print(text)
    name = "fleet.md" if args.servers == 10_000 else f"fleet-{args.servers}.md"
    print(f"\nwritten to {report.write(name, text)}", file=sys.stderr)


if __name__ == "__main__":
    main()
