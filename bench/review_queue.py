"""`/review` at scale: building the review queue (grouping similar questions, leaving out those a
curated answer matches, glossary suggestions) with 600 and 2,000 (the cap) waiting questions.

The questions are made from the built-in article's words (seeded), a quarter of them rewordings of
an earlier one, ten from each member; ten curated answers are set. Target: under 1 s at 2,000.
Then three builds run at once in worker threads, as `/review` runs them, while the event loop's
longest pause is measured.
Run: python bench/review_queue.py [--sizes 600,2000] [--label after]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge import KnowledgeBase
from knowledge.curated import CuratedStore
from knowledge.glossary import Glossary
from knowledge.review import ReviewQueue
from knowledge.store import Store
from knowledge.text import STOP_WORDS

RESULTS = Path(__file__).with_name("results") / "review_queue.md"
ARTICLE = Path(__file__).resolve().parents[1] / "knowledge" / "corpus" / "maternal-infant-immune-system.md"
OPENINGS = ["What is", "How does", "Why do", "Can", "Does", "Tell me about", "Is it true that", "When do"]
PER_MEMBER = 10
CURATED = [
    "What is colostrum?",
    "How long can breast milk stay in the fridge?",
    "What is secretory IgA?",
    "Does breastfeeding protect against infections?",
    "What is the enteromammary immune system?",
    "When does the baby's immune system mature?",
    "Can antibodies cross the placenta?",
    "What are human milk oligosaccharides?",
    "Do vaccines during pregnancy protect the baby?",
    "What is passive immunity?",
]


def article_words() -> list[str]:
    words = re.findall(r"[a-z]{4,}", ARTICLE.read_text(encoding="utf-8").lower())
    return sorted({w for w in words if w not in STOP_WORDS})


def questions(count: int, seed: int = 7) -> list[str]:
    """``count`` questions: most new, a quarter rewordings of an earlier one."""
    rng = random.Random(seed)
    words = article_words()
    asked: list[str] = []
    for _ in range(count):
        if asked and rng.random() < 0.25:
            earlier = rng.choice(asked).rstrip("?").split()
            rng.shuffle(earlier)
            asked.append(" ".join(earlier).lower() + "?")
        else:
            asked.append(f"{rng.choice(OPENINGS)} {' '.join(rng.sample(words, rng.randint(2, 5)))}?")
    return asked


async def worst_gap(work, copies: int) -> float:
    """The longest the event loop went without running (seconds beyond a 1 ms tick) while
    ``copies`` of ``work`` ran in worker threads at once, as ``/review`` runs it."""
    worst, last, running = 0.0, time.perf_counter(), True

    async def tick() -> None:
        nonlocal worst, last
        while running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst, last = max(worst, now - last - 0.001), now

    ticker = asyncio.create_task(tick())
    await asyncio.gather(*(asyncio.to_thread(work) for _ in range(copies)))
    running = False
    await ticker
    return worst


def measure(count: int, kb: KnowledgeBase, folder: Path) -> tuple[int, int, float, float, float]:
    """Questions queued, groups, seconds to group, seconds for glossary suggestions, and the
    event loop's worst gap in seconds with three ``/review``s at once."""
    database = Store.in_folder(folder / f"state-{count}")
    try:
        server = database.server(1)
        for number, question in enumerate(questions(count)):
            server.record_answer(question, ["doc#a-1"], False, user_id=number // PER_MEMBER, channel_id=3)
        curated = CuratedStore(folder / f"curated-{count}.yaml")
        for question in CURATED:
            curated.add(question, "An answer.", author="bench")
        glossary = Glossary(folder / f"glossary-{count}.yaml")
        queue = ReviewQueue(server)
        queued = len(queue.items())
        start = time.perf_counter()
        groups = queue.groups(curated=curated, kb=kb)
        grouped = time.perf_counter() - start
        start = time.perf_counter()
        queue.glossary_suggestions(kb, glossary)
        suggested = time.perf_counter() - start

        def review() -> None:
            queue.groups(curated=curated, kb=kb)
            queue.glossary_suggestions(kb, glossary)

        gap = asyncio.run(worst_gap(review, 3))
        return queued, len(groups), grouped, suggested, gap
    finally:
        database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="600,2000")
    parser.add_argument("--label", default="after", help="the results section to write (before/after)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kb = KnowledgeBase.default(state_dir=folder / "kb")
        rows = [(int(size), *measure(int(size), kb, folder)) for size in args.sizes.split(",")]
    section = [
        f"## {args.label}",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {date.today()}",
        "",
        "| questions asked | in the queue | groups | grouping s | glossary suggestions s "
        "| worst event-loop gap, 3 `/review`s at once, ms |",
        "|---|---|---|---|---|---|",
        *(
            f"| {n:,} | {queued:,} | {groups:,} | {g:.2f} | {s:.2f} | {gap * 1000:.0f} |"
            for n, queued, groups, g, s, gap in rows
        ),
    ]
    text = "\n".join(section) + "\n"
    print(text)
    write_section(args.label, text)


def write_section(label: str, text: str) -> None:
    """Replace the ``## label`` section of the results file, keeping the others."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# `/review` at scale\n\n"
    sections = re.split(r"(?m)^(?=## )", old)
    kept = [s for s in sections if not s.startswith(f"## {label}\n")]
    head, rest = kept[0], sorted([*kept[1:], text + "\n"], key=lambda s: not s.startswith("## before"))
    RESULTS.write_text(head + "".join(rest), encoding="utf-8")


if __name__ == "__main__":
    main()
