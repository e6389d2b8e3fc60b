"""Moderator-curated answers: stored as ``curated.yaml`` in the state folder, matched to questions.

A curated answer has a question and alternative phrasings, a Markdown answer, the passages it
relies on (id and content hash, so a change in the documents can be noticed), its author,
timestamps and the history of its edits. When a member's question matches one confidently, the
moderators' answer leads the reply (see :mod:`knowledge.assistant`).
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answer import QUESTION_WORDS
from .errors import NotFoundError, StateWriteError
from .text import STOP_WORDS, stem, tokens
from .yaml_state import (
    StateFileError,
    YamlStateFile,
    dump_yaml,
    line_of,
    mapping_value,
    now,
    parse_yaml,
    sequence_items,
    timestamp,
)

if TYPE_CHECKING:
    from .kb import KnowledgeBase
    from .models import Hit, Passage

logger = logging.getLogger(__name__)

FILE_NAME = "curated.yaml"
FORMAT_VERSION = 1
MAX_QUESTION_CHARS = 300
MAX_ANSWER_CHARS = 3_500
MAX_PHRASINGS = 20
EXCERPT_CHARS = 240
STATUSES = ("active", "stale", "retired")

# Weighted Dice similarity between a question and a curated phrasing at or above which the
# curated answer is used. Measured on tests/knowledge/curated_paraphrases.yaml (paraphrases that
# should match; near misses such as "while pregnant" for "while breastfeeding" that must not):
# with the knowledge base's term weights, 24 of 25 paraphrases score 0.75 or more (the miss,
# "what is the enteromammary system", 0.67) and none of 28 near misses scores above 0.72
# (test_curated.py::test_threshold_separates_paraphrases_from_near_misses). Moderators' extra
# phrasings are how the misses are caught; a wrong curated answer costs more than a missed one.
MIN_MATCH = 0.73


# -- the data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceLink:
    """A passage a curated answer relies on. ``excerpt`` helps find it again if its text changes."""

    passage_id: str
    content_hash: str
    excerpt: str = ""

    @classmethod
    def of(cls, passage: Passage) -> SourceLink:
        return cls(passage.id, passage.content_hash, " ".join(passage.text.split())[:EXCERPT_CHARS])

    def to_yaml(self) -> dict[str, str]:
        out = {"passage": self.passage_id, "hash": self.content_hash}
        if self.excerpt:
            out["excerpt"] = self.excerpt
        return out


@dataclass(frozen=True)
class Revision:
    """One step of an answer's history: who did what, when, and the text it then had."""

    at: str
    by: str
    action: str
    question: str = ""
    answer: str = ""
    note: str = ""

    def to_yaml(self) -> dict[str, str]:
        out = {"at": self.at, "by": self.by, "action": self.action}
        for key in ("question", "answer", "note"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


@dataclass
class CuratedAnswer:
    id: int
    question: str
    answer: str
    phrasings: list[str] = field(default_factory=list)
    sources: list[SourceLink] = field(default_factory=list)
    author: str = ""
    created: str = ""
    updated: str = ""
    status: str = "active"
    stale_reason: str = ""
    history: list[Revision] = field(default_factory=list)
    # The sources as passages of the current knowledge base, filled in on the copy that goes into
    # an Answer (never stored: passages are looked up again at every question).
    hits: list[Hit] = field(default_factory=list, compare=False, repr=False)

    @property
    def text(self) -> str:
        return self.answer

    @property
    def served(self) -> bool:
        """Stale answers are still served (moderators wrote them) until someone retires them."""
        return self.status != "retired"

    def questions(self) -> list[str]:
        return [self.question, *self.phrasings]

    def to_summary(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "text": self.answer}

    def to_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "question": self.question}
        if self.phrasings:
            out["phrasings"] = list(self.phrasings)
        out["answer"] = self.answer
        out["sources"] = [s.to_yaml() for s in self.sources]
        out.update(author=self.author, created=self.created, updated=self.updated, status=self.status)
        if self.stale_reason:
            out["stale_reason"] = self.stale_reason
        out["history"] = [r.to_yaml() for r in self.history]
        return out


# -- validation -----------------------------------------------------------------------------------


