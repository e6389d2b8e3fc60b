"""Checking golden questions: each one asked and judged, and the outcome compared with the last
check's (what got worse, and since which change)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import QuestionError
from ..models import Answer
from .expectations import what_answered
from .yaml_format import GoldenQuestion


@dataclass(frozen=True)
class GoldenResult:
    """One golden question asked now: whether its expectation is met, and what answered."""

    golden: GoldenQuestion
    passed: bool
    got: str

    def describe(self) -> str:
        """``“question” — expected …, got …`` as a report line."""
        verdict = "ok" if self.passed else f"got {self.got}"
        return (
            f"#{self.golden.id} “{self.golden.question}”: expected {self.golden.expect.describe()}; {verdict}"
        )


@dataclass(frozen=True)
class Regression:
    """A golden question that met its expectation at the last check and does not now."""

    golden: GoldenQuestion
    before: str
    now: str

    def describe(self) -> str:
        """``#2 “question”: was <before>, now <now>``."""
        return f"#{self.golden.id} “{self.golden.question}”: was {self.before}, now {self.now}"


@dataclass
class GoldenReport:
    """The outcome of one check of a server's golden questions."""

    results: list[GoldenResult] = field(default_factory=list)
    regressions: list[Regression] = field(default_factory=list)
    # Failing questions with no earlier check to compare with (new, or added by hand).
    unchecked_failures: list[GoldenResult] = field(default_factory=list)
    recovered: list[GoldenResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        """How many questions met their expectation."""
        return sum(r.passed for r in self.results)

    @property
    def failures(self) -> list[GoldenResult]:
        """Every question not meeting its expectation now, worse or not."""
        return [r for r in self.results if not r.passed]

    def lines(self) -> list[str]:
        """The report as text lines: the counts, what got worse, then every failure."""
        out = [
            f"golden questions: {len(self.results)}, passing: {self.passed}, failing: {len(self.failures)}"
        ]
        if self.regressions:
            out.append(f"got worse since the last check: {len(self.regressions)}")
            out += [f"  - {r.describe()}" for r in self.regressions]
        for result in self.failures:
            out.append(f"  ✗ {result.describe()}")
        return out


@dataclass(frozen=True)
class Status:
    """A question's outcome at the last check: passed or not, what answered, since when it has
    been so, and — while it is worse than before — what answered before and the change after
    which it got worse."""

    question: str
    passed: bool
    got: str
    worse_after: str = ""
    was: str = ""
    since: str = ""

    def to_json(self) -> dict[str, Any]:
        """As stored in ``golden-status.json`` (empty texts left out)."""
        return {k: v for k, v in asdict(self).items() if v != ""}


def judge(golden: GoldenQuestion, answer: Answer) -> GoldenResult:
    """Whether ``answer`` meets ``golden``'s expectation, and what answered."""
    return GoldenResult(golden, golden.expect.met_by(answer), what_answered(answer))


def ask_all(questions: Sequence[GoldenQuestion], ask: Callable[[str], Answer]) -> list[GoldenResult]:
    """Ask every question with ``ask`` (an assistant's ``ask``) and judge the answers; a question
    the pipeline refuses counts as declined."""
    return [judge(golden, answer_or_decline(ask, golden.question)) for golden in questions]


def answer_or_decline(ask: Callable[[str], Answer], question: str) -> Answer:
    """``ask(question)``; a question the pipeline refuses to look up (empty, or "🙂🙂🙂") is declined."""
    try:
        return ask(question)
    except QuestionError:
        return Answer(question=question, answered=False)


def compare(results: Sequence[GoldenResult], last: Mapping[int, Status]) -> GoldenReport:
    """``results`` against the last check: what got worse (passed then, fails now), what recovered,
    and failures with nothing to compare with."""
    report = GoldenReport(list(results))
    for result in results:
        before = last.get(result.golden.id)
        if before is not None and before.question != result.golden.question:
            before = None  # the question was rewritten by hand: its old outcome says nothing
        if before is None:
            if not result.passed:
                report.unchecked_failures.append(result)
        elif before.passed and not result.passed:
            report.regressions.append(Regression(result.golden, before.got, result.got))
        elif not before.passed and result.passed:
            report.recovered.append(result)
    return report
