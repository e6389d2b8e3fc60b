"""What one server with uploads costs in memory, and what that memory is made of.

A server that uploads documents answers from the operator's base plus its uploads. Two ways of
building that knowledge base are measured side by side over the same base and uploads:

- **full rebuild** (citebot before the overlay): the base's documents and the uploads indexed
  together, so the server holds a whole copy of the base's index, passages and derived lookups;
- **overlay** (``KnowledgeLoader.load`` now): the server's knowledge base refers to the shared base
  and holds an index of its own documents only (``knowledge/overlay.py``).

Bases: the built-in article and SciFact (5,183 abstracts from ``/work/shared/data``, see its README).
Uploads: ten small Markdown notes per server (as ``bench/servers.py`` writes them). Memory is the
bytes a server's knowledge base adds to what the shared base already holds: everything reachable from
it that is not reachable from the base (Python objects by ``sys.getsizeof``, NumPy arrays by the
buffers they own). The semantic channel's vectors are measured with random unit vectors of the test
model's size (384 float32 per passage): the memory is the same and nothing is encoded. ``/ask`` p50
is timed lexically in a server of each kind. Run: python bench/server_memory.py [--questions 200]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import beir
import report

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.models import Document
from knowledge.semantic.index import SemanticIndex
from knowledge.uploads import KnowledgeLoader

DIM = 384
QUESTIONS = (
    "How does the mother's gut shape the antibodies in her milk?",
    "What is colostrum?",
    "How long does milk keep in the fridge?",
    "How long does frozen milk keep?",
    "Which cells in breast milk fight infection?",
)
SCIFACT_QUESTIONS = (
    "Does vitamin D lower the risk of fractures?",
    "How long does milk keep in the fridge?",
    "What do regulatory T cells do in autoimmunity?",
)


def notes(folder: Path, count: int = 10) -> None:
    """Ten small notes, as bench/servers.py uploads them for each server."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        text = (
            f"# Notes {n}\n\n## Fridge\n\nMilk keeps {n + 2} days in the fridge at 4 degrees. Label "
            f"bottle {n} with the date.\n\n## Freezer\n\nFrozen milk of note {n} keeps six months; thaw "
            "it in the fridge overnight.\n"
        )
        (folder / f"notes-{n}.md").write_text(text, encoding="utf-8")


def scifact_base() -> KnowledgeBase:
    data = beir.load("scifact")
    docs = [Document(doc_id, title, text) for doc_id, (title, text) in data.corpus.items()]
    return KnowledgeBase.from_documents(docs)


