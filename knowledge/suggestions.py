"""Suggestions that answer a keystroke in milliseconds, however large the knowledge base.

A :class:`SuggestionIndex` is built once over a list of texts (section names, passages, …) and
then finds, for what has been typed so far, the texts containing every typed word anywhere
(case-insensitive: at a word's start, in its middle, or across punctuation), in the order of
reading them all: texts starting with what was typed first, then the shortest, ties in the given
order. It returns the same texts as that scan, without reading every text:

- texts starting with what was typed are one range of the texts sorted (found by bisection);
- the others come from an index of word trigrams: the texts with words holding every trigram of
  each typed word's pieces (runs of letters and digits, three or more bytes long) are the
  candidates, checked exactly in rank order;
- when every typed word is too short or too common for the index to narrow things down, it
  matches many texts, so the texts are read in rank order until enough match (a C-level
  ``bytes.find`` over them joined, stopping early).

:class:`KnowledgeSuggestions` holds one knowledge base's indexes (its section names, passages,
documents and sections, and uploads). The bot's autocomplete (``bot/completion.py``) keeps one per
knowledge base, built when the knowledge base is loaded rather than per keystroke.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .golden import DOCUMENT
from .kb import KnowledgeBase
from .models import Document, Passage
from .uploads import UPLOADS_PREFIX

logger = logging.getLogger(__name__)

# Suggestions one list shows (Discord's autocomplete shows 25).
SHOWN = 25
# Past this many candidate texts from the trigram index, reading the texts in rank order finds
# enough matches sooner (a word that common is in a large share of them).
MAX_CANDIDATES = 300_000
_MAX_SHORT_PIECE_WORDS = 50_000  # a one- or two-letter piece in more words than this is common
_SORTED_CANDIDATES = 20_000  # up to this many candidates are sorted, more are marked in a mask
# Word pieces of UTF-8 text: letters, digits and "_", any non-ASCII character counting as a letter.
_WORD = re.compile(rb"[\w\x80-\xff]+")
_SEPARATOR = b"\xff"  # between the texts joined: never part of UTF-8, so never of a text or a word


class SuggestionIndex:
    """Texts indexed for autocomplete: :meth:`search` gives the indexes (into ``texts``) of those
    containing every typed word, best first, at most ``limit``.

    With ``shortest_first`` (the default) texts starting with what was typed come first, then the
    rest, each group shortest first; without it, matches come in the given order."""

    def __init__(self, texts: Sequence[str], *, shortest_first: bool = True) -> None:
        self.shortest_first = shortest_first
        n = len(texts)
        # Stable: texts of one length keep their order. Rank r is the r-th best text; everything
        # below is kept by rank, the texts casefolded as UTF-8 (one byte a letter for most text).
        order = sorted(range(n), key=lambda i: len(texts[i])) if shortest_first else range(n)
        self._order = np.array(order, dtype=np.int32)
        # Each rank's length, as ranked: what orders matches of two indexes merged (overlay_suggestions).
        self._lengths = np.fromiter((len(texts[i]) for i in order), dtype=np.int32, count=n)
        ranked = [_utf8(texts[i].casefold()) for i in order]
        self._blob = _SEPARATOR.join(ranked) + _SEPARATOR
        self._starts = array("q", [0])
        self._starts.extend(itertools.accumulate(len(t) + 1 for t in ranked))
        # Ranks in the texts' alphabetical order: what starts with a prefix is one range of it.
        self._alphabetical = np.array(sorted(range(n), key=ranked.__getitem__), dtype=np.int32)
        self._postings_ptr, self._postings, self._gram_codes, self._gram_ptr, self._gram_words = _word_index(
            ranked
        )

    def __len__(self) -> int:
        return len(self._order)

    def text(self, rank: int) -> bytes:
        """The casefolded text of rank ``rank``, UTF-8."""
        return self._blob[self._starts[rank] : self._starts[rank + 1] - 1]

    def search(self, current: str, limit: int = SHOWN) -> list[int]:
        """Indexes of the texts containing every word of ``current`` (case-insensitive), best first."""
        return self._order[self._ranks(current, limit)].tolist()

    def ranked_search(self, current: str, limit: int = SHOWN) -> list[tuple[int, int, int]]:
        """:meth:`search`'s results with what ranks them, best first: (0 for a text starting with
        what was typed, else 1; its length; its index). Without ``shortest_first``, (0, 0, index).
        Two indexes' results merged by these keys (the second's indexes shifted past the first's)
        are those of one index over both lists of texts."""
        ranks = self._ranks(current, limit)
        if not self.shortest_first:
            return [(0, 0, i) for i in self._order[ranks].tolist()]
        typed = _utf8(current.casefold().strip())
        return [
            (0 if self.text(rank).startswith(typed) else 1, int(self._lengths[rank]), int(self._order[rank]))
            for rank in ranks
        ]

    def _ranks(self, current: str, limit: int) -> list[int]:
        """The ranks of :meth:`search`'s results."""
        words = [_utf8(w) for w in current.casefold().split()]
        typed = _utf8(current.casefold().strip())
        if limit <= 0:
            return []
        if not words:
            return list(range(min(limit, len(self._order))))
        found: list[int] = []
        if self.shortest_first:
            found = self._prefixed(typed, limit)
        need = limit - len(found)
        if need > 0:
            skip = typed if self.shortest_first else None
            candidates = self._candidates(words)
            if candidates is None:
                found += self._scan(words, skip, need)
            else:
                found += self._check(candidates, words, skip, need)
        return found

    # -- the three ways to find matches --------------------------------------------------------

    def _prefixed(self, typed: bytes, limit: int) -> list[int]:
        """Ranks of the texts starting with ``typed``, the best ``limit``."""
        lo = bisect.bisect_left(self._alphabetical, typed, key=self.text)
        # 0xFF is never part of UTF-8: every text starting with ``typed`` sorts before this.
        hi = bisect.bisect_left(self._alphabetical, typed + b"\xff", lo=lo, key=self.text)
        ranks = self._alphabetical[lo:hi]
        if len(ranks) > limit:
            ranks = np.partition(ranks, limit - 1)[:limit]
        return np.sort(ranks).tolist()

    def _candidates(self, words: list[bytes]) -> np.ndarray | None:
        """Ranks (sorted) that may hold every word, from the trigram index; None when every piece
        of every typed word is too common for the index to narrow things down."""
        narrowed: np.ndarray | None = None
        for word in words:
            for piece in _WORD.findall(word):
                ranks = self._ranks_with(piece)
                if ranks is None:
                    continue
                narrowed = ranks if narrowed is None else _intersect(narrowed, ranks)
                if not len(narrowed):
                    return narrowed
        return narrowed

    def _ranks_with(self, piece: bytes) -> np.ndarray | None:
        """Ranks (sorted) of the texts with a word holding ``piece`` (or, for a longer piece,
        every trigram of it); None when nearly every text has one."""
        codes, ptr = self._gram_codes, self._gram_ptr
        if len(piece) < 3:
            # Every byte of a word starts a trigram (words are padded): a shorter piece is the
            # start of a range of trigrams.
            low = int.from_bytes(piece, "big") << (8 * (3 - len(piece)))
            lo, hi = np.searchsorted(codes, [low, low + (1 << (8 * (3 - len(piece))))])
            pairs = self._gram_words[ptr[lo] : ptr[hi]]
            if len(pairs) > _MAX_SHORT_PIECE_WORDS:
                return None
            words = _distinct(pairs)
        else:
            lists = []
            for start in range(len(piece) - 2):
                code = int.from_bytes(piece[start : start + 3], "big")
                i = int(np.searchsorted(codes, code))
                if i == len(codes) or codes[i] != code:
                    return np.empty(0, dtype=np.int32)
                lists.append(self._gram_words[ptr[i] : ptr[i + 1]])
            lists.sort(key=len)
            words = lists[0]
            for other in lists[1:]:
                if len(words) <= 1:
                    break
                words = _intersect(words, other)
        if len(words) > MAX_CANDIDATES:
            return None
        starts, ends = self._postings_ptr[words], self._postings_ptr[words + 1]
        total = int((ends - starts).sum())
        if total > MAX_CANDIDATES:
            return None
        ranks = self._postings[_ranges(starts, ends, total)]
        if total <= _SORTED_CANDIDATES:
            return _distinct(ranks)
        # Many: marking them is cheaper than sorting them.
        marked = np.zeros(len(self._order), dtype=bool)
        marked[ranks] = True
        return np.flatnonzero(marked).astype(np.int32)

    def _check(self, ranks: np.ndarray, words: list[bytes], skip: bytes | None, need: int) -> list[int]:
        """The first ``need`` of ``ranks`` whose text holds every word (and does not start with
        ``skip``, those being found already)."""
        found = []
        for rank in ranks.tolist():
            text = self.text(rank)
            if all(w in text for w in words) and not (skip is not None and text.startswith(skip)):
                found.append(rank)
                if len(found) == need:
                    break
        return found

    def _scan(self, words: list[bytes], skip: bytes | None, need: int) -> list[int]:
        """Read the texts best first for the longest word (C-level ``find``) until ``need`` match."""
        longest = max(words, key=len)
        blob, starts, found = self._blob, self._starts, []
        position = blob.find(longest)
        while position >= 0:
            rank = bisect.bisect_right(starts, position) - 1
            text = blob[starts[rank] : starts[rank + 1] - 1]
            if all(w in text for w in words) and not (skip is not None and text.startswith(skip)):
                found.append(rank)
                if len(found) == need:
                    break
            position = blob.find(longest, starts[rank + 1])
        return found


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (which text from outside can hold) is kept, not refused."""
    return text.encode("utf-8", "surrogatepass")


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (by sorting: faster than ``np.unique``'s hashing here)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _intersect(small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """The values of sorted ``small`` also in sorted ``large`` (binary search: cost follows the
    smaller)."""
    if len(small) > len(large):
        small, large = large, small
    if not len(large):
        return large
    at = np.minimum(np.searchsorted(large, small), len(large) - 1)
    return small[large[at] == small]


def _ranges(starts: np.ndarray, ends: np.ndarray, total: int) -> np.ndarray:
    """The positions ``starts[i]..ends[i]-1`` for every i, concatenated."""
    lengths = ends - starts
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return offsets + np.arange(total, dtype=np.int64)


def _word_index(ranked: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For the texts in rank order: which ranks hold each distinct word (CSR: pointers, ranks),
    and which words hold each trigram of their bytes (codes sorted, pointers, words)."""
    vocabulary: dict[bytes, int] = {}
    id_parts, owner_parts = [], []
    # A chunk of texts at a time, the per-word work in C (set, dict and map calls): a Python loop
    # over every word of a million passages would take most of the build.
    for start in range(0, len(ranked), 50_000):
        chunk = [set(_WORD.findall(text)) for text in ranked[start : start + 50_000]]
        words = list(itertools.chain.from_iterable(chunk))
        for word in dict.fromkeys(words).keys() - vocabulary.keys():
            vocabulary[word] = len(vocabulary)
        id_parts.append(np.fromiter(map(vocabulary.__getitem__, words), dtype=np.int32, count=len(words)))
        counts = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        owner_parts.append(np.repeat(np.arange(start, start + len(chunk), dtype=np.int32), counts))
    word_ids = np.concatenate([np.empty(0, dtype=np.int32), *id_parts])
    owners = np.concatenate([np.empty(0, dtype=np.int32), *owner_parts])
    ids = word_ids
    by_word = np.argsort(ids, kind="stable")  # ranks stay ascending within a word
    postings = owners[by_word]
    postings_ptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.cumsum(np.bincount(ids, minlength=len(vocabulary)), out=postings_ptr[1:])

    # Trigrams of every word's bytes, each word padded with two bytes that no word has (so that
    # every byte of it starts one, and a one- or two-byte piece is the start of some), words
    # joined with NUL.
    data = np.frombuffer(b"\2\2\0".join(vocabulary) + b"\2\2\0\0\0", dtype=np.uint8).astype(np.int64)
    word_of = np.cumsum(data == 0)  # the word a byte belongs to
    codes = (data[:-2] << 16) | (data[1:-1] << 8) | data[2:]
    inside = (data[:-2] > 2) & (data[1:-1] != 0) & (data[2:] != 0)
    pairs = _distinct((codes[inside] << 32) | word_of[:-2][inside])  # by trigram, then word
    grams = pairs >> 32
    starts = np.ones(len(grams), dtype=bool)
    starts[1:] = grams[1:] != grams[:-1]
    first = np.flatnonzero(starts)
    gram_codes, gram_ptr = grams[first], np.append(first, len(pairs))
    return postings_ptr, postings, gram_codes, gram_ptr, (pairs & 0xFFFFFFFF).astype(np.int32)


