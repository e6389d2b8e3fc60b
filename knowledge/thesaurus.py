"""Everyday words to the knowledge base's words: a WordNet thesaurus and the bridge made from it.

Members ask about a "baby", a "tummy" or "germs"; documents say "infant", "stomach", "microbes". The
:class:`Thesaurus` knows how English words relate; :meth:`Thesaurus.restrict` turns it, once per
index build, into a small :class:`Bridge` from words the index does *not* know to terms it does,
each with a partial-credit weight, which is stored with the index and consulted per question.

Source and licence: ``knowledge/data/thesaurus.tsv.gz`` is derived from WordNet 3.0 (Princeton
University; Debian package ``wordnet-base`` 1:3.0-37) under the WordNet 3.0 licence, whose text ships
beside it in ``knowledge/data/WORDNET-LICENSE``. Nothing is downloaded at run time.

Pinning: ``tools/build_thesaurus.py`` refuses WordNet files whose sha256 differs from the ones it was
written for, and records the table's own sha256 in ``knowledge/data/thesaurus.manifest.json``; the
table is checked against it when loaded, and a damaged table is reported (:class:`ThesaurusError`)
or, when loaded implicitly, logged as a warning and replaced by an empty thesaurus, so answering
goes on without everyday-word help.

Rebuild (after changing the build rules, or PyStemmer, which makes the table's stems)::

    apt-get install -y wordnet-base
    .venv/bin/python tools/build_thesaurus.py

Which WordNet relations the table keeps, and why so few, is in that script's docstring. A test
checks that it reproduces the committed table byte for byte.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

from . import text
from .bridge import COMPOUND_WEIGHT, MIN_PART, STOP_TYPO_TARGETS, Bridge
from .bridge import split_compound as split_compound  # imported from here by the answer path

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).with_name("data")
TABLE = DATA_DIR / "thesaurus.tsv.gz"
MANIFEST = DATA_DIR / "thesaurus.manifest.json"
_HEADER = "# citebot thesaurus"
_KEYS = "# keys "
_LIGHT = "# light "

# Partial credit for a member word reaching a knowledge-base term, by how it got there. A synonym
# names the same thing; a derived form (immune/immunity) or pertainym (mamma/mammary) the same idea
# in another part of speech; a broader or narrower term (tummy -> belly) a neighbour, so half.
RELATION_WEIGHTS: dict[str, float] = {
    "synonym": 0.8,
    "derived": 0.7,
    "pertainym": 0.7,
    "broader": 0.5,
    "narrower": 0.5,
}
# A two-word related word ("mammary gland") matches as a phrase only when both words are present,
# which a bag of terms cannot see: each of its terms earns this share of the relation's weight.
PHRASE_SHARE = 0.5
# A known term that starts or ends with the member word's root ("placenta" in "transplacental"):
# usually a derived word, but found by spelling alone, so no more than a broader term.
MORPHEME_WEIGHT = 0.5
# Shortest root the spelling rules trust: shorter pieces are found inside unrelated words ("moth"
# in "mother").
MIN_ROOT = 5
# What a known term must add to a root to count as a derived word: "trans" + "placent" yes, but
# "place" + "nt" is not a word built on "place".
MIN_AFFIX = 3

_CODES = {name[0]: name for name in RELATION_WEIGHTS}
_VOWELS = "aeiouy"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _one_edit(word: str) -> set[str]:
    """Every string one deletion, swap of neighbours, replacement or insertion away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in splits if b}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
        | {a + c + b for a, b in splits for c in _LETTERS}
    )


class ThesaurusError(ValueError):
    """The thesaurus table is missing, damaged or not the one its manifest describes."""


class Relation(NamedTuple):
    """A word related to the one looked up, how, and the credit that relation earns."""

    word: str
    relation: str
    weight: float


