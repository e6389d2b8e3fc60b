"""The knowledge base: documents, their passages and the index over them, cached in the state folder."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .chunking import DEFAULT_CHUNK_CHARS, chunk_document
from .documents import dedupe, iter_files, load_folder
from .index import IndexSettings, SparseIndex, top_k, top_k_groups
from .models import Document, Hit, LoadError, Passage
from .text import STOP_WORDS, tokens

if TYPE_CHECKING:
    from .semantic import SemanticIndex

logger = logging.getLogger(__name__)

CORPUS_DIR = Path(__file__).with_name("corpus")
# Bump when the cached layout or the way passages are made changes, so old caches are rebuilt.
CACHE_VERSION = 1


def default_state_dir() -> Path:
    """``$CITEBOT_STATE_DIR``, else ``$XDG_STATE_HOME/citebot``, else ``~/.local/state/citebot``."""
    if os.environ.get("CITEBOT_STATE_DIR"):
        return Path(os.environ["CITEBOT_STATE_DIR"]).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "citebot"


@dataclass(frozen=True)
class Topic:
    """A document as listed by ``/topics``."""

    doc_id: str
    title: str
    passages: int
    reference: str
    link: str


def _index_text(doc: Document, passage: Passage) -> str:
    # The title and heading count with every passage: a passage under "Mammary immune system"
    # is about that even when its sentences only say "these cells". The heading counts twice: it
    # names what the passage is about more precisely than the title (top-1 section accuracy on
    # tests/knowledge/seed_questions.yaml: 30/34 once, 31/34 twice).
    section = " ".join(passage.section)
    return "\n".join(part for part in (doc.title, section, section, passage.text) if part)


class KnowledgeBase:
    """Documents split into passages and indexed. Build with :meth:`from_folder`,
    :meth:`from_documents` or :meth:`default`; then :meth:`search`. Answers come from
    :class:`knowledge.assistant.Assistant`, which holds the answer settings."""

    def __init__(
        self,
        documents: list[Document],
        passages: list[Passage],
        index: SparseIndex,
        errors: list[LoadError] | None = None,
        *,
        source: Path | None = None,
        fingerprint: str = "",
    ) -> None:
        self.documents: dict[str, Document] = {doc.id: doc for doc in documents}
        self.passages = passages
        self.index = index
        self.errors = list(errors or [])
        self.source = source
        self.fingerprint = fingerprint
        self._by_id = {p.id: i for i, p in enumerate(passages)}
        doc_order = {doc_id: i for i, doc_id in enumerate(self.documents)}
        self._row_doc = np.fromiter(
            (doc_order[p.doc_id] for p in passages), dtype=np.int64, count=len(passages)
        )
        self._doc_ids = list(self.documents)
        self.rarest_weight = math.log(1 + (max(len(passages), 1) - 0.5) / 1.5)
        # The optional semantic channel, set by knowledge.semantic.attach; None: lexical only.
        self.semantic: SemanticIndex | None = None

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_documents(
        cls,
        documents: Iterable[Document],
        *,
        settings: IndexSettings | None = None,
        chunk_chars: int = DEFAULT_CHUNK_CHARS,
        errors: list[LoadError] | None = None,
    ) -> KnowledgeBase:
        """Split ``documents`` into passages and index them (duplicates are dropped)."""
        docs = dedupe(documents)
        by_id = {doc.id: doc for doc in docs}
        passages = [p for doc in docs for p in chunk_document(doc, chunk_chars)]
        index = SparseIndex(settings).fit([_index_text(by_id[p.doc_id], p) for p in passages])
        return cls(docs, passages, index, errors)

    @classmethod
    def from_folder(
        cls,
        path: Path | str,
        *,
        state_dir: Path | str | None = None,
        settings: IndexSettings | None = None,
        chunk_chars: int = DEFAULT_CHUNK_CHARS,
        cache: bool = True,
    ) -> KnowledgeBase:
        """Load a folder of documents, reusing the index saved in the state folder while the
        folder is unchanged. A missing or empty folder gives an empty knowledge base that declines
        every question; ``kb.errors`` says why."""
        folder = Path(path).expanduser().resolve()
        fingerprint = folder_fingerprint(folder, settings, chunk_chars)
        slot = _cache_slot(folder, state_dir)
        if cache:
            kb = _load_cached(slot / fingerprint, folder, fingerprint)
            if kb is not None:
                return kb
        docs, errors = load_folder(folder)
        if folder.is_dir() and not docs and not errors:
            errors.append(LoadError(str(folder), "the knowledge folder has no documents"))
        kb = cls.from_documents(docs, settings=settings, chunk_chars=chunk_chars, errors=errors)
        kb.source, kb.fingerprint = folder, fingerprint
        if cache:
            _save_cached(kb, slot, fingerprint)
        return kb

    @classmethod
    def default(cls, *, state_dir: Path | str | None = None) -> KnowledgeBase:
        """The built-in knowledge base: the article shipped in ``knowledge/corpus``."""
        return cls.from_folder(CORPUS_DIR, state_dir=state_dir)

    # -- lookup -------------------------------------------------------------------------------

    @property
    def vocabulary_size(self) -> int:
        """How many distinct terms the index holds."""
        return self.index.vocabulary_size

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with that id, or None."""
        row = self._by_id.get(passage_id)
        return self.passages[row] if row is not None else None

    def hit(self, passage_id: str) -> Hit | None:
        """The passage with that id as a citable hit (score 0), or None."""
        row = self._by_id.get(passage_id)
        return self._hit(row, 0.0) if row is not None else None

    def _hit(self, row: int, score: float) -> Hit:
        passage = self.passages[row]
        doc = self.documents[passage.doc_id]
        return Hit(
            doc_id=doc.id,
            passage_id=passage.id,
            title=doc.title,
            section=passage.section_title,
            text=passage.text,
            score=float(score),
            reference=doc.reference,
            link=doc.link,
            page=passage.page,
        )

    def topics(self) -> list[Topic]:
        """The documents, in load order, with their passage counts."""
        counts: dict[str, int] = {}
        for passage in self.passages:
            counts[passage.doc_id] = counts.get(passage.doc_id, 0) + 1
        return [
            Topic(doc.id, doc.title, counts.get(doc.id, 0), doc.reference, doc.link)
            for doc in self.documents.values()
        ]

    def unknown_words(self, text: str) -> list[str]:
        """Content words of ``text`` that no passage contains, even after typo correction."""
        known = {qt.token for qt in self.index.query_terms(text)}
        return [t for t in dict.fromkeys(tokens(text)) if t not in STOP_WORDS and t not in known]

    # -- search -------------------------------------------------------------------------------

    def _scores(
        self, query: str, context: str = "", context_weight: float = 0.35
    ) -> tuple[np.ndarray, np.ndarray]:
        rows, scores = self.index.score(query)
        if context:
            ctx_rows, ctx_scores = self.index.score(context)
            if len(ctx_rows):
                all_rows = np.concatenate([rows, ctx_rows])
                all_scores = np.concatenate([scores, ctx_scores * context_weight])
                rows, inverse = np.unique(all_rows, return_inverse=True)
                scores = np.bincount(inverse, weights=all_scores)
        return rows, scores

    def search(self, query: str, k: int = 5, *, context: str = "", context_weight: float = 0.35) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first."""
        if not self.passages or k <= 0:
            return []
        if self.semantic is not None:  # the semantic channel, fused with BM25 (knowledge/semantic)
            rows, scores = top_k(*self.semantic.fuse(*self._scores(query, context, context_weight), query), k)
        elif context:
            rows, scores = top_k(*self._scores(query, context, context_weight), k)
        else:
            rows, scores = self.index.search(query, k)
        return [self._hit(int(r), float(s)) for r, s in zip(rows, scores, strict=True) if s > 0]

    def search_documents(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` best documents, each scored as its best passage."""
        rows, scores = self.index.score(query)
        if self.semantic is not None:
            rows, scores = self.semantic.fuse(rows, scores, query)
        docs, best = top_k_groups(rows, scores, self._row_doc, k)
        return [(self._doc_ids[d], float(s)) for d, s in zip(docs.tolist(), best.tolist(), strict=True)]