@dataclass(frozen=True)
class ExpectationChoice:
    """Something a golden question can expect, as shown and as its value."""

    name: str
    value: str


class KnowledgeSuggestions:
    """What can be suggested from one knowledge base, each indexed once: section names (topics
    to ask about, never a document title), passages (by id, document title and section),
    documents and sections (what a golden question expects) and the uploaded documents.

    With ``max_chars``, a passage or an expectation is suggested only when its value (the id, the
    expectation's value) fits in that many characters: a longer one is typed, not picked."""

    def __init__(self, kb: KnowledgeBase, *, max_chars: int | None = None) -> None:
        self.max_chars = max_chars
        # Kept: a server's uploads over this knowledge base are offered with them (overlay_suggestions).
        self.titles = frozenset(doc.title.casefold() for doc in kb.documents.values())
        names = dict.fromkeys(p.section[-1] for p in kb.passages if p.section)
        self.section_names: list[str] = [n for n in names if n.casefold() not in self.titles]
        self.sections = SuggestionIndex(self.section_names)
        # Passages: matched on the id, the document title and the section; an id longer than a
        # suggestion's value may be is typed in full.
        rows = [row for row, p in enumerate(kb.passages) if _fits(p.id, max_chars)]
        self.passage_rows = np.array(rows, dtype=np.int64)
        keys = [_passage_key(kb, kb.passages[row]) for row in rows]
        self.passages = SuggestionIndex(keys)
        del keys
        # Expectations: the documents, then each document's sections; each kept as a number (a
        # section as its first passage's row, document n as -1 - n) and shown from it when offered.
        self._documents = list(kb.documents.values())
        refs = list(_expectation_refs(kb, self._documents, max_chars))
        self._expectation_refs = np.array(refs, dtype=np.int64)
        names = [_expectation(kb, self._documents, ref, max_chars).name for ref in refs]
        self.expectation_index = SuggestionIndex(names, shortest_first=False)
        del names
        self.uploads: list[Document] = [d for d in self._documents if d.id.startswith(UPLOADS_PREFIX)]

    def expectation(self, kb: KnowledgeBase, i: int) -> ExpectationChoice:
        """Expectation number ``i`` of :attr:`expectation_index` (``kb``: the knowledge base this
        was built from)."""
        return _expectation(kb, self._documents, int(self._expectation_refs[i]), self.max_chars)

    @cached_property
    def sections_by_casefold(self) -> dict[str, list[int]]:
        """The positions in :attr:`section_names` of each name, by its casefolded form (built when
        a server's uploads over this knowledge base first ask, then shared by them all)."""
        positions: dict[str, list[int]] = {}
        for i, name in enumerate(self.section_names):
            positions.setdefault(name.casefold(), []).append(i)
        return positions


