r"""Red flags: a post that describes a warning sign gets a notice naming the sign and saying what to do,
whatever the answer.

The signs are those of published guidance on when a newborn or a breastfeeding mother needs help
urgently:

- NHS, "Signs that a child is seriously ill" and "Fever in children" (nhs.uk): call 999 for a baby
  who is blue, grey or mottled, struggles to breathe (grunting, sucking in under the ribs), has a
  fit, is floppy or will not wake, or has a rash that does not fade under a glass; get help now for
  a temperature of 38 °C or more under 3 months, a baby not feeding, few wet nappies, green vomit;
- NICE NG143, "Fever in under 5s: assessment and initial management" (2019, updated 2021), the
  traffic-light table: red for 38 °C or more under 3 months, blue or mottled skin, grunting, 60
  breaths a minute or more, chest indrawing, not rousable; amber for poor feeding, reduced urine;
- American Academy of Pediatrics, HealthyChildren.org, "Fever and Your Baby" and "When to Call the
  Pediatrician": a rectal temperature of 100.4 °F or more under 3 months, trouble breathing, blue
  colour, few wet diapers, green (bile) vomit, a baby too sleepy to feed;
- World Health Organization, IMCI Chart Booklet (2014), "Sick young infant": not able to feed,
  convulsions, fast breathing or severe chest indrawing, fever, movement only when stimulated. (IMCI
  counts an axillary 37.5 °C; the signs here use the 38 °C / 100.4 °F of NICE and the AAP);
- NICE CG98, "Jaundice in newborn babies under 28 days" (2010, updated 2023): jaundice in the first
  24 hours of life, or with pale chalky stools; a jaundiced baby who is very sleepy or not feeding;
- Academy of Breastfeeding Medicine, Clinical Protocol #36, "The Mastitis Spectrum, Revised 2022"
  (Breastfeeding Medicine 17(5), 2022): a red, painful breast with fever, chills or flu-like aches
  needs a clinician; spreading redness and signs of sepsis need one urgently;
- NICE NG51, "Suspected sepsis" (2016, updated 2024), and the UK Sepsis Trust's signs: uncontrollable
  shivering, a racing heart, confusion or slurred speech, mottled skin, no urine in a day, "it feels
  like I'm going to die".
- NHS, "Postnatal depression" and "Postpartum psychosis" (nhs.uk), and NICE CG192, "Antenatal and
  postnatal mental health" (2014, updated 2020): thoughts of suicide or of harming yourself or the
  baby, hearing voices or seeing things, need help now (999 or A&E, NHS 111, Samaritans 116 123;
  988 in the US, the Suicide and Crisis Lifeline);
- NHS, "Heavy bleeding after birth" and RCOG's "Heavy bleeding after birth (postpartum
  haemorrhage)": a pad soaked in an hour or less, large clots, feeling faint: call 999;
- NHS, "Pre-eclampsia", and NICE NG133 (2019, updated 2023): a severe headache, blurred vision or
  flashing lights, pain just below the ribs, sudden swelling of the face, hands or feet, in
  pregnancy or up to six weeks after birth: call a midwife, doctor or 111 now;
- NHS, "DVT (deep vein thrombosis)" and "Pulmonary embolism": pain, swelling or warmth in one leg
  (111), chest pain, sudden breathlessness or coughing blood (999), more likely after birth;
- NHS, "Breast lumps" (nhs.uk), and ABM Clinical Protocol #36: a lump that does not go away (after
  a few days of feeding, or keeps growing) needs a doctor's look, not an emergency.

Each :class:`Sign` is made of small named pieces (a baby; a fever word; a temperature, read with its
unit by :mod:`knowledge.temperatures`...; a baby's in :mod:`knowledge.baby_signs`, a mother's in
:mod:`knowledge.mother_signs`, built with :mod:`knowledge.sign_patterns`), every one of which must
be seen somewhere in the post, in any order. Signs are listed most urgent first; a post showing
several gets the first one's notice. What does *not* count, on purpose: a negated symptom ("lump but
no fever"), a "fever blister", a temperature under 38 °C / 100.4 °F or of a thing ("milk heated to
40C"), an adult's fever alone.

Everything runs with RE2, whose matching is linear in the text whatever the pattern says:
``^(\w+\s?)+\b(fever|rash)\b`` would backtrack for seconds on a short question under Python's ``re``.
An operator's ``notices.red_flags`` replaces the signs with their own patterns (any match is a red
flag); RE2 has no lookarounds or backreferences, so such a pattern is refused when the config is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import re2

from .baby_signs import (
    BABY,
    BLUE,
    BREATHING_TROUBLE,
    EVERYTHING_OR_LONG,
    FEVER,
    FEW_WET_NAPPIES,
    GREEN_VOMIT,
    JAUNDICE,
    JAUNDICE_DANGER,
    NO_WEE,
    NOT_FEEDING,
    RASH,
    SEIZURE,
    SUNKEN,
    TURNS_AWAY,
    UNRESPONSIVE,
)
from .mother_signs import (
    BLOOD_CLOT,
    BREAST,
    BREAST_SIGN,
    FEELING_ILL,
    HEAVY_BLEEDING,
    LUMP_STAYS,
    MENTAL_CRISIS,
    MOTHERS_FEVER,
    PRE_ECLAMPSIA,
    RED_STREAKS,
    SEPSIS,
    SORE_BREAST,
)
from .sign_patterns import Check, all_of, any_of
from .temperatures import compile_ci

DEFAULT_RED_FLAG_MESSAGE = (
    "⚠️ This may need care now: contact a clinician or lactation consultant right away "
    "(emergency services if it is severe)."
)
"""The notice for an operator's own patterns, which name no sign."""

