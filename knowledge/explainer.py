"""The last stage: what an answer tells the member besides its sentences, as notices (data,
:mod:`knowledge.notices`; the renderers phrase them).

From the analysis and the Decider's verdict: what cleaning and the glossaries did; for an answer,
how everyday words were read as the documents' ("baby" as "infant"), the clause of the question the
quoted sentences leave out, and a word that weighs in the question but the documents never use; for
a decline, the words that made it one ("does not mention: ibuprofen"). A curated answer answers the
whole question, so nothing is said against it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .decider import IN_PASSING
from .evidence import MENTION_SHARE, QuestionWeights
from .notices import Code, Notice
from .question import asking_sentences, content_words
from .text import tokens
from .thesaurus import split_compound

if TYPE_CHECKING:
    from .analysis import Analysis
    from .decider import Verdict
    from .kb import KnowledgeBase


def explain(kb: KnowledgeBase, analysis: Analysis, verdict: Verdict) -> tuple[Notice, ...]:
    """The notices of the answer ``verdict`` gives to ``analysis``."""
    notices = list(analysis.notices)
    weights = verdict.terms.weights if verdict.terms is not None else analysis.terms.weights
    query = analysis.terms.query
    curated = verdict.curated is not None
    # The moderators' answer answers the whole question: "does not mention: ibuprofen" above it
    # would contradict it, so what the documents leave out is said only when it stands alone.
    if not verdict.answered and not curated:
        # "can i take ibuprofen while breastfeeding": say why, not only that it was declined.
        notices += _words(weights.unknown_subjects(), Code.NOT_MENTIONED)
        passing = analysis.in_passing
        if passing is not None and verdict.rule == IN_PASSING:
            # A subject the member named that the documents never use at all is simply not mentioned.
            if passing.passages:
                notices.append(Notice(Code.IN_PASSING, words=(passing.word,)))
            elif not set(tokens(passing.word)) & set(weights.unknown_subjects()):
                notices.append(Notice(Code.NOT_MENTIONED, words=(passing.word,)))
    if verdict.answered:
        # Say what the answer leaves out: a clause none of whose words it supports ("... and how
        # do I treat it?"), and a word that weighs in the question but the documents never use.
        asking = asking_sentences(query)
        uncovered = _uncovered_clauses(asking, weights, verdict.covered) if not curated else []
        asked = {w for sentence in asking for w in content_words(sentence)}
        unmentioned = [
            w for w in weights.unknown_subjects(MENTION_SHARE) if w not in uncovered and w in asked
        ]
        notices += read_as(kb, weights.bridges_used(verdict.covered), query)
        notices += _words(uncovered, Code.NOT_COVERED)
        if not curated:
            notices += _words(unmentioned, Code.NOT_MENTIONED)
    return tuple(notices)


def read_as(kb: KnowledgeBase, used: list[tuple[str, str]], query: str) -> list[Notice]:
    """The notice telling the member how their everyday words were read ("baby" as "infant"), for
    the bridged words the answer's sentences actually use; none when none. Words read together as
    a phrase are named as the phrase ("white blood cells" as "lymphocytes"). Only words of
    ``query`` itself are named: a follow-up's earlier question was read, and said so, before; and
    light words are not."""
    words = tokens(query)
    own = set(words)
    used = [(word, term) for word, term in used if word in own]
    if not used:
        return []
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(used):
        run, term = [used[i][0]], used[i][1]
        while i + len(run) < len(used) and used[i + len(run)][1] == term:
            run.append(used[i + len(run)][0])
        shown = _phrase(kb, words, run, term) if len(run) > 1 else None
        if shown is None:  # not one phrase: each word on its own
            pairs += [(word, _reading(kb, word, term)) for word in run]
        else:
            pairs.append((shown, kb.surface(term)))
        i += len(run)
    # A light word (mostly a verb: "fit", "keeps", "working") read as a documents' word is weighed
    # lightly and, named, mostly reads as nonsense ("fit" as "shape"); what is named is what a member
    # meant as a thing ("baby" as "infant"), or a phrase ("before birth" as "prenatal").
    pairs = [(word, reading) for word, reading in pairs if " " in word or not kb.bridge.is_light(word)]
    return [Notice(Code.READ_AS, pairs=tuple(pairs))] if pairs else []


def _reading(kb: KnowledgeBase, word: str, term: str) -> str:
    """How a bridged ``word`` was read: its two parts when the bridge split it and ``term`` is one
    of them ("breastmilk" as "breast milk", not as "breast"), else the documents' word for ``term``."""
    parts = split_compound(word, kb.index.vocabulary_, kb.bridge.stem)
    if parts is not None and term in {kb.bridge.stem(part) for part in parts}:
        return " ".join(parts)
    return kb.surface(term)