# -- the cache in the state folder --------------------------------------------------------------


def folder_fingerprint(folder: Path, settings: IndexSettings | None, chunk_chars: int) -> str:
    """Changes whenever a file below ``folder`` is added, removed or modified, or the way it is
    indexed changes."""
    digest = hashlib.sha256(f"{CACHE_VERSION}|{chunk_chars}|{settings or IndexSettings()!r}".encode())
    if folder.is_dir():
        for path in iter_files(folder):
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def _cache_slot(folder: Path, state_dir: Path | str | None) -> Path:
    """Where the index of ``folder`` is saved: one slot per knowledge folder."""
    cache_dir = (Path(state_dir) if state_dir else default_state_dir()) / "index"
    return cache_dir / hashlib.sha1(str(folder).encode()).hexdigest()[:12]


def _jsonable(value: Any) -> Any:
    return str(value)


def _save_cached(kb: KnowledgeBase, slot: Path, fingerprint: str) -> None:
    """Write the index into a temporary folder, then rename it into place: a reader sees a whole
    cache or none. Older caches of the same folder are removed."""
    try:
        slot.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=slot))
        kb.index.save(tmp / "index")
        manifest = {
            "version": CACHE_VERSION,
            "fingerprint": fingerprint,
            "documents": [
                {"id": d.id, "title": d.title, "text": d.text, "metadata": d.metadata}
                for d in kb.documents.values()
            ],
            "passages": [
                {
                    "id": p.id,
                    "doc_id": p.doc_id,
                    "section": list(p.section),
                    "start": p.start,
                    "end": p.end,
                    "page": p.page,
                }
                for p in kb.passages
            ],
            "errors": [asdict(e) for e in kb.errors],
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, default=_jsonable), encoding="utf-8")
        target = slot / fingerprint
        if target.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, target)
        for old in slot.iterdir():
            if old.name != fingerprint and not old.name.startswith(".building-"):
                shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        logger.warning("could not save the index in %s (%s); it will be rebuilt next start", slot, exc)


