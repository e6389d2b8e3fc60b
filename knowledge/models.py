"""The value types that cross module boundaries: documents, passages, hits and answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .notices import Notice, phrase

# C0 and C1 control characters but tab, line feed and carriage return; a terminal's escape sequence
# ("\x1b[1m") is one whole.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_CONTROL_TO_SPACE = {
    code: "\n" if code in (0x0B, 0x0C, 0x85) else " "
    for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))
}


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

    def __post_init__(self) -> None:
        # A control character (a page's form feed, a terminal's colour codes, a NUL from a PDF)
        # shows in Discord as a box or not at all: each becomes a space, or a line break where it
        # breaks a line, so every offset into the text (pages, anchors) still holds.
        for name in ("title", "text"):
            value = getattr(self, name)
            if _CONTROL.search(value):
                value = _ESCAPE_SEQUENCE.sub(lambda found: " " * len(found.group()), value)
                object.__setattr__(self, name, value.translate(_CONTROL_TO_SPACE))

    @property
    def meta(self) -> dict[str, Any]:
        """The front matter, empty when there is none."""
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
        """The web address to cite: ``url``, else the DOI as a link, else nothing."""
        meta = self.meta
        if meta.get("url"):
            return str(meta["url"])
        if meta.get("doi"):
            return f"https://doi.org/{meta['doi']}"
        return ""

    def link_at(self, offset: int) -> str:
        """The web address to cite for the text at ``offset``: :attr:`link`, with the anchor of
        the section there when the document has ``anchors`` (``[[offset, id], ...]``, reST pages
        published with a base URL)."""
        link = self.link
        anchor = ""
        for start, name in self.meta.get("anchors") or ():
            if start > offset:
                break
            anchor = name
        return f"{link}#{anchor}" if link and anchor else link


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
        """The hash of the passage's text, the last part of its id."""
        return self.id.rsplit("-", 1)[-1]

    @property
    def section_title(self) -> str:
        """The section path as shown: ``Heading › Subheading``."""
        return " › ".join(self.section)


def _same(text: str) -> str:
    return text


def format_citation(
    title: str,
    section: str = "",
    page: int | None = None,
    reference: str = "",
    link: str = "",
    *,
    escape: Callable[[str], str] = _same,
    show_link: Callable[[str], str] | None = None,
) -> str:
    """``Title › Section, p. N — reference (link)``: the one format wherever a source is shown.

    ``escape`` makes the text safe for where it is shown (Discord Markdown, say) and ``show_link``
    writes the link (default: escaped as text); plain text by default.
    """
    where = " › ".join(part for part in (title, section) if part)
    if page:
        where += f", p. {page}"
    out = escape(where)
    if reference and reference != title:
        out += f" — {escape(reference)}"
    if link:
        out += f" ({show_link(link) if show_link else escape(link)})"
    return out


LABEL_TOPIC_CHARS = 48
# A declined answer names this many of its closest passages (and Sources shows those).
CLOSEST_PASSAGES = 3
_YEAR = re.compile(r"\b(?:1[6-9]|20)\d{2}\b")
# Where the first author's name ends: a comma, semicolon, bracket, full stop or the next author.
_AUTHOR_END = re.compile(r"[,;(]|\.\s|\s+(?:and|&)\s+")
_INITIALS = re.compile(r"^[A-Z][A-Za-z]{0,2}\.?$")
_LONE_INITIAL = re.compile(r"^[A-Z]\.?$")


