"""Matching members' questions to curated answers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge import KnowledgeBase
from knowledge.curated import MIN_MATCH, CuratedAnswer, CuratedMatcher, CuratedStore
from knowledge.matching import kb_weight

PARAPHRASES = Path(__file__).with_name("curated_paraphrases.yaml")


@pytest.fixture(scope="module")
def seed_kb(tmp_path_factory) -> KnowledgeBase:
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


def test_threshold_separates_paraphrases_from_near_misses(seed_kb):
    data = yaml.safe_load(PARAPHRASES.read_text())
    answers = [
        CuratedAnswer(id=i, question=e["curated"], answer="-", phrasings=e.get("phrasings", []))
        for i, e in enumerate(data["entries"], start=1)
    ]
    matcher = CuratedMatcher(answers)
    weight = kb_weight(seed_kb)
    matched = wrong = 0
    positives = [(i, q) for i, e in enumerate(data["entries"], start=1) for q in e["match"]]
    for expected, question in positives:
        found = matcher.match(question, weight)
        matched += found is not None and found.answer.id == expected
        wrong += found is not None and found.answer.id != expected
    negatives = [q for e in data["entries"] for q in e["reject"]] + data["unrelated"]
    false_matches = [q for q in negatives if matcher.match(q, weight) is not None]
    assert wrong == 0
    assert false_matches == []
    assert matched / len(positives) >= 0.9, (
        f"only {matched}/{len(positives)} paraphrases matched at {MIN_MATCH}"
    )


def test_retired_answers_are_not_matched(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    entry = store.add("What is colostrum?", "The first milk.", author="mod")
    assert store.match("what is colostrum").answer.id == entry.id
    store.retire(entry.id, by="mod")
    assert store.match("what is colostrum") is None
    assert store.get(entry.id).history[-1].action == "retired"
