"""Golden questions: the questions a server's moderators rely on, checked after every change.

A server keeps them in ``<state>/servers/<id>/golden.yaml``, the question-set format of
``citebot eval`` (:mod:`knowledge.evaluation`) extended with what must answer each question::

    answerable:
      - id: 1
        question: How does IgA reach the milk?
        section: [Enteromammary immune system]   # a heading on the top passage's section path
        document: maternal-infant-immune-system  # optional with section; alone: any section of it
      - id: 2
        question: Is ibuprofen safe while breastfeeding?
        curated: 3                               # the moderators' curated answer #3 must match
    off_topic:
      - id: 3
        question: What is the capital of France?  # must be declined

The file is a :class:`~knowledge.yaml_state.YamlState` (atomic writes, hand edits picked up, a
broken file never overwritten). :meth:`GoldenSet.check` asks every question and compares the
answers with the expectations and with the last check; :meth:`GoldenSet.run` also remembers the
outcome (in ``golden-status.json`` next to the file), so the next check can tell what got worse
and which change did it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .errors import NotFoundError, QuestionError, StateFileError, StateWriteError
from .models import Answer
from .yaml_state import (
    YamlState,
    YamlStateFile,
    dump_yaml,
    line_of,
    mapping_value,
    now,
    parse_yaml,
    sequence_items,
    short_text,
    short_texts,
    signed,
)

logger = logging.getLogger(__name__)

FILE_NAME = "golden.yaml"
STATUS_FILE_NAME = "golden-status.json"
FORMAT_VERSION = 1
MAX_QUESTION_CHARS = 300
MAX_SECTIONS = 20  # headings that may answer a question (each, like `document`, as long as a question)
SOURCE = "source"  # as in citebot eval: answered from the top-level ``document``

SECTION, DOCUMENT, CURATED, DECLINED = "section", "document", "curated", "declined"


@dataclass(frozen=True)
class Expectation:
    """What must answer a golden question: a section (headings, perhaps of one document), a
    document, a curated answer, or nothing (the question must be declined)."""

    kind: str
    sections: tuple[str, ...] = ()
    document: str | None = None
    curated: int | None = None

    @classmethod
    def section(cls, sections: Iterable[str], document: str | None = None) -> Expectation:
        """Answered from a passage under one of ``sections`` (in ``document`` when given)."""
        return cls(SECTION, tuple(sections), document or None)

    @classmethod
    def in_document(cls, document: str) -> Expectation:
        """Answered from any passage of ``document`` (its id or title)."""
        return cls(DOCUMENT, (), document)

    @classmethod
    def curated_answer(cls, answer_id: int) -> Expectation:
        """The moderators' curated answer ``answer_id`` matches."""
        return cls(CURATED, curated=int(answer_id))

    @classmethod
    def declined(cls) -> Expectation:
        """Declined: nothing in the knowledge base answers it."""
        return cls(DECLINED)

    def describe(self) -> str:
        """In words, as reports print it: ``section Dosage (in drug-x)``, ``curated answer #3``."""
        if self.kind == CURATED:
            return f"curated answer #{self.curated}"
        if self.kind == DECLINED:
            return "declined"
        if self.kind == DOCUMENT:
            return f"document {self.document}"
        where = f" (in {self.document})" if self.document else ""
        return "section " + " or ".join(self.sections) + where

    def met_by(self, answer: Answer) -> bool:
        """Whether ``answer`` is what this expectation asks for."""
        if self.kind == CURATED:
            return answer.curated is not None and answer.curated.id == self.curated
        if self.kind == DECLINED:
            return not answer.answered and answer.curated is None
        top = answer.hits[0] if answer.answered and answer.hits else None
        if top is None:
            return False
        if self.document and self.document not in (top.doc_id, top.title):
            return False
        return self.kind == DOCUMENT or _on_path(top.section, self.sections)

    def to_yaml(self) -> dict[str, Any]:
        """The keys this expectation adds to a question's entry."""
        if self.kind == CURATED:
            return {"curated": self.curated}
        out: dict[str, Any] = {}
        if self.kind == SECTION:
            out["section"] = list(self.sections)
        if self.document:
            out["document"] = self.document
        return out


