"""The pieces of a mother's warning signs (:data:`knowledge.safety.SIGNS`): her own fever, sepsis, heavy
bleeding, pre-eclampsia, a blood clot, a breast that is infected or has a lump that stays, and a mind
in crisis."""

from __future__ import annotations

from .sign_patterns import FEVER_WORD, all_of, any_of, fever, none_of, seen

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
BREAST = seen(r"\b(?:breasts?|boobs?|boobies|tits?|nipples?|mastitis|(?:milk |blocked |clogged )ducts?)\b")
BREAST_SIGN = seen(
    r"\b(?:red|redness|reddish|red-hot|hot|warm|swollen|swelling|lump\w*|hard|inflamed|mastitis|painful|"
    r"pain|sore|tender|wedge)\b"
)
SORE_BREAST = all_of(BREAST, BREAST_SIGN)  # then a fever is most likely the mother's
# Thoughts of suicide or self-harm, of harming the baby, or psychosis (NHS, NICE CG192). Harm to the
# baby counts only as a thought, an urge or a picture in the mind: "will ibuprofen hurt my baby" asks
# about a medicine; "this baby is killing me" is a tired parent.
_HARM = r"(?:hurt\w*|harm\w*|kill\w*|smother\w*|shak(?:e|ing)|drown\w*|throw\w*|(?:a )?pillow over)"
_THE_BABY = r"(?:my |the |our )?(?:baby|babe|bub|lo|son|daughter|newborn|him|her)\b"
_THOUGHT = (
    r"(?:thoughts?|thinking|urges?|intrusive|scared|afraid|terrified|picturing|imagining|images? of"
    r"|pictures?|flashes of|visions? of)"
)
MENTAL_CRISIS = seen(
    r"\bsuicid\w*|\bself[- ]?harm\w*|\b(?:kill\w*|hurt\w*|harm\w*|cut\w*) my ?self\b"
    r"|\b(?:want\w*|wish\w*|going|ready) to die\b|\bend (?:it all|my life)\b"
    r"|\b(?:don'?t|do not|dont) want to (?:be here|live|be alive|wake up)\b"
    r"|\b(?:go to sleep|fall asleep|sleep) and (?:not|never) wake up\b"
    r"|\bbetter off without me\b|\bcan'?t go on\b"
    rf"|\b{_THOUGHT} (?:\w+ ){{0,4}}(?:{_HARM} {_THE_BABY}|hold\w* {_THE_BABY} under)"
    rf"|\bfeel (?:like )?i (?:might|could|will|'?ll|am going to|'?m going to) {_HARM}"
    r"|\bhear\w* voices\b|\bhear\w* (?:a |the )?voices? (?:saying|telling|that says|that tells)\b"
    r"|\bseeing things (?:that )?(?:aren'?t|are not|that are not) there\b"
    r"|\b(?:talks?|talking|speaks?|speaking|voices?) (?:\w+ ){0,3}(?:in|inside) (?:my|her) head\b"
    r"|\bsee\w* shadows\b|\bpsychosis\b|\bstop existing\b"
    # "i wish i could just disappear and not exist", not "the file does not exist"
    r"|\bi (?:just )?(?:want|wish|wanted|would like|'?d like) (?:\w+ ){0,5}(?:to )?"
    r"(?:not|stop|cease to|never) exist"
    r"|\bcutting (?:my |me )?(?:arms?|wrists?|legs?|thighs?|skin)\b"
)
# Mania after birth, a sign of postpartum psychosis (NHS): days without sleep and feeling elated.
_MANIA = all_of(
    seen(r"\b(?:haven'?t|havent|not|hardly|barely) slept (?:in|for) (?:\w+ )?(?:days|nights)\b"),
    seen(
        r"\bamazing\b|\binvincible\b|\bspecial (?:purpose|mission|powers?)\b|\bon top of the world\b"
        r"|\bnever felt better\b|\bunderstand everything\b|\bchosen\b"
    ),
)
# Said without saying it (NHS, Samaritans: warning signs of suicide): giving things away, goodbye
# letters, putting pills by, a place that would be "easy"; and a baby taken for someone else's, or
# confusion about the day or the baby, in the days after birth (postpartum psychosis).
_SAID_WITHOUT_SAYING = any_of(
    seen(
        r"\bgiv\w* away (?:all )?(?:of )?(?:my|her) (?:stuff|things|belongings|possessions|jewel\w*)"
        r"|\bknows? (?:that )?(?:i|she|mummy|mommy|mum|mom) (?:loved?|loves)\b"
        r"|\b(?:saving|stockpiling|hoarding|collecting|stashing|counting) (?:up )?(?:all )?(?:my |her |the )?"
        r"(?:meds|pills|tablets|medication|painkillers)\b"
        r"|\bhow easy it would be(?:\s*[.,!]|\s*$| for me\b)"
        r"|\b(?:talking|whispering|speaking) to (?:someone|somebody|people|no ?one) (?:who|that) "
        r"(?:isn'?t|is not|wasn'?t|aren'?t) there\b"
        r"|\b(?:didn'?t|doesn'?t|did not|does not) (?:know|recogni[sz]e) "
        r"(?:what day|where (?:she|i) (?:was|is|am)|who (?:i|he|the baby) (?:was|is|am)"
        r"|(?:her|my|the|our) (?:own )?baby)"
        r"|\b(?:swapped|switched) (?:my |the |our )?bab(?:y|ies)"
        r"|\bbab(?:y|ies) (?:was |were |got |has been )?"
        r"(?:swapped|switched)"
    ),
    all_of(
        seen(r"\bbab(?:y|ies)\b"),
        seen(
            r"\b(?:isn'?t|is not|not|aren'?t) (?:really |actually )?(?:mine|ours|my (?:real )?baby)\b"
            r"|\b(?:don'?t|do not) (?:think|believe) (?:\w+ ){0,8}(?:is|are) (?:really )?(?:mine|ours)\b"
        ),
    ),
    all_of(
        seen(r"\b(?:wrote|writing|written|write) (?:\w+ ){0,2}(?:letters?|notes?|goodbyes?) (?:to|for)\b"),
        seen(r"\bjust in case\b|\bgoodbye\b|\bwhen i'?m gone\b|\bin case (?:something|anything) happens\b"),
    ),
)
MENTAL_CRISIS = any_of(MENTAL_CRISIS, _MANIA, _SAID_WITHOUT_SAYING)
LUMP_STAYS = all_of(
    seen(r"\blump(?:s|y)?\b"),
    seen(
        r"\b(?:isn'?t|is not|not|won'?t|wont|doesn'?t|does not|hasn'?t|has not|never) (?:\w+ )?"
        r"(?:going|go|gone|went)(?: away| down)?\b|\bstill there\b"
        r"|\b(?:getting|got|growing|grown) (?:bigger|larger)\b"
        r"|\b(?:hasn'?t|hasnt|has not|not|doesn'?t|isn'?t|won'?t) (?:\w+ )?"
        r"(?:shrunk|shrinking|shrink|change|changed|budged)\b|\bstill (?:exactly )?the same\b"
        r"|\b(?:for|over|after|since|about|past) (?:\w+ )?(?:weeks?|months?)\b"
        r"|\b(?:for|over|after|past) (?:about )?(?:[7-9]|1\d|\d\d|seven|eight|nine|ten|several) days\b"
        r"|\bsince (?:before |last |early |mid )?(?:christmas|easter|january|february|march|april|may"
        r"|june|july|august|september|october|november|december|last (?:week|month))\b"
        r"|\b(?:stuck in place|fixed in place|doesn'?t move|does not move|won'?t move)\b"
    ),
)
# A nipple newly turned in, or dimpled skin over the breast (NHS, "Breast lumps"), is checked too.
LUMP_STAYS = any_of(
    LUMP_STAYS,
    seen(r"\bnipples? (?:\w+ ){0,4}(?:turn\w* in\w*|invert\w*|pull\w* in|sunk\w*)|\bdimpl\w*"),
)
RED_STREAKS = seen(r"\bred (?:streaks?|lines?|stripes?)\b|\bstreak\w*")
FEELING_ILL = any_of(
    fever(FEVER_WORD), seen(r"\bchills\b|\bshiver\w*|\bflu\b|\bflu-?like\b|\bach(?:es|y|ing)\b|\brigors?\b")
)
# Heavy bleeding after birth (postpartum haemorrhage): a pad soaked in an hour or less, big clots,
# bleeding that gets heavier or comes with feeling faint (NHS, RCOG). A cracked nipple that bleeds is
# not it.
_PAD_AN_HOUR = seen(
    r"\bpads?\b[^.?!]{0,40}\b(?:an?|every|each|per|within|in|under|less than|half) "
    r"(?:about |around |like |roughly |under |less than )?(?:an? |half an? |\d+ ?)?"
    r"(?:hour|hr|h|minutes|mins?)\b"
    r"|\b(?:soak\w*|fill\w*|through|bled through)\b[^.?!]{0,20}\bpads?\b"
)
_BIG_CLOTS = seen(
    r"\bclots?\b[^.?!]{0,40}\b(?:golf ?ball|plum|lemon|egg|fist|palm|tennis ball|orange|huge|massive|"
    r"big|large|giant)\b|\b(?:golf ?ball|plum|lemon|egg|fist|palm|huge|massive|big|large|giant)"
    r"(?:[- ]sized?)? (?:blood )?clots?\b"
)
_HEAVIER = seen(
    r"\b(?:heavier|getting worse|worse and worse|more and more|gush\w*|pouring|won'?t stop|not stopping"
    r"|doesn'?t stop|bright red again|back to bright red)\b"
)
_FAINT = seen(
    r"\bfaint\w*|\bdizz\w*|\blight-?headed\b|\bpass(?:ing|ed)? out\b|\bblack(?:ing|ed)? out\b"
    r"|\bheart (?:is |was |keeps )?(?:racing|pounding)|\bracing heart\b"
)
HEAVY_BLEEDING = any_of(
    all_of(_PAD_AN_HOUR, none_of(seen(r"\b(?:breast|nursing|feeding|bra) pads?\b"))),
    _BIG_CLOTS,
    all_of(
        seen(r"\b(?:bleed\w*|blood|lochia|clots?)"), none_of(seen(r"\bnipples?\b")), any_of(_HEAVIER, _FAINT)
    ),
)
# Pre-eclampsia, which can come up to six weeks after birth (NHS, NICE NG133): a bad headache that
# painkillers do not touch, blurred vision or flashing lights, sudden swelling of the face or hands,
# pain under the ribs.
_PREGNANT_OR_AFTER = seen(
    r"\bpregnan\w*|\bweeks? (?:pregnant|along)\b|\bpp\b|\bpost-?partum\b|\bpost-?natal\b|\bc-? ?section\b"
    r"|\bafter (?:the |my )?(?:birth|delivery|baby|c-? ?section)|\bpost baby\b|\bgave birth\b|\bdelivered\b"
    r"|\bnewborn\b|\bbreastfeed\w*|\bbf\b|\bebf\b|\bnursing\b|\b(?:my|had) (?:baby|lo|bub)\b|\btrimester\b"
)
_HEADACHE = seen(r"\bhead ?aches?\b|\bmigraines?\b|\bhead (?:is )?(?:pounding|throbbing|splitting|killing)")
_PAINKILLER = r"(?:paracetamol|painkillers?|tylenol|acetaminophen|ibuprofen|advil|nurofen|co-?codamol|meds)"
_HEADACHE_BAD = seen(
    r"\b(?:won'?t|wont|doesn'?t|does not|not|isn'?t|nothing) (?:\w+ ){0,2}"
    r"(?:go(?:ing)?|go away|shift\w*|budg\w*|help\w*|touch\w*|work\w*|easing|stopping)\b"
    r"|\b(?:worst|severe|terrible|awful|crushing|splitting|pounding|blinding|unbearable|really bad|so bad)\b"
    rf"|\b(?:even )?after (?:\w+ ){{0,3}}{_PAINKILLER}"
    rf"|\b{_PAINKILLER} (?:\w+ ){{0,3}}(?:did nothing|not working)"
    r"|\b(?:bp|blood pressure)\b (?:\w+ ){0,3}(?:high|up|raised)\b"
)
_VISION = seen(
    r"\bblurr\w* (?:vision|eyes|sight)\b|\b(?:vision|eyes|sight) (?:\w+ ){0,3}"
    r"(?:blurr\w*|fuzzy|weird|funny|going|spotty|off|strange)\b|\bflash\w* (?:of )?lights?"
    r"|\bseeing (?:spots|stars|sparkles|zig-?zags|floaters)"
    r"|\bspots (?:in|before) (?:my )?(?:eyes|vision)|\bzig-?zag"
)
_SWELLING = seen(
    r"\b(?:face|hands?|fingers|feet|ankles|eyes|eyelids|legs)\b (?:\w+ ){0,3}"
    r"(?:swollen|swelled|puff\w*|swelling|ballooned)|\b(?:swollen|puffy|puffed up) (?:\w+ ){0,2}"
    r"(?:face|hands?|fingers|eyes)\b|\bswelling (?:\w+ ){0,3}(?:face|hands|fingers)\b"
    r"|\bcan'?t get my rings? off\b"
)
_RIB_PAIN = seen(
    r"\b(?:under|below|beneath) (?:my |the )?(?:right )?(?:ribs?\b|rib ?cage)"
    r"|\bupper (?:right )?(?:tummy|stomach|abdomen|belly)"
)
PRE_ECLAMPSIA = all_of(
    _PREGNANT_OR_AFTER,
    any_of(
        _VISION,
        all_of(_HEADACHE, any_of(_HEADACHE_BAD, _SWELLING, _RIB_PAIN)),
        all_of(_SWELLING, any_of(_RIB_PAIN, seen(r"\bsudden\w*|\bovernight\b|\bout of nowhere\b"))),
        all_of(_RIB_PAIN, seen(r"\bpain\w*|\bhurt\w*|\bache\w*|\bsore\b")),
    ),
)
# A blood clot after birth (NHS: DVT, pulmonary embolism): pain, swelling or warmth in one leg; chest
# pain, sudden breathlessness or coughing blood.
_LEG = seen(r"\b(?:calf|calves|leg|legs|thigh|shin)\b")
_ONE_LEG = seen(
    r"\b(?:one|left|right|my) (?:calf|leg|thigh)\b|\bone of my (?:legs|calves)"
    r"|\bonly (?:the |my )?(?:left|right|one)"
)
_LEG_SIGN = seen(
    r"\b(?:swollen|swelling|swelled|puffy|hot|warm|red|redness|tender|throbbing|hard|tight|pain\w*|hurts?"
    r"|sore|aching|cramp\w*)\b"
)
_BREATHLESS = (
    r"(?:breathless|short of breath|can'?t (?:catch my |get a (?:full |deep )?)?breath\w*|out of breath)"
)
_CHEST = seen(
    r"\bchest (?:\w+ ){0,2}(?:pain|hurts?|tight\w*|pressure|sharp|stabbing)"
    r"|\b(?:pain|tight\w*|pressure) in (?:\w+ ){0,4}chest|\bcough\w* (?:up )?(?:some |a bit of |a little )?"
    r"(?:blood|red)|\bblood (?:when|in) (?:i )?cough"
    rf"|\b(?:sudden\w*|out of nowhere)\b[^.?!]{{0,30}}\b{_BREATHLESS}"
    rf"|\b{_BREATHLESS}[^.?!]{{0,30}}\b(?:sudden\w*|out of nowhere|just (?:walking|sitting|lying))"
)
BLOOD_CLOT = any_of(
    all_of(_LEG, _ONE_LEG, _LEG_SIGN, none_of(seen(r"\bcramps? at night\b|\bnight cramps?\b"))),
    all_of(_LEG, seen(r"\b(?:swollen|swelling|puffy)\b"), seen(r"\b(?:hot|warm|red|redness|tender|hard)\b")),
    _CHEST,
)
