"""The knowledge base: documents, their passages and the index over them, cached in the state folder."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .chunking import DEFAULT_CHUNK_CHARS, chunk_document, is_reference_list
from .compounds import hyphenated_compounds, spell_compounds
from .documents import ProgressCallback, dedupe, load_folder, mark_state_dir, refused_folder, scan_folder
from .glossary import DocumentGlossary
from .index import IndexSettings, SparseIndex, top_k, top_k_groups
from .models import Document, Hit, LoadError, Passage
from .question import content_words
from .symbols import asked_symbols, quoting_rows
from .text import STOP_WORDS, stem, tokens
from .thesaurus import Bridge, Thesaurus

if TYPE_CHECKING:
    from .interfaces import MeaningChannel

logger = logging.getLogger(__name__)

CORPUS_DIR = Path(__file__).with_name("corpus")
# Bump when the cached layout or the way passages are made changes, so old caches are rebuilt.
# 3: identifiers indexed whole and in parts, and the everyday-words bridge saved with the index.
# 4: documents with unusable front matter load without their metadata; empty files are reported.
# 5: the bridge keeps three-word phrases and the light words (format 2).
# 6: each passage's heading path weighted as a field of its own; link definitions' addresses not indexed.
# 7: the bridge keeps the whole light-word list and the few its index knows (format 3).
# 8: Markdown admonition boxes (!!! note) and content tabs (=== "pip") read as their title and text.
# 9: a WordNet phrase the documents write as one word ("breast feeding") bridges to that word.
# 10: the bridge keeps the table's words one edit from a stop word (format 4), to tell typos of stop words.
# 11: a reST rubric naming a reference list ("Footnotes", "References") heads a passage of its own.
# 12: accents folded in the analyser ("Café" is indexed as "cafe"); documents note a legacy encoding.
# 13: reST documents keep the API objects their directives document (/lookup).
CACHE_VERSION = 13
# The credit of a question word that, as written, is a term of the index although its own stem is not.
SAME_WORD_CREDIT = 0.95
# How much a term reached through the everyday-words bridge counts in retrieval, times its credit:
# chosen on the tune half of tests/knowledge/everyday_questions.yaml (bench/everyday_eval.py).
EXPANSION_WEIGHT = 0.5


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
        bridge: Bridge | None = None,
    ) -> None:
        self.documents: dict[str, Document] = {doc.id: doc for doc in documents}
        # Readers' words for the documents' terms, from their front matter ("LO" -> baby).
        self.glossary = DocumentGlossary.of(documents)
        # Everyday words -> this index's terms (knowledge.thesaurus); made when the index is built.
        self.bridge = bridge if bridge is not None else Bridge({})
        self._surfaces: dict[str, str] | None = None
        self._compounds: dict[str, str] | None = None  # "metadata" -> "meta-data", made on first use
        self._symbols: dict[str, np.ndarray] | None = None  # "{{" -> rows quoting "`{{`", made on first use
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
        # Reference lists (knowledge.chunking.passage_kind) are searched only for source questions.
        self._references = np.fromiter(
            (is_reference_list(p.section) for p in passages), dtype=bool, count=len(passages)
        )
        self._has_references = bool(self._references.any())
        self.rarest_weight = math.log(1 + (max(len(passages), 1) - 0.5) / 1.5)
        # The meaning channel, set by knowledge.semantic.attach; None: lexical only (off, or no model).
        self.semantic: MeaningChannel | None = None

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
        index = SparseIndex(settings).fit(
            [_index_text(by_id[p.doc_id], p) for p in passages],
            # The heading path as a field of its own (IndexSettings.heading_weight); the title is
            # left out: it names the whole document, and a field every passage of a document
            # shares tells its passages apart no better than the text does.
            [" ".join(p.section) for p in passages],
        )
        return cls(docs, passages, index, errors, bridge=Thesaurus.default().restrict(index.terms_))

    @classmethod
    def from_folder(
        cls,
        path: Path | str,
        *,
        state_dir: Path | str | None = None,
        settings: IndexSettings | None = None,
        chunk_chars: int = DEFAULT_CHUNK_CHARS,
        cache: bool = True,
        on_progress: ProgressCallback | None = None,
    ) -> KnowledgeBase:
        """Load a folder of documents, reusing the index saved in the state folder while the
        folder is unchanged. A missing or empty folder gives an empty knowledge base that declines
        every question; ``kb.errors`` says why. ``on_progress(done, total)`` follows the files
        read (not called when the saved index is reused)."""
        folder = Path(path).expanduser().resolve()
        slot = _cache_slot(folder, state_dir)
        if cache:
            _mark_state(slot.parent.parent)  # before the walk: a state folder inside is left out
        fingerprint = folder_fingerprint(folder, settings, chunk_chars)
        if cache:
            remove_abandoned_builds(slot)
            kb = _load_cached(slot / fingerprint, folder, fingerprint)
            if kb is not None:
                return kb
        docs, errors = load_folder(folder, on_progress=on_progress)
        if folder.is_dir() and not docs and not errors:
            errors.append(LoadError(str(folder), "the knowledge folder has no documents"))
        kb = cls.from_documents(docs, settings=settings, chunk_chars=chunk_chars, errors=errors)
        kb.source, kb.fingerprint = folder, fingerprint
        if cache:
            _save_cached(kb, slot, fingerprint)
        return kb

    def with_documents(self, documents: Iterable[Document], errors: list[LoadError]) -> KnowledgeBase:
        """This index over equal ``documents`` as loaded here (their paths in this process's
        folders) with this process's load errors; ValueError when they are not the indexed ones."""
        docs = dedupe(documents)
        if [doc.id for doc in docs] != list(self.documents) or any(
            doc.text != self.documents[doc.id].text for doc in docs
        ):
            raise ValueError("the documents are not the ones indexed")
        return KnowledgeBase(
            docs, self.passages, self.index, errors, source=self.source, fingerprint=self.fingerprint,
            bridge=self.bridge,
        )  # fmt: skip

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
            link=doc.link_at(passage.start),
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

    def document_for(self, question: str) -> Document | None:
        """The document a question about "this article" means: the only one, else the one whose
        passages best match the question's words, else the first; None for an empty knowledge base."""
        if len(self.documents) <= 1:
            return next(iter(self.documents.values()), None)
        best = self.search_documents(question, 1)
        return self.documents[best[0][0]] if best else next(iter(self.documents.values()))

    def doc_passages(self, doc_id: str) -> list[Passage]:
        """The passages of one document, in order."""
        return [p for p in self.passages if p.doc_id == doc_id]

    def unknown_words(self, text: str) -> list[str]:
        """Content words of ``text`` that no passage contains, even after typo correction."""
        known = {qt.token for qt in self.index.query_terms(text)}
        return [t for t in dict.fromkeys(tokens(text)) if t not in STOP_WORDS and t not in known]

    def surface(self, term: str) -> str:
        """The word as the documents most often write it for an index ``term`` (a stem):
        "infant" for "infant", "microbes" for "microb"; the term itself when none is recorded."""
        if self._surfaces is None:
            surfaces: dict[str, str] = {}
            for word in self.index.surfaces_:  # most frequent first: the first one wins
                surfaces.setdefault(stem(word), word)
            self._surfaces = surfaces
        return self._surfaces.get(term, term)

    def spell_compounds(self, text: str) -> str:
        """``text`` with its two-part words spelled as the documents spell them: a joined word the
        index does not know but the documents hyphenate ("how do i read the metadata" -> "... the
        meta-data"), so both parts count; a hyphenated word the index knows joined ("new-line" ->
        "newline")."""
        if self._compounds is None:
            texts = [*(d.title for d in self.documents.values()), *(p.text for p in self.passages)]
            texts += {heading for p in self.passages for heading in p.section}
            self._compounds = hyphenated_compounds(texts)
        vocabulary = self.index.vocabulary_
        return spell_compounds(text, self._compounds, lambda w: w in vocabulary or stem(w) in vocabulary)

    def asked_symbols(self, question: str) -> list[str]:
        """The syntax symbols ``question`` names standing alone ("a literal {{ in my template") that
        the documents quote as code of their own (`` `{{` ``)."""
        return asked_symbols(question, self._quoting()) if self._quoting() else []

    def _quoting(self) -> dict[str, np.ndarray]:
        if self._symbols is None:
            rows = quoting_rows(p.text for p in self.passages)
            self._symbols = {symbol: np.array(found, dtype=np.int64) for symbol, found in rows.items()}
        return self._symbols

    def _with_symbols(
        self, rows: np.ndarray, scores: np.ndarray, symbols: list[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``rows``/``scores`` with each passage quoting one of ``symbols`` as code of its own scored
        as if it held one more word of the question, as rare as any (:attr:`rarest_weight`)."""
        quoting = [self._quoting()[symbol] for symbol in symbols]
        if not quoting:
            return rows, scores
        added = np.concatenate(quoting)
        all_rows = np.concatenate([np.asarray(rows, dtype=np.int64), added])
        all_scores = np.concatenate([scores, np.full(len(added), self.rarest_weight)])
        rows, inverse = np.unique(all_rows, return_inverse=True)
        return rows, np.bincount(inverse, weights=all_scores)

    def bridged(self, words: Iterable[str]) -> dict[str, dict[str, float]]:
        """The index terms that the everyday-words bridge reaches for ``words`` (content words of a
        question, in order), each with its credit: only for words the index does not hold as they
        are written. Two or three neighbouring words are also looked up as a phrase ("blood stream"
        -> "bloodstream", "white blood cells" -> "lymphocyte"); a word the bridge knows wins over a
        typo correction, since it is a word."""
        words = list(words)
        vocabulary = self.index.vocabulary_
        unknown = [w for w in words if stem(w) not in vocabulary]
        found: dict[str, dict[str, float]] = {}
        for word in unknown:
            if word in vocabulary:  # the stemmer cut the word short ("breastfeed" -> "breastfe"), but
                found[word] = {word: SAME_WORD_CREDIT}  # as written it is a term: "breastfeeding"'s stem
                continue
            terms = self.bridge.terms(word, vocabulary)
            if terms:
                found[word] = terms
        for size in (2, 3):
            for phrase in zip(*(words[i:] for i in range(size)), strict=False):
                if not any(word in unknown for word in phrase):
                    continue
                for term, credit in self.bridge.terms(" ".join(phrase), vocabulary).items():
                    for word in phrase:
                        if word in unknown and credit > found.setdefault(word, {}).get(term, 0.0):
                            found[word][term] = credit
        return {w: terms for w, terms in found.items() if terms}

    def expansion(
        self, bridged: dict[str, dict[str, float]], weight: float = EXPANSION_WEIGHT
    ) -> dict[str, float]:
        """The retrieval weights of bridged terms: their credit times ``weight``, the best per term."""
        extra: dict[str, float] = {}
        for terms in bridged.values():
            for term, credit in terms.items():
                extra[term] = max(extra.get(term, 0.0), credit * weight)
        return extra

    # -- search -------------------------------------------------------------------------------

    def _scores(
        self,
        query: str,
        context: str = "",
        context_weight: float = 0.35,
        extra: dict[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        rows, scores = self.index.score(query, extra)
        if context:
            ctx_rows, ctx_scores = self.index.score(context)
            if len(ctx_rows):
                all_rows = np.concatenate([rows, ctx_rows])
                all_scores = np.concatenate([scores, ctx_scores * context_weight])
                rows, inverse = np.unique(all_rows, return_inverse=True)
                scores = np.bincount(inverse, weights=all_scores)
        return rows, scores

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        context: str = "",
        context_weight: float = 0.35,
        extra: dict[str, float] | None = None,
        references: bool | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first. ``extra`` adds index terms with their
        own weights; by default, the terms the everyday-words bridge reaches for the query's words
        the index does not know (:meth:`expansion`); ``{}`` searches the query's words alone.
        Reference lists are searched only when ``references`` is True, or (None) when the query
        asks about the sources ("what are the references?")."""
        if not self.passages or k <= 0:
            return []
        if extra is None:
            extra = self.expansion(self.bridged(content_words(query)))
        skip = self._skipped(query, references)
        symbols = self.asked_symbols(query)  # "a literal {{": passages quoting `{{` count it
        if self.semantic is not None or context or symbols or skip is not None:
            rows, scores = self._scores(query, context, context_weight, extra)
            if symbols:
                rows, scores = self._with_symbols(rows, scores, symbols)
            if skip is not None:
                keep = ~skip[rows]
                rows, scores = rows[keep], scores[keep]
            if self.semantic is not None:  # the semantic channel, fused with BM25 (knowledge/semantic)
                rows, scores = self.semantic.fuse(rows, scores, query, skip=skip)
            rows, scores = top_k(rows, scores, k)
        else:
            rows, scores = self.index.search(query, k, extra)
        return [self._hit(int(r), float(s)) for r, s in zip(rows, scores, strict=True) if s > 0]

    def _skipped(self, query: str, references: bool | None) -> np.ndarray | None:
        """The rows a search leaves out (reference lists, unless wanted), or None for none."""
        if not self._has_references:
            return None
        if references is None:
            from .source_questions import is_source_question

            references = is_source_question(query)
        return None if references else self._references

    def search_documents(
        self, query: str, k: int = 10, *, extra: dict[str, float] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best documents, each scored as its best passage other than a reference list
        (unless the query asks about sources); ``extra`` as in :meth:`search`."""
        if extra is None:
            extra = self.expansion(self.bridged(content_words(query)))
        rows, scores = self.index.score(query, extra)
        skip = self._skipped(query, None)
        if skip is not None:
            keep = ~skip[rows]
            rows, scores = rows[keep], scores[keep]
        if self.semantic is not None:
            rows, scores = self.semantic.fuse(rows, scores, query, skip=skip)
        docs, best = top_k_groups(rows, scores, self._row_doc, k)
        return [(self._doc_ids[d], float(s)) for d, s in zip(docs.tolist(), best.tolist(), strict=True)]


# -- the cache in the state folder --------------------------------------------------------------


def folder_fingerprint(folder: Path, settings: IndexSettings | None, chunk_chars: int) -> str:
    """Changes whenever a file a load reads below ``folder`` (a document or folder settings) is
    added, removed or modified, or the way it is indexed changes. One walk, stating only those
    files: a folder of 200,000 other files is checked in a fraction of a second. The everyday-words
    table counts too: the saved bridge is made from it."""
    digest = hashlib.sha256(
        f"{CACHE_VERSION}|{chunk_chars}|{settings or IndexSettings()!r}|{Thesaurus.table_digest()}".encode()
    )
    if folder.is_dir() and refused_folder(folder) is None:
        for path, stat in scan_folder(folder).files:
            digest.update(f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def _cache_slot(folder: Path, state_dir: Path | str | None) -> Path:
    """Where the index of ``folder`` is saved: one slot per knowledge folder."""
    cache_dir = (Path(state_dir) if state_dir else default_state_dir()) / "index"
    return cache_dir / hashlib.sha1(str(folder).encode()).hexdigest()[:12]


def _mark_state(state_dir: Path) -> None:
    try:
        mark_state_dir(state_dir)
    except OSError as exc:
        logger.warning("could not mark the state folder %s (%s)", state_dir, exc)


def _jsonable(value: Any) -> Any:
    return str(value)


BUILDING_PREFIX = ".building-"
# A build older than this is abandoned even if its pid is alive again (reused by another process).
ABANDONED_BUILD_SECONDS = 15 * 60


def remove_abandoned_builds(slot: Path) -> list[Path]:
    """Remove the half-built index folders in ``slot`` that a killed build left: those whose
    process is gone, or older than :data:`ABANDONED_BUILD_SECONDS`; returns what was removed."""
    removed = []
    try:
        candidates = [p for p in slot.iterdir() if p.name.startswith(BUILDING_PREFIX) and p.is_dir()]
    except OSError:
        return removed
    for path in candidates:
        pid = path.name[len(BUILDING_PREFIX) :].split("-", 1)[0]
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            continue
        if age < ABANDONED_BUILD_SECONDS and pid.isdigit() and _process_alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if removed:
        logger.info("removed %d abandoned index build(s) in %s", len(removed), slot)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _save_cached(kb: KnowledgeBase, slot: Path, fingerprint: str) -> None:
    """Write the index into a temporary folder, then rename it into place: a reader sees a whole
    cache or none. Older caches of the same folder are removed."""
    try:
        slot.mkdir(parents=True, exist_ok=True)
        # The builder's pid in the name tells a live build from one a killed process left behind.
        tmp = Path(tempfile.mkdtemp(prefix=f"{BUILDING_PREFIX}{os.getpid()}-", dir=slot))
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
            "bridge": kb.bridge.to_json(),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, default=_jsonable), encoding="utf-8")
        _put_in_place(tmp, slot, fingerprint)
    except OSError as exc:
        logger.warning("could not save the index in %s (%s); it will be rebuilt next start", slot, exc)


def _put_in_place(tmp: Path, slot: Path, fingerprint: str) -> None:
    """Rename the finished folder ``tmp`` to ``slot/fingerprint`` (kept when already there) and
    remove the older caches of the slot."""
    target = slot / fingerprint
    if target.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.replace(tmp, target)
    for old in slot.iterdir():
        if old.name != fingerprint and not old.name.startswith(BUILDING_PREFIX):
            shutil.rmtree(old, ignore_errors=True)


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
    bridge = Bridge.from_json(manifest["bridge"])
    return KnowledgeBase(docs, passages, index, errors, source=source, fingerprint=fingerprint, bridge=bridge)


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


# -- a saved index as one archive, for other processes ---------------------------------------------

# The files _save_cached writes, the only names an index archive may hold.
ARCHIVE_NAMES = frozenset({"manifest.json", "index/index.npz", "index/index.json"})


class IndexArchiveError(ValueError):
    """An index archive that cannot be used: not a zip file, unexpected names, or too large."""


def index_fingerprint(
    documents: Iterable[Document],
    *,
    settings: IndexSettings | None = None,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
    folders: Sequence[Path] = (),
) -> str:
    """Changes whenever what :meth:`KnowledgeBase.from_documents` would index changes: the
    documents' ids, titles, texts and metadata, the index settings, the cache version and the
    everyday-words table. A document's ``path`` below one of ``folders`` counts as its place there,
    so processes keeping the same files in other state folders agree."""
    roots = [Path(folder).resolve() for folder in folders]
    digest = hashlib.sha256(
        f"{CACHE_VERSION}|{chunk_chars}|{settings or IndexSettings()!r}|{Thesaurus.table_digest()}".encode()
    )
    portable: dict[str, str] = {}  # many documents share a file (a JSONL file's lines)
    for doc in dedupe(documents):
        meta = dict(doc.meta)
        if "path" in meta:
            raw = str(meta["path"])
            if raw not in portable:
                portable[raw] = _portable_path(raw, roots)
            meta["path"] = portable[raw]
        record = [doc.id, doc.title, doc.text, meta]
        digest.update(json.dumps(record, sort_keys=True, default=_jsonable).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def _portable_path(raw: str, roots: list[Path]) -> str:
    path = Path(raw).resolve()
    for number, root in enumerate(roots):
        if path.is_relative_to(root):
            return f"{number}:{path.relative_to(root).as_posix()}"
    return raw


def index_slot(folder: Path, state_dir: Path | str | None) -> Path:
    """The folder of the state folder where the index built from ``folder`` is saved."""
    return _cache_slot(folder, state_dir)


def save_index(kb: KnowledgeBase, slot: Path, fingerprint: str) -> None:
    """Save ``kb`` in ``slot`` under ``fingerprint`` (replacing the slot's older index); a folder
    that cannot be written is logged, not raised."""
    _save_cached(kb, slot, fingerprint)


def saved_index(slot: Path, fingerprint: str, source: Path | None = None) -> KnowledgeBase | None:
    """The knowledge base saved in ``slot`` under ``fingerprint``, or None when there is none or
    it is unusable (checked whole: version, fingerprint, index against passages; an unusable one
    is removed, so the next one saved takes its place)."""
    remove_abandoned_builds(slot)
    kb = _load_cached(slot / fingerprint, source or slot, fingerprint)
    if kb is None:
        shutil.rmtree(slot / fingerprint, ignore_errors=True)
    else:
        kb.source = source
    return kb


def pack_index(slot: Path, fingerprint: str) -> bytes:
    """The index saved in ``slot`` under ``fingerprint`` as one zip archive (its manifest and
    arrays; no pickle); OSError when it is not saved there."""
    folder = slot / fingerprint
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(ARCHIVE_NAMES):
            archive.write(folder / name, name)
    return buffer.getvalue()


def unpack_index(data: bytes, slot: Path, fingerprint: str, *, max_bytes: int) -> None:
    """Write the index archive ``data`` (from :func:`pack_index`) into ``slot`` under
    ``fingerprint``, for :func:`saved_index` to load and check. Raises :class:`IndexArchiveError`
    for an archive that is not a zip of exactly the saved index's files or that unpacks to more
    than ``max_bytes``, OSError when the slot cannot be written."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = [member.filename for member in members]
            if sorted(names) != sorted(ARCHIVE_NAMES):
                raise IndexArchiveError(f"unexpected files in the index archive: {', '.join(names[:5])}")
            too_large = f"the index archive unpacks to more than {max_bytes} bytes"
            if sum(member.file_size for member in members) > max_bytes:
                raise IndexArchiveError(too_large)
            slot.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f"{BUILDING_PREFIX}{os.getpid()}-", dir=slot))
            try:
                left = max_bytes
                for member in members:
                    target = tmp.joinpath(*member.filename.split("/"))  # names checked above
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(member) as source, target.open("wb") as out:
                        # Counted as read: the sizes an archive declares may lie.
                        while chunk := source.read(1024 * 1024):
                            left -= len(chunk)
                            if left < 0:
                                raise IndexArchiveError(too_large)
                            out.write(chunk)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise IndexArchiveError(f"the index archive is damaged ({exc})") from None
    _put_in_place(tmp, slot, fingerprint)