def _on_path(section: str, headings: Iterable[str]) -> bool:
    # A hit's section is the heading path ("Dosage" or "Drug X › Dosage"): any heading on it counts,
    # as in citebot eval.
    path = {part.strip() for part in section.split("›")} | {section}
    return any(heading in path for heading in headings)


def what_answered(answer: Answer) -> str:
    """What answered, in words: ``curated answer #3``, ``Title › Section`` or ``declined``."""
    if answer.curated is not None:
        return f"curated answer #{answer.curated.id}"
    if answer.answered and answer.hits:
        top = answer.hits[0]
        return " › ".join(part for part in (top.title, top.section) if part)
    return "declined"


def expectation_now(answer: Answer) -> Expectation:
    """The expectation that ``answer`` meets as it is: its curated answer, else its top passage's
    section (in its document), else declined. What "Keep as test" stores."""
    if answer.curated is not None:
        return Expectation.curated_answer(answer.curated.id)
    if answer.answered and answer.hits:
        top = answer.hits[0]
        if top.section:
            return Expectation.section([top.section], top.doc_id)
        return Expectation.in_document(top.doc_id)
    return Expectation.declined()


@dataclass(frozen=True)
class GoldenQuestion:
    """One golden question: its number in the server, the text, what must answer it, who added it
    and when."""

    id: int
    question: str
    expect: Expectation
    author: str = ""
    added: str = ""

    @property
    def key(self) -> str:
        """The question as compared for duplicates (spacing and case ignored)."""
        return question_key(self.question)

    def to_yaml(self) -> dict[str, Any]:
        """The entry as written in ``golden.yaml``."""
        out: dict[str, Any] = {"id": self.id, "question": self.question, **self.expect.to_yaml()}
        if self.author:
            out["author"] = self.author
        if self.added:
            out["added"] = self.added
        return out


def question_key(text: str) -> str:
    """``text`` with spacing and case evened out, to find the same question written again."""
    return " ".join(text.split()).casefold()


# -- the file ---------------------------------------------------------------------------------


def parse_golden(text: str, path: Path | str) -> list[GoldenQuestion]:
    """Validate a golden-questions file (the question-set format with ``curated:`` and
    ``document:``); raises :class:`StateFileError` naming the line and entry. Questions without
    an ``id`` are numbered after the highest one."""
    data, root = parse_yaml(text, path)
    if data is None:
        return []
    if not isinstance(data, Mapping):
        raise StateFileError(path, "expected a mapping with `answerable` and `off_topic` lists", line=1)
    default_document = data.get("document")
    found: list[tuple[int | None, str, Expectation, dict, int | None, str]] = []
    for key in ("answerable", "off_topic"):
        items, node = data.get(key) or [], mapping_value(root, key)
        if not isinstance(items, list):
            raise StateFileError(path, f"`{key}` must be a list", line=line_of(node))
        nodes = sequence_items(node)
        for index, item in enumerate(items, start=1):
            item_node = nodes[index - 1] if index - 1 < len(nodes) else None
            line, entry = line_of(item_node), f"{key} {index}"
            if isinstance(item, str) and key == "off_topic":
                item = {"question": item}
            if not isinstance(item, Mapping):
                raise StateFileError(
                    path, "each question must be a mapping with `question`", line=line, entry=entry
                )
            question = item.get("question")
            if not isinstance(question, str) or not question.strip():
                raise StateFileError(path, "`question` must be non-empty text", line=line, entry=entry)
            question = " ".join(question.split())
            if len(question) > MAX_QUESTION_CHARS:
                limit = f"the question is {len(question)} characters; the limit is {MAX_QUESTION_CHARS}"
                raise StateFileError(path, limit, line=line, entry=entry)
            entry = f"{key} {index} ({question[:40]!r})"
            expect = (
                _expectation(item, default_document, path, line, entry)
                if key == "answerable"
                else Expectation.declined()
            )
            golden_id = item.get("id")
            if golden_id is not None and (
                not isinstance(golden_id, int) or isinstance(golden_id, bool) or golden_id < 1
            ):
                raise StateFileError(path, "`id` must be a whole number from 1", line=line, entry=entry)
            found.append((golden_id, question, expect, dict(item), line, entry))
    questions: list[GoldenQuestion] = []
    seen: dict[int, str] = {}
    keys: dict[str, str] = {}
    next_id = max((f[0] for f in found if f[0] is not None), default=0) + 1
    for golden_id, question, expect, item, line, entry in found:
        if golden_id is None:
            golden_id, next_id = next_id, next_id + 1
        if golden_id in seen:
            raise StateFileError(
                path, f"id {golden_id} is also used by {seen[golden_id]}", line=line, entry=entry
            )
        if question_key(question) in keys:
            raise StateFileError(
                path, f"the same question is also {keys[question_key(question)]}", line=line, entry=entry
            )
        seen[golden_id] = keys[question_key(question)] = entry
        questions.append(GoldenQuestion(golden_id, question, expect, *signed(item, path, line, entry)))
    return sorted(questions, key=lambda q: q.id)


