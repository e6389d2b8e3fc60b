"""Running a YAML question set on a knowledge base: which answers count as right."""

from __future__ import annotations

import pytest

from knowledge import Assistant, Document, KnowledgeBase
from knowledge.evaluation import QuestionSetError, load_question_set, run_question_set

TOMATOES = Document(
    "tomatoes",
    "Growing tomatoes",
    "# Growing tomatoes\n\n## Care\n\n### Watering\n\nTomato plants in pots need watering every morning "
    "in summer, at the soil and not the leaves.\n\n## Harvest\n\nPick tomatoes when they are fully red "
    "and slightly soft.\n",
)
BEES = Document(
    "bees", "Keeping bees", "# Keeping bees\n\n## Hives\n\nA beehive needs a dry, sheltered spot.\n"
)


@pytest.fixture(scope="module")
def ask():
    return Assistant(KnowledgeBase.from_documents([TOMATOES, BEES])).ask


def write(tmp_path, text):
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_any_heading_on_the_section_path_counts(ask, tmp_path):
    questions = load_question_set(
        write(
            tmp_path,
            "answerable:\n"
            '  - {question: "How often do tomato plants in pots need watering?", section: [Watering]}\n'
            '  - {question: "When do I water tomato plants in pots?", section: [Care]}\n'
            '  - {question: "How often do tomato plants need watering in summer?", section: [Harvest]}\n',
        )
    )
    report = run_question_set(ask, questions)
    assert [o.right for o in report.outcomes] == [True, True, False]
    assert report.outcomes[2].describe() == "answered from Care › Watering"


def test_source_questions_must_cite_the_named_document(ask, tmp_path):
    text = 'answerable:\n  - {question: "Who wrote the guide to keeping bees?", section: [source]}\n'
    assert run_question_set(ask, load_question_set(write(tmp_path, text))).right == 1
    named = load_question_set(write(tmp_path, "document: tomatoes\n" + text))
    assert named.document == "tomatoes"
    assert run_question_set(ask, named).right == 0


def test_source_questions_must_be_answered_from_the_front_matter(ask, tmp_path):
    # Quoting a passage of the right document is not an answer about who wrote it or where it appeared.
    text = 'answerable:\n  - {question: "Where should a beehive stand?", section: [source]}\n'
    report = run_question_set(ask, load_question_set(write(tmp_path, text)))
    assert report.outcomes[0].answered and report.right == 0


def test_a_half_keeps_only_its_questions(ask, tmp_path):
    questions = load_question_set(
        write(
            tmp_path,
            "answerable:\n"
            '  - {question: "Where should a beehive stand?", section: [Hives], half: tune}\n'
            '  - {question: "When are tomatoes ripe?", section: [Harvest], half: test}\n'
            "off_topic:\n"
            '  - {question: "How do I fix a bicycle tyre?", half: test}\n'
            '  - "What is the capital of France?"\n',
        )
    )
    report = run_question_set(ask, questions, half="test")
    assert [o.question.question for o in report.outcomes] == [
        "When are tomatoes ripe?",
        "How do I fix a bicycle tyre?",
    ]
    assert len(run_question_set(ask, questions).outcomes) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just a list\n", "1: expected a mapping"),
        ("answerable: {question: x}\n", "1: `answerable` must be a list"),
        ('answerable:\n  - {question: "", section: [A]}\n', "2: `question` must be non-empty text"),
        ('off_topic:\n  - "fine"\n  - {question: "x", half: train}\n', "3: `half` must be one of tune, test"),
        ("answerable: []\noff_topic: []\n", "no questions"),
    ],
)
def test_a_broken_question_set_names_the_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(QuestionSetError) as error:
        load_question_set(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)
