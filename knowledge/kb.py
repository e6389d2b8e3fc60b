"""The knowledge base: documents, their passages and the index over them, cached in the state folder."""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .chunking import DEFAULT_CHUNK_CHARS, chunk_document, is_reference_list
from .compounds import hyphenated_compounds, spell_compounds
from .documents import ProgressCallback, dedupe, load_folder
from .glossary import DocumentGlossary
from .index import IndexSettings, SparseIndex
from .models import Document, Hit, LoadError, Passage
from .saved_index import (  # the saved index's public names, re-exported for their callers
    CACHE_VERSION,
    IndexArchiveError,
    Saved,
    cache_slot,
    check_saved_index,
    default_state_dir,
    folder_fingerprint,
    index_fingerprint,
    index_slot,
    load_saved,
    mark_state,
    pack_index,
    remove_abandoned_builds,
    save,
    unpack_index,
)
from .symbols import asked_symbols, quoting_rows
from .text import STOP_WORDS, stem, tokens
from .thesaurus import Bridge, Thesaurus

if TYPE_CHECKING:
    from .interfaces import MeaningChannel

logger = logging.getLogger(__name__)

__all__ = [
    "CACHE_VERSION",
    "CORPUS_DIR",
    "IndexArchiveError",
    "KnowledgeBase",
    "Topic",
    "check_saved_index",
    "default_state_dir",
    "folder_fingerprint",
    "index_fingerprint",
    "index_slot",
    "pack_index",
    "save_index",
    "saved_index",
    "unpack_index",
]