def _read_cached(folder: Path, source: Path, fingerprint: str) -> KnowledgeBase:
    """The knowledge base saved in ``folder``; raises ValueError/OSError/KeyError/TypeError when it
    is unusable (truncated, corrupt, of another version)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("version") != CACHE_VERSION or manifest.get("fingerprint") != fingerprint:
        raise ValueError("saved by another version of citebot")
    docs = [Document(d["id"], d["title"], d["text"], d["metadata"]) for d in manifest["documents"]]
    texts = {d.id: d.text for d in docs}
    passages = [
        Passage(
            p["id"],
            p["doc_id"],
            tuple(p["section"]),
            texts[p["doc_id"]][p["start"] : p["end"]],
            p["start"],
            p["end"],
            p["page"],
        )
        for p in manifest["passages"]
    ]
    errors = [LoadError(**e) for e in manifest["errors"]]
    index = SparseIndex.load(folder / "index")
    if index.n_rows != len(passages):
        raise ValueError(f"index has {index.n_rows} rows for {len(passages)} passages")
    return KnowledgeBase(docs, passages, index, errors, source=source, fingerprint=fingerprint)


def _load_cached(folder: Path, source: Path, fingerprint: str) -> KnowledgeBase | None:
    if not (folder / "manifest.json").exists():
        return None
    try:
        return _read_cached(folder, source, fingerprint)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("the saved index in %s is unusable (%s); rebuilding", folder, exc)
        return None


def check_saved_index(
    path: Path | str,
    *,
    state_dir: Path | str | None = None,
    settings: IndexSettings | None = None,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
) -> LoadError | None:
    """What is wrong with the index saved for the knowledge folder ``path``, if one is saved and
    unusable (it would be rebuilt at the next start)."""
    folder = Path(path).expanduser().resolve()
    fingerprint = folder_fingerprint(folder, settings, chunk_chars)
    saved = _cache_slot(folder, state_dir) / fingerprint
    if not (saved / "manifest.json").exists():
        return None
    try:
        _read_cached(saved, folder, fingerprint)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return LoadError(str(saved), f"the saved index is unusable and will be rebuilt ({exc})")
    return None
