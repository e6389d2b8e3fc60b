"""The bridge one knowledge base makes of the thesaurus (:meth:`knowledge.thesaurus.Thesaurus.restrict`):
member words the index does not know -> its terms with a partial-credit weight, stored with the
index and consulted per question; and compound words split into the known terms they join."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import text

# "breast milk" written as one word ("breastmilk") or two: the same words, so near full credit.
COMPOUND_WEIGHT = 0.9
# Shortest compound part the spelling rules trust: shorter pieces are found inside unrelated
# words ("cat" in "catalase", "moth" in "mother").
MIN_PART = 4
# Stop words this long are the ones a slip of the keys leaves unrecognised ("betwen", "thier",
# "shoud"); shorter ones are a letter from too many words.
MIN_STOP_TYPO = 4
STOP_TYPO_TARGETS = sorted(w for w in text.STOP_WORDS if len(w) >= MIN_STOP_TYPO and w.isalpha())

# One light-word list (and one near-stop list) per table, whatever number of bridges (one per index)
# refer to it.
_SHARED_LISTS: dict[frozenset[str], frozenset[str]] = {}


@dataclass
class Bridge:
    """Member words (surface forms and their stems, one to three words) -> index terms with a weight,
    and the light words outside the index: stems that English uses more as verbs or adverbs than
    as nouns ("eat", "start"), which say less about a question's topic than a noun would.

    Made by :meth:`Thesaurus.restrict` when an index is built; JSON-serialisable to be stored with it.
    ``light`` is the table's whole list, one object shared by every bridge in the process (each
    server with uploads has a bridge of its uploads' terms); ``known_light``, the few of them the index knows.
    """

    entries: dict[str, dict[str, float]]
    stem: Callable[[str], str] = field(default=text.stem, repr=False, compare=False)
    light: frozenset[str] = frozenset()
    known_light: frozenset[str] = frozenset()
    near_stop: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.light = _SHARED_LISTS.setdefault(self.light, self.light)
        self.near_stop = _SHARED_LISTS.setdefault(self.near_stop, self.near_stop)

    def is_stop_typo(self, word: str) -> bool:
        """Whether a member's word is a stop word with a slip of the keys ("betwen", "thier",
        "shoud"): one edit from one, and not itself an English word (``near_stop``: the table's
        words one edit from a stop word, "cold" beside "could", "fever" beside "never"). Such a word
        says no more than the stop word; unknown, it would weigh as the rarest term. Never without
        the table: with no ``near_stop`` list, every word is taken as it is."""
        if not self.near_stop or len(word) < MIN_STOP_TYPO or not word.isalpha() or word in text.STOP_WORDS:
            return False
        if text.stem(word) in self.near_stop:
            return False
        return process.extractOne(word, STOP_TYPO_TARGETS, scorer=OSA.distance, score_cutoff=1) is not None

    def is_light(self, word: str) -> bool:
        """Whether a member's word (as typed or its stem) is a light word outside the index."""
        return any(w in self.light and w not in self.known_light for w in (word, self.stem(word)))

    def light_in(self, words: Sequence[str]) -> set[str]:
        """The light words of a question's words (all of them, in order, stop words included): light
        words outside the index, and the verb of a phrasal verb ("end" in "end up in my milk"); never
        a stop word."""
        found = {w for w in words if w not in text.STOP_WORDS and self.is_light(w)}
        for word, after in itertools.pairwise(words):
            if word not in text.STOP_WORDS and f"{self.stem(word)}_{after}" in self.light:  # never known
                found.add(word)
        return found

    def __len__(self) -> int:
        return len(self.entries)

    def terms(self, word: str, known: Container[str] | None = None) -> dict[str, float]:
        """Index terms (stems) for a member's word or phrase of two or three words, with weights; {}
        when none.

        Looks up the words as typed, then their stems. With ``known`` (the index vocabulary), a word
        that the index does not know and that splits into two known words ("breastmilk" -> breast,
        milk) gets both: members' compounds cannot be listed ahead, so this rule runs here.
        """
        words = text.tokens(word)
        if not words:
            return {}
        phrase = " ".join(words)
        found = self.entries.get(phrase)
        if found is None:
            found = self.entries.get(" ".join(self.stem(w) for w in words))
        if found is not None:
            return dict(found)
        if known is not None and len(words) == 1 and self.stem(phrase) not in known:
            return _split(phrase, known, self.stem)
        return {}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with sorted keys, so the same bridge always serialises the same."""
        return {
            "format": 4,
            "entries": {k: dict(sorted(v.items())) for k, v in sorted(self.entries.items())},
            "light": sorted(self.light),
            "known_light": sorted(self.known_light),
            "near_stop": sorted(self.near_stop),
        }

    @classmethod
    def from_json(cls, data: Any, stem: Callable[[str], str] = text.stem) -> Bridge:
        """The bridge :meth:`to_json` wrote; ValueError for anything else."""
        if (
            not isinstance(data, dict)
            or data.get("format") != 4
            or not isinstance(data.get("entries"), dict)
            or not all(
                isinstance(data.get(key), list) and all(isinstance(w, str) for w in data[key])
                for key in ("light", "known_light", "near_stop")
            )
        ):
            raise ValueError("not a saved everyday-words bridge (format 4)")
        entries: dict[str, dict[str, float]] = {}
        for key, terms in data["entries"].items():
            if not isinstance(terms, dict) or not all(
                isinstance(t, str) and isinstance(w, int | float) and 0 < w <= 1 for t, w in terms.items()
            ):
                raise ValueError(f"bridge entry {key!r} is not a map of terms to weights in (0, 1]")
            entries[str(key)] = {t: float(w) for t, w in terms.items()}
        light, known_light, near_stop = (frozenset(data[k]) for k in ("light", "known_light", "near_stop"))
        return cls(entries, stem, light, known_light, near_stop)


def split_compound(
    word: str, known: Container[str], stem: Callable[[str], str] = text.stem
) -> tuple[str, str] | None:
    """A compound member word as its two parts, as typed ("breastmilk" -> ("breast", "milk")), each
    a known term once stemmed, the most even split winning; None if it has no such split."""
    best: tuple[int, str, str] | None = None
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        left, right = word[:cut], word[cut:]
        if left in text.STOP_WORDS or right in text.STOP_WORDS:
            continue
        if stem(left) in known and stem(right) in known:
            balance = min(len(left), len(right))
            if best is None or balance > best[0]:
                best = (balance, left, right)
    return best[1:] if best else None


def _split(word: str, known: Container[str], stem: Callable[[str], str]) -> dict[str, float]:
    """A compound member word as its two known parts' terms; {} if none."""
    parts = split_compound(word, known, stem)
    return {stem(part): COMPOUND_WEIGHT for part in parts} if parts else {}
