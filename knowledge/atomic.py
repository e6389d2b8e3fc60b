"""Atomic file writes for the state folder: a reader sees the old file or the new one, never half.

The new content goes to a temporary file in the same folder (``os.replace`` is only atomic within
one file system), is flushed and fsynced, then renamed over the target. The previous version is
kept beside it as ``<name>.bak`` so a bad edit can be undone by hand.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from pathlib import Path

from .errors import StateWriteError

logger = logging.getLogger(__name__)

__all__ = ["StateWriteError", "atomic_write_bytes", "atomic_write_text", "remove_abandoned_temp_files"]


def _write_temp(folder: Path, name: str, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not every platform can open a folder, which is harmless.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path | str, data: bytes, *, backup: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically; with ``backup`` the old file becomes ``.bak``.

    Raises :class:`StateWriteError` when the folder is read-only or full; ``path`` is then
    unchanged and no temporary file is left behind.
    """
    path = Path(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = _write_temp(folder, path.name, data)
        try:
            if backup and path.exists():
                # The backup is written the same way, so it is never half a file either.
                bak_tmp = _write_temp(folder, path.name + ".bak", path.read_bytes())
                os.replace(bak_tmp, path.with_name(path.name + ".bak"))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_folder(folder)
    except OSError as exc:
        raise StateWriteError(path, exc) from exc


def atomic_write_text(path: Path | str, text: str, *, backup: bool = True) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), backup=backup)


# A temporary file older than this was left by a write that was killed (a write takes moments).
ABANDONED_TEMP_SECONDS = 5 * 60


def remove_abandoned_temp_files(folder: Path | str) -> list[Path]:
    """Remove the ``.<name>.*.tmp`` files that killed writes left anywhere under ``folder`` (older
    than :data:`ABANDONED_TEMP_SECONDS`, so a write in progress is never touched); returns them."""
    removed = []
    now = time.time()
    for path in Path(folder).rglob(".*.tmp"):
        try:
            if path.is_file() and now - path.stat().st_mtime > ABANDONED_TEMP_SECONDS:
                path.unlink()
                removed.append(path)
        except OSError as exc:
            logger.debug("could not remove %s: %s", path, exc)
    if removed:
        logger.info("removed %d temporary file(s) left by interrupted writes in %s", len(removed), folder)
    return removed