class Thesaurus:
    """The shipped WordNet table, loaded on first use; see the module docstring."""

    def __init__(self, table: Path | None = TABLE, manifest: Path | None = MANIFEST) -> None:
        """A thesaurus over ``table`` (None: an empty thesaurus); nothing is read until it is used."""
        self._table_path = table
        self._manifest_path = manifest
        self._text: str | None = None if table is not None else ""
        self._start = 0  # where the first table line starts, after the header
        self._keys: list[str] = []  # the sorted line keys: Snowball stems of the table's words
        self._light: frozenset[str] = frozenset()  # stems of words used mostly as non-nouns
        self._near_stop: frozenset[str] | None = None  # made on first use: Thesaurus.near_stop

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> Thesaurus:
        """The shipped thesaurus, one per process."""
        return cls()

    def load(self) -> None:
        """Read and check the table now; ThesaurusError says what is wrong with a damaged one."""
        if self._text:
            return
        if self._table_path is None or self._manifest_path is None:
            self._text = ""
            return
        try:
            manifest = json.loads(self._manifest_path.read_text(encoding="utf-8"))
            expected = manifest["table_sha256"]
            raw = self._table_path.read_bytes()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ThesaurusError(f"cannot read the thesaurus table or its manifest: {exc}") from exc
        digest = hashlib.sha256(raw).hexdigest()
        if digest != expected:
            raise ThesaurusError(
                f"{self._table_path} is damaged: sha256 {digest}, but {self._manifest_path.name} records "
                f"{expected}; rebuild it with tools/build_thesaurus.py"
            )
        try:
            content = zlib.decompress(raw, wbits=31).decode("utf-8")  # 31: one gzip member, as written
        except (zlib.error, UnicodeDecodeError) as exc:
            raise ThesaurusError(f"{self._table_path} is not a readable gzip table: {exc}") from exc
        first = content.find("\n") + 1
        second = content.find("\n", first) + 1
        if not content.startswith(_HEADER) or not content.startswith(_KEYS, first) or not second:
            raise ThesaurusError(f"{self._table_path} is not a citebot thesaurus table")
        self._keys = content[first + len(_KEYS) : second - 1].split(" ")
        if content.startswith(_LIGHT, second):
            third = content.find("\n", second) + 1
            self._light = frozenset(content[second + len(_LIGHT) : third - 1].split(" "))
            second = third
        self._start = second
        self._text = content

    @property
    def _content(self) -> str:
        if self._text is None:
            try:
                self.load()
            except ThesaurusError as exc:
                logger.warning("everyday-word help is off: %s", exc)
                self._text = ""
                self._start = 0
                self._keys = []
        assert self._text is not None
        return self._text

    @property
    def _key_list(self) -> list[str]:
        self._content  # noqa: B018 -- loads the table on first use
        return self._keys

    @property
    def empty(self) -> bool:
        """True when there is no table (none given, or it failed to load)."""
        return not self._content

    @staticmethod
    @cache
    def table_digest(manifest: Path = MANIFEST) -> str:
        """The shipped table's sha256 as its manifest records it ("" when unreadable): saved indexes
        carry a bridge made from the table, so they are rebuilt when it changes."""
        try:
            return str(json.loads(manifest.read_text(encoding="utf-8"))["table_sha256"])
        except (OSError, ValueError, KeyError, TypeError):
            return ""

    @property
    def light(self) -> frozenset[str]:
        """Stems of the words English uses mostly as verbs, adjectives or adverbs (see
        tools/build_thesaurus.py); empty without a table."""
        self._content  # noqa: B018 -- loads the table on first use
        return self._light

    @property
    def near_stop(self) -> frozenset[str]:
        """Stems of the table's words one edit from a stop word of :data:`MIN_STOP_TYPO` letters or
        more ("cold" from "could"): real words, where anything else that close is a typo of the stop
        word (:meth:`Bridge.is_stop_typo`). Made once per process, from every one-edit string of
        every such stop word; empty without a table."""
        if self._near_stop is None:
            found: frozenset[str] = frozenset()
            if self._content:
                near = set().union(*(_one_edit(word) for word in STOP_TYPO_TARGETS)) - text.STOP_WORDS
                found = frozenset(s for s in map(text.stem, near) if self._is_word(s))
            self._near_stop = found
        return self._near_stop

    @cached_property
    def words(self) -> frozenset[str]:
        """The table's words as English writes them (its second column; empty without a table)."""
        lines = self._content[self._start :].split("\n")
        return frozenset(line.split("\t", 2)[1] for line in lines if "\t" in line)

    def is_word(self, word: str) -> bool:
        """Whether ``word`` (as typed, or its stem) is an English word of the table."""
        return word in self.words or self._is_word(text.stem(word))

    def _lines(self, key: str) -> Iterator[tuple[str, str]]:
        """(related word, entries) of the lines whose key is ``key``: binary search in sorted text."""
        content = self._content
        lo, hi = self._start, len(content)
        while lo < hi:  # lo and hi are line starts; lines before lo have smaller keys
            mid = (lo + hi) // 2
            start = content.rfind("\n", lo, mid)
            start = lo if start < 0 else start + 1
            if content[start : content.find("\t", start)] < key:
                lo = content.find("\n", start) + 1
            else:
                hi = start
        prefix = key + "\t"
        while content.startswith(prefix, lo):
            end = content.find("\n", lo)
            _, target, entries = content[lo:end].split("\t")
            yield target, entries
            lo = end + 1

    def _all_lines(self) -> Iterator[tuple[str, str, str]]:
        content = self._content
        for line in content[self._start :].splitlines():
            key, target, entries = line.split("\t")
            yield key, target, entries

    @staticmethod
    def _entries(entries: str) -> Iterator[tuple[str, str]]:
        for entry in entries.split("|"):
            yield _CODES[entry[0]], entry[2:]

    def related(self, word: str) -> list[Relation]:
        """The words the table relates to ``word`` (one to three words), strongest first."""
        word = " ".join(text.tokens(word))
        content = self._content
        if not word:
            return []
        found = set()
        for match in re.finditer(rf"(?<=[\t|])([a-z]):{re.escape(word)}(?=[|\n])", content):
            line_start = content.rfind("\n", 0, match.start()) + 1
            target = content[line_start : content.index("\n", line_start)].split("\t")[1]
            relation = _CODES[match.group(1)]
            found.add(Relation(target, relation, RELATION_WEIGHTS[relation]))
        return sorted(found, key=lambda r: (-r.weight, r.relation, r.word))

    def _is_key(self, key: str) -> bool:
        """Whether the table has lines for ``key``: a binary search of the key list, faster than
        one of the text."""
        keys = self._key_list
        at = bisect.bisect_left(keys, key)
        return at < len(keys) and keys[at] == key

    def _is_word(self, word_stem: str) -> bool:
        """Whether ``word_stem`` is the stem of a table word and no stop word."""
        return word_stem not in text.STOP_WORDS and self._is_key(word_stem)

    def _with_root(self, root: str) -> Iterator[str]:
        """The table words' stems that are ``root`` plus final vowels ("placenta" for "placent")."""
        keys = self._key_list
        at = bisect.bisect_left(keys, root)
        while at < len(keys) and keys[at].startswith(root):
            if keys[at].rstrip(_VOWELS) == root:
                yield keys[at]
            at += 1

    def restrict(
        self,
        vocabulary: Iterable[str],
        stem: Callable[[str], str] = text.stem,
        weights: dict[str, float] | None = None,
    ) -> Bridge:
        """The bridge from words outside ``vocabulary`` (an index's Snowball stems) to words in it.

        ``stem`` is the index's stemmer, applied to member words; the table's keys are Snowball stems
        (knowledge.text.stem), so another stemmer is served by a slower pass over the whole table.
        ``weights`` overrides :data:`RELATION_WEIGHTS`. Rules, each at its own weight:

        1. WordNet relations of a word the vocabulary does not know, into words all of whose stems it
           does (a related phrase needs all its words, and each gets :data:`PHRASE_SHARE` of the weight;
           a two-word phrase the documents write as one word, "breast feeding", is that word).
        2. Compound join: a known term that is two words run together ("breastmilk") for the member
           phrase of those two words ("breast milk"); both parts must be words of the table.
        3. Morpheme: a known term that starts or ends with an unknown word's root, the rest being at
           least :data:`MIN_AFFIX` letters ("transplacent" for "placenta"); WordNet's derived forms,
           weighted higher, win where both apply.
        (Splitting a member's compound, "breastmilk" -> breast + milk, happens in :meth:`Bridge.terms`.)
        """
        known = set(vocabulary)
        weights = {**RELATION_WEIGHTS, **(weights or {})}
        entries: dict[str, dict[str, float]] = defaultdict(dict)

        def add(key: str, term: str, weight: float) -> None:
            if weight > entries[key].get(term, 0.0):
                entries[key][term] = weight

        @cache  # sources recur under many related words
        def stems(phrase: str) -> tuple[str, ...]:
            return tuple(stem(w) for w in phrase.split())

        if stem is text.stem:
            lines: Iterable[tuple[str, str, str]] = (
                (term, target, e)
                for term in sorted(known)
                if self._is_key(term)
                for target, e in self._lines(term)
            )
        else:
            lines = ((stem(target.split()[0]), target, e) for _, target, e in self._all_lines())
        for term, target, entries_text in lines:
            if term not in known:
                continue
            terms = [term, *stems(target)[1:]]
            if len(terms) > 1 and not all(t in known for t in terms):
                # WordNet's "breast feeding", "blood stream" where the documents write one word.
                joined = stem(target.replace(" ", ""))
                terms = [joined] if joined in known else terms
            if not all(t in known for t in terms):
                continue
            share = 1.0 if len(terms) == 1 else PHRASE_SHARE
            for relation, source in self._entries(entries_text):
                source_stems = stems(source)
                if all(s in known for s in source_stems):
                    continue  # the index knows the member's word: no need to guess
                for t in terms:
                    add(source, t, weights[relation] * share)
                    add(" ".join(source_stems), t, weights[relation] * share)

        for term in sorted(known) if not self.empty else ():
            if not term.isalpha():
                continue
            # 2. compound join
            for cut in range(MIN_PART, len(term) - MIN_PART + 1):
                left, right = term[:cut], term[cut:]
                if self._is_word(left) and self._is_word(right):
                    add(f"{left} {right}", term, COMPOUND_WEIGHT)
            # 3. morpheme: pieces of at least MIN_ROOT letters leaving at least MIN_AFFIX
            for cut in range(MIN_AFFIX, len(term) - MIN_AFFIX + 1):
                for piece in (term[:cut], term[cut:]):
                    if len(piece) < MIN_ROOT:
                        continue
                    for word_stem in self._with_root(piece):
                        if word_stem not in known:
                            add(word_stem, term, MORPHEME_WEIGHT)
        # A surface form whose terms are its stem's adds nothing: Bridge.terms falls back to the stem.
        for key in [k for k in entries if " ".join(stems(k)) != k]:
            if entries[key] == entries.get(" ".join(stems(key))):
                del entries[key]
        if stem is not text.stem:  # the light list is of Snowball stems
            return Bridge(dict(entries), stem, near_stop=self.near_stop)
        return Bridge(dict(entries), stem, self.light, self.light & known, self.near_stop)
