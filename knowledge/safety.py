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
- NHS, "Breast lumps" (nhs.uk), and ABM Clinical Protocol #36: a lump that does not go away (after
  a few days of feeding, or keeps growing) needs a doctor's look, not an emergency.

Each :class:`Sign` is made of small named pieces (a baby; a fever word; a temperature, read with its
unit by :mod:`knowledge.temperatures`...), every one of which must be seen somewhere in the post, in
any order. Signs are listed most urgent first; a post showing several gets the first one's notice.
What does *not* count, on purpose: a negated symptom ("lump but no fever"), a "fever blister", a
temperature under 38 °C / 100.4 °F or of a thing ("milk heated to 40C"), an adult's fever alone.

Everything runs with RE2, whose matching is linear in the text whatever the pattern says:
``^(\w+\s?)+\b(fever|rash)\b`` would backtrack for seconds on a short question under Python's ``re``.
An operator's ``notices.red_flags`` replaces the signs with their own patterns (any match is a red
flag); RE2 has no lookarounds or backreferences, so such a pattern is refused when the config is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import re2

from .temperatures import body_temperatures, compile_ci

DEFAULT_RED_FLAG_MESSAGE = (
    "⚠️ This may need care now: contact a clinician or lactation consultant right away "
    "(emergency services if it is severe)."
)
"""The notice for an operator's own patterns, which name no sign."""

_EMERGENCY = "call emergency services (999, 911 or 112) now."
_NOW = "contact your doctor or midwife now (111 in the UK)."

Check = Callable[[str], bool]


def _seen(pattern: str) -> Check:
    compiled = compile_ci(pattern)
    return lambda text: compiled.search(text) is not None


def _any(*checks: Check) -> Check:
    return lambda text: any(check(text) for check in checks)


def _all(*checks: Check) -> Check:
    return lambda text: all(check(text) for check in checks)


def _fever_temperature(text: str) -> bool:
    return any(t.fever for t in body_temperatures(text))


def _only_normal_temperatures(text: str) -> bool:
    """Temperatures are given and none is a fever ("is 37.5 a fever?")."""
    temperatures = body_temperatures(text)
    return bool(temperatures) and not any(t.fever for t in temperatures)


# -- pieces -------------------------------------------------------------------------------------

_AGE = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
# One baby, not babies in general ("can babies have seizures from a fever?"); "my babies lips" is
# a slip for "my baby's".
BABY = _seen(
    r"\b(?:new-?born|bab+(?:y|ys|e|a|ba)|bubs?|bubba|infant|neonat\w*|little one|lo|ds|dd|"
    r"son|daughter|preemie|prem)\b|\b(?:my|our|the) (?:babies|newborns|infants)\b"
    rf"|\b{_AGE}\s*-?\s*(?:days?|d|weeks?|wks?|wk|w|months?|mos?|mo|m|hours?|hrs?)\s*-?\s*olds?\b"
    r"|\b\d+\s*(?:wo|mo|do)\b"
)
# A fever said in words: "fever", "running a temp", "burning up"; singular, since "fewer fevers" is
# about babies in general.
FEVER_WORD = _seen(
    r"\b(?:fever|feverish|febrile|pyrexia)\b|\bhigh (?:temp|temperature)\b"
    r"|\b(?:has|have|had|got|running|run|spiking|spiked|with) (?:a |an )?(?:temp|temperature)\b"
    r"|\bburning up\b"
)
# Hot to the touch: a fever in a baby, but in a breast only the breast's own warmth.
FEELS_HOT = _seen(r"\bhot to (?:the )?touch\b|\bfe(?:el|els|lt|eling) (?:really |very |so )?hot\b")


def _fever(words: Check) -> Check:
    """A fever temperature, or ``words`` saying so unless every temperature given is normal."""
    return _any(_fever_temperature, _all(words, lambda text: not _only_normal_temperatures(text)))


