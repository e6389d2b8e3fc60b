"""What the state store returns: an answer given, and an item of the review queue."""

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