def _phrase(kb: KnowledgeBase, words: list[str], run: list[str], term: str) -> str | None:
    """The phrase of the question that the bridge read as ``term``: ``run`` where its words stand
    together in ``words``, with the words after them the phrase takes ("white blood" + "cells");
    None when they do not stand together."""
    for start in range(len(words) - len(run) + 1):
        if words[start : start + len(run)] == run:
            for end in range(min(len(words), start + 3), start + len(run) - 1, -1):
                phrase = " ".join(words[start:end])
                if end - start >= len(run) and term in kb.bridge.terms(phrase):
                    return phrase
            return " ".join(run)
    return None


# The longest word a notice names: longer than English words run ("immunohistochemistry" is 20).
MAX_NAMED_WORD = 30

_CLAUSE_BREAK = re.compile(r"[,;?!.]|\b(?:and|or|but|also|plus|then)\b", re.IGNORECASE)


def _uncovered_clauses(asking: list[str], weights: QuestionWeights, covered: frozenset[str]) -> list[str]:
    """The words of each clause of the question's ``asking`` sentences ("... and how do I treat
    it?") that the quoted sentences do not support at all; a clause with one covered word is
    answered, as a whole. Only the sentences that ask count (:func:`asking_sentences`): "I'm a bit
    of a science nerd" or "sorry, my english is not good" around a question is not a part of it
    left unanswered."""
    uncovered = set(weights.uncovered(covered))
    words: list[str] = []
    clauses = [c for sentence in asking for c in _CLAUSE_BREAK.split(sentence)]
    for clause in clauses:
        asked = [w for w in content_words(clause) if any(w == qw.word for qw in weights.words)]
        if asked and all(w in uncovered for w in asked):
            words += [w for w in asked if w not in words]
    return words


# Words a notice never names: they say how something is asked ("where does it *come* from", "the
# *ones* from breastmilk", "is it *good* for baby", "are they *totally* separate"), not what about,
# and contractions typed without their apostrophe ("a constant that *isnt* a field").
_NEVER_NAMED = frozenset(
    re.split(
        r"\s+",
        """
    good bad ones come comes came make makes made matter matters said says totally entirely really
    actually thing things stuff isnt arent wasnt werent dont doesnt didnt cant couldnt wouldnt
    shouldnt wont hasnt havent hadnt aint youre theyre thats whats
    """.strip(),
    )
)


def _words(words: list[str], code: Code, limit: int = 3) -> list[Notice]:
    """A notice naming which words of the question the knowledge base does not cover (what the
    quoted sentences leave out, so an answer to part of a question does not pass for an answer to
    all of it) or never mentions (why a question was declined). Words under four letters are left
    out: mostly text-speak ("bub", "lo") rather than a subject; so are runs of letters too long to be
    a word, which would only echo a wall of "xxxx…" back to the member, and :data:`_NEVER_NAMED`."""
    shown = tuple(
        w for w in words if 4 <= len(w) <= MAX_NAMED_WORD and w.isalpha() and w not in _NEVER_NAMED
    )[:limit]
    return [Notice(code, words=shown)] if shown else []
