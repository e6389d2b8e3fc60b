"""API objects (classes, functions, methods, options, config keys) looked up by name: ``/lookup``.

The objects of a knowledge base come from the Sphinx object inventories beside its documents
(:mod:`knowledge.inventory`), from the reST directives that document them (``.. py:function::``,
``.. class::``, ``.. confval::``…, recorded by :mod:`knowledge.rst`; MyST's directive fences,
:mod:`knowledge.myst_api`) and, for documents with neither, from headings that name code
(``## `Client.run` ``, ``## run()``).

A name is looked up in this order: the exact name, a dotted suffix of names (``send`` finds
``discord.abc.Messageable.send``), names starting with it, and names close to it (rapidfuzz).
Exact names and suffixes are dictionary look-ups and prefixes a bisection, so a look-up costs the
same on 10 or 100,000 objects but for the fuzzy step, which rapidfuzz runs over the distinct names
in C. Each object is described on demand (:meth:`ApiIndex.describe`): the first sentence of the
passage that documents it, and that passage's citation with a link to the object's anchor.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from .chunking import sentence_spans
from .inventory import inventory_entries, inventory_files
from .kb import KnowledgeBase
from .models import Document, Passage, format_citation

logger = logging.getLogger(__name__)

EXACT, SUFFIX, PREFIX, FUZZY = "exact", "suffix", "prefix", "fuzzy"
# rapidfuzz's ratio (normalised Indel similarity): a letter missing or two swapped in a name
# scores 80-95. WRatio's partial matching was ten times slower here and suggested names that
# merely contain the query.
FUZZY_CUTOFF = 70.0
SUMMARY_CHARS = 300
_PREFIX_SCAN = 500  # keys read past a prefix's start at most: enough for any one page of choices
# A heading that names code: in backticks, called (``run()``) or dotted/underscored (``Client.run``;
# not a version, ``v2.0``).
_CODE_HEADING = re.compile(
    r"^(?:`(?P<quoted>[A-Za-z_][\w.:-]*)(?:\(\))?`|(?P<called>[A-Za-z_][\w.]*)\(\)|"
    r"(?P<dotted>[A-Za-z_]\w*(?:[._][A-Za-z_]\w*)+))$"
)
# What a page says of every coroutine before saying what it does.
_BOILERPLATE = re.compile(r"^This (?:function|method) is a (?:coroutine|\|coro\|)\.?$", re.I)
# A line holding a code span alone: how knowledge.myst writes an API directive's signature, so a
# Markdown page without one has no directive fences to read.
_SIGNATURE_LINE = re.compile(r"^`[^\n]+`$", re.M)


@dataclass(frozen=True)
class ApiObject:
    """An object that can be looked up: its full ``name`` and ``role`` (``class``, ``method``,
    ``option``…); the document documenting it (``doc_id``, "" when unknown), where in that
    document (``offset``; -1: found by its name when described), the ``link`` to its anchor, and
    whether the document holds its description (``body``: not for ``autoclass``)."""

    name: str
    role: str
    doc_id: str = ""
    offset: int = -1
    link: str = ""
    body: bool = True


@dataclass(frozen=True)
class LookupMatch:
    """An object found, and how: ``exact``, ``suffix``, ``prefix`` or ``fuzzy`` (``score`` 0-100)."""

    obj: ApiObject
    how: str
    score: float = 100.0


@dataclass(frozen=True)
class LookupResult:
    """What a look-up of ``query`` found, best first."""

    query: str
    matches: tuple[LookupMatch, ...]

    @property
    def found(self) -> bool:
        """Whether the name is known: exactly or as the end of a dotted name. Otherwise the
        matches are suggestions."""
        return bool(self.matches) and self.matches[0].how in {EXACT, SUFFIX}


@dataclass(frozen=True)
class Described:
    """An object with what its documentation says: the first sentence (``summary``, "" when
    the documents hold none) and the citation of the passage documenting it."""

    obj: ApiObject
    summary: str
    title: str = ""
    section: str = ""
    link: str = ""
    passage_id: str | None = None

    def citation(self) -> str:
        """``Document › Section (link)``, or "" when no document documents the object."""
        return format_citation(self.title, self.section, link=self.link) if self.title else ""


class ApiIndex:
    """API objects indexed by name. Build with :meth:`of` (one per knowledge base, kept while it
    is) or from objects; then :meth:`lookup`, :meth:`complete` and :meth:`describe`."""

    def __init__(self, objects: Iterable[ApiObject], kb: KnowledgeBase | None = None) -> None:
        unique: dict[tuple[str, str], ApiObject] = {}
        for obj in objects:
            unique.setdefault((obj.name, obj.role), obj)
        self.objects: list[ApiObject] = sorted(unique.values(), key=lambda o: (len(o.name), o.name, o.role))
        self._kb = kb
        self._exact: dict[str, list[int]] = {}
        self._suffix: dict[str, list[int]] = {}
        keys: list[tuple[str, int]] = []
        for i, obj in enumerate(self.objects):
            folded = obj.name.casefold()
            self._exact.setdefault(folded, []).append(i)
            parts = _parts(folded)
            for n in range(1, len(parts)):
                suffix = "".join(parts[n:]).lstrip(".:")
                self._suffix.setdefault(suffix, []).append(i)
                keys.append((suffix, i))
            keys.append((folded, i))
        keys.sort()
        self._keys = [k for k, _ in keys]
        self._key_rows = [i for _, i in keys]
        # rapidfuzz compares against the distinct names: last parts, and whole dotted names.
        self._short = _grouped(
            (_parts(o.name.casefold())[-1].lstrip(".:"), i) for i, o in enumerate(self.objects)
        )
        self._full = _grouped((o.name.casefold(), i) for i, o in enumerate(self.objects))
        self._short_names = list(self._short)
        self._full_names = list(self._full)
        self._by_doc: dict[str, list[Passage]] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.objects)

    @classmethod
    def of(cls, kb: KnowledgeBase) -> ApiIndex:
        """The index of ``kb``'s objects, built on first use and kept as long as ``kb`` is."""
        with _cache_lock:
            index = _cache.get(kb)
        if index is None:
            index = cls(collect_objects(kb), kb)
            with _cache_lock:
                index = _cache.setdefault(kb, index)
        return index

    @staticmethod
    def ready(kb: KnowledgeBase) -> bool:
        """Whether :meth:`of` has ``kb``'s index already (a look-up then takes milliseconds)."""
        with _cache_lock:
            return kb in _cache

    # -- looking up -----------------------------------------------------------------------------

    def lookup(self, name: str, limit: int = 10, *, suggest: bool = False) -> LookupResult:
        """The objects named ``name`` (``()`` and a leading ``~`` ignored), best first: exact
        names, then names ending in it; when there are none (or with ``suggest``, as while
        typing), names starting with it, then the closest names."""
        query = name.strip().removesuffix("()").lstrip("~").strip()
        folded = query.casefold()
        if not folded or limit <= 0:
            return LookupResult(query, ())
        found: list[LookupMatch] = []
        seen: set[int] = set()

        def add(rows: Iterable[int], how: str, score: float = 100.0) -> bool:
            for i in rows:
                if i not in seen:
                    seen.add(i)
                    found.append(LookupMatch(self.objects[i], how, score))
                    if len(found) >= limit:
                        return True
            return False

        if add(self._exact.get(folded, ()), EXACT) or add(sorted(self._suffix.get(folded, ())), SUFFIX):
            return LookupResult(query, tuple(found))
        if (found and not suggest) or add(self._prefixed(folded, limit), PREFIX):
            return LookupResult(query, tuple(found))
        dotted = "." in folded
        names, groups = (self._full_names, self._full) if dotted else (self._short_names, self._short)
        for choice, score, _ in process.extract(
            folded, names, scorer=fuzz.ratio, limit=limit, score_cutoff=FUZZY_CUTOFF
        ):
            if add(groups[choice], FUZZY, round(score, 1)):
                break
        return LookupResult(query, tuple(found))

    def complete(self, current: str, limit: int = 25) -> list[LookupMatch]:
        """Suggestions for what is typed so far: :meth:`lookup`'s matches; the shortest names
        when nothing is typed."""
        if not current.strip():
            return [LookupMatch(obj, PREFIX) for obj in self.objects[:limit]]
        return list(self.lookup(current, limit, suggest=True).matches)

    def _prefixed(self, folded: str, limit: int) -> list[int]:
        """Objects with a name, or a dotted suffix of one, starting with ``folded``: the shortest
        names first."""
        start = bisect.bisect_left(self._keys, folded)
        rows: list[int] = []
        for k in range(start, min(start + _PREFIX_SCAN, len(self._keys))):
            if not self._keys[k].startswith(folded):
                break
            rows.append(self._key_rows[k])
        return sorted(set(rows))[: limit * 4]  # rows are in order of name length

    # -- describing -----------------------------------------------------------------------------

    def describe(self, obj: ApiObject) -> Described:
        """``obj`` with the first sentence of its documentation and the citation of the passage
        holding it (found in its document by its signature when the inventory gave no place)."""
        kb = self._kb
        doc = kb.documents.get(obj.doc_id) if kb is not None and obj.doc_id else None
        if kb is None or doc is None:
            return Described(obj, "", link=obj.link)
        offset = obj.offset if obj.offset >= 0 else signature_offset(doc.text, obj.name)
        if offset < 0:
            return Described(obj, "", doc.title, "", obj.link or doc.link, None)
        summary = first_sentence(doc.text, offset) if obj.body else ""
        # The passage holding the text after the signature (an object without its text here:
        # the one before it, in whose section it stands).
        after = doc.text.find("\n", offset)
        passage = self._passage_at(
            doc.id, (after if after >= 0 else offset) if obj.body else max(offset - 1, 0)
        )
        # A Sphinx page's headings end in their "¶" permalink: not part of the section's name.
        section = " › ".join(h.rstrip(" ¶") for h in passage.section) if passage is not None else ""
        link = obj.link or doc.link_at(offset)
        return Described(obj, summary, doc.title, section, link, passage.id if passage else None)

    def _passage_at(self, doc_id: str, offset: int) -> Passage | None:
        """The passage of ``doc_id`` holding ``offset``, else the next one (``offset`` is on a
        heading line), else the last."""
        with self._lock:
            if self._by_doc is None:
                by_doc: dict[str, list[Passage]] = {}
                for p in self._kb.passages if self._kb is not None else ():
                    by_doc.setdefault(p.doc_id, []).append(p)
                self._by_doc = by_doc
        passages = self._by_doc.get(doc_id, [])
        return next((p for p in passages if offset < p.end), passages[-1] if passages else None)


