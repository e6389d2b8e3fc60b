"""The value types that cross module boundaries: documents, passages, hits and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One source document: an article, a page, a PDF, one line of a BEIR JSONL file.

    ``metadata`` carries the front matter (``authors``, ``year``, ``source``, ``url``, ``doi``,
    ``license``, ``tags``), ``path`` for files and ``pages`` (``[(page_number, start_offset), ...]``)
    for PDFs so citations can name a page.
    """

    id: str
    title: str
    text: str
    metadata: dict[str, Any] | None = None

    @property
    def meta(self) -> dict[str, Any]:
        return self.metadata or {}

    @property
    def reference(self) -> str:
        """The bibliographic reference to show in citations, if the document has one."""
        meta = self.meta
        if meta.get("source"):
            return str(meta["source"])
        parts = []
        if meta.get("authors"):
            authors = meta["authors"]
            parts.append(", ".join(authors) if isinstance(authors, list) else str(authors))
        if meta.get("year"):
            parts.append(f"({meta['year']})")
        return " ".join(parts)

    @property
    def link(self) -> str:
        meta = self.meta
        if meta.get("url"):
            return str(meta["url"])
        if meta.get("doi"):
            return f"https://doi.org/{meta['doi']}"
        return ""


@dataclass(frozen=True)
class Passage:
    """A chunk of a document: the unit that is indexed, retrieved and cited.

    ``id`` is ``<doc_id>#<section slug>-<content hash>``: it stays the same while the passage's
    text is unchanged, whatever else in the knowledge base changes. ``start``/``end`` are
    character offsets into the document's text.
    """

    id: str
    doc_id: str
    section: tuple[str, ...]
    text: str
    start: int
    end: int
    page: int | None = None

    @property
    def content_hash(self) -> str:
        return self.id.rsplit("-", 1)[-1]

    @property
    def section_title(self) -> str:
        return " › ".join(self.section)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its score and a ready-to-show citation."""

    doc_id: str
    passage_id: str
    title: str
    section: str
    text: str
    score: float
    citation: str
    reference: str = ""
    link: str = ""
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "passage_id": self.passage_id,
            "title": self.title,
            "section": self.section,
            "text": self.text,
            "score": round(self.score, 4),
            "citation": self.citation,
        }


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer, from the hit numbered ``source`` (1-based, as cited).

    ``marks`` are ``(start, end)`` character spans of ``text`` that matched the question.
    """

    text: str
    source: int
    passage_id: str
    marks: tuple[tuple[int, int], ...] = ()

    def marked(self, before: str = "**", after: str = "**", escape=lambda s: s) -> str:
        """The sentence with matched terms wrapped (Markdown bold by default)."""
        out, pos = [], 0
        for start, end in self.marks:
            out.append(escape(self.text[pos:start]))
            out.append(before + escape(self.text[start:end]) + after)
            pos = end
        out.append(escape(self.text[pos:]))
        return "".join(out)


@dataclass
class Answer:
    """What the knowledge base says about a question.

    ``answered`` is False when the evidence is too weak: ``hits`` then holds the closest passages
    and ``sentences`` is empty. ``notices`` are short user-facing remarks (a shortened question).
    ``curated`` is filled by the curation layer when a moderator's answer matches.
    """

    question: str
    answered: bool
    hits: list[Hit] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    curated: Any = None
    confidence: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        curated = self.curated.to_summary() if self.curated is not None else None
        return {
            "question": self.question,
            "answered": self.answered,
            "curated": curated,
            "sentences": [s.marked() for s in self.sentences],
            "passages": [hit.to_dict() for hit in self.hits],
            "notices": list(self.notices),
        }


@dataclass(frozen=True)
class LoadError:
    """A problem found while loading documents: the file, the line when known, and what is wrong."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"
