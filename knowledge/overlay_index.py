"""One server's lexical index: the shared base's, never copied, plus a small one of its own documents,
searched as if both were one index (:mod:`knowledge.overlay` says why and what is approximated).

Rows are numbered as one index built from the base's passages and then the server's would number
them: the base's first (``0 .. offset-1``), then its own (``offset ..``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

import numpy as np

from .index import IndexSettings, QueryTerm, SparseIndex, idf, known_terms
from .top_k import top_k


class Vocabulary:
    """The terms of two indexes, as one set (nothing is copied)."""

    def __init__(self, base: Mapping[str, int], own: Mapping[str, int]) -> None:
        self.base, self.own = base, own
        self._size = len(base) + sum(1 for term in own if term not in base)  # both are fitted: fixed

    def __contains__(self, term: object) -> bool:
        return term in self.base or term in self.own

    def __iter__(self) -> Iterator[str]:
        yield from self.base
        yield from (term for term in self.own if term not in self.base)

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return bool(self.base) or bool(self.own)


class OverlayIndex:
    """``base`` (shared by every server) and ``own`` (fitted over it: ``SparseIndex.fit(...,
    over=base)``), scored with the statistics of both: each term's idf counts the rows of both and
    its document frequency in both. ``own``'s weights were computed that way when it was fitted;
    ``base``'s columns are rescaled per query term by idf_combined / idf_base, so the base's
    arrays are only read."""

    def __init__(self, base: SparseIndex, own: SparseIndex) -> None:
        self.base, self.own = base, own
        self.settings: IndexSettings = base.settings
        self.offset = base.n_rows
        self.vocabulary_ = Vocabulary(base.vocabulary_, own.vocabulary_)
        self.lengths_ = base.lengths_ + own.lengths_

    @property
    def n_rows(self) -> int:
        """How many rows both indexes hold."""
        return self.offset + self.own.n_rows

    @property
    def vocabulary_size(self) -> int:
        """How many distinct terms both indexes hold."""
        return len(self.vocabulary_)

    def term_weight(self, term: str) -> float | None:
        """The idf of ``term`` over both indexes' rows, or None when neither knows it."""
        column = self.own.vocabulary_.get(term)
        if column is not None:  # fitted over the base: already the combined idf
            return float(self.own.idf_[column])
        column = self.base.vocabulary_.get(term)
        if column is None:
            return None
        indptr = self.base.matrix_.indptr
        return float(idf(indptr[column + 1] - indptr[column], self.n_rows))

    def term_with_prefix(self, prefix: str) -> str | None:
        """The first term of either index, in sorted order, that starts with ``prefix``."""
        found = [t for t in (self.base.term_with_prefix(prefix), self.own.term_with_prefix(prefix)) if t]
        return min(found) if found else None

    def document_frequencies(self, terms: list[str]) -> np.ndarray:
        """How many rows of either index hold each of ``terms``."""
        return self.base.document_frequencies(terms) + self.own.document_frequencies(terms)

    def rows_of(self, term: str) -> np.ndarray:
        """The rows holding ``term``, ascending."""
        return np.concatenate([self.base.rows_of(term), self.own.rows_of(term) + self.offset])

    def query_terms(self, query: str) -> list[QueryTerm]:
        """The query's words either index knows (after typo correction), once each, in order."""
        return known_terms(query, self.vocabulary_, self._correct, self.term_weight)

    def _correct(self, word: str) -> str | None:
        # The closer word of the two indexes' corrections; on a tie the base's, whose words are
        # the more frequent as a rule (one index ranks ties by frequency over all its rows).
        found = [c for c in (self.base.correction(word), self.own.correction(word)) if c is not None]
        return min(found, key=lambda c: c.distance).word if found else None

    def score(self, query: str, extra: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Row ids (ascending) and scores of every row sharing a term with ``query``, as
        :meth:`SparseIndex.score` gives them."""
        weights: dict[str, float] = dict(Counter(qt.term for qt in self.query_terms(query)))
        for term, weight in (extra or {}).items():
            if weight > 0 and term not in weights and term in self.vocabulary_:
                weights[term] = weight
        base_cols, base_weights, own_cols, own_weights = [], [], [], []
        for term, weight in weights.items():
            column = self.base.vocabulary_.get(term)
            if column is not None:
                combined = self.term_weight(term) or 0.0
                base_cols.append(column)
                base_weights.append(weight * combined / float(self.base.idf_[column]))
            column = self.own.vocabulary_.get(term)
            if column is not None:
                own_cols.append(column)
                own_weights.append(weight)
        base_rows, base_scores = self.base.score_columns(_ints(base_cols), _floats(base_weights))
        own_rows, own_scores = self.own.score_columns(_ints(own_cols), _floats(own_weights))
        return np.concatenate([base_rows, own_rows + self.offset]), np.concatenate([base_scores, own_scores])

    def search(
        self, query: str, k: int = 10, extra: Mapping[str, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best rows and their scores, best first (ties: lower row first)."""
        rows, scores = self.score(query, extra)
        return top_k(rows, scores, k)


def _ints(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _floats(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)