_cache: weakref.WeakKeyDictionary[KnowledgeBase, ApiIndex] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _parts(name: str) -> list[str]:
    """``a.b:c`` -> ``["a", ".b", ":c"]``: the dotted parts with their separators."""
    return re.findall(r"[.:]?[^.:]+", name) or [name]


def _grouped(pairs: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for key, row in pairs:
        groups.setdefault(key, []).append(row)
    return groups


def collect_objects(kb: KnowledgeBase) -> list[ApiObject]:
    """The API objects of ``kb``: its reST documents' directives, the inventories beside its
    documents, and code-naming headings (those of documents with neither)."""
    docs = list(kb.documents.values())
    objects = [*_directive_objects(docs)]
    by_name = {(o.name, o.role): i for i, o in enumerate(objects)}
    for path in inventory_files(docs, kb.source):
        for entry in inventory_entries(path, docs):
            known = by_name.get((entry.name, entry.role))
            if known is not None:  # the reST source and its build: the source's place, the site's link
                if entry.link and not objects[known].link:
                    o = objects[known]
                    objects[known] = ApiObject(o.name, o.role, o.doc_id, o.offset, entry.link, o.body)
                continue
            by_name[(entry.name, entry.role)] = len(objects)
            objects.append(
                ApiObject(entry.name, entry.role, entry.doc.id if entry.doc else "", -1, entry.link)
            )
    covered = {o.doc_id for o in objects}
    objects.extend(_heading_objects(kb.passages, kb.documents, covered))
    logger.info("%d API objects indexed for lookup", len(objects))
    return objects


def _directive_objects(docs: Sequence[Document]) -> Iterable[ApiObject]:
    for doc in docs:
        for offset, role, name, anchor, body in doc.meta.get("objects") or _myst_objects(doc):
            base = doc.link.partition("#")[0]
            link = f"{base}#{anchor}" if base and anchor else doc.link_at(offset)
            yield ApiObject(name, role, doc.id, offset, link, bool(body))


def _myst_objects(doc: Document) -> list[list[Any]]:
    """The objects of a Markdown page's MyST directive fences, read from its file: only a page
    with a line holding a code span alone (a directive's signature, as knowledge.myst writes it)."""
    path = doc.meta.get("path")
    if doc.meta.get("format") != "markdown" or not path or not _SIGNATURE_LINE.search(doc.text):
        return []
    try:
        source = Path(str(path)).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    # Imported here: its directive names come with docutils (about 4 MiB), which only a page with
    # directive fences needs.
    from .myst_api import myst_objects

    return myst_objects(source, doc.text)


def _heading_objects(
    passages: Sequence[Passage], documents: dict[str, Document], covered: set[str]
) -> Iterable[ApiObject]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for p in passages:
        if p.doc_id in covered or not p.section or (p.doc_id, p.section) in seen:
            continue
        seen.add((p.doc_id, p.section))
        named = _CODE_HEADING.match(p.section[-1].strip())
        if named is None:
            continue
        name = named.group("quoted") or named.group("called") or named.group("dotted")
        role = "function" if named.group("called") or p.section[-1].endswith("()`") else "heading"
        heading = documents[p.doc_id].text.rfind("\n#", 0, p.start) + 1  # its line: the signature
        yield ApiObject(name, role, p.doc_id, heading, documents[p.doc_id].link_at(p.start))


def signature_offset(text: str, name: str) -> int:
    """Where ``text`` (a page of a Sphinx site) shows the signature of ``name``: a line naming it
    (``class discord.Client(...)``, ``await send(content=None)``), after its parent's (a method
    after its class); -1 when there is none."""
    parts = name.split(".")
    start = 0
    if len(parts) > 1:
        parent = signature_offset(text, ".".join(parts[:-1]))
        start = max(parent, 0)
    short = re.escape(parts[-1])
    # A line calling or typing it (``send(``, ``id: int``, ``Client¶``) first, else one naming
    # only it; never a heading.
    for ending in (r"\s*[(\[:=¶→]|\s*->", r"\s*$"):
        line = re.compile(rf"^(?!#)[^\n`]{{0,60}}?(?<![\w-]){short}(?:{ending})", re.M)
        found = line.search(text, start) or (line.search(text) if start else None)
        if found is not None:
            return found.start()
    return -1


def first_sentence(text: str, offset: int) -> str:
    """The first sentence of the paragraph documenting what is at ``offset``: after the signature
    line there, boilerplate ("This function is a coroutine.") passed over; "" when a heading or
    nothing follows."""
    start = text.find("\n", offset)
    if start < 0:
        return ""
    end = text.find("\n#", start)
    end = len(text) if end < 0 else end
    for s, e in sentence_spans(text, start, min(end, start + 4 * SUMMARY_CHARS)):
        sentence = " ".join(text[s:e].split())
        if not sentence or sentence.startswith(("```", "~~~", "#")):
            return ""
        if sentence.startswith("`") and sentence.endswith("`"):
            return ""  # straight on to the next object's signature: this one says nothing
        if _BOILERPLATE.match(sentence) or sentence == "¶":
            continue
        return sentence if len(sentence) <= SUMMARY_CHARS else sentence[: SUMMARY_CHARS - 1] + "…"
    return ""
