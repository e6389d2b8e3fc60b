"""Markdown (``.md``, ``.markdown``) with YAML or MultiMarkdown front matter; MyST's roles,
directives and substitutions are read by :mod:`knowledge.myst`. Plain text (:mod:`.plain_text`)
is read the same way, without the Markdown extras."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ..admonitions import admonition_depth
from ..folder_settings import crawled_url, folder_settings
from ..models import Document, LoadError
from ..myst import read_markdown
from .base import DocumentError, Read, Reader, SourceFile, first_h1, title_from_stem
from .front_matter import FRONT_MATTER, key_value_head, split_front_matter

# Unfolding copies a box's body once per level; real pages put a box in a box, rarely deeper.
MAX_ADMONITION_DEPTH = 8
# A title underlined (and maybe overlined) with a run of "=" opening the text: "Guide\n=====".
_UNDERLINED_TITLE = re.compile(r"\A\s*(?:=+[ \t]*\n)?[ \t]*([^\s=][^\n]*?)[ \t]*\n={3,}[ \t]*(?:\n|\Z)")


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
        title = underlined.group(1) if underlined else first_h1(body)
    meta.update(path=str(path), format=fmt)
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
    url = crawled_url(file.path, folder_settings(file.path.parent, file.folder))
    if url and not doc.meta.get("url"):
        doc = replace(doc, metadata={**doc.meta, "url": url})
    return [doc], errors


READER = Reader("markdown", (".md", ".markdown"), lambda file: read_text_file(file, "markdown"))
