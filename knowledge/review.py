"""The moderators' review queue and question statistics, over the SQLite store.

Declined questions and answers marked not helpful (👎) wait in the queue, oldest first, with
similar questions grouped ("asked 4 times"). A group leaves the queue when a moderator dismisses
it or when a curated answer now matches it. The unknown words of declined questions (words the
index has never seen) are offered as glossary entries.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .curated import CuratedStore
from .matching import MIN_PREFIX, kb_weight, question_terms, similarity
from .spelling import is_misspelling
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
    "curated_matches",
    "group_similar",
    "question_stats",
]

# Two questions with a Dice similarity this high ask the same thing worded differently; lower than
# the curated-answer threshold since a group only saves a moderator reading twice.
GROUP_SIMILARITY = 0.6
MAX_ITEMS = 2_000
# Waiting questions shown per member per server, the newest: one member mentioning the bot over
# and over cannot push everyone else's questions out of the queue (their older ones stay in the
# store and in the statistics). Twenty is more than a moderator needs to see what they asked about.
MAX_PER_MEMBER = 20
# Queues are grouped one at a time: the work is pure Python, and several builds in worker threads
# at once take turns with the event loop for the interpreter lock, pausing it for tens of ms
# (three /reviews of 2,000 questions at once: worst pause 50-110 ms; one at a time, 10-25 ms).
_GROUPING = threading.Lock()


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
        """The first source the oldest wording's reply showed, [1] (for a decline, the closest
        passage): a curated answer's source to start from."""
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


def group_similar(items: Iterable[ReviewItem], threshold: float = GROUP_SIMILARITY) -> list[ReviewGroup]:
    """Group questions in order: each joins the first (oldest) group whose first wording it is
    similar to (the same terms, or a Dice similarity of at least ``threshold``), else starts one.

    A question is compared only with the groups sharing a word with it (an inverted index of
    their terms), and only when the words they share could reach ``threshold``: comparing each
    with every group took minutes for the 2,000 questions the queue holds."""
    groups: list[ReviewGroup] = []
    group_terms: list[frozenset[str]] = []
    group_keys: list[Counter[str]] = []
    postings: defaultdict[str, list[int]] = defaultdict(list)  # word key -> groups using it, in order
    same_terms: dict[frozenset[str], int] = {}  # terms -> the first group with exactly these terms
    for item in items:
        terms = question_terms(item.question)
        keys = _word_keys(terms)
        if threshold <= 0:  # every question is similar to every other: no pruning possible
            candidates: Iterable[int] = range(len(groups))
        else:
            shared: defaultdict[int, int] = defaultdict(int)
            for key, count in keys.items():
                for index in postings.get(key, ()):
                    shared[index] += count + group_keys[index][key]
            # Dice counts each shared word on both sides: groups whose shared words could not
            # reach the threshold even if all of them matched are skipped.
            size = len(terms)
            candidates = [i for i, most in shared.items() if most / (size + len(group_terms[i])) >= threshold]
            if terms in same_terms:
                candidates.append(same_terms[terms])
            candidates = sorted(set(candidates))
        for index in candidates:
            other = group_terms[index]
            if terms == other or similarity(terms, other) >= threshold:
                groups[index].items.append(item)
                break
        else:
            index = len(groups)
            groups.append(ReviewGroup([item]))
            group_terms.append(terms)
            group_keys.append(keys)
            same_terms.setdefault(terms, index)
            for key in keys:
                postings[key].append(index)
    return groups