FEVER = _fever(_any(FEVER_WORD, FEELS_HOT))
# The fever is the mother's: "I have mastitis and a fever of 39", "I'm running a temp".
MOTHERS_FEVER = _seen(
    r"\b(?:i|i'?ve|ive|i'?m|im|i am)\s+(?:have\s+|had\s+|got\s+|running\s+|feel\s+|feeling\s+)?"
    r"(?:a\s+|really\s+|very\s+)?(?:high\s+)?(?:fever|feverish|temp|temperature|chills|hot)\b"
    r"|\bmy (?:temp|temperature)\b|\bmastitis\b"
)
BREATHING_TROUBLE = _seen(
    r"\b(?:trouble|difficulty|difficult|struggl\w*|labou?r\w*|fast|rapid|heavy|hard|stop\w*|paus\w*|weird|"
    r"strange|funny|odd)"
    r" (?:\w+ ){0,2}breath\w*"
    r"|\bbreath\w* (?:\w+ ){0,3}(?:fast|rapid|quick|hard|labou?red|heavy|struggl\w*|difficult|shallow|weird|"
    r"strange|funny|odd)\b"
    r"|\b(?:stop\w*|not|can'?t|cannot) breath\w*|\bgasp\w*|\bwheez\w*"
    r"|\bgrunt\w* (?:\w+ ){0,3}breath\w*|\bbreath\w* (?:\w+ ){0,6}grunt\w*"
    r"|\bnostrils? flar\w*|\bflar\w* nostrils?"
    r"|\b(?:tummy|stomach|chest|ribs?) (?:\w+ ){0,1}(?:sucks?|sucking|pulls?|pulling|caves?|caving) in\b"
    r"|\bsuck\w* in (?:under|below|between) (?:the |his |her |their )?ribs"
)
_BLUE = r"(?:blue|blueish|bluish|grey|gray|greyish|grayish|dusky|ashen|mottled)"  # NICE NG143: red
BLUE = _seen(
    rf"\b(?:lips?|tongue|face|skin|mouth|body|colou?r)\b[^.?!]{{0,25}}\b{_BLUE}\b"
    rf"|\b(?:turn\w*|went|go(?:ne|ing|es)?|look\w*)\s+(?:a bit |very |really |quite |so |all )?{_BLUE}\b"
    rf"|\b{_BLUE} (?:lips|tongue|face|skin|around the mouth)\b"
)
SEIZURE = _seen(
    r"\bseiz\w*|\bconvuls\w*|\b(?:a|having|had|has|have) fits?\b|\bfitting\b|\beyes? roll\w* back"
    r"|\btwitch\w* (?:rhythmic\w*|all over)|\b(?:arms|legs) (?:\w+ ){0,2}twitch\w* rhythmic\w*"
    r"|\bjerk\w*[^.?!]{0,30}\b(?:stiff|respon\w*)|\bstiff\w*[^.?!]{0,30}\bjerk\w*|\bshaking all over\b"
)
UNRESPONSIVE = _seen(
    r"\bfloppy\b|\blimp\b|\bunresponsive\b|\bnot respon\w*|\b(?:won'?t|wont|wouldn'?t|doesn'?t) respond\b"
    r"|\b(?:hard|difficult|impossible) to wake\b|\b(?:won'?t|wont|can'?t|cannot|not) wak\w*"
    r"|\blethargic\b|\bbarely (?:opens?|opening) (?:his|her|their) eyes\b|\bbarely awake\b"
)
_RASH_WORD = r"\b(?:rash\w*|spots|dots|marks|blotches|bruis\w*|petechia\w*|purpura)\b"
RASH = _all(
    _seen(_RASH_WORD),
    _seen(
        r"\bglass\b|\bnon-? ?blanch\w*|\b(?:doesn'?t|does not|not) blanch|\bnot fading\b"
        r"|\b(?:do|does|did|wo|would|will|ca)(?:n'?t|nt| not) (?:fade|go(?: away)?|disappear)\b"
        r"|\bstay\w* when (?:you |i )?press|\bpurpl\w*"
    ),
)
GREEN_VOMIT = _seen(
    r"\bgreen\b[^.?!]{0,30}\b(?:vom\w*|sick|bile|throw\w*|threw|puk\w*|spit\w*|spew\w*)"
    r"|\b(?:vom\w*|sick|throw\w* up|threw up|puk\w*|spit\w* up|spew\w*)[^.?!]{0,30}\bgreen\b"
    r"|\bbilious\b"
)
_INFECTION = _seen(
    r"\bmastitis\b|\b(?:breast|boob)s?\b|\binfect\w*|\bpost-?partum\b|\bafter (?:the )?birth\b"
    r"|\bc-? ?section\b|\bfever\b|\btemp\w*|\bsepsis\b"
)
SEPSIS = _any(
    _seen(
        r"\b(?:have|has|got|getting|developing|signs of|symptoms of|could be|might be|is it)\s+"
        r"(?:\w+\s+)?(?:sepsis|septic)\b"
    ),
    _all(
        _INFECTION,
        _seen(
            r"\b(?:shak\w*|shiver\w*) uncontrollabl\w*|\buncontrollabl\w* (?:shak\w*|shiver\w*)"
            r"|\bcan'?t stop (?:shaking|shivering)|\b(?:heart|pulse) (?:is |was |keeps )?(?:racing|pounding)"
            r"|\bracing (?:heart|pulse)|\bconfus\w*|\bmottled\b|\bgo(?:ing|nna) to die\b|\bslurr\w*"
            r"|\bhaven'?t (?:peed|weed|wee'?d|urinated|passed urine)|\bno urine\b"
            r"|\b(?:feel|feeling|am|'m|im) (?:really |very |extremely |so )+(?:unwell|ill)\b"
        ),
    ),
)
_NAPPY = r"(?:nappies|nappy|diapers?)"
_FEW = r"(?:one|1|two|2|three|3)"
# A number or "none", not "a few": 1–2 wet nappies a day is normal in the first two days.
FEW_WET_NAPPIES = _seen(
    rf"\b(?:no|zero|0|hardly any|barely any|not (?:had )?(?:a|any)|hasn'?t (?:had |done )?(?:a|any)"
    rf"|(?:only|just) (?:had |done )?{_FEW})\s+(?:wet\s+)?{_NAPPY}"
    rf"|\b{_NAPPY} (?:have been |has been |are |is |been |were |was )?(?:bone )?dry\b"
    rf"|\bdry {_NAPPY}"
)
NO_WEE = _seen(
    r"\b(?:hasn'?t|has not|hasnt|not|no) (?:had |done )?(?:a |any )?(?:wee\w*|pee\w*|urin\w*)"
    r"|\b(?:seems|looks|getting|got|gotten|became) (?:very |really |a bit )?dehydrated\b"
    r"|\bsigns of dehydration\b"
)
SUNKEN = _seen(
    r"\bsunken\b[^.?!]{0,20}\b(?:soft spot|fontanel\w*|eyes)|\b(?:soft spot|fontanel\w*|eyes)\b"
    r"[^.?!]{0,20}\bsunken\b"
)
# Not feeding at all (NHS, IMCI), not a fussy feed: refusing the breast or a bottle counts only
# when it is everything ("breast and bottle", "any milk") or lasts ("all day", "since", "7 hours").
NOT_FEEDING = _seen(
    r"\brefus\w* (?:to )?(?:all |every |any |his |her |their )?"
    r"(?:feed\w*|eat\w*|drink\w*|nurs\w*|breastfeed\w*|milk|food)"
    r"|\b(?:stopped|stops|stopping|not|isn'?t|is not) (?:\w+ )?(?:feeding|eating|drinking|nursing)\b"
    r"|\b(?:won'?t|wont|will not|wouldn'?t) (?:feed|eat|drink|nurse)\b"
    r"|\boff (?:his|her|their|the|all) (?:feeds?|food|milk)\b"
    r"|\b(?:hasn'?t|has not|not|barely|hardly) (?:been )?(?:fed|eaten|nursed|feeding|eating)\b"
    r"|\bnot interested in (?:feeding|feeds|the breast|boob|milk|food|eating)"
    r"|\btoo (?:weak|sleepy|tired|floppy) to (?:feed|suck|eat|nurse|latch)"
)
TURNS_AWAY = _seen(
    r"\b(?:refus\w*|won'?t (?:take|have)|wont (?:take|have)|not taking|doesn'?t want|will not take)\b"
    r"[^.?!]{0,20}\b(?:breast|boob|bottles?|milk|feeds?|feed)\b"
)
EVERYTHING_OR_LONG = _seen(
    r"\bat all\b|\ball day\b|\bcompletely\b|\bany (?:milk|feeds?)\b|\bevery (?:feed|bottle)|\bsince\b"
    r"|\b\d+ ?(?:hours?|hrs?)\b|\ball (?:night|morning|afternoon)\b"
    r"|\b(?:breast|boob)s? (?:and|or|nor) (?:the |a )?bottle"
    r"|\bbottles? (?:and|or|nor) (?:the )?(?:breast|boob)"
)
JAUNDICE = _seen(
    r"\bjaundic\w*|\byellow(?:ish)? (?:skin|eyes)\b"
    r"|\b(?:skin|eyes|face)\b[^.?!]{0,25}\byellow"
    r"|\b(?:look\w*|turn\w*|go(?:ne|ing)?|went|is|very|quite|really|so|still|getting)\s+"
    r"(?:very |quite |really |so |a bit |more |already )?yellow\b"
)
JAUNDICE_DANGER = _seen(
    r"\b(?:sleepy|drowsy|lethargic)\b|\b(?:hard|difficult) to wake\b|\bsleep\w* all (?:the time|day)\b"
    r"|\b(?:won'?t|can'?t|doesn'?t|not) stay\w* awake\b|\b(?:1|one) day old\b"
    r"|\bfirst day\b|\bday (?:one|1)\b|\bfirst 24\b|\bborn (?:yesterday|today|this morning|last night)\b"
    r"|\b\d+ (?:hours?|hrs?) old\b|\b(?:less than|under) (?:a day|24 ?h)"
    r"|\b(?:pale|white|chalky|grey|gray) (?:poo|poop|stools?)\b|\b(?:poo|poop|stools?) (?:is |are |looks? )?"
    r"(?:pale|white|chalky)\b|\bdark (?:urine|wee|pee)\b"
)
BREAST = _seen(r"\b(?:breasts?|boobs?|boobies|tits?|nipples?|mastitis)\b")
BREAST_SIGN = _seen(
    r"\b(?:red|redness|reddish|red-hot|hot|warm|swollen|swelling|lump\w*|hard|inflamed|mastitis|painful|"
    r"pain|sore|tender|wedge)\b"
)
SORE_BREAST = _all(BREAST, BREAST_SIGN)  # then a fever is most likely the mother's
# Thoughts of suicide or self-harm, of harming the baby, or psychosis (NHS, NICE CG192). Harm to the
# baby counts only as a thought, an urge or a picture in the mind: "will ibuprofen hurt my baby" asks
# about a medicine; "this baby is killing me" is a tired parent.
_HARM = r"(?:hurt\w*|harm\w*|kill\w*|smother\w*|shak(?:e|ing)|drown\w*|throw\w*)"
_THE_BABY = r"(?:my |the |our )?(?:baby|babe|bub|lo|son|daughter|newborn|him|her)\b"
_THOUGHT = (
    r"(?:thoughts?|thinking|urges?|intrusive|scared|afraid|terrified|picturing|imagining|images? of"
    r"|flashes of|visions? of)"
)
MENTAL_CRISIS = _seen(
    r"\bsuicid\w*|\bself[- ]?harm\w*|\b(?:kill\w*|hurt\w*|harm\w*|cut\w*) my ?self\b"
    r"|\b(?:want\w*|wish\w*|going|ready) to die\b|\bend (?:it all|my life|things)\b"
    r"|\b(?:don'?t|do not|dont) want to (?:be here|live|be alive|wake up)\b"
    r"|\b(?:go to sleep|fall asleep|sleep) and (?:not|never) wake up\b"
    r"|\bbetter off without me\b|\bcan'?t go on\b"
    rf"|\b{_THOUGHT} (?:\w+ ){{0,4}}(?:{_HARM} {_THE_BABY}|hold\w* {_THE_BABY} under)"
    rf"|\bfeel (?:like )?i (?:might|could|will|'?ll|am going to|'?m going to) {_HARM}"
    r"|\bhear\w* (?:a |the )?voices?\b|\bseeing things (?:that )?(?:aren'?t|are not|that are not) there\b"
    r"|\b(?:talks?|talking|speaks?|speaking|voices?) (?:\w+ ){0,3}(?:in|inside) (?:my|her) head\b"
    r"|\bsee\w* shadows\b|\bpsychosis\b"
)
LUMP_STAYS = _all(
    _seen(r"\blumps?\b"),
    _seen(
        r"\b(?:isn'?t|is not|not|won'?t|wont|doesn'?t|does not|hasn'?t|has not|never) (?:\w+ )?"
        r"(?:going|go|gone|went)(?: away| down)?\b|\bstill there\b"
        r"|\b(?:getting|got|growing|grown) (?:bigger|larger)\b"
        r"|\b(?:hasn'?t|hasnt|has not|not|doesn'?t|isn'?t|won'?t) (?:\w+ )?"
        r"(?:shrunk|shrinking|shrink|changed|budged)\b"
        r"|\b(?:for|over|after|since|about) (?:\w+ )?(?:weeks?|months?)\b"
    ),
)
RED_STREAKS = _seen(r"\bred (?:streaks?|lines?|stripes?)\b|\bstreak\w*")
FEELING_ILL = _any(
    _fever(FEVER_WORD), _seen(r"\bchills\b|\bshiver\w*|\bflu\b|\bflu-?like\b|\bach(?:es|y|ing)\b|\brigors?\b")
)

