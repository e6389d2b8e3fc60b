"""The glossary: members' words mapped to the knowledge base's terms ("first milk" -> colostrum).

Questions are rewritten with it before retrieval: a word the knowledge base never uses counts
against the evidence (see :mod:`knowledge.evidence`), so "first milk" is *replaced* by "colostrum"
rather than added to. Two kinds: a server's moderators keep theirs as ``glossary.yaml`` in the
state folder, written atomically (:class:`Glossary`); a document can ship one in its front matter
(``glossary: {LO: baby}``, :class:`DocumentGlossary`), read-only, applied after the moderators'.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .curated.records import revision_of
from .errors import EditConflict, NotFoundError
from .models import Document
from .notices import Code, Notice
from .text import normalize, stem, token_spans, tokens
from .yaml_state import (
    StateFileError,
    YamlState,
    YamlStateFile,
    dump_yaml,
    line_of,
    mapping_value,
    now,
    parse_yaml,
    sequence_items,
    signed,
)

logger = logging.getLogger(__name__)

FILE_NAME = "glossary.yaml"
FORMAT_VERSION = 1
MAX_TERM_CHARS = 60
MAX_MEANING_CHARS = 120


@dataclass(frozen=True)
class GlossaryEntry:
    """One glossary line: members write ``term``, the knowledge base says ``means``."""

    term: str
    means: str
    author: str = ""
    added: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        """The term as matched (see :func:`term_key`)."""
        return term_key(self.term)

    def to_yaml(self) -> dict[str, str]:
        """The entry as written in ``glossary.yaml``."""
        return {"term": self.term, "means": self.means, "author": self.author, "added": self.added}

    @property
    def revision(self) -> str:
        """A short fingerprint of the stored entry; it changes with every change to it."""
        return revision_of(self.to_yaml())


def term_key(text: str) -> tuple[str, ...]:
    """Stems of every word, stop words included: "let down" and "letting down" are one term."""
    return tuple(stem(t) for t in tokens(text))


def _clean(value: Any, key: str, limit: int, path, line, entry) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
        raise StateFileError(path, f"{key!r} must be non-empty text", line=line, entry=entry)
    text = " ".join(str(value).split())
    if len(text) > limit:
        raise StateFileError(
            path, f"{key!r} is {len(text)} characters; the limit is {limit}", line=line, entry=entry
        )
    if not tokens(text):
        raise StateFileError(path, f"{key!r} needs at least one word", line=line, entry=entry)
    return text


def parse_glossary(text: str, path: Path | str) -> list[GlossaryEntry]:
    """Validate a glossary file; raises :class:`StateFileError` naming line and entry."""
    data, root = parse_yaml(text, path)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("terms", []), list):
        raise StateFileError(path, "the file must hold 'terms:' with a list of {term, means}", line=1)
    nodes = sequence_items(mapping_value(root, "terms"))
    entries: list[GlossaryEntry] = []
    seen: dict[tuple[str, ...], int] = {}
    for index, item in enumerate(data.get("terms") or [], start=1):
        node = nodes[index - 1] if index - 1 < len(nodes) else None
        line, entry = line_of(node), f"entry {index}"
        if not isinstance(item, dict):
            raise StateFileError(
                path, "each entry must be a mapping with 'term' and 'means'", line=line, entry=entry
            )
        term = _clean(
            item.get("term"),
            "term",
            MAX_TERM_CHARS,
            path,
            line_of(mapping_value(node, "term")) or line,
            entry,
        )
        entry = f"entry {index} ({term!r})"
        means = _clean(
            item.get("means"),
            "means",
            MAX_MEANING_CHARS,
            path,
            line_of(mapping_value(node, "means")) or line,
            entry,
        )
        key = term_key(term)
        if key in seen:
            raise StateFileError(
                path, f"the term is also defined by entry {seen[key]}", line=line, entry=entry
            )
        seen[key] = index
        entries.append(GlossaryEntry(term, means, *signed(item, path, line, entry)))
    return entries


def dump_glossary(entries: list[GlossaryEntry]) -> str:
    """``entries`` as the text of ``glossary.yaml``, with a header for hand editors."""
    header = "# citebot glossary: members' words -> the knowledge base's terms. Editable by hand.\n"
    return header + dump_yaml({"version": FORMAT_VERSION, "terms": [e.to_yaml() for e in entries]})


@dataclass(frozen=True)
class Expansion:
    """A question rewritten with a glossary; ``applied`` lists (term as typed, meaning), ``source``
    names the glossary for the member."""

    text: str
    applied: tuple[tuple[str, str], ...] = ()
    source: str = "the moderators' glossary"

    def notice(self) -> Notice:
        """The notice telling the member how their words were read."""
        return Notice(Code.GLOSSARY, pairs=self.applied, source=self.source)


def expand_terms(
    question: str, entries: Mapping[tuple[str, ...], GlossaryEntry], source: str = "the moderators' glossary"
) -> Expansion:
    """``question`` with every term of ``entries`` replaced by its meaning (longest terms first,
    whole words only, matched on stems: "first-milk", "First Milk" both match)."""
    if not entries:
        return Expansion(question, source=source)
    spans = list(token_spans(question))
    stems = [stem(tok) for _, _, tok in spans]
    longest = max(len(key) for key in entries)
    out, pos, i, applied = [], 0, 0, []
    while i < len(spans):
        for size in range(min(longest, len(spans) - i), 0, -1):
            entry = entries.get(tuple(stems[i : i + size]))
            if entry is not None:
                start, end = spans[i][0], spans[i + size - 1][1]
                out += [question[pos:start], entry.means]
                applied.append((question[start:end], entry.means))
                pos, i = end, i + size
                break
        else:
            i += 1
    if not applied:
        return Expansion(question, source=source)
    out.append(question[pos:])
    return Expansion("".join(out), tuple(applied), source)


@dataclass(frozen=True)
class DocumentGlossary:
    """The glossaries documents ship in their front matter (``glossary: {term: meaning}``): the
    words their readers use for the documents' terms, "LO" for baby, "pp" for postnatal. Read-only;
    a document's entry that is not a short word or phrase is skipped with a warning."""

    entries: Mapping[tuple[str, ...], GlossaryEntry] = field(default_factory=dict)

    @classmethod
    def of(cls, docs: Sequence[Document]) -> DocumentGlossary:
        """The glossary of ``docs``; for a term two documents define, the first document's meaning."""
        entries: dict[tuple[str, ...], GlossaryEntry] = {}
        for doc in docs:
            terms = (doc.metadata or {}).get("glossary")
            if not isinstance(terms, dict):
                continue
            for term, means in terms.items():
                ok = isinstance(term, str) and isinstance(means, str)
                if not ok or not (0 < len(term) <= MAX_TERM_CHARS and 0 < len(means) <= MAX_MEANING_CHARS):
                    logger.warning(
                        "%s: glossary entry %r: %r skipped, not a short term and meaning", doc.id, term, means
                    )
                    continue
                entry = GlossaryEntry(term.strip(), means.strip(), author=doc.id)
                if entry.key:
                    entries.setdefault(entry.key, entry)
        return cls(entries)

    def __len__(self) -> int:
        return len(self.entries)

    def expand(self, question: str) -> Expansion:
        """``question`` with the documents' terms replaced by their meanings."""
        return expand_terms(question, self.entries, "the document's glossary")


