"""What the bot remembers between restarts, in one SQLite file in the state folder.

Answers given (so buttons on old messages still work), feedback on them, and the days a member was
shown the medical notice. Every row belongs to one Discord server (``guild_id``; NULL, or 0 for
notices, is direct messages), and the only way to read or write rows is a :class:`ServerStore`
(``store.server(guild_id)``), which puts its server into every query: one server never sees or
changes another's answers, votes, reasons, review queue or statistics.

WAL mode lets a backup (``sqlite3 citebot.sqlite3 ".backup ..."``) run
while the bot writes. The schema is versioned: each entry of ``MIGRATIONS`` brings the file from
one version to the next, so later features add a migration rather than editing an old one.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

STORE_FILE = "citebot.sqlite3"

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


class StoreError(RuntimeError):
    """The state file cannot be used (for example written by a newer citebot)."""


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


class Store:
    """A small SQLite store; safe to call from the event loop thread and worker threads.

    It holds the connection and the schema; what is in it is reached per server with
    :meth:`server`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def in_folder(cls, state_dir: Path | str) -> Store:
        """The store in a state folder (created when missing)."""
        return cls(Path(state_dir) / STORE_FILE)

    # -- schema --------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """The schema version the file is at."""
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = self.schema_version
            if current > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path} has schema version {current}, newer than this citebot knows "
                    f"({len(MIGRATIONS)}); upgrade citebot or restore an older backup"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                # executescript commits first; wrap each step so it lands whole or not at all.
                self._db.executescript(
                    "BEGIN;\n"
                    + MIGRATIONS[version - 1]
                    + "\nDELETE FROM schema_version;"
                    + f"\nINSERT INTO schema_version VALUES ({version});\nCOMMIT;"
                )
                logger.info("state store %s migrated to schema version %d", self.path, version)

    def server(self, guild_id: int | None) -> ServerStore:
        """The rows of one server (None: direct messages)."""
        return ServerStore(self, guild_id)

    def guild_ids(self) -> list[int]:
        """The servers that have stored answers, in the order they first asked."""
        rows = self._fetchall(
            "SELECT guild_id FROM answers WHERE guild_id IS NOT NULL"
            " GROUP BY guild_id ORDER BY min(created_at)",
            (),
        )
        return [int(row[0]) for row in rows]

    def _fetchone(self, sql: str, params: tuple) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def _fetchall(self, sql: str, params: tuple) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _execute(self, sql: str, params: tuple) -> int:
        """Run a change; returns the number of rows it changed."""
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def close(self) -> None:
        """Close the database; the store cannot be used afterwards."""
        with self._lock:
            self._db.close()


