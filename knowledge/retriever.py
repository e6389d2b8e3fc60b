"""The second stage: from a question's terms to the passages that may answer it.

BM25 over the knowledge base's index (:mod:`knowledge.index`), with the terms the everyday-words
bridge reached at their own weights, a follow-up's context, and passages quoting a symbol the
question names; then, when the knowledge base has its meaning channel, fused with sentence-embedding
similarity (:func:`knowledge.fusion.fuse`). Reference lists are searched only for questions about
the sources. The knowledge base itself only holds the corpus and its lookups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .fusion import fuse
from .index import top_k, top_k_groups
from .question import content_words
from .source_questions import is_source_question

if TYPE_CHECKING:
    from .analysis import Terms
    from .kb import KnowledgeBase
    from .models import Document, Hit, Passage

# How much an earlier question counts in a follow-up's retrieval.
CONTEXT_WEIGHT = 0.35


@dataclass(frozen=True)
class Retrieval:
    """The passages found for one text of a question, best first: ``hits`` and their
    ``passages`` (aligned; None for one no longer known), and ``similarity``, the meaning
    channel's highest similarity of the question with the first three (None without the channel)."""

    hits: tuple[Hit, ...]
    passages: tuple[Passage | None, ...]
    similarity: float | None = None


def retrieve(
    kb: KnowledgeBase, terms: Terms, k: int = 5, *, context_weight: float = CONTEXT_WEIGHT
) -> Retrieval:
    """The ``k`` best passages of ``kb`` for ``terms`` (:func:`knowledge.analysis.terms_of`)."""
    hits = search(
        kb,
        terms.query,
        k,
        context=terms.context,
        context_weight=context_weight,
        extra=dict(terms.extra),
        references=terms.references,
        symbols=terms.symbols,
    )
    similarity = None
    if kb.semantic is not None and hits:
        similarity = kb.semantic.best_similarity(terms.query, hits)
    return Retrieval(tuple(hits), tuple(kb.passage(hit.passage_id) for hit in hits), similarity)


def _scores(
    kb: KnowledgeBase, query: str, context: str, context_weight: float, extra: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    rows, scores = kb.index.score(query, dict(extra))
    if context:
        ctx_rows, ctx_scores = kb.index.score(context)
        if len(ctx_rows):
            all_rows = np.concatenate([rows, ctx_rows])
            all_scores = np.concatenate([scores, ctx_scores * context_weight])
            rows, inverse = np.unique(all_rows, return_inverse=True)
            scores = np.bincount(inverse, weights=all_scores)
    return rows, scores


def _with_symbols(
    kb: KnowledgeBase, rows: np.ndarray, scores: np.ndarray, symbols: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """``rows``/``scores`` with each passage quoting one of ``symbols`` as code of its own scored
    as if it held one more word of the question, as rare as any (``kb.rarest_weight``)."""
    quoting = [kb.quoting()[symbol] for symbol in symbols]
    if not quoting:
        return rows, scores
    added = np.concatenate(quoting)
    all_rows = np.concatenate([np.asarray(rows, dtype=np.int64), added])
    all_scores = np.concatenate([scores, np.full(len(added), kb.rarest_weight)])
    rows, inverse = np.unique(all_rows, return_inverse=True)
    return rows, np.bincount(inverse, weights=all_scores)


def skipped(kb: KnowledgeBase, query: str, references: bool | None) -> np.ndarray | None:
    """The rows a search leaves out (reference lists, unless wanted), or None for none."""
    if not kb.has_references:
        return None
    if references is None:
        references = is_source_question(query)
    return None if references else kb.references


def _fused(kb: KnowledgeBase, rows: np.ndarray, scores: np.ndarray, query: str, skip: np.ndarray | None):
    channel = kb.semantic
    if channel is None:
        return rows, scores
    weight, depth = channel.settings.weight, channel.settings.depth
    return fuse(rows, scores, channel.similarities(query), weight=weight, depth=depth, skip=skip)


def search(
    kb: KnowledgeBase,
    query: str,
    k: int = 5,
    *,
    context: str = "",
    context_weight: float = CONTEXT_WEIGHT,
    extra: Mapping[str, float] | None = None,
    references: bool | None = None,
    symbols: tuple[str, ...] | None = None,
) -> list[Hit]:
    """The ``k`` best passages of ``kb`` for ``query``, best first. ``extra`` adds index terms with
    their own weights; by default, the terms the everyday-words bridge reaches for the query's
    words the index does not know (``kb.expansion``); ``{}`` searches the query's words alone.
    Reference lists are searched only when ``references`` is True, or (None) when the query asks
    about the sources ("what are the references?"). ``symbols``: those the query names (by
    default looked up)."""
    if not kb.passages or k <= 0:
        return []
    if extra is None:
        extra = kb.expansion(kb.bridged(content_words(query)))
    skip = skipped(kb, query, references)
    if symbols is None:
        symbols = tuple(kb.asked_symbols(query))  # "a literal {{": passages quoting `{{` count it
    if kb.semantic is not None or context or symbols or skip is not None:
        rows, scores = _scores(kb, query, context, context_weight, extra)
        if symbols:
            rows, scores = _with_symbols(kb, rows, scores, symbols)
        if skip is not None:
            keep = ~skip[rows]
            rows, scores = rows[keep], scores[keep]
        rows, scores = _fused(kb, rows, scores, query, skip)
        rows, scores = top_k(rows, scores, k)
    else:
        rows, scores = kb.index.search(query, k, dict(extra))
    return [kb.hit_at(int(r), float(s)) for r, s in zip(rows, scores, strict=True) if s > 0]


def search_documents(
    kb: KnowledgeBase, query: str, k: int = 10, *, extra: Mapping[str, float] | None = None
) -> list[tuple[str, float]]:
    """The ``k`` best documents, each scored as its best passage other than a reference list
    (unless the query asks about sources); ``extra`` as in :func:`search`."""
    if extra is None:
        extra = kb.expansion(kb.bridged(content_words(query)))
    rows, scores = kb.index.score(query, dict(extra))
    skip = skipped(kb, query, None)
    if skip is not None:
        keep = ~skip[rows]
        rows, scores = rows[keep], scores[keep]
    rows, scores = _fused(kb, rows, scores, query, skip)
    docs, best = top_k_groups(rows, scores, kb.row_doc, k)
    return [(kb.doc_ids[d], float(s)) for d, s in zip(docs.tolist(), best.tolist(), strict=True)]


def document_for(kb: KnowledgeBase, question: str) -> Document | None:
    """The document a question about "this article" means: the only one, else the one whose
    passages best match the question's words, else the first; None for an empty knowledge base."""
    if len(kb.documents) <= 1:
        return next(iter(kb.documents.values()), None)
    best = search_documents(kb, question, 1)
    return kb.documents[best[0][0]] if best else next(iter(kb.documents.values()))
