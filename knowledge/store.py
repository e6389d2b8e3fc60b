"""What the bot remembers between restarts: by default one SQLite file in the state folder (this
module); with a ``database_url``, PostgreSQL (:mod:`knowledge.database`), through the same
:class:`ServerStore` and the same SQL.

Answers given (so buttons on old messages still work), feedback on them, and the days a member was
shown the medical notice. Every row belongs to one Discord server (``guild_id``; NULL, or 0 for
notices, is direct messages), and the only way to read or write rows is a :class:`ServerStore`
(``store.server(guild_id)``), which puts its server into every query: one server never sees or
changes another's answers, votes, reasons, review queue or statistics.

WAL mode lets a backup (``sqlite3 citebot.sqlite3 ".backup ..."``) run while the bot writes.
Recording is best effort: a busy, full or failing file raises :class:`StoreUnavailable` after a
bounded wait (the bot then answers without it), a damaged file is moved aside at start, and an
unwritable state folder gives a read-only store (see :class:`Store`). The schema is versioned:
each entry of ``MIGRATIONS`` brings the file from one version to the next, so later features add a
migration rather than editing an old one.

The SQL of :class:`ServerStore` is written once, in the subset both databases understand
(``?`` parameters, ``ON CONFLICT``, ``FILTER``, window functions); a backend is a
:class:`StateStore` that runs it (:meth:`StateStore._run`) and says how a JSON array is aggregated.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .errors import StoreError, StoreUnavailable
from .yaml_state import YamlStateFile

if TYPE_CHECKING:
    from .interfaces import SharedUploads

logger = logging.getLogger(__name__)

T = TypeVar("T")

STORE_FILE = "citebot.sqlite3"
#: ``what`` of an announced change (:meth:`StateStore.announce`) to a server's documents (an upload
#: added or removed, ``/kb reload``), and of one whose details were missed: load everything again.
KNOWLEDGE_CHANGED = "knowledge"
EVERYTHING_CHANGED = "*"
# How long a change waits for another process's write lock before it is retried (once) or dropped:
# short, since a member is waiting for the answer it records.
BUSY_TIMEOUT_MS = 2000

MIGRATIONS: tuple[str, ...] = (
    # 1: answers, feedback, medical-notice days
    """
    CREATE TABLE answers (
        id          TEXT PRIMARY KEY,
        question    TEXT NOT NULL,
        context     TEXT NOT NULL DEFAULT '',   -- earlier turns a follow-up was asked with
        passage_ids TEXT NOT NULL,          -- JSON list, best first, as numbered in the citations
        answered    INTEGER NOT NULL,
        user_id     INTEGER,
        guild_id    INTEGER,
        channel_id  INTEGER,
        message_id  INTEGER,                 -- the Discord message showing it, once sent
        created_at  REAL NOT NULL
    );
    CREATE INDEX answers_by_message ON answers (message_id);
    CREATE INDEX answers_by_channel ON answers (channel_id, created_at);
    CREATE TABLE feedback (
        answer_id   TEXT NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
        user_id     INTEGER NOT NULL,
        vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        reason      TEXT,
        created_at  REAL NOT NULL,
        PRIMARY KEY (answer_id, user_id)
    );
    CREATE TABLE notices_shown (
        user_id     INTEGER NOT NULL,
        day         TEXT NOT NULL,           -- ISO date, UTC
        PRIMARY KEY (user_id, day)
    );
    """,
    # 2: the review queue remembers what moderators dismissed
    """
    CREATE TABLE review_dismissed (
        answer_id   TEXT PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
        user_id     INTEGER,
        created_at  REAL NOT NULL
    );
    """,
    # 3: every row names its server; notices are remembered per server
    """
    ALTER TABLE feedback ADD COLUMN guild_id INTEGER;
    UPDATE feedback SET guild_id = (SELECT a.guild_id FROM answers a WHERE a.id = feedback.answer_id);
    CREATE INDEX feedback_by_guild ON feedback (guild_id);
    ALTER TABLE review_dismissed ADD COLUMN guild_id INTEGER;
    UPDATE review_dismissed
       SET guild_id = (SELECT a.guild_id FROM answers a WHERE a.id = review_dismissed.answer_id);
    CREATE INDEX answers_by_guild ON answers (guild_id, created_at);
    CREATE TABLE notices_shown_by_server (
        guild_id    INTEGER NOT NULL DEFAULT 0,  -- 0: direct messages
        user_id     INTEGER NOT NULL,
        day         TEXT NOT NULL,
        PRIMARY KEY (guild_id, user_id, day)
    );
    -- Days already shown stay shown in the one server a single-server bot was in.
    INSERT INTO notices_shown_by_server (guild_id, user_id, day)
    SELECT CASE WHEN (SELECT count(DISTINCT guild_id) FROM answers WHERE guild_id IS NOT NULL) = 1
                THEN (SELECT guild_id FROM answers WHERE guild_id IS NOT NULL LIMIT 1) ELSE 0 END,
           user_id, day
      FROM notices_shown;
    DROP TABLE notices_shown;
    ALTER TABLE notices_shown_by_server RENAME TO notices_shown;
    """,
)


@dataclass(frozen=True)
class AnswerRecord:
    """One answer the bot gave: what was asked, the passages cited, where it was shown."""

    id: str
    question: str
    context: str
    passage_ids: tuple[str, ...]
    answered: bool
    user_id: int | None
    guild_id: int | None
    channel_id: int | None
    message_id: int | None
    created_at: float


@dataclass(frozen=True)
class ReviewItem:
    """One question in the moderators' review queue: declined, marked not helpful, or both."""

    answer_id: str
    question: str
    created_at: float
    declined: bool
    downvotes: int
    reasons: tuple[str, ...]
    passage_ids: tuple[str, ...]


