"""Markdown (``.md``, ``.markdown``) with YAML or MultiMarkdown front matter; MyST's roles,
directives and substitutions are read by :mod:`knowledge.myst`. Plain text (:mod:`.plain_text`)
is read the same way, without the Markdown extras."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..admonitions import admonition_depth
from ..chunking import HEADING_ATTRS, plain_heading
from ..code import fenced_blocks
from ..folder_settings import crawled_url, folder_settings, page_url
from ..models import Document, LoadError
from ..myst import read_markdown
from .base import DocumentError, Read, Reader, SourceFile, first_h1, title_from_stem
from .front_matter import FRONT_MATTER, key_value_head, split_front_matter

# Unfolding copies a box's body once per level; real pages put a box in a box, rarely deeper.
MAX_ADMONITION_DEPTH = 8
# A title underlined (and maybe overlined) with a run of "=" opening the text: "Guide\n=====".
_UNDERLINED_TITLE = re.compile(r"\A\s*(?:=+[ \t]*\n)?[ \t]*([^\s=][^\n]*?)[ \t]*\n={3,}[ \t]*(?:\n|\Z)")
# A MyST block of reST, which /lookup reads for the API objects it documents (knowledge.api_objects).
_EVAL_RST = re.compile(r"^[ \t]*(?:`{3,}|:{3,})\{eval-re?st\}", re.M)
EVAL_RST = "eval_rst"
# A "#" heading, and the id a heading may set for itself ("## Reading files {#files}").
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
_HEADING_ID = re.compile(r"\s*\{:?\s*#([\w.:-]+)[^{}]*\}\s*$")
_LINK_TEXT = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def parse_text(text: str, path: Path, doc_id: str, fmt: str) -> Document:
    """Markdown or plain text with optional front matter (YAML between ``---`` lines, or
    MultiMarkdown ``Title: ...`` lines opening a Markdown file)."""
    if fmt == "markdown" and (depth := admonition_depth(text)) > MAX_ADMONITION_DEPTH:
        raise DocumentError(
            path, f"admonition boxes are nested {depth:,} levels deep; the limit is {MAX_ADMONITION_DEPTH}"
        )
    meta, body, _ = split_front_matter(text, path)
    if not meta and fmt == "markdown":
        meta, body = key_value_head(body)
    if fmt == "markdown":  # before the title is taken: a MyST heading's roles show as their text
        body = read_markdown(body, meta, path)
    title = meta.get("title")
    if not title:
        underlined = _UNDERLINED_TITLE.match(body)
        title = plain_heading(underlined.group(1)) if underlined else first_h1(body)
    meta.update(path=str(path), format=fmt)
    if fmt == "markdown" and _EVAL_RST.search(text):
        meta[EVAL_RST] = True  # its reST may document API objects (bare autodoc writes no text)
    return Document(doc_id, str(title or title_from_stem(path)), body, meta)


def _parse_text_file(text: str, path: Path, doc_id: str, fmt: str) -> tuple[Document, list[LoadError]]:
    """Markdown or plain text; front matter that cannot be used costs the metadata, not the body:
    the body loads (title from its first heading or the file name) and the problem is returned."""
    try:
        return parse_text(text, path, doc_id, fmt), []
    except DocumentError as exc:  # only the front matter can be refused
        body = FRONT_MATTER.sub("", text, count=1)
        if not body.strip():
            raise  # nothing else in the file: the front matter problem is the whole story
        error = LoadError(str(path), f"{exc.error.message}; loaded without its metadata", exc.error.line)
        return parse_text(body, path, doc_id, fmt), [error]


def read_text_file(file: SourceFile, fmt: str) -> Read:
    """A Markdown or text file: from a folder, linked to the address it was crawled from; an upload
    with front matter that cannot be used is refused."""
    if file.folder is None:
        return [file.noted(parse_text(file.text, file.path, file.doc_id, fmt))], []
    doc, errors = _parse_text_file(file.text, file.path, file.doc_id, fmt)
    doc = file.noted(doc)
    settings = folder_settings(file.path.parent, file.folder)
    url = crawled_url(file.path, settings)
    if url and not doc.meta.get("url"):
        doc = replace(doc, metadata={**doc.meta, "url": url})
    elif not doc.meta.get("url") and _sphinx_project(settings) and (page := page_url(file.path, settings)):
        # A Sphinx project's Markdown (MyST) pages are published as its reST pages are.
        doc = replace(doc, metadata={**doc.meta, "url": page, "anchors": heading_anchors(doc.text)})
    return [doc], errors


def _sphinx_project(settings: dict[str, Any]) -> bool:
    """Whether the folder the settings name is a Sphinx project (its ``conf.py`` beside them): only
    there is a Markdown page known to be published at ``base_url + page.html``; MkDocs and others
    publish elsewhere."""
    folder = settings.get("folder")
    return folder is not None and (Path(folder) / "conf.py").is_file()


def heading_anchors(text: str) -> list[list[Any]]:
    """``[[offset, id], ...]`` of the ``#`` headings of a Sphinx Markdown page, as
    :meth:`~knowledge.models.Document.link_at` reads them: the id a heading sets itself, else the one
    docutils makes of its text; the page's title, and a heading named as an earlier one (docutils
    numbers those), link to the page."""
    from docutils.nodes import make_id  # docutils is loaded for a Sphinx project's pages only

    anchors: list[list[Any]] = []
    seen: set[str] = set()
    position = 0
    for start, end in [*fenced_blocks(text), (len(text), len(text))]:
        for heading in _HEADING.finditer(text, position, start):
            own = _HEADING_ID.search(heading.group(2))
            words = _LINK_TEXT.sub(r"\1", HEADING_ATTRS.sub("", heading.group(2)))
            anchor = own.group(1) if own else make_id(words) if len(heading.group(1)) > 1 else ""
            anchor = "" if anchor in seen else anchor
            seen.add(anchor)
            anchors.append([heading.start(), anchor])
        position = end
    return anchors


READER = Reader("markdown", (".md", ".markdown"), lambda file: read_text_file(file, "markdown"))
