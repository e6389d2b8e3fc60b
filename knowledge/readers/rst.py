"""reStructuredText (``.rst``, ``.rest``; Sphinx docs) through docutils (:mod:`knowledge.rst`).
With a ``base_url`` in the folder's settings, each page links to where it is published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..folder_settings import folder_settings, page_url
from ..models import Document
from ..nesting import rst_depth
from .base import DocumentError, Read, Reader, SourceFile, title_from_stem

# docutils copies an indented block's lines at every level and fails past about 100 levels anyway
# (a 1.9 MB file takes 73 MB flat, 125 MB 10 levels deep, 236 MB 40 deep); of 327 real reST files
# none nested past 12, most of them code indented in literal blocks.
MAX_RST_DEPTH = 24


def parse_rst(text: str, path: Path, doc_id: str, base_url: str = "") -> Document:
    """reStructuredText (Sphinx docs) through docutils: sections become headings, roles their text,
    literal blocks code. With ``base_url`` the document links to its published page and each
    section to its anchor there."""
    from ..rst import rst_to_text

    # Before docutils, whose work grows with depth times size; the scan stops past the limit.
    if rst_depth(text, MAX_RST_DEPTH) > MAX_RST_DEPTH:
        raise DocumentError(
            path,
            f"the reStructuredText is nested more than {MAX_RST_DEPTH} levels deep (indented blocks, "
            f"lists, directives); the limit is {MAX_RST_DEPTH}",
        )
    try:
        parsed = rst_to_text(text, str(path))
    except Exception as exc:
        # docutils reports markup problems as messages (silenced); what still raises is a bug in
        # a directive or a pathological input, and must fail this one file only.
        problem = f"{exc.__class__.__name__}: {exc}"
        raise DocumentError(path, f"not readable reStructuredText ({problem})") from None
    meta: dict[str, Any] = {"path": str(path), "format": "rst", "objects": parsed.objects}
    if parsed.problems:
        meta["problems"] = list(parsed.problems)
    if base_url:
        meta["url"] = base_url
        meta["anchors"] = [anchor for anchor in parsed.anchors if anchor[1]]
    return Document(doc_id, parsed.title or title_from_stem(path), parsed.text, meta)


def read_rst(file: SourceFile) -> Read:
    """A reST file; from a folder with a ``base_url``, linked to its published page."""
    url = page_url(file.path, folder_settings(file.path.parent, file.folder)) if file.folder else ""
    return [file.noted(parse_rst(file.text, file.path, file.doc_id, url))], []


# Uploads take .rst only, as they always have.
READER = Reader("rst", (".rst", ".rest"), read_rst, upload_suffixes=(".rst",))
