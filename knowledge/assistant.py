"""The answer pipeline: the one way from a question to a finished :class:`~knowledge.models.Answer`.

The Discord bot, the ``citebot`` CLI and the local console all call :meth:`Assistant.ask`. In
order, it cleans the question once, rewrites members' words with the glossary, retrieves passages
(:meth:`KnowledgeBase.search`), has the evidence judged (:func:`knowledge.evidence.judge`), looks
for a moderators' curated answer, and returns the answer whole.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .curated import CuratedAnswer, CuratedMatch, CuratedStore
from .evidence import AnswerSettings, QuestionWeights, Verdict, judge
from .glossary import Glossary
from .kb import KnowledgeBase, default_state_dir
from .models import Answer, CuratedReply, Hit
from .question import Question, content_words

logger = logging.getLogger(__name__)


class Assistant:
    """Answers questions from a knowledge base, moderators' curated answers first.

    ``settings`` (how the evidence is judged) are fixed at construction. ``kb`` is a plain
    attribute: a reload builds a new :class:`KnowledgeBase` and assigns it in one step, so a
    question being answered keeps the knowledge base it started with, and the settings stay.

    With a :class:`~knowledge.glossary.Glossary`, members' words are rewritten into the knowledge
    base's terms before retrieval; with a :class:`~knowledge.curated.CuratedStore`, a question
    matching a curated one gets the moderators' answer in ``Answer.curated`` (retrieval still runs:
    its passages follow the curated answer).
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        settings: AnswerSettings | None = None,
        curated: CuratedStore | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        self.kb = kb
        self.settings = settings or AnswerSettings()
        self.curated = curated
        self.glossary = glossary

    @classmethod
    def with_state(
        cls,
        kb: KnowledgeBase,
        state_dir: Path | str | None = None,
        *,
        settings: AnswerSettings | None = None,
    ) -> Assistant:
        """An assistant using the curated answers and glossary saved in ``state_dir``."""
        folder = Path(state_dir) if state_dir else default_state_dir()
        return cls(
            kb,
            settings=settings,
            curated=CuratedStore.in_state_dir(folder),
            glossary=Glossary.in_state_dir(folder),
        )

    def ask(self, question: str | Question, *, context: str = "", k: int = 5) -> Answer:
        """Answer ``question`` (text, or a :class:`~knowledge.question.Question` already cleaned)
        with up to ``k`` passages; ``context`` is the earlier question of a follow-up. Raises
        :class:`~knowledge.question.QuestionError` for an empty question."""
        kb = self.kb  # one knowledge base for the whole question, even if a reload swaps it meanwhile
        asked = question if isinstance(question, Question) else Question.parse(question)
        notices = list(asked.notices)
        expansion = self.glossary.expand(asked.text) if self.glossary is not None else None
        expanded = expansion.text if expansion is not None and expansion.applied else None
        if expansion is not None and expanded is not None:
            notices.append(expansion.notice())
        query = expanded or asked.text  # retrieval and the judge read the rewritten words
        hits = kb.search(query, k=k, context=context, context_weight=self.settings.context_weight)
        verdict = self._judge(kb, query, hits, context)
        match = self.match_curated(asked.text, kb, expanded=expanded)
        curated = None
        if match is not None:
            curated = _served(match.answer, kb)
            logger.info("curated answer %d matched (score %.2f)", match.answer.id, match.score)
        return Answer(
            question=asked.text,  # the member's words, not the rewritten ones
            answered=verdict.answered,
            hits=tuple(hits),
            sentences=verdict.sentences,
            notices=tuple(notices),
            curated=curated,
            confidence=verdict.confidence,
        )

    def _judge(self, kb: KnowledgeBase, query: str, hits: list[Hit], context: str) -> Verdict:
        if not hits:
            return Verdict(answered=False)
        # A follow-up is judged with its context, so "and during lactation?" after a question about
        # antibodies in milk is judged as a question about antibodies in milk during lactation.
        words = content_words(f"{context} {query}" if context else query)
        weights = QuestionWeights.of(words, kb.index.query_terms(" ".join(words)), kb.rarest_weight)
        passages = [kb.passage(hit.passage_id) for hit in hits]
        settings = self.settings
        if kb.semantic is not None:  # how similar the hits are to the question moves the bar
            settings = kb.semantic.answer_settings(query, hits, settings)
        return judge(hits, passages, weights, settings)

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


def _served(entry: CuratedAnswer, kb: KnowledgeBase) -> CuratedReply:
    """A curated answer as it leads a reply: its sources looked up in the current knowledge base
    (sources no longer in it are left out)."""
    hits = tuple(hit for source in entry.sources if (hit := kb.hit(source.passage_id)) is not None)
    return CuratedReply(id=entry.id, question=entry.question, text=entry.text, hits=hits)