class _Unencoding:
    """An encoder for memory measurements only: a fixed unit vector per text."""

    dim = DIM

    def encode(self, texts: list[str], progress: Any = None) -> np.ndarray:
        rng = np.random.default_rng(len(texts))
        vectors = rng.standard_normal((len(texts), DIM)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def with_vectors(kb: Any) -> None:
    """Give ``kb`` (a plain or an overlay knowledge base) random passage vectors."""
    from knowledge.overlay import OverlayKnowledgeBase, OverlayMeaning

    encoder = _Unencoding()
    if isinstance(kb, OverlayKnowledgeBase):
        own = kb.own
        own.semantic = SemanticIndex(
            encoder,
            encoder.encode(list(range(len(own.passages)))),  # type: ignore[arg-type]
            [p.id for p in own.passages],
        )
        kb.semantic = OverlayMeaning(kb.base.semantic, own.semantic, len(kb.base.passages))  # type: ignore[arg-type]
    else:
        kb.semantic = SemanticIndex(
            encoder,
            encoder.encode(list(range(len(kb.passages)))),  # type: ignore[arg-type]
            [p.id for p in kb.passages],
        )


def _owned(obj: Any) -> int:
    if isinstance(obj, np.ndarray):
        return sys.getsizeof(obj) if obj.base is None else 112 + 0  # a view: its header only
    return sys.getsizeof(obj)


# Code and modules are the process's, not a server's (and lead to every module's globals).
_SHARED_BY_ALL = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def reachable(root: Any, seen: set[int]) -> int:
    """Bytes of everything reachable from ``root`` not in ``seen`` (which it extends)."""
    total, stack = 0, [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _SHARED_BY_ALL):
            continue
        seen.add(id(obj))
        total += _owned(obj)
        stack.extend(gc.get_referents(obj))
    return total


PARTS = {
    "index (BM25 matrix, idf, vocabulary, surfaces)": ("index",),
    "passages and their lookups": ("passages", "_by_id", "row_doc", "references"),
    "documents": ("documents", "doc_ids"),
    "bridge, glossary, compounds, symbols, surfaces": (
        "bridge",
        "glossary",
        "_compounds",
        "_symbols",
        "_surfaces",
    ),
    "semantic vectors": ("semantic",),
}


def breakdown(kb: Any, base: KnowledgeBase) -> dict[str, int]:
    """What ``kb`` holds beyond ``base``, by part (each part counted once, in this order)."""
    seen: set[int] = set()
    reachable(base, seen)
    if hasattr(kb, "base"):  # an overlay: its own parts, under the same names
        seen.discard(id(kb))
    parts: dict[str, int] = {}
    for name, attributes in PARTS.items():
        parts[name] = sum(reachable(getattr(kb, a, None), seen) for a in attributes if a in vars(kb))
        if hasattr(kb, "own"):
            parts[name] += sum(
                reachable(getattr(kb.own, a, None), seen) for a in attributes if a in vars(kb.own)
            )
    parts["everything else"] = reachable(kb, seen)
    parts["total"] = sum(parts.values())
    return parts


def ask_p50(kb: Any, questions: tuple[str, ...], runs: int) -> float:
    assistant = Assistant(kb)
    times = []
    for i in range(runs):
        start = time.perf_counter()
        assistant.ask(questions[i % len(questions)])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bot_indexes(name: str, base: KnowledgeBase, overlay: Any) -> list[list[Any]]:
    """The bot's own indexes of a server with uploads (autocomplete's and ``/lookup``'s), beyond
    the shared base's: built as one index over the base and the uploads (before), and as the shared
    base's indexes joined with the uploads' alone (``bot.completion.completions``,
    ``ApiIndex.of``, now)."""
    from bot.completion import completions
    from bot.render import CHOICE_NAME_LIMIT
    from knowledge.apiref import ApiIndex, collect_objects
    from knowledge.suggestions import KnowledgeSuggestions

    seen: set[int] = set()
    for shared in (base, completions(base), ApiIndex.of(base), overlay):
        reachable(shared, seen)
    rows = []
    ways = {
        "one index over base and uploads (before)": lambda: (
            KnowledgeSuggestions(overlay, max_chars=CHOICE_NAME_LIMIT),
            ApiIndex(collect_objects(overlay), overlay),
        ),
        "the base's, shared, joined with the uploads' (now)": lambda: (
            completions(overlay),
            ApiIndex.of(overlay),
        ),
    }
    for label, build in ways.items():
        started = time.perf_counter()
        built = build()
        seconds = time.perf_counter() - started
        rows.append([name, label, f"{reachable(built, set(seen)) / 1024:,.0f}", f"{seconds * 1000:,.0f}"])
    return rows


def measure(
    name: str, base: KnowledgeBase, state: Path, runs: int
) -> tuple[list[list[Any]], list[list[Any]]]:
    uploads = state / "servers" / "1" / "knowledge"
    notes(uploads)
    loader = KnowledgeLoader(state / "base", state, uploads)
    uploaded, _ = loader.uploaded_documents()
    full = KnowledgeBase.from_documents([*base.documents.values(), *uploaded])
    overlay = loader.load(base)
    full.spell_compounds("x"), full.quoting(), full.surface("x")  # the lazily made lookups, made
    overlay.spell_compounds("x"), overlay.quoting(), overlay.surface("x")
    own_alone = KnowledgeBase.from_documents(uploaded)
    own_alone.spell_compounds("x"), own_alone.quoting(), own_alone.surface("x")
    questions = QUESTIONS if name.startswith("built-in") else SCIFACT_QUESTIONS
    p50 = {"full rebuild": ask_p50(full, questions, runs), "overlay": ask_p50(overlay, questions, runs)}
    with_vectors(base)
    with_vectors(full)
    with_vectors(overlay)
    with_vectors(own_alone)
    rows = []
    own_size = breakdown(own_alone, KnowledgeBase.from_documents([]))["total"]
    for label, kb in (("full rebuild", full), ("overlay", overlay)):
        parts = breakdown(kb, base)
        rows.append(
            [name, label, f"{len(base.passages):,} + {len(overlay.passages) - len(base.passages)}"]
            + [f"{parts[p] / 1024:,.0f}" for p in (*PARTS, "everything else", "total")]
            + [f"{parts['total'] / own_size:.1f}×", f"{p50[label]:.2f}"]
        )
    return rows, bot_indexes(name, base, overlay)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--no-scifact", action="store_true", help="the built-in article only")
    args = parser.parse_args()
    rows, bot_rows = [], []
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder)
        kb_rows, index_rows = measure(
            "built-in article", KnowledgeBase.default(state_dir=state), state, args.questions
        )
        rows, bot_rows = rows + kb_rows, bot_rows + index_rows
    if not args.no_scifact:
        with tempfile.TemporaryDirectory() as folder:
            kb_rows, index_rows = measure("SciFact", scifact_base(), Path(folder), args.questions)
            rows, bot_rows = rows + kb_rows, bot_rows + index_rows
    columns = [
        "base",
        "server's knowledge base",
        "passages (base + own)",
        *(f"{p}, KiB" for p in PARTS),
        "everything else, KiB",
        "total per server, KiB",
        "× own index alone",
        "`/ask` p50, ms",
    ]
    text = "\n".join(
        [
            report.header("Memory of one server with uploads", "python bench/server_memory.py"),
            __doc__.split("\n\n", 1)[1].strip(),
            "",
            report.table(columns, rows),
            "",
            "The bot's own indexes of such a server, autocomplete's and `/lookup`'s (built when it is "
            "loaded), beyond the shared base's, and the time to build them:",
            "",
            report.table(
                ["base", "a server's autocomplete and /lookup indexes", "KiB", "build, ms"], bot_rows
            ),
        ]
    )
    print(text)
    report.write("server_memory.md", text)


if __name__ == "__main__":
    main()
