"""The answer pipeline: the one way from a question to a finished :class:`~knowledge.models.Answer`.

The Discord bot, the ``citebot`` CLI and the local console all call :meth:`Assistant.ask`. In
order, it cleans the question once, rewrites members' words with the glossary, checks both for red
flags (:mod:`knowledge.safety`: the answer then carries the "seek care now" message), answers a question
about the source from the document's front matter and a "tl;dr" from its summary section
(:mod:`knowledge.source_questions`), bridges the everyday words the knowledge base does not know
to its terms (:attr:`KnowledgeBase.bridge`, :mod:`knowledge.thesaurus`), retrieves passages with
those terms down-weighted (:meth:`KnowledgeBase.search`), has the evidence judged
(:func:`knowledge.evidence.judge`), says which words it read as which and which part of the
question the knowledge base does not cover, looks for a moderators' curated answer, and returns
the answer whole.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .chunking import sentence_spans
from .curated import CuratedAnswer, CuratedMatch, CuratedStore
from .evidence import MENTION_SHARE, AnswerSettings, QuestionWeights, Verdict, judge, mark_terms
from .glossary import Expansion, Glossary
from .kb import KnowledgeBase, default_state_dir
from .models import Answer, CuratedReply, Hit, Sentence
from .question import Question, asked_sentence, asks_for_amount, content_words, states_amount
from .safety import RedFlags
from .source_questions import (
    citing_passage,
    is_source_question,
    is_summary_request,
    source_sentences,
    summary_passage,
)
from .text import analyze, tokens
from .thesaurus import split_compound

logger = logging.getLogger(__name__)


class Assistant:
    """Answers questions from a knowledge base, moderators' curated answers first.

    ``settings`` (how the evidence is judged) are fixed at construction. ``kb`` is a plain
    attribute: a reload builds a new :class:`KnowledgeBase` and assigns it in one step, so a
    question being answered keeps the knowledge base it started with, and the settings stay.

    With a :class:`~knowledge.glossary.Glossary`, members' words are rewritten into the knowledge
    base's terms before retrieval; with a :class:`~knowledge.curated.CuratedStore`, a question
    matching a curated one gets the moderators' answer in ``Answer.curated`` (retrieval still runs:
    its passages follow the curated answer). ``red_flags`` (default: :class:`~knowledge.safety.RedFlags`
    with its default patterns) decides which questions get the red-flag message in ``Answer.safety``.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        settings: AnswerSettings | None = None,
        curated: CuratedStore | None = None,
        glossary: Glossary | None = None,
        red_flags: RedFlags | None = None,
    ) -> None:
        self.kb = kb
        self.settings = settings or AnswerSettings()
        self.curated = curated
        self.glossary = glossary
        self.red_flags = red_flags or RedFlags()

    @classmethod
    def with_state(
        cls,
        kb: KnowledgeBase,
        state_dir: Path | str | None = None,
        *,
        settings: AnswerSettings | None = None,
        red_flags: RedFlags | None = None,
    ) -> Assistant:
        """An assistant using the curated answers and glossary saved in ``state_dir``."""
        folder = Path(state_dir) if state_dir else default_state_dir()
        return cls(
            kb,
            settings=settings,
            curated=CuratedStore.in_state_dir(folder),
            glossary=Glossary.in_state_dir(folder),
            red_flags=red_flags,
        )

    def is_red_flag(self, text: str) -> bool:
        """Whether a member's words, or their glossary rewrite, describe warning signs. Cheap (the
        knowledge base's part is in memory): callers check it before anything that can fail."""
        return self.red_flags.matches(text, self.rewrite(text))

    def rewrite(self, text: str) -> str | None:
        """``text`` as the glossaries rewrite it (the moderators', then the documents'); None when
        neither changes it."""
        return self._expand(self.kb, text)[0]

    def _expand(self, kb: KnowledgeBase, text: str) -> tuple[str | None, list[Expansion]]:
        """``text`` rewritten with the moderators' glossary, then the documents' (None when neither
        applies), and the expansions that applied. The moderators' terms go first, so theirs win."""
        applied = []
        for glossary in (self.glossary, kb.glossary):
            if glossary is not None:
                expansion = glossary.expand(applied[-1].text if applied else text)
                if expansion.applied:
                    applied.append(expansion)
        return (applied[-1].text if applied else None), applied

    def ask(self, question: str | Question, *, context: str = "", k: int = 5) -> Answer:
        """Answer ``question`` (text, or a :class:`~knowledge.question.Question` already cleaned)
        with up to ``k`` passages; ``context`` is the earlier question of a follow-up. Raises
        :class:`~knowledge.question.QuestionError` for an empty question."""
        kb = self.kb  # one knowledge base for the whole question, even if a reload swaps it meanwhile
        asked = question if isinstance(question, Question) else Question.parse(question)
        notices = list(asked.notices)
        expanded, expansions = self._expand(kb, asked.text)
        notices += [e.notice() for e in expansions]
        # Retrieval and the judge read the rewritten words, two-part words spelled as the documents do.
        query = kb.spell_compounds(expanded or asked.text)
        raw = question if isinstance(question, str) else None  # before any shortening
        red_flag = self.red_flags.check(raw, asked.text, expanded)
        safety = red_flag.message if red_flag else ""
        if is_source_question(asked.text):
            answer = self._about_source(kb, asked.text, notices, safety)
            if answer is not None:
                return answer
        if is_summary_request(asked.text):
            answer = self._summary(kb, asked.text, notices, safety)
            if answer is not None:
                return answer
        hits, weights, verdict = self._search_and_judge(kb, query, context, k)
        stated = any(states_amount(s.text) for s in verdict.sentences)
        if verdict.answered and asks_for_amount(query) and not stated:
            # "How long should I breastfeed?" is not answered by sentences that state no amount.
            verdict = Verdict(answered=False, confidence=verdict.confidence)
        # A chatty post ("I'm 3 weeks postpartum and ... How do the antibodies get into my milk?")
        # that the whole of it does not carry is judged again on the sentence that asks.
        asking = asked_sentence(query)
        if not verdict.answered and asking is not None:
            focused = self._search_and_judge(kb, asking, context, k)
            if focused[2].answered:
                hits, weights, verdict = focused
        match = self.match_curated(asked.text, kb, expanded=expanded)
        curated = None
        if match is not None:
            curated = _served(match.answer, kb)
            logger.info("curated answer %d matched (score %.2f)", match.answer.id, match.score)
        # The moderators' answer answers the whole question: "does not mention: ibuprofen" above it
        # would contradict it, so what the documents leave out is said only when it stands alone.
        if not verdict.answered and curated is None:
            # "can i take ibuprofen while breastfeeding": say why, not only that it was declined.
            notices += [n for n in (_words_notice(weights.unknown_subjects(), "mention"),) if n]
        if verdict.answered:
            # Say what the answer leaves out: a clause none of whose words it supports ("... and how
            # do I treat it?"), and a word that weighs in the question but the documents never use.
            uncovered = _uncovered_clauses(query, weights, verdict.covered) if curated is None else []
            unmentioned = [w for w in weights.unknown_subjects(MENTION_SHARE) if w not in uncovered]
            notices += [
                n
                for n in (
                    _bridge_notice(kb, weights.bridges_used(verdict.covered), query),
                    _words_notice(uncovered, "cover"),
                    _words_notice(unmentioned, "mention") if curated is None else "",
                )
                if n
            ]
        return Answer(
            question=asked.text,  # the member's words, not the rewritten ones
            answered=verdict.answered,
            hits=tuple(hits),
            sentences=verdict.sentences,
            notices=tuple(notices),
            curated=curated,
            confidence=verdict.confidence,
            safety=safety,
        )

    def _about_source(
        self, kb: KnowledgeBase, question: str, notices: list[str], safety: str
    ) -> Answer | None:
        """The answer to a question about the source, from the document's front matter, citing the
        document (its reference list, or its first passage); None for an empty knowledge base."""
        doc = kb.document_for(question)
        passage = citing_passage(kb.doc_passages(doc.id)) if doc is not None else None
        hit = kb.hit(passage.id) if passage is not None else None
        if doc is None or hit is None:
            return None
        asked = set(analyze(question))
        sentences = tuple(
            Sentence(text=text, source=1, passage_id=hit.passage_id, marks=mark_terms(text, asked))
            for text in source_sentences(doc)
        )
        return self._from_document(kb, question, hit, sentences, notices, "source", safety)

    def _summary(self, kb: KnowledgeBase, question: str, notices: list[str], safety: str) -> Answer | None:
        """The gist of the document a "tl;dr" means: the lead sentences of its summary section;
        None when it has none (the question then goes the usual way)."""
        doc = kb.document_for(question)
        passage = summary_passage(kb.doc_passages(doc.id)) if doc is not None else None
        hit = kb.hit(passage.id) if passage is not None else None
        if hit is None:
            return None
        spans = sentence_spans(hit.text)[: self.settings.max_sentences]
        sentences = tuple(Sentence(text=hit.text[a:b], source=1, passage_id=hit.passage_id) for a, b in spans)
        return self._from_document(kb, question, hit, sentences, notices, "summary", safety)

    def _from_document(
        self,
        kb: KnowledgeBase,
        question: str,
        hit: Hit,
        sentences: tuple[Sentence, ...],
        notices: list[str],
        kind: str,
        safety: str,
    ) -> Answer:
        """An answer about a whole document, citing ``hit``, after a matching curated answer."""
        match = self.match_curated(question, kb)
        return Answer(
            question=question,
            answered=True,
            hits=(hit,),
            sentences=sentences,
            notices=tuple(notices),
            curated=_served(match.answer, kb) if match is not None else None,
            confidence=1.0,
            kind=kind,
            safety=safety,
        )

    def _search_and_judge(
        self, kb: KnowledgeBase, query: str, context: str, k: int
    ) -> tuple[list[Hit], QuestionWeights, Verdict]:
        """Retrieve passages for ``query`` and judge whether they answer it."""
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
        weights = QuestionWeights.of(
            words,
            known,
            kb.rarest_weight,
            bridged=bridged,
            term_weight=kb.index.term_weight,
            unknown_weight=self.settings.unknown_weight,
            bridge_credit=self.settings.bridge_credit,
            is_light=kb.bridge.light_in(tokens(asked)).__contains__,
            light_weight=self.settings.light_weight,
        ).with_symbols(kb.asked_symbols(query), kb.rarest_weight)  # "a literal {{": the rarest word's weight
        extra = kb.expansion(bridged, self.settings.expansion_weight)
        context_weight = self.settings.context_weight
        hits = kb.search(query, k=k, context=context, context_weight=context_weight, extra=extra)
        return hits, weights, self._judge(kb, query, hits, weights)

    def _judge(self, kb: KnowledgeBase, query: str, hits: list[Hit], weights: QuestionWeights) -> Verdict:
        if not hits:
            return Verdict(answered=False)
        passages = [kb.passage(hit.passage_id) for hit in hits]
        settings = self.settings
        if kb.semantic is not None:  # how similar the hits are to the question moves the bar
            settings = kb.semantic.answer_settings(query, hits, settings)
        return judge(hits, passages, weights, settings, frozenset(analyze(query)))

    def match_curated(
        self, question: str, kb: KnowledgeBase | None = None, *, expanded: str | None = None
    ) -> CuratedMatch | None:
        """The curated answer that best matches ``question`` (or its glossary rewrite
        ``expanded``), if one matches confidently."""
        if self.curated is None:
            return None
        kb = kb or self.kb
        found = [
            m for m in (self.curated.match(question, kb), expanded and self.curated.match(expanded, kb)) if m
        ]
        if kb.semantic is not None:  # a match on words whose meaning differs is not served
            found = [m for m in found if kb.semantic.confirms(question, m.phrasing)]
        return max(found, key=lambda m: m.score) if found else None


