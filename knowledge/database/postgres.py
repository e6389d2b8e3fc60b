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

import logging
import re
import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from ..store import StateStore, StoreError, StoreUnavailable
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
)


@lru_cache(maxsize=256)
def _paramstyle(sql: str) -> str:
    """SQLite's ``?`` parameters as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return re.sub(r"\?", "%s", sql.replace("%", "%%"))


class _Connection:
    """A pooled psycopg connection that takes the shared SQL as written for SQLite."""

    def __init__(self, db: psycopg.Connection) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self.db.execute(_paramstyle(sql), tuple(params))


class PostgresStore(StateStore):
    """The state store in a PostgreSQL database (``postgresql://…``); safe to call from any thread,
    never from the event loop. Raises :class:`StoreError` when the database cannot be reached at
    start or has a newer schema than this citebot knows."""

    json_array_agg: ClassVar[str] = "json_agg({})::text"

    def __init__(self, url: str, *, max_connections: int = 10, connect_timeout: float = 10.0) -> None:
        self.url = url
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
            raise StoreError(f"cannot connect to the database {self.describe()}: {exc}") from None
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
        """Close every pooled connection; the store cannot be used afterwards."""
        self.pool.close()


def _configure(db: psycopg.Connection) -> None:
    """Bound every statement, so a stuck server cannot keep a member waiting."""
    db.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
