"""The state store on SQLite and on PostgreSQL: throughput, propagation between processes, joining.

Measures (1) store operations per second (recording an answer, as every `/ask` does) with 1, 4 and
16 threads writing at once, on the SQLite file and on PostgreSQL; (2) how long a curated-answer
edit made through one bot process takes to be served by another (a separate OS process, told
through LISTEN/NOTIFY), median and worst of 100 edits; (3) the start-up time of a process joining
1,000 servers' state (curated answers and glossary of each read from the database, as
`Servers.load_known()` does after start), beside the same from a state folder.

PostgreSQL: `$CITEBOT_BENCH_DATABASE_URL` (an empty database), else a throwaway local server with
PostgreSQL's durable defaults (fsync on), as the tests start one. Run:
python bench/store_backends.py [--ops 2000] [--edits 100] [--servers 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the throwaway PostgreSQL server of the tests

import report  # noqa: E402
from postgres import find_initdb, fresh_database, local_cluster  # noqa: E402

from knowledge import KnowledgeBase  # noqa: E402
from knowledge.curated import CuratedStore  # noqa: E402
from knowledge.database import open_store  # noqa: E402
from knowledge.glossary import Glossary  # noqa: E402
from knowledge.store import StateStore, StoreUnavailable  # noqa: E402
from knowledge.tenancy import Servers, server_dir  # noqa: E402
from knowledge.uploads import KnowledgeSources  # noqa: E402

WRITERS = (1, 4, 16)
QUESTION = "How does the mother's gut shape the antibodies in her milk?"

# The other bot process of the propagation measure: it watches the database and prints the time
# each curated edit is served (after its server's curated answers were loaded again).
WATCHER = """
import sys, time
sys.path.insert(0, sys.argv[3])
from knowledge.database import open_store
from knowledge.tenancy import Servers
from knowledge.uploads import KnowledgeSources
store = open_store(sys.argv[2], sys.argv[1])
servers = Servers(KnowledgeSources.resolve(None, sys.argv[2]), store)
state = servers.get(1)
def changed(guild_id, what):
    servers.apply_change(guild_id, what)
    answer = state.curated.get(1)
    print(f"{time.time()} {answer.answer}", flush=True)
store.watch(changed)
print("ready", flush=True)
sys.stdin.read()
"""


def throughput(store: StateStore, writers: int, ops: int) -> tuple[float, float, float, int]:
    """(operations per second, p50 ms, p99 ms, operations refused) with ``writers`` threads."""
    per_thread = max(1, ops // writers)
    times: list[float] = []
    refused = 0
    lock = threading.Lock()

    def write(n: int) -> None:
        nonlocal refused
        rows = store.server(1000 + n)
        mine, failed = [], 0
        for i in range(per_thread):
            start = time.perf_counter()
            try:
                rows.record_answer(f"{QUESTION} {i}", ["a#x-1", "a#y-2"], True, user_id=n, channel_id=7)
            except StoreUnavailable:
                failed += 1
            mine.append(time.perf_counter() - start)
        with lock:
            times.extend(mine)
            refused += failed

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return len(times) / elapsed, statistics.median(times) * 1000, p99 * 1000, refused


def propagation(url: str, folder: Path, edits: int) -> list[float]:
    """Seconds from saving a curated edit in this process to its being served by another."""
    store = open_store(folder / "writer", url)
    servers = Servers(KnowledgeSources.resolve(None, folder / "writer"), store)
    curated = servers.get(1).curated
    curated.add("How long does milk keep in the fridge?", "Edit 0.", author="bench")
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER, url, str(folder / "watcher"), str(ROOT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    delays = []
    try:
        assert watcher.stdout.readline().strip() == "ready"
        for n in range(1, edits + 1):
            saved = time.time()
            curated.edit(1, by="bench", answer=f"Edit {n}.")
            while True:  # a change counted twice (notification and check) prints twice
                stamp, text = watcher.stdout.readline().split(" ", 1)
                if text.strip() == f"Edit {n}.":
                    break
            delays.append(float(stamp) - saved)
    finally:
        watcher.stdin.close()
        watcher.wait(timeout=30)
        store.close()
    return delays


def joining(store_for: Callable[[], StateStore], state: Path, servers: int) -> float:
    """Seconds a new process takes to load every server's curated answers and glossary."""
    store = store_for()
    try:
        sources = KnowledgeSources.resolve(None, state)
        base = KnowledgeBase.default(state_dir=state)
        loaded, seconds = report.timed(lambda: Servers(sources, store, base=base).load_known())
        assert len(loaded) == servers, (len(loaded), servers)
        return seconds
    finally:
        store.close()