def _text_field(item: dict, key: str, path, line, entry, *, required: bool, limit: int) -> str:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise StateFileError(path, f"{key!r} is missing or empty", line=line, entry=entry)
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise StateFileError(
            path, f"{key!r} must be text, not {type(value).__name__}", line=line, entry=entry
        )
    text = str(value).strip()
    if required and not text:
        raise StateFileError(path, f"{key!r} is missing or empty", line=line, entry=entry)
    if len(text) > limit:
        raise StateFileError(
            path, f"{key!r} is {len(text)} characters; the limit is {limit}", line=line, entry=entry
        )
    return text


def _entry_from_yaml(item: Any, node, path: Path | str, index: int) -> CuratedAnswer:
    line = line_of(node)
    entry = f"entry {index}"
    if not isinstance(item, dict):
        raise StateFileError(
            path, "each answer must be a mapping (question:, answer:, ...)", line=line, entry=entry
        )
    raw_id = item.get("id")
    if not isinstance(raw_id, int) or isinstance(raw_id, bool) or raw_id < 1:
        raise StateFileError(
            path,
            f"'id' must be a positive whole number, not {raw_id!r}",
            line=line_of(mapping_value(node, "id")) or line,
            entry=entry,
        )
    entry = f"entry {index} (id {raw_id})"

    def where(key: str) -> int | None:
        return line_of(mapping_value(node, key)) or line

    question = _text_field(
        item, "question", path, where("question"), entry, required=True, limit=MAX_QUESTION_CHARS
    )
    answer = _text_field(item, "answer", path, where("answer"), entry, required=True, limit=MAX_ANSWER_CHARS)
    phrasings = item.get("phrasings") or []
    if isinstance(phrasings, str):
        phrasings = [phrasings]
    if not isinstance(phrasings, list) or not all(isinstance(p, str) for p in phrasings):
        raise StateFileError(
            path, "'phrasings' must be a list of questions", line=where("phrasings"), entry=entry
        )
    if len(phrasings) > MAX_PHRASINGS:
        raise StateFileError(path, f"at most {MAX_PHRASINGS} phrasings", line=where("phrasings"), entry=entry)
    phrasings = [" ".join(p.split()) for p in phrasings if p.strip()]
    sources = []
    for s_index, (src, src_node) in enumerate(
        _with_nodes(item.get("sources") or [], mapping_value(node, "sources")), start=1
    ):
        src_line = line_of(src_node) or where("sources")
        if not isinstance(src, dict) or not isinstance(src.get("passage"), str) or not src["passage"].strip():
            raise StateFileError(
                path, f"source {s_index} needs 'passage: <passage id>'", line=src_line, entry=entry
            )
        passage_id = src["passage"].strip()
        content_hash = str(src.get("hash") or passage_id.rsplit("-", 1)[-1])
        sources.append(SourceLink(passage_id, content_hash, str(src.get("excerpt") or "")))
    status = item.get("status") or "active"
    if status not in STATUSES:
        raise StateFileError(
            path,
            f"'status' must be one of {', '.join(STATUSES)}, not {status!r}",
            line=where("status"),
            entry=entry,
        )
    history = []
    for rev in item.get("history") or []:
        if not isinstance(rev, dict):
            raise StateFileError(
                path, "'history' must be a list of mappings", line=where("history"), entry=entry
            )
        history.append(
            Revision(
                at=timestamp(rev.get("at")),
                by=str(rev.get("by") or ""),
                action=str(rev.get("action") or "edited"),
                question=str(rev.get("question") or ""),
                answer=str(rev.get("answer") or ""),
                note=str(rev.get("note") or ""),
            )
        )
    return CuratedAnswer(
        id=raw_id,
        question=question,
        answer=answer,
        phrasings=phrasings,
        sources=sources,
        author=str(item.get("author") or ""),
        created=timestamp(item.get("created")),
        updated=timestamp(item.get("updated")),
        status=status,
        stale_reason=str(item.get("stale_reason") or ""),
        history=history,
    )


def _with_nodes(values: Any, node) -> Iterable[tuple[Any, Any]]:
    if not isinstance(values, list):
        values = [values]
    nodes = sequence_items(node)
    for i, value in enumerate(values):
        yield value, nodes[i] if i < len(nodes) else node