def _expectation(
    item: Mapping, default_document: object, path: Path | str, line: int | None, entry: str
) -> Expectation:
    curated, raw_section, document = item.get("curated"), item.get("section"), item.get("document")
    if curated is not None:
        if raw_section not in (None, [], "") or document is not None:
            raise StateFileError(
                path, "give `curated` alone, or `section`/`document`, not both", line=line, entry=entry
            )
        if not isinstance(curated, int) or isinstance(curated, bool) or curated < 1:
            raise StateFileError(path, "`curated` must be a curated answer's number", line=line, entry=entry)
        return Expectation.curated_answer(curated)
    sections = short_texts(raw_section, "section", MAX_QUESTION_CHARS, MAX_SECTIONS, path, line, entry)
    if document is not None and (not isinstance(document, str | int) or not str(document).strip()):
        raise StateFileError(path, "`document` must be a document's id or title", line=line, entry=entry)
    document = short_text(document, "document", MAX_QUESTION_CHARS, path, line, entry).strip() or None
    if SOURCE in sections:  # eval's `section: source`: answered from the set's document
        sections = [s for s in sections if s != SOURCE]
        document = document or (str(default_document) if default_document else None)
        if not sections and document:
            return Expectation.in_document(document)
    if sections:
        return Expectation.section(sections, document)
    if document:
        return Expectation.in_document(document)
    needed = "an answerable question needs `section`, `document` or `curated` (what must answer it)"
    raise StateFileError(path, needed, line=line, entry=entry)


def dump_golden(questions: Iterable[GoldenQuestion]) -> str:
    """``questions`` as the text of ``golden.yaml``, with a header for hand editors."""
    ordered = sorted(questions, key=lambda q: q.id)
    header = (
        "# citebot golden questions: checked after every change to what the bot knows. Editable by\n"
        "# hand; `citebot eval --server ID` runs them from the shell.\n"
    )
    data = {
        "version": FORMAT_VERSION,
        "answerable": [q.to_yaml() for q in ordered if q.expect.kind != DECLINED],
        "off_topic": [q.to_yaml() for q in ordered if q.expect.kind == DECLINED],
    }
    return header + dump_yaml(data)


# -- checking ---------------------------------------------------------------------------------


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


