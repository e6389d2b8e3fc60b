"""With the state in PostgreSQL, a server's uploads are kept in the database for every process and
its uploads folder is a copy: :class:`UploadMirror` brings the copy up to date before a load and
stores a site crawled here for the others. A site folder being crawled is left alone meanwhile."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..errors import DatabaseNotReached, StateWriteError, StoreUnavailable
from ..interfaces import SharedUploads
from .folder import keep_removed

logger = logging.getLogger(__name__)

# The site folders being crawled now, as (uploads folder, site folder name): bringing the uploads
# up to date leaves them alone until the crawl has shared what it stored, so a change announced
# meanwhile cannot set aside a folder the crawl is writing.
_crawling: set[tuple[Path, str]] = set()
_crawling_lock = threading.Lock()


@contextlib.contextmanager
def crawling(uploads: Path, site: str) -> Iterator[None]:
    """Mark the site folder ``site`` of ``uploads`` as being crawled for as long as the block runs."""
    key = (uploads.resolve(), site)
    with _crawling_lock:
        _crawling.add(key)
    try:
        yield
    finally:
        with _crawling_lock:
            _crawling.discard(key)


def crawling_now(uploads: Path) -> set[str]:
    """The site folders of ``uploads`` being crawled now."""
    with _crawling_lock:
        return {name for folder, name in _crawling if folder == uploads.resolve()}


@dataclass(frozen=True)
class UploadMirror:
    """A server's uploads folder as a copy of the uploads kept for every process (``shared``; None:
    the folder alone, and there is nothing to do)."""

    uploads: Path | None
    shared: SharedUploads | None = None

    def sync(self) -> bool:
        """Bring the uploads folder up to date with the shared uploads: write those added or
        changed by another process, set aside those it removed (a crawled site's folder whole,
        a page a crawl elsewhere dropped alone). False when the database could not be reached
        for all of it (what could not be fetched is left as it was)."""
        if self.shared is None or self.uploads is None:
            return True
        try:
            wanted = self.shared.hashes()
        except StoreUnavailable as exc:
            level = DatabaseNotReached.log_level(exc)
            logger.log(level, "uploads of %s not brought up to date: %s", self.uploads, exc)
            return False
        busy = crawling_now(self.uploads)
        present = {n: path for n, path in self.files().items() if n.split("/")[0] not in busy}
        wanted = {n: digest for n, digest in wanted.items() if n.split("/")[0] not in busy}
        sites = {name.split("/")[0] for name in wanted if "/" in name}
        for folder in sorted({name.split("/")[0] for name in present if "/" in name} - sites):
            keep_removed(self.uploads / folder, move=True)
            logger.info("removed the crawled site %s (removed in another bot process)", self.uploads / folder)
        for name, path in present.items():
            if name in wanted:
                continue
            if "/" not in name:
                keep_removed(path, move=True)
                logger.info("removed %s (removed in another bot process)", path)
            elif name.split("/")[0] in sites:  # a page the site's last crawl dropped
                path.unlink(missing_ok=True)
        complete = True
        for name, digest in wanted.items():
            target = self.target(name)
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

    def share_site(self, folder: Path) -> bool:
        """Store the crawled site in ``folder`` (its pages and manifest) with the shared uploads,
        so every process serves it: files changed or new are written and files gone are removed
        there, in one change. False when nothing differed (or nothing is shared). Raises
        :class:`StateWriteError` when the database cannot be written."""
        if self.shared is None or self.uploads is None:
            return False
        prefix = folder.name + "/"
        local = {name: path for name, path in self.files().items() if name.startswith(prefix)}
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

    def files(self) -> dict[str, Path]:
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

    def target(self, name: str) -> Path | None:
        """Where the shared upload ``name`` goes in the uploads folder; None for a name that is
        not a file of it or of a site folder in it (never a path outside the folder)."""
        parts = name.split("/")
        if self.uploads is None or len(parts) > 2:
            return None
        if any(not part or part.startswith(".") or "\\" in part or "\x00" in part for part in parts):
            return None
        return self.uploads.joinpath(*parts)
