"""Fusing the two retrieval channels: BM25 scores and the meaning channel's similarities, each
normalised over its best passages, weighted and added. A plain function over arrays, so the
retriever, the benchmarks and the tests call the same thing."""

from __future__ import annotations

import numpy as np


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


def fuse(
    rows: np.ndarray,
    scores: np.ndarray,
    similarities: np.ndarray,
    *,
    weight: float,
    depth: int,
    skip: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The lexical ``rows``/``scores`` fused with ``similarities`` (one per passage): each
    channel's ``depth`` best, min-max normalised, the meaning channel's weighted ``weight`` and
    BM25's the rest, added; a row outside a channel's best counts 0 there. Rows only the meaning
    channel found join in, except those ``skip`` (a mask) leaves out."""
    rows = np.asarray(rows, dtype=np.int64)
    lex_rows, lex_scores = _top(rows, np.asarray(scores, dtype=np.float64), depth)
    sims = np.asarray(similarities, dtype=np.float64)
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
