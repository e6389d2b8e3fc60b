"""Judging the answer pipeline on a question set: does it answer from the right section, and does
it decline what the knowledge base cannot answer? Used by bench/seed_eval.py and its regression
test, with the set in tests/knowledge/seed_questions.yaml."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .assistant import Assistant
from .evidence import AnswerSettings
from .kb import KnowledgeBase


@dataclass
class SeedReport:
    """Counts from one run over a question set, and the questions that went wrong."""

    answerable: int = 0
    answered: int = 0
    top1: int = 0
    top3: int = 0
    off_topic: int = 0
    declined: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def answered_rate(self) -> float:
        """Share of answerable questions answered."""
        return self.answered / self.answerable if self.answerable else 0.0

    @property
    def top1_accuracy(self) -> float:
        """Share of answerable questions whose first passage is in the right section."""
        return self.top1 / self.answerable if self.answerable else 0.0

    @property
    def top3_accuracy(self) -> float:
        """Share of answerable questions with the right section among the first three passages."""
        return self.top3 / self.answerable if self.answerable else 0.0

    @property
    def decline_rate(self) -> float:
        """Share of off-topic questions declined."""
        return self.declined / self.off_topic if self.off_topic else 0.0


def evaluate(
    kb: KnowledgeBase,
    answerable: Iterable[Mapping[str, object]],
    off_topic: Iterable[str],
    *,
    settings: AnswerSettings | None = None,
) -> SeedReport:
    """``answerable`` items are ``{"question": str, "section": [headings that hold the answer]}``;
    a question counts for top-k when one of the first k passages stands under one of them.
    Questions go through the answer pipeline (:class:`Assistant`) without curated answers."""
    assistant = Assistant(kb, settings=settings)
    report = SeedReport()
    for item in answerable:
        question, sections = str(item["question"]), set(_as_list(item["section"]))
        answer = assistant.ask(question)
        report.answerable += 1
        report.answered += answer.answered
        found = [hit.section in sections for hit in answer.hits]
        report.top1 += any(found[:1])
        report.top3 += any(found[:3])
        if not (answer.answered and any(found[:1])):
            report.misses.append(question)
    for question in off_topic:
        report.off_topic += 1
        declined = not assistant.ask(question).answered
        report.declined += declined
        if not declined:
            report.misses.append(question)
    return report


def _as_list(value: object) -> Sequence[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
