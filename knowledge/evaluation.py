"""Judging the answer pipeline on a question set: does it answer from the right section, and does
it decline what the knowledge base cannot answer?

:func:`evaluate` scores the built-in set (bench/seed_eval.py and its regression test);
:func:`load_question_set` and :func:`run_question_set` run any YAML question set, with its tune and
test halves, for ``citebot eval`` and bench/everyday_eval.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .assistant import Assistant
from .decider import AnswerSettings
from .golden import answer_or_decline
from .golden.expectations import under
from .kb import KnowledgeBase
from .models import Answer, Hit
from .safe_yaml import quote
from .yaml_state import StateFileError, line_of, mapping_value, parse_yaml, sequence_items


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
        answer = answer_or_decline(assistant.ask, question)
        report.answerable += 1
        report.answered += answer.answered
        found = [hit.section in sections for hit in answer.hits]
        report.top1 += any(found[:1])
        report.top3 += any(found[:3])
        if not (answer.answered and any(found[:1])):
            report.misses.append(question)
    for question in off_topic:
        report.off_topic += 1
        declined = not answer_or_decline(assistant.ask, question).answered
        report.declined += declined
        if not declined:
            report.misses.append(question)
    return report


def _as_list(value: object) -> Sequence[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


# -- question sets in YAML, as `citebot eval` runs them -------------------------------------------

SOURCE = "source"  # the section value of questions answered from a document's front matter
HALVES = ("tune", "test")


class QuestionSetError(ValueError):
    """A question set file that cannot be used; ``str()`` reads like ``questions.yaml:12: ...``."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path, self.message, self.line = str(path), message, line
        super().__init__(f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}")


@dataclass(frozen=True)
class SetQuestion:
    """One question of a set: the headings that answer it (empty for an off-topic one; ``source``
    for the document's front matter) and its half (``tune``, ``test`` or None)."""

    question: str
    sections: tuple[str, ...] = ()
    half: str | None = None

    @property
    def off_topic(self) -> bool:
        """Whether the question must be declined."""
        return not self.sections


@dataclass(frozen=True)
class QuestionSet:
    """The questions of a YAML question set (see :func:`load_question_set`)."""

    answerable: tuple[SetQuestion, ...]
    off_topic: tuple[SetQuestion, ...]
    document: str | None = None

    def half(self, half: str | None) -> QuestionSet:
        """Only the questions of ``half`` (all of them for None)."""
        if half is None:
            return self
        return QuestionSet(
            tuple(q for q in self.answerable if q.half == half),
            tuple(q for q in self.off_topic if q.half == half),
            self.document,
        )


