"""Body temperatures as parents write them: "38C", "38.2 °C", "100.4F", "a temp of 38", "temp 101".

:func:`body_temperatures` reads each number that is written as a temperature (a unit after it, a
word such as "temp" or "thermometer" before it, or a decimal in the range of a body's temperature),
takes its unit from what is written or else from its size (34–44 is Celsius, 93–112 Fahrenheit),
and leaves out the temperature of things (milk, a bath, a room, a fridge). All matching is RE2.
"""

from __future__ import annotations

from dataclasses import dataclass

import re2


def compile_ci(pattern: str) -> re2._Regexp:
    """``pattern`` compiled with RE2 (linear time whatever the text), case-insensitive."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return re2.compile(pattern, options)


FEVER_CELSIUS = 38.0
FEVER_FAHRENHEIT = 100.4  # NICE NG143 and the AAP: 38 °C / 100.4 °F and over is a fever

_NUMBER = compile_ci(r"\d+(?:[.,]\d+)?")
# What follows the number: a degree sign or word, then perhaps the scale ("38C", "101 °F", "39 degrees").
_UNIT = compile_ci(r"^\s*(?:(°|º|degrees?\b|degs?\b)\s*)?(celsius\b|centigrade\b|fahrenheit\b|c\b|f\b)?")
# A count of something else: "38.5 weeks", "4.2 kg", "100 ml".
_NOT_A_TEMPERATURE = compile_ci(
    r"^\s*(?:weeks?|wks?|w\b|kgs?|lbs?|oz|ml|cm|mm|g\b|grams?|hours?|hrs?|h\b|mins?|minutes?|%|days?|months?|mos?)"
)
# Just before the number, a word that makes it a temperature: "temp of", "thermometer says", "fever 38.5".
_SAID_TEMPERATURE = compile_ci(
    r"\b(?:temps?|temperatures?|fevers?|readings?|thermometer|spiked|spiking)\b[^\d.?!;]{0,20}$"
)
# The temperature of a thing, not of a body: "milk heated to 40C", "bath water is 38 degrees".
_THING = compile_ci(
    r"\b(?:milk|breastmilk|bath|water|room|fridge|freezer|formula|bottle|house|nursery|weather|outside|"
    r"heat\w*|warm\w*|cool\w*)\b[^.?!;]{0,25}$"
)


@dataclass(frozen=True)
class Temperature:
    """One temperature read from a text, in the unit it was written in."""

    value: float
    fahrenheit: bool

    @property
    def fever(self) -> bool:
        """38 °C / 100.4 °F or more."""
        return self.value >= (FEVER_FAHRENHEIT if self.fahrenheit else FEVER_CELSIUS)


def body_temperatures(text: str) -> list[Temperature]:
    """The body temperatures written in ``text``, in order."""
    found: list[Temperature] = []
    for match in _NUMBER.finditer(text):
        digits = match.group(0)
        start, end = match.start(), match.end()
        after = text[end : end + 16]
        before = text[max(0, start - 40) : start]
        if _NOT_A_TEMPERATURE.search(after) or _THING.search(before):
            continue
        unit = _UNIT.search(after)
        degree, scale = (unit.group(1), unit.group(2)) if unit else (None, None)
        decimal = "." in digits or "," in digits
        if not (degree or scale or _SAID_TEMPERATURE.search(before) or decimal):
            continue  # a bare whole number: "2 month old", "feeds every 3 hours"
        value = float(digits.replace(",", "."))
        temperature = _reading(value, scale)
        if temperature is not None:
            found.append(temperature)
    return found


def _reading(value: float, scale: str | None) -> Temperature | None:
    """``value`` as a body temperature, on the scale written or the one its size says; None when no
    body has it."""
    letter = (scale or "")[:1].lower()
    if letter == "c" or (not letter and 34.0 <= value <= 44.0):
        fahrenheit = False
    elif letter == "f" or (not letter and 93.0 <= value <= 112.0):
        fahrenheit = True
    else:
        return None
    low, high = (90.0, 115.0) if fahrenheit else (30.0, 45.0)
    return Temperature(value, fahrenheit) if low <= value <= high else None
