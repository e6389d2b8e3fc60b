"""The pieces of a mother's warning signs (:data:`knowledge.safety.SIGNS`): her own fever, sepsis, a
breast that is infected or has a lump that stays, and a mind in crisis."""

from __future__ import annotations

from .sign_patterns import FEVER_WORD, all_of, any_of, fever, seen

# The fever is the mother's: "I have mastitis and a fever of 39", "I'm running a temp".
MOTHERS_FEVER = seen(
    r"\b(?:i|i'?ve|ive|i'?m|im|i am)\s+(?:have\s+|had\s+|got\s+|running\s+|feel\s+|feeling\s+)?"
    r"(?:a\s+|really\s+|very\s+)?(?:high\s+)?(?:fever|feverish|temp|temperature|chills|hot)\b"
    r"|\bmy (?:temp|temperature)\b|\bmastitis\b"
)
_INFECTION = seen(
    r"\bmastitis\b|\b(?:breast|boob)s?\b|\binfect\w*|\bpost-?partum\b|\bafter (?:the )?birth\b"
    r"|\bc-? ?section\b|\bfever\b|\btemp\w*|\bsepsis\b"
)
SEPSIS = any_of(
    seen(
        r"\b(?:have|has|got|getting|developing|signs of|symptoms of|could be|might be|is it)\s+"
        r"(?:\w+\s+)?(?:sepsis|septic)\b"
    ),
    all_of(
        _INFECTION,
        seen(
            r"\b(?:shak\w*|shiver\w*) uncontrollabl\w*|\buncontrollabl\w* (?:shak\w*|shiver\w*)"
            r"|\bcan'?t stop (?:shaking|shivering)|\b(?:heart|pulse) (?:is |was |keeps )?(?:racing|pounding)"
            r"|\bracing (?:heart|pulse)|\bconfus\w*|\bmottled\b|\bgo(?:ing|nna) to die\b|\bslurr\w*"
            r"|\bhaven'?t (?:peed|weed|wee'?d|urinated|passed urine)|\bno urine\b"
            r"|\b(?:feel|feeling|am|'m|im) (?:really |very |extremely |so )+(?:unwell|ill)\b"
        ),
    ),
)
BREAST = seen(r"\b(?:breasts?|boobs?|boobies|tits?|nipples?|mastitis)\b")
BREAST_SIGN = seen(
    r"\b(?:red|redness|reddish|red-hot|hot|warm|swollen|swelling|lump\w*|hard|inflamed|mastitis|painful|"
    r"pain|sore|tender|wedge)\b"
)
SORE_BREAST = all_of(BREAST, BREAST_SIGN)  # then a fever is most likely the mother's
# Thoughts of suicide or self-harm, of harming the baby, or psychosis (NHS, NICE CG192). Harm to the
# baby counts only as a thought, an urge or a picture in the mind: "will ibuprofen hurt my baby" asks
# about a medicine; "this baby is killing me" is a tired parent.
_HARM = r"(?:hurt\w*|harm\w*|kill\w*|smother\w*|shak(?:e|ing)|drown\w*|throw\w*)"
_THE_BABY = r"(?:my |the |our )?(?:baby|babe|bub|lo|son|daughter|newborn|him|her)\b"
_THOUGHT = (
    r"(?:thoughts?|thinking|urges?|intrusive|scared|afraid|terrified|picturing|imagining|images? of"
    r"|flashes of|visions? of)"
)
MENTAL_CRISIS = seen(
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
LUMP_STAYS = all_of(
    seen(r"\blumps?\b"),
    seen(
        r"\b(?:isn'?t|is not|not|won'?t|wont|doesn'?t|does not|hasn'?t|has not|never) (?:\w+ )?"
        r"(?:going|go|gone|went)(?: away| down)?\b|\bstill there\b"
        r"|\b(?:getting|got|growing|grown) (?:bigger|larger)\b"
        r"|\b(?:hasn'?t|hasnt|has not|not|doesn'?t|isn'?t|won'?t) (?:\w+ )?"
        r"(?:shrunk|shrinking|shrink|changed|budged)\b"
        r"|\b(?:for|over|after|since|about) (?:\w+ )?(?:weeks?|months?)\b"
    ),
)
RED_STREAKS = seen(r"\bred (?:streaks?|lines?|stripes?)\b|\bstreak\w*")
FEELING_ILL = any_of(
    fever(FEVER_WORD), seen(r"\bchills\b|\bshiver\w*|\bflu\b|\bflu-?like\b|\bach(?:es|y|ing)\b|\brigors?\b")
)
