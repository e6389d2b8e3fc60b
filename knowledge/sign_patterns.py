"""The pieces warning signs are made of (:mod:`knowledge.safety`): a pattern seen in a post, checks
that all or any of several pieces are seen, and a fever, said in words or as a temperature read with
its unit (:mod:`knowledge.temperatures`). Patterns run with RE2, in linear time."""

from __future__ import annotations

from collections.abc import Callable

from .temperatures import body_temperatures, compile_ci

Check = Callable[[str], bool]


def seen(pattern: str) -> Check:
    """Whether ``pattern`` (case-insensitive) is found in a post."""
    compiled = compile_ci(pattern)
    return lambda text: compiled.search(text) is not None


def any_of(*checks: Check) -> Check:
    """Whether any of ``checks`` holds."""
    return lambda text: any(check(text) for check in checks)


def all_of(*checks: Check) -> Check:
    """Whether every one of ``checks`` holds."""
    return lambda text: all(check(text) for check in checks)


def none_of(*checks: Check) -> Check:
    """Whether not one of ``checks`` holds."""
    return lambda text: not any(check(text) for check in checks)


def _fever_temperature(text: str) -> bool:
    return any(t.fever for t in body_temperatures(text))


def _only_normal_temperatures(text: str) -> bool:
    """Temperatures are given and none is a fever ("is 37.5 a fever?")."""
    temperatures = body_temperatures(text)
    return bool(temperatures) and not any(t.fever for t in temperatures)


# A fever said in words: "fever", "running a temp", "burning up"; singular, since "fewer fevers" is
# about babies in general.
FEVER_WORD = seen(
    r"\b(?:fever|feverish|febrile|pyrexia)\b|\bhigh (?:temp|temperature)\b"
    r"|\b(?:has|have|had|got|running|run|spiking|spiked|with) (?:a |an )?(?:temp|temperature)\b"
    r"|\bburning up\b"
)
# Hot to the touch: a fever in a baby, but in a breast only the breast's own warmth.
FEELS_HOT = seen(r"\bhot to (?:the )?touch\b|\bfe(?:el|els|lt|eling) (?:really |very |so )?hot\b")


def fever(words: Check) -> Check:
    """A fever temperature, or ``words`` saying so unless every temperature given is normal."""
    return any_of(_fever_temperature, all_of(words, lambda text: not _only_normal_temperatures(text)))
