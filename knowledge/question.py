"""A member's question made ready for the pipeline: cleaned once, with the notices that cleaning
raised, and split into the content words that the evidence is judged on."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .chunking import sentence_spans
from .errors import QuestionError
from .notices import Code, Notice
from .text import STOP_WORDS, stem, tokens

MAX_QUESTION_CHARS = 1_000

# Words that say what kind of answer is wanted rather than what it is about ("explain the ...",
# "tell me about ..."): they carry no evidence either way.
QUESTION_WORDS = frozenset(
    [
        "explain",
        "tell",
        "describe",
        "mean",
        "means",
        "meaning",
        "define",
        "definition",
        "know",
        "please",
        "thing",
        "things",
        "happen",
        "happens",
        "exactly",
        "actually",
        "really",
        "basically",
        "difference",
        "differ",
        "differs",
        "vs",
        "versus",
        "example",
        "examples",
        "info",
        "information",
        "question",
        "answer",
        "wonder",
        "wondering",
        "kind",
        "kinds",
        "type",
        "types",
        "way",
        "ways",
        "look",
        "looks",
        "like",
        "article",
        "paper",
        "study",
        "document",
        "page",
        "text",
        "source",
        "sources",
    ]
)
# Chat filler: greetings, text-speak and hedges that members put around a question on Discord
# ("pls", "tbh", "imo", "tia", "like immune wise"). They say nothing about the subject, and
# as words the knowledge base has never seen they would otherwise weigh against the answer.
QUESTION_WORDS |= frozenset(
    [
        "hi",
        "hiya",
        "hey",
        "thanks",
        "thx",
        "pls",
        "plz",
        "lol",
        "tbh",
        "idk",
        "btw",
        "ppl",
        "wat",
        "whats",
        "im",
        "ive",
        "ok",
        "okay",
        "just",
        "simply",
        "plain",
        "words",
        "stuff",
        "wise",
        "bit",
        "kinda",
        "sorta",
        "anyone",
        "someone",
        "confused",
        "tl",
        "dr",
        "tldr",
        "hello",
        "guys",
        "folks",
        "quick",
        "qq",
        "curious",
        "ur",
        "rn",
        "ngl",
        "imo",
        "imho",
        "afaik",
        "iirc",
        "fyi",
        "omg",
        "ty",
        "tia",
    ]
)
# Text-speak spellings of words that carry no subject ("cuz i read abt it", "or smth", "tho"): they
# are function words, only shorter, and as unknown words they would weigh as the rarest term. Ones
# that are also words of some documents' own ("def", "cos", "atm", "esp") are left alone.
QUESTION_WORDS |= frozenset(
    [
        "cuz",
        "coz",
        "bc",
        "bcuz",
        "abt",
        "tho",
        "altho",
        "smth",
        "sth",
        "smthn",
        "b4",
        "wut",
        "dunno",
        "gonna",
        "wanna",
        "gotta",
        "ya",
        "yeah",
        "yep",
        "yup",
        "nope",
        "probs",
        "tbf",
        "fwiw",
        "jk",
        "lemme",
        "alot",
        "obvs",
        "ofc",
        "nvm",
        "lmk",
        "um",
        "uh",
        "ugh",
        "hmm",
    ]
)


# Marks that end, quote or bracket a sentence, and spaces: what is left of a question once its words go.
_PROSE_MARKS = frozenset(" .,;:!?'\"()")


def clean_question(question: str) -> tuple[str, list[Notice]]:
    """Control characters out, whitespace collapsed, length capped. Raises QuestionError if empty."""
    notices: list[Notice] = []
    text = "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} else ch for ch in question)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("Please type a question: the one received was empty.")
    if not any(ch.isalnum() or (ch.isascii() and ch not in _PROSE_MARKS) for ch in text):
        # Emoji and punctuation alone ("🤱❓", "??") name nothing to look up; "{{" or "~" may (docs).
        raise QuestionError("Please ask in words: that question has no words to look up.")
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUESTION_CHARS]
        notices.append(Notice(Code.SHORTENED, length=len(question), kept=MAX_QUESTION_CHARS))
    return text, notices


@dataclass(frozen=True)
class Question:
    """A cleaned question: ``text`` is what is answered, ``notices`` say what cleaning changed
    (a shortened question). Make one with :meth:`parse`."""

    text: str
    notices: tuple[Notice, ...] = ()

    @classmethod
    def parse(cls, question: str) -> Question:
        """Clean ``question``; raises :class:`QuestionError` when nothing is left to ask."""
        text, notices = clean_question(question)
        return cls(text, tuple(notices))


# Question words in any form: "explained", "describes", "examples" say no more than "explain".
_QUESTION_STEMS = frozenset(stem(word) for word in QUESTION_WORDS)


# Asking for a plain explanation, in phrases whose words mean something elsewhere ("terms",
# "english", "nutshell"): the phrase goes, not the words.
_PLAIN_TERMS = re.compile(
    r"\b(?:in\s+(?:simple|plain|easy|layman'?s?|lay|basic|normal|everyday|ordinary|regular)\s+"
    r"(?:terms|english|language|words|speak)"
    r"|like\s+i'?\s*a?m\s+(?:five|5)|eli5|for\s+dummies|in\s+a\s+nutshell)\b",
    re.IGNORECASE,
)


# A request that opens a sentence ("list the parts of ...", "can you name the cells ...") says what
# kind of answer is wanted; elsewhere "list" or "name" may be what a question is about ("a numbered
# list in Markdown").
_REQUEST = re.compile(
    r"(?:^|(?<=[.!?]\s))\s*(?:(?:can|could|would) (?:you|u|someone|anyone|somebody|anybody) |pls |please )?"
    r"(?:list|name|give me|show me)\b",
    re.IGNORECASE,
)


# How a claim is put up for checking ("true or false: ...", "is it a myth that ...", "... is that
# actually true?", "am i doing something wrong"), what a purpose or a cause is asked with ("whats the
# point of skin to skin", "is there a reason for that in terms of the immune system") and when, in
# passing ("first time mum here", "sore all the time"): what is asked about is around them.
_FRAMING = re.compile(
    r"\btrue or false\b|\b(?:fact or (?:myth|fiction)|myth or fact)\b"
    r"|\bis (?:it|this) (?:true|a myth) that\b|\bwhat(?:'?s| is) the point of\b"
    r"|\b(?:is|was) (?:that|this|it|she|he) (?:actually |really |even |just )?(?:true|right|correct|a myth)\b"
    r"|\b(?:am i|are we) doing (?:something|anything|it) wrong\b|\bwhat am i (?:doing wrong|missing)\b"
    r"|\bwho(?:'?s| is) right\b|\b(?:any )?truth (?:to|in) (?:that|this|it)\b"
    r"|\b(?:first|all the|every|at the same|this|last|next) time\b"
    r"|\bin terms of\b|\bis there a reason\b|\bthe reason (?:for|why)\b",
    re.IGNORECASE,
)


def content_words(text: str) -> list[str]:
    """The words of ``text`` that say what it is about: no stop words, no question words (in any
    inflection), no asking for it in plain terms or by a request that opens a sentence, no "true or
    false" around a claim, "what's the point of" or "all the time", no repeats."""
    for framing in (_FRAMING, _REQUEST, _PLAIN_TERMS):
        text = framing.sub(" ", text)
    return [
        t
        for t in dict.fromkeys(tokens(text))
        if t not in STOP_WORDS and t not in QUESTION_WORDS and stem(t) not in _QUESTION_STEMS
    ]


