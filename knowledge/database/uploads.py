"""One server's uploaded documents in PostgreSQL, and the indexes one process builds for the others
(see :class:`~knowledge.interfaces.SharedUploads`): the rows of ``uploads`` and ``shared_indexes``.
Every change is announced to the other processes in its own transaction."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..store import KNOWLEDGE_CHANGED

T = TypeVar("T")


class _Connection(Protocol):
    """What these rows need of a pooled connection (``knowledge.database.postgres``'s)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def transaction(self) -> AbstractContextManager[Any]: ...


class _Database(Protocol):
    """What these rows need of the PostgreSQL store: statements, pooled work, announcements."""

    def _run(self, what: Callable[[Any], T]) -> T: ...

    def _fetchone(self, sql: str, params: Sequence[Any]) -> Any: ...

    def _fetchall(self, sql: str, params: Sequence[Any]) -> list[Any]: ...

    def _announce(self, db: Any, guild_id: int, what: str) -> None: ...


# Writing or reading an index archive may take longer than an answer's statement.
INDEX_STATEMENT_TIMEOUT_MS = 120_000
# An index archive stored longer ago than this is removed when another is stored: every process that
# loaded it keeps its own copy, and one that needs it later builds it again.
INDEX_KEEP_S = 7 * 24 * 3600


@dataclass(frozen=True)
class ServerUploads:
    """One server's uploaded documents in the database (see :class:`~knowledge.uploads.SharedUploads`)."""

    store: _Database
    guild_id: int

    def hashes(self) -> dict[str, str]:
        """File name to SHA-256 of every upload of the server."""
        rows = self.store._fetchall(
            "SELECT filename, sha256 FROM uploads WHERE guild_id = ?", (self.guild_id,)
        )
        return {row["filename"]: row["sha256"] for row in rows}

    def data(self, filename: str) -> bytes | None:
        """The bytes of one upload (None: removed meanwhile)."""
        row = self.store._fetchone(
            "SELECT data FROM uploads WHERE guild_id = ? AND filename = ?", (self.guild_id, filename)
        )
        return bytes(row["data"]) if row else None

    def put(self, filename: str, data: bytes) -> None:
        """Add or replace an upload and tell the other processes."""
        self.update({filename: data}, ())

    def update(self, put: dict[str, bytes], delete: Iterable[str]) -> None:
        """Add or replace the uploads ``put`` and remove those named in ``delete`` in one
        transaction (a crawled site's pages and manifest change together), and tell the other
        processes once."""
        gone = sorted(set(delete) - set(put))
        guild_id = self.guild_id

        def update(db: _Connection) -> None:
            with db.transaction():
                for filename, data in put.items():
                    db.execute(
                        "INSERT INTO uploads (guild_id, filename, data, sha256, added_at)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, filename)"
                        " DO UPDATE SET data = excluded.data, sha256 = excluded.sha256,"
                        " added_at = excluded.added_at",
                        (guild_id, filename, data, hashlib.sha256(data).hexdigest(), time.time()),
                    )
                for filename in gone:
                    db.execute(
                        "DELETE FROM uploads WHERE guild_id = ? AND filename = ?", (guild_id, filename)
                    )
                self.store._announce(db, guild_id, KNOWLEDGE_CHANGED)

        if put or gone:
            self.store._run(update)

    def delete(self, filename: str) -> bool:
        """Remove an upload and tell the other processes; False when it was not there."""
        guild_id = self.guild_id

        def delete(db: _Connection) -> bool:
            with db.transaction():
                gone = db.execute(
                    "DELETE FROM uploads WHERE guild_id = ? AND filename = ?", (guild_id, filename)
                ).rowcount
                if gone:
                    self.store._announce(db, guild_id, KNOWLEDGE_CHANGED)
                return bool(gone)

        return self.store._run(delete)

    # -- indexes built by one process for the others -------------------------------------------

    def index_archive(self, fingerprint: str) -> bytes | None:
        """The index archive another process stored under ``fingerprint``, or None."""

        def read(db: _Connection) -> bytes | None:
            with db.transaction():
                db.execute(f"SET LOCAL statement_timeout = {INDEX_STATEMENT_TIMEOUT_MS}")
                row = db.execute(
                    "SELECT data FROM shared_indexes WHERE fingerprint = ?", (fingerprint,)
                ).fetchone()
            return bytes(row["data"]) if row else None

        return self.store._run(read)

    def store_index_archive(self, fingerprint: str, data: bytes, *, replace: bool = False) -> None:
        """Store an index archive under ``fingerprint`` for the other processes; one already there
        is kept (two processes building the same index at once store it alike) unless ``replace``
        (it was unusable). Archives stored more than :data:`INDEX_KEEP_S` ago are removed."""
        conflict = "DO NOTHING"
        if replace:
            conflict = "DO UPDATE SET data = excluded.data, created_at = excluded.created_at"

        def store(db: _Connection) -> None:
            with db.transaction():
                db.execute(f"SET LOCAL statement_timeout = {INDEX_STATEMENT_TIMEOUT_MS}")
                now = time.time()
                db.execute(
                    "INSERT INTO shared_indexes (fingerprint, data, created_at) VALUES (?, ?, ?)"
                    f" ON CONFLICT (fingerprint) {conflict}",
                    (fingerprint, data, now),
                )
                db.execute("DELETE FROM shared_indexes WHERE created_at < ?", (now - INDEX_KEEP_S,))

        self.store._run(store)
