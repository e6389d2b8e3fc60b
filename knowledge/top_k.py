"""Choosing the best of many scored rows: the ``k`` highest rows, or the ``k`` best groups of rows
(documents, each scored as its best passage), in a stable order."""

from __future__ import annotations

import numpy as np


def top_k(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest-scoring rows, best first; ties go to the lower row id."""
    if k <= 0 or not len(rows):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    if len(rows) > k:
        # Keep every row tied with the k-th score, so the tie-break below is deterministic.
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = np.flatnonzero(scores >= kth)
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:k]
    return rows[order], scores[order]


def top_k_groups(
    rows: np.ndarray, scores: np.ndarray, groups: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best groups (e.g. documents), each scored as its best row: ``groups[row]`` is a
    row's group. Best first, ties to the lower group id. Cost follows ``len(rows)``; it is least
    when ``rows`` ascend and groups are contiguous runs of rows (as :meth:`SparseIndex.score` and
    passages stored document by document give)."""
    if k <= 0 or not len(rows):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    owners = groups[rows]
    if len(owners) > 1 and np.any(owners[1:] < owners[:-1]):
        order = np.argsort(owners, kind="stable")
        owners, scores = owners[order], scores[order]
    starts = np.concatenate(([0], np.flatnonzero(owners[1:] != owners[:-1]) + 1))
    return top_k(owners[starts], np.maximum.reduceat(scores, starts), k)
