"""The third stage, and the one place that decides: answer or decline, from which sentences, and
whether the moderators' curated answer is served.

Given the :class:`~knowledge.analysis.Analysis` and what the retriever found, the :class:`Decider`
picks the sentences that cover the question best (:func:`knowledge.evidence.best_sentences`), then
applies its rules in order, each named in the :class:`Verdict` it returns with the features it read:

1. no passages → decline (``no-passages``);
2. a word the knowledge base never saw is most of the question → decline (``unknown-subject``);
3. the best sentence covers the question at the bar (``coverage``), or stands under a heading the
   question names with enough coverage (``named-section``) → answer; else decline (``below-bar``).
   The bar is :attr:`AnswerSettings.min_confidence`, raised when every word was only bridged, and
   moved by the meaning channel: lowered when the best passages are clearly about the question,
   out of reach when they are far from it;
4. "how long/often/much/many" answered by sentences stating no amount → decline (``no-amount``);
5. a long post declined as a whole is judged again on its asking sentence, answered if that is
   (the verdict then says ``focused``);
   an answer to a question about a tool or project the documents only name in passing
   (:mod:`knowledge.passing`: "how do I use click groups" of docs that name Click once), or about
   one a post opens with that they never cover ("dynaconf: how do I ...") → decline (``in-passing``);
6. a curated answer matched on words is served unless its meaning differs from the question
   (with the meaning channel), whatever the passages' verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .answer_settings import AnswerSettings
from .evidence import QuestionWeights, best_sentences, names_heading
from .models import Hit, Passage, Sentence
from .question import states_amount
from .text import analyze

if TYPE_CHECKING:
    from .analysis import Analysis, Terms
    from .calibration import Calibration
    from .curated.matcher import CuratedMatch
    from .retriever import Retrieval

# The rules a verdict names.
NO_PASSAGES = "no-passages"
UNKNOWN_SUBJECT = "unknown-subject"
COVERAGE = "coverage"
NAMED_SECTION = "named-section"
BELOW_BAR = "below-bar"
NO_AMOUNT = "no-amount"
IN_PASSING = "in-passing"
LIKELY_RIGHT = "likely-right"  # the calibrated model's probability reached its threshold
UNLIKELY_RIGHT = "unlikely-right"

# A question that names a section ("how do i make tables" and "Tables", "how do i write a definition
# list" and "Definition Lists") asks about what is under it, even with a verb the section does not use
# ("make" where it says "create"). An answer led from under a heading all of whose words the question
# holds needs only this coverage, when the knowledge base knows every word of the question ("how do
# i install jekyll" is not answered from under "Installation"). Chosen on the tune halves of
# tests/data/*-docs: 0.3 and 0.35 answer alike; the seed and everyday sets are unchanged.
NAMED_SECTION_CONFIDENCE = 0.35


@dataclass(frozen=True)
class Verdict:
    """The Decider's decision: ``answered`` with the quoted ``sentences``; ``confidence``, the best
    sentence's coverage of the question (rounded to 3 places); ``covered``, the question's terms
    that the quoted sentences and their headings contain; ``rule``, the rule that decided;
    ``features``, what it read (coverage, bar, similarity, ...); ``terms`` and ``retrieval``, the
    text judged and its passages (the asking sentence's when ``focused``); ``curated``, the
    moderators' answer served, if any."""

    answered: bool
    sentences: tuple[Sentence, ...] = ()
    confidence: float = 0.0
    covered: frozenset[str] = frozenset()
    rule: str = NO_PASSAGES
    features: Mapping[str, float] = field(default_factory=dict)
    terms: Terms | None = None
    retrieval: Retrieval | None = None
    focused: bool = False
    curated: CuratedMatch | None = None
    lead: Hit | None = None  # the passage of the best sentence, answered or not

    @property
    def served(self) -> bool:
        """Whether the member gets an answer: from the passages, or the moderators' curated one."""
        return self.answered or self.curated is not None

    @property
    def hits(self) -> tuple[Hit, ...]:
        """The passages of the text judged, best first."""
        return self.retrieval.hits if self.retrieval is not None else ()


@dataclass(frozen=True)
class CuratedCandidate:
    """A curated answer that matched the question on words, and how similar in meaning the question
    is to the phrasing that matched (None without the meaning channel)."""

    match: CuratedMatch
    similarity: float | None = None


class Decider:
    """Decides answer or decline (see the module's rules) with fixed :class:`AnswerSettings`; with
    a :class:`~knowledge.calibration.Calibration`, rule 3 is its model's probability instead."""

    def __init__(
        self, settings: AnswerSettings | None = None, calibration: Calibration | None = None
    ) -> None:
        self.settings = settings or AnswerSettings()
        self.calibration = calibration

    def decide(
        self,
        analysis: Analysis,
        retrieval: Retrieval,
        *,
        focus: Callable[[], Retrieval] | None = None,
        curated: Sequence[CuratedCandidate] = (),
    ) -> Verdict:
        """The verdict on ``analysis`` from the passages of its whole text (``retrieval``);
        ``focus`` retrieves for its asking sentence when needed; ``curated`` are the curated
        answers that matched on words."""
        verdict = self.judge(analysis.terms, retrieval)
        stated = any(states_amount(s.text) for s in verdict.sentences)
        if verdict.answered and analysis.asks_amount and not stated:
            # "How long should I breastfeed?" is not answered by sentences that state no amount.
            verdict = replace(verdict, answered=False, sentences=(), covered=frozenset(), rule=NO_AMOUNT)
        if not verdict.answered and analysis.focus is not None and focus is not None:
            focused = self.judge(analysis.focus, focus())
            if focused.answered:
                verdict = replace(focused, focused=True)
        if verdict.answered and analysis.in_passing is not None:
            # "how do I use click groups", asked of docs that name Click once to compare: what they
            # say around the name is not an answer about it.
            verdict = replace(verdict, answered=False, sentences=(), covered=frozenset(), rule=IN_PASSING)
        chosen = self.curated(curated)
        return replace(verdict, curated=chosen) if chosen is not None else verdict

    def curated(self, candidates: Sequence[CuratedCandidate]) -> CuratedMatch | None:
        """The best curated match whose meaning does not differ from the question's."""
        veto = self.settings.curated_veto
        kept = [c.match for c in candidates if c.similarity is None or c.similarity >= veto]
        return max(kept, key=lambda m: m.score) if kept else None

    def bar(self, weights: QuestionWeights, similarity: float | None) -> float:
        """The coverage an answer needs: the settings' bar, raised when no word of the question is
        the documents' own, moved by the meaning channel's ``similarity`` when there is one."""
        settings = self.settings
        bar = settings.min_confidence
        if similarity is not None:
            if similarity >= settings.meaning_sure:
                bar = min(bar, settings.meaning_sure_confidence)
            elif similarity < settings.meaning_unsure:
                bar = max(bar, settings.meaning_unsure_confidence)
        if weights.words and all(word.bridged for word in weights.words):
            # Not one word of the question is the documents' own: only relations vouch for the answer.
            bar = max(bar, settings.bridged_only_confidence)
        return bar

    def judge(self, terms: Terms, retrieval: Retrieval) -> Verdict:
        """Answer ``terms`` from ``retrieval`` when the best sentence covers the question at the bar
        or stands under a heading it names, and no unknown word is most of it."""
        if terms.relation:
            retrieval = _both_first(retrieval, terms.weights)
        hits, passages = retrieval.hits, retrieval.passages
        if not hits:
            return Verdict(answered=False, terms=terms, retrieval=retrieval)
        weights = terms.weights
        sentences, coverage, covered = best_sentences(hits, passages, weights, self.settings.max_sentences)
        named = _from_named_section(sentences, hits, passages, weights, coverage, terms.stems)
        bar = self.bar(weights, retrieval.similarity)
        unknown = weights.unknown_subjects()
        features = {"bar": bar, **_features(weights, hits, passages, sentences, coverage, named)}
        features["unknown_subjects"] = float(len(unknown))
        features["rules_answer"] = float(coverage >= bar or named)  # what the hand-set bar says
        if retrieval.similarity is not None:
            features["similarity"] = round(retrieval.similarity, 3)
        lead = hits[sentences[0].source - 1] if sentences else None
        common = {"confidence": round(coverage, 3), "features": features, "lead": lead}
        common |= {"terms": terms, "retrieval": retrieval}
        if unknown:
            # Mostly about something the documents never mention: whatever covers the rest is not an answer.
            return Verdict(answered=False, rule=UNKNOWN_SUBJECT, **common)
        model = self.calibration.model(retrieval.similarity is not None) if self.calibration else None
        if model is not None and sentences:
            features["probability"] = round(model.probability(features), 3)
            features["threshold"] = model.threshold
            if features["probability"] < model.threshold:
                return Verdict(answered=False, rule=UNLIKELY_RIGHT, **common)
            chosen = tuple(sentences)
            return Verdict(answered=True, sentences=chosen, covered=covered, rule=LIKELY_RIGHT, **common)
        if coverage >= bar or named:
            rule = COVERAGE if coverage >= bar else NAMED_SECTION
            return Verdict(answered=True, sentences=tuple(sentences), covered=covered, rule=rule, **common)
        return Verdict(answered=False, rule=BELOW_BAR, **common)


def _both_first(retrieval: Retrieval, weights: QuestionWeights, top: int = 3) -> Retrieval:
    """``retrieval`` with its first ``top`` passages ordered by how much of the question each holds
    as a whole (text and headings), best first, ties in retrieval order: a question about how two
    things relate is answered from the passage that speaks of both."""
    ranked = list(zip(retrieval.hits, retrieval.passages, strict=True))
    head, rest = ranked[:top], ranked[top:]
    held = [weights.coverage(_terms_in(passage, weights)) for _, passage in head]
    order = sorted(range(len(head)), key=lambda i: -held[i])
    reordered = [head[i] for i in order] + rest
    return replace(retrieval, hits=tuple(h for h, _ in reordered), passages=tuple(p for _, p in reordered))


def _terms_in(passage: Passage | None, weights: QuestionWeights) -> set[str]:
    if passage is None:
        return set()
    return set(analyze(" ".join((*passage.section, passage.text)))) & weights.terms


def _features(
    weights: QuestionWeights,
    hits: Sequence[Hit],
    passages: Sequence[Passage | None],
    sentences: Sequence[Sentence],
    coverage: float,
    named: bool,
) -> dict[str, float]:
    """What the evidence says, as numbers: how much of the question the best sentence covers, how
    the question's weight splits between words the documents use, words only bridged and words
    never seen, how much the lead passage's heading covers, and how far the best passage leads the
    next one and the best of another section."""
    total = sum(word.weight for word in weights.words) or 1.0
    lead = sentences[0].source - 1 if sentences else 0
    passage = passages[lead] if 0 <= lead < len(passages) else None
    heading = set(analyze(" ".join(passage.section))) if passage is not None else set()
    scores = [hit.score for hit in hits]
    other = [hit.score for hit in hits if hit.section != hits[0].section]
    unknown = sum(w.weight for w in weights.words if not w.terms and not w.light)
    return {
        "coverage": round(coverage, 3),
        "named_section": float(named),
        "all_bridged": float(bool(weights.words) and all(w.bridged for w in weights.words)),
        "unknown_share": round(unknown / total, 3),
        "bridged_share": round(sum(w.weight for w in weights.words if w.bridged) / total, 3),
        "heading_coverage": round(weights.coverage(heading & weights.terms), 3),
        "score_margin": round(_margin(scores[0], scores[1] if len(scores) > 1 else 0.0), 3),
        "section_margin": round(_margin(scores[0], other[0] if other else 0.0), 3),
    }


def _margin(best: float, next_best: float) -> float:
    return (best - next_best) / best if best > 0 else 0.0


def _from_named_section(
    sentences: Sequence[Sentence],
    hits: Sequence[Hit],
    passages: Sequence[Passage | None],
    weights: QuestionWeights,
    coverage: float,
    asked: frozenset[str],
) -> bool:
    """Whether the lead sentence stands under a heading the question names (its document's title
    counts: a page's first heading is its title, left out of the section path), with enough
    coverage and no word of the question unknown to the knowledge base."""
    if not sentences or not asked or coverage < NAMED_SECTION_CONFIDENCE:
        return False
    if any(not word.terms for word in weights.words):
        return False
    lead = sentences[0].source - 1
    passage = passages[lead] if 0 <= lead < len(passages) else None
    return passage is not None and names_heading((hits[lead].title, *passage.section), asked)
