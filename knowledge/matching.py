"""How alike two questions are: content terms compared by a weighted Dice coefficient.

Curated answers are matched to members' questions this way (:mod:`knowledge.curated.matcher`),
and the review queue groups questions that ask the same thing (:mod:`knowledge.review`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from .question import QUESTION_WORDS
from .text import STOP_WORDS, stem, tokens

if TYPE_CHECKING:
    from .kb import KnowledgeBase

# Stop words for the index, but they change what a question asks: "how *long*" and "how *often*",
# "*before* birth", "*first* milk", "*not*". Matching keeps them, at the lowest weight.
KEPT_WORDS = frozenset(
    [
        "often",
        "many",
        "much",
        "few",
        "less",
        "more",
        "most",
        "never",
        "always",
        "before",
        "after",
        "without",
        "not",
        "no",
        "nor",
        "cannot",
        "first",
        "last",
        "again",
    ]
)
# Stems this long that one extends the other are the same word: the Snowball stemmer gives
# "breastfeed" -> "breastfe", "breastfeeding" -> "breastfeed", "breastfed" -> "breastf".
MIN_PREFIX = 5


def question_terms(text: str) -> frozenset[str]:
    """What a question is about: stemmed content words, without "explain"/"tell me"-style words."""
    return frozenset(
        stem(t) if t not in KEPT_WORDS else t
        for t in tokens(text)
        if t in KEPT_WORDS or (t not in STOP_WORDS and t not in QUESTION_WORDS)
    )


def same_word(a: str, b: str) -> bool:
    """Whether two terms are one word: equal, or long stems of which one extends the other."""
    return a == b or (min(len(a), len(b)) >= MIN_PREFIX and (a.startswith(b) or b.startswith(a)))


def similarity(a: frozenset[str], b: frozenset[str], weight: Callable[[str], float] | None = None) -> float:
    """Weighted Dice coefficient of two term sets: 1.0 for the same words, 0.0 for none shared.

    Both directions count: a question that adds an important word ("... while *pregnant*") is a
    different question even when it contains every word of the curated one.
    """
    if not a or not b:
        return 0.0
    w = weight or (lambda _t: 1.0)
    shared = sum(w(t) for t in a if t in b or any(same_word(t, u) for u in b))
    shared += sum(w(u) for u in b if u in a or any(same_word(u, t) for t in a))
    total = sum(w(t) for t in a) + sum(w(t) for t in b)
    return shared / total if total else 0.0


def kb_weight(kb: KnowledgeBase | None) -> Callable[[str], float] | None:
    """Term weights from the knowledge base: idf, floored at half the rarest term's; a word the
    knowledge base has never seen weighs as much as its rarest term (as the answer judge does).
    A stem the index holds in a longer or shorter form ("breastfe" / "breastfeed") takes that
    form's weight. None (every term weighs the same) without a knowledge base or vocabulary."""
    if kb is None or not kb.index.vocabulary_size:
        return None
    index = kb.index
    rarest = float(kb.rarest_weight)
    floor = 0.5 * rarest

    @lru_cache(maxsize=4096)
    def idf(term: str) -> float | None:
        found = index.term_weight(term)
        if found is not None or len(term) < MIN_PREFIX:
            return found
        for cut in range(len(term) - 1, MIN_PREFIX - 1, -1):
            found = index.term_weight(term[:cut])
            if found is not None:
                return found
        longer = index.term_with_prefix(term)
        return index.term_weight(longer) if longer is not None else None

    def weight(term: str) -> float:
        if term in KEPT_WORDS:
            return floor
        found = idf(term)
        return rarest if found is None else max(found, floor)

    return weight


__all__ = ["KEPT_WORDS", "MIN_PREFIX", "kb_weight", "question_terms", "same_word", "similarity"]
