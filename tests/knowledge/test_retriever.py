"""The retriever stage: BM25 with the analysis' terms, fused with the meaning channel when there is one
(knowledge/retriever.py, knowledge/fusion.py)."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge import Document, KnowledgeBase
from knowledge.analysis import analyse
from knowledge.fusion import fuse
from knowledge.retriever import retrieve, search

DOCS = [
    Document("milk", "Milk", "# Storage\n\nExpressed milk keeps four days in the refrigerator.\n"),
    Document("sleep", "Sleep", "# Safe sleep\n\nBabies sleep on their backs in their own cot.\n"),
    Document(
        "refs",
        "Refs",
        "# Notes\n\nStored milk guidance.\n\n## References\n\n"
        "1. Doe J. Milk storage and the refrigerator. 2020.\n",
    ),
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_documents(DOCS)


def test_retrieve_reads_the_analysis_terms_including_bridged_words(kb):
    analysis = analyse("how long does breastmilk keep in the fridge", kb)
    found = retrieve(kb, analysis.terms, 3)
    assert found.hits[0].doc_id == "milk"
    assert len(found.passages) == len(found.hits) and found.passages[0].doc_id == "milk"
    assert found.similarity is None  # no meaning channel: lexical only


def test_reference_lists_are_searched_only_for_questions_about_sources(kb):
    assert all(hit.section != "References" for hit in search(kb, "milk storage refrigerator", k=5))
    assert any(hit.section.endswith("References") for hit in search(kb, "what are the references?", k=5))


def test_fusion_is_a_weighted_sum_of_both_channels_normalised():
    rows, scores = fuse(
        np.array([0, 1]), np.array([2.0, 1.0]), np.array([0.0, 1.0, 0.5]), weight=0.5, depth=10
    )
    fused = dict(zip(rows.tolist(), scores.tolist(), strict=True))
    assert fused[1] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)  # BM25 half of the best, meaning the best
    assert fused[2] == pytest.approx(0.5 * 0.5)  # found by meaning alone, still a candidate
    assert fused[0] == pytest.approx(0.5 * 1.0)
