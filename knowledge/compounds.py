"""Two-part words written with and without a hyphen: documents say "meta-data", "new-line" or
"wiki-links" where members type "metadata", "newline" or "wikilinks". The index keeps a hyphenated
word's parts as words of their own, so a member's joined spelling would match nothing; it is read
as the documents write it instead."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Exactly two parts of two or more letters: "meta-data", not "gut-to-breast", "IL-6" or "x-axis".
_HYPHENATED = re.compile(r"(?<![\w-])([^\W\d_]{2,})-([^\W\d_]{2,})(?![\w-])", re.UNICODE)
_WORD = re.compile(r"(?<![\w-])[^\W\d_]{4,}(?![\w-])", re.UNICODE)


def hyphenated_compounds(texts: Iterable[str]) -> dict[str, str]:
    """The two-part hyphenated words of ``texts``: joined lower-cased spelling -> the hyphenated
    spelling (lower-cased) the texts use."""
    found: dict[str, str] = {}
    for text in texts:
        if "-" not in text:
            continue
        for match in _HYPHENATED.finditer(text):
            first, second = match.group(1).casefold(), match.group(2).casefold()
            found.setdefault(first + second, f"{first}-{second}")
    return found


def split_compounds(text: str, compounds: dict[str, str], known: Callable[[str], bool]) -> str:
    """``text`` with each word that ``known`` rejects but ``compounds`` holds joined ("metadata")
    replaced by the hyphenated spelling ("meta-data"), so the index reads both of its parts."""
    if not compounds:
        return text

    def hyphenate(match: re.Match[str]) -> str:
        word = match.group()
        hyphenated = compounds.get(word.casefold())
        return hyphenated if hyphenated is not None and not known(word.casefold()) else word

    return _WORD.sub(hyphenate, text)