class GoldenSet(YamlState[GoldenQuestion]):
    """The golden questions of one server folder, and the outcome of their last check."""

    label = "golden questions"

    def __init__(self, path: Path | str | YamlStateFile) -> None:
        self._questions: dict[int, GoldenQuestion] = {}
        super().__init__(path)
        self.status_path = self.path.with_name(STATUS_FILE_NAME)
        self._status: dict[int, Status] = self._read_status()

    @classmethod
    def in_state_dir(cls, folder: Path | str) -> GoldenSet:
        """The golden questions kept as ``golden.yaml`` in a server's folder."""
        return cls(Path(folder) / FILE_NAME)

    # -- the file ------------------------------------------------------------------------------

    def _parse(self, text: str, path: Path | str) -> list[GoldenQuestion]:
        return parse_golden(text, path)

    def _set(self, questions: Iterable[GoldenQuestion]) -> None:
        self._questions = {q.id: q for q in questions}

    def _dump(self) -> str:
        return dump_golden(self._questions.values())

    def __len__(self) -> int:
        return len(self._questions)

    # -- reading -------------------------------------------------------------------------------

    def list(self) -> list[GoldenQuestion]:
        """Every golden question by number, after picking up hand edits."""
        self.refresh()
        return sorted(self._questions.values(), key=lambda q: q.id)

    def get(self, golden_id: int) -> GoldenQuestion | None:
        """The question numbered ``golden_id``, or None."""
        return self._questions.get(golden_id)

    def export_yaml(self) -> str:
        """The questions as a ``golden.yaml`` text (what ``/kb test import`` reads back)."""
        return dump_golden(self.list())

    # -- changing ------------------------------------------------------------------------------

    def _refresh_usable(self) -> None:
        """Pick up hand edits; a broken file is never overwritten: raise its error (the file names
        the line), so the moderator fixes it first."""
        error = self.refresh()
        if error is not None:
            raise error

    def add(
        self, question: str, expect: Expectation, *, author: str, passed_now: str | None = None
    ) -> tuple[GoldenQuestion, bool]:
        """Add ``question`` (or, when it is already a golden question, change what must answer
        it); returns it and whether it replaced one. ``passed_now`` is what answered it just now
        when that meets ``expect`` (it is then the baseline of the next check). Raises
        StateFileError for an empty or too long question, StateWriteError when the change could
        not be written (it is still used)."""
        text = " ".join(question.split())
        if not text:
            raise StateFileError("golden questions", "the question is empty")
        if len(text) > MAX_QUESTION_CHARS:
            raise StateFileError(
                "golden questions",
                f"the question is {len(text)} characters; the limit is {MAX_QUESTION_CHARS}",
            )
        with self.file.lock:
            self._refresh_usable()
            same = next((q for q in self._questions.values() if q.key == question_key(text)), None)
            golden_id = same.id if same is not None else max(self._questions, default=0) + 1
            golden = GoldenQuestion(golden_id, text, expect, author, now())
            self._questions = {**self._questions, golden.id: golden}
            if passed_now is not None:
                self._status = {**self._status, golden.id: Status(text, True, passed_now, since=now())}
                self._write_status()
            self._save(golden)
            return golden, same is not None

    def remove(self, golden_id: int) -> GoldenQuestion:
        """Remove a question; NotFoundError when there is none with that number."""
        with self.file.lock:
            self._refresh_usable()
            golden = self._questions.get(golden_id)
            if golden is None:
                raise NotFoundError(f"There is no golden question #{golden_id}.")
            self._questions = {k: v for k, v in self._questions.items() if k != golden_id}
            self._save(golden)
            return golden

    def import_yaml(self, text: str, name: str = "import.yaml", *, author: str) -> tuple[int, int, int]:
        """Merge a golden-questions file: new questions are added (numbered after this server's),
        those already here get the file's expectation. Returns (added, updated, unchanged).
        Raises StateFileError naming the line of a mistake; nothing changes then."""
        incoming = parse_golden(text, name)
        added = updated = unchanged = 0
        with self.file.lock:
            self._refresh_usable()
            questions = dict(self._questions)
            by_key = {q.key: q for q in questions.values()}
            next_id = max(questions, default=0) + 1
            for golden in incoming:
                same = by_key.get(golden.key)
                if same is None:
                    golden = replace(
                        golden, id=next_id, author=golden.author or author, added=golden.added or now()
                    )
                    next_id += 1
                    added += 1
                elif same.expect == golden.expect:
                    unchanged += 1
                    continue
                else:
                    golden = replace(same, expect=golden.expect)
                    updated += 1
                questions[golden.id] = by_key[golden.key] = golden
            if added or updated:
                self._questions = questions
                self._save((added, updated, unchanged))
        return added, updated, unchanged

    # -- checking ------------------------------------------------------------------------------

    def check(self, ask: Callable[[str], Answer]) -> GoldenReport:
        """Ask every golden question and compare with the last recorded check; records nothing."""
        return compare(ask_all(self.list(), ask), self._status)

    def run(self, ask: Callable[[str], Answer], *, cause: str = "") -> GoldenReport:
        """Check, then remember the outcome as the baseline of the next check; a question that
        got worse remembers ``cause`` (the change after which it did) until it passes again."""
        report = self.check(ask)
        worse = {r.golden.id: r for r in report.regressions}
        with self.file.lock:
            status: dict[int, Status] = {}
            for result in report.results:
                golden, old = result.golden, self._status.get(result.golden.id)
                if result.golden.id in worse:
                    status[golden.id] = Status(
                        golden.question, False, result.got, cause, worse[golden.id].before, now()
                    )
                elif old is not None and old.question == golden.question and not result.passed and old.was:
                    status[golden.id] = replace(old, got=result.got)  # still worse, still since then
                else:
                    same = old is not None and old.question == golden.question and old.passed == result.passed
                    since = old.since if same and old is not None else now()
                    status[golden.id] = Status(golden.question, result.passed, result.got, since=since)
            self._status = status
            self._write_status()
        return report

    def last(self, golden_id: int) -> Status | None:
        """How question ``golden_id`` did at the last recorded check (None: not checked yet, or
        rewritten by hand since)."""
        status = self._status.get(golden_id)
        golden = self._questions.get(golden_id)
        return (
            status
            if status is not None and golden is not None and status.question == golden.question
            else None
        )

    def worse(self) -> list[tuple[GoldenQuestion, Status]]:
        """The questions that got worse at a check and have not passed since, with what changed."""
        return [
            (golden, status)
            for golden in self.list()
            if (status := self._status.get(golden.id)) is not None
            and not status.passed
            and status.was
            and status.question == golden.question
        ]

    # -- the status file -----------------------------------------------------------------------

    def _read_status(self) -> dict[int, Status]:
        try:
            data = json.loads(self.status_path.read_text(encoding="utf-8"))
            return {
                int(key): Status(
                    str(value["question"]),
                    bool(value["passed"]),
                    str(value.get("got", "")),
                    str(value.get("worse_after", "")),
                    str(value.get("was", "")),
                    str(value.get("since", "")),
                )
                for key, value in data.get("results", {}).items()
            }
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # Only a baseline: without it the next check reports failures, not what got worse.
            logger.warning("ignoring %s (%s); the next check starts afresh", self.status_path, exc)
            return {}

    def _write_status(self) -> None:
        data = {
            "version": FORMAT_VERSION,
            "results": {str(k): v.to_json() for k, v in sorted(self._status.items())},
        }
        try:
            atomic_write_text(self.status_path, json.dumps(data, ensure_ascii=False, indent=1), backup=False)
        except (StateWriteError, OSError) as exc:
            logger.warning("the golden questions' last outcome was not saved (%s); it is kept in memory", exc)