def parse_curated(text: str, path: Path | str) -> list[CuratedAnswer]:
    """Validate a curated answers file; raises :class:`StateFileError` naming line and entry."""
    data, root = parse_yaml(text, path)
    if data is None:
        return []
    if isinstance(data, list):  # a bare list of answers is accepted too (handy for imports)
        items, items_node = data, root
    elif isinstance(data, dict):
        items, items_node = data.get("answers") or [], mapping_value(root, "answers")
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise StateFileError(
                path,
                f"unknown format version {version!r} (expected {FORMAT_VERSION})",
                line=line_of(mapping_value(root, "version")),
            )
    else:
        raise StateFileError(path, "the file must hold 'answers:' with a list of answers", line=1)
    if not isinstance(items, list):
        raise StateFileError(path, "'answers' must be a list", line=line_of(items_node))
    answers: list[CuratedAnswer] = []
    seen: dict[int, int] = {}
    for index, (item, node) in enumerate(_with_nodes(items, items_node), start=1):
        answer = _entry_from_yaml(item, node, path, index)
        if answer.id in seen:
            raise StateFileError(
                path,
                f"id {answer.id} is also used by entry {seen[answer.id]}",
                line=line_of(node),
                entry=f"entry {index} (id {answer.id})",
            )
        seen[answer.id] = index
        answers.append(answer)
    return answers


def dump_curated(answers: Iterable[CuratedAnswer]) -> str:
    header = (
        "# citebot curated answers. You may edit this file by hand: it is checked when it changes,\n"
        "# and if it has a mistake the bot keeps serving the previous answers and says where it is.\n"
    )
    return header + dump_yaml({"version": FORMAT_VERSION, "answers": [a.to_yaml() for a in answers]})


# -- matching questions ---------------------------------------------------------------------------


# Stop words for the index, but they change what a question asks: "how *long*" and "how *often*",
# "*before* birth", "*first* milk", "*not*". Matching keeps them, at the lowest weight.
KEPT_WORDS = frozenset(
    [
        "often",
        "many",
        "much",
        "few",
        "less",
        "more",
        "most",
        "never",
        "always",
        "before",
        "after",
        "without",
        "not",
        "no",
        "nor",
        "cannot",
        "first",
        "last",
        "again",
    ]
)
# Stems this long that one extends the other are the same word: the Snowball stemmer gives
# "breastfeed" -> "breastfe", "breastfeeding" -> "breastfeed", "breastfed" -> "breastf".
MIN_PREFIX = 5


def question_terms(text: str) -> frozenset[str]:
    """What a question is about: stemmed content words, without "explain"/"tell me"-style words."""
    return frozenset(
        stem(t) if t not in KEPT_WORDS else t
        for t in tokens(text)
        if t in KEPT_WORDS or (t not in STOP_WORDS and t not in QUESTION_WORDS)
    )


def same_word(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= MIN_PREFIX and (a.startswith(b) or b.startswith(a)))


def similarity(a: frozenset[str], b: frozenset[str], weight: Callable[[str], float] | None = None) -> float:
    """Weighted Dice coefficient of two term sets: 1.0 for the same words, 0.0 for none shared.

    Both directions count: a question that adds an important word ("... while *pregnant*") is a
    different question even when it contains every word of the curated one.
    """
    if not a or not b:
        return 0.0
    w = weight or (lambda _t: 1.0)
    shared = sum(w(t) for t in a if t in b or any(same_word(t, u) for u in b))
    shared += sum(w(u) for u in b if u in a or any(same_word(u, t) for t in a))
    total = sum(w(t) for t in a) + sum(w(t) for t in b)
    return shared / total if total else 0.0


def kb_weight(kb: KnowledgeBase | None) -> Callable[[str], float] | None:
    """Term weights from the knowledge base: idf, floored at half the rarest term's; a word the
    knowledge base has never seen weighs as much as its rarest term (as the answer judge does).
    A stem the index holds in a longer or shorter form ("breastfe" / "breastfeed") takes that
    form's weight."""
    index = getattr(kb, "index", None)
    vocabulary = getattr(index, "vocabulary_", None)
    idf = getattr(index, "idf_", None)
    terms = getattr(index, "terms_", None)
    if kb is None or vocabulary is None or idf is None or terms is None or not len(idf):
        return None
    rarest = float(kb.rarest_weight)
    floor = 0.5 * rarest

    @lru_cache(maxsize=4096)
    def column(term: str) -> int | None:
        if term in vocabulary:
            return vocabulary[term]
        if len(term) < MIN_PREFIX:
            return None
        for cut in range(len(term) - 1, MIN_PREFIX - 1, -1):
            if term[:cut] in vocabulary:
                return vocabulary[term[:cut]]
        at = bisect.bisect_left(terms, term)
        return vocabulary[terms[at]] if at < len(terms) and terms[at].startswith(term) else None

    def weight(term: str) -> float:
        if term in KEPT_WORDS:
            return floor
        col = column(term)
        return rarest if col is None else max(float(idf[col]), floor)

    return weight