def template(folder: Path) -> tuple[str, str]:
    """One server's curated.yaml and glossary.yaml: 20 answers and 10 terms."""
    curated = CuratedStore(folder / "curated.yaml")
    for n in range(20):
        curated.add(f"Question {n} about milk?", f"Answer {n}.", author="bench", phrasings=[f"wording {n}"])
    glossary = Glossary(folder / "glossary.yaml")
    for n in range(10):
        glossary.add(f"term{n}", f"meaning {n}", author="bench")
    return curated.path.read_text(), glossary.path.read_text()


def main() -> None:
    """Run the three measures and write ``bench/results/store_backends.md``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=2000, help="answers recorded per measure")
    parser.add_argument("--edits", type=int, default=100, help="curated edits timed between processes")
    parser.add_argument("--servers", type=int, default=1000, help="servers a joining process loads")
    args = parser.parse_args()

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server_url = os.environ.get("CITEBOT_BENCH_DATABASE_URL")
        if server_url is None:
            initdb = find_initdb()
            if initdb is None:
                sys.exit("no PostgreSQL: set CITEBOT_BENCH_DATABASE_URL or install PostgreSQL")
            server_url = stack.enter_context(local_cluster(initdb, durable=True))

        rows = []
        for backend in ("SQLite", "PostgreSQL"):
            for writers in WRITERS:
                with ExitStack() as each:
                    url = each.enter_context(fresh_database(server_url)) if backend == "PostgreSQL" else None
                    store = open_store(folder / f"{backend}-{writers}", url)
                    each.callback(store.close)
                    ops, p50, p99, refused = throughput(store, writers, args.ops)
                    rows.append((backend, writers, ops, p50, p99, refused))
                    print(f"{backend} x{writers}: {ops:,.0f} ops/s", file=sys.stderr)

        with fresh_database(server_url) as url:
            delays = propagation(url, folder / "propagation", args.edits)
        print(f"propagation: median {statistics.median(delays) * 1000:.1f} ms", file=sys.stderr)

        curated, glossary = template(folder / "template")
        state = folder / "joining"
        with fresh_database(server_url) as url:
            writer = open_store(state, url)
            for guild in range(1, args.servers + 1):
                writer.write_document(guild, "curated.yaml", curated, None)
                writer.write_document(guild, "glossary.yaml", glossary, None)
                files = server_dir(state / "files", guild)
                files.mkdir(parents=True)
                (files / "curated.yaml").write_text(curated)
                (files / "glossary.yaml").write_text(glossary)
            writer.close()
            from_database = joining(lambda: open_store(state / "empty", url), state / "empty", args.servers)
        from_folder = joining(lambda: open_store(state / "files"), state / "files", args.servers)

    command = "python bench/store_backends.py" + (
        f" --ops {args.ops} --edits {args.edits} --servers {args.servers}"
        if (args.ops, args.edits, args.servers) != (2000, 100, 1000)
        else ""
    )
    text = "\n\n".join(
        [
            report.header("State store backends: SQLite and PostgreSQL", command),
            "Recording answers (`ServerStore.record_answer`, one per `/ask`), threads writing at once:",
            report.table(("backend", "writers", "ops/s", "p50 ms", "p99 ms", "refused"), rows),
            f"A curated edit saved in one process, served by another (LISTEN/NOTIFY), {len(delays)} edits:",
            report.table(
                ("median ms", "worst ms"),
                [(statistics.median(delays) * 1000, max(delays) * 1000)],
            ),
            f"A process joining {args.servers:,} servers' state"
            " (20 curated answers and 10 glossary terms each):",
            report.table(
                ("state in", "seconds", "ms per server"),
                [
                    ("PostgreSQL", from_database, from_database * 1000 / args.servers),
                    ("state folder (YAML files)", from_folder, from_folder * 1000 / args.servers),
                ],
            ),
        ]
    )
    path = report.write("store_backends.md", text)
    print(text)
    print(f"\nwritten to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
