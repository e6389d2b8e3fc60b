"""Notices as data: what an answer tells the member besides its sentences, as a code and its
parameters. The pipeline decides which notices an answer carries; only a renderer phrases them
(:func:`phrase`, the one place their English lives), so tests assert codes and a translation or a
new renderer changes one table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    """What a notice says."""

    SHORTENED = "shortened"  # length: the question's length; kept: the characters used
    GLOSSARY = "glossary"  # pairs: (as typed, read as); source: which glossary
    READ_AS = "read-as"  # pairs: (the member's words, the documents' word) the bridge read
    NOT_COVERED = "not-covered"  # words: what the quoted sentences leave out of the question
    NOT_MENTIONED = "not-mentioned"  # words: what the question names and the documents never do
    IN_PASSING = "in-passing"  # words: the tool or project the documents only name in passing


@dataclass(frozen=True)
class Notice:
    """One remark on an answer: its :class:`Code` and parameters. ``words`` and ``pairs`` are the
    member's words (or word, reading) pairs; ``source``, ``length`` and ``kept`` as the code says."""

    code: Code
    words: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    source: str = ""
    length: int = 0
    kept: int = 0

    def __str__(self) -> str:
        return phrase(self)


def _pairs(pairs: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"“{typed}” as “{means}”" for typed, means in pairs)


def phrase(notice: Notice) -> str:
    """The notice in the words a member reads."""
    match notice.code:
        case Code.SHORTENED:
            return (
                f"Your question was {notice.length:,} characters long; only the first "
                f"{notice.kept:,} were used."
            )
        case Code.GLOSSARY:
            return f"Read {_pairs(notice.pairs)} (from {notice.source})."
        case Code.READ_AS:
            return f"Read {_pairs(notice.pairs)}."
        case Code.NOT_COVERED:
            return f"This answer does not cover: {', '.join(notice.words)}."
        case Code.NOT_MENTIONED:
            return f"The knowledge base does not mention: {', '.join(notice.words)}."
        case Code.IN_PASSING:
            named = ", ".join(notice.words)
            return f"The knowledge base only mentions {named} in passing; it does not cover it."
    raise ValueError(f"unknown notice code {notice.code!r}")
