"""The moderators' review queue and question statistics, over the SQLite store.

Declined questions and answers marked not helpful (👎) wait in the queue, oldest first, with
similar questions grouped ("asked 4 times"). A group leaves the queue when a moderator dismisses
it or when a curated answer now matches it. The unknown words of declined questions (words the
index has never seen) are offered as glossary entries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .curated import CuratedStore
from .matching import question_terms, similarity
from .store import ReviewItem

if TYPE_CHECKING:
    from .glossary import Glossary
    from .kb import KnowledgeBase
    from .store import ServerStore

__all__ = [
    "GlossarySuggestion",
    "QuestionStats",
    "ReviewGroup",
    "ReviewItem",
    "ReviewQueue",
    "question_stats",
]

# Two questions with a Dice similarity this high ask the same thing worded differently; lower than
# the curated-answer threshold since a group only saves a moderator reading twice.
GROUP_SIMILARITY = 0.6
MAX_ITEMS = 2_000


@dataclass
class ReviewGroup:
    """Similar questions, the oldest first; ``question`` is the oldest wording."""

    items: list[ReviewItem] = field(default_factory=list)

    @property
    def question(self) -> str:
        """The oldest wording."""
        return self.items[0].question

    @property
    def key(self) -> str:
        """The group's id: its oldest answer's id."""
        return self.items[0].answer_id

    @property
    def count(self) -> int:
        """How many times it was asked."""
        return len(self.items)

    @property
    def declined(self) -> int:
        """How many of those were declined."""
        return sum(item.declined for item in self.items)

    @property
    def downvotes(self) -> int:
        """👎 votes on all of its answers."""
        return sum(item.downvotes for item in self.items)

    @property
    def first_asked(self) -> float:
        """When it was first asked (Unix time)."""
        return self.items[0].created_at

    @property
    def answer_ids(self) -> list[str]:
        """The answers in the group, oldest first."""
        return [item.answer_id for item in self.items]

    @property
    def reasons(self) -> list[str]:
        """The reasons members gave with their 👎."""
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
    """A word of declined questions the knowledge base never uses, how often, and an example."""

    word: str
    count: int
    example: str


@dataclass(frozen=True)
class QuestionStats:
    """How questions have been answered, for ``/kb stats``."""

    asked: int
    answered: int
    declined: int
    helpful: int
    not_helpful: int
    top_questions: list[tuple[str, int]]
    top_declined: list[tuple[str, int]]

    @property
    def answered_rate(self) -> float:
        """Share of questions answered (0 when none was asked)."""
        return self.answered / self.asked if self.asked else 0.0


class ReviewQueue:
    """The review queue of one server: questions to look at, grouped, and glossary suggestions."""

    def __init__(self, store: ServerStore) -> None:
        self.store = store

    def items(self, limit: int = MAX_ITEMS) -> list[ReviewItem]:
        """Questions waiting for review, oldest first."""
        return self.store.review_items(limit)

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
        return sum(self.store.dismiss_from_review(answer_id, user_id=user_id) for answer_id in answer_ids)

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


def question_stats(store: ServerStore, *, top: int = 5) -> QuestionStats:
    """How the bot has been doing: questions asked, answered, declined, votes, and the most asked."""
    asked, answered = store.answer_totals()
    helpful, not_helpful = store.vote_totals()
    return QuestionStats(
        asked=asked,
        answered=answered,
        declined=asked - answered,
        helpful=helpful,
        not_helpful=not_helpful,
        top_questions=store.most_asked(top),
        top_declined=store.most_asked(top, declined_only=True),
    )