@dataclass(frozen=True)
class ServerStore:
    """The rows of one server in a :class:`Store`. Every query names ``guild_id`` (``IS``, so
    None matches direct messages), so an answer id, message or channel of another server is
    simply not found here, and a vote or dismissal of one is refused."""

    store: Store
    guild_id: int | None

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
        self.store._execute(
            "UPDATE answers SET message_id = ? WHERE id = ? AND guild_id IS ?",
            (message_id, answer_id, self.guild_id),
        )

    def answer(self, answer_id: str) -> AnswerRecord | None:
        """The answer with this id, if recorded in this server."""
        row = self.store._fetchone(
            "SELECT * FROM answers WHERE id = ? AND guild_id IS ?", (answer_id, self.guild_id)
        )
        return _record(row)

    def answer_for_message(self, message_id: int) -> AnswerRecord | None:
        """The answer a Discord message of this server shows, if any."""
        row = self.store._fetchone(
            "SELECT * FROM answers WHERE message_id = ? AND guild_id IS ?", (message_id, self.guild_id)
        )
        return _record(row)

    def last_answer_in(self, channel_id: int) -> AnswerRecord | None:
        """The latest answer given in a channel or thread: the turn a follow-up continues."""
        row = self.store._fetchone(
            "SELECT * FROM answers WHERE channel_id = ? AND guild_id IS ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (channel_id, self.guild_id),
        )
        return _record(row)

    # -- feedback ------------------------------------------------------------------------------

    def set_feedback(self, answer_id: str, user_id: int, vote: int, reason: str | None = None) -> bool:
        """One vote per member per answer; voting again replaces it. ``reason`` None keeps an
        earlier reason when the vote is unchanged. False (nothing recorded) when the answer is not
        one of this server's."""
        if vote not in (-1, 1):
            raise ValueError("vote must be 1 or -1")
        changed = self.store._execute(
            """INSERT INTO feedback (answer_id, user_id, vote, reason, created_at, guild_id)
               SELECT id, ?, ?, ?, ?, guild_id FROM answers WHERE id = ? AND guild_id IS ?
               ON CONFLICT (answer_id, user_id) DO UPDATE SET
                 reason = CASE WHEN excluded.vote = feedback.vote
                               THEN coalesce(excluded.reason, feedback.reason)
                               ELSE excluded.reason END,
                 vote = excluded.vote,
                 created_at = excluded.created_at""",
            (user_id, vote, reason, time.time(), answer_id, self.guild_id),
        )
        return changed == 1

    def vote_totals(self) -> tuple[int, int]:
        """(helpful, not helpful) votes on this server's answers."""
        row = self.store._fetchone(
            "SELECT coalesce(sum(vote = 1), 0), coalesce(sum(vote = -1), 0) FROM feedback"
            " WHERE guild_id IS ?",
            (self.guild_id,),
        )
        return int(row[0]), int(row[1])

    # -- statistics ----------------------------------------------------------------------------

    def answer_totals(self) -> tuple[int, int]:
        """(asked, answered): every question recorded in this server, and those the bot answered."""
        row = self.store._fetchone(
            "SELECT count(*), coalesce(sum(answered), 0) FROM answers WHERE guild_id IS ?", (self.guild_id,)
        )
        return int(row[0]), int(row[1])

    def most_asked(self, top: int, *, declined_only: bool = False) -> list[tuple[str, int]]:
        """The ``top`` questions asked most often here (ignoring case), with their counts; ties go
        to the one asked first."""
        declined = "AND answered = 0" if declined_only else ""
        rows = self.store._fetchall(
            f"SELECT question, count(*) AS n FROM answers WHERE guild_id IS ? {declined}"
            " GROUP BY lower(question) ORDER BY n DESC, min(created_at) LIMIT ?",
            (self.guild_id, top),
        )
        return [(row["question"], int(row["n"])) for row in rows]

    # -- the review queue ----------------------------------------------------------------------

    def review_items(self, limit: int, *, per_member: int | None = None) -> list[ReviewItem]:
        """Declined or 👎 answers of this server not yet dismissed, oldest first, with their 👎
        count and reasons. With ``per_member``, only the newest that many of each member's
        questions (questions of no known member are all kept); the rest stay in the store."""
        rows = self.store._fetchall(
            """
            SELECT a.id, a.question, a.created_at, a.answered, a.passage_ids,
                   (SELECT count(*) FROM feedback f WHERE f.answer_id = a.id AND f.vote = -1)
                     AS downvotes,
                   (SELECT json_group_array(f.reason) FROM feedback f
                     WHERE f.answer_id = a.id AND f.vote = -1 AND f.reason IS NOT NULL AND f.reason != '')
                     AS reasons
              FROM (SELECT a.*, a.rowid AS seq,
                           row_number() OVER (PARTITION BY a.user_id
                                              ORDER BY a.created_at DESC, a.rowid DESC) AS newest
                      FROM answers a
                     WHERE a.guild_id IS ?
                       AND a.id NOT IN (SELECT answer_id FROM review_dismissed WHERE guild_id IS ?)
                       AND (a.answered = 0
                            OR EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = a.id AND f.vote = -1))
                   ) a
             WHERE ? IS NULL OR a.user_id IS NULL OR a.newest <= ?
             ORDER BY a.created_at, a.seq
             LIMIT ?
            """,
            (self.guild_id, self.guild_id, per_member, per_member, limit),
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
        changed = self.store._execute(
            "INSERT OR IGNORE INTO review_dismissed (answer_id, user_id, created_at, guild_id)"
            " SELECT id, ?, ?, guild_id FROM answers WHERE id = ? AND guild_id IS ?",
            (user_id, time.time(), answer_id, self.guild_id),
        )
        return changed == 1

    # -- notices -------------------------------------------------------------------------------

    def mark_notice_shown(self, user_id: int, day: str) -> bool:
        """Record that ``user_id`` saw the medical notice in this server on ``day``; False if they
        already had."""
        changed = self.store._execute(
            "INSERT OR IGNORE INTO notices_shown (guild_id, user_id, day) VALUES (?, ?, ?)",
            (self.guild_id or 0, user_id, day),
        )
        return changed == 1


def _record(row: sqlite3.Row | None) -> AnswerRecord | None:
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
