"""Telling a slip of the keys ("actualy", "recieve", "tounge") from a word English has: the
review queue suggests only words worth a glossary entry, and a misspelt word is not one."""

from __future__ import annotations

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .thesaurus import Thesaurus

MIN_LENGTH = 5  # shorter words are too near too many others ("bub" is one edit from "bib")


def is_misspelling(word: str, thesaurus: Thesaurus | None = None) -> bool:
    """Whether ``word`` is not an English word (as typed or stemmed: "pumping" is one) but one edit
    (a letter added, dropped, changed or two swapped) from one. Unknown: False."""
    table = thesaurus or Thesaurus.default()
    if len(word) < MIN_LENGTH or not word.isalpha() or table.empty or table.is_word(word):
        return False
    return process.extractOne(word, table.words, scorer=OSA.distance, score_cutoff=1) is not None