def curated_matches(questions: Iterable[str], curated: CuratedStore, kb: KnowledgeBase | None) -> set[str]:
    """The ``questions`` that a curated answer now matches (as :meth:`CuratedStore.match` decides).

    Only a question sharing enough weighted words with some phrasing to reach the matching
    threshold is scored, and the store is refreshed and the term weights made once for all."""
    curated.refresh()
    matcher, weight = curated.matcher(), kb_weight(kb)
    w = weight or (lambda _t: 1.0)
    phrasings: list[tuple[dict[str, float], float]] = []  # (weight under each word key, total)
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for answer in curated.list():
        for phrasing in answer.questions():
            terms = question_terms(phrasing)
            keyed = _key_weights(terms, w)
            for key in keyed:
                postings[key].append(len(phrasings))
            phrasings.append((keyed, sum(map(w, terms))))
    # The bound and the score add the same weights in different orders: allow for rounding.
    least = matcher.threshold - 1e-9
    answered: set[str] = set()
    for question in dict.fromkeys(questions):
        terms = question_terms(question)
        keyed, size = _key_weights(terms, w), sum(map(w, terms))
        shared: defaultdict[int, float] = defaultdict(float)
        for key, key_weight in keyed.items():
            for index in postings.get(key, ()):
                shared[index] += key_weight + phrasings[index][0][key]
        possible = least <= 0 or any(most >= least * (size + phrasings[i][1]) for i, most in shared.items())
        if possible and matcher.match(question, weight) is not None:
            answered.add(question)
    return answered


def _key_weights(terms: frozenset[str], weight: Callable[[str], float]) -> dict[str, float]:
    """The weight of ``terms`` under each word key (see :func:`_word_keys`)."""
    keyed: defaultdict[str, float] = defaultdict(float)
    for term in terms:
        keyed[term[:MIN_PREFIX]] += weight(term)
    return keyed


def _word_keys(terms: frozenset[str]) -> Counter[str]:
    """How many of ``terms`` fall under each key; two terms :func:`~knowledge.matching.same_word`
    always share a key (a long stem's first :data:`~knowledge.matching.MIN_PREFIX` letters)."""
    return Counter(term[:MIN_PREFIX] for term in terms)


class ReviewQueue:
    """The review queue of one server: questions to look at, grouped, and glossary suggestions."""

    def __init__(self, store: ServerStore) -> None:
        self.store = store

    def items(self, limit: int = MAX_ITEMS) -> list[ReviewItem]:
        """Questions waiting for review, oldest first, at most :data:`MAX_PER_MEMBER` (the newest)
        of each member's."""
        return self.store.review_items(limit, per_member=MAX_PER_MEMBER)

    def groups(
        self,
        *,
        curated: CuratedStore | None = None,
        kb: KnowledgeBase | None = None,
        threshold: float = GROUP_SIMILARITY,
    ) -> list[ReviewGroup]:
        """The queue grouped: each question joins the first (oldest) group it is similar to.
        Questions a curated answer now matches are left out: the moderators have answered them."""
        items = self.items()
        with _GROUPING:
            if curated is not None:
                answered = curated_matches((item.question for item in items), curated, kb)
                items = [item for item in items if item.question not in answered]
            return group_similar(items, threshold)

    def dismiss(self, answer_ids: list[str], *, user_id: int | None = None) -> int:
        """Take questions out of the queue; returns how many were still in it."""
        return sum(self.store.dismiss_from_review(answer_id, user_id=user_id) for answer_id in answer_ids)

    def glossary_suggestions(
        self, kb: KnowledgeBase, glossary: Glossary | None = None, *, limit: int = 5
    ) -> list[GlossarySuggestion]:
        """Words of declined questions that the knowledge base never uses (even allowing for
        typos), most frequent first: candidates for ``/glossary add``. Only words an entry would
        help with: no numbers ("39"), no misspellings of English words ("actualy"), no slips of
        stop words ("thier"), no light words ("send"), and none the everyday-words bridge already
        reads ("baby" as infant)."""
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
        useful = itertools.islice((kv for kv in ranked if _worth_an_entry(kv[0], kb)), limit)
        return [GlossarySuggestion(word, count, examples[word]) for word, count in useful]


def _worth_an_entry(word: str, kb: KnowledgeBase) -> bool:
    """Whether a glossary entry for ``word`` could change an answer (see glossary_suggestions)."""
    if not any(ch.isalpha() for ch in word) or any(ch.isdigit() for ch in word):
        return False
    if kb.bridge.is_stop_typo(word) or kb.bridge.is_light(word) or kb.bridged([word]):
        return False
    return not is_misspelling(word)


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