def _fits(value: str, max_chars: int | None) -> bool:
    return max_chars is None or len(value) <= max_chars


def _passage_key(kb: KnowledgeBase, passage: Passage) -> str:
    """What ``/source`` matches a passage on: its id, its document's title and its section."""
    return f"{passage.id} {kb.documents[passage.doc_id].title} {passage.section_title}"


def _expectation(
    kb: KnowledgeBase, documents: list[Document], ref: int, max_chars: int | None
) -> ExpectationChoice:
    """A document (``ref`` -1 - its number) or the section of the passage in row ``ref``, as it
    is shown and its value (without the document when that makes it too long)."""
    if ref < 0:
        doc = documents[-1 - ref]
        return ExpectationChoice(f"Document: {doc.title}", f"{DOCUMENT}:{doc.id}")
    passage = kb.passages[ref]
    value = f"section:{passage.doc_id}#{passage.section_title}"
    if not _fits(value, max_chars):
        value = f"section:{passage.section_title}"
    return ExpectationChoice(
        f"Section: {passage.section_title} — {kb.documents[passage.doc_id].title}", value
    )


def _expectation_refs(kb: KnowledgeBase, documents: list[Document], max_chars: int | None) -> Iterable[int]:
    """The documents, then each document's sections (by their first passage), in the order they
    are offered: a section whose value would be too long is typed, not picked."""
    yield from range(-1, -1 - len(documents), -1)
    seen: set[tuple[str, str]] = set()
    for row, passage in enumerate(kb.passages):
        key = (passage.doc_id, passage.section_title)
        if not passage.section_title or key in seen:
            continue
        seen.add(key)
        if _fits(_expectation(kb, documents, row, max_chars).value, max_chars):
            yield row
