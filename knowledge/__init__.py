"""citebot's knowledge library: documents in, cited answers out. It never imports discord."""

from .assistant import Assistant
from .decider import AnswerSettings
from .kb import KnowledgeBase, Topic, default_state_dir
from .models import (
    Answer,
    CuratedReply,
    Document,
    Hit,
    LoadError,
    Passage,
    Sentence,
    format_citation,
    format_label,
)
from .question import Question, QuestionError

__all__ = [
    "Answer",
    "AnswerSettings",
    "Assistant",
    "CuratedReply",
    "Document",
    "Hit",
    "KnowledgeBase",
    "LoadError",
    "Passage",
    "Question",
    "QuestionError",
    "Sentence",
    "Topic",
    "default_state_dir",
    "format_citation",
    "format_label",
]
