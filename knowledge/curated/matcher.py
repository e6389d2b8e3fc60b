"""Which curated answer, if any, a member's question asks for (see :mod:`knowledge.matching`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..matching import question_terms, similarity
from .records import CuratedAnswer

# Weighted Dice similarity between a question and a curated phrasing at or above which the
# curated answer is used. Measured on tests/knowledge/curated_paraphrases.yaml (paraphrases that
# should match; near misses such as "while pregnant" for "while breastfeeding" that must not):
# with the knowledge base's term weights, 24 of 25 paraphrases score 0.75 or more (the miss,
# "what is the enteromammary system", 0.67) and none of 28 near misses scores above 0.72
# (test_curated_matcher.py::test_threshold_separates_paraphrases_from_near_misses). Moderators'
# extra phrasings are how the misses are caught; a wrong curated answer costs more than a missed one.
MIN_MATCH = 0.73


@dataclass(frozen=True)
class CuratedMatch:
    """A curated answer scored against a question, with the phrasing that scored best."""

    answer: CuratedAnswer
    score: float
    phrasing: str


class CuratedMatcher:
    """Finds the curated answer whose question or phrasing is closest to a question."""

    def __init__(self, answers: Iterable[CuratedAnswer], *, threshold: float = MIN_MATCH) -> None:
        self.threshold = threshold
        self._entries = [
            (answer, phrasing, question_terms(phrasing))
            for answer in answers
            if answer.served
            for phrasing in answer.questions()
        ]

    def scores(self, question: str, weight: Callable[[str], float] | None = None) -> list[CuratedMatch]:
        """Every curated answer with its best phrasing's score, best first."""
        terms = question_terms(question)
        best: dict[int, CuratedMatch] = {}
        for answer, phrasing, p_terms in self._entries:
            score = similarity(terms, p_terms, weight)
            if answer.id not in best or score > best[answer.id].score:
                best[answer.id] = CuratedMatch(answer, score, phrasing)
        return sorted(best.values(), key=lambda m: (-m.score, m.answer.id))

    def match(self, question: str, weight: Callable[[str], float] | None = None) -> CuratedMatch | None:
        """The best-scoring served answer if it reaches the threshold, else None. ``weight`` gives
        each term's importance (:func:`knowledge.matching.kb_weight`); all weigh the same without."""
        ranked = self.scores(question, weight)
        if ranked and ranked[0].score >= self.threshold:
            return ranked[0]
        return None
