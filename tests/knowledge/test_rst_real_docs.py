"""Real documentation (tests/data/*-docs: trimmed docs of package sdists, with their licences) asked
in members' words: thresholds a little under what bench/docs_eval.py measured, and no answer ever
shows raw markup or a mark inside code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge import Answer, Assistant, KnowledgeBase
from knowledge.code import code_spans
from knowledge.evaluation import load_question_set, run_question_set

DATA = Path(__file__).resolve().parents[1] / "data"

# Measured on both halves together (bench/results/docs_eval.md): Jinja 43/58 right, 2/16 off-topic
# answered; Python-Markdown 45/56 right, 2/16 off-topic answered.
SETS = [
    pytest.param("jinja-docs", 0.7, 0.25, id="sphinx-rst"),
    pytest.param("python-markdown-docs", 0.75, 0.2, id="markdown-code"),
]
RAW_MARKUP = re.compile(
    r":[\w:.+-]+:`|^\s*\.\.\s+[\w:.+-]+::|``|^\s*([=\-~^\"*+#])\1{3,}\s*$|\|\w[\w -]*\|"
    r"|\[[^\]\n]+\]\([^)\n]*\)|\[[^\]\n]+\]\[[^\]\n]*\]|\{:[^}]*\}|^#{1,6}\s|^\s*!!!\s"
    r"|^\s*\[[^\]\n]+\]:\s*\S",  # a link definition: "[label]: https://..."
    re.M,
)


def code_of(text: str) -> list[str]:
    return [text[start:end] for start, end in code_spans(text)]


def outside_code(text: str) -> str:
    pieces, pos = [], 0
    for start, end in code_spans(text):
        pieces.append(text[pos:start])
        pos = end
    return " ".join([*pieces, text[pos:]])


@pytest.mark.parametrize(("name", "min_right", "max_off_topic"), SETS)
def test_real_docs_are_answered_from_the_right_sections_without_raw_markup(
    tmp_path, name, min_right, max_off_topic
):
    folder = DATA / name
    kb = KnowledgeBase.from_folder(folder / "docs", state_dir=tmp_path)
    assert kb.errors == []
    assistant = Assistant(kb)
    answers: list[Answer] = []

    def ask(question: str, **kwargs) -> Answer:
        answers.append(assistant.ask(question, **kwargs))
        return answers[-1]

    report = run_question_set(ask, load_question_set(folder / "questions.yaml"))
    assert report.right_rate >= min_right
    assert report.off_topic_rate <= max_off_topic
    shown = [s for a in answers if a.answered for s in a.sentences]
    assert len(shown) > 40
    assert [s.text for s in shown if RAW_MARKUP.search(outside_code(s.marked(before="", after="")))] == []
    # The code of a sentence is the same with and without the marks (code holds "**" of its own: a glob).
    assert [
        s.text for s in shown if code_of(s.marked()) != code_of(s.marked(before="", after=""))
    ] == []


def test_real_sphinx_faq_answers_cite_the_published_anchor(tmp_path):
    kb = KnowledgeBase.from_folder(DATA / "jinja-docs" / "docs", state_dir=tmp_path)
    answer = Assistant(kb).ask("how fast is jinja")
    assert answer.answered
    [(_, hit), *_] = answer.cited()
    assert hit.section == "How fast is Jinja?"
    assert hit.link == "https://jinja.palletsprojects.com/en/stable/faq.html#how-fast-is-jinja"
    assert answer.sentences[0].text.startswith("Jinja is relatively fast among template engines")


def test_the_lead_sentence_is_the_one_its_neighbours_complete(tmp_path):
    # "We recommend using the latest version of Python. Jinja supports Python 3.7 and newer." answers
    # it together; a sentence of the FAQ names python, jinja and "need" on its own, about speed.
    kb = KnowledgeBase.from_folder(DATA / "jinja-docs" / "docs", state_dir=tmp_path)
    answer = Assistant(kb).ask("which python version do i need for jinja")
    assert answer.answered
    lead = answer.sentences[0]
    assert answer.hits[lead.source - 1].section == "Installation"
    assert "version of Python" in lead.text
