"""API objects (classes, functions, methods, options, config keys) looked up by name: ``/lookup``.

The objects of a knowledge base come from the Sphinx object inventories beside its documents,
the reST and MyST directives that document them and headings that name code
(:mod:`knowledge.api_objects`). A server with uploads looks up in the shared base's index and an
index of its uploads' objects alone (:class:`OverlayApiIndex`), answering as one index over both.

A name is looked up in this order: the exact name, a dotted suffix of names (``send`` finds
``discord.abc.Messageable.send``), names starting with it, and names close to it (rapidfuzz).
Exact names and suffixes are dictionary look-ups and prefixes a bisection, so a look-up costs the
same on 10 or 100,000 objects but for the fuzzy step, which rapidfuzz runs over the distinct names
in C. Each object is described on demand (:meth:`ApiIndex.describe`): the first sentence of the
passage that documents it, and that passage's citation with a link to the object's anchor.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .api_objects import ApiObject, collect_objects
from .chunking import sentence_spans
from .kb import KnowledgeBase
from .models import Passage, format_citation
from .overlay import OverlayKnowledgeBase

logger = logging.getLogger(__name__)

EXACT, SUFFIX, PREFIX, FUZZY = "exact", "suffix", "prefix", "fuzzy"
# rapidfuzz's ratio (normalised Indel similarity): a letter missing or two swapped in a name
# scores 80-95. WRatio's partial matching was ten times slower here and suggested names that
# merely contain the query.
FUZZY_CUTOFF = 70.0
SUMMARY_CHARS = 300
_PREFIX_SCAN = 500  # keys read past a prefix's start at most: enough for any one page of choices
# What a page says of every coroutine before saying what it does.
_BOILERPLATE = re.compile(r"^This (?:function|method) is a (?:coroutine|\|coro\|)\.?$", re.I)


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
        self.objects: list[ApiObject] = sorted(unique.values(), key=order)
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
        """The index of ``kb``'s objects, built on first use and kept as long as ``kb`` is. A server
        with uploads gets the shared base's index (built once for every server) joined with an
        index of its uploads' objects alone (:class:`OverlayApiIndex`)."""
        with _cache_lock:
            index = _cache.get(kb)
        if index is None:
            if isinstance(kb, OverlayKnowledgeBase):
                index = OverlayApiIndex.over(cls.of(kb.base), kb.own)
            else:
                index = cls(collect_objects(kb), kb)
            with _cache_lock:
                index = _cache.setdefault(kb, index)
        return index

    @staticmethod
    def ready(kb: KnowledgeBase) -> bool:
        """Whether :meth:`of` has ``kb``'s index already (a look-up then takes milliseconds)."""
        with _cache_lock:
            return kb in _cache

    def has(self, name: str, role: str) -> bool:
        """Whether an object of that name and role is indexed."""
        return any(
            self.objects[i].name == name and self.objects[i].role == role
            for i in self._exact.get(name.casefold(), ())
        )

    # -- looking up -----------------------------------------------------------------------------
    # A look-up runs in stages (exact names, suffixes, prefixes, close names), each giving objects
    # in the index's order (:func:`order`): an index joining two (:class:`OverlayApiIndex`) merges the two
    # parts' stages and answers as one index over both objects would.

    def lookup(self, name: str, limit: int = 10, *, suggest: bool = False) -> LookupResult:
        """The objects named ``name`` (``()`` and a leading ``~`` ignored), best first: exact
        names, then names ending in it; when there are none (or with ``suggest``, as while
        typing), names starting with it, then the closest names."""
        query = name.strip().removesuffix("()").lstrip("~").strip()
        folded = query.casefold()
        if not folded or limit <= 0:
            return LookupResult(query, ())
        found: list[LookupMatch] = []
        seen: set[tuple[str, str]] = set()  # names and roles: an index has one object of each

        def add(objects: Iterable[ApiObject], how: str, score: float = 100.0) -> bool:
            for obj in objects:
                if (obj.name, obj.role) not in seen:
                    seen.add((obj.name, obj.role))
                    found.append(LookupMatch(obj, how, score))
                    if len(found) >= limit:
                        return True
            return False

        if add(self.exact(folded), EXACT) or add(self.suffixed(folded), SUFFIX):
            return LookupResult(query, tuple(found))
        if (found and not suggest) or add(self.prefixed(folded, limit), PREFIX):
            return LookupResult(query, tuple(found))
        for objects, score in self.closest(folded, limit):
            if add(objects, FUZZY, round(score, 1)):
                break
        return LookupResult(query, tuple(found))

    def complete(self, current: str, limit: int = 25) -> list[LookupMatch]:
        """Suggestions for what is typed so far: :meth:`lookup`'s matches; the shortest names
        when nothing is typed."""
        if not current.strip():
            return [LookupMatch(obj, PREFIX) for obj in self.first(limit)]
        return list(self.lookup(current, limit, suggest=True).matches)

    def first(self, limit: int) -> list[ApiObject]:
        """The first ``limit`` objects: the shortest names."""
        return self.objects[:limit]

    def exact(self, folded: str) -> Iterator[ApiObject]:
        """The objects named ``folded`` (case-folded), in order."""
        return (self.objects[i] for i in self._exact.get(folded, ()))

    def suffixed(self, folded: str) -> Iterator[ApiObject]:
        """The objects whose dotted name ends in ``folded``, in order."""
        return (self.objects[i] for i in sorted(self._suffix.get(folded, ())))

    def prefixed(self, folded: str, limit: int) -> list[ApiObject]:
        """Objects with a name, or a dotted suffix of one, starting with ``folded``: the shortest
        names first."""
        rows = sorted({self._key_rows[k] for k in self._prefix_span(folded)})  # rows: in order
        return [self.objects[i] for i in rows[: limit * 4]]

    def prefix_keys(self, folded: str) -> list[tuple[str, ApiObject]]:
        """The first keys (names and their dotted suffixes) starting with ``folded``, in order,
        each with its object: at most enough for any one page of choices."""
        return [(self._keys[k], self.objects[self._key_rows[k]]) for k in self._prefix_span(folded)]

    def _prefix_span(self, folded: str) -> range:
        """Where the keys starting with ``folded`` are (at most :data:`_PREFIX_SCAN` of them)."""
        start = end = bisect.bisect_left(self._keys, folded)
        stop = min(start + _PREFIX_SCAN, len(self._keys))
        while end < stop and self._keys[end].startswith(folded):
            end += 1
        return range(start, end)

    def closest(self, folded: str, limit: int) -> list[tuple[Iterator[ApiObject], float]]:
        """The ``limit`` names closest to ``folded`` (whole dotted names when it is dotted, else
        last parts), best first (ties: the name of the first object first), each with its objects
        and score."""
        return [
            (self.named(choice, "." in folded), score) for choice, score in self.close_names(folded, limit)
        ]

    def close_names(self, folded: str, limit: int) -> list[tuple[str, float]]:
        """:meth:`closest`'s names with their scores."""
        names = self._full_names if "." in folded else self._short_names
        found = process.extract(folded, names, scorer=fuzz.ratio, limit=limit, score_cutoff=FUZZY_CUTOFF)
        return [(choice, score) for choice, score, _ in found]

    def named(self, choice: str, dotted: bool) -> Iterator[ApiObject]:
        """The objects of a name :meth:`close_names` gives, in order."""
        return (self.objects[i] for i in (self._full if dotted else self._short).get(choice, ()))

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
        # the one it stands in, or else ends, in whose section it is).
        after = doc.text.find("\n", offset)
        if obj.body:
            passage = self._passage_at(doc.id, after if after >= 0 else offset)
        else:
            passage = self._passage_before(doc.id, offset)
        # A Sphinx page's headings end in their "¶" permalink: not part of the section's name.
        section = " › ".join(h.rstrip(" ¶") for h in passage.section) if passage is not None else ""
        link = obj.link or doc.link_at(offset)
        return Described(obj, summary, doc.title, section, link, passage.id if passage else None)

    def _passages_of(self, doc_id: str) -> list[Passage]:
        """``doc_id``'s passages in order (the knowledge base's, grouped by document once)."""
        with self._lock:
            if self._by_doc is None:
                by_doc: dict[str, list[Passage]] = {}
                for p in self._kb.passages if self._kb is not None else ():
                    by_doc.setdefault(p.doc_id, []).append(p)
                self._by_doc = by_doc
        return self._by_doc.get(doc_id, [])

    def _passage_at(self, doc_id: str, offset: int) -> Passage | None:
        """The passage of ``doc_id`` holding ``offset``, else the next one (``offset`` is on a
        heading line), else the last."""
        passages = self._passages_of(doc_id)
        return next((p for p in passages if offset < p.end), passages[-1] if passages else None)

    def _passage_before(self, doc_id: str, offset: int) -> Passage | None:
        """The last passage of ``doc_id`` starting at or before ``offset`` (an object with no text
        of its own ends the passage before the next heading), else the first."""
        passages = self._passages_of(doc_id)
        before = [p for p in passages if p.start <= offset]
        return before[-1] if before else (passages[0] if passages else None)


