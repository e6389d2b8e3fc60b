"""Documents added and removed by moderators, and the folders a knowledge base is built from.

An upload is checked before anything is written: its size, its type by content (PDF magic via
``filetype``, UTF-8 for text), and that it parses as a document. Its name never becomes a path:
only a sanitised base name is used, inside the uploads folder.

Operators give a knowledge folder; when it cannot be written (or is the built-in corpus, which is
read-only) uploads go to ``<state>/knowledge/``, which is loaded together with it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import filetype

from .atomic import atomic_write_bytes
from .documents import (
    DocumentError,
    doc_id_for,
    load_folder,
    parse_html,
    parse_jsonl,
    parse_pdf,
    parse_text,
)
from .errors import StateWriteError, UploadError
from .kb import CORPUS_DIR, KnowledgeBase, default_state_dir
from .models import Document, LoadError
from .semantic import SemanticOptions, attach

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
UPLOAD_SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".jsonl": "jsonl",
}
MAX_NAME_CHARS = 100
UPLOADS_PREFIX = "uploads/"


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
    """The safe file name and the documents the file holds; raises :class:`UploadError`."""
    safe = safe_filename(name)
    if len(data) > max_bytes:
        raise UploadError(f"“{safe}” is {human_size(len(data))}; the limit is {human_size(max_bytes)}.")
    if not data.strip():
        raise UploadError(f"“{safe}” is empty.")
    kind = UPLOAD_SUFFIXES[Path(safe).suffix]
    guessed = filetype.guess(data)
    path = Path(safe)
    doc_id = doc_id_for(path, Path("."))
    try:
        if kind == "pdf":
            if guessed is None or guessed.mime != "application/pdf":
                raise UploadError(f"“{safe}” is named .pdf but is not a PDF.")
            return safe, [parse_pdf(data, path, doc_id)]
        if guessed is not None:
            raise UploadError(f"“{safe}” is named .{path.suffix[1:]} but holds {guessed.mime} data.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UploadError(f"“{safe}” is not UTF-8 text (bad byte at position {exc.start}).") from None
        if "\x00" in text:
            raise UploadError(f"“{safe}” holds binary data, not text.")
        if kind == "html":
            docs = [parse_html(data, path, doc_id)]
        elif kind == "jsonl":
            docs, errors = parse_jsonl(text, path)
            if errors:
                raise UploadError(f"{errors[0]} ({len(errors)} bad line(s)); nothing was added.")
        else:
            docs = [parse_text(text, path, doc_id, kind)]
    except DocumentError as exc:
        raise UploadError(f"{exc}; nothing was added.") from None
    if not any(doc.text.strip() for doc in docs):
        raise UploadError(f"“{safe}” has no text to index.")
    return safe, docs


@dataclass(frozen=True)
class KnowledgeSources:
    """Where the knowledge base comes from and where uploads go.

    ``base`` is the configured knowledge folder (the built-in corpus when none is configured);
    ``uploads`` is ``base`` itself when it is writable, else ``<state>/knowledge``.
    """

    base: Path
    uploads: Path
    state_dir: Path
    semantic: SemanticOptions | None = None  # the optional semantic channel; None: lexical only

    @classmethod
    def resolve(
        cls,
        knowledge_dir: Path | str | None,
        state_dir: Path | str | None,
        semantic: SemanticOptions | None = None,
    ) -> KnowledgeSources:
        state = Path(state_dir) if state_dir else default_state_dir()
        base = Path(knowledge_dir).expanduser().resolve() if knowledge_dir else CORPUS_DIR.resolve()
        writable = base != CORPUS_DIR.resolve() and base.is_dir() and os.access(base, os.W_OK)
        return cls(base, base if writable else state / "knowledge", state, semantic)

    @property
    def separate_uploads(self) -> bool:
        return self.uploads != self.base

    @property
    def has_uploads(self) -> bool:
        """Whether documents were uploaded to a folder of their own."""
        return self.separate_uploads and self.uploads.is_dir() and any(self.uploads.iterdir())

    def documents(self) -> tuple[list[Document], list[LoadError]]:
        """The documents of ``base`` and of the uploads folder (their ids under ``uploads/``)."""
        docs, errors = load_folder(self.base)
        if self.has_uploads:
            uploaded, upload_errors = load_folder(self.uploads)
            docs += [replace(doc, id=UPLOADS_PREFIX + doc.id) for doc in uploaded]
            errors += upload_errors
        return docs, errors

    def load(self, progress: Callable[[int], Callable[[int], None] | None] | None = None) -> KnowledgeBase:
        """The knowledge base of ``base`` plus the uploads folder. Without uploads the saved index
        of ``base`` is reused; with them the whole is indexed once (the saved one would be
        thrown away). With ``semantic`` options, the semantic channel is attached
        (``progress``: see :func:`knowledge.semantic.attach`)."""
        if not self.has_uploads:
            kb = KnowledgeBase.from_folder(self.base, state_dir=self.state_dir)
        else:
            docs, errors = self.documents()
            kb = KnowledgeBase.from_documents(docs, errors=errors)
            kb.source = self.base
        if self.semantic is not None:
            attach(kb, self.semantic, state_dir=self.state_dir, progress=progress)
        return kb

    def file_of(self, kb: KnowledgeBase, doc_id: str) -> Path | None:
        """The uploaded file holding ``doc_id``, or None when it is not a removable upload."""
        doc = kb.documents.get(doc_id)
        raw = doc.meta.get("path") if doc else None
        if not raw:
            return None
        path = Path(str(raw)).resolve()
        uploads = self.uploads.resolve()
        return path if path.is_relative_to(uploads) and path.is_file() else None

    def removable(self, kb: KnowledgeBase) -> list[Document]:
        return [doc for doc in kb.documents.values() if self.file_of(kb, doc.id) is not None]

    def add(
        self, name: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> tuple[Path, list[Document], bool]:
        """Check and write an upload; returns (path, documents, replaced an existing file).
        Raises :class:`UploadError` (nothing written) or :class:`StateWriteError`."""
        safe, docs = check_upload(name, data, max_bytes=max_bytes)
        target = self.uploads / safe
        replaced = target.exists()
        atomic_write_bytes(target, data, backup=False)
        logger.info("added %s (%d document(s))", target, len(docs))
        return target, docs, replaced

    def remove(self, kb: KnowledgeBase, doc_id: str) -> tuple[Path, int]:
        """Move the file holding ``doc_id`` to ``<state>/removed/``; returns (file, documents in it)."""
        path = self.file_of(kb, doc_id)
        if path is None:
            raise UploadError(f"“{doc_id}” is not an uploaded document; only uploads can be removed here.")
        held = sum(
            1
            for doc in kb.documents.values()
            if str(doc.meta.get("path")) and Path(str(doc.meta["path"])).resolve() == path
        )
        removed = self.state_dir / "removed"
        try:
            removed.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), removed / f"{time.strftime('%Y%m%d-%H%M%S')}-{path.name}")
        except OSError as exc:
            raise StateWriteError(path, exc) from exc
        logger.info("removed %s (%d document(s))", path, held)
        return path, held