# A question asked without a question mark: "I was wondering how ...", "can someone explain why ...",
# "I'd love to understand what ...", "curious about ...".
_ASKS_INDIRECTLY = re.compile(
    r"\b(?:wonder(?:ing|ed)?|curious|explain|know|understand|find out)\b"
    r".*\b(?:how|why|what|whether|if|where|when|which|who|about)\b",
    re.IGNORECASE,
)


# Members often start a sentence in lower case ("my baby is 6 weeks old. does she still get ..."),
# which the documents' splitter does not take for a new sentence ("... the baby?? sounds gross but
# asking"); "e.g. x", "etc. and" are not breaks.
_LOWER_CASE_BREAK = re.compile(r"(?<![.\s][a-z]\.)(?<!\betc\.)(?<!\bvs\.)(?:(?<=\w\.)|(?<=[!?]))\s+(?=[a-z])")


# A sentence that opens as a question does ("whats the point of skin to skin for immunity"), its
# question mark left off.
_OPENS_A_QUESTION = re.compile(
    r"\s*(?:what|whats|what's|how|why|when|where|which|who|does|do|is|are|can|could|should|would|will|did)\b",
    re.IGNORECASE,
)


# A question word anywhere in a post ("immunity before birth vs after birth, whats the difference").
_QUESTION_WORD = re.compile(
    r"\b(?:what|whats|what's|wat|how|why|when|where|which|who|whose)\b", re.IGNORECASE
)


