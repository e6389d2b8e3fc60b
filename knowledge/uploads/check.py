"""Checking an upload before anything is written: its name (never a path: only a sanitised base
name is used), its size, its type by content (PDF magic via ``filetype``, text for the rest), and
that the reader of its format reads it."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..decoding import NotText, decode_text
from ..documents import doc_id_for
from ..errors import UploadError
from ..models import Document
from ..readers import UPLOAD_SUFFIXES, reader_for
from ..readers.base import DocumentError, SourceFile

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_NAME_CHARS = 100


def human_size(size: int) -> str:
    """``2.0 MB``, ``512 KB``: sizes as people read them."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(size // 1024, 1)} KB"


def safe_filename(name: str) -> str:
    """A plain file name from whatever a client sent: no folders, no traversal, no hidden files.

    ``../../etc/passwd.md`` -> ``passwd.md``; ``My Notes (v2).MD`` -> ``My-Notes-v2.md``.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w.-]+", "-", stem, flags=re.UNICODE).strip(".-_")
    stem = re.sub(r"-{2,}", "-", stem)[:MAX_NAME_CHARS] or "document"
    suffix = suffix.lower()
    if f".{suffix}" not in UPLOAD_SUFFIXES:
        allowed = ", ".join(sorted({s.lstrip(".") for s in UPLOAD_SUFFIXES}))
        raise UploadError(f"“{base or name}” is not a supported file type; send one of: {allowed}.")
    return f"{stem}.{suffix}"


def check_upload(name: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, list[Document]]:
    """The safe file name and the documents the file holds, read by the reader of its format
    (strictly: any problem refuses it); raises :class:`UploadError`."""
    safe = safe_filename(name)
    if len(data) > max_bytes:
        raise UploadError(f"“{safe}” is {human_size(len(data))}; the limit is {human_size(max_bytes)}.")
    if not data.strip():
        raise UploadError(f"“{safe}” is empty.")
    reader = reader_for(Path(safe).suffix)
    assert reader is not None  # safe_filename allows only the suffixes of a reader
    import filetype  # here, not at module level: a serving process loads its servers without checking

    guessed = filetype.guess(data)
    path = Path(safe)
    doc_id = doc_id_for(path, Path("."))
    decoded = None
    if reader.content == "pdf":
        if guessed is None or guessed.mime != "application/pdf":
            raise UploadError(f"“{safe}” is named .pdf but is not a PDF.")
    else:
        if guessed is not None:
            raise UploadError(f"“{safe}” is named .{path.suffix[1:]} but holds {guessed.mime} data.")
        try:
            decoded = decode_text(data)
        except NotText as exc:
            if exc.line is not None:
                raise UploadError(f"“{safe}” holds binary data, not text.") from None
            raise UploadError(f"“{safe}” is {exc}.") from None
    # A page of markup names its own encoding: it is checked to be text, then read from its bytes.
    given = decoded if reader.content == "text" else None
    try:
        docs, errors = reader.read(SourceFile(path, doc_id, data, given))
    except DocumentError as exc:
        raise UploadError(f"{exc}; nothing was added.") from None
    if errors:
        raise UploadError(f"{errors[0]} ({len(errors)} bad line(s)); nothing was added.")
    if not any(doc.text.strip() for doc in docs):
        raise UploadError(f"“{safe}” has no text to index.")
    return safe, docs