def load_question_set(path: Path | str) -> QuestionSet:
    """Read a question set: ``answerable: [{question, section: [headings], half}]``, ``off_topic:
    [question or {question, half}]`` and optionally ``document:`` (the id or title that ``source``
    questions must cite). Raises :class:`QuestionSetError` with the file and line of what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(path, f"cannot read the question set ({exc})") from None
    try:
        data, root = parse_yaml(text, path)
    except StateFileError as exc:
        raise QuestionSetError(path, exc.message, exc.line) from None
    if not isinstance(data, Mapping):
        expected = "expected a mapping with `answerable` and `off_topic` lists"
        raise QuestionSetError(path, expected, line_of(root))
    lists = {}
    for key in ("answerable", "off_topic"):
        items, node = data.get(key) or [], mapping_value(root, key)
        if not isinstance(items, list):
            raise QuestionSetError(path, f"`{key}` must be a list", line_of(node))
        lists[key] = tuple(
            _set_question(item, item_node, path, answerable=key == "answerable")
            for item, item_node in zip(items, sequence_items(node), strict=False)
        )
    if not lists["answerable"] and not lists["off_topic"]:
        raise QuestionSetError(path, "no questions: expected `answerable` and/or `off_topic` lists")
    document = data.get("document")
    return QuestionSet(lists["answerable"], lists["off_topic"], str(document) if document else None)


def _set_question(item: object, node: yaml.Node | None, path: Path | str, *, answerable: bool) -> SetQuestion:
    line = line_of(node)
    if isinstance(item, str) and not answerable:
        item = {"question": item}
    if not isinstance(item, Mapping):
        raise QuestionSetError(path, "each question must be a mapping with `question`", line)
    question = item.get("question")
    if not isinstance(question, str) or not question.strip():
        raise QuestionSetError(path, "`question` must be non-empty text", line)
    sections: tuple[str, ...] = ()
    if answerable:
        raw = item.get("section")
        sections = tuple(_as_list(raw)) if raw not in (None, [], "") else ()
        if not sections:
            needed = "an answerable question needs `section` (the headings that answer it)"
            raise QuestionSetError(path, needed, line)
    half = item.get("half")
    if half is not None and half not in HALVES:
        raise QuestionSetError(path, f"`half` must be one of {', '.join(HALVES)}, not {quote(half)}", line)
    return SetQuestion(question.strip(), sections, half)


@dataclass(frozen=True)
class Outcome:
    """What happened to one question: ``right`` (answered from a right section, or declined when
    off-topic) and ``answered_from`` (the section of the passage its lead sentence quotes, None
    when declined)."""

    question: SetQuestion
    answered: bool
    right: bool
    answered_from: str | None = None

    def describe(self) -> str:
        """``declined`` or ``answered from <section>``, as the report prints a failure."""
        return f"answered from {self.answered_from}" if self.answered else "declined"


@dataclass
class SetReport:
    """The outcome of every question of a set, with the rates `citebot eval` reports."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def answerable(self) -> list[Outcome]:
        """The outcomes of the answerable questions."""
        return [o for o in self.outcomes if not o.question.off_topic]

    @property
    def off_topic(self) -> list[Outcome]:
        """The outcomes of the off-topic questions."""
        return [o for o in self.outcomes if o.question.off_topic]

    @property
    def right(self) -> int:
        """Answerable questions answered from a right section."""
        return sum(o.right for o in self.answerable)

    @property
    def wrongly_declined(self) -> int:
        """Answerable questions that were declined."""
        return sum(not o.answered for o in self.answerable)

    @property
    def wrong_section(self) -> int:
        """Answerable questions answered from a section that does not answer them."""
        return sum(o.answered and not o.right for o in self.answerable)

    @property
    def off_topic_answered(self) -> int:
        """Off-topic questions that were answered."""
        return sum(o.answered for o in self.off_topic)

    @property
    def right_rate(self) -> float:
        """Share of answerable questions answered from a right section."""
        return _rate(self.right, len(self.answerable))

    @property
    def declined_rate(self) -> float:
        """Share of answerable questions declined."""
        return _rate(self.wrongly_declined, len(self.answerable))

    @property
    def wrong_section_rate(self) -> float:
        """Share of answerable questions answered from a wrong section."""
        return _rate(self.wrong_section, len(self.answerable))

    @property
    def off_topic_rate(self) -> float:
        """Share of off-topic questions answered."""
        return _rate(self.off_topic_answered, len(self.off_topic))

    @property
    def failures(self) -> list[Outcome]:
        """Every question that did not go as it should, in order."""
        return [o for o in self.outcomes if not o.right]


def run_question_set(
    ask: Callable[[str], Answer], questions: QuestionSet, *, half: str | None = None
) -> SetReport:
    """Ask every question of ``questions`` (only ``half`` when given) with ``ask`` — a knowledge
    base's ``answer`` or an assistant's ``ask`` — and judge the answers."""
    chosen = questions.half(half)
    report = SetReport()
    for item in (*chosen.answerable, *chosen.off_topic):
        answer = answer_or_decline(ask, item.question)
        top = answered_from(answer)
        if item.off_topic:
            right = not answer.answered
        elif SOURCE in item.sections:
            # Right only when answered from the front matter, citing the document asked about.
            right = top is not None and answer.kind == "source" and _is_document(top, questions.document)
        else:
            right = top is not None and under(top.section, item.sections)
        report.outcomes.append(Outcome(item, answer.answered, right, top.section if top else None))
    return report


def answered_from(answer: Answer) -> Hit | None:
    """The passage an answer is answered from: the one its lead sentence quotes (what the member
    reads first, with its citation), else its first passage; None when it declined."""
    if not answer.answered or not answer.hits:
        return None
    if answer.sentences and 0 < answer.sentences[0].source <= len(answer.hits):
        return answer.hits[answer.sentences[0].source - 1]
    return answer.hits[0]


def _is_document(hit: Hit, document: str | None) -> bool:
    return document is None or document in (hit.doc_id, hit.title)


def _rate(count: int, total: int) -> float:
    return count / total if total else 0.0


def format_report(report: SetReport, title: str = "") -> list[str]:
    """The lines `citebot eval` prints: the four rates, then one line per failure."""

    def share(count: int, total: int) -> str:
        return f"{count}/{total} ({_rate(count, total):.0%})"

    answerable, off_topic = len(report.answerable), len(report.off_topic)
    lines = [title] if title else []
    lines += [
        f"answerable questions: {answerable}",
        f"  answered from a right section: {share(report.right, answerable)}",
        f"  wrongly declined: {share(report.wrongly_declined, answerable)}",
        f"  answered from a wrong section: {share(report.wrong_section, answerable)}",
        f"off-topic questions: {off_topic}",
        f"  off-topic answered: {share(report.off_topic_answered, off_topic)}",
    ]
    failures = report.failures
    lines.append(f"failures: {len(failures)}")
    for outcome in failures:
        sections = outcome.question.sections
        expected = "expected: " + ", ".join(sections) if sections else "off-topic"
        lines.append(f'  - "{outcome.question.question}": {outcome.describe()} ({expected})')
    return lines