@dataclass(frozen=True)
class CuratedMatch:
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
        ranked = self.scores(question, weight)
        if ranked and ranked[0].score >= self.threshold:
            return ranked[0]
        return None


# -- the store ------------------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What an import would do; nothing changes until :meth:`CuratedStore.apply_import`."""

    added: list[CuratedAnswer] = field(default_factory=list)
    updated: list[CuratedAnswer] = field(default_factory=list)
    unchanged: list[CuratedAnswer] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.added)} new", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged"]
        return ", ".join(parts)

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.updated)


class CuratedStore:
    """The curated answers of one state folder.

    Questions are matched in worker threads while moderators edit: changes build a new dict and
    swap it in (copy on write), so a reader never iterates a dict that is being changed.

    Every change is written at once (atomically, the previous file kept as ``curated.yaml.bak``).
    If the write fails, the change is still served from memory, :attr:`pending` is True and the
    next change (or :meth:`flush`) writes everything; the caller gets a :class:`StateWriteError`
    to tell the moderator.
    """

    def __init__(self, path: Path | str, *, threshold: float = MIN_MATCH) -> None:
        self.file = YamlStateFile(path)
        self.threshold = threshold
        self._answers: dict[int, CuratedAnswer] = {}
        self._matcher: CuratedMatcher | None = None
        self._load_initial()

    @classmethod
    def in_state_dir(cls, state_dir: Path | str, **kwargs: Any) -> CuratedStore:
        return cls(Path(state_dir) / FILE_NAME, **kwargs)

    # -- loading ---------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def load_error(self) -> StateFileError | None:
        return self.file.load_error

    @property
    def pending(self) -> bool:
        return self.file.pending

    def _load_initial(self) -> None:
        try:
            self._load()
        except StateFileError as exc:
            self.file.load_error = exc
            logger.error("%s; trying the backup", exc)
            backup = self.path.with_name(self.path.name + ".bak")
            try:
                text = backup.read_text(encoding="utf-8")
                self._set(parse_curated(text, backup))
            except (OSError, StateFileError) as bak_exc:
                logger.error("the backup is unusable too (%s); starting with no curated answers", bak_exc)

    def _load(self) -> None:
        text = self.file.read()
        answers = parse_curated(text, self.path) if text is not None else []
        self._set(answers)
        self.file.load_error = None

    def _set(self, answers: Iterable[CuratedAnswer]) -> None:
        self._answers = {a.id: a for a in answers}
        self._matcher = None

    def refresh(self) -> StateFileError | None:
        """Pick up hand edits. An invalid file keeps the current answers; the error is returned
        (and kept in :attr:`load_error`) so it can be shown. Pending changes are never dropped."""
        with self.file.lock:
            if self.file.pending or not self.file.changed_on_disk():
                return self.file.load_error
            try:
                self._load()
                logger.info("reloaded %s: %d curated answers", self.path, len(self._answers))
            except StateFileError as exc:
                self.file.load_error = exc
                logger.error("%s; still serving the previous curated answers", exc)
            return self.file.load_error

    def _save(self, done: object = None) -> None:
        self._matcher = None
        self.file.write(dump_curated(self._answers.values()), done=done)

    def flush(self) -> None:
        """Write pending changes now; raises :class:`StateWriteError` if still impossible."""
        with self.file.lock:
            if self.file.pending:
                self._save()

    # -- reading ---------------------------------------------------------------------------------

    def get(self, answer_id: int) -> CuratedAnswer | None:
        return self._answers.get(answer_id)

    def list(self, *, include_retired: bool = False) -> list[CuratedAnswer]:
        return sorted((a for a in self._answers.values() if include_retired or a.served), key=lambda a: a.id)

    def stale(self) -> list[CuratedAnswer]:
        return [a for a in self.list() if a.status == "stale"]

    def __len__(self) -> int:
        return sum(1 for a in self._answers.values() if a.served)

    def matcher(self) -> CuratedMatcher:
        matcher = self._matcher
        if matcher is None:
            matcher = self._matcher = CuratedMatcher(list(self._answers.values()), threshold=self.threshold)
        return matcher

    def match(self, question: str, kb: KnowledgeBase | None = None) -> CuratedMatch | None:
        self.refresh()
        return self.matcher().match(question, kb_weight(kb))

    def export_yaml(self, *, include_retired: bool = True) -> str:
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
            self.refresh()
            stamp = now()
            entry = self._validated(
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
    ) -> CuratedAnswer:
        with self.file.lock:
            self.refresh()
            current = self._require(answer_id)
            changed = replace(
                current,
                question=current.question if question is None else question,
                answer=current.answer if answer is None else answer,
                phrasings=list(current.phrasings if phrasings is None else phrasings),
                sources=list(current.sources if sources is None else sources),
                history=list(current.history),
            )
            changed = self._validated(changed)
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
        with self.file.lock:
            self.refresh()
            removed = self._require(answer_id)
            self._answers = {k: v for k, v in self._answers.items() if k != answer_id}
            self._save(removed)
            return removed

    def retire(self, answer_id: int, *, by: str) -> CuratedAnswer:
        """Stop serving an answer but keep it, with its history, in the file."""
        return self._set_status(answer_id, "retired", by=by, note="retired")

    def _set_status(
        self, answer_id: int, status: str, *, by: str, note: str, reason: str = ""
    ) -> CuratedAnswer:
        with self.file.lock:
            self.refresh()
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

    def _validated(self, entry: CuratedAnswer) -> CuratedAnswer:
        """Check an entry made in the bot the same way a hand edit is checked."""
        data = entry.to_yaml()
        text = dump_yaml({"version": FORMAT_VERSION, "answers": [data]})
        [checked] = parse_curated(text, f"curated answer {entry.id}")
        return checked

    # -- import ----------------------------------------------------------------------------------

    def plan_import(self, text: str, name: str = "import.yaml") -> ImportPlan:
        """Validate an exported file and say what importing it would change (a dry run).

        Entries are matched by id: an existing id is updated when its content differs; an
        unknown id is added under that id. Raises :class:`StateFileError` for an invalid file.
        """
        plan = ImportPlan()
        for entry in parse_curated(text, name):
            current = self._answers.get(entry.id)
            if current is None:
                plan.added.append(entry)
            elif _content(current) != _content(entry):
                plan.updated.append(entry)
            else:
                plan.unchanged.append(entry)
        return plan

    def apply_import(self, plan: ImportPlan, *, by: str) -> None:
        with self.file.lock:
            self.refresh()
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
            self.refresh()
            for entry in self.list():
                missing = [s.passage_id for s in entry.sources if not _present(kb, s)]
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
            self.refresh()
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


