"""Syntax symbols a question names ("how do i output a literal {{ in my template", "what does ~ do"):
the index reads words only, so a symbol would count for nothing, yet it is what the question is
about. Documents that explain a symbol quote it as code of its own (``the delimiter (`{{`)``): a
passage quoting the symbol a question names is found as if it held one more rare word of the
question, and a sentence quoting it covers that part of the question."""

from __future__ import annotations

import re
from collections.abc import Container, Iterable

from .code import code_spans
from .text import STOP_WORDS

_SYMBOL = re.compile(r"[^\w\s]+")
# Punctuation that ends or quotes a sentence is never a symbol of its own in a question.
_PROSE_PUNCTUATION = frozenset(".,;:!?'\"`()")
# Marks members also write between two words to mean "or"/"and" ("menu / sitemap", "html & css").
_SEPARATORS = frozenset({"/", "&", "+", "-", "|", "–", "—"})
_WORD = re.compile(r"[^\W\d_][\w'-]*[?!,;]?")


def is_symbol(text: str) -> bool:
    """Whether ``text`` is a syntax symbol (``{{``, ``~``, ``**``), not a word or prose punctuation."""
    return bool(_SYMBOL.fullmatch(text)) and not set(text) <= _PROSE_PUNCTUATION


def quoted_symbols(text: str) -> set[str]:
    """The symbols ``text`` quotes as code of their own (`` `{{` ``, `` `~` ``, not `` `{{ x }}` ``)."""
    if "`" not in text:
        return set()
    found = set()
    for start, end in code_spans(text):
        inner = text[start:end].strip("`").strip()
        if is_symbol(inner):
            found.add(inner)
    return found


def quoting_rows(texts: Iterable[str]) -> dict[str, list[int]]:
    """Each symbol that ``texts`` quote as code of its own -> the positions of the texts quoting it."""
    found: dict[str, list[int]] = {}
    for row, text in enumerate(texts):
        for symbol in quoted_symbols(text):
            found.setdefault(symbol, []).append(row)
    return found


def asked_symbols(question: str, known: Container[str]) -> list[str]:
    """The symbols ``question`` names standing alone ("a literal {{ in", "what does `~` do") that
    ``known`` holds (the documents quote them), in order, once each. A separator between two words
    ("a nested menu / sitemap tree", "cuddling / skin contact") joins them and names nothing."""
    found: list[str] = []
    chunks = question.split()
    for i, chunk in enumerate(chunks):
        symbol = chunk.rstrip("?!,;").strip("`'\"")
        if not symbol or not is_symbol(symbol) or symbol not in known or symbol in found:
            continue
        if symbol in _SEPARATORS and "`" not in chunk and _joins_words(chunks, i):
            continue
        found.append(symbol)
    return found


def _joins_words(chunks: list[str], i: int) -> bool:
    """Whether ``chunks[i]`` stands between two words that are not stop words."""
    if i == 0 or i == len(chunks) - 1:
        return False
    return all(
        _WORD.fullmatch(chunks[j]) is not None and chunks[j].lower() not in STOP_WORDS for j in (i - 1, i + 1)
    )
