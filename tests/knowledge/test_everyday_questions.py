"""The everyday-words question sets (bench/everyday_eval.py, `citebot eval`) are well formed: enough
questions, sections that exist in the article, both halves in both lists, no question twice, none
shared between two sets."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from knowledge.evaluation import SOURCE, load_question_set
from knowledge.kb import CORPUS_DIR

SETS = {
    name: load_question_set(Path(__file__).with_name(name))
    for name in (
        "everyday_questions.yaml",
        "everyday_questions_fresh.yaml",
        "everyday_questions_third.yaml",
        "everyday_questions_fourth.yaml",
    )
}
ARTICLE = (CORPUS_DIR / "maternal-infant-immune-system.md").read_text(encoding="utf-8")
HEADINGS = set(re.findall(r"^#{2,6}\s+(.+?)\s*$", ARTICLE, flags=re.MULTILINE))


@pytest.mark.parametrize("question_set", SETS.values(), ids=SETS.keys())
def test_the_set_is_large_enough(question_set):
    assert len(question_set.answerable) >= 60
    assert len(question_set.off_topic) >= 30
    assert sum(SOURCE in q.sections for q in question_set.answerable) >= 5


@pytest.mark.parametrize("question_set", SETS.values(), ids=SETS.keys())
def test_every_section_is_a_heading_of_the_article_or_source(question_set):
    assert {"Enteromammary immune system", "Summary"} <= HEADINGS
    for question in question_set.answerable:
        assert set(question.sections) <= HEADINGS | {SOURCE}, question


@pytest.mark.parametrize("question_set", SETS.values(), ids=SETS.keys())
def test_every_heading_that_answers_is_asked_about(question_set):
    asked = {section for question in question_set.answerable for section in question.sections}
    assert HEADINGS - {"Selected references"} <= asked


@pytest.mark.parametrize("question_set", SETS.values(), ids=SETS.keys())
def test_both_halves_hold_a_balanced_share_of_both_lists(question_set):
    for questions in (question_set.answerable, question_set.off_topic):
        halves = Counter(question.half for question in questions)
        assert set(halves) == {"tune", "test"}, halves
        assert abs(halves["tune"] - halves["test"]) <= 0.1 * len(questions)


@pytest.mark.parametrize("question_set", SETS.values(), ids=SETS.keys())
def test_no_question_is_asked_twice(question_set):
    texts = [q.question.casefold() for q in (*question_set.answerable, *question_set.off_topic)]
    assert len(texts) == len(set(texts)), [t for t, n in Counter(texts).items() if n > 1]


def test_no_set_asks_what_an_earlier_set_asks():
    seen: set[str] = set()
    for question_set in SETS.values():
        texts = [q.question.casefold() for q in (*question_set.answerable, *question_set.off_topic)]
        assert not [t for t in texts if t in seen]
        seen.update(texts)