def parse_expectation(text: str) -> Expectation:
    """An expectation as typed in ``/kb test add`` or picked from its suggestions:
    ``declined``, ``curated:3`` (or ``#3``, ``3``), ``document:<id>``, ``section:<doc id>#<heading
    path>`` or ``section:<heading>``. Raises QuestionError for anything else."""
    value = text.strip()
    lowered = value.casefold()
    if lowered in ("declined", "decline", "off-topic", "off_topic", "offtopic"):
        return Expectation.declined()
    kind, _, rest = value.partition(":")
    rest = rest.strip()
    number = value.lstrip("#")
    if number.isdigit():
        return Expectation.curated_answer(int(number))
    if kind.strip().casefold() == CURATED and rest.lstrip("#").isdigit() and int(rest.lstrip("#")) > 0:
        return Expectation.curated_answer(int(rest.lstrip("#")))
    if kind.strip().casefold() == DOCUMENT and rest:
        return Expectation.in_document(rest)
    if kind.strip().casefold() == SECTION and rest:
        document, sep, path = rest.partition("#")
        return Expectation.section([path.strip()], document.strip()) if sep else Expectation.section([rest])
    raise QuestionError(
        f"“{value}” is not something that can answer: pick a section or document from the "
        "suggestions, or write `curated:3` or `declined`."
    )


__all__ = [
    "Expectation",
    "GoldenQuestion",
    "GoldenReport",
    "GoldenResult",
    "GoldenSet",
    "Regression",
    "Status",
    "ask_all",
    "compare",
    "dump_golden",
    "expectation_now",
    "judge",
    "parse_expectation",
    "parse_golden",
    "what_answered",
]
