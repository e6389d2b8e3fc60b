"""The weights of a lexical index, column by column, readable without SciPy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

# Above this many postings per query, columns are added into a float32 buffer one by one rather
# than by a single bincount (measured crossover on 10k-1M passages).
_BINCOUNT_MAX_POSTINGS = 50_000


class Postings:
    """Each row's weight for each term, stored column-wise: the three arrays of a compressed
    sparse column matrix and its shape. Querying reads the arrays alone, so a loaded index answers
    without SciPy, whose import cost about 0.3 s of CPU, a quarter of a cold `citebot ask`;
    :meth:`tocsc` gives the SciPy matrix for arithmetic."""

    __slots__ = ("data", "indices", "indptr", "shape")

    def __init__(
        self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]
    ) -> None:
        self.data, self.indices, self.indptr, self.shape = data, indices, indptr, shape

    @classmethod
    def of(cls, matrix: sp.spmatrix) -> Postings:
        """The postings of a SciPy sparse matrix (as a column matrix, indices sorted)."""
        csc = matrix.tocsc()
        csc.sort_indices()
        return cls(csc.data, csc.indices, csc.indptr, (int(csc.shape[0]), int(csc.shape[1])))

    @property
    def nnz(self) -> int:
        """How many weights are stored."""
        return len(self.data)

    def tocsc(self) -> sp.csc_matrix:
        """The same weights as a SciPy ``csc_matrix`` (sharing the arrays)."""
        import scipy.sparse as sp

        return sp.csc_matrix((self.data, self.indices, self.indptr), shape=self.shape, copy=False)

    def score_columns(self, cols: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row ids (ascending) and scores of every row holding one of the columns ``cols``, each
        column's weights times its ``weights``."""
        empty = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        if not len(cols):
            return empty
        m = self
        starts, ends = m.indptr[cols], m.indptr[cols + 1]
        if len(cols) == 1:
            rows = m.indices[starts[0] : ends[0]].astype(np.int64)
            return rows, m.data[starts[0] : ends[0]] * weights[0]
        total = int((ends - starts).sum())
        if total == 0:
            return empty
        spans = list(zip(starts.tolist(), ends.tolist(), weights.tolist(), strict=True))
        if total * 5 < m.shape[0]:
            # Few postings: sort them and sum runs of equal rows. Cost follows the postings, not the
            # corpus. Each column is already sorted, and a stable (merge) sort exploits those runs:
            # 2-3x faster than np.unique.
            rows = np.concatenate([m.indices[a:b] for a, b, _ in spans])
            data = np.concatenate([m.data[a:b] * w if w != 1 else m.data[a:b] for a, b, w in spans])
            order = np.argsort(rows, kind="stable")
            rows, data = rows[order], data[order]
            starts = np.concatenate(([0], np.flatnonzero(rows[1:] != rows[:-1]) + 1))
            return rows[starts].astype(np.int64), np.add.reduceat(data, starts)
        # Many postings (a fifth of the rows or more): a dense accumulator beats sorting. Up to
        # ~50k postings one bincount call is cheapest; beyond, adding each column into a float32
        # buffer is 2-3x faster (a column holds a row once, so fancy-index += is exact). Scores
        # are positive, so the nonzero test can run on the buffer's integer view, which is faster.
        if total < _BINCOUNT_MAX_POSTINGS:
            rows = np.concatenate([m.indices[a:b] for a, b, _ in spans])
            data = np.concatenate([m.data[a:b] * w if w != 1 else m.data[a:b] for a, b, w in spans])
            acc = np.bincount(rows, weights=data, minlength=m.shape[0]).astype(np.float32)
        else:
            acc = np.zeros(m.shape[0], dtype=np.float32)
            for a, b, w in spans:
                acc[m.indices[a:b]] += m.data[a:b] * w if w != 1 else m.data[a:b]
        hit = np.flatnonzero(acc.view(np.int32))
        return hit, acc[hit]
