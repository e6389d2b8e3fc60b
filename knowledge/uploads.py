"""Documents added and removed by moderators, and the folders a knowledge base is built from.

An upload is checked before anything is written: its size, its type by content (PDF magic via
``filetype``, UTF-8 for text), and that it parses as a document. Its name never becomes a path:
only a sanitised base name is used, inside the uploads folder.

Operators give a knowledge folder, which every server reads and the bot never writes; each
server's uploads go to its own folder under the state folder and are loaded together with it.
"""

from __future__ import annotations

import logging
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
    ProgressCallback,
    doc_id_for,
    load_folder,
    parse_html,
    parse_jsonl,
    parse_pdf,
    parse_rst,
    parse_text,
)
from .errors import StateWriteError, UploadError
from .kb import CORPUS_DIR, KnowledgeBase, default_state_dir
from .models import Document, LoadError
from .semantic import SemanticOptions, attach

logger = logging.getLogger(__name__)

# Given how many passages will be encoded, a callback for each one done (see knowledge.semantic.attach).
Progress = Callable[[int], Callable[[int], None] | None]

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
UPLOAD_SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".rst": "rst",
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
        elif kind == "rst":
            docs = [parse_rst(text, path, doc_id)]
        else:
            docs = [parse_text(text, path, doc_id, kind)]
    except DocumentError as exc:
        raise UploadError(f"{exc}; nothing was added.") from None
    if not any(doc.text.strip() for doc in docs):
        raise UploadError(f"“{safe}” has no text to index.")
    return safe, docs


