"""Regression thresholds on the built-in article's question set (bench/seed_eval.py reports it)."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge import KnowledgeBase
from knowledge.evaluation import evaluate

QUESTIONS = yaml.safe_load((Path(__file__).with_name("seed_questions.yaml")).read_text(encoding="utf-8"))


def test_seed_question_set_meets_its_thresholds(tmp_path):
    report = evaluate(
        KnowledgeBase.default(state_dir=tmp_path), QUESTIONS["answerable"], QUESTIONS["off_topic"]
    )
    assert report.answerable >= 30 and report.off_topic >= 30
    assert report.answered_rate == 1.0, report.misses
    assert report.top1_accuracy >= 0.88, report.misses
    assert report.top3_accuracy == 1.0, report.misses
    assert report.decline_rate == 1.0, report.misses


def test_evaluation_counts_what_goes_wrong(tmp_path):
    kb = KnowledgeBase.default(state_dir=tmp_path)
    wrong_section = [{"question": "What is secretory IgA in breast milk?", "section": ["Summary"]}]
    report = evaluate(kb, wrong_section, ["What is the enteromammary immune system?"])
    assert report.answered == 1 and report.top1 == 0 and report.declined == 0
    assert report.misses == [
        "What is secretory IgA in breast milk?",
        "What is the enteromammary immune system?",
    ]