class Glossary(YamlState[GlossaryEntry]):
    """The glossary of one state folder. Changes are written at once; when the folder cannot be
    written the change is kept in memory and retried with the next one (StateWriteError raised)."""

    label = "glossary terms"

    def __init__(self, path: Path | str | YamlStateFile) -> None:
        self._entries: dict[tuple[str, ...], GlossaryEntry] = {}
        super().__init__(path)

    @classmethod
    def in_state_dir(cls, state_dir: Path | str) -> Glossary:
        """The glossary kept as ``glossary.yaml`` in ``state_dir``."""
        return cls(Path(state_dir) / FILE_NAME)

    def _parse(self, text: str, path: Path | str) -> list[GlossaryEntry]:
        return parse_glossary(text, path)

    def _set(self, entries: Iterable[GlossaryEntry]) -> None:
        self._entries = {e.key: e for e in entries}

    def _dump(self) -> str:
        return dump_glossary(sorted(self._entries.values(), key=lambda e: normalize(e.term)))

    def entries(self) -> list[GlossaryEntry]:
        """Every entry, by term, after picking up hand edits."""
        self.refresh()
        return sorted(self._entries.values(), key=lambda e: normalize(e.term))

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, term: str) -> GlossaryEntry | None:
        """The entry for ``term`` however it is written ("First-Milk" finds "first milk")."""
        return self._entries.get(term_key(term))

    def add(self, term: str, means: str, *, author: str, revision: str | None = None) -> GlossaryEntry:
        """Add ``term``, or replace it when written with the same words (a term that only reads
        the same, "babies" after "baby", is refused: StateFileError naming the existing one).
        With ``revision`` (the :attr:`GlossaryEntry.revision` the moderator saw, "" for none),
        EditConflict when the term changed since. Raises ValueError
        (StateFileError) for an empty or too long term, StateFileBroken while the file has a
        hand-edit mistake, StateWriteError when the change could not be written (it is still used)."""
        with self.file.lock:
            self._begin_change()
            seen = self._entries.get(term_key(term))
            if revision is not None and (seen.revision if seen else "") != revision:
                raise EditConflict(f"“{term}” was changed in the glossary meanwhile; nothing changed", seen)
            entry = GlossaryEntry(
                _clean(term, "term", MAX_TERM_CHARS, "glossary", None, ""),
                _clean(means, "means", MAX_MEANING_CHARS, "glossary", None, ""),
                author,
                now(),
            )
            if entry.key == term_key(entry.means):
                raise StateFileError("glossary", "a term cannot mean itself")
            if seen is not None and tokens(seen.term) != tokens(entry.term):
                # "babies" and "baby" are read as one term: adding one would silently replace the other.
                raise StateFileError(
                    "glossary",
                    f"“{entry.term}” reads the same as “{seen.term}”, already in the glossary "
                    f"(meaning “{seen.means}”); remove “{seen.term}” first to change it",
                )
            self._entries = {**self._entries, entry.key: entry}  # copy on write: expand() reads concurrently
            self._save(entry)
            return entry

    def remove(self, term: str) -> GlossaryEntry:
        """Remove ``term`` and return its entry; NotFoundError when it is not in the glossary,
        StateWriteError when the change could not be written (it is still used)."""
        with self.file.lock:
            self._begin_change()
            key = term_key(term)
            entry = self._entries.get(key)
            if entry is None:
                raise NotFoundError(f"“{term}” is not in the glossary.")
            self._entries = {k: v for k, v in self._entries.items() if k != key}
            self._save(entry)
            return entry

    def expand(self, question: str) -> Expansion:
        """``question`` with every glossary term replaced by its meaning (see :func:`expand_terms`)."""
        self.refresh()
        return expand_terms(question, self._entries)  # one consistent snapshot for the whole question
