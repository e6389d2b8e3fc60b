"""The errors citebot reports to people, in one place.

Every error a member, moderator or operator is meant to read derives from :class:`CitebotError`;
its ``str()`` is the message to show. The Discord bot (``bot.exts.errors``) and the command line
(``bot.cli``) each map them once. Anything else is a bug and is logged with its traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path


class CitebotError(Exception):
    """An expected problem whose message is written for the person who caused or can fix it."""


class NotFoundError(CitebotError, KeyError):
    """No entry with that id or name (a curated answer, a glossary term, a document).

    A ``KeyError`` too, so older callers keep working; unlike ``KeyError`` its ``str()`` is the
    plain message, not its repr.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class StateFileError(CitebotError, ValueError):
    """A state file that cannot be used. ``str()`` reads like ``curated.yaml, line 12, entry 3: ...``."""

    def __init__(self, path: Path | str, message: str, *, line: int | None = None, entry: str = "") -> None:
        self.path = str(path)
        self.message = message
        self.line = line
        self.entry = entry
        where = Path(self.path).name
        if line:
            where += f", line {line}"
        if entry:
            where += f", {entry}"
        super().__init__(f"{where}: {message}")


class StateFileBroken(CitebotError):
    """A change refused because its file on disk does not parse (a hand edit with a mistake):
    writing would overwrite that edit. The last good version keeps being served; :attr:`error`
    says where the mistake is."""

    def __init__(self, error: StateFileError) -> None:
        self.error = error
        super().__init__(
            f"{error} — the file was edited by hand and has a mistake there, so nothing is changed "
            f"until it is fixed (or {Path(error.path).name}.bak is put back); the last good version "
            "is still in use"
        )


class EditConflict(CitebotError):
    """A change made on an older revision of an entry than the one stored now (another moderator,
    or a hand edit, changed it meanwhile): refused so that change is not silently reverted.
    :attr:`current` is the entry as it is now."""

    def __init__(self, message: str, current: object) -> None:
        self.current = current
        super().__init__(message)


class StateWriteError(CitebotError, OSError):
    """A file in the state folder could not be written (read-only, full, missing); the message says
    which file and why. For curated answers and the glossary the change is in use in memory and is
    written with the next one: :attr:`done` is what it produced (the new, changed or removed entry),
    so the caller can report it without looking it up. For an upload, nothing was added."""

    def __init__(self, path: Path, exc: OSError, *, done: object = None) -> None:
        self.path = path
        self.cause = exc
        self.done = done
        reason = exc.strerror or str(exc)
        super().__init__(exc.errno, f"could not write {path}: {reason}")

    def __str__(self) -> str:
        return self.args[1] if len(self.args) > 1 else super().__str__()


class UploadError(CitebotError, ValueError):
    """An upload that was refused; the message says why in words a moderator can act on."""


class CrawlError(CitebotError, ValueError):
    """A website that cannot be crawled (an address refused, a site that does not answer); the
    message says why, and nothing was changed."""


class QuestionError(CitebotError, ValueError):
    """A question that cannot be asked; the message is meant for the person who asked."""


__all__ = [
    "CitebotError",
    "CrawlError",
    "EditConflict",
    "NotFoundError",
    "QuestionError",
    "StateFileBroken",
    "StateFileError",
    "StateWriteError",
    "UploadError",
]


class StoreError(CitebotError, RuntimeError):
    """The state store cannot be used (a file written by a newer citebot, a database that cannot be
    reached at start)."""


class StoreUnavailable(CitebotError):
    """The state store could not be read or written just now (busy, full, read-only or damaged),
    even after one retry. Recording is best effort: callers answer without it."""


class DatabaseNotReached(StoreUnavailable):
    """The database has been out of reach since start (the store said so once, then, and connects
    in the background): worth no warning of its own each time."""

    @staticmethod
    def log_level(error: StoreUnavailable) -> int:
        """How loud to log ``error``: INFO when the store said it already at start, else WARNING."""
        return logging.INFO if isinstance(error, DatabaseNotReached) else logging.WARNING


class ChangeNotSaved(CitebotError):
    """A moderator's change that could be saved nowhere (the database out of reach): refused, and
    nothing changed, so no process serves a change the others never see."""
