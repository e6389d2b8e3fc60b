"""Solved help threads: the answers a server's community already wrote, kept for moderators to
make into curated answers.

In a thread of a channel the server opted in, the member who opened it or a moderator marks the
message that solved it. Only two messages are kept, per server, in the state store: the question
(the thread's title and opening message) and the marked solution, never the rest of the thread.
Moderators then save it as a curated answer (its text the solution, its question the thread's,
with the thread's link in the answer), add it to the server's knowledge as a document cited as
``#channel › thread title · date`` with the solution's link (:mod:`knowledge.solved_documents`),
or dismiss it.

Consent by construction: a member who opted out (``/privacy``) has none of their messages kept
or quoted (nor the text of their questions to the bot: see ``ServerStore.record_answer``), and what
was kept of theirs is removed with any curated answer or document made from it
(a document is deleted outright, no copy kept); a deleted message or thread takes its record (and
curated answer and document) with it; an edited one is kept as edited and, once saved or added,
flagged stale for review (the curated answer and the document keep serving the text a moderator
approved until a moderator saves or adds it again, or dismisses it).

The Discord side (reading the thread, who may mark) is the bot's: this module takes plain ids and
texts.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .curated import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, CuratedAnswer, CuratedStore
from .errors import CitebotError, NotFoundError, StateWriteError
from .models import cut_at_word, short_text
from .solved_documents import document_name, document_text
from .yaml_state import dump_yaml

if TYPE_CHECKING:
    from .store import ServerStore
    from .store.records import SolvedRecord
    from .uploads import UploadsFolder

logger = logging.getLogger(__name__)

WAITING, SAVED, STALE, DISMISSED = "waiting", "saved", "stale", "dismissed"
#: Who marked a solution that the forum's "solved" tag marked (Discord does not say who applied it).
TAGGED = 0
#: The statuses a moderator still has to decide on.
TO_REVIEW = (WAITING, STALE)
# The longest message kept (Discord's own limit for a member's message with Nitro).
MAX_MESSAGE_CHARS = 4000
EXPORT_VERSION = 1


class NotKept(CitebotError):
    """A solution that cannot be kept (a member opted out, or nothing to keep); says why."""


@dataclass(frozen=True)
class Post:
    """One message of a thread: its id (None: a thread without an opening message), its text and
    its author."""

    id: int | None
    text: str
    author: int


def _clean(text: str) -> str:
    return text.strip()[:MAX_MESSAGE_CHARS]


def curated_question(record: SolvedRecord) -> tuple[str, list[str]]:
    """The question a curated answer made from ``record`` is matched on (the opening message,
    else the title) and its other phrasing (the title)."""
    title = short_text(record.title, MAX_QUESTION_CHARS)
    asked = short_text(record.question_text, MAX_QUESTION_CHARS) if record.question_text.strip() else ""
    if not asked:
        return title, []
    return asked, [title] if title and title.lower() != asked.lower() else []


def curated_text(record: SolvedRecord) -> str:
    """A curated answer's text made from ``record``: the solution, then the link to the thread."""
    link = f"\n\n— from the solved thread “{short_text(record.title, 100)}”: {record.solution_link}"
    return cut_at_word(record.solution_text.strip(), MAX_ANSWER_CHARS - len(link)) + link


