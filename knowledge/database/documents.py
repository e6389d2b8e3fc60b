"""A server's YAML state (curated answers, glossary, golden questions) kept as a row of PostgreSQL,
so every bot process serves the same.

The text is exactly what the file would hold, with a revision that goes up by one on every
write. A write names the revision it was based on and is refused in SQL (compare-and-set) when the
stored one moved on: two moderators saving through two processes at once cannot overwrite each
other, and the second is told to look again (:class:`~knowledge.yaml_state.StateConflict`, an
``EditConflict`` for the moderator). The previous text is kept with the row, as a file keeps its
``.bak``. Changes made elsewhere are loaded when the store's listener hears of them (LISTEN/NOTIFY
or the change counters, see :mod:`knowledge.database.changes`), in its own thread: reading the
state never queries the database by itself, so the bot's checks on the event loop (the red-flag
check's glossary, ``/faq list``) never wait for it.
"""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from ..errors import ChangeNotSaved, StateFileError, StoreUnavailable
from ..interfaces import DocumentRows
from ..yaml_state import StateConflict, YamlStateFile

logger = logging.getLogger(__name__)


class DatabaseStateFile(YamlStateFile):
    """The text of one server's state document (``name``: ``curated.yaml``…) in PostgreSQL.

    ``path`` is where the file would be in the server's folder; it names the document in
    messages. When the database cannot be reached, what was loaded stays served and a change is
    kept in memory and written with the next one, as with a folder that cannot be written."""

    def __init__(self, store: DocumentRows, guild_id: int, path: Path | str) -> None:
        super().__init__(path)
        self.store = store
        self.guild_id = guild_id
        self.name = self.path.name
        #: The revision last read or written here; None while there is no row.
        self.revision: int | None = None
        self._stale = False

    def sibling(self, name: str, *, backup: bool = True) -> YamlStateFile:
        """The server's state document ``name``, another row (which keeps its previous text either
        way), opened through the store so other processes' changes to it are heard."""
        return self.store.state_file(self.guild_id, self.path.with_name(name))

    def mark_stale(self) -> None:
        """Another process changed the document: read it on the next refresh (which the caller
        makes at once, in the listener's thread)."""
        self._stale = True

    def changed_on_disk(self) -> bool:
        """Whether another process's change was announced and not read yet (no query here)."""
        return self._stale

    def exists(self) -> bool:
        """Whether the document has been written."""
        return self.revision is not None

    def read_backup(self) -> tuple[str, Path]:
        """The text before the last write; OSError when there is none."""
        try:
            previous = self.store.previous_document(self.guild_id, self.name)
        except StoreUnavailable as exc:
            raise OSError(errno.EIO, str(exc)) from exc
        if previous is None:
            raise OSError(errno.ENOENT, "no earlier version")
        return previous, self.path.with_name(self.name + ".bak")

    def read(self) -> str | None:
        """The stored text, or None when there is none yet; remembers its revision. When the
        database cannot be reached, :attr:`read_failed` is set and StateFileError raised."""
        self._stale = False
        try:
            found = self.store.document(self.guild_id, self.name)
        except StoreUnavailable as exc:
            self.read_failed = True
            raise StateFileError(self.path, f"cannot read it from the database: {exc}") from None
        self.read_failed = False
        if found is None:
            self.revision = None
            return None
        text, self.revision = found
        self.saved_text = text
        return text

    def write(self, text: str, *, done: object = None) -> None:
        """Store ``text`` if the stored revision is still the one read here; raises
        :class:`StateConflict` when it is not, :class:`ChangeNotSaved` (nothing changed) when the
        database cannot be reached."""
        try:
            revision = self.store.write_document(self.guild_id, self.name, text, self.revision)
        except StoreUnavailable as exc:
            # Kept in this process only, the change would be served here, ignored by the others
            # and lost at the next conflict: refuse it instead.
            logger.warning("refused a change to %s: the database cannot be reached (%s)", self.path, exc)
            raise ChangeNotSaved(
                f"Not saved: the database cannot be reached, so this change was saved nowhere and "
                f"nothing changed. Try again when it is back. ({exc})"
            ) from exc
        if revision is None:
            self.pending = False  # the other process's version is loaded instead
            raise StateConflict(self.path)
        self.revision = revision
        self.saved_text = text
        self.pending, self.write_error = False, None