class StateStore:
    """Where the rows of every server are kept: the part both backends share. A backend opens its
    database, applies its migrations and runs a query with :meth:`_run`, turning its database's
    failures into :class:`StoreUnavailable`; what is in it is reached per server with :meth:`server`."""

    #: Whether changes are kept in memory only (a SQLite state folder that cannot be written).
    read_only: bool = False
    #: Where a damaged SQLite file was moved at start, if it was.
    moved_aside: Path | None = None
    #: The SQL aggregate making a JSON array (as text) of its argument.
    json_array_agg: ClassVar[str] = "json_group_array({})"
    #: The SQL whole number of its (non-negative) argument, rounded down.
    whole: ClassVar[str] = "CAST({} AS INTEGER)"

    def describe(self) -> str:
        """Where the rows are, for logs (a database URL without its password)."""
        raise NotImplementedError

    def _run(self, what: Callable[[Any], T]) -> T:
        """Run ``what`` with a connection; :class:`StoreUnavailable` when the database failed."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the database; the store cannot be used afterwards."""
        raise NotImplementedError

    @property
    def schema_version(self) -> int:
        """The schema version the database is at."""
        row = self._fetchone("SELECT version FROM schema_version", ())
        return int(row["version"]) if row else 0

    def server(self, guild_id: int | None) -> ServerStore:
        """The rows of one server (None: direct messages)."""
        return ServerStore(self, guild_id)

    def state_file(self, guild_id: int, path: Path) -> YamlStateFile:
        """Where a server's curated answers, glossary or golden questions are kept: the YAML file
        at ``path`` in its folder (a database backend keeps the same text in a row instead)."""
        return YamlStateFile(path)

    def shared_uploads(self, guild_id: int) -> SharedUploads | None:
        """Where a server's uploads are kept for every process (None: its folder alone)."""
        return None

    def guilds_with_state(self) -> list[int]:
        """The servers whose curated answers, glossary or uploads are kept here rather than in
        their folders (none for SQLite)."""
        return []

    def mark_stale(self, guild_id: int, what: str) -> None:
        """Another process changed ``what`` (a state document's name, or ``*``) in a server: its
        state files opened here read it again on their next refresh (files notice by themselves)."""

    def announce(self, guild_id: int, what: str) -> None:
        """Tell the other bot processes that ``what`` changed in a server (one process: nobody)."""

    def watch(self, callback: Callable[[int, str], None]) -> bool:
        """Call ``callback(guild_id, what)`` for each change another process announces; False when
        this store has no other processes to hear from."""
        return False

    def hold_shards(self, shards: Sequence[int], shard_count: int) -> None:
        """Claim Discord shards for this process for as long as the store is open; raises
        :class:`StoreError` when another process holds one. A local store has no other processes."""

    def guild_ids(self) -> list[int]:
        """The servers that have stored answers, in the order they first asked."""
        rows = self._fetchall(
            "SELECT guild_id FROM answers WHERE guild_id IS NOT NULL"
            " GROUP BY guild_id ORDER BY min(created_at)",
            (),
        )
        return [int(row["guild_id"]) for row in rows]

    def _fetchone(self, sql: str, params: Sequence[Any]) -> Any:
        return self._run(lambda db: db.execute(sql, params).fetchone())

    def _fetchall(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return self._run(lambda db: db.execute(sql, params).fetchall())

    def _execute(self, sql: str, params: Sequence[Any]) -> int:
        """Run a change; returns the number of rows it changed."""
        return self._run(lambda db: db.execute(sql, params).rowcount)


class Store(StateStore):
    """A small SQLite store; safe to call from any thread (but never from the event loop: a busy
    database waits up to :data:`BUSY_TIMEOUT_MS`).

    Each thread gets its own connection, so a thread waiting for another process's write lock
    holds nothing the others need: in WAL mode reads go on meanwhile. A change that still fails
    after one retry raises :class:`StoreUnavailable`. At start a damaged file is moved aside
    (``citebot.sqlite3.corrupt-<time>``) and a fresh one begun; a state folder that cannot be
    written gives a read-only store: the old rows are served and new ones kept in memory only
    (:attr:`read_only`). What is in it is reached per server with :meth:`server`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.read_only = False
        self.moved_aside = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()  # guards the list only, never held in a query
        # Read-only mode: one in-memory copy shared by every thread (no other process waits on it).
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open_file()
        except sqlite3.DatabaseError as exc:
            if _unwritable(exc):
                self._open_read_only(exc)
            elif isinstance(exc, sqlite3.OperationalError):
                raise
            else:
                try:
                    self._move_aside(exc)
                    self._open_file()
                except (OSError, sqlite3.DatabaseError) as again:  # damaged and cannot be moved
                    self._open_read_only(again, copy=False)
        except OSError as exc:
            self._open_read_only(exc)
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    @classmethod
    def in_folder(cls, state_dir: Path | str) -> Store:
        """The store in a state folder (created when missing)."""
        return cls(Path(state_dir) / STORE_FILE)

    # -- connections -----------------------------------------------------------------------------

    def _connect(self, target: str, *, uri: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, uri=uri)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def _open_file(self) -> None:
        db = self._connect(str(self.path))
        try:
            db.execute("PRAGMA journal_mode=WAL")
            problem = db.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise sqlite3.DatabaseError(problem)
        except BaseException:
            db.close()
            raise
        self._adopt(db)

    def _adopt(self, db: sqlite3.Connection) -> None:
        with self._connections_lock:
            self._connections.append(db)
        self._local.db = db

    def _move_aside(self, exc: sqlite3.DatabaseError) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                os.replace(part, f"{aside}{suffix}")
        self.moved_aside = aside
        logger.error(
            "the state store %s is damaged (%s); it was moved to %s and a fresh one started: "
            "earlier answers, votes and review items are not in the new one",
            self.path,
            exc,
            aside,
        )

    def _open_read_only(self, exc: Exception, *, copy: bool = True) -> None:
        memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        memory.row_factory = sqlite3.Row
        memory.execute("PRAGMA foreign_keys=ON")
        if copy and self.path.is_file():
            try:
                source = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
                try:
                    source.backup(memory)
                finally:
                    source.close()
            except sqlite3.Error as copy_exc:
                logger.error("could not read %s either (%s); starting empty", self.path, copy_exc)
        self._shared = memory
        self.read_only = True
        logger.warning(
            "READ-ONLY MODE: the state folder %s cannot be written (%s). Members are answered, but "
            "answers, votes and notices shown are kept in memory only and lost at restart; make the "
            "folder writable and restart",
            self.path.parent,
            getattr(exc, "strerror", None) or exc,
        )

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._shared is not None:
            with self._shared_lock:
                yield self._shared
            return
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._connect(str(self.path))
            self._adopt(db)
        yield db

    def _run(self, what: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``what`` with this thread's connection; :class:`StoreUnavailable` when it failed
        (after waiting for a busy database, or after one retry of any other failure)."""
        for attempt in (1, 2):
            try:
                with self._connection() as db:
                    return what(db)
            except sqlite3.OperationalError as exc:
                # A busy database already waited BUSY_TIMEOUT_MS: waiting again would only keep
                # a member waiting longer. Anything else (a full disk, an I/O error) is retried.
                if attempt == 1 and "locked" not in str(exc) and "busy" not in str(exc):
                    logger.info("state store failed (%s); retrying once", exc)
                    continue
                logger.warning("state store %s unavailable: %s; going on without it", self.path, exc)
                raise StoreUnavailable(f"The bot's records can't be used right now ({exc}).") from exc
            except sqlite3.DatabaseError as exc:
                logger.error("state store %s failed: %s; going on without it", self.path, exc)
                raise StoreUnavailable(f"The bot's records can't be used right now ({exc}).") from exc
        raise AssertionError("unreachable")

    # -- schema --------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._connection() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = int(row[0]) if row else 0
            if current > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path} has schema version {current}, newer than this citebot knows "
                    f"({len(MIGRATIONS)}); upgrade citebot or restore an older backup"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                # executescript commits first; wrap each step so it lands whole or not at all.
                db.executescript(
                    "BEGIN;\n"
                    + MIGRATIONS[version - 1]
                    + "\nDELETE FROM schema_version;"
                    + f"\nINSERT INTO schema_version VALUES ({version});\nCOMMIT;"
                )
                logger.info("state store %s migrated to schema version %d", self.path, version)

    def describe(self) -> str:
        """The SQLite file, for logs."""
        return str(self.path)

    def close(self) -> None:
        """Close the database; the store cannot be used afterwards."""
        with self._connections_lock:
            connections, self._connections = self._connections, []
        if self._shared is not None:
            connections.append(self._shared)
        for db in connections:
            db.close()


