"""Splitting documents into passages: heading-aware, on sentence boundaries, with stable ids."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator, Sequence

from .code import code_spans, fenced_blocks, inside
from .models import Document, Passage
from .text import normalize

# The kinds of passage. A reference list names other works: it is where a document cites, not what
# it says, so it is searched only for questions about the sources (knowledge/source_questions.py)
# and is never the evidence for, or the closest passage to, a question about the content.
CONTENT, REFERENCES = "content", "references"
# The headings a reference list stands under, in Markdown, HTML, plain text and reST/Sphinx (a
# section, or a ``.. rubric::`` such as "Footnotes", which knowledge/rst.py makes a heading).
_REFERENCE_HEADING = re.compile(
    r"^(?:selected |further |cited |key |list of )?"
    r"(?:references|bibliography|works cited|literature cited|cited literature|citations|further reading"
    r"|sources|footnotes|notes and references|references and notes|reference list)$",
    re.IGNORECASE,
)


def passage_kind(section: Sequence[str]) -> str:
    """:data:`REFERENCES` for a passage under a reference-list heading ("References", "Selected
    references", "Bibliography", "Works cited", "Footnotes"...), else :data:`CONTENT`."""
    return REFERENCES if section and _REFERENCE_HEADING.match(section[-1].strip().rstrip(":")) else CONTENT


def is_reference_list(section: Sequence[str]) -> bool:
    """True for a passage of the :data:`REFERENCES` kind."""
    return passage_kind(section) == REFERENCES


# Target passage length in characters, a trade-off measured both ways. Retrieval (bench/variants.py,
# SciFact train, a document scored as its best passage) gains a little from longer passages:
# +0.011 nDCG@10 at 1,200 characters, +0.014 at 1,500, with SciFact test unchanged (0.683-0.686).
# Citations lose from them: a passage is what Sources shows and what a curated answer links to,
# and at 800 characters each section of the built-in article is one passage while a long one is
# cut in two, so a citation points at a section's worth of text, not a page.
DEFAULT_CHUNK_CHARS = 800

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^(```|~~~)")
# A Setext heading's underline: "Title\n=====" is level 1, "Title\n-----" level 2.
# A heading's attribute list (Python-Markdown, MkDocs, Pandoc): "Install {: #git }", "Setup {#setup}".
HEADING_ATTRS = re.compile(r"\s*\{:?\s*[#.][^{}]*\}\s*$|\s*\{:[^{}]*\}\s*$")
_UNDERLINE = re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$")
# In plain text a run of three or more of one punctuation character under a line underlines it
# (reST style; a shorter run is more likely a dash).
_TEXT_UNDERLINE = re.compile(r"^[ \t]{0,3}(([=\-~*^+#_:\"])\2{2,})[ \t]*$")
_NOT_SETEXT_TEXT = re.compile(r"^\s*(?:[-*+>|]|\d+[.)]|#|```|~~~|<)|^\s{4}")
# An FAQ entry's question on a line of its own, bold or after "Q:": a heading for the answer below
# it, so the question counts for matching but is never quoted back as the answer.
_QUESTION_LINE = re.compile(
    r"^[ \t]*(?:\*\*|__)(?P<bold>[^*_\s][^\n]*?\?)(?:\*\*|__)[ \t]*$"
    r"|^[ \t]*(?:Q|Question)[ \t]*[:.][ \t]*(?P<plain>\S[^\n]*\?)[ \t]*$",
    re.I,
)

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and a capital, digit,
# quote or bullet; or at a blank line / list item. Abbreviations that end in a dot do not end one.
_SENTENCE_END = re.compile(
    r"""[.!?][)"'’”\]]*(?=\s+[\-•*"'“‘(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)"""
)
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "et al",
    "etc",
    "fig",
    "figs",
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "vs",
    "no",
    "approx",
    "ca",
    "st",
    "jr",
    "sr",
    "vol",
    "p",
    "pp",
    "ref",
    "eq",
    "resp",
}


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text[start:end]``, whitespace trimmed.

    A rule-based splitter: statistical ones (pysbd, punkt) are slower by orders of magnitude at
    indexing time and need data downloads; these rules cover scientific and help-desk prose.
    Code is never split: a fenced block is one "sentence" of its own, and nothing inside an inline
    code span ends a sentence.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for block_start, block_end in [*fenced_blocks(text, start, end), (end, end)]:
        _prose_spans(text, pos, block_start, spans)
        _append_trimmed(text, block_start, block_end, spans)
        pos = block_end
    return spans