def _bridge_notice(kb: KnowledgeBase, used: list[tuple[str, str]], query: str) -> str:
    """One sentence telling the member how their everyday words were read (Read “baby” as
    “infant”.), for the bridged words the answer's sentences actually use; "" when none. Words
    read together as a phrase are named as the phrase (“white blood cells” as “lymphocytes”)."""
    if not used:
        return ""
    words = tokens(query)
    parts, i = [], 0
    while i < len(used):
        run, term = [used[i][0]], used[i][1]
        while i + len(run) < len(used) and used[i + len(run)][1] == term:
            run.append(used[i + len(run)][0])
        shown = _phrase(kb, words, run, term) if len(run) > 1 else None
        if shown is None:  # not one phrase: each word on its own
            parts += [f"“{word}” as “{_reading(kb, word, term)}”" for word in run]
        else:
            parts.append(f"“{shown}” as “{kb.surface(term)}”")
        i += len(run)
    return "Read " + ", ".join(parts) + "."


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


_CLAUSE_BREAK = re.compile(r"[,;?!.]|\b(?:and|or|but|also|plus|then)\b", re.IGNORECASE)


def _uncovered_clauses(question: str, weights: QuestionWeights, covered: frozenset[str]) -> list[str]:
    """The words of each clause of ``question`` ("... and how do I treat it?") that the quoted
    sentences do not support at all; a clause with one covered word is answered, as a whole."""
    uncovered = set(weights.uncovered(covered))
    words: list[str] = []
    for clause in _CLAUSE_BREAK.split(question):
        asked = [w for w in content_words(clause) if any(w == qw.word for qw in weights.words)]
        if asked and all(w in uncovered for w in asked):
            words += [w for w in asked if w not in words]
    return words


def _words_notice(words: list[str], verb: str, limit: int = 3) -> str:
    """Which words of the question the knowledge base does not ``verb`` ("The knowledge base does not
    cover: treat." for what the quoted sentences leave out, so an answer to part of a question does
    not pass for an answer to all of it; "does not mention: ibuprofen." for a decline). Words under
    four letters are left out: mostly text-speak ("bub", "lo") rather than a subject."""
    shown = [w for w in words if len(w) >= 4 and w.isalpha()][:limit]
    return f"The knowledge base does not {verb}: {', '.join(shown)}." if shown else ""


def _served(entry: CuratedAnswer, kb: KnowledgeBase) -> CuratedReply:
    """A curated answer as it leads a reply: its sources looked up in the current knowledge base
    (sources no longer in it are left out)."""
    hits = tuple(hit for source in entry.sources if (hit := kb.hit(source.passage_id)) is not None)
    return CuratedReply(id=entry.id, question=entry.question, text=entry.text, hits=hits)
