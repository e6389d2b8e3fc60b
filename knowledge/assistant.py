"""The answer pipeline: the one way from a question to a finished :class:`~knowledge.models.Answer`.

The Discord bot, the ``citebot`` CLI and the local console all call :meth:`Assistant.ask`. It runs
the stages in order, each reading what the one before produced and nothing else:

1. :func:`knowledge.analysis.analyse` reads the question once (cleaned, rewritten by the glossaries,
   checked for red flags, its kind and terms);
2. a question about the source or a "tl;dr" is answered from the document's front matter or
   summary (:mod:`knowledge.source_questions`);
3. :func:`knowledge.retriever.retrieve` finds the passages (BM25, fused with the meaning channel);
4. :class:`knowledge.decider.Decider` decides answer or decline, which sentences, and whether the
   moderators' curated answer is served;
5. :func:`knowledge.explainer.explain` says, as notices, how the question was read and what the
   answer leaves out.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .analysis import SOURCE, SUMMARY, Analysis, analyse, expand
from .calibration import Calibration
from .chunking import sentence_spans
from .curated import CuratedAnswer, CuratedMatch, CuratedStore
from .decider import AnswerSettings, CuratedCandidate, Decider
from .evidence import mark_terms
from .explainer import explain
from .glossary import Glossary
from .kb import KnowledgeBase, default_state_dir
from .models import Answer, CuratedReply, Hit, Sentence
from .notices import Notice
from .question import Question
from .retriever import document_for, retrieve
from .safety import RedFlags
from .source_questions import citing_passage, source_sentences, summary_passage
from .text import analyze
from .trace import Trace

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
        calibration: Calibration | None = None,
    ) -> None:
        self.kb = kb
        self.settings = settings or AnswerSettings()
        if calibration is None and self.settings.calibrated:
            calibration = Calibration.load()
        self.decider = Decider(self.settings, calibration)
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
        """Whether ``text``, or its glossary rewrite, describes warning signs (for texts that are
        not being answered, such as questions offered as suggestions; a question being answered
        has its check in :meth:`analyse`)."""
        return self.red_flags.matches(text, self.rewrite(text))

    def rewrite(self, text: str) -> str | None:
        """``text`` as the glossaries rewrite it (the moderators', then the documents'); None when
        neither changes it."""
        return expand(text, self.kb, self.glossary)[0]

    def analyse(self, question: str | Question, *, context: str = "") -> Analysis:
        """The first stage alone: ``question`` read once (cleaned, rewritten by the glossaries,
        checked for red flags; ``context`` is the earlier question of a follow-up). A caller that
        must act on a red flag before anything can fail analyses first and passes the
        :class:`~knowledge.analysis.Analysis` to :meth:`ask`. Raises
        :class:`~knowledge.question.QuestionError` for an empty question."""
        return analyse(
            question,
            self.kb,
            glossary=self.glossary,
            red_flags=self.red_flags,
            settings=self.settings,
            context=context,
        )

    def ask(self, question: str | Question | Analysis, *, context: str = "", k: int = 5) -> Answer:
        """Answer ``question`` (text, a :class:`~knowledge.question.Question` already cleaned, or an
        :class:`~knowledge.analysis.Analysis` from :meth:`analyse`) with up to ``k`` passages;
        ``context`` is the earlier question of a follow-up (an analysis holds its own). Raises
        :class:`~knowledge.question.QuestionError` for an empty question."""
        return self.trace(question, context=context, k=k).answer

    def trace(self, question: str | Question | Analysis, *, context: str = "", k: int = 5) -> Trace:
        """:meth:`ask`, with what each stage made of the question (``citebot ask --explain``)."""
        kb = self.kb  # one knowledge base for the whole question, even if a reload swaps it meanwhile
        if isinstance(question, Analysis):
            analysis = question
        else:
            analysis = analyse(
                question,
                kb,
                glossary=self.glossary,
                red_flags=self.red_flags,
                settings=self.settings,
                context=context,
            )
        safety = analysis.red_flag.message if analysis.red_flag else ""
        # About the source, or a "tl;dr": answered from the whole document when it can be.
        whole = {SOURCE: self._about_source, SUMMARY: self._summary}.get(analysis.kind)
        answer = whole(kb, analysis.text, list(analysis.notices), safety) if whole is not None else None
        if answer is not None:
            return Trace(analysis, None, answer)
        weight = self.settings.context_weight
        focus = analysis.focus
        verdict = self.decider.decide(
            analysis,
            retrieve(kb, analysis.terms, k, context_weight=weight),
            focus=(lambda: retrieve(kb, focus, k, context_weight=weight)) if focus is not None else None,
            curated=self._curated_candidates(kb, analysis.text, analysis.expanded),
        )
        curated = None
        if verdict.curated is not None:
            curated = _served(verdict.curated.answer, kb)
            match = verdict.curated
            logger.info("curated answer %d matched (score %.2f)", match.answer.id, match.score)
        answer = Answer(
            question=analysis.text,  # the member's words, not the rewritten ones
            answered=verdict.answered,
            hits=verdict.hits,
            sentences=verdict.sentences,
            notices=explain(kb, analysis, verdict),
            curated=curated,
            confidence=verdict.confidence,
            safety=safety,
        )
        return Trace(analysis, verdict, answer)

    def _about_source(
        self, kb: KnowledgeBase, question: str, notices: list[Notice], safety: str
    ) -> Answer | None:
        """The answer to a question about the source, from the document's front matter, citing the
        document (its reference list, or its first passage); None for an empty knowledge base."""
        doc = document_for(kb, question)
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

    def _summary(self, kb: KnowledgeBase, question: str, notices: list[Notice], safety: str) -> Answer | None:
        """The gist of the document a "tl;dr" means: the lead sentences of its summary section;
        None when it has none (the question then goes the usual way)."""
        doc = document_for(kb, question)
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
        notices: list[Notice],
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

    def match_curated(
        self, question: str, kb: KnowledgeBase | None = None, *, expanded: str | None = None
    ) -> CuratedMatch | None:
        """The curated answer that best matches ``question`` (or its glossary rewrite
        ``expanded``), if one matches confidently and, with the meaning channel, means the same."""
        kb = kb or self.kb
        return self.decider.curated(self._curated_candidates(kb, question, expanded))

    def _curated_candidates(
        self, kb: KnowledgeBase, question: str, expanded: str | None
    ) -> list[CuratedCandidate]:
        """The curated answers matching ``question`` or ``expanded`` on words, each with the
        question's similarity in meaning to the phrasing that matched."""
        if self.curated is None:
            return []
        matches = (self.curated.match(question, kb), expanded and self.curated.match(expanded, kb))
        channel = kb.semantic
        return [
            CuratedCandidate(
                m, channel.text_similarity(question, m.phrasing) if channel is not None else None
            )
            for m in matches
            if m
        ]


def _served(entry: CuratedAnswer, kb: KnowledgeBase) -> CuratedReply:
    """A curated answer as it leads a reply: its sources looked up in the current knowledge base
    (sources no longer in it are left out)."""
    hits = tuple(hit for source in entry.sources if (hit := kb.hit(source.passage_id)) is not None)
    return CuratedReply(id=entry.id, question=entry.question, text=entry.text, hits=hits)
