"""Reading and writing ``golden.yaml``: the question-set format of ``citebot eval`` with what
must answer each question (see :mod:`knowledge.golden`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StateFileError
from ..yaml_state import (
    dump_yaml,
    line_of,
    mapping_value,
    parse_yaml,
    sequence_items,
    short_text,
    short_texts,
    signed,
)
from .expectations import DECLINED, Expectation

FILE_NAME = "golden.yaml"


FORMAT_VERSION = 1
MAX_QUESTION_CHARS = 300
MAX_SECTIONS = 20  # headings that may answer a question (each, like `document`, as long as a question)
SOURCE = "source"  # as in citebot eval: answered from the top-level ``document``


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