@dataclass(frozen=True)
class KnowledgeSources:
    """Where a server's knowledge base comes from and where its uploads go.

    ``base`` is the operator's knowledge folder (the built-in corpus when none is configured),
    shared by every server and never written here. ``uploads`` is one server's own folder under
    the state folder (``<state>/servers/<id>/knowledge``), or None for the shared knowledge alone
    (direct messages, the command line without ``--server``). Uploaded documents get ids under
    ``uploads/``, so they can never take the place of an operator's document.
    """

    base: Path
    state_dir: Path
    uploads: Path | None = None
    semantic: SemanticOptions | None = None  # the optional semantic channel; None: lexical only

    @classmethod
    def resolve(
        cls,
        knowledge_dir: Path | str | None,
        state_dir: Path | str | None,
        *,
        uploads: Path | str | None = None,
        semantic: SemanticOptions | None = None,
    ) -> KnowledgeSources:
        """The configured knowledge folder (None: the built-in one) and state folder, with an
        optional uploads folder and the semantic channel's options."""
        state = Path(state_dir) if state_dir else default_state_dir()
        base = Path(knowledge_dir).expanduser().resolve() if knowledge_dir else CORPUS_DIR.resolve()
        return cls(base, state, Path(uploads) if uploads is not None else None, semantic)

    def with_uploads(self, uploads: Path | None) -> KnowledgeSources:
        """The same knowledge folder with another server's uploads folder."""
        return replace(self, uploads=uploads)

    @property
    def has_uploads(self) -> bool:
        """Whether this server has uploaded documents."""
        return self.uploads is not None and self.uploads.is_dir() and any(self.uploads.iterdir())

    def uploaded_documents(
        self, on_progress: ProgressCallback | None = None
    ) -> tuple[list[Document], list[LoadError]]:
        """The documents of the uploads folder, their ids under ``uploads/`` (``on_progress``:
        see :func:`~knowledge.documents.load_folder`)."""
        if not self.has_uploads:
            return [], []
        uploaded, errors = load_folder(self.uploads, on_progress=on_progress)
        return [replace(doc, id=UPLOADS_PREFIX + doc.id) for doc in uploaded], errors

    def documents(self) -> tuple[list[Document], list[LoadError]]:
        """The documents of ``base`` and of the uploads folder."""
        docs, errors = load_folder(self.base)
        uploaded, upload_errors = self.uploaded_documents()
        return docs + uploaded, errors + upload_errors

    def load_base(
        self, progress: Progress | None = None, *, on_progress: ProgressCallback | None = None
    ) -> KnowledgeBase:
        """The shared knowledge base of ``base``, reusing the index saved in the state folder
        (``on_progress(done, total)`` follows the files read when it is built again)."""
        kb = KnowledgeBase.from_folder(self.base, state_dir=self.state_dir, on_progress=on_progress)
        return self._attach(kb, progress)

    def load(
        self,
        base: KnowledgeBase | None = None,
        progress: Progress | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> KnowledgeBase:
        """The knowledge base of ``base`` plus the uploads. Without uploads it is the shared one
        itself (``base`` when given, else loaded); with them, the base's documents and the
        uploads are indexed together (see :mod:`knowledge.tenancy` for why). With ``semantic``
        options, the semantic channel is attached (``progress``: see
        :func:`knowledge.semantic.attach`); ``on_progress(done, total)`` follows the files read,
        the knowledge folder's and then the uploads'."""
        shared = base if base is not None else self.load_base(progress, on_progress=on_progress)
        if not self.has_uploads:
            return shared
        uploaded, errors = self.uploaded_documents(on_progress)
        combined = KnowledgeBase.from_documents(
            [*shared.documents.values(), *uploaded], errors=[*shared.errors, *errors]
        )
        combined.source = self.base
        return self._attach(combined, progress)

    def _attach(self, kb: KnowledgeBase, progress: Progress | None) -> KnowledgeBase:
        if self.semantic is not None:
            attach(kb, self.semantic, state_dir=self.state_dir, progress=progress)
        return kb

    def file_of(self, kb: KnowledgeBase, doc_id: str) -> Path | None:
        """The uploaded file of this server holding ``doc_id``, or None when it is not one."""
        doc = kb.documents.get(doc_id)
        raw = doc.meta.get("path") if doc else None
        if not raw or self.uploads is None or not doc_id.startswith(UPLOADS_PREFIX):
            return None
        path = Path(str(raw)).resolve()
        uploads = self.uploads.resolve()
        return path if path.is_relative_to(uploads) and path.is_file() else None

    def removable(self, kb: KnowledgeBase) -> list[Document]:
        """This server's uploaded documents in ``kb``: what ``/kb remove`` may remove."""
        return [doc for doc in kb.documents.values() if self.file_of(kb, doc.id) is not None]

    def add(
        self, name: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> tuple[Path, list[Document], bool]:
        """Check and write an upload into this server's folder; returns (path, documents,
        replaced an earlier upload of the same name). Raises :class:`UploadError` (nothing
        written) or :class:`StateWriteError`."""
        if self.uploads is None:
            raise UploadError("Documents can only be added in a server.")
        safe, docs = check_upload(name, data, max_bytes=max_bytes)
        target = self.uploads / safe
        replaced = target.exists()
        if replaced:
            self._keep_removed(target)  # the earlier version is kept, as a removed upload is
        atomic_write_bytes(target, data, backup=False)
        logger.info("added %s (%d document(s))", target, len(docs))
        return target, docs, replaced

    def remove(self, kb: KnowledgeBase, doc_id: str) -> tuple[Path, int]:
        """Move this server's file holding ``doc_id`` to its ``removed/`` folder; returns (file,
        documents in it)."""
        path = self.file_of(kb, doc_id)
        if path is None or self.uploads is None:
            raise UploadError(f"“{doc_id}” is not an uploaded document; only uploads can be removed here.")
        held = sum(
            1
            for doc in kb.documents.values()
            if str(doc.meta.get("path")) and Path(str(doc.meta["path"])).resolve() == path
        )
        self._keep_removed(path, move=True)
        logger.info("removed %s (%d document(s))", path, held)
        return path, held

    def _keep_removed(self, path: Path, *, move: bool = False) -> None:
        """Move (or copy) an upload into the server's ``removed/`` folder, stamped with the time."""
        removed = path.parent.parent / "removed"
        try:
            removed.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            target = removed / f"{stamp}-{path.name}"
            number = 1
            while target.exists():  # never overwrite an earlier removed copy
                number += 1
                target = removed / f"{stamp}-{number}-{path.name}"
            if move:
                shutil.move(str(path), target)
            else:
                shutil.copy2(path, target)
        except OSError as exc:
            raise StateWriteError(path, exc) from exc