def current_sources(entry: CuratedAnswer, kb: KnowledgeBase) -> list[SourceLink]:
    """``entry``'s sources in ``kb``: unchanged ones as they are, changed ones replaced by the
    same section's new version (else the passage most like the old excerpt), vanished ones
    without a successor left out."""
    links: list[SourceLink] = []
    for source in entry.sources:
        if _present(kb, source):
            found: SourceLink | None = source
        else:
            passage = _successor(kb, source)
            found = SourceLink.of(passage) if passage is not None else None
        if found is not None and all(link.passage_id != found.passage_id for link in links):
            links.append(found)
    return links


def _content(entry: CuratedAnswer) -> tuple:
    return (
        entry.question,
        entry.answer,
        tuple(entry.phrasings),
        tuple((s.passage_id, s.content_hash) for s in entry.sources),
        entry.status,
    )


def _present(kb: KnowledgeBase, source: SourceLink) -> bool:
    passage = kb.passage(source.passage_id)
    return passage is not None and passage.content_hash == source.content_hash


def _successor(kb: KnowledgeBase, source: SourceLink) -> Passage | None:
    prefix = source.passage_id.rsplit("-", 1)[0]
    same_section = [p for p in kb.passages if p.id.rsplit("-", 1)[0] == prefix]
    if len(same_section) == 1:
        return same_section[0]
    doc_id = source.passage_id.split("#", 1)[0]
    query = source.excerpt or " ".join(prefix.split("#", 1)[-1].split("-"))
    hits = kb.search(query, k=5) if query.strip() else []
    for hit in hits:
        if hit.doc_id == doc_id:
            return kb.passage(hit.passage_id)
    return kb.passage(hits[0].passage_id) if hits else None


__all__ = [
    "CuratedAnswer",
    "CuratedMatch",
    "CuratedMatcher",
    "CuratedStore",
    "ImportPlan",
    "Revision",
    "SourceLink",
    "StateFileError",
    "StateWriteError",
]
