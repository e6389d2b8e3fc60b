"""Moderator-curated answers: stored as ``curated.yaml`` in the state folder, matched to questions.

A curated answer has a question and alternative phrasings, a Markdown answer, the passages it
relies on (id and content hash, so a change in the documents can be noticed), its author,
timestamps and the history of its edits. When a member's question matches one confidently, the
moderators' answer leads the reply (see :mod:`knowledge.assistant`).

- :mod:`.records`: :class:`CuratedAnswer`, :class:`SourceLink`, :class:`Revision`
- :mod:`.yaml_format`: reading and writing ``curated.yaml`` (:func:`parse_curated`, :func:`dump_curated`)
- :mod:`.matcher`: :class:`CuratedMatcher`, over :mod:`knowledge.matching`'s question similarity
- :mod:`.store`: :class:`CuratedStore`, the answers of one state folder, and :class:`ImportPlan`
- :mod:`.sources`: noticing changed source passages and finding their new versions
"""

from ..errors import NotFoundError, StateFileError, StateWriteError
from ..matching import KEPT_WORDS, MIN_PREFIX, kb_weight, question_terms, same_word, similarity
from .matcher import MIN_MATCH, CuratedMatch, CuratedMatcher
from .records import EXCERPT_CHARS, STATUSES, CuratedAnswer, Revision, SourceLink
from .sources import changed_sources, current_sources, source_present
from .store import FILE_NAME, CuratedStore, ImportPlan
from .yaml_format import (
    FORMAT_VERSION,
    MAX_ANSWER_CHARS,
    MAX_PHRASINGS,
    MAX_QUESTION_CHARS,
    check_entry,
    dump_curated,
    parse_curated,
)

__all__ = [
    "EXCERPT_CHARS",
    "FILE_NAME",
    "FORMAT_VERSION",
    "KEPT_WORDS",
    "MAX_ANSWER_CHARS",
    "MAX_PHRASINGS",
    "MAX_QUESTION_CHARS",
    "MIN_MATCH",
    "MIN_PREFIX",
    "STATUSES",
    "CuratedAnswer",
    "CuratedMatch",
    "CuratedMatcher",
    "CuratedStore",
    "ImportPlan",
    "NotFoundError",
    "Revision",
    "SourceLink",
    "StateFileError",
    "StateWriteError",
    "changed_sources",
    "check_entry",
    "current_sources",
    "dump_curated",
    "kb_weight",
    "parse_curated",
    "question_terms",
    "same_word",
    "similarity",
    "source_present",
]
