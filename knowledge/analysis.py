"""The first stage: a member's question analysed once, before anything can fail.

:func:`analyse` reads a question the way every later stage needs it — cleaned, rewritten by the
glossaries (the moderators', then the documents'), two-part words spelled as the documents spell
them, checked for red flags on the member's own words and the rewrite, its kind (about the source,
a "tl;dr", or content; asking for an amount), and for searching and judging its :class:`Terms`: content words,
index terms, everyday words bridged to the documents' terms, symbols, stems. A long chatty post
also gets the terms of the sentence that asks (:attr:`Analysis.focus`). The result is immutable:
the retriever, the Decider and the explainer read it and none of them analyses again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .answer_settings import AnswerSettings
from .evidence import QuestionWeights
from .glossary import Expansion
from .notices import Notice
from .passing import PassingMention, labelled_in_passing, mentioned_in_passing
from .pasted import searchable
from .question import (
    Question,
    asked_sentence,
    asks_for_amount,
    asks_relation,
    content_words,
    subject_label,
)
from .safety import RedFlag, RedFlags
from .source_questions import is_source_question, is_summary_request
from .text import analyze, tokens

if TYPE_CHECKING:
    from .glossary import Glossary
    from .kb import KnowledgeBase

# What a question asks for: about the source ("who wrote this?"), the gist ("tl;dr"), or content.
SOURCE, SUMMARY, CONTENT = "source", "summary", "content"


@dataclass(frozen=True)
class Terms:
    """One text of a question as search and judging read it: ``query`` (the words searched,
    rewritten) with an earlier question's ``context``; ``weights``, each content word with the index
    terms that stand for it; ``extra``, the retrieval weights of terms reached through the bridge;
    ``symbols`` the syntax symbols it names that the documents quote; ``stems`` all its words'
    stems; ``references`` whether reference lists are searched (a question about sources);
    ``relation`` whether it asks how two things relate ("how do X and Y fit together")."""

    query: str
    weights: QuestionWeights
    context: str = ""
    extra: Mapping[str, float] = field(default_factory=dict)
    symbols: tuple[str, ...] = ()
    stems: frozenset[str] = frozenset()
    references: bool = False
    relation: bool = False


@dataclass(frozen=True)
class Analysis:
    """A question read once. ``text`` is the member's cleaned words (what the answer shows),
    ``expanded`` their glossary rewrite (None when no glossary applied), ``kind`` one of
    :data:`SOURCE`, :data:`SUMMARY`, :data:`CONTENT`; ``asks_amount`` whether it asks how long,
    often, much or many; ``red_flag`` the warning sign
    seen, if any; ``terms`` the whole post's, ``focus`` its asking sentence's when it is a long
    post (else None); ``notices`` what cleaning and the glossaries did; ``in_passing`` a tool or
    project the question is about that the documents only name in passing (:mod:`knowledge.passing`)."""

    text: str
    terms: Terms
    kind: str = CONTENT
    asks_amount: bool = False
    expanded: str | None = None
    focus: Terms | None = None
    red_flag: RedFlag | None = None
    notices: tuple[Notice, ...] = ()
    in_passing: PassingMention | None = None


def expand(text: str, kb: KnowledgeBase, glossary: Glossary | None) -> tuple[str | None, list[Expansion]]:
    """``text`` rewritten with the moderators' ``glossary``, then the documents' (None when neither
    applies), and the expansions that applied. The moderators' terms go first, so theirs win."""
    applied: list[Expansion] = []
    for source in (glossary, kb.glossary):
        if source is not None:
            expansion = source.expand(applied[-1].text if applied else text)
            if expansion.applied:
                applied.append(expansion)
    return (applied[-1].text if applied else None), applied


def analyse(
    question: str | Question,
    kb: KnowledgeBase,
    *,
    glossary: Glossary | None = None,
    red_flags: RedFlags | None = None,
    settings: AnswerSettings | None = None,
    context: str = "",
) -> Analysis:
    """Read ``question`` (text, or a :class:`Question` already cleaned) against ``kb``; ``context``
    is the earlier question of a follow-up. Raises :class:`~knowledge.errors.QuestionError` for an
    empty question."""
    settings = settings or AnswerSettings()
    asked = question if isinstance(question, Question) else Question.parse(question)
    expanded, expansions = expand(asked.text, kb, glossary)
    # Retrieval and the judge read the rewritten words, two-part words spelled as the documents do,
    # a pasted link as the page it names and a traceback without its frames.
    query = kb.spell_compounds(searchable(expanded or asked.text))
    raw = question if isinstance(question, str) else None  # before any shortening
    red_flag = (red_flags or RedFlags()).check(raw, asked.text, expanded)
    if is_source_question(asked.text):
        kind = SOURCE
    elif is_summary_request(asked.text):
        kind = SUMMARY
    else:
        kind = CONTENT
    asking = asked_sentence(query)
    terms = terms_of(kb, query, context, settings)
    # A subject the member named ("numpy: how do i ...") first; else a name among the words.
    label = subject_label(searchable(asked.text))
    in_passing = labelled_in_passing(label, kb) if label else None
    in_passing = in_passing or mentioned_in_passing([word.word for word in terms.weights.words], kb)
    return Analysis(
        text=asked.text,
        terms=terms,
        kind=kind,
        asks_amount=asks_for_amount(query),
        expanded=expanded,
        # A chatty post ("I'm 3 weeks postpartum and ... How do the antibodies get into my milk?")
        # may be judged again on the sentence that asks.
        focus=terms_of(kb, asking, context, settings) if asking is not None else None,
        red_flag=red_flag,
        notices=(*asked.notices, *(e.notice() for e in expansions)),
        in_passing=in_passing,
    )


def terms_of(kb: KnowledgeBase, query: str, context: str, settings: AnswerSettings) -> Terms:
    """The :class:`Terms` of ``query`` (with a follow-up's ``context``) in ``kb``."""
    # A follow-up is judged with its context, so "and during lactation?" after a question about
    # antibodies in milk is judged as a question about antibodies in milk during lactation.
    asked = f"{context} {query}" if context else query
    words = content_words(asked)
    known = kb.index.query_terms(" ".join(words))
    # Everyday words the knowledge base does not know, bridged to its terms. The glossary ran
    # first, and the words it wrote are the knowledge base's own, so they are never re-expanded.
    bridged = kb.bridged(words)
    # A stop word with a typo ("is there a link betwen my gut and my milk") is still a stop word.
    found = {qt.token for qt in known} | set(bridged)
    words = [w for w in words if w in found or not kb.bridge.is_stop_typo(w)]
    symbols = tuple(kb.asked_symbols(query))
    weights = QuestionWeights.of(
        words,
        known,
        kb.rarest_weight,
        bridged=bridged,
        term_weight=kb.index.term_weight,
        unknown_weight=settings.unknown_weight,
        bridge_credit=settings.bridge_credit,
        is_light=kb.bridge.light_in(tokens(asked)).__contains__,
        light_weight=settings.light_weight,
    ).with_symbols(symbols, kb.rarest_weight)  # "a literal {{": the rarest word's weight
    return Terms(
        query=query,
        weights=weights,
        context=context,
        extra=kb.expansion(bridged, settings.expansion_weight),
        symbols=symbols,
        stems=frozenset(analyze(query)),
        references=is_source_question(query),
        relation=asks_relation(query),
    )
