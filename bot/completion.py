"""Autocomplete on Discord: the suggestion indexes (:mod:`knowledge.suggestions`) of each
knowledge base, built once with Discord's limits on a choice (its value at most 100 characters) and
kept as long as the knowledge base is, and :func:`prepare`, which builds them when a knowledge base
is loaded rather than per keystroke. A server with uploads shares the base's indexes and adds
those of its uploads alone (:mod:`knowledge.overlay_suggestions`).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable

from knowledge import KnowledgeBase
from knowledge.apiref import ApiIndex
from knowledge.overlay import OverlayKnowledgeBase
from knowledge.overlay_suggestions import OverlaySuggestions
from knowledge.suggestions import KnowledgeSuggestions

from .render import CHOICE_NAME_LIMIT

logger = logging.getLogger(__name__)

Suggestions = KnowledgeSuggestions | OverlaySuggestions

_INDEXED: weakref.WeakKeyDictionary[KnowledgeBase, KnowledgeSuggestions] = weakref.WeakKeyDictionary()
_JOINED: weakref.WeakKeyDictionary[OverlayKnowledgeBase, OverlaySuggestions] = weakref.WeakKeyDictionary()
_BUILDING = threading.Lock()  # one build at a time: a second caller for the same base waits for it


def completions(kb: KnowledgeBase) -> Suggestions:
    """The autocomplete indexes of ``kb``, built on first use and kept as long as ``kb`` is (call
    it in a worker thread: a first build reads every passage). A server's uploads over the shared
    base reuse the base's indexes, built once for every server, and index the uploads alone."""
    if not isinstance(kb, OverlayKnowledgeBase):
        return _indexed(kb)
    joined = _JOINED.get(kb)
    if joined is None:
        base, own = _indexed(kb.base), _indexed(kb.own)
        with _BUILDING:
            joined = _JOINED.get(kb)
            if joined is None:
                joined = _JOINED[kb] = OverlaySuggestions(kb, base, own)
    return joined


def _indexed(kb: KnowledgeBase) -> KnowledgeSuggestions:
    """The indexes of the passages of ``kb`` itself."""
    built = _INDEXED.get(kb)
    if built is not None:
        return built
    with _BUILDING:
        built = _INDEXED.get(kb)
        if built is None:
            started = time.perf_counter()
            built = _INDEXED[kb] = KnowledgeSuggestions(kb, max_chars=CHOICE_NAME_LIMIT)
            logger.info(
                "autocomplete indexed %d passages in %.1fs", len(kb.passages), time.perf_counter() - started
            )
        return built


def prepare(kbs: Iterable[KnowledgeBase]) -> None:
    """Build the autocomplete indexes of freshly loaded knowledge bases now (in a worker thread),
    so no member's keystroke waits for them."""
    for kb in kbs:
        completions(kb)
        ApiIndex.of(kb)  # /lookup's names: the inventories are read once, not on a keystroke
