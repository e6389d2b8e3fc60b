"""The rows of one server: every query of the state store, written once in the SQL both databases
understand (``?`` parameters, ``ON CONFLICT``, ``FILTER``, window functions; what they spell
differently comes from the store's :class:`~knowledge.store.schema.Dialect`)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..yaml_state import YamlStateFile
from .records import AnswerRecord, ReviewItem, SolvedRecord, answer_record, solved_record

if TYPE_CHECKING:
    from .schema import Dialect

# A member's text kept unless they opted out in this server (then ``{}``): parameters guild id,
# user id, then the text. Never true for direct messages (no server to opt out in).
_UNLESS_OPTED_OUT = (
    "CASE WHEN EXISTS (SELECT 1 FROM privacy_opt_outs o WHERE o.guild_id = ? AND o.user_id = ?)"
    " THEN {} ELSE CAST(? AS TEXT) END"
)


class Rows(Protocol):
    """What a :class:`ServerStore` needs of its :class:`~knowledge.store.base.StateStore`: statements
    in the shared SQL, the backend's dialect, and the server's state files."""

    dialect: Dialect

    def _fetchone(self, sql: str, params: Sequence[Any]) -> Any: ...

    def _fetchall(self, sql: str, params: Sequence[Any]) -> list[Any]: ...

    def _execute(self, sql: str, params: Sequence[Any]) -> int: ...

    def state_file(self, guild_id: int, path: Path) -> YamlStateFile: ...


@dataclass(frozen=True)
class ServerStore:
    """The rows of one server in a :class:`StateStore`. Every query names ``guild_id`` (``IS NULL``
    for direct messages), so an answer id, message or channel of another server is simply not
    found here, and a vote or dismissal of one is refused."""

    store: Rows
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
        custom ids). The question of a member who opted out here (``/privacy``) is not kept: its
        text and context are recorded empty, the rest (for votes, counts and follow-ups) as usual."""
        answer_id = secrets.token_hex(6)
        unless_out = _UNLESS_OPTED_OUT.format("''")
        self.store._execute(
            "INSERT INTO answers (id, question, context, passage_ids, answered, user_id, guild_id,"
            f" channel_id, created_at) VALUES (?, {unless_out}, {unless_out}, ?, ?, ?, ?, ?, ?)",
            (
                answer_id,
                self.guild_id,
                user_id,
                question,
                self.guild_id,
                user_id,
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
        return answer_record(row)

    def answer_for_message(self, message_id: int) -> AnswerRecord | None:
        """The answer a Discord message of this server shows, if any."""
        scope, guild = self._scope()
        row = self.store._fetchone(
            f"SELECT * FROM answers WHERE message_id = ? AND {scope}", (message_id, *guild)
        )
        return answer_record(row)

    def last_answer_in(self, channel_id: int) -> AnswerRecord | None:
        """The latest answer given in a channel or thread: the turn a follow-up continues."""
        scope, guild = self._scope()
        row = self.store._fetchone(
            f"SELECT * FROM answers WHERE channel_id = ? AND {scope}"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (channel_id, *guild),
        )
        return answer_record(row)

    # -- feedback ------------------------------------------------------------------------------

    def set_feedback(self, answer_id: str, user_id: int, vote: int, reason: str | None = None) -> bool:
        """One vote per member per answer; voting again replaces it. ``reason`` None keeps an
        earlier reason when the vote is unchanged. False (nothing recorded) when the answer is not
        one of this server's."""
        if vote not in (-1, 1):
            raise ValueError("vote must be 1 or -1")
        scope, guild = self._scope()
        # Parameters in a SELECT list are cast: PostgreSQL would otherwise take them as text. The
        # reason of a member who opted out here is not kept.
        changed = self.store._execute(
            f"""INSERT INTO feedback (answer_id, user_id, vote, reason, created_at, guild_id)
               SELECT id, CAST(? AS BIGINT), CAST(? AS INTEGER), {_UNLESS_OPTED_OUT.format("NULL")},
                      CAST(? AS DOUBLE PRECISION), guild_id
                 FROM answers WHERE id = ? AND {scope}
               ON CONFLICT (answer_id, user_id) DO UPDATE SET
                 reason = CASE WHEN excluded.vote = feedback.vote
                               THEN coalesce(excluded.reason, feedback.reason)
                               ELSE excluded.reason END,
                 vote = excluded.vote,
                 created_at = excluded.created_at""",
            (user_id, vote, self.guild_id, user_id, reason, time.time(), answer_id, *guild),
        )
        return changed == 1

    def withdraw_feedback(self, answer_id: str, user_id: int, vote: int) -> bool:
        """Take back a member's ``vote`` on an answer (the reaction that gave it was removed); a
        different vote they gave since stays. False when there was no such vote here."""
        scope, guild = self._scope()
        removed = self.store._execute(
            f"DELETE FROM feedback WHERE answer_id = ? AND user_id = ? AND vote = ? AND {scope}",
            (answer_id, user_id, vote, *guild),
        )
        return removed == 1

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
            "SELECT min(question) AS question, count(*) AS n FROM answers"
            f" WHERE {scope} AND question != '' {declined}"
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
        day = self.store.dialect.whole.format("(created_at - ?) / 86400")
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
        reasons = self.store.dialect.json_array_agg.format("f.reason")
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
                     WHERE {scope} AND a.question != ''
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

    # -- solved threads (knowledge/solved.py) ---------------------------------------------------

    def record_solved(
        self,
        *,
        channel_id: int,
        thread_id: int,
        title: str,
        question: tuple[int | None, str, int],
        solution: tuple[int, str, int],
        marked_by: int,
    ) -> SolvedRecord:
        """Keep a thread's question ``(message id, text, author)`` and its marked ``solution``;
        marking a thread again replaces its solution (one saved already waits for review again)."""
        stamp = time.time()
        self.store._execute(
            """INSERT INTO solved_threads (id, guild_id, channel_id, thread_id, title, question_id,
                   question_text, question_author, solution_id, solution_text, solution_author,
                   marked_by, status, curated_id, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', NULL, ?, ?)
               ON CONFLICT (guild_id, thread_id) DO UPDATE SET
                 title = excluded.title, question_id = excluded.question_id,
                 question_text = excluded.question_text, question_author = excluded.question_author,
                 solution_id = excluded.solution_id, solution_text = excluded.solution_text,
                 solution_author = excluded.solution_author, marked_by = excluded.marked_by,
                 status = CASE WHEN solved_threads.curated_id IS NULL AND solved_threads.document IS NULL
                               THEN 'waiting' ELSE 'stale' END,
                 updated_at = excluded.updated_at""",
            (secrets.token_hex(6), self._guild(), channel_id, thread_id, title, *question, *solution,
             marked_by, stamp, stamp),
        )  # fmt: skip
        found = self.solved_in_thread(thread_id)
        assert found is not None
        return found

    def _guild(self) -> int:
        if self.guild_id is None:
            raise ValueError("direct messages have no solved threads")
        return self.guild_id

    def solved(self, record_id: str) -> SolvedRecord | None:
        """The solved thread with this id, if kept in this server."""
        row = self.store._fetchone(
            "SELECT * FROM solved_threads WHERE id = ? AND guild_id = ?", (record_id, self._guild())
        )
        return solved_record(row)

    def solved_in_thread(self, thread_id: int) -> SolvedRecord | None:
        """The solution kept for a thread of this server, if any."""
        row = self.store._fetchone(
            "SELECT * FROM solved_threads WHERE thread_id = ? AND guild_id = ?", (thread_id, self._guild())
        )
        return solved_record(row)

    def solved_threads(self, *statuses: str, limit: int = 1000) -> list[SolvedRecord]:
        """This server's solved threads (with ``statuses``, only those), oldest first."""
        wanted = f" AND status IN ({', '.join('?' * len(statuses))})" if statuses else ""
        rows = self.store._fetchall(
            f"SELECT * FROM solved_threads WHERE guild_id = ?{wanted} ORDER BY created_at, id LIMIT ?",
            (self._guild(), *statuses, limit),
        )
        return [r for r in map(solved_record, rows) if r is not None]

    def set_solved_status(
        self, record_id: str, status: str, *, curated_id: int | None = None, document: str | None = None
    ) -> bool:
        """Record what moderators made of a solved thread (the curated answer saved from it, the
        document added to the knowledge from it); False when it is not (or no longer) kept here."""
        changed = self.store._execute(
            "UPDATE solved_threads SET status = ?, curated_id = coalesce(?, curated_id),"
            " document = coalesce(?, document), updated_at = ? WHERE id = ? AND guild_id = ?",
            (status, curated_id, document, time.time(), record_id, self._guild()),
        )
        return changed == 1

    def forget_solved(
        self, *, message_id: int | None = None, thread_id: int | None = None, author_id: int | None = None
    ) -> list[SolvedRecord]:
        """Remove what was kept from a deleted message (question or solution), a deleted thread,
        or every message of a member; returns what was removed."""
        if (message_id, thread_id, author_id).count(None) != 2:
            raise ValueError("name one of message_id, thread_id or author_id")
        if message_id is not None:
            where, params = "(solution_id = ? OR question_id = ?)", (message_id, message_id)
        elif thread_id is not None:
            where, params = "thread_id = ?", (thread_id,)
        else:
            where, params = "(solution_author = ? OR question_author = ?)", (author_id, author_id)
        rows = self.store._fetchall(
            f"SELECT * FROM solved_threads WHERE guild_id = ? AND {where}", (self._guild(), *params)
        )
        found = [r for r in map(solved_record, rows) if r is not None]
        for record in found:
            self.store._execute(
                "DELETE FROM solved_threads WHERE id = ? AND guild_id = ?", (record.id, self._guild())
            )
        return found

    def edit_solved(self, message_id: int, text: str) -> list[SolvedRecord]:
        """A kept message (question or solution) was edited: keep its new text, and flag a thread
        already saved as stale for review; returns the threads changed."""
        guild = self._guild()
        stamp = time.time()
        for column in ("solution", "question"):
            self.store._execute(
                f"UPDATE solved_threads SET {column}_text = ?, updated_at = ?,"
                " status = CASE WHEN status = 'saved' THEN 'stale' ELSE status END"
                f" WHERE guild_id = ? AND {column}_id = ?",
                (text, stamp, guild, message_id),
            )
        rows = self.store._fetchall(
            "SELECT * FROM solved_threads WHERE guild_id = ? AND (solution_id = ? OR question_id = ?)",
            (guild, message_id, message_id),
        )
        return [r for r in map(solved_record, rows) if r is not None]

    # -- privacy -------------------------------------------------------------------------------

    def set_opted_out(self, user_id: int, opted_out: bool) -> bool:
        """A member of this server asks that none of their messages be kept (or allows it again);
        False when that was so already."""
        if opted_out:
            sql = (
                "INSERT INTO privacy_opt_outs (guild_id, user_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING"
            )
            return self.store._execute(sql, (self._guild(), user_id, time.time())) == 1
        sql = "DELETE FROM privacy_opt_outs WHERE guild_id = ? AND user_id = ?"
        return self.store._execute(sql, (self._guild(), user_id)) == 1

    def forget_questions(self, user_id: int) -> int:
        """A member opted out here: empty the text of the questions they asked (and of the earlier
        turns kept with them), of the follow-ups of others that quote one of them, and the
        reasons of their votes; the answers stay, for votes and counts. Returns how many of their
        answers had text emptied."""
        guild = self._guild()
        quotes = self.store.dialect.contains.format("answers.context", "mine.question")
        self.store._execute(
            f"""UPDATE answers SET context = '' WHERE guild_id = ? AND context != ''
                AND EXISTS (SELECT 1 FROM answers mine WHERE mine.guild_id = ? AND mine.user_id = ?
                            AND mine.question != '' AND {quotes})""",
            (guild, guild, user_id),
        )
        emptied = self.store._execute(
            "UPDATE answers SET question = '', context = '' WHERE guild_id = ? AND user_id = ?"
            " AND (question != '' OR context != '')",
            (guild, user_id),
        )
        self.store._execute(
            "UPDATE feedback SET reason = NULL WHERE guild_id = ? AND user_id = ? AND reason IS NOT NULL",
            (guild, user_id),
        )
        return emptied

    def opted_out(self, user_ids: Sequence[int]) -> set[int]:
        """Which of these members opted out of having their messages kept in this server."""
        if not user_ids:
            return set()
        rows = self.store._fetchall(
            f"SELECT user_id FROM privacy_opt_outs WHERE guild_id = ?"
            f" AND user_id IN ({', '.join('?' * len(user_ids))})",
            (self._guild(), *user_ids),
        )
        return {int(row["user_id"]) for row in rows}

    # -- notices -------------------------------------------------------------------------------

    def mark_notice_shown(self, user_id: int, day: str) -> bool:
        """Record that ``user_id`` saw the medical notice in this server on ``day``; False if they
        already had."""
        changed = self.store._execute(
            "INSERT INTO notices_shown (guild_id, user_id, day) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (self.guild_id or 0, user_id, day),
        )
        return changed == 1
