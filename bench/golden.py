"""Golden questions: how long checking a server's golden questions takes after a change.

Builds one server over the built-in knowledge base with uploaded documents adding about 1,000
passages (generated, seeded, in the article's own vocabulary so questions meet long postings), 20
curated answers and a glossary, and 200 golden questions (section, document, curated and declined
ones). Then times :meth:`GoldenSet.run` — every question asked through the server's assistant,
judged, compared with the last check and the outcome written — as the bot does in a worker thread
after ``/kb add`` and the like. Run: python bench/golden.py [--questions 200] [--passages 1000]
[--runs 5]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import report

from knowledge import KnowledgeBase
from knowledge.golden import Expectation, GoldenSet
from knowledge.tenancy import UPLOADS_DIR, server_assistant, server_dir
from knowledge.uploads import KnowledgeSources

GUILD = 1
SECTIONS_PER_DOC = 10
CURATED = 20
OFF_TOPIC = (
    "What is the capital of France?",
    "How do I change a car tyre?",
    "Who won the 1998 football World Cup?",
    "What is a good recipe for lasagne?",
    "How far away is the Moon?",
)


def vocabulary(kb: KnowledgeBase) -> list[str]:
    """The article's words (what members' questions are made of)."""
    words = re.findall(r"[a-z]{4,}", " ".join(p.text.lower() for p in kb.passages))
    return sorted(set(words))


def write_uploads(folder: Path, words: list[str], passages: int, rng: random.Random) -> list[tuple[str, str]]:
    """Markdown uploads with ``passages`` sections of about 500 characters; returns (document id,
    heading) of each section."""
    folder.mkdir(parents=True, exist_ok=True)
    sections = []
    for doc in range(max(passages // SECTIONS_PER_DOC, 1)):
        parts = [f"# Notes {doc}\n"]
        for n in range(SECTIONS_PER_DOC):
            heading = f"Topic {doc}-{n} {rng.choice(words)}"
            body = " ".join(rng.choice(words) for _ in range(70))
            parts.append(f"## {heading}\n\n{body.capitalize()}.\n")
            sections.append((f"uploads/notes-{doc}", heading))
        (folder / f"notes-{doc}.md").write_text("\n".join(parts), encoding="utf-8")
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        base = KnowledgeBase.default(state_dir=state)
        words = vocabulary(base)
        folder = server_dir(state, GUILD)
        sections = write_uploads(folder / UPLOADS_DIR, words, args.passages, rng)
        sources = KnowledgeSources.resolve(None, state)
        started = time.perf_counter()
        assistant, _ = server_assistant(sources, GUILD, base)
        build_s = time.perf_counter() - started
        for n in range(CURATED):
            assistant.curated.add(f"Curated question {n} about {words[n]}?", f"Answer {n}.", author="bench")
        assistant.glossary.add("first milk", "colostrum", author="bench")

        golden = GoldenSet.in_state_dir(folder)
        for n in range(args.questions):
            kind = n % 4
            if kind == 0:
                doc_id, heading = rng.choice(sections)
                question = f"What about {' '.join(rng.sample(words, 4))} ({heading})?"
                expect = Expectation.section([heading], doc_id)
            elif kind == 1:
                question = f"How does {' '.join(rng.sample(words, 5))} work in breast milk?"
                expect = Expectation.in_document("maternal-infant-immune-system")
            elif kind == 2:
                question = f"Curated question {n % CURATED} about {words[n % CURATED]}? ({n})"
                expect = Expectation.curated_answer(n % CURATED + 1)
            else:
                question = f"{OFF_TOPIC[n % len(OFF_TOPIC)]} ({n})"
                expect = Expectation.declined()
            golden.add(question, expect, author="bench")

        times, result = [], None
        for _ in range(args.runs):
            started = time.perf_counter()
            result = golden.run(assistant.ask, cause="bench")
            times.append(time.perf_counter() - started)
        kb = assistant.kb
    assert result is not None
    median = statistics.median(times)
    rows = [
        (
            "knowledge base: documents, passages (built-in + uploads)",
            f"{len(kb.documents)}, {len(kb.passages):,}",
        ),
        ("indexing the server's knowledge base (once per upload)", f"{build_s:.2f} s"),
        ("golden questions (section, document, curated, declined)", f"{len(result.results)}"),
        (f"one check of all of them, median of {args.runs} (max)", f"{median:.2f} s ({max(times):.2f} s)"),
        ("per question", f"{median / len(result.results) * 1000:.2f} ms"),
        ("target", "under 2 s"),
    ]
    text = "\n".join(
        [
            report.header("Golden questions", "python bench/golden.py"),
            report.table(["measure", "value"], rows),
        ]
    )
    print(text)
    report.write("golden.md", text)


if __name__ == "__main__":
    main()
