"""Telling a question from chatter: "thanks!", "ok", "lol" or an emoji in a thread need no answer,
and "hi" alone is a greeting, not a question the knowledge base could fail to answer."""

from __future__ import annotations

import re

# Words that make up acknowledgements, laughter and small talk; a message made only of these (and
# punctuation or emoji) is chatter. Question words are not here, so "ok but why?" is a question.
_CHATTER_WORDS = frozenset(
    re.split(
        r"\s+",
        """
    thanks thank thx thnx ty tysm tyvm cheers ta you u so much very lot lots a ok okay k kk okey
    alright all right got it cool great nice good awesome amazing perfect brilliant lovely super
    wow oh ah ahh aha yes yeah yep yup ya no nope nah sure fine lol lmao lmfao rofl haha hahaha
    hah hehe heh xd omg hmm hm mm makes sense that helps helped helpful will do bye np noted
    understood gotcha appreciate appreciated it this much love that's thats it's its was really
    """.strip(),
    )
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_THANKS = re.compile(r"\b(?:thank|thanks|thx|thnx|ty|tysm|tyvm|cheers|appreciated?)\b", re.IGNORECASE)


def _words(text: str) -> list[str]:
    """``text``'s words, lower case, with a typographic apostrophe typed as "'"."""
    return [w.casefold().replace("’", "'") for w in _WORD.findall(text)]


def is_chatter(text: str) -> bool:
    """Whether ``text`` is small talk rather than a question: no words at all (emoji, "!!"), or
    only acknowledgement words ("thanks so much!", "ok", "lol") and no question mark."""
    if "?" in text:
        return False
    words = _words(text)
    # "haha" and "hahaha", "lol" and "lolol": laughter of any length.
    words = [re.sub(r"^(?:ha)+h?$", "haha", re.sub(r"^lo(?:l)+(?:ol)*$", "lol", w)) for w in words]
    return all(w in _CHATTER_WORDS for w in words)


def is_thanks(text: str) -> bool:
    """Whether chatter ``text`` thanks the bot (it then gets a 👍 reaction)."""
    return bool(_THANKS.search(text))


# A greeting and whom it greets: "hi", "hello there", "good morning everyone", "hey bot".
_GREETINGS = frozenset(
    re.split(r"\s+", "hi hii hiii hello hey heya hiya howdy yo hallo hola greetings gm morning")
)
_GREETED = _GREETINGS | frozenset(
    re.split(r"\s+", "good afternoon evening there all everyone everybody folks guys y'all you bot")
)


def is_greeting(text: str) -> bool:
    """Whether ``text`` only greets ("hi", "hello there!", "good morning 👋", "hey?"): a greeting
    word and nothing else but whom it greets. "hi, what is IgA?" is a question."""
    words = _words(text)
    return any(w in _GREETINGS for w in words) and all(w in _GREETED for w in words)


# Asking about the bot itself: "help", "what can you do?", "what topics do you cover", "who are you".
_ABOUT_THE_BOT = re.compile(
    r"^\W*(?:help|commands|how (?:does this|do (?:i|you)) (?:work|use (?:this|you|u|it|the bot)))\W*$"
    r"|\bwhat (?:can|do) (?:you|u) (?:do|know|answer|cover|help with)(?: here| for me)?\W*$"
    r"|\bwhat (?:topics|subjects|documents|docs) (?:do|can) (?:you|u)\b"
    r"|^\W*(?:who|what) are (?:you|u)\W*$|\bwhat is this bot\b|\bare (?:you|u) a bot\b",
    re.IGNORECASE,
)


# A call for help that names nothing to help with: "can someone help me?", "I need some help pls".
_CALL_FOR_HELP_WORDS = frozenset(
    re.split(
        r"\s+",
        """
    help someone somebody anyone anybody any one can could would will pls plz please need needs i i'm
    im me some a little bit is are there around here to you u guys y'all everyone everybody folks out
    with something this question quick urgent urgently asap really just hi hello hey ok so
    """.strip(),
    )
)


def is_call_for_help(text: str) -> bool:
    """Whether ``text`` only asks for help ("can someone help me?", "I need some help pls") and
    says nothing of what with: "can you help me with latching?" is a question."""
    words = _words(text)
    return "help" in words and all(w in _CALL_FOR_HELP_WORDS for w in words)


def is_about_the_bot(text: str) -> bool:
    """Whether ``text`` asks what the bot is or does ("help", "what can you do?"), or only calls for
    help ("can anyone help?"), not about the documents: each would otherwise be answered from a
    sentence about what "helps"."""
    return bool(_ABOUT_THE_BOT.search(text)) or is_call_for_help(text)


# The earlier questions a follow-up carries, at most (the newest kept): enough for a few turns.
CONTEXT_CHARS = 1000


def follow_up_context(earlier: str, question: str) -> str:
    """What a follow-up to ``question`` (itself following ``earlier``) is asked with: both, the
    newest :data:`CONTEXT_CHARS` of them."""
    return f"{earlier} {question}".strip()[-CONTEXT_CHARS:]


# Telling the bot its answer missed: "you're wrong", "that's not what I asked", "wrong answer".
_MISSED = re.compile(
    r"^\W*(?:(?:no,? )?(?:you(?:'re| are)|that(?:'s| is)|this is|it's|its) (?:wrong|incorrect|not right"
    r"|not (?:what|the answer)(?: i (?:asked|meant|wanted))?)|wrong answer|not what i (?:asked|meant)"
    r"|(?:that|this|it) (?:doesn't|does not|didn't|did not) answer (?:my|the) question|useless)\W*$",
    re.IGNORECASE,
)


def is_missed(text: str) -> bool:
    """Whether ``text`` only tells the bot its answer missed ("you're wrong", "that's not what I
    asked"): feedback, not a question to look up with the earlier one."""
    return bool(_MISSED.search(text))


# What a question about the bot, or a greeting, is told instead of an answer from the documents.
ABOUT_REPLY = (
    "I answer questions from this server's documents and always cite where the answer comes from. "
    "Ask with `/ask` or mention me with your question; `/search` finds passages, `/topics` lists the "
    "documents, and `/source` shows a passage in full."
)
# What a member who says an answer missed is told.
MISSED_REPLY = (
    "Sorry it missed. 👎 on the answer tells the moderators why, so they can add a better one; "
    "asking again in other words may find another passage."
)
