"""The one answer pipeline that the Discord bot and the local console both call."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from .answer import clean_question
from .curated import CuratedAnswer, CuratedMatch, CuratedStore
from .glossary import Glossary
from .kb import KnowledgeBase, default_state_dir
from .models import Answer

logger = logging.getLogger(__name__)


class Assistant:
    """Answers questions from a knowledge base, moderators' curated answers first.

    ``kb`` is a plain attribute: a reload builds a new :class:`KnowledgeBase` and assigns it in one
    step, so a question being answered keeps the knowledge base it started with.

    With a :class:`~knowledge.glossary.Glossary`, members' words are rewritten into the knowledge
    base's terms before retrieval; with a :class:`~knowledge.curated.CuratedStore`, a question
    matching a curated one gets the moderators' answer in ``Answer.curated`` (retrieval still runs:
    its passages follow the curated answer).
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        curated: CuratedStore | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        self.kb = kb
        self.curated = curated
        self.glossary = glossary

    @classmethod
    def with_state(cls, kb: KnowledgeBase, state_dir: Path | str | None = None) -> Assistant:
        """An assistant using the curated answers and glossary saved in ``state_dir``."""
        folder = Path(state_dir) if state_dir else default_state_dir()
        return cls(kb, curated=CuratedStore.in_state_dir(folder), glossary=Glossary.in_state_dir(folder))

    def ask(self, question: str, *, context: str = "", k: int = 5) -> Answer:
        """Answer ``question``; raises :class:`~knowledge.QuestionError` for an empty one."""
        kb = self.kb  # one knowledge base for the whole question, even if a reload swaps it meanwhile
        text, notices = clean_question(question)
        expansion = self.glossary.expand(text) if self.glossary is not None else None
        if expansion is not None and expansion.applied:
            answer = kb.answer(expansion.text, k, context=context)
            answer.question = text  # the member's words, not the rewritten ones
            answer.notices = [*notices, expansion.notice()]
        else:
            answer = kb.answer(text, k, context=context)
            answer.notices = [*notices, *(n for n in answer.notices if n not in notices)]
        match = self.match_curated(
            text, kb, expanded=expansion.text if expansion and expansion.applied else None
        )
        if match is not None:
            answer.curated = self._served(match.answer, kb)
            logger.info("curated answer %d matched (score %.2f)", match.answer.id, match.score)
        return answer

    def match_curated(
        self, question: str, kb: KnowledgeBase | None = None, *, expanded: str | None = None
    ) -> CuratedMatch | None:
        if self.curated is None:
            return None
        kb = kb or self.kb
        found = [
            m for m in (self.curated.match(question, kb), expanded and self.curated.match(expanded, kb)) if m
        ]
        return max(found, key=lambda m: m.score) if found else None

    @staticmethod
    def _served(entry: CuratedAnswer, kb: KnowledgeBase) -> CuratedAnswer:
        hits = [hit for source in entry.sources if (hit := kb.hit(source.passage_id)) is not None]
        return replace(entry, hits=hits)
