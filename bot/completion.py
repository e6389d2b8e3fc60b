"""Autocomplete on Discord: the suggestion indexes (:mod:`knowledge.suggestions`) of each
knowledge base, built once with Discord's limits on a choice (its value at most 100 characters) and
kept as long as the knowledge base is, and :func:`prepare`, which builds them when a knowledge base
is loaded rather than per keystroke.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable

from knowledge import KnowledgeBase
from knowledge.apiref import ApiIndex
from knowledge.suggestions import KnowledgeSuggestions

from .render import CHOICE_NAME_LIMIT

logger = logging.getLogger(__name__)

_BUILT: weakref.WeakKeyDictionary[KnowledgeBase, KnowledgeSuggestions] = weakref.WeakKeyDictionary()
_BUILDING = threading.Lock()  # one build at a time: a second caller for the same base waits for it


def completions(kb: KnowledgeBase) -> KnowledgeSuggestions:
    """The autocomplete indexes of ``kb``, built on first use and kept as long as ``kb`` is (call
    it in a worker thread: a first build reads every passage)."""
    built = _BUILT.get(kb)
    if built is not None:
        return built
    with _BUILDING:
        built = _BUILT.get(kb)
        if built is None:
            started = time.perf_counter()
            built = _BUILT[kb] = KnowledgeSuggestions(kb, max_chars=CHOICE_NAME_LIMIT)
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