# Words that look like a sign but are about something else, taken out before the signs are read.
_NOT_SIGNS = compile_ci(
    r"\bfever blisters?\b"
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
        _all(BABY, BLUE),
    ),
    Sign(
        "baby-breathing",
        "⚠️ A baby struggling to breathe (grunting, fast or hard breathing, ribs sucking in, pauses) is "
        f"an emergency: {_EMERGENCY}",
        _all(BABY, BREATHING_TROUBLE),
    ),
    Sign("baby-seizure", f"⚠️ A fit or seizure in a baby is an emergency: {_EMERGENCY}", _all(BABY, SEIZURE)),
    Sign(
        "baby-unresponsive",
        f"⚠️ A baby who is floppy, unresponsive or very hard to wake is an emergency: {_EMERGENCY}",
        _all(BABY, UNRESPONSIVE),
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
        _all(BABY, GREEN_VOMIT),
    ),
    Sign(
        "mother-sepsis",
        "⚠️ An infection with shivering you cannot stop, a racing heart, confusion, mottled skin or "
        f"feeling very unwell can be sepsis: {_EMERGENCY}",
        SEPSIS,
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
        _all(BABY, FEVER, lambda text: not (MOTHERS_FEVER(text) or SORE_BREAST(text))),
    ),
    Sign(
        "baby-dehydration",
        f"⚠️ Few or no wet nappies (diapers) or a sunken soft spot can mean a baby is dehydrated: {_NOW}",
        _any(FEW_WET_NAPPIES, SUNKEN, _all(BABY, NO_WEE)),
    ),
    Sign(
        "baby-not-feeding",
        f"⚠️ A baby who refuses feeds or is not feeding needs checking: {_NOW}",
        _all(BABY, _any(NOT_FEEDING, _all(TURNS_AWAY, EVERYTHING_OR_LONG))),
    ),
    Sign(
        "baby-jaundice",
        "⚠️ Yellow skin or eyes in a baby who is very sleepy, has pale poo, or is under a day old needs "
        "checking: contact your midwife or doctor now, today.",
        _all(JAUNDICE, JAUNDICE_DANGER),
    ),
    Sign(
        "breast-red-streaks",
        "⚠️ Red streaks spreading from a sore breast can mean the infection is spreading: contact your "
        "doctor or midwife today.",
        _all(BREAST, RED_STREAKS),
    ),
    Sign(
        "breast-infection",
        "⚠️ A red, painful breast with a fever, chills or flu-like aches can be mastitis that needs "
        "treatment: contact your doctor or midwife today (emergency services if you feel very unwell).",
        _all(BREAST, BREAST_SIGN, FEELING_ILL),
    ),
    Sign(
        "breast-lump",
        "⚠️ A breast lump that does not go away after a few days of feeding, or keeps growing, should "
        "be checked: book an appointment with your doctor today.",
        _all(BREAST, LUMP_STAYS),
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
