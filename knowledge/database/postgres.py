"""The state store in PostgreSQL, for several bot processes (shards) sharing one state.

The same :class:`~knowledge.store.ServerStore` SQL as the SQLite store runs here (its ``?``
parameters become psycopg's ``%s``), over a psycopg 3 connection pool: the store is called from
worker threads, each borrowing a connection for one statement (autocommit, as the SQLite store).
A connection lost with the server is replaced by the pool, which keeps trying in the background;
meanwhile every call raises :class:`~knowledge.store.StoreUnavailable` within a bounded wait, the
same path a busy SQLite file takes, so members are still answered. A database out of reach at
start is connected later in the background (:mod:`.connecting`).

The schema is versioned in the same list as the SQLite one (:mod:`knowledge.store.schema`); when
several processes start together, one applies the migrations while the others wait on a
transaction-level advisory lock, then find nothing left to do.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import DatabaseNotReached
from ..store import EVERYTHING_CHANGED, StateStore, StoreError, StoreUnavailable
from ..store.schema import MIGRATIONS, POSTGRESQL, Dialect
from ..yaml_state import YamlStateFile
from .changes import CHANGES_CHANNEL, ChangeListener
from .connecting import Connecting
from .documents import DatabaseStateFile
from .leases import ShardLeases
from .uploads import ServerUploads
from .urls import redact_url
from .vectors import PassageVectors

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Held (per transaction) by the process applying migrations; the others queue behind it.
MIGRATION_LOCK = zlib.crc32(b"citebot schema migrations")


@lru_cache(maxsize=256)
def _paramstyle(sql: str) -> str:
    """SQLite's ``?`` parameters as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return re.sub(r"\?", "%s", sql.replace("%", "%%"))


class _Connection:
    """A pooled psycopg connection that takes the shared SQL as written for SQLite."""

    def __init__(self, db: psycopg.Connection) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        """Run one statement written with ``?`` parameters."""
        return self.db.execute(_paramstyle(sql), tuple(params))

    def transaction(self) -> psycopg.Transaction:
        """A block whose statements commit together (the connection is otherwise autocommit)."""
        return self.db.transaction()


