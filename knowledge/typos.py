"""Typo tolerance for query words: the closest word the documents write, within a small edit distance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein


class Correction(NamedTuple):
    """A word as the documents write it, ``distance`` edits from the one typed; ``rank`` is its
    place among the documents' words, most frequent first."""

    distance: int
    rank: int
    word: str


class TypoCorrector:
    """Corrects query words to ``surfaces`` (the words as the documents write them, most frequent
    first). Words shorter than ``min_length`` are never corrected; at most ``max_distance`` edits,
    one below eight letters."""

    def __init__(self, surfaces: Sequence[str], max_distance: int, min_length: int) -> None:
        self.surfaces = surfaces
        self.max_distance, self.min_length = max_distance, min_length
        self._buckets: dict[tuple[str, int], list[str]] | None = None
        self._rank: dict[str, int] = {}
        self._found: dict[str, Correction | None] = {}

    def limit(self, word: str) -> int:
        """The largest edit distance allowed for ``word``."""
        if len(word) < self.min_length:
            return 0
        return min(self.max_distance, 1 if len(word) < 8 else 2)

    def correct(self, word: str) -> Correction | None:
        """The closest surface form within the limit, or None.

        Candidates share the first letter and are within the distance in length, which bounds the
        cost on large vocabularies; most typos keep the first letter. A correction keeps the word's
        digits: codes and quantities ("hoxb4", "krt17", "400mg") are one character from other
        codes that mean something else. Ties go to the more frequent surface."""
        if word in self._found:
            return self._found[word]
        limit = self.limit(word)
        digits = _digits(word)
        best: Correction | None = None
        if limit:
            buckets = self._surface_buckets()
            for length in range(len(word) - limit, len(word) + limit + 1):
                candidates = buckets.get((word[0], length))
                if not candidates:
                    continue
                near = process.extract(
                    word, candidates, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
                )
                found = next((c for c in near if _digits(c[0]) == digits), None)
                if found is None:
                    continue
                candidate = Correction(int(found[1]), self._rank[found[0]], found[0])
                if best is None or candidate[:2] < best[:2]:
                    best = candidate
        if len(self._found) < 10_000:
            self._found[word] = best
        return best

    def _surface_buckets(self) -> dict[tuple[str, int], list[str]]:
        if self._buckets is None:
            buckets: dict[tuple[str, int], list[str]] = {}
            for word in self.surfaces:
                buckets.setdefault((word[0], len(word)), []).append(word)
            self._buckets = buckets
            self._rank = {w: i for i, w in enumerate(self.surfaces)}
        return self._buckets


def _digits(word: str) -> str:
    return "".join(ch for ch in word if ch.isdigit())
