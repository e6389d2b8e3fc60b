"""Many servers on one bot: start-up time, memory and `/ask` latency with per-server state.

Builds a state folder for N servers (default 1,000), each with its own curated answers, glossary
and uploaded documents (default 10 small Markdown files), over the built-in knowledge base. Then,
in this process, measures what the bot does in the background after start
(`Servers.load_known()`: every server's curated answers and glossary read, and base + uploads
indexed together for each server with uploads), the memory that takes, and the latency of a
question asked in one server with uploads and in one without (which shares the base knowledge
base). Run: python bench/servers.py
[--servers 1000] [--uploads 10] [--questions 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import report

from knowledge import KnowledgeBase
from knowledge.curated import CuratedStore
from knowledge.glossary import Glossary
from knowledge.store import Store
from knowledge.tenancy import UPLOADS_DIR, Servers, server_dir
from knowledge.uploads import KnowledgeSources

CURATED_PER_SERVER = 20
TERMS_PER_SERVER = 10
QUESTIONS = (
    "How does the mother's gut shape the antibodies in her milk?",
    "What is colostrum?",
    "Is ibuprofen safe while breastfeeding? (curated 3)",
    "How long does milk keep in the fridge in server 7?",
)


def rss_mib() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def template_files(folder: Path) -> tuple[str, str]:
    """The curated.yaml and glossary.yaml every server gets (with its number filled in)."""
    curated = CuratedStore(folder / "curated.yaml")
    for n in range(CURATED_PER_SERVER):
        curated.add(
            f"Question {n} of server SERVER about milk?",
            f"Server SERVER's answer {n}.",
            author="bench",
            phrasings=[f"another wording {n} SERVER"],
        )
    glossary = Glossary(folder / "glossary.yaml")
    for n in range(TERMS_PER_SERVER):
        glossary.add(f"word{n}x", "colostrum", author="bench")
    return curated.export_yaml(), (folder / "glossary.yaml").read_text(encoding="utf-8")


def build_state(state: Path, servers: int, uploads: int) -> None:
    curated, glossary = template_files(Path(tempfile.mkdtemp()))
    for guild in range(1, servers + 1):
        folder = server_dir(state, guild)
        (folder / UPLOADS_DIR).mkdir(parents=True)
        (folder / "curated.yaml").write_text(curated.replace("SERVER", str(guild)), encoding="utf-8")
        (folder / "glossary.yaml").write_text(glossary, encoding="utf-8")
        for n in range(uploads):
            text = (
                f"# Notes {n} of server {guild}\n\n## Fridge\n\nIn server {guild}, milk keeps {n + 2} days "
                f"in the fridge at 4 degrees. Label bottle {n} with the date.\n\n## Freezer\n\n"
                f"Frozen milk of note {n} keeps six months; thaw it in the fridge overnight.\n"
            )
            (folder / UPLOADS_DIR / f"notes-{n}.md").write_text(text, encoding="utf-8")


def latency(servers: Servers, guild_id: int, runs: int) -> tuple[float, float]:
    assistant = servers.get(guild_id).assistant
    times = []
    for i in range(runs):
        question = QUESTIONS[i % len(QUESTIONS)]
        start = time.perf_counter()
        assistant.ask(question)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder)
        started = time.perf_counter()
        build_state(state, args.servers, args.uploads)
        made = time.perf_counter() - started
        base = KnowledgeBase.default(state_dir=state)
        store = Store.in_folder(state)
        before = rss_mib()
        started = time.perf_counter()
        servers = Servers(KnowledgeSources.resolve(None, state), store, base=base)
        loaded = servers.load_known()
        start_s = time.perf_counter() - started
        after = rss_mib()
        # A server the bot has just joined: no files, the shared base.
        started = time.perf_counter()
        servers.get(10**9)
        new_ms = (time.perf_counter() - started) * 1000
        with_p50, with_p99 = latency(servers, 1, args.questions)
        without_p50, without_p99 = latency(servers, 10**9, args.questions)
        one = servers.get(1)
        store.close()
    rows = [
        ("servers with state", f"{len(loaded):,}"),
        ("per server: curated answers, glossary terms, uploads", f"{CURATED_PER_SERVER}, {TERMS_PER_SERVER}, "
         f"{args.uploads}"),
        ("shared base: documents, passages", f"{len(base.documents)}, {len(base.passages)}"),
        ("one server's knowledge base: documents, passages", f"{len(one.kb.documents)}, "
         f"{len(one.kb.passages)}"),
        (
            "loading every server's state and indexing its uploads (background, after start)",
            f"{start_s:.1f} s",
        ),
        ("loading per server", f"{start_s / max(len(loaded), 1) * 1000:.1f} ms"),
        ("memory for all servers (RSS growth)", f"{after - before:.0f} MiB"),
        ("memory per server", f"{(after - before) / max(len(loaded), 1) * 1024:.0f} KiB"),
        ("state of a newly joined server", f"{new_ms:.2f} ms"),
        ("`/ask` in a server with uploads, p50 / p99", f"{with_p50:.2f} / {with_p99:.2f} ms"),
        ("`/ask` in a server without uploads, p50 / p99", f"{without_p50:.2f} / {without_p99:.2f} ms"),
        ("(writing the state folder, not part of start-up)", f"{made:.1f} s"),
    ]
    text = "\n".join(
        [
            report.header(f"{args.servers:,} servers, built-in corpus", "python bench/servers.py"),
            report.table(["measure", "value"], rows),
        ]
    )
    print(text)
    report.write("servers.md", text)


if __name__ == "__main__":
    main()
