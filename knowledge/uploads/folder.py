"""A server's uploads folder (``<state>/servers/<id>/knowledge``): what is in it, adding and
removing documents and crawled sites (each also in the shared uploads when the state is in a
database), and the ``removed/`` folder beside it that keeps what was replaced or removed."""

from __future__ import annotations

import errno
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..errors import StateWriteError, StoreUnavailable, UploadError
from ..folder_settings import CRAWL_SETTINGS, FOLDER_SETTINGS, folder_settings
from ..interfaces import SharedUploads
from ..kb import KnowledgeBase
from ..models import Document
from .check import DEFAULT_MAX_BYTES, check_upload, safe_filename

logger = logging.getLogger(__name__)

UPLOADS_PREFIX = "uploads/"
# How /kb remove names a whole crawled site of a server.
SITE_CHOICE_PREFIX = "site:"


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


def holds_uploads(uploads: Path | None) -> bool:
    """Whether the uploads folder ``uploads`` holds anything."""
    return uploads is not None and uploads.is_dir() and any(uploads.iterdir())


@dataclass(frozen=True)
class UploadsFolder:
    """One server's uploads folder (None: no server, nothing can be added) and, with the state in
    a database, the same uploads kept there for every process (``shared``)."""

    uploads: Path | None
    shared: SharedUploads | None = None

    @property
    def has_uploads(self) -> bool:
        """Whether this server has uploaded documents."""
        return holds_uploads(self.uploads)

    def file_of(self, kb: KnowledgeBase, doc_id: str) -> Path | None:
        """The uploaded file of this server holding ``doc_id``, or None when it is not one."""
        doc = kb.documents.get(doc_id)
        raw = doc.meta.get("path") if doc else None
        if not raw or self.uploads is None or not doc_id.startswith(UPLOADS_PREFIX):
            return None
        path = Path(str(raw)).resolve()
        uploads = self.uploads.resolve()
        return path if path.is_relative_to(uploads) and path.is_file() else None

    def named(self, kb: KnowledgeBase, name: str) -> str:
        """The id of the upload ``name`` stands for: a document id as it is, else the one uploaded
        file of that name ("milk.md", as it was sent) or the one upload of that title (case
        aside), so a moderator who types what they uploaded instead of picking a suggestion finds
        it; else ``name`` unchanged."""
        if name in kb.documents:
            return name
        wanted = name.strip().casefold()
        try:  # "Milk storage.md" was kept as "Milk-storage.md"
            files = {wanted, safe_filename(name.strip()).casefold()}
        except UploadError:
            files = {wanted}
        by_file: dict[Path, str] = {}
        by_title: dict[Path, str] = {}
        for doc in kb.documents.values():
            path = self.file_of(kb, doc.id)  # None: not this server's upload
            if path is not None and path.name.casefold() in files:
                by_file.setdefault(path, doc.id)
            if path is not None and doc.title.strip().casefold() == wanted:
                by_title.setdefault(path, doc.id)
        for found in (by_file, by_title):
            if len(found) == 1:
                return next(iter(found.values()))
        return name

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
        keep_removed(folder, move=True)
        logger.info("removed the crawled site %s (%d page(s))", folder, held)
        return held

    def add(
        self, name: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, keep_earlier: bool = True
    ) -> tuple[Path, list[Document], bool]:
        """Check and write an upload into this server's folder; returns (path, documents,
        replaced an earlier upload of the same name). Raises :class:`UploadError` (nothing
        written) or :class:`StateWriteError`. ``keep_earlier`` False: a replaced version is not
        kept in ``removed/`` (members' messages, which are kept only as they stand now)."""
        if self.uploads is None:
            raise UploadError("Documents can only be added in a server.")
        safe, docs = check_upload(name, data, max_bytes=max_bytes)
        target = self.uploads / safe
        replaced = target.exists()
        if replaced and keep_earlier:
            keep_removed(target)  # the earlier version is kept, as a removed upload is
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
        the site's folder is returned. ``doc_id`` may also name the file or title (:meth:`named`)."""
        doc_id = self.named(kb, doc_id)
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
        keep_removed(path, move=True)
        logger.info("removed %s (%d document(s))", path, held)
        return path, held

    def delete(self, name: str) -> bool:
        """Delete the upload ``name`` outright, here and in the shared uploads, keeping no copy
        (what a member asked not to be kept, or deleted on Discord); False when it was not there."""
        if Path(name).name != name or name.startswith("."):
            raise ValueError(f"not an upload's file name: {name!r}")
        if self.uploads is None:
            return False
        path = self.uploads / name
        gone = False
        if self.shared is not None:
            try:
                gone = self.shared.delete(name)
            except StoreUnavailable as exc:
                raise StateWriteError(path, OSError(errno.EIO, str(exc))) from exc
        try:
            path.unlink()
        except FileNotFoundError:
            return gone
        except OSError as exc:
            raise StateWriteError(path, exc) from exc
        logger.info("deleted %s", path)
        return True


def keep_removed(path: Path, *, move: bool = False) -> None:
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
