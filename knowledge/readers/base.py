"""What every document reader shares: the file it is handed (:class:`SourceFile`), what it
registers (:class:`Reader`), and the error that fails one file (:class:`DocumentError`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ..chunking import plain_heading
from ..code import fenced_blocks
from ..decoding import Decoded, NotText, decode_text, encoding_name
from ..models import Document, LoadError

logger = logging.getLogger(__name__)

# What a reader gives back: the documents read, and the problems that cost a part of the file only.
Read = tuple[list[Document], list[LoadError]]

# A Markdown level-1 heading, whose text titles a document that names no title.
H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)


def first_h1(text: str) -> str | None:
    """The text of ``text``'s first level-1 heading outside fenced code (a ``# comment`` in an
    example is not a heading), without its emphasis; None when there is none."""
    position = 0
    for start, end in [*fenced_blocks(text), (len(text), len(text))]:
        heading = H1.search(text, position, start)
        if heading is not None:
            return plain_heading(heading.group(1))
        position = end
    return None


class DocumentError(ValueError):
    """A file that cannot be loaded; ``str()`` names the file and, when known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.error = LoadError(str(path), message, line)
        super().__init__(str(self.error))


@dataclass(frozen=True)
class SourceFile:
    """One file to read: its path, the document id it gets, its bytes, and its text when the
    reader reads text (``decoded``)."""

    path: Path
    doc_id: str
    raw: bytes
    decoded: Decoded | None = None
    #: The knowledge folder it lies in, whose settings (``citebot.yaml``) apply to it; None for an
    #: upload being checked, which is read strictly: any problem refuses it.
    folder: Path | None = None

    @property
    def text(self) -> str:
        """The file's text (only for a reader whose ``content`` is ``"text"`` or ``"markup"``)."""
        if self.decoded is None:
            raise ValueError(f"{self.path}: read as bytes, it has no text")
        return self.decoded.text

    def noted(self, doc: Document) -> Document:
        """``doc`` noting the legacy code page its file was read in (``citebot index`` names it)."""
        return with_encoding(doc, self.decoded) if self.decoded is not None else doc


@dataclass(frozen=True)
class Reader:
    """How one format is read, registered by the suffixes of its files (see :mod:`knowledge.readers`)."""

    #: The ``format`` its documents' metadata names, and an upload's kind.
    format: str
    suffixes: tuple[str, ...]
    read: Callable[[SourceFile], Read]
    #: ``"text"``: decoded before reading, legacy code pages noted on the documents; ``"markup"``:
    #: read from its bytes (it names its own encoding), though an upload must be text; ``"pdf"``:
    #: bytes only, an upload must carry the PDF signature.
    content: Literal["text", "markup", "pdf"] = "text"
    #: The suffixes an upload may have (default: all of ``suffixes``).
    upload_suffixes: tuple[str, ...] | None = None
    #: Whether a file holds one document (an empty one is refused) rather than many (JSONL lines).
    one_document: bool = True

    @property
    def uploads(self) -> tuple[str, ...]:
        """The suffixes an upload of this format may have."""
        return self.suffixes if self.upload_suffixes is None else self.upload_suffixes


def title_from_stem(path: Path) -> str:
    """A title from the file name, for a document that names none: ``getting-started.md`` ->
    ``Getting started``."""
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def decode(raw: bytes, path: Path) -> Decoded:
    """The file's text; one not in UTF-8 is read in the code page it was saved in, with a warning
    naming it (see :mod:`knowledge.decoding`)."""
    try:
        decoded = decode_text(raw)
    except NotText as exc:
        raise DocumentError(path, str(exc), exc.line) from None
    if decoded.legacy:
        logger.warning(
            "%s:%d: not UTF-8; read as %s, %s (save it as UTF-8 to be sure)",
            path,
            decoded.line or 1,
            decoded.encoding,
            encoding_name(decoded.encoding),
        )
    return decoded


def with_encoding(doc: Document, decoded: Decoded) -> Document:
    """``doc`` noting the legacy code page its file was read in (``citebot index`` names it)."""
    return replace(doc, metadata={**doc.meta, "encoding": decoded.encoding}) if decoded.legacy else doc