class SolvedThreads:
    """The solved threads of one server: its rows of the state store, its curated answers and its
    uploads (None: documents are not made here). Every method may wait on the store or the disk:
    call it in a worker thread."""

    def __init__(
        self, rows: ServerStore, curated: CuratedStore | None, uploads: UploadsFolder | None = None
    ) -> None:
        if rows.guild_id is None:
            raise ValueError("solved threads belong to a server")
        self.rows = rows
        self.curated = curated
        self.uploads = uploads

    # -- marking -----------------------------------------------------------------------------------

    def mark(
        self,
        *,
        channel_id: int,
        thread_id: int,
        title: str,
        question: Post,
        solution: Post,
        marked_by: int,
    ) -> SolvedRecord:
        """Keep ``solution`` as the answer to the thread's ``question``. NotKept when the author of
        either opted out here, or when the solution has no text."""
        if not solution.text.strip():
            raise NotKept("That message has no text to keep; mark the message that says the answer.")
        authors = {question.author, solution.author}
        out = self.rows.opted_out(sorted(authors))
        if solution.author in out:
            raise NotKept(
                "The member who wrote that message asked that none of their messages be kept "
                "(`/privacy`), so it can't be marked."
            )
        if question.author in out:
            raise NotKept(
                "The member who opened this thread asked that none of their messages be kept "
                "(`/privacy`), so its solution can't be kept."
            )
        record = self.rows.record_solved(
            channel_id=channel_id,
            thread_id=thread_id,
            title=_clean(title) or "(untitled)",
            question=(question.id, _clean(question.text), question.author),
            solution=(solution.id, _clean(solution.text), solution.author),
            marked_by=marked_by,
        )  # type: ignore[arg-type]  # a solution always has a message id
        logger.info("server %s: thread %s marked solved (%s)", self.rows.guild_id, thread_id, record.id)
        return record

    # -- reviewing -----------------------------------------------------------------------------------

    def to_review(self, limit: int = 100) -> list[SolvedRecord]:
        """The solved threads waiting for a moderator, oldest first."""
        return self.rows.solved_threads(*TO_REVIEW, limit=limit)

    def get(self, record_id: str) -> SolvedRecord:
        """The solved thread ``record_id`` of this server; NotFoundError when it is gone."""
        record = self.rows.solved(record_id)
        if record is None:
            raise NotFoundError("That solved thread is no longer kept (its message or thread was deleted).")
        return record

    def save_as_curated(self, record_id: str, *, by: str) -> CuratedAnswer:
        """Make the solved thread a curated answer (or update the one made from it before) and
        serve it. StateWriteError when the file could not be written (the answer is served)."""
        record = self.get(record_id)
        if self.curated is None:
            raise NotFoundError("Curated answers belong to a server.")
        question, phrasings = curated_question(record)
        text = curated_text(record)
        curated = self.curated
        existing = curated.get(record.curated_id) if record.curated_id is not None else None
        try:
            if existing is not None:
                entry = curated.edit(existing.id, by=by, question=question, answer=text, phrasings=phrasings)
                if entry.status == "stale":
                    entry = curated.keep(entry.id, by=by)
            else:
                entry = curated.add(question, text, author=by, phrasings=phrasings)
        except StateWriteError as exc:
            # Served from memory all the same, and written with the next change.
            self.rows.set_solved_status(record.id, SAVED, curated_id=exc.done.id)  # type: ignore[attr-defined]
            raise
        self.rows.set_solved_status(record.id, SAVED, curated_id=entry.id)
        return entry

    def add_to_knowledge(self, record_id: str, *, channel: str, day: dt.date) -> str:
        """Make the solved thread a document of this server's knowledge (or replace the one made
        from it before); returns the upload's file name. The caller reloads the knowledge base.
        ``channel`` names the forum or channel the thread is in, ``day`` when the solution was
        written. UploadError when the text cannot be read as a document, StateWriteError when it
        could not be written (nothing was added)."""
        record = self.get(record_id)
        if self.uploads is None or self.uploads.uploads is None:
            raise NotFoundError("Documents belong to a server.")
        name = document_name(record)
        # An earlier version is not kept aside: only what the thread says now is.
        self.uploads.add(name, document_text(record, channel, day), keep_earlier=False)
        if not self.rows.set_solved_status(record.id, SAVED, document=name):
            # Forgotten meanwhile (its message deleted, its author opted out): so is the document.
            self.uploads.delete(name)
            raise NotFoundError("That solved thread is no longer kept (its message or thread was deleted).")
        logger.info("server %s: solved thread %s is now %s", self.rows.guild_id, record.id, name)
        return name

    def dismiss(self, record_id: str) -> bool:
        """Leave a solved thread out of review; False when it is gone."""
        return self.rows.set_solved_status(record_id, DISMISSED)

    # -- consent and changes -------------------------------------------------------------------------

    def forget_message(self, message_id: int) -> list[SolvedRecord]:
        """A kept message was deleted: remove its record and any curated answer made from it."""
        return self._drop(self.rows.forget_solved(message_id=message_id))

    def forget_thread(self, thread_id: int) -> list[SolvedRecord]:
        """A thread was deleted: remove its record and any curated answer made from it."""
        return self._drop(self.rows.forget_solved(thread_id=thread_id))

    def opt_out(self, user_id: int) -> list[SolvedRecord]:
        """A member opted out: nothing of theirs is kept from now on, and what was is removed (the
        solved threads with their messages, and the text of the questions they asked the bot)."""
        self.rows.set_opted_out(user_id, True)
        self.rows.forget_questions(user_id)
        return self._drop(self.rows.forget_solved(author_id=user_id))

    def opt_in(self, user_id: int) -> bool:
        """A member allows their messages to be kept again; False when they had not opted out."""
        return self.rows.set_opted_out(user_id, False)

    def is_opted_out(self, user_id: int) -> bool:
        """Whether a member opted out here."""
        return bool(self.rows.opted_out([user_id]))

    def edited(self, message_id: int, text: str, *, by: str = "citebot") -> list[SolvedRecord]:
        """A kept message was edited: keep the new text (an author who opted out since was removed
        already); a thread saved before is stale, and so is its curated answer, until reviewed."""
        if not text.strip():
            return []
        changed = self.rows.edit_solved(message_id, _clean(text))
        curated = self.curated
        for record in changed:
            entry = curated.get(record.curated_id) if curated and record.curated_id else None
            if curated and entry is not None and record.status == STALE and entry.status == "active":
                curated.flag(entry.id, by=by, reason="its solved thread's message was edited")
        return changed

    def _drop(self, removed: list[SolvedRecord]) -> list[SolvedRecord]:
        curated = self.curated
        for record in removed:
            if record.document is not None and self.uploads is not None:
                self.uploads.delete(record.document)
                logger.info(
                    "server %s: %s removed with its solved thread", self.rows.guild_id, record.document
                )
            if curated is not None and record.curated_id is not None and curated.get(record.curated_id):
                curated.remove(record.curated_id)
                logger.info(
                    "server %s: curated answer #%d removed with its solved thread",
                    self.rows.guild_id,
                    record.curated_id,
                )
        return removed

    # -- export ------------------------------------------------------------------------------------------

    def export_yaml(self) -> str:
        """Every solved thread kept in this server as YAML (question, solution, author ids,
        links), dismissed ones left out: for a backup or a static FAQ page."""
        threads = [
            {
                "title": r.title,
                "question": r.question_text,
                "question_author": r.question_author,
                "solution": r.solution_text,
                "solution_author": r.solution_author,
                "marked_by": r.marked_by,
                "status": r.status,
                "thread": r.thread_link,
                "solution_link": r.solution_link,
                **({"curated_answer": r.curated_id} if r.curated_id is not None else {}),
                **({"document": r.document} if r.document is not None else {}),
            }
            for r in self.rows.solved_threads(WAITING, SAVED, STALE, limit=1_000_000)
        ]
        return dump_yaml({"version": EXPORT_VERSION, "server": self.rows.guild_id, "threads": threads})