_EMERGENCY = "call emergency services (999, 911 or 112) now."
_NOW = "contact your doctor or midwife now (111 in the UK)."

# Words that look like a sign but are about something else, taken out before the signs are read.
_NOT_SIGNS = compile_ci(
    r"\bfever blisters?\b|\bchest ?feed\w*"
    r"|\b(?:no|not|without|never|nor)\s+"
    r"(?:a\s+|any\s+|had\s+(?:a\s+)?|got\s+(?:a\s+)?|signs? of\s+(?:a\s+)?)?"
    r"(?:fever|temperature|temp|chills|high temp\w*)\b(?:\s+yet)?"
    r"|\bconfused (?:about|by|why|whether|if|how|what)\b"
    r"|\b(?:yellow|green)(?:ish)? (?:poo|poop|stools?|nappy|nappies|diapers?|milk|breastmilk|colostrum|"
    r"discharge|mucus|snot)\b"
    r"|\b(?:poo|poop|stools?|nappy|nappies|diapers?|milk|breastmilk|colostrum|discharge|mucus|snot)\b"
    r" (?:\w+ ){0,3}(?:yellow|green)\b"
    r"|\b(?:blue|bluish|blueish|grey|gray)(?:ish)? (?:eyes|milk|breastmilk|tinge|veins?)\b"
    r"|\b(?:eyes|milk|breastmilk|colostrum|veins?)\b (?:\w+ ){0,3}(?:blue|bluish|blueish|grey|gray)\b"
)


# -- signs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sign:
    """A warning sign: seen when ``seen`` says so of a post, and the notice it gets."""

    name: str
    message: str
    seen: Check = field(repr=False, compare=False)


SIGNS: tuple[Sign, ...] = (
    Sign(
        "baby-blue",
        f"⚠️ A baby turning blue, grey or mottled (lips, tongue, face or skin) is an emergency: {_EMERGENCY}",
        all_of(BABY, BLUE),
    ),
    Sign(
        "baby-breathing",
        "⚠️ A baby struggling to breathe (grunting, fast or hard breathing, ribs sucking in, pauses) is "
        f"an emergency: {_EMERGENCY}",
        all_of(BABY, BREATHING_TROUBLE),
    ),
    Sign(
        "baby-seizure", f"⚠️ A fit or seizure in a baby is an emergency: {_EMERGENCY}", all_of(BABY, SEIZURE)
    ),
    Sign(
        "baby-unresponsive",
        f"⚠️ A baby who is floppy, unresponsive or very hard to wake is an emergency: {_EMERGENCY}",
        all_of(BABY, UNRESPONSIVE),
    ),
    Sign(
        "baby-rash",
        f"⚠️ A rash that does not fade under a pressed glass can be meningitis or sepsis: {_EMERGENCY}",
        RASH,
    ),
    Sign(
        "baby-green-vomit",
        "⚠️ Green (bile) vomit in a baby can mean a blocked bowel: go to an emergency department now, "
        "or call 999, 911 or 112.",
        all_of(BABY, GREEN_VOMIT),
    ),
    Sign(
        "mother-sepsis",
        "⚠️ An infection with shivering you cannot stop, a racing heart, confusion, mottled skin or "
        f"feeling very unwell can be sepsis: {_EMERGENCY}",
        SEPSIS,
    ),
    Sign(
        "mother-bleeding",
        "⚠️ Heavy bleeding after birth (a pad soaked in an hour or less, clots the size of a plum, or "
        f"feeling faint) is an emergency: {_EMERGENCY}",
        HEAVY_BLEEDING,
    ),
    Sign(
        "mother-clot",
        "⚠️ Chest pain, sudden breathlessness or coughing blood, or a painful, swollen leg, after birth "
        f"can be a blood clot: for the chest {_EMERGENCY} For the leg, {_NOW}",
        BLOOD_CLOT,
    ),
    Sign(
        "mother-crisis",
        "⚠️ Thoughts of harming yourself or your baby, or hearing or seeing things others don't, need "
        "help now: call 999, 911 or 112, a crisis line (116 123 UK and Ireland, 988 US), or your "
        "doctor or midwife today.",
        MENTAL_CRISIS,
    ),
    Sign(
        "baby-fever",
        "⚠️ A temperature of 38 °C (100.4 °F) or more in a baby needs a doctor: under 3 months, "
        f"{_NOW} If the baby also seems very unwell, {_EMERGENCY}",
        all_of(BABY, FEVER, lambda text: not (MOTHERS_FEVER(text) or SORE_BREAST(text))),
    ),
    Sign(
        "baby-dehydration",
        f"⚠️ Few or no wet nappies (diapers) or a sunken soft spot can mean a baby is dehydrated: {_NOW}",
        any_of(FEW_WET_NAPPIES, SUNKEN, all_of(BABY, NO_WEE)),
    ),
    Sign(
        "baby-not-feeding",
        f"⚠️ A baby who refuses feeds or is not feeding needs checking: {_NOW}",
        all_of(BABY, any_of(NOT_FEEDING, all_of(TURNS_AWAY, EVERYTHING_OR_LONG))),
    ),
    Sign(
        "baby-jaundice",
        "⚠️ Yellow skin or eyes in a baby who is very sleepy, has pale poo, or is under a day old needs "
        "checking: contact your midwife or doctor now, today.",
        all_of(JAUNDICE, JAUNDICE_DANGER),
    ),
    Sign(
        "mother-preeclampsia",
        "⚠️ A bad headache, blurred vision or flashing lights, sudden swelling of the face or hands, or "
        f"pain under the ribs in pregnancy or after birth can be pre-eclampsia: {_NOW}",
        PRE_ECLAMPSIA,
    ),
    Sign(
        "breast-red-streaks",
        "⚠️ Red streaks spreading from a sore breast can mean the infection is spreading: contact your "
        "doctor or midwife today.",
        all_of(BREAST, RED_STREAKS),
    ),
    Sign(
        "breast-infection",
        "⚠️ A red, painful breast with a fever, chills or flu-like aches can be mastitis that needs "
        "treatment: contact your doctor or midwife today (emergency services if you feel very unwell).",
        all_of(BREAST, BREAST_SIGN, FEELING_ILL),
    ),
    Sign(
        "breast-lump",
        "⚠️ A breast lump that does not go away after a few days of feeding, or keeps growing, should "
        "be checked: book an appointment with your doctor today.",
        all_of(BREAST, LUMP_STAYS),
    ),
)
"""The built-in warning signs, most urgent first."""


