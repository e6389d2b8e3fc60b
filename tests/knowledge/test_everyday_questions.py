"""The everyday-words question set (bench/everyday_eval.py, `citebot eval`) is well formed: enough
questions, sections that exist in the article, both halves in both lists, no question twice."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from knowledge.evaluation import SOURCE, load_question_set
from knowledge.kb import CORPUS_DIR

QUESTIONS = load_question_set(Path(__file__).with_name("everyday_questions.yaml"))
ARTICLE = (CORPUS_DIR / "maternal-infant-immune-system.md").read_text(encoding="utf-8")
HEADINGS = set(re.findall(r"^#{2,6}\s+(.+?)\s*$", ARTICLE, flags=re.MULTILINE))


def test_the_set_is_large_enough():
    assert len(QUESTIONS.answerable) >= 60
    assert len(QUESTIONS.off_topic) >= 30
    assert sum(SOURCE in q.sections for q in QUESTIONS.answerable) >= 5


def test_every_section_is_a_heading_of_the_article_or_source():
    assert {"Enteromammary immune system", "Summary"} <= HEADINGS
    for question in QUESTIONS.answerable:
        assert set(question.sections) <= HEADINGS | {SOURCE}, question


def test_every_heading_that_answers_is_asked_about():
    asked = {section for question in QUESTIONS.answerable for section in question.sections}
    assert HEADINGS - {"Selected references"} <= asked


def test_both_halves_hold_a_balanced_share_of_both_lists():
    for questions in (QUESTIONS.answerable, QUESTIONS.off_topic):
        halves = Counter(question.half for question in questions)
        assert set(halves) == {"tune", "test"}, halves
        assert abs(halves["tune"] - halves["test"]) <= 0.1 * len(questions)


def test_no_question_is_asked_twice():
    texts = [q.question.casefold() for q in (*QUESTIONS.answerable, *QUESTIONS.off_topic)]
    assert len(texts) == len(set(texts)), [t for t, n in Counter(texts).items() if n > 1]
