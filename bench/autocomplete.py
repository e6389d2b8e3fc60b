"""Autocomplete per keystroke at 10k, 100k and 1M passages: the old scan against the index.

    python bench/autocomplete.py [--sizes 10000,100000,1000000] [--keystrokes 300]

A synthetic knowledge base shaped like documentation: documents of 20 passages over 4-6 sections,
titles and headings drawn from the words of real documents (the built-in article and the two
documentation folders in tests/data). Keystrokes are what members type: each prefix of a section
name, a document title or a word from its middle (as typed, one letter at a time), a passage id
pasted or its hash, several words, and words the knowledge base does not have. Each keystroke is
one call as the bot makes it: `/ask` topics (section names), `/source` passages (with their
labels), `/kb test add` documents and sections. The old scan is what the bot did before the
index (it read every passage per keystroke); it is timed on fewer keystrokes at the larger sizes.
Build time and memory are those of all the indexes of one knowledge base (RSS after minus before,
the passages already in memory; "keeps" counts the arrays and lists the indexes hold, RSS also what
the allocator kept from building them).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import psutil
import report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import render  # noqa: E402
from bot.answering import fuzzy_filter  # noqa: E402
from bot.render import CHOICES_MAX  # noqa: E402
from knowledge import Document, format_label  # noqa: E402
from knowledge.golden import DOCUMENT  # noqa: E402
from knowledge.models import Passage  # noqa: E402
from knowledge.suggestions import KnowledgeSuggestions, SuggestionIndex  # noqa: E402

SEED = 11
PASSAGES_PER_DOC = 20
SOURCES = [ROOT / "knowledge" / "corpus", ROOT / "tests" / "data"]


def vocabulary() -> list[str]:
    """Distinct words of real documents, as they are written (case kept)."""
    words: dict[str, None] = {}
    for folder in SOURCES:
        for path in sorted(folder.rglob("*")):
            if path.suffix in {".md", ".rst", ".txt"}:
                text = path.read_text(encoding="utf-8", errors="ignore")
                for word in re.findall(r"[A-Za-z][a-z]{2,14}", text):
                    words.setdefault(word, None)
    return list(words)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "section"


def knowledge_base(size: int, words: list[str]) -> SimpleNamespace:
    """A knowledge base's documents and passages (what autocomplete reads), ``size`` passages."""
    rng = random.Random(SEED + size)
    documents: dict[str, Document] = {}
    passages: list[Passage] = []
    for number in range(size // PASSAGES_PER_DOC):
        title = " ".join(rng.sample(words, rng.randint(2, 6))).capitalize()
        doc = Document(f"{slug(title)}-{number}", title, "", metadata={"source": "Handbook (2024)"})
        documents[doc.id] = doc
        count = rng.randint(4, 6)
        headings = [" ".join(rng.sample(words, rng.randint(1, 4))).capitalize() for _ in range(count)]
        for n in range(PASSAGES_PER_DOC):
            heading = headings[n * len(headings) // PASSAGES_PER_DOC]
            text = " ".join(rng.choices(words, k=25))
            digest = hashlib.sha1(f"{doc.id}{n}".encode()).hexdigest()[:10]
            pid = f"{doc.id}#{slug(heading)}-{digest}"
            passages.append(Passage(pid, doc.id, (title, heading), text, 0, len(text)))
    return SimpleNamespace(documents=documents, passages=passages)


def keystrokes(kb: SimpleNamespace, words: list[str], count: int) -> list[str]:
    """What members type, one letter at a time, in a fixed mix."""
    rng = random.Random(SEED)
    typed: list[str] = []
    docs = list(kb.documents.values())
    while len(typed) < count:
        kind = len(typed) % 6
        passage = rng.choice(kb.passages)
        if kind == 0:  # a section name from its start
            target = passage.section[-1]
        elif kind == 1:  # a document title
            target = kb.documents[passage.doc_id].title
        elif kind == 2:  # a word from its middle, then a second word
            first, second = rng.sample([*passage.section[-1].split(), rng.choice(words)], 2)
            target = f"{first[len(first) // 3 :]} {second}"
        elif kind == 3:  # a passage id pasted, or the start of its hash
            target = passage.id if rng.random() < 0.5 else passage.id.rsplit("-", 1)[1][:6]
            typed.append(target)
            continue
        elif kind == 4:  # a word the knowledge base does not have
            target = rng.choice(["sourdough", "ibuprofen dose", "zqx", "weaning at night"])
        else:  # a word of a document's title, lower case
            target = rng.choice(rng.choice(docs).title.split()).lower()
        target = target[:14]
        typed += [target[:n] for n in range(1, len(target) + 1)]
    return typed[:count]


# -- what the bot did before the index: every passage read per keystroke -----------------------


def old_sections(kb, current: str) -> list[str]:
    titles = {doc.title.casefold() for doc in kb.documents.values()}
    names = dict.fromkeys(p.section[-1] for p in kb.passages if p.section)
    return fuzzy_filter(current, [n for n in names if n.casefold() not in titles])


def old_passages(kb, current: str) -> list[tuple[str, str]]:
    searchable: dict[str, tuple[str, str]] = {}
    for p in kb.passages:
        if len(p.id) > render.CHOICE_NAME_LIMIT:
            continue
        doc = kb.documents[p.doc_id]
        label = format_label(doc.title, p.section_title, p.page, doc.reference)
        start = " ".join(p.text[:120].split())
        searchable[f"{p.id} {doc.title} {p.section_title}"] = (f"{label} — {start}", p.id)
    return [searchable[m] for m in fuzzy_filter(current, searchable)]


def old_expectations(kb, current: str) -> list[tuple[str, str]]:
    def options():
        for doc in kb.documents.values():
            yield f"Document: {doc.title}", f"{DOCUMENT}:{doc.id}"
        seen: set[tuple[str, str]] = set()
        for passage in kb.passages:
            key = (passage.doc_id, passage.section_title)
            if not passage.section_title or key in seen:
                continue
            seen.add(key)
            value = f"section:{passage.doc_id}#{passage.section_title}"
            if len(value) > 100:
                value = f"section:{passage.section_title}"
            if len(value) <= 100:
                yield f"Section: {passage.section_title} — {kb.documents[passage.doc_id].title}", value

    words = current.casefold().split()
    found = []
    for name, value in options():
        if all(w in name.casefold() for w in words):
            found.append((name, value))
            if len(found) == CHOICES_MAX:
                break
    return found


# -- the same through the index ------------------------------------------------------------------


def new_sections(index: KnowledgeSuggestions, current: str) -> list[str]:
    return [index.section_names[i] for i in index.sections.search(current)]


def new_passages(kb, index: KnowledgeSuggestions, current: str) -> list[tuple[str, str]]:
    shown = []
    for i in index.passages.search(current):
        p = kb.passages[index.passage_rows[i]]
        doc = kb.documents[p.doc_id]
        label = format_label(doc.title, p.section_title, p.page, doc.reference)
        shown.append((f"{label} — {' '.join(p.text[:120].split())}", p.id))
    return shown


def new_expectations(kb, index: KnowledgeSuggestions, current: str) -> list[tuple[str, str]]:
    shown = [index.expectation(kb, i) for i in index.expectation_index.search(current)]
    return [(e.name, e.value) for e in shown]


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def kept_mb(index: KnowledgeSuggestions) -> float:
    """What the indexes keep: their arrays and texts, and the lists of what they offer."""

    def size(value) -> int:
        if isinstance(value, np.ndarray):
            return value.nbytes
        if isinstance(value, list):
            return sys.getsizeof(value) + sum(size(v) for v in value)
        if isinstance(value, SuggestionIndex):
            return sum(size(v) for v in vars(value).values())
        return sys.getsizeof(value)

    # The documents are the knowledge base's own (the index keeps a list of them, not copies).
    kept = {name: v for name, v in vars(index).items() if name not in ("uploads", "_documents")}
    return (sum(size(v) for v in kept.values()) + sys.getsizeof(index._documents)) / 2**20


def measure(size: int, words: list[str], count: int, old_count: int) -> list[list]:
    kb = knowledge_base(size, words)
    typed = keystrokes(kb, words, count)
    before = rss_mb()
    started = time.perf_counter()
    index = KnowledgeSuggestions(kb, max_chars=render.CHOICE_NAME_LIMIT)
    build_s = time.perf_counter() - started
    memory = rss_mb() - before
    kept = kept_mb(index)
    # What was built before timing is left out of the garbage collector's rounds, so a collection
    # walking the million passages is not counted against one keystroke.
    gc.freeze()
    rows = []
    calls = [
        ("/ask topics", lambda q: old_sections(kb, q), lambda q: new_sections(index, q)),
        ("/source passages", lambda q: old_passages(kb, q), lambda q: new_passages(kb, index, q)),
        ("/kb test add", lambda q: old_expectations(kb, q), lambda q: new_expectations(kb, index, q)),
    ]
    sample = typed[:: max(1, len(typed) // old_count)][:old_count]
    for name, old, new in calls:
        old_results, old_times = report.latencies(old, sample)
        new_results, new_times = report.latencies(new, typed)
        # The index must suggest exactly what the scan did.
        by_query = dict(zip(typed, new_results, strict=True))
        assert all(by_query[q] == r for q, r in zip(sample, old_results, strict=True)), name
        o, n = report.latency_summary(old_times), report.latency_summary(new_times)
        rows.append(
            [f"{size:,}", name, len(sample), o["p50_ms"], o["p99_ms"], len(typed), n["p50_ms"], n["p99_ms"]]
        )
    built = f"index build: {build_s:.1f} s; keeps {kept:.0f} MB (RSS +{memory:.0f} MB)"
    print(f"{size:,} passages: {built}", flush=True)
    gc.unfreeze()
    return [*rows, [f"{size:,}", built, "", "", "", "", "", ""]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--keystrokes", type=int, default=300)
    args = parser.parse_args()
    words = vocabulary()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        old_count = 100 if size <= 10_000 else 30 if size <= 100_000 else 8
        rows += measure(size, words, args.keystrokes, old_count)
    columns = ["passages", "autocomplete", "old scan: keystrokes", "p50 ms", "p99 ms"]
    columns += ["index: keystrokes", "p50 ms", "p99 ms"]
    text = "\n".join(
        [
            report.header("Autocomplete per keystroke", f"python bench/autocomplete.py --sizes {args.sizes}"),
            f"{len(words):,} distinct words; {args.keystrokes} keystrokes per size. "
            "Old: every passage read per keystroke, as before the index.",
            "",
            report.table(columns, rows),
        ]
    )
    print(text)
    report.write("autocomplete.md", text)


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