def read_sign(text: str) -> Sign | None:
    """The most urgent built-in sign ``text`` shows, if any."""
    plain = _NOT_SIGNS.sub(" ", text.replace("’", "'"))
    return next((sign for sign in SIGNS if sign.seen(plain)), None)


# -- the check ----------------------------------------------------------------------------------


class PatternError(re.error):
    """A red-flag pattern that cannot be used: invalid, or beyond what RE2 can run in linear time."""


class Matcher(Protocol):
    """A compiled pattern."""

    def search(self, text: str) -> object | None: ...


def compile_red_flag(pattern: str) -> Matcher:
    """An operator's ``pattern`` compiled case-insensitive with RE2.

    Raises :class:`PatternError` with a message fit for a config error when RE2 cannot compile it.
    """
    try:
        return compile_ci(pattern)
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
class RedFlag:
    """What a post was flagged for: the sign (``"custom"`` for an operator's pattern) and its notice."""

    sign: str
    message: str


@dataclass(frozen=True)
class RedFlags:
    """The red-flag check: the built-in :data:`SIGNS`, or an operator's ``patterns`` instead (any
    match is a red flag). ``message``, when given, is the notice for every red flag; otherwise each
    sign has its own, and an operator's patterns get :data:`DEFAULT_RED_FLAG_MESSAGE`.

    Patterns are compiled at construction (:func:`compile_red_flag`), so a bad one fails at start,
    not when a member asks.
    """

    patterns: tuple[str, ...] | None = None
    message: str | None = None
    _compiled: tuple[Matcher, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.patterns is not None:
            object.__setattr__(self, "patterns", tuple(self.patterns))
        compiled = tuple(compile_red_flag(p) for p in self.patterns or ())
        object.__setattr__(self, "_compiled", compiled)

    def check(self, *texts: str | None) -> RedFlag | None:
        """The red flag in ``texts`` (a member's words, their glossary rewrite...): the most urgent
        sign any of them shows, or None."""
        texts_seen = _distinct(texts)
        if self.patterns is not None:
            if any(pattern.search(text) for text in texts_seen for pattern in self._compiled):
                return RedFlag("custom", self.message or DEFAULT_RED_FLAG_MESSAGE)
            return None
        signs = [sign for text in texts_seen if (sign := read_sign(text)) is not None]
        if not signs:
            return None
        sign = min(signs, key=SIGNS.index)
        return RedFlag(sign.name, self.message or sign.message)

    def matches(self, *texts: str | None) -> bool:
        """Whether any of ``texts`` is a red flag."""
        return self.check(*texts) is not None


def most_urgent(flags: Iterable[RedFlag | None]) -> RedFlag | None:
    """The most urgent of ``flags`` (several readings of one post), or None when none is set.
    Built-in signs rank as :data:`SIGNS` lists them; an operator's patterns have one notice."""
    rank = {sign.name: n for n, sign in enumerate(SIGNS)}
    return min((f for f in flags if f is not None), key=lambda f: rank.get(f.sign, len(rank)), default=None)


def _distinct(texts: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(" ".join(text.split()) for text in texts if text and text.strip()))
