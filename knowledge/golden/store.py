"""A server's golden questions (:class:`GoldenSet`): kept in ``golden.yaml``, checked with the
last outcome remembered in ``golden-status.json`` beside it — in the server's folder, or with the
state in PostgreSQL a second state document of the server, so every bot process compares with the
same last check."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from ..errors import ChangeNotSaved, NotFoundError, StateFileError, StateWriteError
from ..models import Answer
from ..yaml_state import StateConflict, YamlState, YamlStateFile, now
from .checks import GoldenReport, Status, ask_all, compare
from .expectations import Expectation
from .status import STATUS_FILE_NAME, dump_status, parse_status
from .yaml_format import (
    FILE_NAME,
    MAX_QUESTION_CHARS,
    GoldenQuestion,
    dump_golden,
    parse_golden,
    question_key,
)

logger = logging.getLogger(__name__)


class GoldenSet(YamlState[GoldenQuestion]):
    """The golden questions of one server folder, and the outcome of their last check."""

    label = "golden questions"

    def __init__(self, path: Path | str | YamlStateFile) -> None:
        self._questions: dict[int, GoldenQuestion] = {}
        super().__init__(path)
        # Kept where the questions are: the folder, or the database every process shares.
        self.status_file = self.file.sibling(STATUS_FILE_NAME, backup=False)
        self.status_path = self.status_file.path
        self._status: dict[int, Status] = {}
        # A check's outcome not stored yet (the folder or database failed): served from memory,
        # never replaced by the stored one, and written with the next check.
        self._status_unsaved = False
        self._read_status()

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
                self._refresh_status()  # another process's check, when one was announced
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
        """Ask every golden question and compare with the last recorded check (read again first:
        another bot process may have made it); records nothing."""
        questions = self.list()
        self._refresh_status(always=True)
        return compare(ask_all(questions, ask), self._status)

    def run(self, ask: Callable[[str], Answer], *, cause: str = "") -> GoldenReport:
        """Check, then remember the outcome as the baseline of the next check; a question that
        got worse remembers ``cause`` (the change after which it did) until it passes again. Two
        processes checking at once: the outcome stored last is the baseline (it is only that)."""
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
        self._refresh_status()
        status = self._status.get(golden_id)
        golden = self._questions.get(golden_id)
        return (
            status
            if status is not None and golden is not None and status.question == golden.question
            else None
        )

    def worse(self) -> list[tuple[GoldenQuestion, Status]]:
        """The questions that got worse at a check and have not passed since, with what changed."""
        questions = self.list()
        self._refresh_status()
        return [
            (golden, status)
            for golden in questions
            if (status := self._status.get(golden.id)) is not None
            and not status.passed
            and status.was
            and status.question == golden.question
        ]

    # -- the last check's outcome ----------------------------------------------------------------

    def _refresh_status(self, *, always: bool = False) -> None:
        """Read the stored outcome again when it changed (another process's check, announced), or
        ``always``; one not stored yet from here is kept instead."""
        with self.file.lock:
            if not self._status_unsaved and (always or self.status_file.changed_on_disk()):
                self._read_status()

    def _read_status(self) -> None:
        try:
            text = self.status_file.read()
            self._status = parse_status(text, self.status_path) if text is not None else {}
        except StateFileError as exc:
            if self.status_file.read_failed:
                # The database is out of reach: keep what is known here; the next check reads again.
                logger.warning("%s; going on with the last outcome known here", exc)
                return
            # Only a baseline: without it the next check reports failures, not what got worse.
            logger.warning("ignoring %s (%s); the next check starts afresh", self.status_path, exc)
            self._status = {}

    def _write_status(self) -> None:
        """Store the outcome; when another process stored one since it was read here, this one
        replaces it (the last check's outcome is the baseline, whichever process made it)."""
        text = dump_status(self._status)
        error: Exception = StateConflict(self.status_path)
        for _attempt in range(3):
            try:
                self.status_file.write(text)
                self._status_unsaved = False
                return
            except StateConflict as exc:
                error = exc
            except (StateWriteError, ChangeNotSaved, OSError) as exc:
                error = exc
                break
            try:
                self.status_file.read()  # the stored revision, to replace it
            except StateFileError as exc:
                error = exc
                break
        self._status_unsaved = True
        logger.warning("the golden questions' last outcome was not saved (%s); it is kept in memory", error)
