"""The semantic channel: passage vectors and query vectors.

A :class:`SemanticIndex` is held by a knowledge base as ``kb.semantic`` (None when the channel is
off). The retriever fuses its :meth:`SemanticIndex.similarities` with BM25
(:func:`knowledge.fusion.fuse`); the Decider reads the best passages' similarity and a curated
match's (:meth:`SemanticIndex.text_similarity`).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..models import Hit
    from .encoder import Encoder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FusionSettings:
    """How the two channels are combined: ``weight`` is the semantic channel's share of the fused
    score, each channel min-max normalised over its ``depth`` best passages (chosen on SciFact
    train only, ``bench/hybrid.py``). How similarity moves the answer bar is the Decider's
    (:class:`knowledge.decider.AnswerSettings`)."""

    weight: float = 0.45
    depth: int = 1000


class SemanticIndex:
    """Unit vectors of a knowledge base's passages (row ``i`` is ``kb.passages[i]``) and the
    encoder for questions; cosine similarity is a dot product."""

    def __init__(
        self,
        encoder: Encoder,
        vectors: np.ndarray,
        passage_ids: Sequence[str],
        settings: FusionSettings | None = None,
    ) -> None:
        self.encoder = encoder
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.settings = settings or FusionSettings()
        self._row = {pid: i for i, pid in enumerate(passage_ids)}
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # questions are answered in several threads at once

    def query_vector(self, text: str) -> np.ndarray:
        """The unit vector of ``text``; the last 256 are remembered (search and the judge both ask)."""
        with self._lock:
            vector = self._queries.get(text)
            if vector is not None:
                self._queries.move_to_end(text)
                return vector
        vector = self.encoder.encode([text])[0]  # outside the lock: encodes run side by side
        with self._lock:
            self._queries[text] = vector
            if len(self._queries) > 256:
                self._queries.popitem(last=False)
        return vector

    def similarities(self, query: str) -> np.ndarray:
        """Cosine similarity of ``query`` with every passage."""
        return self.vectors @ self.query_vector(query)

    def best_similarity(self, query: str, hits: Sequence[Hit], top: int = 3) -> float:
        """The highest similarity of ``query`` with the passages of its ``top`` hits."""
        rows = [self._row[h.passage_id] for h in hits[:top] if h.passage_id in self._row]
        if not rows:
            return 0.0
        return float((self.vectors[rows] @ self.query_vector(query)).max())

    def text_similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts (for matching a question with a curated one)."""
        return float(self.query_vector(a) @ self.query_vector(b))
