"""The curated answers of one state folder, kept in ``curated.yaml``: reading, changing, importing.

Moderators change answers in the bot or by editing the file; both are checked the same way
(:mod:`knowledge.curated.yaml_format`), and a broken file never replaces the answers being served.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EditConflict, NotFoundError
from ..matching import kb_weight
from ..yaml_state import YamlState, YamlStateFile, now
from .matcher import MIN_MATCH, CuratedMatch, CuratedMatcher
from .records import CuratedAnswer, Revision, SourceLink
from .sources import changed_sources, current_sources
from .yaml_format import check_entry, dump_curated, parse_curated

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

logger = logging.getLogger(__name__)

FILE_NAME = "curated.yaml"


@dataclass
class ImportPlan:
    """What an import would do; nothing changes until :meth:`CuratedStore.apply_import`."""

    added: list[CuratedAnswer] = field(default_factory=list)
    updated: list[CuratedAnswer] = field(default_factory=list)
    unchanged: list[CuratedAnswer] = field(default_factory=list)
    #: The revision of each answer the plan adds ("": none yet) or updates, as at the dry run.
    seen: dict[int, str] = field(default_factory=dict)
    #: (answer id, passage id) of each source that names a passage the knowledge base lacks.
    unknown_sources: list[tuple[int, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether the file held no answers at all."""
        return not (self.added or self.updated or self.unchanged)

    def warnings(self) -> list[str]:
        """One line per source the knowledge base lacks: the import keeps it, but it cites nothing."""
        return [
            f"warning: curated answer #{answer_id} names passage {passage_id}, "
            "which is not in the knowledge base"
            for answer_id, passage_id in self.unknown_sources
        ]

    def summary(self) -> str:
        """What would change, in words: ``2 new, 1 updated, 5 unchanged``."""
        parts = [f"{len(self.added)} new", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged"]
        return ", ".join(parts)

    @property
    def changes(self) -> int:
        """How many answers the import would add or update."""
        return len(self.added) + len(self.updated)


class CuratedStore(YamlState[CuratedAnswer]):
    """The curated answers of one state folder.

    Questions are matched in worker threads while moderators edit: changes build a new dict and
    swap it in (copy on write), so a reader never iterates a dict that is being changed.

    Every change is written at once (atomically, the previous file kept as ``curated.yaml.bak``).
    If the write fails, the change is still served from memory, :attr:`pending` is True and the
    next change (or :meth:`flush`) writes everything; the caller gets a :class:`StateWriteError`
    to tell the moderator. A file that is unusable at start-up is replaced by its backup.
    """

    label = "curated answers"
    start_from_backup = True

    def __init__(self, path: Path | str | YamlStateFile, *, threshold: float = MIN_MATCH) -> None:
        self.threshold = threshold
        self._answers: dict[int, CuratedAnswer] = {}
        self._matcher: CuratedMatcher | None = None
        super().__init__(path)

    @classmethod
    def in_state_dir(cls, state_dir: Path | str, **kwargs: Any) -> CuratedStore:
        """The curated answers kept as ``curated.yaml`` in ``state_dir``."""
        return cls(Path(state_dir) / FILE_NAME, **kwargs)

    # -- the file --------------------------------------------------------------------------------

    def _parse(self, text: str, path: Path | str) -> list[CuratedAnswer]:
        return parse_curated(text, path)

    def _set(self, answers: Iterable[CuratedAnswer]) -> None:
        self._answers = {a.id: a for a in answers}
        self._matcher = None

    def _dump(self) -> str:
        return dump_curated(self._answers.values())

    def _save(self, done: object = None) -> None:
        self._matcher = None  # entries may have changed in place (status, sources)
        super()._save(done)

    # -- reading ---------------------------------------------------------------------------------

    def get(self, answer_id: int) -> CuratedAnswer | None:
        """The answer with this id (retired ones too), or None."""
        return self._answers.get(answer_id)

    def list(self, *, include_retired: bool = False) -> list[CuratedAnswer]:
        """The served answers by id; with ``include_retired``, every answer in the file."""
        return sorted((a for a in self._answers.values() if include_retired or a.served), key=lambda a: a.id)

    def stale(self) -> list[CuratedAnswer]:
        """The answers flagged because their sources changed, still served until reviewed."""
        return [a for a in self.list() if a.status == "stale"]

    def __len__(self) -> int:
        """How many answers are served (retired ones not counted)."""
        return sum(1 for a in self._answers.values() if a.served)

    def matcher(self) -> CuratedMatcher:
        """A matcher over the answers as they are now (made again after every change)."""
        matcher = self._matcher
        if matcher is None:
            matcher = self._matcher = CuratedMatcher(list(self._answers.values()), threshold=self.threshold)
        return matcher

    def match(self, question: str, kb: KnowledgeBase | None = None) -> CuratedMatch | None:
        """The served answer that ``question`` asks for, or None; terms weigh by ``kb``'s idf
        when given. Hand edits are picked up first."""
        self.refresh()
        return self.matcher().match(question, kb_weight(kb))

    def export_yaml(self, *, include_retired: bool = True) -> str:
        """The answers as a ``curated.yaml`` text, for ``/faq export`` and :meth:`plan_import`."""
        return dump_curated(self.list(include_retired=include_retired))

    # -- changing --------------------------------------------------------------------------------

    def _next_id(self) -> int:
        return max(self._answers, default=0) + 1

    def add(
        self,
        question: str,
        answer: str,
        *,
        author: str,
        phrasings: Iterable[str] = (),
        sources: Iterable[SourceLink] = (),
    ) -> CuratedAnswer:
        """Add an answer. The new answer is served even if writing fails (then StateWriteError)."""
        with self.file.lock:
            self._begin_change()
            stamp = now()
            entry = check_entry(
                CuratedAnswer(
                    id=self._next_id(),
                    question=question,
                    answer=answer,
                    phrasings=list(phrasings),
                    sources=list(sources),
                    author=author,
                    created=stamp,
                    updated=stamp,
                )
            )
            entry.history.append(Revision(stamp, author, "created", entry.question, entry.answer))
            self._answers = {**self._answers, entry.id: entry}
            self._save(entry)
            return entry

    def edit(
        self,
        answer_id: int,
        *,
        by: str,
        question: str | None = None,
        answer: str | None = None,
        phrasings: Iterable[str] | None = None,
        sources: Iterable[SourceLink] | None = None,
        revision: str | None = None,
    ) -> CuratedAnswer:
        """Change the given fields of an answer and record the edit in its history. With
        ``revision`` (:attr:`CuratedAnswer.revision` when the form was opened), EditConflict when
        the answer changed since. NotFoundError for an unknown id, StateFileError for invalid
        text, StateFileBroken while the file has a hand-edit mistake, StateWriteError when not
        written."""
        with self.file.lock:
            self._begin_change()
            current = self._require(answer_id)
            if revision is not None and current.revision != revision:
                last = current.history[-1] if current.history else None
                by = f" by {last.by}" if last and last.by else ""
                when = f" at {current.updated}" if current.updated else ""
                raise EditConflict(
                    f"curated answer #{answer_id} was changed{by}{when} after this form was opened, "
                    "so your edit was not saved over it",
                    current,
                )
            changed = replace(
                current,
                question=current.question if question is None else question,
                answer=current.answer if answer is None else answer,
                phrasings=list(current.phrasings if phrasings is None else phrasings),
                sources=list(current.sources if sources is None else sources),
                history=list(current.history),
            )
            changed = check_entry(changed)
            stamp = now()
            changed.updated = stamp
            changed.history.append(
                Revision(
                    stamp,
                    by,
                    "edited",
                    changed.question if changed.question != current.question else "",
                    changed.answer if changed.answer != current.answer else "",
                )
            )
            self._answers = {**self._answers, answer_id: changed}
            self._save(changed)
            return changed

    def remove(self, answer_id: int) -> CuratedAnswer:
        """Delete an answer and its history from the file; returns it. NotFoundError for an unknown id."""
        with self.file.lock:
            self._begin_change()
            removed = self._require(answer_id)
            self._answers = {k: v for k, v in self._answers.items() if k != answer_id}
            self._save(removed)
            return removed

    def retire(self, answer_id: int, *, by: str) -> CuratedAnswer:
        """Stop serving an answer but keep it, with its history, in the file."""
        return self._set_status(answer_id, "retired", by=by, note="retired")

    def flag(self, answer_id: int, *, by: str, reason: str) -> CuratedAnswer:
        """Mark an answer stale for review (still served until someone retires it)."""
        return self._set_status(answer_id, "stale", by=by, note=reason, reason=reason)

    def keep(self, answer_id: int, *, by: str) -> CuratedAnswer:
        """Serve a stale answer as current again, its sources unchanged."""
        return self._set_status(answer_id, "active", by=by, note="reviewed")

    def _set_status(
        self, answer_id: int, status: str, *, by: str, note: str, reason: str = ""
    ) -> CuratedAnswer:
        with self.file.lock:
            self._begin_change()
            entry = self._require(answer_id)
            stamp = now()
            entry.status, entry.stale_reason, entry.updated = status, reason, stamp
            entry.history.append(Revision(stamp, by, status if status != "active" else "kept", note=note))
            self._save(entry)
            return entry

    def _require(self, answer_id: int) -> CuratedAnswer:
        entry = self._answers.get(answer_id)
        if entry is None:
            raise NotFoundError(f"There is no curated answer with id {answer_id}.")
        return entry

    # -- import ----------------------------------------------------------------------------------

    def plan_import(
        self, text: str, name: str = "import.yaml", kb: KnowledgeBase | None = None
    ) -> ImportPlan:
        """Validate an exported file and say what importing it would change (a dry run).

        Entries are matched by id: an existing id is updated when its content differs; an
        unknown id is added under that id, and an entry without id gets the next free one. With
        ``kb``, sources naming passages it lacks are listed in :attr:`ImportPlan.unknown_sources`.
        Raises :class:`StateFileError` for an invalid file.
        """
        plan = ImportPlan()
        for entry in parse_curated(text, name, taken=self._answers):
            if kb is not None:
                plan.unknown_sources += [
                    (entry.id, s.passage_id) for s in entry.sources if kb.passage(s.passage_id) is None
                ]
            current = self._answers.get(entry.id)
            if current is None:
                plan.added.append(entry)
            elif _content(current) != _content(entry):
                plan.updated.append(entry)
            else:
                plan.unchanged.append(entry)
                continue
            plan.seen[entry.id] = current.revision if current else ""
        return plan

    def apply_import(self, plan: ImportPlan, *, by: str) -> None:
        """Add and update the answers of a plan from :meth:`plan_import`, recording the import in
        their history (answers the file does not mention are kept). EditConflict, and nothing
        changed, when an answer it touches was added or changed since the dry run."""
        with self.file.lock:
            self._begin_change()
            moved = [
                answer_id
                for answer_id, revision in plan.seen.items()
                if (self._answers[answer_id].revision if answer_id in self._answers else "") != revision
            ]
            if moved:
                numbers = ", ".join(f"#{n}" for n in sorted(moved))
                raise EditConflict(
                    f"curated answer(s) {numbers} changed since the dry run, so nothing was imported; "
                    "run the import again to see what it would change now",
                    [self._answers.get(n) for n in moved],
                )
            stamp = now()
            answers = dict(self._answers)
            for entry in plan.added:
                entry = replace(entry, history=[*entry.history, Revision(stamp, by, "imported")])
                entry.created = entry.created or stamp
                entry.updated = stamp
                answers[entry.id] = entry
            for entry in plan.updated:
                current = answers.get(entry.id)
                history = list(current.history) if current else list(entry.history)
                history.append(Revision(stamp, by, "imported", entry.question, entry.answer))
                answers[entry.id] = replace(
                    entry,
                    history=history,
                    updated=stamp,
                    created=current.created if current else entry.created,
                )
            self._answers = answers
            self._save(plan)

    # -- the documents behind the answers ---------------------------------------------------------

    def check_sources(self, kb: KnowledgeBase, *, by: str = "citebot") -> list[CuratedAnswer]:
        """Flag served answers whose passages changed or vanished in ``kb``; returns the answers
        newly flagged. Call after every reload."""
        flagged = []
        with self.file.lock:
            self._begin_change()
            for entry in self.list():
                missing = changed_sources(entry, kb)
                if not missing or entry.status == "stale":
                    continue
                entry.status = "stale"
                entry.stale_reason = "source changed or removed: " + ", ".join(missing)
                entry.history.append(Revision(now(), by, "flagged", note=entry.stale_reason))
                flagged.append(entry)
            if flagged:
                self._save(flagged)
        return flagged

    def relink(self, answer_id: int, kb: KnowledgeBase, *, by: str) -> CuratedAnswer:
        """Keep an answer after its sources changed: link it to the current passages (the same
        section's new version, else the passage most like the old excerpt) and serve it again."""
        with self.file.lock:
            self._begin_change()
            entry = self._require(answer_id)
            links = current_sources(entry, kb)
            entry.sources = links
            entry.status, entry.stale_reason, entry.updated = "active", "", now()
            entry.history.append(
                Revision(
                    entry.updated,
                    by,
                    "relinked",
                    note="sources: " + (", ".join(s.passage_id for s in links) or "none"),
                )
            )
            self._save(entry)
            return entry


def _content(entry: CuratedAnswer) -> tuple:
    return (
        entry.question,
        entry.answer,
        tuple(entry.phrasings),
        tuple((s.passage_id, s.content_hash) for s in entry.sources),
        entry.status,
    )