def _unwritable(exc: sqlite3.DatabaseError) -> bool:
    """Whether opening failed because the file or its folder cannot be written."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("readonly" in text or "unable to open" in text)


def check_store(state_dir: Path | str) -> str | None:
    """What is wrong with the state store in ``state_dir`` (None when it is fine or absent),
    opened read-only: for ``citebot index --check``."""
    path = Path(state_dir) / STORE_FILE
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            result = db.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as exc:
        result = str(exc)
    if result == "ok":
        return None
    return f"{path}: the state store is damaged ({result}); the bot moves it aside and starts a fresh one"


@dataclass(frozen=True)
class ServerStore:
    """The rows of one server in a :class:`StateStore`. Every query names ``guild_id`` (``IS NULL``
    for direct messages), so an answer id, message or channel of another server is simply not
    found here, and a vote or dismissal of one is refused."""

    store: StateStore
    guild_id: int | None

    def state_file(self, path: Path) -> YamlStateFile:
        """Where this server's YAML state named like ``path`` (``curated.yaml``…) is kept."""
        if self.guild_id is None:
            raise ValueError("direct messages have no curated answers, glossary or golden questions")
        return self.store.state_file(self.guild_id, path)

    def _scope(self, column: str = "guild_id") -> tuple[str, tuple[int, ...]]:
        """The condition naming this server on ``column`` and its parameters: ``= ?`` (which an
        index serves in both databases) or ``IS NULL`` for direct messages."""
        if self.guild_id is None:
            return f"{column} IS NULL", ()
        return f"{column} = ?", (self.guild_id,)

    # -- answers -------------------------------------------------------------------------------

    def record_answer(
        self,
        question: str,
        passage_ids: Sequence[str],
        answered: bool,
        *,
        user_id: int | None = None,
        channel_id: int | None = None,
        context: str = "",
    ) -> str:
        """Remember an answer given in this server; returns its id (12 hex digits, used in button
        custom ids)."""
        answer_id = secrets.token_hex(6)
        self.store._execute(
            "INSERT INTO answers (id, question, context, passage_ids, answered, user_id, guild_id,"
            " channel_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                answer_id,
                question,
                context,
                json.dumps(list(passage_ids)),
                int(answered),
                user_id,
                self.guild_id,
                channel_id,
                time.time(),
            ),
        )
        return answer_id

    def set_message(self, answer_id: str, message_id: int) -> None:
        """Remember which message shows the answer, so a reply to it can be a follow-up."""
        scope, guild = self._scope()
        self.store._execute(
            f"UPDATE answers SET message_id = ? WHERE id = ? AND {scope}", (message_id, answer_id, *guild)
        )

    def answer(self, answer_id: str) -> AnswerRecord | None:
        """The answer with this id, if recorded in this server."""
        scope, guild = self._scope()
        row = self.store._fetchone(f"SELECT * FROM answers WHERE id = ? AND {scope}", (answer_id, *guild))
        return _record(row)

    def answer_for_message(self, message_id: int) -> AnswerRecord | None:
        """The answer a Discord message of this server shows, if any."""
        scope, guild = self._scope()
        row = self.store._fetchone(
            f"SELECT * FROM answers WHERE message_id = ? AND {scope}", (message_id, *guild)
        )
        return _record(row)

    def last_answer_in(self, channel_id: int) -> AnswerRecord | None:
        """The latest answer given in a channel or thread: the turn a follow-up continues."""
        scope, guild = self._scope()
        row = self.store._fetchone(
            f"SELECT * FROM answers WHERE channel_id = ? AND {scope}"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (channel_id, *guild),
        )
        return _record(row)

    # -- feedback ------------------------------------------------------------------------------

    def set_feedback(self, answer_id: str, user_id: int, vote: int, reason: str | None = None) -> bool:
        """One vote per member per answer; voting again replaces it. ``reason`` None keeps an
        earlier reason when the vote is unchanged. False (nothing recorded) when the answer is not
        one of this server's."""
        if vote not in (-1, 1):
            raise ValueError("vote must be 1 or -1")
        scope, guild = self._scope()
        # Parameters in a SELECT list are cast: PostgreSQL would otherwise take them as text.
        changed = self.store._execute(
            f"""INSERT INTO feedback (answer_id, user_id, vote, reason, created_at, guild_id)
               SELECT id, CAST(? AS BIGINT), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS DOUBLE PRECISION),
                      guild_id
                 FROM answers WHERE id = ? AND {scope}
               ON CONFLICT (answer_id, user_id) DO UPDATE SET
                 reason = CASE WHEN excluded.vote = feedback.vote
                               THEN coalesce(excluded.reason, feedback.reason)
                               ELSE excluded.reason END,
                 vote = excluded.vote,
                 created_at = excluded.created_at""",
            (user_id, vote, reason, time.time(), answer_id, *guild),
        )
        return changed == 1

    def vote_totals(self) -> tuple[int, int]:
        """(helpful, not helpful) votes on this server's answers."""
        scope, guild = self._scope()
        row = self.store._fetchone(
            "SELECT count(*) FILTER (WHERE vote = 1) AS helpful,"
            f" count(*) FILTER (WHERE vote = -1) AS unhelpful FROM feedback WHERE {scope}",
            guild,
        )
        return int(row["helpful"]), int(row["unhelpful"])

    # -- statistics ----------------------------------------------------------------------------

    def answer_totals(self) -> tuple[int, int]:
        """(asked, answered): every question recorded in this server, and those the bot answered."""
        scope, guild = self._scope()
        row = self.store._fetchone(
            f"SELECT count(*) AS asked, coalesce(sum(answered), 0) AS answered FROM answers WHERE {scope}",
            guild,
        )
        return int(row["asked"]), int(row["answered"])

    def most_asked(self, top: int, *, declined_only: bool = False) -> list[tuple[str, int]]:
        """The ``top`` questions asked most often here (ignoring case), with their counts; ties go
        to the one asked first."""
        scope, guild = self._scope()
        declined = "AND answered = 0" if declined_only else ""
        rows = self.store._fetchall(
            f"SELECT min(question) AS question, count(*) AS n FROM answers WHERE {scope} {declined}"
            " GROUP BY lower(question) ORDER BY n DESC, min(created_at) LIMIT ?",
            (*guild, top),
        )
        return [(row["question"], int(row["n"])) for row in rows]

    def daily_counts(self, days: int, *, today: dt.date | None = None) -> list[tuple[dt.date, int, int]]:
        """(day, answered, declined) for each of the last ``days`` UTC days up to ``today`` (default:
        today), oldest first; a day without questions is there with zeros."""
        if days < 1:
            raise ValueError("days must be at least 1")
        today = today or dt.datetime.now(dt.UTC).date()
        first = today - dt.timedelta(days=days - 1)
        start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC).timestamp()
        # A recursive day series and arithmetic on the Unix time: the same SQL in both databases.
        scope, guild = self._scope()
        day = self.store.whole.format("(created_at - ?) / 86400")
        rows = self.store._fetchall(
            f"""
            WITH RECURSIVE series(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM series WHERE n + 1 < ?),
            per_day AS (
                SELECT {day} AS n,
                       sum(CASE WHEN answered = 0 THEN 0 ELSE 1 END) AS answered,
                       sum(CASE WHEN answered = 0 THEN 1 ELSE 0 END) AS declined
                  FROM answers
                 WHERE {scope} AND created_at >= ? AND created_at < ?
                 GROUP BY 1)
            SELECT series.n AS n, coalesce(per_day.answered, 0) AS answered,
                   coalesce(per_day.declined, 0) AS declined
              FROM series LEFT JOIN per_day ON per_day.n = series.n
             ORDER BY series.n
            """,
            (days, start, *guild, start, start + days * 86400),
        )
        return [
            (first + dt.timedelta(days=int(row["n"])), int(row["answered"]), int(row["declined"]))
            for row in rows
        ]

    # -- the review queue ----------------------------------------------------------------------

    def review_items(self, limit: int, *, per_member: int | None = None) -> list[ReviewItem]:
        """Declined or 👎 answers of this server not yet dismissed, oldest first, with their 👎
        count and reasons. With ``per_member``, only the newest that many of each member's
        questions (questions of no known member are all kept); the rest stay in the store."""
        scope, guild = self._scope("a.guild_id")
        dismissed, dismissed_guild = self._scope()
        reasons = self.store.json_array_agg.format("f.reason")
        rows = self.store._fetchall(
            f"""
            SELECT a.id, a.question, a.created_at, a.answered, a.passage_ids,
                   (SELECT count(*) FROM feedback f WHERE f.answer_id = a.id AND f.vote = -1)
                     AS downvotes,
                   (SELECT {reasons} FROM feedback f
                     WHERE f.answer_id = a.id AND f.vote = -1 AND f.reason IS NOT NULL AND f.reason != '')
                     AS reasons
              FROM (SELECT a.*, a.rowid AS seq,
                           row_number() OVER (PARTITION BY a.user_id
                                              ORDER BY a.created_at DESC, a.rowid DESC) AS newest
                      FROM answers a
                     WHERE {scope}
                       AND a.id NOT IN (SELECT answer_id FROM review_dismissed WHERE {dismissed})
                       AND (a.answered = 0
                            OR EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = a.id AND f.vote = -1))
                   ) a
             WHERE CAST(? AS INTEGER) IS NULL OR a.user_id IS NULL OR a.newest <= ?
             ORDER BY a.created_at, a.seq
             LIMIT ?
            """,
            (*guild, *dismissed_guild, per_member, per_member, limit),
        )
        return [
            ReviewItem(
                answer_id=row["id"],
                question=row["question"],
                created_at=row["created_at"],
                declined=not row["answered"],
                downvotes=int(row["downvotes"]),
                reasons=tuple(json.loads(row["reasons"] or "[]")),
                passage_ids=tuple(json.loads(row["passage_ids"])),
            )
            for row in rows
        ]

    def dismiss_from_review(self, answer_id: str, *, user_id: int | None = None) -> bool:
        """Take an answer of this server out of its review queue; False when it was not in it (or
        is unknown here)."""
        scope, guild = self._scope()
        changed = self.store._execute(
            "INSERT INTO review_dismissed (answer_id, user_id, created_at, guild_id)"
            " SELECT id, CAST(? AS BIGINT), CAST(? AS DOUBLE PRECISION), guild_id"
            f" FROM answers WHERE id = ? AND {scope} ON CONFLICT DO NOTHING",
            (user_id, time.time(), answer_id, *guild),
        )
        return changed == 1

    # -- notices -------------------------------------------------------------------------------

    def mark_notice_shown(self, user_id: int, day: str) -> bool:
        """Record that ``user_id`` saw the medical notice in this server on ``day``; False if they
        already had."""
        changed = self.store._execute(
            "INSERT INTO notices_shown (guild_id, user_id, day) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (self.guild_id or 0, user_id, day),
        )
        return changed == 1


def _record(row: Mapping[str, Any] | None) -> AnswerRecord | None:
    if row is None:
        return None
    return AnswerRecord(
        id=row["id"],
        question=row["question"],
        context=row["context"],
        passage_ids=tuple(json.loads(row["passage_ids"])),
        answered=bool(row["answered"]),
        user_id=row["user_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        created_at=row["created_at"],
    )