class PostgresStore(Connecting, StateStore):
    """The state store in a PostgreSQL database (``postgresql://…``); safe to call from any thread,
    never from the event loop. Raises :class:`StoreError` when the database has a newer schema than
    this citebot knows, or cannot be reached at start; without ``wait`` it starts without a
    database out of reach and connects in the background (see :mod:`.connecting`)."""

    dialect: ClassVar[Dialect] = POSTGRESQL

    def __init__(
        self, url: str, *, max_connections: int = 10, connect_timeout: float = 10.0, wait: bool = True
    ) -> None:
        self.url = url
        #: Names this process in its announcements, so it does not reload its own changes.
        self.origin = secrets.token_hex(8)
        self.pool: ConnectionPool | None = None
        self._max_connections = max_connections
        self._connect_timeout = connect_timeout
        self._listener: ChangeListener | None = None
        self._leases: ShardLeases | None = None
        # The state files opened here, so a change announced elsewhere reaches each of them.
        self._files: dict[tuple[int, str], weakref.WeakSet[DatabaseStateFile]] = {}
        self._files_lock = threading.Lock()
        self._start(wait=wait)

    def describe(self) -> str:
        """The database URL without its password."""
        return redact_url(self.url)

    def _run(self, what: Callable[[Any], T]) -> T:
        """Run ``what`` with a pooled connection; :class:`StoreUnavailable` when the database is
        unreachable or failed (a lost connection is retried once on a fresh one)."""
        pool = self.pool
        if not self._usable.is_set() or pool is None:
            # Started without the database and not connected yet: said once at start, not per call.
            raise DatabaseNotReached(
                "The bot's records can't be used right now (the database is out of reach)."
            )
        for attempt in (1, 2):
            try:
                with pool.connection() as db:
                    return what(_Connection(db))
            except PoolTimeout as exc:
                logger.warning("database %s unavailable: %s; going on without it", self.describe(), exc)
                raise StoreUnavailable(f"The bot's records can't be used right now ({exc}).") from exc
            except psycopg.OperationalError as exc:
                if attempt == 1 and not isinstance(exc, psycopg.errors.QueryCanceled):
                    logger.info("database connection failed (%s); retrying once", exc)
                    continue
                logger.warning("database %s unavailable: %s; going on without it", self.describe(), exc)
                raise StoreUnavailable(f"The bot's records can't be used right now ({exc}).") from exc
            except psycopg.ProgrammingError:
                raise  # a mistake in citebot's SQL, not the database's state
            except psycopg.Error as exc:
                logger.error("database %s failed: %s; going on without it", self.describe(), exc)
                raise StoreUnavailable(f"The bot's records can't be used right now ({exc}).") from exc
        raise AssertionError("unreachable")

    def _migrate(self) -> None:
        assert self.pool is not None
        with self.pool.connection() as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = int(row["version"]) if row else 0
            if current > len(MIGRATIONS):
                raise StoreError(
                    f"the database {self.describe()} has schema version {current}, newer than this "
                    f"citebot knows ({len(MIGRATIONS)}); upgrade citebot"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                db.execute(MIGRATIONS[version - 1].script(POSTGRESQL))
                db.execute("DELETE FROM schema_version")
                db.execute("INSERT INTO schema_version VALUES (%s)", (version,))
                logger.info("database %s migrated to schema version %d", self.describe(), version)

    def close(self) -> None:
        """Stop watching for changes and close every pooled connection; the store cannot be used
        afterwards."""
        self._stop_connecting()
        if self._listener is not None:
            self._listener.stop()
        if self._leases is not None:
            self._leases.release()
        with self._lock:
            self._close_pool()

    # -- state documents (curated answers, glossary, golden questions) ------------------------------

    def state_file(self, guild_id: int, path: Path) -> YamlStateFile:
        """The server's YAML state named like ``path``, kept as a row every process shares."""
        opened = DatabaseStateFile(self, guild_id, path)
        with self._files_lock:
            self._files.setdefault((guild_id, opened.name), weakref.WeakSet()).add(opened)
        return opened

    def _opened_guilds(self) -> set[int]:
        """The servers with state files opened here."""
        with self._files_lock:
            return {guild for guild, _name in self._files}

    def mark_stale(self, guild_id: int, what: str) -> None:
        """Have every state file of the server opened here that ``what`` names (``*``: all) read
        its row again on its next refresh."""
        with self._files_lock:
            found = [
                file
                for (guild, name), files in self._files.items()
                if guild == guild_id and what in (name, EVERYTHING_CHANGED)
                for file in files
            ]
        for file in found:
            file.mark_stale()

    def document(self, guild_id: int, name: str) -> tuple[str, int] | None:
        """The text and revision of a server's state document, or None when never written."""
        row = self._fetchone(
            "SELECT text, revision FROM state_documents WHERE guild_id = ? AND name = ?", (guild_id, name)
        )
        return (row["text"], int(row["revision"])) if row else None

    def previous_document(self, guild_id: int, name: str) -> str | None:
        """The text of a state document before its last write, if any."""
        row = self._fetchone(
            "SELECT previous FROM state_documents WHERE guild_id = ? AND name = ?", (guild_id, name)
        )
        return row["previous"] if row else None

    def write_document(self, guild_id: int, name: str, text: str, revision: int | None) -> int | None:
        """Store a state document if its stored revision is still ``revision`` (None: it must not
        exist yet), and tell the other processes; returns the new revision, or None (nothing
        written) when another write came first."""

        def write(db: _Connection) -> int | None:
            with db.transaction():
                if revision is None:
                    row = db.execute(
                        "INSERT INTO state_documents (guild_id, name, text, revision, updated_at)"
                        " VALUES (?, ?, ?, 1, ?) ON CONFLICT DO NOTHING RETURNING revision",
                        (guild_id, name, text, time.time()),
                    ).fetchone()
                else:
                    row = db.execute(
                        "UPDATE state_documents SET previous = text, text = ?, revision = revision + 1,"
                        " updated_at = ? WHERE guild_id = ? AND name = ? AND revision = ? RETURNING revision",
                        (text, time.time(), guild_id, name, revision),
                    ).fetchone()
                if row is None:
                    return None
                self._announce(db, guild_id, name)
                return int(row["revision"])

        return self._run(write)

    # -- uploaded documents --------------------------------------------------------------------

    def shared_uploads(self, guild_id: int) -> ServerUploads:
        """The server's uploads as every process sees them."""
        return ServerUploads(self, guild_id)

    def shared_vectors(self) -> PassageVectors:
        """The meaning channel's passage vectors, encoded by one process for the others."""
        return PassageVectors(self)

    def guilds_with_state(self) -> list[int]:
        """The servers with curated answers, a glossary, golden questions or uploads here."""
        rows = self._fetchall(
            "SELECT guild_id FROM state_documents UNION SELECT guild_id FROM uploads ORDER BY guild_id", ()
        )
        return [int(row["guild_id"]) for row in rows]

    def put_upload(self, guild_id: int, filename: str, data: bytes) -> None:
        """Add (or replace) an upload and tell the other processes."""
        self.shared_uploads(guild_id).put(filename, data)

    # -- telling the other processes ---------------------------------------------------------------

    def announce(self, guild_id: int, what: str) -> None:
        """Tell the other processes that ``what`` changed in a server (``knowledge`` after a reload)."""

        def send(db: _Connection) -> None:
            with db.transaction():
                self._announce(db, guild_id, what)

        self._run(send)

    def _announce(self, db: _Connection, guild_id: int, what: str) -> None:
        """Count the change for the periodic check and notify listeners, in the change's transaction
        (so a change rolled back is never announced, and one committed always is)."""
        row = db.execute(
            "INSERT INTO server_changes (guild_id, counter, what, changed_at) VALUES (?, 1, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET counter = server_changes.counter + 1,"
            " what = excluded.what, changed_at = excluded.changed_at RETURNING counter",
            (guild_id, what, time.time()),
        ).fetchone()
        counter = int(row["counter"])
        payload = json.dumps({"guild": guild_id, "what": what, "counter": counter, "origin": self.origin})
        db.execute("SELECT pg_notify(?, ?)", (CHANGES_CHANNEL, payload))
        if self._listener is not None:
            self._listener.seen(guild_id, counter)

    def change_counters(self) -> dict[int, int]:
        """Every server's change counter (for the check behind the notifications)."""
        rows = self._fetchall("SELECT guild_id, counter FROM server_changes", ())
        return {int(row["guild_id"]): int(row["counter"]) for row in rows}
