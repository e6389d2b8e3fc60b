"""The one answer pipeline that the Discord bot and the local console both call."""

from __future__ import annotations

import logging

from .kb import KnowledgeBase
from .models import Answer

logger = logging.getLogger(__name__)


class Assistant:
    """Answers questions from a knowledge base.

    ``kb`` is a plain attribute: a reload builds a new :class:`KnowledgeBase` and assigns it in one
    step, so a question being answered keeps the knowledge base it started with.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def ask(self, question: str, *, context: str = "", k: int = 5) -> Answer:
        """Answer ``question``; raises :class:`~knowledge.QuestionError` for an empty one."""
        return self.kb.answer(question, k, context=context)
