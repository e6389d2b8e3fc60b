"""The semantic channel: passage vectors, query vectors and their fusion with BM25.

A :class:`SemanticIndex` is held by a knowledge base as ``kb.semantic`` (None when the channel is
off); the engine calls it in two places: :meth:`SemanticIndex.fuse` when ranking passages, and
:meth:`SemanticIndex.answer_settings` before the evidence judge decides.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..evidence import AnswerSettings
    from ..models import Hit
    from .encoder import Encoder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FusionSettings:
    """How the two channels are combined and how similarity moves the answer bar.

    ``weight`` is the semantic channel's share of the fused score, each channel min-max normalised
    over its ``depth`` best passages (chosen on SciFact train only, ``bench/hybrid.py``).
    ``sure``/``unsure``: a best passage at least ``sure`` similar to the question lowers the
    coverage an answer needs to ``sure_confidence``; below ``unsure`` the question is declined unless
    its words are covered at ``unsure_confidence`` or more (a caption is far in meaning from "what
    is the photo at the top of the page?", yet names every word of it; 0.5-0.8 answer it and its
    tune-half twin with nothing else changed on the tune half and the seed set, 0.8 is the safest).
    Chosen on the tune half of tests/knowledge/everyday_questions.yaml and on SciFact answerability
    (the two sets to tune on): every off-topic question of the tune half is under 0.45 similar to its
    best passage, most answerable ones over 0.5; 0.45 answered one more tune question than 0.5 but
    one off-topic seed question too, and on SciFact answered held-out claims at a precision (0.433)
    barely above chance (0.41); 0.5 gives 0.444 at recall 0.90 (lexical: 0.493 at 0.61); results
    in bench/results/hybrid_answers.md. ``curated_veto``: a curated answer matched on words
    is not served when the question is less similar than this to the phrasing that matched (every
    paraphrase in tests/knowledge/curated_paraphrases.yaml is 0.75 or more). Similarity cannot lower
    the words' bar: near misses ("how often" for "how long should I breastfeed") are 0.89 similar.
    On real docs (tests/data/*-docs, bench/results/docs_eval.md) an off-topic question naming the
    project ("deploy a flask app to heroku") is 0.54-0.58 similar to a page; ``sure`` 0.55 declines it
    but loses an everyday tune question, so the sets disagree and these stay."""

    weight: float = 0.45
    depth: int = 1000
    sure: float = 0.5
    sure_confidence: float = 0.1
    unsure: float = 0.2
    unsure_confidence: float = 0.8
    curated_veto: float = 0.6


def _minmax(values: np.ndarray, floor: float | None = None) -> np.ndarray:
    if not len(values):
        return values
    low, high = float(values.min()) if floor is None else floor, float(values.max())
    if high - low < 1e-9:
        return np.ones_like(values)
    return (values - low) / (high - low)


def _top(rows: np.ndarray, scores: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    if len(scores) <= depth:
        return rows, scores
    keep = np.argpartition(-scores, depth - 1)[:depth]
    return rows[keep], scores[keep]


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

    def fuse(
        self, rows: np.ndarray, scores: np.ndarray, query: str, *, skip: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The lexical ``rows``/``scores`` fused with semantic similarity: each channel's ``depth``
        best, min-max normalised, weighted and added; a row outside a channel's best counts 0 there.
        Rows only the semantic channel found join in, except those ``skip`` (a mask) leaves out."""
        depth, weight = self.settings.depth, self.settings.weight
        rows = np.asarray(rows, dtype=np.int64)
        lex_rows, lex_scores = _top(rows, np.asarray(scores, dtype=np.float64), depth)
        sims = self.similarities(query).astype(np.float64)
        candidates = np.arange(len(sims)) if skip is None else np.flatnonzero(~skip)
        sem_rows, sem_scores = _top(candidates, sims[candidates], depth)
        fused = np.zeros(len(sims), dtype=np.float64)
        found = np.zeros(len(sims), dtype=bool)
        # Passages BM25 did not match score 0 and belong to its best ``depth`` when fewer matched.
        floor = 0.0 if len(lex_rows) < min(depth, len(candidates)) else None
        # Each channel lists a row once, so plain fancy-index adds are exact (and faster than add.at).
        fused[lex_rows] += (1.0 - weight) * _minmax(lex_scores, floor)
        fused[sem_rows] += weight * _minmax(sem_scores)
        found[lex_rows] = found[sem_rows] = True
        out = np.flatnonzero(found)
        return out, fused[out]

    def best_similarity(self, query: str, hits: Sequence[Hit], top: int = 3) -> float:
        """The highest similarity of ``query`` with the passages of its ``top`` hits."""
        rows = [self._row[h.passage_id] for h in hits[:top] if h.passage_id in self._row]
        if not rows:
            return 0.0
        return float((self.vectors[rows] @ self.query_vector(query)).max())

    def answer_settings(self, query: str, hits: Sequence[Hit], settings: AnswerSettings) -> AnswerSettings:
        """``settings`` with the coverage bar moved by how similar the best hits are to the
        question: lowered when they are clearly about it, out of reach when they are not."""
        if not hits:
            return settings
        similarity = self.best_similarity(query, hits)
        if similarity >= self.settings.sure:
            bar = min(settings.min_confidence, self.settings.sure_confidence)
        elif similarity < self.settings.unsure:
            bar = max(settings.min_confidence, self.settings.unsure_confidence)
        else:
            return settings
        return replace(settings, min_confidence=bar)

    def confirms(self, question: str, phrasing: str) -> bool:
        """Whether ``question`` means enough the same as a curated ``phrasing`` it matched on words."""
        return self.text_similarity(question, phrasing) >= self.settings.curated_veto

    def text_similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts (for matching a question with a curated one)."""
        return float(self.query_vector(a) @ self.query_vector(b))
