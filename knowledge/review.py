"""The moderators' review queue and question statistics, over the SQLite store.

Declined questions and answers marked not helpful (👎) wait in the queue, oldest first, with
similar questions grouped ("asked 4 times"). A group leaves the queue when a moderator dismisses
it or when a curated answer now matches it. The unknown words of declined questions (words the
index has never seen) are offered as glossary entries.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .curated import CuratedStore
from .matching import question_terms, similarity

if TYPE_CHECKING:
    from .glossary import Glossary
    from .kb import KnowledgeBase
    from .store import Store

# Two questions with a Dice similarity this high ask the same thing worded differently; lower than
# the curated-answer threshold since a group only saves a moderator reading twice.
GROUP_SIMILARITY = 0.6
MAX_ITEMS = 2_000


@dataclass(frozen=True)
class ReviewItem:
    """One question in the queue: declined, marked not helpful, or both."""

    answer_id: str
    question: str
    created_at: float
    declined: bool
    downvotes: int
    reasons: tuple[str, ...]
    passage_ids: tuple[str, ...]


@dataclass
class ReviewGroup:
    """Similar questions, the oldest first; ``question`` is the oldest wording."""

    items: list[ReviewItem] = field(default_factory=list)

    @property
    def question(self) -> str:
        return self.items[0].question

    @property
    def key(self) -> str:
        return self.items[0].answer_id

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def declined(self) -> int:
        return sum(item.declined for item in self.items)

    @property
    def downvotes(self) -> int:
        return sum(item.downvotes for item in self.items)

    @property
    def first_asked(self) -> float:
        return self.items[0].created_at

    @property
    def answer_ids(self) -> list[str]:
        return [item.answer_id for item in self.items]

    @property
    def reasons(self) -> list[str]:
        return [reason for item in self.items for reason in item.reasons]

    def wordings(self) -> list[str]:
        """The distinct wordings, oldest first."""
        return list(dict.fromkeys(item.question for item in self.items))

    @property
    def best_passage_id(self) -> str | None:
        """The passage retrieval ranked first for the oldest wording (for a curated answer's source)."""
        for item in self.items:
            if item.passage_ids:
                return item.passage_ids[0]
        return None


@dataclass(frozen=True)
class GlossarySuggestion:
    word: str
    count: int
    example: str


@dataclass(frozen=True)
class QuestionStats:
    asked: int
    answered: int
    declined: int
    helpful: int
    not_helpful: int
    top_questions: list[tuple[str, int]]
    top_declined: list[tuple[str, int]]

    @property
    def answered_rate(self) -> float:
        return self.answered / self.asked if self.asked else 0.0


class ReviewQueue:
    def __init__(self, store: Store) -> None:
        self.store = store

    def items(self, limit: int = MAX_ITEMS) -> list[ReviewItem]:
        """Questions waiting for review, oldest first."""
        rows = self.store.query(
            """
            SELECT a.id, a.question, a.created_at, a.answered, a.passage_ids,
                   (SELECT count(*) FROM feedback f WHERE f.answer_id = a.id AND f.vote = -1) AS downvotes,
                   (SELECT json_group_array(f.reason) FROM feedback f
                     WHERE f.answer_id = a.id AND f.vote = -1 AND f.reason IS NOT NULL AND f.reason != '')
                     AS reasons
              FROM answers a
             WHERE a.id NOT IN (SELECT answer_id FROM review_dismissed)
               AND (a.answered = 0
                    OR EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id = a.id AND f.vote = -1))
             ORDER BY a.created_at, a.rowid
             LIMIT ?
            """,
            (limit,),
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

    def groups(
        self,
        *,
        curated: CuratedStore | None = None,
        kb: KnowledgeBase | None = None,
        threshold: float = GROUP_SIMILARITY,
    ) -> list[ReviewGroup]:
        """The queue grouped: each question joins the first (oldest) group it is similar to.
        Questions a curated answer now matches are left out: the moderators have answered them."""
        groups: list[tuple[frozenset[str], ReviewGroup]] = []
        matched: dict[str, bool] = {}
        for item in self.items():
            if curated is not None:
                if item.question not in matched:
                    matched[item.question] = curated.match(item.question, kb) is not None
                if matched[item.question]:
                    continue
            terms = question_terms(item.question)
            for group_terms, group in groups:
                same = terms == group_terms or similarity(terms, group_terms) >= threshold
                if same:
                    group.items.append(item)
                    break
            else:
                groups.append((terms, ReviewGroup([item])))
        return [group for _, group in groups]

    def dismiss(self, answer_ids: list[str], *, user_id: int | None = None) -> int:
        """Take questions out of the queue; returns how many were still in it."""
        changed = 0
        for answer_id in answer_ids:
            changed += self.store.execute(
                "INSERT OR IGNORE INTO review_dismissed (answer_id, user_id, created_at)"
                " SELECT id, ?, strftime('%s', 'now') FROM answers WHERE id = ?",
                (user_id, answer_id),
            )
        return changed

    def glossary_suggestions(
        self, kb: KnowledgeBase, glossary: Glossary | None = None, *, limit: int = 5
    ) -> list[GlossarySuggestion]:
        """Words of declined questions that the knowledge base never uses (even allowing for
        typos), most frequent first: candidates for ``/glossary add``."""
        counts: Counter[str] = Counter()
        examples: dict[str, str] = {}
        for item in self.items():
            if not item.declined:
                continue
            for word in kb.unknown_words(item.question):
                if glossary is not None and glossary.get(word) is not None:
                    continue
                counts[word] += 1
                examples.setdefault(word, item.question)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [GlossarySuggestion(word, count, examples[word]) for word, count in ranked[:limit]]


def question_stats(store: Store, *, top: int = 5) -> QuestionStats:
    """How the bot has been doing: questions asked, answered, declined, votes, and the most asked."""
    [totals] = store.query("SELECT count(*) AS asked, coalesce(sum(answered), 0) AS answered FROM answers")
    [votes] = store.query(
        "SELECT coalesce(sum(vote = 1), 0) AS up, coalesce(sum(vote = -1), 0) AS down FROM feedback"
    )

    def most_asked(where: str) -> list[tuple[str, int]]:
        rows = store.query(
            f"SELECT question, count(*) AS n FROM answers {where}"
            " GROUP BY lower(question) ORDER BY n DESC, min(created_at) LIMIT ?",
            (top,),
        )
        return [(row["question"], int(row["n"])) for row in rows]

    asked, answered = int(totals["asked"]), int(totals["answered"])
    return QuestionStats(
        asked=asked,
        answered=answered,
        declined=asked - answered,
        helpful=int(votes["up"]),
        not_helpful=int(votes["down"]),
        top_questions=most_asked(""),
        top_declined=most_asked("WHERE answered = 0"),
    )
