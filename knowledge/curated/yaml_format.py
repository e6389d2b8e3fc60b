"""The ``curated.yaml`` format: validating a file (hand-edited, imported or made in the bot) and
writing one. Every problem is reported with the file, the line and the entry."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..safe_yaml import quote
from ..yaml_state import (
    MAX_NAME_CHARS,
    MAX_STAMP_CHARS,
    StateFileError,
    dump_yaml,
    line_of,
    mapping_value,
    parse_yaml,
    sequence_items,
    short_text,
)
from .records import STATUSES, CuratedAnswer, Revision, SourceLink

FORMAT_VERSION = 1
MAX_QUESTION_CHARS = 300
MAX_ANSWER_CHARS = 3_500
MAX_PHRASINGS = 20
# Every other field is capped too, so an imported file cannot store a field of any size.
MAX_SOURCES = 50
MAX_PASSAGE_ID_CHARS = 1_000  # a document id is its path in the knowledge folder
MAX_EXCERPT_CHARS = 1_000
MAX_HASH_CHARS = 128
MAX_ACTION_CHARS = 64
# A note or stale reason may list every source's passage id ("source changed or removed: a, b").
MAX_NOTE_CHARS = MAX_SOURCES * (MAX_PASSAGE_ID_CHARS + 2) + 100


def _as_typed(value: Any, node) -> Any:
    """A plain YAML scalar that the loader turned into a boolean, number or date (``answer: yes``,
    ``question: 123``) as the text that was typed; anything else as loaded."""
    if (
        value is not None
        and not isinstance(value, str)
        and isinstance(node, yaml.ScalarNode)
        and not node.style  # plain, not quoted (None or "" depending on the loader)
    ):
        return node.value
    return value


def _text_field(item: dict, key: str, path, line, entry, *, required: bool, limit: int, node=None) -> str:
    value = _as_typed(item.get(key), node)
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


def _entry_from_yaml(item: Any, node, path: Path | str, index: int, free_id: int) -> CuratedAnswer:
    line = line_of(node)
    entry = f"entry {index}"
    if not isinstance(item, dict):
        raise StateFileError(
            path, "each answer must be a mapping (question:, answer:, ...)", line=line, entry=entry
        )
    raw_id = item.get("id")
    if raw_id is None:  # a new entry written by hand: it gets the next free id
        raw_id = free_id
    if not isinstance(raw_id, int) or isinstance(raw_id, bool) or raw_id < 1:
        raise StateFileError(
            path,
            f"'id' must be a positive whole number, not {quote(raw_id)}",
            line=line_of(mapping_value(node, "id")) or line,
            entry=entry,
        )
    entry = f"entry {index} (id {raw_id})"

    def where(key: str) -> int | None:
        return line_of(mapping_value(node, key)) or line

    question = _text_field(
        item,
        "question",
        path,
        where("question"),
        entry,
        required=True,
        limit=MAX_QUESTION_CHARS,
        node=mapping_value(node, "question"),
    )
    answer = _text_field(
        item,
        "answer",
        path,
        where("answer"),
        entry,
        required=True,
        limit=MAX_ANSWER_CHARS,
        node=mapping_value(node, "answer"),
    )
    phrasings_node = mapping_value(node, "phrasings")
    phrasings = _as_typed(item.get("phrasings") or [], phrasings_node)
    if isinstance(phrasings, list):
        typed = sequence_items(phrasings_node)
        phrasings = [_as_typed(p, typed[i] if i < len(typed) else None) for i, p in enumerate(phrasings)]
    if isinstance(phrasings, str):
        phrasings = [phrasings]
    if not isinstance(phrasings, list) or not all(isinstance(p, str) for p in phrasings):
        raise StateFileError(
            path, "'phrasings' must be a list of questions", line=where("phrasings"), entry=entry
        )
    if len(phrasings) > MAX_PHRASINGS:
        raise StateFileError(path, f"at most {MAX_PHRASINGS} phrasings", line=where("phrasings"), entry=entry)
    phrasings = [" ".join(p.split()) for p in phrasings if p.strip()]
    if any(len(p) > MAX_QUESTION_CHARS for p in phrasings):
        too_long = f"a phrasing is over {MAX_QUESTION_CHARS} characters"
        raise StateFileError(path, too_long, line=where("phrasings"), entry=entry)

    def capped(values: dict, key: str, limit: int, line: int | None) -> str:
        return short_text(values.get(key) or "", key, limit, path, line, entry)

    sources = []
    for s_index, (src, src_node) in enumerate(
        _with_nodes(item.get("sources") or [], mapping_value(node, "sources")), start=1
    ):
        src_line = line_of(src_node) or where("sources")
        if s_index > MAX_SOURCES:
            raise StateFileError(path, f"at most {MAX_SOURCES} sources", line=src_line, entry=entry)
        if not isinstance(src, dict) or not isinstance(src.get("passage"), str) or not src["passage"].strip():
            raise StateFileError(
                path, f"source {s_index} needs 'passage: <passage id>'", line=src_line, entry=entry
            )
        passage_id = capped(src, "passage", MAX_PASSAGE_ID_CHARS, src_line).strip()
        content_hash = capped(src, "hash", MAX_HASH_CHARS, src_line) or passage_id.rsplit("-", 1)[-1]
        excerpt = capped(src, "excerpt", MAX_EXCERPT_CHARS, src_line)
        sources.append(SourceLink(passage_id, content_hash, excerpt))
    status = item.get("status") or "active"
    if status not in STATUSES:
        raise StateFileError(
            path,
            f"'status' must be one of {', '.join(STATUSES)}, not {quote(status)}",
            line=where("status"),
            entry=entry,
        )
    history = []
    for rev, rev_node in _with_nodes(item.get("history") or [], mapping_value(node, "history")):
        rev_line = line_of(rev_node) or where("history")
        if not isinstance(rev, dict):
            raise StateFileError(path, "'history' must be a list of mappings", line=rev_line, entry=entry)
        history.append(
            Revision(
                at=capped(rev, "at", MAX_STAMP_CHARS, rev_line),
                by=capped(rev, "by", MAX_NAME_CHARS, rev_line),
                action=capped(rev, "action", MAX_ACTION_CHARS, rev_line) or "edited",
                question=capped(rev, "question", MAX_QUESTION_CHARS, rev_line),
                answer=capped(rev, "answer", MAX_ANSWER_CHARS, rev_line),
                note=capped(rev, "note", MAX_NOTE_CHARS, rev_line),
            )
        )
    return CuratedAnswer(
        id=raw_id,
        question=question,
        answer=answer,
        phrasings=phrasings,
        sources=sources,
        author=capped(item, "author", MAX_NAME_CHARS, where("author")),
        created=capped(item, "created", MAX_STAMP_CHARS, where("created")),
        updated=capped(item, "updated", MAX_STAMP_CHARS, where("updated")),
        status=status,
        stale_reason=capped(item, "stale_reason", MAX_NOTE_CHARS, where("stale_reason")),
        history=history,
    )


def _with_nodes(values: Any, node) -> Iterable[tuple[Any, Any]]:
    if not isinstance(values, list):
        values = [values]
    nodes = sequence_items(node)
    for i, value in enumerate(values):
        yield value, nodes[i] if i < len(nodes) else node


def parse_curated(text: str, path: Path | str, *, taken: Iterable[int] = ()) -> list[CuratedAnswer]:
    """Validate a curated answers file; raises :class:`StateFileError` naming line and entry.
    An entry without ``id`` gets the next id free of the file's ids and of ``taken``."""
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
    given = [item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), int)]
    free_id = max([*given, *taken], default=0) + 1
    for index, (item, node) in enumerate(_with_nodes(items, items_node), start=1):
        answer = _entry_from_yaml(item, node, path, index, free_id)
        if isinstance(item, dict) and item.get("id") is None:
            free_id += 1
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
    """``answers`` as the text of ``curated.yaml``, with a header for hand editors."""
    header = (
        "# citebot curated answers. You may edit this file by hand: it is checked when it changes,\n"
        "# and if it has a mistake the bot keeps serving the previous answers and says where it is.\n"
    )
    return header + dump_yaml({"version": FORMAT_VERSION, "answers": [a.to_yaml() for a in answers]})


def check_entry(entry: CuratedAnswer) -> CuratedAnswer:
    """``entry`` as it would load from a file: an entry made in the bot is checked the same way
    as a hand edit (:class:`StateFileError` when invalid; text trimmed)."""
    text = dump_yaml({"version": FORMAT_VERSION, "answers": [entry.to_yaml()]})
    [checked] = parse_curated(text, f"curated answer {entry.id}")
    return checked