CORPUS_DIR = Path(__file__).with_name("corpus")
# The credit of a question word that, as written, is a term of the index although its own stem is not.
SAME_WORD_CREDIT = 0.95
# How much a term reached through the everyday-words bridge counts in retrieval, times its credit:
# chosen on the tune half of tests/knowledge/everyday_questions.yaml (bench/everyday_eval.py).
EXPANSION_WEIGHT = 0.5


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
    """Documents split into passages and indexed: the corpus and its lookups. Build with
    :meth:`from_folder`, :meth:`from_documents` or :meth:`default`; search it with
    :func:`knowledge.retriever.search`. Answers come from :class:`knowledge.assistant.Assistant`."""

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
        self._compounds: Mapping[str, str] | None = None  # "metadata" -> "meta-data", made on first use
        self._symbols: dict[str, np.ndarray] | None = None  # "{{" -> rows quoting "`{{`", made on first use
        self.passages = passages
        self.index = index
        self.errors = list(errors or [])
        self.source = source
        self.fingerprint = fingerprint
        self._by_id = {p.id: i for i, p in enumerate(passages)}
        doc_order = {doc_id: i for i, doc_id in enumerate(self.documents)}
        # Each row's document (an index into ``doc_ids``), for scoring whole documents.
        self.row_doc = np.fromiter(
            (doc_order[p.doc_id] for p in passages), dtype=np.int64, count=len(passages)
        )
        self.doc_ids = list(self.documents)
        # Reference lists (knowledge.chunking.passage_kind) are searched only for source questions.
        self.references = np.fromiter(
            (is_reference_list(p.section) for p in passages), dtype=bool, count=len(passages)
        )
        self.has_references = bool(self.references.any())
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
        over: KnowledgeBase | None = None,
    ) -> KnowledgeBase:
        """Split ``documents`` into passages and index them (duplicates are dropped). ``over``: the
        knowledge base they will be searched together with (one server's uploads over the shared
        base, :mod:`knowledge.overlay`): they are weighted with the statistics of both, and in
        ``over``'s settings."""
        docs = dedupe(documents)
        if over is not None:
            settings = over.index.settings
        by_id = {doc.id: doc for doc in docs}
        passages = [p for doc in docs for p in chunk_document(doc, chunk_chars)]
        index = SparseIndex(settings).fit(
            [_index_text(by_id[p.doc_id], p) for p in passages],
            # The heading path as a field of its own (IndexSettings.heading_weight); the title is
            # left out: it names the whole document, and a field every passage of a document
            # shares tells its passages apart no better than the text does.
            [" ".join(p.section) for p in passages],
            over=over.index if over is not None else None,
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
        slot = cache_slot(folder, state_dir)
        if cache:
            mark_state(slot.parent.parent)  # before the walk: a state folder inside is left out
        fingerprint = folder_fingerprint(folder, settings, chunk_chars)
        if cache:
            remove_abandoned_builds(slot)
            saved = load_saved(slot / fingerprint, folder, fingerprint)
            if saved is not None:
                return cls._of(saved)
        docs, errors = load_folder(folder, on_progress=on_progress)
        if folder.is_dir() and not docs and not errors:
            errors.append(LoadError(str(folder), "the knowledge folder has no documents"))
        kb = cls.from_documents(docs, settings=settings, chunk_chars=chunk_chars, errors=errors)
        kb.source, kb.fingerprint = folder, fingerprint
        if cache:
            save(kb, slot, fingerprint)
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
    def _of(cls, saved: Saved) -> KnowledgeBase:
        return cls(
            saved.documents, saved.passages, saved.index, saved.errors, source=saved.source,
            fingerprint=saved.fingerprint, bridge=saved.bridge,
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

    def row_of(self, passage_id: str) -> int | None:
        """The index row of the passage with that id, or None."""
        return self._by_id.get(passage_id)

    def hit(self, passage_id: str) -> Hit | None:
        """The passage with that id as a citable hit (score 0), or None."""
        row = self._by_id.get(passage_id)
        return self.hit_at(row, 0.0) if row is not None else None

    def hit_at(self, row: int, score: float) -> Hit:
        """The passage of row ``row`` as a hit scored ``score``."""
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
        vocabulary = self.index.vocabulary_
        return spell_compounds(text, self.compounds(), lambda w: w in vocabulary or stem(w) in vocabulary)

    def compounds(self) -> Mapping[str, str]:
        """Joined words the documents write hyphenated ("metadata" -> "meta-data"), made on first use."""
        if self._compounds is None:
            texts = [*(d.title for d in self.documents.values()), *(p.text for p in self.passages)]
            texts += {heading for p in self.passages for heading in p.section}
            self._compounds = hyphenated_compounds(texts)
        return self._compounds

    def asked_symbols(self, question: str) -> list[str]:
        """The syntax symbols ``question`` names standing alone ("a literal {{ in my template") that
        the documents quote as code of their own (`` `{{` ``)."""
        return asked_symbols(question, self.quoting()) if self.quoting() else []

    def quoting(self) -> dict[str, np.ndarray]:
        """Each syntax symbol the documents quote as code of its own, and the rows quoting it."""
        if self._symbols is None:
            rows = quoting_rows(p.text for p in self.passages)
            self._symbols = {symbol: np.array(found, dtype=np.int64) for symbol, found in rows.items()}
        return self._symbols

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


def save_index(kb: KnowledgeBase, slot: Path, fingerprint: str) -> None:
    """Save ``kb`` in ``slot`` under ``fingerprint`` (replacing the slot's older index); a folder
    that cannot be written is logged, not raised."""
    save(kb, slot, fingerprint)


def saved_index(slot: Path, fingerprint: str, source: Path | None = None) -> KnowledgeBase | None:
    """The knowledge base saved in ``slot`` under ``fingerprint``, or None when there is none or
    it is unusable (checked whole: version, fingerprint, index against passages; an unusable one
    is removed, so the next one saved takes its place)."""
    remove_abandoned_builds(slot)
    saved = load_saved(slot / fingerprint, source or slot, fingerprint)
    if saved is None:
        shutil.rmtree(slot / fingerprint, ignore_errors=True)
        return None
    kb = KnowledgeBase._of(saved)
    kb.source = source
    return kb
