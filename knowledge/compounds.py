"""Two-part words written with and without a hyphen: documents say "meta-data", "new-line" or
"wiki-links" where members type "metadata", "newline" or "wikilinks", or the other way round. The
index keeps a hyphenated word's parts as words of their own, so a question spelling a word the other
way would match nothing, or only its parts; it is read as the documents write it instead."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from .text import STOP_WORDS

# Exactly two parts of two or more letters: "meta-data", not "gut-to-breast", "IL-6" or "x-axis".
_HYPHENATED = re.compile(r"(?<![\w-])([^\W\d_]{2,})-([^\W\d_]{2,})(?![\w-])", re.UNICODE)
# A word of the question as a member may write it: joined ("metadata") or hyphenated ("meta-data").
_WORD = re.compile(r"(?<![\w-])[^\W\d_]{2,}(?:-[^\W\d_]{2,})?(?![\w-])", re.UNICODE)


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


def spell_compounds(text: str, compounds: Mapping[str, str], known: Callable[[str], bool]) -> str:
    """``text`` with two-part words spelled as the documents spell them: a joined word that
    ``known`` rejects but ``compounds`` holds ("metadata") hyphenated ("meta-data"); a hyphenated
    word the documents never hyphenate but ``known`` holds joined ("new-line") joined ("newline");
    a word written in two that ``known`` holds whole joined ("entero mammary")."""

    def respell(match: re.Match[str]) -> str:
        word = match.group()
        folded = word.casefold()
        if "-" in folded:
            joined = folded.replace("-", "")
            return joined if joined not in compounds and known(joined) else word
        hyphenated = compounds.get(folded)
        return hyphenated if hyphenated is not None and not known(folded) else word

    return _join_split_words(_WORD.sub(respell, text), known)


# Two words with one space between them, each at least three letters.
_PAIR = re.compile(r"(?<![\w-])(?=([^\W\d_]{3,}) ([^\W\d_]{3,})(?![\w-]))", re.UNICODE)


def _join_split_words(text: str, known: Callable[[str], bool]) -> str:
    """``text`` with a word split in two joined again when the documents know it whole and not
    both halves ("the entero mammary system" -> "the enteromammary system"); "breast milk", whose
    halves are words of the documents, stays, and so does a pair with a stop word ("for loop")."""
    out, pos = [], 0
    for match in _PAIR.finditer(text):
        start = match.start()
        if start < pos:  # the first word was joined to the word before it
            continue
        first, second = match.group(1), match.group(2)
        joined = (first + second).casefold()
        halves = first.casefold(), second.casefold()
        if any(h in STOP_WORDS for h in halves):  # "for loop" is not Django's "forloop"
            continue
        if known(joined) and not (known(halves[0]) and known(halves[1])):
            out.append(text[pos:start] + first + second)
            pos = start + len(first) + 1 + len(second)
    return "".join(out) + text[pos:]
