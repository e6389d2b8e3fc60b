"""The pieces of a baby's warning signs (:data:`knowledge.safety.SIGNS`), as parents describe them:
a baby (one, not babies in general), a fever, breathing, colour, fits, waking, a rash, vomit, wet
nappies, feeding and jaundice."""

from __future__ import annotations

from .sign_patterns import FEELS_HOT, FEVER_WORD, all_of, any_of, fever, seen

_AGE = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
# One baby, not babies in general ("can babies have seizures from a fever?"); "my babies lips" is
# a slip for "my baby's".
BABY = seen(
    r"\b(?:new-?born|bab+(?:y|ys|e|a|ba)|bubs?|bubba|infant|neonat\w*|little one|lo|ds|dd|"
    r"son|daughter|preemie|prem)\b|\b(?:my|our|the) (?:babies|newborns|infants)\b"
    rf"|\b{_AGE}\s*-?\s*(?:days?|d|weeks?|wks?|wk|w|months?|mos?|mo|m|hours?|hrs?)\s*-?\s*olds?\b"
    r"|\b\d+\s*(?:wo|mo|do)\b"
)
FEVER = fever(any_of(FEVER_WORD, FEELS_HOT))
BREATHING_TROUBLE = seen(
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
BLUE = seen(
    rf"\b(?:lips?|tongue|face|skin|mouth|body|colou?r)\b[^.?!]{{0,25}}\b{_BLUE}\b"
    rf"|\b(?:turn\w*|went|go(?:ne|ing|es)?|look\w*)\s+(?:a bit |very |really |quite |so |all )?{_BLUE}\b"
    rf"|\b{_BLUE} (?:lips|tongue|face|skin|around the mouth)\b"
)
SEIZURE = seen(
    r"\bseiz\w*|\bconvuls\w*|\b(?:a|having|had|has|have) fits?\b|\bfitting\b|\beyes? roll\w* back"
    r"|\btwitch\w* (?:rhythmic\w*|all over)|\b(?:arms|legs) (?:\w+ ){0,2}twitch\w* rhythmic\w*"
    r"|\bjerk\w*[^.?!]{0,30}\b(?:stiff|respon\w*)|\bstiff\w*[^.?!]{0,30}\bjerk\w*|\bshaking all over\b"
)
UNRESPONSIVE = seen(
    r"\bfloppy\b|\blimp\b|\bunresponsive\b|\bnot respon\w*|\b(?:won'?t|wont|wouldn'?t|doesn'?t) respond\b"
    r"|\b(?:hard|difficult|impossible) to wake\b|\b(?:won'?t|wont|can'?t|cannot|not) wak\w*"
    r"|\blethargic\b|\bbarely (?:opens?|opening) (?:his|her|their) eyes\b|\bbarely awake\b"
)
_RASH_WORD = r"\b(?:rash\w*|spots|dots|marks|blotches|bruis\w*|petechia\w*|purpura)\b"
RASH = all_of(
    seen(_RASH_WORD),
    seen(
        r"\bglass\b|\bnon-? ?blanch\w*|\b(?:doesn'?t|does not|not) blanch|\bnot fading\b"
        r"|\b(?:do|does|did|wo|would|will|ca)(?:n'?t|nt| not) (?:fade|go(?: away)?|disappear)\b"
        r"|\bstay\w* when (?:you |i )?press|\bpurpl\w*"
    ),
)
GREEN_VOMIT = seen(
    r"\bgreen\b[^.?!]{0,30}\b(?:vom\w*|sick|bile|throw\w*|threw|puk\w*|spit\w*|spew\w*)"
    r"|\b(?:vom\w*|sick|throw\w* up|threw up|puk\w*|spit\w* up|spew\w*)[^.?!]{0,30}\bgreen\b"
    r"|\bbilious\b"
)
_NAPPY = r"(?:nappies|nappy|diapers?)"
_FEW = r"(?:one|1|two|2|three|3)"
# A number or "none", not "a few": 1–2 wet nappies a day is normal in the first two days.
FEW_WET_NAPPIES = seen(
    rf"\b(?:no|zero|0|hardly any|barely any|not (?:had )?(?:a|any)|hasn'?t (?:had |done )?(?:a|any)"
    rf"|(?:only|just) (?:had |done )?{_FEW})\s+(?:wet\s+)?{_NAPPY}"
    rf"|\b{_NAPPY} (?:have been |has been |are |is |been |were |was )?(?:bone )?dry\b"
    rf"|\bdry {_NAPPY}"
)
NO_WEE = seen(
    r"\b(?:hasn'?t|has not|hasnt|not|no) (?:had |done )?(?:a |any )?(?:wee\w*|pee\w*|urin\w*)"
    r"|\b(?:seems|looks|getting|got|gotten|became) (?:very |really |a bit )?dehydrated\b"
    r"|\bsigns of dehydration\b"
)
SUNKEN = seen(
    r"\bsunken\b[^.?!]{0,20}\b(?:soft spot|fontanel\w*|eyes)|\b(?:soft spot|fontanel\w*|eyes)\b"
    r"[^.?!]{0,20}\bsunken\b"
)
# Not feeding at all (NHS, IMCI), not a fussy feed: refusing the breast or a bottle counts only
# when it is everything ("breast and bottle", "any milk") or lasts ("all day", "since", "7 hours").
NOT_FEEDING = seen(
    r"\brefus\w* (?:to )?(?:all |every |any |his |her |their )?"
    r"(?:feed\w*|eat\w*|drink\w*|nurs\w*|breastfeed\w*|milk|food)"
    r"|\b(?:stopped|stops|stopping|not|isn'?t|is not) (?:\w+ )?(?:feeding|eating|drinking|nursing)\b"
    r"|\b(?:won'?t|wont|will not|wouldn'?t) (?:feed|eat|drink|nurse)\b"
    r"|\boff (?:his|her|their|the|all) (?:feeds?|food|milk)\b"
    r"|\b(?:hasn'?t|has not|not|barely|hardly) (?:been )?(?:fed|eaten|nursed|feeding|eating)\b"
    r"|\bnot interested in (?:feeding|feeds|the breast|boob|milk|food|eating)"
    r"|\btoo (?:weak|sleepy|tired|floppy) to (?:feed|suck|eat|nurse|latch)"
)
TURNS_AWAY = seen(
    r"\b(?:refus\w*|won'?t (?:take|have)|wont (?:take|have)|not taking|doesn'?t want|will not take)\b"
    r"[^.?!]{0,20}\b(?:breast|boob|bottles?|milk|feeds?|feed)\b"
)
EVERYTHING_OR_LONG = seen(
    r"\bat all\b|\ball day\b|\bcompletely\b|\bany (?:milk|feeds?)\b|\bevery (?:feed|bottle)|\bsince\b"
    r"|\b\d+ ?(?:hours?|hrs?)\b|\ball (?:night|morning|afternoon)\b"
    r"|\b(?:breast|boob)s? (?:and|or|nor) (?:the |a )?bottle"
    r"|\bbottles? (?:and|or|nor) (?:the )?(?:breast|boob)"
)
JAUNDICE = seen(
    r"\bjaundic\w*|\byellow(?:ish)? (?:skin|eyes)\b"
    r"|\b(?:skin|eyes|face)\b[^.?!]{0,25}\byellow"
    r"|\b(?:look\w*|turn\w*|go(?:ne|ing)?|went|is|very|quite|really|so|still|getting)\s+"
    r"(?:very |quite |really |so |a bit |more |already )?yellow\b"
)
JAUNDICE_DANGER = seen(
    r"\b(?:sleepy|drowsy|lethargic)\b|\b(?:hard|difficult) to wake\b|\bsleep\w* all (?:the time|day)\b"
    r"|\b(?:won'?t|can'?t|doesn'?t|not) stay\w* awake\b|\b(?:1|one) day old\b"
    r"|\bfirst day\b|\bday (?:one|1)\b|\bfirst 24\b|\bborn (?:yesterday|today|this morning|last night)\b"
    r"|\b\d+ (?:hours?|hrs?) old\b|\b(?:less than|under) (?:a day|24 ?h)"
    r"|\b(?:pale|white|chalky|grey|gray) (?:poo|poop|stools?)\b|\b(?:poo|poop|stools?) (?:is |are |looks? )?"
    r"(?:pale|white|chalky)\b|\bdark (?:urine|wee|pee)\b"
)