def _prose_spans(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    code = code_spans(text, start, end) if "`" in text[start:end] else []
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if code and inside(code, match.start(), match.end()):
            continue
        stop = match.end() if match.group().strip() else match.start()
        if text[match.start()] == ".":
            word = re.search(r"([A-Za-z][A-Za-z. ]{0,5})$", text[max(pos, match.start() - 8) : match.start()])
            if word and (
                word.group(1).lower().strip() in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", word.group(1))
            ):
                continue
        _append_trimmed(text, pos, stop, spans)
        pos = match.end()
    _append_trimmed(text, pos, end, spans)


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


# A heading's emphasis ("## What *attrs* Is Not"): the words are the heading; the asterisks would
# show as such wherever it is cited (a citation is plain text, escaped for Discord).
_EMPHASIS = re.compile(r"(?<![\w*\\])(\*{1,3})(?=[^\s*])([^*\n]*?[^\s*\\])\1(?![\w*])")


def plain_heading(heading: str) -> str:
    """``heading`` without the asterisks of its emphasis, its code as written."""
    pieces, position = [], 0
    for start, end in [*code_spans(heading), (len(heading), len(heading))]:
        pieces += [_EMPHASIS.sub(r"\2", heading[position:start]), heading[start:end]]
        position = end
    return "".join(pieces)


def sections(doc: Document) -> Iterator[tuple[tuple[str, ...], int, int]]:
    """(section path, body start, body end) for each stretch of text under one heading.

    A top-level heading that repeats the document title is not part of the path, so a citation
    reads "Title › Section" rather than "Title › Title › Section". An FAQ question on a line of
    its own (``**How do I...?**``, ``Q: ...?``) heads the answer under it, one level below the
    heading it is in. Plain text has headings too: ``#`` lines, and lines underlined with a run of
    one punctuation character (levels in the order the characters first appear, as in reST).
    """
    text = doc.text
    fmt = doc.meta.get("format", "markdown")
    markdown = fmt in {"markdown", "html", "rst", "text"}
    underlines = _TEXT_UNDERLINE if fmt == "text" else _UNDERLINE
    adornments: list[str] = ["=", "-"] if fmt != "text" else []
    path: list[tuple[int, str]] = []
    body_start = 0
    offset = 0
    in_fence = ""
    question_level: int | None = None
    title_key = normalize(doc.title).strip()
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        stripped = line.rstrip("\r\n")
        heading = _HEADING.match(stripped) if markdown and not in_fence else None
        setext = _setext_level(lines, number, underlines) if markdown and not in_fence and not heading else ""
        fence = _FENCE.match(stripped) if markdown and setext != "underline" else None  # "~~~" may underline
        if fence and (not in_fence or fence.group(1) == in_fence):
            in_fence = "" if in_fence else fence.group(1)  # a block closes with the fence it opened with
            heading, setext = None, ""
        plain = markdown and not in_fence and not heading and not setext
        question = _QUESTION_LINE.match(stripped) if plain else None
        if setext == "underline":  # the underline of the heading just above
            body_start = offset + len(line)
        elif heading or setext or question:
            yield tuple(name for _, name in path), body_start, offset
            if heading or setext:
                if setext and setext not in adornments:
                    adornments.append(setext)
                level = len(heading.group(1)) if heading else adornments.index(setext) + 1
                written = heading.group(2) if heading else stripped
                name = plain_heading(HEADING_ATTRS.sub("", written).strip())
                question_level = None
            else:
                name = (question.group("bold") or question.group("plain")).strip()
                if question_level is None:
                    question_level = path[-1][0] + 1 if path else 1
                level = question_level
            path = [(lvl, n) for lvl, n in path if lvl < level]
            if not (level == 1 and normalize(name).strip() == title_key):
                path.append((level, name))
            body_start = offset + len(line)
        offset += len(line)
    yield tuple(name for _, name in path), body_start, len(text)


def _setext_level(lines: list[str], number: int, underlines: re.Pattern[str]) -> str:
    """The underline character when ``lines[number]`` is a one-line paragraph underlined by the
    next line (a Setext heading), ``"underline"`` when it is such an underline, else ``""``. A
    ``---`` after a blank line is a rule, not an underline."""
    below = lines[number + 1].rstrip("\r\n") if number + 1 < len(lines) else ""
    if below:
        underline = underlines.match(below)
        if underline and _setext_text(lines, number):
            return underline.group(1)[0]
    underline = underlines.match(lines[number].rstrip("\r\n"))
    if underline and number > 0 and _setext_text(lines, number - 1):
        return "underline"
    return ""


def _setext_text(lines: list[str], number: int) -> bool:
    line = lines[number].strip()
    above = lines[number - 1].strip() if number > 0 else ""
    return bool(line) and not above and not _NOT_SETEXT_TEXT.match(lines[number]) and len(line) <= 200


def _slug(section: tuple[str, ...]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", normalize(section[-1]) if section else "intro").strip("-")
    return slug[:40].strip("-") or "section"


def passage_id(doc_id: str, section: tuple[str, ...], text: str, occurrence: int = 0) -> str:
    """``doc#section-slug-hash``: the hash covers the whitespace-normalised text (and which repeat
    of identical text it is), so an unchanged passage keeps its id whatever changes around it."""
    key = " ".join(text.split()) + (f"\x00{occurrence}" if occurrence else "")
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
    return f"{doc_id}#{_slug(section)}-{digest}"


def _pack(spans: list[tuple[int, int]], target: int, text: str = "") -> Iterator[tuple[int, int]]:
    """Greedily group consecutive sentences into chunks of about ``target`` characters; a short
    tail joins the chunk before it rather than standing alone. A sentence that introduces what
    follows ("Install it with:", "will render:") starts a new chunk when what it introduces does
    not fit in the current one, so the two are quoted and cited together."""
    groups: list[list[tuple[int, int]]] = []
    for number, span in enumerate(spans):
        fits = bool(groups) and span[1] - groups[-1][0][0] <= target
        if fits and number + 1 < len(spans) and _introduces(text, span):
            fits = spans[number + 1][1] - groups[-1][0][0] <= target
        if fits:
            groups[-1].append(span)
        else:
            groups.append([span])
    # ...unless the chunk before is a long example already: a last sentence glued to it would be
    # searched as a small part of the code's words.
    if (
        len(groups) > 1
        and groups[-1][-1][1] - groups[-1][0][0] < target // 3
        and groups[-1][-1][1] - groups[-2][0][0] <= 2 * target
    ):
        tail = groups.pop()
        groups[-1].extend(tail)
    for group in groups:
        yield group[0][0], group[-1][1]


def _introduces(text: str, span: tuple[int, int]) -> bool:
    """Whether the sentence at ``span`` ends in a colon: it introduces a list or code below it."""
    return text[span[0] : span[1]].endswith(":")


def _split_long(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """A 'sentence' longer than twice the target (a table, a run-on list) is cut at spaces; a code
    block is cut at line ends instead, so no line of code is broken, and only past twice that
    ``limit``: a piece of an example shown alone loses its fences (an example of 1,600 to 3,200
    characters is quoted whole, cut at a line end where it is shown)."""
    code = text.startswith(("```", "~~~"), start)
    gap = "\n" if code else " "
    limit = 2 * limit if code else limit
    # A code block's closing fence goes with its last lines of code: a piece holding the fence
    # alone would open a block of its own where it is shown, and the prose after it would be code.
    last_line = text.rfind("\n", start, end) if code else -1
    fence = text[last_line:end].strip() if last_line > start else ""
    body_end = last_line if fence and not fence.strip("`~") else end
    while body_end - start > limit:
        cut = text.rfind(gap, start + limit // 2, start + limit)
        cut = cut if cut > start else start + limit
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():  # a hard cut just after a space
            piece_end -= 1
        yield start, piece_end
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end


def chunk_document(doc: Document, target_chars: int = DEFAULT_CHUNK_CHARS) -> list[Passage]:
    """The passages of ``doc`` in reading order."""
    text = doc.text
    pages = doc.meta.get("pages") or []
    page_starts = [offset for _, offset in pages]
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for section, start, end in sections(doc):
        spans = [
            piece
            for s, e in sentence_spans(text, start, end)
            for piece in (_split_long(text, s, e, 2 * target_chars) if e - s > 2 * target_chars else [(s, e)])
        ]
        for chunk_start, chunk_end in _pack(spans, target_chars, text):
            body = text[chunk_start:chunk_end]
            key = " ".join(body.split())
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            page = pages[bisect.bisect_right(page_starts, chunk_start) - 1][0] if pages else None
            passages.append(
                Passage(
                    id=passage_id(doc.id, section, body, occurrence),
                    doc_id=doc.id,
                    section=section,
                    text=body,
                    start=chunk_start,
                    end=chunk_end,
                    page=page,
                )
            )
    return passages
