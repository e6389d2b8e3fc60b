"""The state store in PostgreSQL, for several bot processes (shards) sharing one state.

The same :class:`~knowledge.store.ServerStore` SQL as the SQLite store runs here (its ``?``
parameters become psycopg's ``%s``), over a psycopg 3 connection pool: the store is called from
worker threads, each borrowing a connection for one statement (autocommit, as the SQLite store).
A connection lost with the server is replaced by the pool, which keeps trying in the background;
meanwhile every call raises :class:`~knowledge.store.StoreUnavailable` within a bounded wait, the
same path a busy SQLite file takes, so members are still answered.

The schema is versioned like the SQLite one (its own list, since the column types differ); when
several processes start together, one applies the migrations while the others wait on a
transaction-level advisory lock, then find nothing left to do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from ..store import EVERYTHING_CHANGED, KNOWLEDGE_CHANGED, StateStore, StoreError, StoreUnavailable
from ..yaml_state import YamlStateFile
from .changes import CHANGES_CHANNEL, POLL_INTERVAL_S, ChangeListener
from .documents import DatabaseStateFile
from .leases import ShardLeases
from .urls import redact_url

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How long a call waits for a pooled connection, and the longest one statement may run: short,
# since a member is waiting for the answer it records.
CONNECTION_WAIT_S = 2.0
STATEMENT_TIMEOUT_MS = 5000
# Held (per transaction) by the process applying migrations; the others queue behind it.
MIGRATION_LOCK = zlib.crc32(b"citebot schema migrations")

MIGRATIONS: tuple[str, ...] = (
    # 1: answers, feedback, notices shown and review dismissals, every row with its server
    """
    CREATE TABLE answers (
        id          TEXT PRIMARY KEY,
        question    TEXT NOT NULL,
        context     TEXT NOT NULL DEFAULT '',
        passage_ids TEXT NOT NULL,              -- JSON list, best first
        answered    INTEGER NOT NULL,
        user_id     BIGINT,
        guild_id    BIGINT,                     -- NULL: direct messages
        channel_id  BIGINT,
        message_id  BIGINT,
        created_at  DOUBLE PRECISION NOT NULL,
        rowid       BIGSERIAL NOT NULL          -- insertion order; named as SQLite's, so the SQL is shared
    );
    CREATE INDEX answers_by_message ON answers (message_id);
    CREATE INDEX answers_by_channel ON answers (channel_id, created_at);
    CREATE INDEX answers_by_guild ON answers (guild_id, created_at);
    CREATE TABLE feedback (
        answer_id   TEXT NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
        user_id     BIGINT NOT NULL,
        vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        reason      TEXT,
        created_at  DOUBLE PRECISION NOT NULL,
        guild_id    BIGINT,
        PRIMARY KEY (answer_id, user_id)
    );
    CREATE INDEX feedback_by_guild ON feedback (guild_id);
    CREATE TABLE review_dismissed (
        answer_id   TEXT PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
        user_id     BIGINT,
        created_at  DOUBLE PRECISION NOT NULL,
        guild_id    BIGINT
    );
    CREATE TABLE notices_shown (
        guild_id    BIGINT NOT NULL DEFAULT 0,  -- 0: direct messages
        user_id     BIGINT NOT NULL,
        day         TEXT NOT NULL,              -- ISO date, UTC
        PRIMARY KEY (guild_id, user_id, day)
    );
    """,
    # 2: what every process must see alike: the servers' YAML state (curated answers, glossary,
    # golden questions) as text with a revision, uploaded documents, and a change counter per server
    """
    CREATE TABLE state_documents (
        guild_id    BIGINT NOT NULL,
        name        TEXT NOT NULL,              -- curated.yaml, glossary.yaml, golden.yaml
        text        TEXT NOT NULL,
        previous    TEXT,                       -- the text before the last write (the .bak of a file)
        revision    BIGINT NOT NULL,            -- 1 for the first write, then one more per write
        updated_at  DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (guild_id, name)
    );
    CREATE TABLE uploads (
        guild_id    BIGINT NOT NULL,
        filename    TEXT NOT NULL,
        data        BYTEA NOT NULL,
        sha256      TEXT NOT NULL,
        added_at    DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (guild_id, filename)
    );
    CREATE TABLE server_changes (
        guild_id    BIGINT PRIMARY KEY,
        counter     BIGINT NOT NULL,            -- one more for every change another process must load
        what        TEXT NOT NULL,
        changed_at  DOUBLE PRECISION NOT NULL
    );
    """,
    # 3: the indexes built from a server's documents (the shared knowledge and its uploads), so one
    # process builds a changed one and the others load it
    """
    CREATE TABLE shared_indexes (
        fingerprint TEXT PRIMARY KEY,           -- of what was indexed (knowledge.kb.index_fingerprint)
        data        BYTEA NOT NULL,             -- a zip of the saved index's files (knowledge.kb.pack_index)
        created_at  DOUBLE PRECISION NOT NULL
    );
    """,
)
# Writing or reading an index archive may take longer than an answer's statement.
INDEX_STATEMENT_TIMEOUT_MS = 120_000
# An index archive stored longer ago than this is removed when another is stored: every process that
# loaded it keeps its own copy, and one that needs it later builds it again.
INDEX_KEEP_S = 7 * 24 * 3600


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


class PostgresStore(StateStore):
    """The state store in a PostgreSQL database (``postgresql://…``); safe to call from any thread,
    never from the event loop. Raises :class:`StoreError` when the database cannot be reached at
    start or has a newer schema than this citebot knows."""

    json_array_agg: ClassVar[str] = "json_agg({})::text"
    whole: ClassVar[str] = "floor({})::integer"  # a cast to integer rounds in PostgreSQL

    def __init__(self, url: str, *, max_connections: int = 10, connect_timeout: float = 10.0) -> None:
        self.url = url
        #: Names this process in its announcements, so it does not reload its own changes.
        self.origin = secrets.token_hex(8)
        self._listener: ChangeListener | None = None
        self._leases: ShardLeases | None = None
        # The state files opened here, so a change announced elsewhere reaches each of them.
        self._files: dict[tuple[int, str], weakref.WeakSet[DatabaseStateFile]] = {}
        self._files_lock = threading.Lock()
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True, "row_factory": dict_row},
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=CONNECTION_WAIT_S,
            name="citebot",
            open=False,
        )
        try:
            self.pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout as exc:
            self.pool.close()
            raise StoreError(f"cannot connect to the database {self.describe()}: {_why(url, exc)}") from None
        try:
            self._migrate()
        except BaseException:
            self.pool.close()
            raise

    def describe(self) -> str:
        """The database URL without its password."""
        return redact_url(self.url)

    def _run(self, what: Callable[[Any], T]) -> T:
        """Run ``what`` with a pooled connection; :class:`StoreUnavailable` when the database is
        unreachable or failed (a lost connection is retried once on a fresh one)."""
        for attempt in (1, 2):
            try:
                with self.pool.connection() as db:
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
                db.execute(MIGRATIONS[version - 1])
                db.execute("DELETE FROM schema_version")
                db.execute("INSERT INTO schema_version VALUES (%s)", (version,))
                logger.info("database %s migrated to schema version %d", self.describe(), version)

    def close(self) -> None:
        """Stop watching for changes and close every pooled connection; the store cannot be used
        afterwards."""
        if self._listener is not None:
            self._listener.stop()
        if self._leases is not None:
            self._leases.release()
        self.pool.close()

    # -- state documents (curated answers, glossary, golden questions) ------------------------------

    def state_file(self, guild_id: int, path: Path) -> YamlStateFile:
        """The server's YAML state named like ``path``, kept as a row every process shares."""
        opened = DatabaseStateFile(self, guild_id, path)
        with self._files_lock:
            self._files.setdefault((guild_id, opened.name), weakref.WeakSet()).add(opened)
        return opened

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

    def guilds_with_state(self) -> list[int]:
        """The servers with curated answers, a glossary, golden questions or uploads here."""
        rows = self._fetchall(
            "SELECT guild_id FROM state_documents UNION SELECT guild_id FROM uploads ORDER BY guild_id", ()
        )
        return [int(row["guild_id"]) for row in rows]

    def upload_hashes(self, guild_id: int) -> dict[str, str]:
        """The server's uploads: file name to SHA-256 of its bytes."""
        rows = self._fetchall("SELECT filename, sha256 FROM uploads WHERE guild_id = ?", (guild_id,))
        return {row["filename"]: row["sha256"] for row in rows}

    def upload_data(self, guild_id: int, filename: str) -> bytes | None:
        """The bytes of one upload, or None when it is gone."""
        row = self._fetchone(
            "SELECT data FROM uploads WHERE guild_id = ? AND filename = ?", (guild_id, filename)
        )
        return bytes(row["data"]) if row else None

    def put_upload(self, guild_id: int, filename: str, data: bytes) -> None:
        """Add (or replace) an upload and tell the other processes."""
        self.update_uploads(guild_id, {filename: data}, ())

    def update_uploads(self, guild_id: int, put: dict[str, bytes], delete: Iterable[str]) -> None:
        """Add or replace the uploads ``put`` and remove those named in ``delete`` in one
        transaction (a crawled site's pages and manifest change together), and tell the other
        processes once."""
        gone = sorted(set(delete) - set(put))

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
                self._announce(db, guild_id, KNOWLEDGE_CHANGED)

        if put or gone:
            self._run(update)

    def delete_upload(self, guild_id: int, filename: str) -> bool:
        """Remove an upload and tell the other processes; False when it was not there."""

        def delete(db: _Connection) -> bool:
            with db.transaction():
                gone = db.execute(
                    "DELETE FROM uploads WHERE guild_id = ? AND filename = ?", (guild_id, filename)
                ).rowcount
                if gone:
                    self._announce(db, guild_id, KNOWLEDGE_CHANGED)
                return bool(gone)

        return self._run(delete)

    # -- indexes built by one process for the others -------------------------------------------

    def index_archive(self, fingerprint: str) -> bytes | None:
        """The index archive stored under ``fingerprint``, or None."""

        def read(db: _Connection) -> bytes | None:
            with db.transaction():
                db.execute(f"SET LOCAL statement_timeout = {INDEX_STATEMENT_TIMEOUT_MS}")
                row = db.execute(
                    "SELECT data FROM shared_indexes WHERE fingerprint = ?", (fingerprint,)
                ).fetchone()
            return bytes(row["data"]) if row else None

        return self._run(read)

    def store_index_archive(self, fingerprint: str, data: bytes, *, replace: bool = False) -> None:
        """Store an index archive under ``fingerprint``; one already there is kept (two processes
        building the same index at once store it alike) unless ``replace`` (it was unusable).
        Archives stored more than :data:`INDEX_KEEP_S` ago are removed."""
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

        self._run(store)

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

    def watch(self, callback: Callable[[int, str], None], *, poll_s: float = POLL_INTERVAL_S) -> bool:
        """Call ``callback(guild_id, what)`` (in a background thread) for every change another
        process announces: at once through LISTEN/NOTIFY, and within ``poll_s`` through the change
        counters when a notification was missed (the listening connection was lost)."""
        if self._listener is not None:
            raise RuntimeError("the store is already being watched")
        self._listener = ChangeListener(self, callback, poll_s=poll_s)
        self._listener.start()
        return True

    def hold_shards(self, shards: Sequence[int], shard_count: int) -> None:
        """Hold ``shards`` of ``shard_count`` until :meth:`close` (see :mod:`.leases`)."""
        leases = ShardLeases(self.url, shards, shard_count)
        leases.acquire()
        self._leases = leases


@dataclass(frozen=True)
class ServerUploads:
    """One server's uploaded documents in the database (see :class:`~knowledge.uploads.SharedUploads`)."""

    store: PostgresStore
    guild_id: int

    def hashes(self) -> dict[str, str]:
        """File name to SHA-256 of every upload of the server."""
        return self.store.upload_hashes(self.guild_id)

    def data(self, filename: str) -> bytes | None:
        """The bytes of one upload (None: removed meanwhile)."""
        return self.store.upload_data(self.guild_id, filename)

    def put(self, filename: str, data: bytes) -> None:
        """Add or replace an upload."""
        self.store.put_upload(self.guild_id, filename, data)

    def delete(self, filename: str) -> bool:
        """Remove an upload; False when it was not there."""
        return self.store.delete_upload(self.guild_id, filename)

    def update(self, put: dict[str, bytes], delete: Iterable[str]) -> None:
        """Add, replace and remove several uploads together, announced as one change."""
        self.store.update_uploads(self.guild_id, put, delete)

    def index_archive(self, fingerprint: str) -> bytes | None:
        """The index archive another process stored under ``fingerprint``, or None."""
        return self.store.index_archive(fingerprint)

    def store_index_archive(self, fingerprint: str, data: bytes, *, replace: bool = False) -> None:
        """Store an index archive for the other processes (``replace``: over an unusable one)."""
        self.store.store_index_archive(fingerprint, data, replace=replace)


def _why(url: str, timeout: PoolTimeout) -> str:
    """Why the pool could not connect: the server's own answer to one more try (the pool only
    says it timed out)."""
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        return " ".join(str(exc).split())
    return str(timeout)


def _configure(db: psycopg.Connection) -> None:
    """Bound every statement, so a stuck server cannot keep a member waiting."""
    db.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
