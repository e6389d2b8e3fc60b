"""Documents added and removed by moderators, and the folders a knowledge base is built from.

An upload is checked before anything is written: its size, its type by content (PDF magic via
``filetype``, UTF-8 for text), and that it parses as a document. Its name never becomes a path:
only a sanitised base name is used, inside the uploads folder.

Operators give a knowledge folder, which every server reads and the bot never writes; each
server's uploads go to its own folder under the state folder and are loaded together with it.
With the state in PostgreSQL the uploads are kept there too (:class:`SharedUploads`), so every bot
process has them: the folder is then a copy, brought up to date before each load. A site crawled
into a server's uploads is kept there the same way, each of its files (pages and manifest) named
``<site folder>/<file>``, so any process serves it, crawls it again or removes it. The index of a
server's documents is kept there as well: the process that builds it first stores it, keyed by a
fingerprint of what was indexed, and the others load it rather than build it again.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import re
import shutil
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import filetype

from .atomic import atomic_write_bytes
from .chunking import DEFAULT_CHUNK_CHARS
from .decoding import NotText, decode_text
from .documents import ProgressCallback, doc_id_for, load_folder
from .errors import StateWriteError, StoreUnavailable, UploadError
from .folder_settings import CRAWL_SETTINGS, FOLDER_SETTINGS, folder_settings
from .interfaces import SharedUploads
from .kb import (
    CORPUS_DIR,
    IndexArchiveError,
    KnowledgeBase,
    default_state_dir,
    folder_fingerprint,
    index_fingerprint,
    index_slot,
    pack_index,
    save_index,
    saved_index,
    unpack_index,
)
from .models import Document, LoadError
from .readers import UPLOAD_SUFFIXES, reader_for
from .readers.base import DocumentError, SourceFile
from .semantic import SemanticOptions, attach

if TYPE_CHECKING:
    from .crawl import CrawlReport, CrawlSettings
    from .crawl.crawler import Progress as CrawlProgress

logger = logging.getLogger(__name__)

# Given how many passages will be encoded, a callback for each one done (see knowledge.semantic.attach).
Progress = Callable[[int], Callable[[int], None] | None]

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# A server's index larger than this (zipped) is not stored for the other processes: each builds it.
MAX_SHARED_INDEX_BYTES = 200 * 1024 * 1024
# What a stored index may unpack to at most (its arrays compress a few times over).
MAX_UNPACKED_INDEX_BYTES = 5 * MAX_SHARED_INDEX_BYTES
MAX_NAME_CHARS = 100
UPLOADS_PREFIX = "uploads/"
# The operator's crawled sites, in the state folder, and their documents' id prefix.
SITES_DIR = "sites"
SITES_PREFIX = "sites/"
# How /kb remove names a whole crawled site of a server.
SITE_CHOICE_PREFIX = "site:"
# The site folders being crawled now, as (uploads folder, site folder name): bringing the uploads
# up to date leaves them alone until the crawl has shared what it stored, so a change announced
# meanwhile cannot set aside a folder the crawl is writing.
_crawling: set[tuple[Path, str]] = set()
_crawling_lock = threading.Lock()


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


@dataclass(frozen=True)
class CrawledSite:
    """A site crawled into a server's uploads: its ``/kb remove`` choice (``site:<folder>``), its
    address, its folder and the pages indexed from it."""

    choice: str
    address: str
    folder: Path
    pages: int


def crawled_site_address(folder: Path) -> str:
    """The address of the site crawled into ``folder`` (from its manifest), or "" when ``folder``
    holds no crawled site."""
    settings = folder_settings(folder, folder) if (folder / FOLDER_SETTINGS).is_file() else {}
    crawl = settings.get(CRAWL_SETTINGS)
    site = crawl.get("site") if isinstance(crawl, dict) else None
    return site if isinstance(site, str) else ""


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
    semantic: SemanticOptions | None = None  # the meaning channel's options; None: lexical only
    shared: SharedUploads | None = None  # the uploads of every process; None: the folder alone

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

    def with_uploads(self, uploads: Path | None, shared: SharedUploads | None = None) -> KnowledgeSources:
        """The same knowledge folder with another server's uploads folder (kept for every process
        in ``shared``, when given)."""
        return replace(self, uploads=uploads, shared=shared)

    def sync_uploads(self) -> bool:
        """Bring the uploads folder up to date with the shared uploads: write those added or
        changed by another process, set aside those it removed (a crawled site's folder whole,
        a page a crawl elsewhere dropped alone). False when the database could not be reached
        for all of it (what could not be fetched is left as it was)."""
        if self.shared is None or self.uploads is None:
            return True
        try:
            wanted = self.shared.hashes()
        except StoreUnavailable as exc:
            logger.warning("uploads of %s not brought up to date: %s", self.uploads, exc)
            return False
        with _crawling_lock:
            busy = {name for folder, name in _crawling if folder == self.uploads.resolve()}
        present = {n: path for n, path in self._mirrored_files().items() if n.split("/")[0] not in busy}
        wanted = {n: digest for n, digest in wanted.items() if n.split("/")[0] not in busy}
        sites = {name.split("/")[0] for name in wanted if "/" in name}
        for folder in sorted({name.split("/")[0] for name in present if "/" in name} - sites):
            self._keep_removed(self.uploads / folder, move=True)
            logger.info("removed the crawled site %s (removed in another bot process)", self.uploads / folder)
        for name, path in present.items():
            if name in wanted:
                continue
            if "/" not in name:
                self._keep_removed(path, move=True)
                logger.info("removed %s (removed in another bot process)", path)
            elif name.split("/")[0] in sites:  # a page the site's last crawl dropped
                path.unlink(missing_ok=True)
        complete = True
        for name, digest in wanted.items():
            target = self._mirror_path(name)
            if target is None:
                logger.warning("upload %r not fetched: not a file name of an uploads folder", name)
                continue
            path = present.get(name)
            if path is not None and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
                continue
            try:
                data = self.shared.data(name)
            except StoreUnavailable as exc:
                logger.warning("upload %s not fetched: %s", name, exc)
                complete = False
                continue
            if data is not None:
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StateWriteError(target.parent, exc) from exc
                atomic_write_bytes(target, data, backup=False)
                logger.info("fetched upload %s (%d bytes)", target, len(data))
        return complete

    def _mirrored_files(self) -> dict[str, Path]:
        """The files of the uploads folder by their shared name: uploads, and the files of each
        crawled site's folder as ``<folder>/<file>`` (temporary files, named with a dot, left out)."""
        if self.uploads is None or not self.uploads.is_dir():
            return {}
        found: dict[str, Path] = {}
        for path in self.uploads.iterdir():
            if path.name.startswith("."):
                continue
            if path.is_file():
                found[path.name] = path
            elif path.is_dir():
                for page in path.iterdir():
                    if page.is_file() and not page.name.startswith("."):
                        found[f"{path.name}/{page.name}"] = page
        return found

    def _mirror_path(self, name: str) -> Path | None:
        """Where the shared upload ``name`` goes in the uploads folder; None for a name that is
        not a file of it or of a site folder in it (never a path outside the folder)."""
        parts = name.split("/")
        if self.uploads is None or len(parts) > 2:
            return None
        if any(not part or part.startswith(".") or "\\" in part or "\x00" in part for part in parts):
            return None
        return self.uploads.joinpath(*parts)

    def crawl_site(
        self, url: str, settings: CrawlSettings | None = None, progress: CrawlProgress | None = None
    ) -> CrawlReport:
        """Crawl the site ``url`` into this server's uploads (see
        :func:`~knowledge.crawl.crawl_site_blocking`), and keep it for every process with the
        shared uploads: the folder is brought up to date first, so the crawl asks with the shared
        manifest's validators, and what it stored is shared afterwards (:meth:`share_site`).
        Raises :class:`~knowledge.errors.CrawlError` or :class:`StateWriteError`."""
        from .crawl import Site, crawl_site_blocking  # the HTTP client is only needed to crawl

        if self.uploads is None:
            raise UploadError("Sites can only be added in a server.")
        self.sync_uploads()
        crawling = (self.uploads.resolve(), Site.from_url(url).folder_name())
        with _crawling_lock:
            _crawling.add(crawling)
        try:
            report = crawl_site_blocking(url, self.uploads, settings, progress)
            self.share_site(report.folder)
        finally:
            with _crawling_lock:
                _crawling.discard(crawling)
        return report

    def share_site(self, folder: Path) -> bool:
        """Store the crawled site in ``folder`` (its pages and manifest) with the shared uploads,
        so every process serves it: files changed or new are written and files gone are removed
        there, in one change. False when nothing differed (or nothing is shared). Raises
        :class:`StateWriteError` when the database cannot be written."""
        if self.shared is None or self.uploads is None:
            return False
        prefix = folder.name + "/"
        local = {name: path for name, path in self._mirrored_files().items() if name.startswith(prefix)}
        try:
            shared = self.shared.hashes()
            stored = {name: digest for name, digest in shared.items() if name.startswith(prefix)}
            put = {}
            for name, path in local.items():
                data = path.read_bytes()
                if stored.get(name) != hashlib.sha256(data).hexdigest():
                    put[name] = data
            gone = sorted(set(stored) - set(local))
            if not put and not gone:
                return False
            self.shared.update(put, gone)
        except StoreUnavailable as exc:
            raise StateWriteError(folder, OSError(errno.EIO, str(exc))) from exc
        except OSError as exc:
            raise StateWriteError(folder, exc) from exc
        logger.info("shared the crawled site %s (%d file(s) stored, %d removed)", folder, len(put), len(gone))
        return True

    @property
    def has_uploads(self) -> bool:
        """Whether this server has uploaded documents."""
        return self.uploads is not None and self.uploads.is_dir() and any(self.uploads.iterdir())

    @property
    def sites_dir(self) -> Path:
        """The operator's crawled sites (``citebot index --url`` without a server): part of the
        shared knowledge, ids under ``sites/``."""
        return self.state_dir / SITES_DIR

    @property
    def has_sites(self) -> bool:
        """Whether the operator has crawled sites into the state folder."""
        return self.sites_dir.is_dir() and any(self.sites_dir.iterdir())

    def site_documents(self) -> tuple[list[Document], list[LoadError]]:
        """The pages of the operator's crawled sites, their ids under ``sites/``."""
        if not self.has_sites:
            return [], []
        pages, errors = load_folder(self.sites_dir)
        return [replace(doc, id=SITES_PREFIX + doc.id) for doc in pages], errors

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
        """The documents of ``base``, of the operator's crawled sites and of the uploads folder."""
        docs, errors = load_folder(self.base)
        sites, site_errors = self.site_documents()
        uploaded, upload_errors = self.uploaded_documents()
        return docs + sites + uploaded, errors + site_errors + upload_errors

    def load_base(
        self, progress: Progress | None = None, *, on_progress: ProgressCallback | None = None
    ) -> KnowledgeBase:
        """The shared knowledge base of ``base``, reusing the index saved in the state folder, with
        the operator's crawled sites indexed together with it when there are any
        (``on_progress(done, total)`` follows the files read when it is built again)."""
        kb = KnowledgeBase.from_folder(self.base, state_dir=self.state_dir, on_progress=on_progress)
        if self.has_sites:
            fingerprint = f"{kb.fingerprint}+{folder_fingerprint(self.sites_dir, None, DEFAULT_CHUNK_CHARS)}"
            pages, errors = self.site_documents()
            kb = KnowledgeBase.from_documents([*kb.documents.values(), *pages], errors=[*kb.errors, *errors])
            kb.source, kb.fingerprint = self.base, fingerprint
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
        self.sync_uploads()
        if not self.has_uploads:
            return shared
        uploaded, errors = self.uploaded_documents(on_progress)
        documents, errors = [*shared.documents.values(), *uploaded], [*shared.errors, *errors]
        if self.shared is None:
            combined = KnowledgeBase.from_documents(documents, errors=errors)
        else:
            combined = self._shared_index(self.shared, self.uploads, documents, errors)
        combined.source = self.base
        return self._attach(combined, progress)

    def _shared_index(
        self, shared: SharedUploads, uploads: Path, documents: list[Document], errors: list[LoadError]
    ) -> KnowledgeBase:
        """The index of ``documents``: the one saved here, else the one another process stored
        (unpacked into the state folder), else built here and stored for the others. The database
        failing only means building here."""
        fingerprint = index_fingerprint(documents, folders=(self.base, self.sites_dir, uploads))
        slot = index_slot(uploads, self.state_dir)
        found = saved_index(slot, fingerprint, self.base)
        damaged = False
        if found is None:
            found, damaged = self._fetch_index(shared, slot, fingerprint)
        if found is not None:
            try:
                return found.with_documents(documents, errors)
            except ValueError as exc:
                logger.warning("the saved index %s does not match the documents (%s); rebuilding", slot, exc)
                shutil.rmtree(slot / fingerprint, ignore_errors=True)
        kb = KnowledgeBase.from_documents(documents, errors=errors)
        kb.fingerprint = fingerprint
        save_index(kb, slot, fingerprint)
        try:
            data = pack_index(slot, fingerprint)
        except OSError as exc:
            logger.warning("the index of %s is not shared: it could not be read back (%s)", uploads, exc)
            return kb
        if len(data) > MAX_SHARED_INDEX_BYTES:
            logger.info(
                "the index of %s is not shared: %s is above the %s limit; other processes build it",
                uploads, human_size(len(data)), human_size(MAX_SHARED_INDEX_BYTES),
            )  # fmt: skip
            return kb
        try:
            shared.store_index_archive(fingerprint, data, replace=damaged)
            logger.info("stored the index of %s for the other processes (%s)", uploads, human_size(len(data)))
        except StoreUnavailable as exc:
            logger.warning("the index of %s is not shared: %s", uploads, exc)
        return kb

    def _fetch_index(
        self, shared: SharedUploads, slot: Path, fingerprint: str
    ) -> tuple[KnowledgeBase | None, bool]:
        """The index another process stored under ``fingerprint``, unpacked into ``slot`` and
        checked whole; and whether a stored one was unusable (so the one built here replaces it)."""
        try:
            data = shared.index_archive(fingerprint)
        except StoreUnavailable as exc:
            logger.warning("the index of %s is built here: %s", self.uploads, exc)
            return None, False
        if data is None:
            return None, False
        try:
            unpack_index(data, slot, fingerprint, max_bytes=MAX_UNPACKED_INDEX_BYTES)
        except (IndexArchiveError, OSError) as exc:
            logger.warning("the index stored for %s is unusable (%s); building it here", self.uploads, exc)
            return None, True
        kb = saved_index(slot, fingerprint, self.base)
        if kb is None:
            return None, True
        logger.info("loaded the index of %s stored by another bot process", self.uploads)
        return kb, False

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

    def sites(self, kb: KnowledgeBase) -> list[CrawledSite]:
        """This server's crawled sites, with the pages of each in ``kb``."""
        if self.uploads is None or not self.uploads.is_dir():
            return []
        pages: dict[Path, int] = {}
        for doc in self.removable(kb):
            folder = self.site_folder_of(kb, doc.id)
            if folder is not None:
                pages[folder] = pages.get(folder, 0) + 1
        found = []
        for folder in sorted(p for p in self.uploads.iterdir() if p.is_dir()):
            address = crawled_site_address(folder)
            if address:
                choice = SITE_CHOICE_PREFIX + folder.name
                found.append(CrawledSite(choice, address, folder, pages.get(folder, 0)))
        return found

    def site_folder_of(self, kb: KnowledgeBase, doc_id: str) -> Path | None:
        """The crawled site's folder (in this server's uploads) holding ``doc_id``: given a page's
        id, or ``site:<folder>`` as :meth:`sites` lists them; None when it is neither."""
        if self.uploads is None:
            return None
        if doc_id.startswith(SITE_CHOICE_PREFIX):
            name = doc_id[len(SITE_CHOICE_PREFIX) :]
            folder = self.uploads / name
            valid = name and "/" not in name and not name.startswith(".")
            return folder if valid and crawled_site_address(folder) else None
        path = self.file_of(kb, doc_id)
        if path is None:
            return None
        rel = path.relative_to(self.uploads.resolve())
        if len(rel.parts) < 2:
            return None
        folder = self.uploads / rel.parts[0]
        return folder if crawled_site_address(folder) else None

    def remove_site(self, kb: KnowledgeBase, folder: Path) -> int:
        """Move a crawled site's whole folder to the server's ``removed/`` folder (a page alone
        would come back with the next crawl), and remove it from the shared uploads, so every
        process stops serving it; returns the pages it held in ``kb``."""
        held = sum(1 for doc in self.removable(kb) if self.site_folder_of(kb, doc.id) == folder)
        if self.shared is not None:
            try:
                prefix = folder.name + "/"
                stored = [name for name in self.shared.hashes() if name.startswith(prefix)]
                if stored:
                    self.shared.update({}, stored)
            except StoreUnavailable as exc:
                raise StateWriteError(folder, OSError(errno.EIO, str(exc))) from exc
        self._keep_removed(folder, move=True)
        logger.info("removed the crawled site %s (%d page(s))", folder, held)
        return held

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
        if self.shared is not None:
            try:
                self.shared.put(safe, data)
            except StoreUnavailable as exc:
                raise StateWriteError(target, OSError(errno.EIO, str(exc))) from exc
        atomic_write_bytes(target, data, backup=False)
        logger.info("added %s (%d document(s))", target, len(docs))
        return target, docs, replaced

    def remove(self, kb: KnowledgeBase, doc_id: str) -> tuple[Path, int]:
        """Move this server's file holding ``doc_id`` to its ``removed/`` folder; returns (file,
        documents in it). A crawled page takes its whole site with it (see :meth:`remove_site`);
        the site's folder is returned."""
        site = self.site_folder_of(kb, doc_id)
        if site is not None:
            return site, self.remove_site(kb, site)
        path = self.file_of(kb, doc_id)
        if path is None or self.uploads is None:
            raise UploadError(f"“{doc_id}” is not an uploaded document; only uploads can be removed here.")
        held = sum(
            1
            for doc in kb.documents.values()
            if str(doc.meta.get("path")) and Path(str(doc.meta["path"])).resolve() == path
        )
        if self.shared is not None:
            try:
                self.shared.delete(path.name)
            except StoreUnavailable as exc:
                raise StateWriteError(path, OSError(errno.EIO, str(exc))) from exc
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