def asks_something(text: str) -> bool:
    """Whether a post asks in so many words: a question mark, a question word, a sentence that opens
    as a question ("does colostrum have IgA") or asks indirectly ("I was wondering ..."). "thanks,
    that worked!" or "still not working" do not; a problem report may ("TemplateNotFound when ...")."""
    if "?" in text or _QUESTION_WORD.search(text) or _ASKS_INDIRECTLY.search(text):
        return True
    return any(_OPENS_A_QUESTION.match(sentence) for sentence in _sentences(text) or [text])


def _sentences(text: str) -> list[str]:
    """A member's post as sentences, also where one starts in lower case (:data:`_LOWER_CASE_BREAK`)."""
    spans = sentence_spans(text)
    return [p.rstrip() for a, b in spans for p in _LOWER_CASE_BREAK.split(text[a:b]) if p.strip()]


def _asking(text: str) -> list[str]:
    """The sentences of a post of several sentences that ask something: those ending with "?", or
    else those that ask in so many words ("I was wondering how ...") or open as a question does;
    [] for a post of one sentence or one that asks nothing."""
    sentences = _sentences(text)
    if len(sentences) < 2:
        return []
    return [s for s in sentences if s.endswith("?")] or [
        s for s in sentences if _ASKS_INDIRECTLY.search(s) or _OPENS_A_QUESTION.match(s)
    ]


def asking_sentences(text: str) -> list[str]:
    """The sentences of a post that ask something; the whole post when it is one sentence or none of
    its sentences asks. "sounds gross but asking" after a question asks nothing."""
    return _asking(text) or [text]


def asked_sentence(text: str) -> str | None:
    """The last sentence that asks something in a post of several sentences; None for a post of one
    sentence or one that asks nothing."""
    asking = _asking(text)
    return asking[-1] if asking else None


# "How long / often / much / many ...": the question asks for an amount, and a sentence that states
# none, not even a period ("during lactation"), does not answer it, however many of its words it
# shares ("how long should I breastfeed?" -> "Postnatal immunity through breastfeeding ...").
_ASKS_AMOUNT = re.compile(r"\bhow\s+(?:long|often|much|many|frequently|soon)\b", re.IGNORECASE)
_STATES_AMOUNT = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|hundred|thousand"
    r"|once|twice|half|quarter|dozen|several|few|many|much|more|less|most|least|daily|weekly|monthly"
    r"|hourly|always|never|often|seldom|rarely|usually|until|during|throughout|while|since"
    r"|every|each|per|up\s+to|at\s+least|at\s+most|morning|evening|night|summer|winter|autumn"
    r"|(?:second|minute|hour|day|week|month|year)s?)\b",
    re.IGNORECASE,
)


def asks_for_amount(text: str) -> bool:
    """Whether a question asks how long, how often, how much or how many."""
    return bool(_ASKS_AMOUNT.search(text))


def states_amount(sentence: str) -> bool:
    """Whether a sentence states an amount, a duration or a frequency at all."""
    return bool(_STATES_AMOUNT.search(sentence))


# A question about how two things relate ("how do X and Y fit together", "what's the difference
# between X and Y", "X vs Y", "how does X relate to Y"): it is answered by the passage that speaks of
# both, not by the one that says most about either.
_ASKS_RELATION = re.compile(
    r"\b(?:fit\s+together|work\s+together|go\s+together|difference\s+between|differ(?:s|ent)?\s+from"
    r"|relat(?:e|es|ed|ion|ionship)\s+(?:to|between|with)|(?:connection|link)\s+between"
    r"|compared?\s+(?:to|with)|versus|vs\.?)(?=\W|$)",
    re.IGNORECASE,
)


def asks_relation(text: str) -> bool:
    """Whether a question asks how two things relate, differ or fit together."""
    return bool(_ASKS_RELATION.search(text))


# A post opening with a name and a colon, then the question: "numpy: how do I ...", "redis-py: can I
# ...". The name is what the question is about. An error's name opens a pasted error, not a question
# ("ValueError: No mandatory attributes ..."), so a question word must follow.
_SUBJECT_LABEL = re.compile(
    r"\A\s*([A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*)\s*:\s+"
    r"(?=(?:how|what|whats|what's|why|when|where|which|who|can|could|should|is|are|do|does|did|any"
    r"|i|my|help|pls|please)\b)",
    re.IGNORECASE,
)


def subject_label(text: str) -> str | None:
    """The name a post opens with as its subject ("numpy" of "numpy: how do i ..."), or None."""
    found = _SUBJECT_LABEL.match(text)
    return found.group(1) if found else None
