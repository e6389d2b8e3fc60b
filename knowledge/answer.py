"""Former home of question cleaning, kept so that ``from knowledge.answer import ...`` still works.

New code imports :mod:`knowledge.question` (cleaning, question words) and :mod:`knowledge.evidence`
(the judge and its :class:`AnswerSettings`); :class:`knowledge.assistant.Assistant` answers.
"""

from __future__ import annotations

from .evidence import AnswerSettings
from .question import MAX_QUESTION_CHARS, QUESTION_WORDS, QuestionError, clean_question

__all__ = ["MAX_QUESTION_CHARS", "QUESTION_WORDS", "AnswerSettings", "QuestionError", "clean_question"]
