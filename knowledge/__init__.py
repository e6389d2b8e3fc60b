"""citebot's knowledge library: documents in, cited answers out. It never imports discord."""

from .answer import AnswerSettings, QuestionError
from .kb import KnowledgeBase, Topic, default_state_dir
from .models import Answer, Document, Hit, LoadError, Passage, Sentence

__all__ = [
    "Answer",
    "AnswerSettings",
    "Document",
    "Hit",
    "KnowledgeBase",
    "LoadError",
    "Passage",
    "QuestionError",
    "Sentence",
    "Topic",
    "default_state_dir",
]
