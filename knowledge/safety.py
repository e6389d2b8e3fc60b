r"""Red flags: questions that describe warning signs get a "seek care now" message, whatever the answer.

The default patterns cover how people actually write about two emergencies the knowledge base
touches: a baby with a fever or trouble breathing (or feeding, or who is floppy or turning blue), and
a red, hot breast with a fever (mastitis that may need treatment). Each pattern is order-independent
(lookaheads) and case-insensitive, with no nested quantifiers, so checking stays linear in practice.

What does *not* count, on purpose: an adult's fever on its own ("my fever went down yesterday"), a
"fever blister" (a cold sore), and temperatures below 38 °C / 100.4 °F. A baby's fever always counts,
even one that is going down: the message costs a line, a missed one can cost far more.

Patterns from a config run with RE2, whose matching is linear in the text whatever the pattern
says: ``^(\w+\s?)+\b(fever|rash)\b`` would backtrack for seconds on a short question under
Python's ``re``. RE2 has no lookarounds or backreferences; such a pattern is refused when the
config is read. Only the defaults, written to be linear, use Python's ``re`` and its lookaheads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import re2

DEFAULT_RED_FLAG_MESSAGE = (
    "⚠️ Fever or trouble breathing in a baby, or a red, hot breast with fever, needs care now: "
    "contact a clinician or lactation consultant right away (emergency services if it is severe)."
)

_BABY = (
    r"\b(?:new-?borns?|bab(?:y|ies)|bubs?|infants?|neonat\w*|little one|LO)\b"
    r"|\b\d+\s*-?\s*(?:days?|d|weeks?|wks?|w|months?|mos?|m)\s*-?\s*olds?\b"
)
# 38 °C and up, 100.4 °F and up: "39", "38.5C", "39 degrees", "100.4F", "101 °F", "temp of 39".
_HIGH_CELSIUS = r"(?:3[89]|4[0-2])(?:[.,]\d+)?"
_HIGH_FAHRENHEIT = r"(?:100[.,][4-9]\d*|10[1-7](?:[.,]\d+)?)"
_TEMPERATURE = (
    rf"\b(?:{_HIGH_CELSIUS}|{_HIGH_FAHRENHEIT})\s*(?:°|º|degrees?\b|deg\b|[cf]\b)"
    rf"|\b(?:temp|temperature|fever|reading)\s+(?:of|is|was|at|around|about|over|=|:)?\s*"
    rf"(?:{_HIGH_CELSIUS}|{_HIGH_FAHRENHEIT})\b"
)
# "fever" but not "fever blister(s)" (a cold sore).
_FEVER = (
    r"\bfevers?\b(?!\s*blisters?)|\bfeverish\b|\bfebrile\b|\bhigh (?:temp|temperature)\b"
    r"|\bhot to the touch\b|\bburning up\b"
)
_BABY_DANGER = (
    rf"{_FEVER}|{_TEMPERATURE}"
    r"|\bbreath\w*|\bgasp\w*|\bwheez\w*|\bgrunt\w*"
    r"|\bblue lips\b|\blips (?:are |look |looking |turning |went )?blue\b"
    r"|\bturn(?:s|ed|ing)? blue\b|\bbluish\b|\bfloppy\b|\blimp\b|\blethargic\b|\bunresponsive\b"
    r"|\bseizures?\b|\bconvuls\w*|\bhard to wake\b|\bwo(?:n['’]?t| not) wake\b"
    r"|\b(?:won['’]?t|wont|will not|stopped|refus\w*)\s+(?:to\s+)?(?:feed|eat|nurs|drink|breastfeed)\w*"
    r"|\bnot\s+(?:feeding|nursing|breastfeeding|drinking)\b|\boff (?:his|her|their) feeds?\b"
)
_BREAST = r"\b(?:breasts?|boobs?|boobies|tits?|nipples?|mastitis)\b"
_BREAST_SIGN = (
    r"\b(?:red|redness|reddish|hot|warm|swollen|swelling|lump\w*|hard|streak\w*|inflamed|mastitis)\b"
)
_ILL = rf"{_FEVER}|{_TEMPERATURE}|\bchills\b|\bshiver\w*|\bflu-?like\b|\baches?\b|\bachy\b"

DEFAULT_RED_FLAGS: tuple[str, ...] = (
    rf"(?is)^(?=.*(?:{_BABY}))(?=.*(?:{_BABY_DANGER}))",
    rf"(?is)^(?=.*{_BREAST})(?=.*{_BREAST_SIGN})(?=.*(?:{_ILL}))",
)
"""A baby with a warning sign; a breast with a local sign and a fever (or chills, aches)."""




class PatternError(re.error):
    """A red-flag pattern that cannot be used: invalid, or beyond what RE2 can run in linear time."""


class Matcher(Protocol):
    """A compiled pattern: Python's ``re`` or RE2."""

    def search(self, text: str) -> object | None: ...


def compile_red_flag(pattern: str) -> Matcher:
    """``pattern`` compiled case-insensitive: a default with Python's ``re``, any other with RE2.

    Raises :class:`PatternError` with a message fit for a config error when RE2 cannot compile it.
    """
    if pattern in DEFAULT_RED_FLAGS:
        return re.compile(pattern, re.IGNORECASE)
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # the error is raised, with its reason, to the caller
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        message = f"invalid regular expression: {reason}"
        if "perl operator" in str(reason) or "escape" in str(reason):
            message += (
                " (red flags run with RE2, in linear time: no lookarounds such as (?=...) or (?!...), "
                "no backreferences)"
            )
        raise PatternError(message) from None


@dataclass(frozen=True)
class RedFlags:
    """Regular expressions (any match is a red flag) and the message a red-flagged question gets.

    Patterns are compiled case-insensitive at construction (:func:`compile_red_flag`), so a bad one
    fails at start, not when a member asks.
    """

    patterns: tuple[str, ...] = DEFAULT_RED_FLAGS
    message: str = DEFAULT_RED_FLAG_MESSAGE
    _compiled: tuple[Matcher, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "patterns", tuple(self.patterns))
        object.__setattr__(self, "_compiled", tuple(compile_red_flag(p) for p in self.patterns))

    def matches(self, *texts: str | None) -> bool:
        """Whether any of ``texts`` (a member's words, their glossary rewrite...) is a red flag."""
        return any(pattern.search(text) for text in _distinct(texts) for pattern in self._compiled)


def _distinct(texts: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(" ".join(text.split()) for text in texts if text and text.strip()))