def cut_at_word(text: str, limit: int, placeholder: str = "…", *, trailing: str = " ") -> str:
    """``text`` cut at a word boundary (when one lies in its second half) to at most ``limit``
    characters with ``placeholder``, ``trailing`` characters stripped from the cut end."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(placeholder), 0)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(trailing) + placeholder


def short_text(text: str, limit: int, placeholder: str = "…") -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    return cut_at_word(" ".join(text.split()), limit, placeholder, trailing=" ,;:–—-")


def byline(reference: str) -> str:
    """``Guillen-Morales 2025``: the first author's surname and the year of a reference, as far as
    they can be read from it (``Surname AB, ...``, ``Surname, A. B. (2020)``, ``A. Surname and ...``,
    or an organisation's name)."""
    author = ""
    for part in _AUTHOR_END.split(reference.strip()):
        words = part.split()
        if not words or all(_LONE_INITIAL.match(w) for w in words):
            continue  # "J" of "J. Smith": the surname follows
        # "Guillen-Morales DdJ" → "Guillen-Morales"; "World Health Organization" stays whole.
        if len(words) > 1 and _INITIALS.match(words[-1]):
            words = words[:-1]
        author = " ".join(words[:3]).rstrip(".")
        break
    year = _YEAR.search(reference)
    return " ".join(part for part in (author, year.group(0) if year else "") if part)


def format_label(title: str, section: str = "", page: int | None = None, reference: str = "") -> str:
    """``Enteromammary immune system · Guillen-Morales 2025``: the short label a citation is shown
    with (the innermost section, else the shortened title; then the first author and year). The full
    reference is :func:`format_citation`."""
    topic = section.rsplit(" › ", 1)[-1].strip() if section else ""
    label = short_text(topic or title, LABEL_TOPIC_CHARS)
    if page:
        label += f", p. {page}"
    who = byline(reference) if reference and reference != title else ""
    return f"{label} · {who}" if who else label


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its score and what its citation is made of."""

    doc_id: str
    passage_id: str
    title: str
    section: str
    text: str
    score: float
    reference: str = ""
    link: str = ""
    page: int | None = None

    @property
    def citation(self) -> str:
        """The citation as plain text (see :func:`format_citation`)."""
        return self.cite()

    def cite(
        self, *, escape: Callable[[str], str] = _same, show_link: Callable[[str], str] | None = None
    ) -> str:
        """The citation, with ``escape`` and ``show_link`` as in :func:`format_citation`."""
        return format_citation(
            self.title,
            self.section,
            self.page,
            self.reference,
            self.link,
            escape=escape,
            show_link=show_link,
        )

    def label(self) -> str:
        """The short label the hit is cited with in answers (see :func:`format_label`)."""
        return format_label(self.title, self.section, self.page, self.reference)

    def to_dict(self) -> dict[str, Any]:
        """The hit as ``citebot ask --json`` prints it."""
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
    """One sentence of an answer, from the hit ranked ``source`` (1-based) among the answer's
    retrieved passages; :meth:`Answer.number` gives the ``[n]`` it is cited as.

    ``marks`` are ``(start, end)`` character spans of ``text`` that matched the question.
    """

    text: str
    source: int
    passage_id: str
    marks: tuple[tuple[int, int], ...] = ()

    def marked(
        self,
        before: str = "**",
        after: str = "**",
        escape: Callable[[str], str] = _same,
        code: Callable[[str], str] | None = None,
    ) -> str:
        """The sentence as an answer shows it: matched terms wrapped (Markdown bold by default) and
        the rest passed through ``escape``. Code (inline spans, fenced blocks) is never marked
        inside: it goes through ``code`` whole (default: ``escape``), so a renderer can keep it as
        code. Markdown syntax the renderer would show raw is left out: a link shows its text only
        (its target, ``index.md`` or ``#usage``, means nothing in a chat), and attribute lists
        and the delimiters of the document's own bold are dropped. A hard-wrapped line inside a
        paragraph is joined with a space, as Markdown reads it (code blocks keep their lines)."""
        from .code import code_spans
        from .wrapping import unwrap

        text, where = unwrap(self.text)
        own_marks = [(where[start], where[end]) for start, end in self.marks]
        show_code = code or escape
        code_parts = code_spans(text) if "`" in text or "~~~" in text else []
        hidden = _markup_syntax(text, code_parts) if any(c in text for c in "[{*_") else []
        parts = sorted([(s, e, True) for s, e in code_parts] + [(s, e, False) for s, e in hidden])
        # A word inside a web address is not marked: "https://**doi**.org/…" is no link any more.
        addresses = [m.span() for m in _WEB_ADDRESS.finditer(text)] if "://" in text else []
        marks: list[tuple[int, int]] = []
        for start, end in sorted(own_marks):
            if any(s < end and start < e for s, e, _ in parts) or any(
                s < end and start < e for s, e in addresses
            ):
                continue
            if marks and start <= marks[-1][1]:  # an identifier and its parts: one mark
                marks[-1] = (marks[-1][0], max(end, marks[-1][1]))
            else:
                marks.append((start, end))
        out: list[str] = []

        def prose(begin: int, stop: int) -> None:
            pos = begin
            for start, end in marks:
                if begin <= start and end <= stop:
                    out.append(escape(text[pos:start]))
                    out.append(before + escape(text[start:end]) + after)
                    pos = end
            out.append(escape(text[pos:stop]))

        pos = 0
        for start, end, is_code in parts:
            prose(pos, start)
            if is_code:
                out.append(show_code(text[start:end]))
            pos = end
        prose(pos, len(text))
        return "".join(out)


# Markdown syntax an answer does not show: a link's or image's brackets and target ([text](target),
# [text][ref], [text][]; the text may hold inline code), an attribute list ({: #id .class }), and
# the delimiters of the document's own bold (**text**, __text__): answers bold the matched words,
# and a document's bold shown as literal asterisks would look like a broken mark. Single-asterisk
# emphasis is left to the renderer's escaping.
_WEB_ADDRESS = re.compile(r"https?://[^\s<>]+")
_LINK = re.compile(r"(!?\[)([^\[\]\n]*)(\]\([^()\s]*(?:\s+\"[^\"\n]*\")?\)|\]\[[^\[\]\n]*\])")
_ATTRIBUTES = re.compile(r"[ \t]*\{:[^{}\n]*\}")
_STRONG = re.compile(r"(?<![\w*])(\*\*|__)(?=[^\s*_])[^\n]*?(?<=[^\s*_\\])(\1)(?![\w*])")


def _markup_syntax(text: str, code: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans of Markdown syntax in ``text`` outside ``code`` that an answer leaves out."""
    masked = list(text)
    for start, end in code:
        masked[start:end] = "x" * (end - start)
    plain = "".join(masked)
    spans = []
    if "[" in plain:
        for match in _LINK.finditer(plain):
            spans += [match.span(1), match.span(3)]
    if "{:" in plain:
        spans += [match.span() for match in _ATTRIBUTES.finditer(plain)]
    if "**" in plain or "__" in plain:
        for match in _STRONG.finditer(plain):
            spans += [match.span(1), match.span(2)]
    return sorted(spans)


@dataclass(frozen=True)
class CuratedReply:
    """A moderators' curated answer as it leads an :class:`Answer`: its number, question and
    Markdown text, and its sources as passages of the knowledge base that answered."""

    id: int
    question: str
    text: str
    hits: tuple[Hit, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "hits", tuple(self.hits))

    def to_summary(self) -> dict[str, Any]:
        """The curated part as ``citebot ask --json`` prints it."""
        return {"id": self.id, "question": self.question, "text": self.text}


@dataclass(frozen=True)
class Answer:
    """What the knowledge base says about a question, finished: nothing changes it afterwards.

    ``answered`` is False when the evidence is too weak: ``hits`` then holds the closest passages
    and ``sentences`` is empty. ``notices`` are remarks as data (:mod:`knowledge.notices`: a
    shortened question, a glossary rewrite, words not covered), phrased by the renderers.
    ``curated`` is the moderators' answer when one matches. ``kind`` says where the sentences come
    from: ``"passages"`` (quoted from the documents), ``"source"`` (a
    document's front matter: authors, year, journal, DOI, for a question about the source) or
    ``"summary"`` (the lead of a document's summary section, for a "tl;dr"). ``safety`` is the
    red-flag message (see :mod:`knowledge.safety`) when the question describes warning signs; it is
    shown before everything else.

    Sources are numbered once, by :meth:`sources`, as the reply shows them: the curated answer's
    first, then the passages the sentences quote, in order of first appearance, each once. Every
    renderer cites ``[n]`` as ``sources()[n - 1]``.
    """

    question: str
    answered: bool
    hits: tuple[Hit, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    notices: tuple[Notice, ...] = ()
    curated: CuratedReply | None = None
    confidence: float = 0.0
    kind: str = "passages"
    safety: str = ""

    def __post_init__(self) -> None:
        for name in ("hits", "sentences", "notices"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def served(self) -> bool:
        """Whether the member was given an answer: from the passages, or the moderators' curated
        one (as the Decider's verdict said, :attr:`knowledge.decider.Verdict.served`)."""
        return self.answered or self.curated is not None

    def sources(self) -> tuple[Hit, ...]:
        """Every source the reply shows, in ``[n]`` order: the curated answer's, then the passages
        the sentences quote, in the order the member reads them (a passage cited twice is one
        source, so ``[1]`` is always the first cited). A declined answer's are its
        ``CLOSEST_PASSAGES`` closest passages. ``/source n`` and the Sources pages show exactly
        these, so no number points at a passage the reply never showed."""
        if not self.served:
            return self.hits[:CLOSEST_PASSAGES]
        shown: dict[str, Hit] = {}
        for hit in self.curated.hits if self.curated is not None else ():
            shown.setdefault(hit.passage_id, hit)
        if self.answered:
            for sentence in self.sentences:
                hit = self._quoted(sentence)
                if hit is not None:
                    shown.setdefault(hit.passage_id, hit)
        return tuple(shown.values())

    def _quoted(self, sentence: Sentence) -> Hit | None:
        return self.hits[sentence.source - 1] if 0 < sentence.source <= len(self.hits) else None

    def number(self, sentence: Sentence) -> int:
        """The ``[n]`` a sentence of this answer cites (0 for a sentence of no retrieved passage)."""
        hit = self._quoted(sentence)
        ids = [source.passage_id for source in self.sources()]
        return ids.index(hit.passage_id) + 1 if hit is not None and hit.passage_id in ids else 0

    def curated_numbers(self) -> list[int]:
        """The ``[n]`` the moderators' answer cites: its sources, numbered first."""
        if self.curated is None:
            return []
        return list(range(1, len({hit.passage_id for hit in self.curated.hits}) + 1))

    def cited(self) -> list[tuple[int, Hit]]:
        """The numbered sources of an answer given (by the moderators or from the passages); none
        for a declined one (whose closest passages :meth:`sources` still lists)."""
        if not self.served:
            return []
        return list(enumerate(self.sources(), start=1))

    def to_dict(self) -> dict[str, Any]:
        """The answer as ``citebot ask --json`` prints it."""
        curated = self.curated.to_summary() if self.curated is not None else None
        return {
            "question": self.question,
            "answered": self.answered,
            "curated": curated,
            "sentences": [s.marked() for s in self.sentences],
            # The [n] each sentence cites, and the sources so numbered (as the reply shows them).
            "cites": [self.number(s) for s in self.sentences],
            "sources": [{"n": n, **hit.to_dict()} for n, hit in enumerate(self.sources(), start=1)],
            "passages": [hit.to_dict() for hit in self.hits],
            "notices": ([self.safety] if self.safety else []) + [phrase(n) for n in self.notices],
            "notice_codes": [str(n.code) for n in self.notices],
            "red_flag": bool(self.safety),
            "kind": self.kind,
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
