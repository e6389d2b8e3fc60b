"""What the state store returns: an answer given, an item of the review queue, a solved thread."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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


def answer_record(row: Mapping[str, Any] | None) -> AnswerRecord | None:
    """The answer a row of ``answers`` holds (None: no row)."""
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


@dataclass(frozen=True)
class SolvedRecord:
    """A solved help thread as kept: its question (title and opening message) and the message
    marked as its solution, who wrote each, who marked it, and what moderators made of it."""

    id: str
    guild_id: int
    channel_id: int
    thread_id: int
    title: str
    question_id: int | None
    question_text: str
    question_author: int
    solution_id: int
    solution_text: str
    solution_author: int
    marked_by: int
    status: str
    curated_id: int | None
    created_at: float
    updated_at: float
    #: The upload of the server's knowledge made from it (Add to knowledge), by file name.
    document: str | None = None

    @property
    def thread_link(self) -> str:
        """The thread's address on Discord."""
        return f"https://discord.com/channels/{self.guild_id}/{self.thread_id}"

    @property
    def solution_link(self) -> str:
        """The solution message's address on Discord."""
        return f"{self.thread_link}/{self.solution_id}"


def solved_record(row: Mapping[str, Any] | None) -> SolvedRecord | None:
    """The solved thread a row of ``solved_threads`` holds (None: no row)."""
    if row is None:
        return None
    return SolvedRecord(**{name: row[name] for name in SolvedRecord.__dataclass_fields__})