# -- a server with uploads ---------------------------------------------------------------------
#
# Indexing the base's objects again for every server with uploads would cost O(base) memory and
# time per server: OverlayApiIndex refers to the base's index (built once, shared, only read) and
# holds an index of the uploads' objects alone. It answers as one index over both would: each
# stage of a look-up merges the two parts' objects in the index's order (``order``). An object both
# parts name (same name and role) is the base's, as the joined index keeps the first collected.
# (One difference: the joined index collects reST directives before inventories, so there an
# upload's directive would replace a base object read from an inventory or a heading; here the
# base's stays.) An upload's object is described from the upload by the uploads' index.


class OverlayApiIndex(ApiIndex):
    """``base``'s index (shared, only read) and ``own``, an index of one server's uploads' objects
    the base does not name, seen as one index."""

    def __init__(self, base: ApiIndex, own: ApiIndex) -> None:
        # Not ApiIndex.__init__: each look-up merges the two parts', never a copy of the base's.
        self.base, self.own = base, own

    @classmethod
    def over(cls, base: ApiIndex, own: KnowledgeBase) -> OverlayApiIndex:
        """The index of ``base``'s objects and those of the uploads' knowledge base ``own``."""
        objects = [obj for obj in collect_objects(own) if not base.has(obj.name, obj.role)]
        return cls(base, ApiIndex(objects, own))

    def __len__(self) -> int:
        return len(self.base) + len(self.own)

    @property
    def objects(self) -> list[ApiObject]:  # type: ignore[override]
        """Every object, in order (a list of both parts' objects, made when asked)."""
        return list(_merged(self.base.objects, self.own.objects))

    def has(self, name: str, role: str) -> bool:
        """Whether an object of that name and role is indexed."""
        return self.base.has(name, role) or self.own.has(name, role)

    # -- the stages of a look-up: both parts', merged -------------------------------------------

    def first(self, limit: int) -> list[ApiObject]:
        """The first ``limit`` objects: the shortest names."""
        return list(itertools.islice(_merged(self.base.first(limit), self.own.first(limit)), limit))

    def exact(self, folded: str) -> Iterator[ApiObject]:
        """The objects named ``folded`` (case-folded), in order."""
        return _merged(self.base.exact(folded), self.own.exact(folded))

    def suffixed(self, folded: str) -> Iterator[ApiObject]:
        """The objects whose dotted name ends in ``folded``, in order."""
        return _merged(self.base.suffixed(folded), self.own.suffixed(folded))

    def prefixed(self, folded: str, limit: int) -> list[ApiObject]:
        """Objects with a name, or a dotted suffix of one, starting with ``folded``: the shortest
        names first."""
        # The joined index's first keys: as it sorts its keys with their rows, and rows in order.
        keys = itertools.islice(self.prefix_keys(folded), _PREFIX_SCAN)
        objects = {(obj.name, obj.role): obj for _, obj in keys}
        return sorted(objects.values(), key=order)[: limit * 4]

    def prefix_keys(self, folded: str) -> list[tuple[str, ApiObject]]:
        """The first keys starting with ``folded`` of both parts, in order (a key both parts have:
        its objects in order, as the joined index sorts its keys with their rows)."""
        keys = heapq.merge(
            self.base.prefix_keys(folded), self.own.prefix_keys(folded), key=lambda k: (k[0], order(k[1]))
        )
        return list(keys)

    def close_names(self, folded: str, limit: int) -> list[tuple[str, float]]:
        """The ``limit`` names of both parts closest to ``folded``, best first. Either part's best
        ``limit`` hold every name of the joined best: a name ranks in the part holding its first
        object no lower than in the joined index. A name both parts hold scores the same in both;
        ties go to the name whose first object comes first, as rapidfuzz keeps a list's order."""
        dotted = "." in folded
        scores = dict(self.base.close_names(folded, limit))
        scores.update(self.own.close_names(folded, limit))
        first = {name: order(next(self.named(name, dotted))) for name in scores}
        return sorted(scores.items(), key=lambda item: (-item[1], first[item[0]]))[:limit]

    def named(self, choice: str, dotted: bool) -> Iterator[ApiObject]:
        """The objects of a name :meth:`close_names` gives, in order."""
        return _merged(self.base.named(choice, dotted), self.own.named(choice, dotted))

    # -- describing -----------------------------------------------------------------------------

    def describe(self, obj: ApiObject) -> Described:
        """``obj`` described by the part documenting it: an upload's object from the upload."""
        own = self.own._kb
        part = self.own if own is not None and obj.doc_id and obj.doc_id in own.documents else self.base
        return part.describe(obj)


def _merged(first: Iterable[ApiObject], second: Iterable[ApiObject]) -> Iterator[ApiObject]:
    """Two parts' objects (each in order, none in both) in order."""
    return heapq.merge(first, second, key=order)


def order(obj: ApiObject) -> tuple[int, str, str]:
    """An object's place in an index: the shortest names first, then by name and role."""
    return (len(obj.name), obj.name, obj.role)


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
