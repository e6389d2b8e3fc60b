"""knowledge.golden: a server's golden questions in the question-set format, checked against what
must answer them, and what got worse since the last check."""

from __future__ import annotations

import pytest

from knowledge import Assistant, Document, KnowledgeBase
from knowledge.curated import CuratedStore
from knowledge.errors import NotFoundError, QuestionError, StateFileError
from knowledge.evaluation import load_question_set
from knowledge.glossary import Glossary
from knowledge.golden import Expectation, GoldenSet, expectation_now, parse_expectation

MILK = Document(
    "milk",
    "Breast milk",
    "# Breast milk\n\n## Colostrum\n\nColostrum is the first milk, thick and yellow, rich in antibodies "
    "that protect the newborn.\n\n## Storage\n\nExpressed breast milk keeps for four days in a "
    "refrigerator at four degrees.\n",
)
FRIDGE_GUIDE = Document(
    "uploads/fridge-guide",
    "Fridge guide",
    "# Fridge guide\n\n## Refrigerator days\n\nHow many days does expressed breast milk keep in a "
    "refrigerator? Expressed breast milk keeps for up to eight days in a refrigerator kept very cold; "
    "count the days in the refrigerator from expressing.\n",
)
COLOSTRUM = "What is colostrum?"
FRIDGE = "How many days does expressed breast milk keep in a refrigerator?"
FRANCE = "What is the capital of France?"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_documents([MILK])


@pytest.fixture
def golden(tmp_path) -> GoldenSet:
    return GoldenSet.in_state_dir(tmp_path)


def test_the_eval_format_with_curated_document_and_declined_loads(tmp_path):
    path = tmp_path / "golden.yaml"
    path.write_text(
        "answerable:\n"
        "  - question: What is colostrum?\n"
        "    section: [Colostrum]\n"
        "  - question: How long does milk keep?\n"
        "    document: milk\n"
        "  - question: Is ibuprofen safe?\n"
        "    curated: 3\n"
        "off_topic:\n"
        "  - What is the capital of France?\n"
    )
    questions = GoldenSet(path).list()
    assert [(q.id, q.expect.describe()) for q in questions] == [
        (1, "section Colostrum"),
        (2, "document milk"),
        (3, "curated answer #3"),
        (4, "declined"),
    ]


def test_an_export_reads_back_the_same_and_plain_eval_can_read_section_questions(golden, tmp_path):
    golden.add(COLOSTRUM, Expectation.section(["Colostrum"]), author="mod")
    golden.add(FRANCE, Expectation.declined(), author="mod")
    exported = tmp_path / "exported.yaml"
    exported.write_text(golden.export_yaml())
    again = GoldenSet(exported).list()
    assert [(q.question, q.expect) for q in again] == [(q.question, q.expect) for q in golden.list()]
    plain = load_question_set(exported)  # only sections and off-topic: citebot eval FILE reads it
    assert [q.question for q in plain.answerable] == [COLOSTRUM]
    assert [q.question for q in plain.off_topic] == [FRANCE]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("answerable:\n  - question: Why?\n", "needs `section`, `document` or `curated`"),
        ("answerable:\n  - question: Why?\n    curated: 2\n    section: [A]\n", "give `curated` alone"),
        ("answerable:\n  - question: Why?\n    curated: two\n", "must be a curated answer's number"),
        ("off_topic:\n  - id: 1\n    question: A?\n  - id: 1\n    question: B?\n", "id 1 is also used"),
        ("off_topic: [Same?, same?]\n", "the same question is also"),
        ("answerable: [oops\n", "invalid YAML"),
    ],
)
def test_a_broken_file_names_the_line_and_is_never_overwritten(tmp_path, text, message):
    path = tmp_path / "golden.yaml"
    path.write_text(text)
    golden = GoldenSet(path)
    assert golden.load_error is not None and message in str(golden.load_error)
    assert "golden.yaml, line" in str(golden.load_error)
    with pytest.raises(StateFileError):
        golden.add(COLOSTRUM, Expectation.declined(), author="mod")
    assert path.read_text() == text


def test_hand_edits_are_picked_up(golden):
    golden.add(COLOSTRUM, Expectation.section(["Colostrum"]), author="mod")
    golden.path.write_text(golden.path.read_text() + "off_topic:\n  - Who won the 1998 World Cup?\n")
    assert [q.question for q in golden.list()] == [COLOSTRUM, "Who won the 1998 World Cup?"]
    assert golden.list()[1].id == 2


def test_adding_the_same_question_again_changes_what_must_answer_it(golden):
    first, replaced = golden.add(COLOSTRUM, Expectation.declined(), author="mod")
    again, replaced_again = golden.add("  what is   COLOSTRUM? ", Expectation.curated_answer(1), author="mod")
    assert (replaced, replaced_again) == (False, True)
    assert again.id == first.id and [q.expect for q in golden.list()] == [Expectation.curated_answer(1)]
    golden.remove(first.id)
    assert golden.list() == []
    with pytest.raises(NotFoundError):
        golden.remove(first.id)


def test_each_kind_of_expectation_is_judged(golden, kb, tmp_path):
    curated = CuratedStore.in_state_dir(tmp_path / "state")
    curated.add("Is ibuprofen safe while breastfeeding?", "Yes, at usual doses.", author="mod")
    assistant = Assistant(kb, curated=curated)
    golden.add(COLOSTRUM, Expectation.section(["Colostrum"], "milk"), author="mod")
    golden.add(FRIDGE, Expectation.in_document("Breast milk"), author="mod")
    golden.add("Is ibuprofen safe while breastfeeding?", Expectation.curated_answer(1), author="mod")
    golden.add(FRANCE, Expectation.declined(), author="mod")
    golden.add("Where is colostrum stored?", Expectation.section(["Storage"]), author="mod")
    golden.add("Is paracetamol safe?", Expectation.curated_answer(2), author="mod")
    report = golden.check(assistant.ask)
    assert [r.passed for r in report.results] == [True, True, True, True, False, False]
    assert report.results[4].got == "Breast milk › Colostrum"
    assert report.results[5].got == "declined"
    # Never checked before: failures, but nothing "got worse".
    assert report.regressions == [] and len(report.unchecked_failures) == 2


def test_an_upload_that_takes_over_a_question_is_a_regression_with_its_cause(golden, kb, tmp_path):
    assistant = Assistant(kb)
    golden.add(FRIDGE, Expectation.section(["Storage"], "milk"), author="mod")
    golden.add(COLOSTRUM, Expectation.section(["Colostrum"]), author="mod")
    assert golden.run(assistant.ask, cause="at start").regressions == []

    assistant.kb = KnowledgeBase.from_documents([MILK, FRIDGE_GUIDE])
    report = golden.run(assistant.ask, cause="/kb add fridge-guide.md by mod")
    assert [r.describe() for r in report.regressions] == [
        f"#1 “{FRIDGE}”: was Breast milk › Storage, now Fridge guide › Refrigerator days"
    ]
    [(worse, status)] = GoldenSet(golden.path).worse()  # remembered across restarts
    assert worse.id == 1 and status.worse_after == "/kb add fridge-guide.md by mod"

    # Still failing after another change: reported once, still blamed on the upload.
    assert golden.run(assistant.ask, cause="/kb reload by mod").regressions == []
    assert golden.worse()[0][1].worse_after == "/kb add fridge-guide.md by mod"

    assistant.kb = kb  # the upload is removed: the question recovers and leaves the list
    report = golden.run(assistant.ask, cause="/kb remove fridge-guide.md by mod")
    assert [r.golden.id for r in report.recovered] == [1] and golden.worse() == []


def test_a_glossary_entry_that_makes_a_question_decline_is_a_regression(golden, kb, tmp_path):
    glossary = Glossary.in_state_dir(tmp_path / "state")
    assistant = Assistant(kb, glossary=glossary)
    golden.add(COLOSTRUM, Expectation.section(["Colostrum"]), author="mod")
    golden.run(assistant.ask)
    glossary.add("colostrum", "capital france", author="mod")
    [regression] = golden.run(assistant.ask, cause="/glossary add colostrum").regressions
    assert regression.now == "declined"


def test_nothing_is_reported_when_nothing_got_worse(golden, kb):
    assistant = Assistant(kb)
    golden.add(COLOSTRUM, Expectation.section(["Colostrum"]), author="mod")
    golden.add(FRANCE, Expectation.declined(), author="mod")
    golden.run(assistant.ask)
    assistant.kb = KnowledgeBase.from_documents([MILK, FRIDGE_GUIDE])
    report = golden.run(assistant.ask, cause="/kb add fridge-guide.md")
    assert report.regressions == [] and report.passed == 2


def test_what_answered_now_becomes_the_expectation(kb, tmp_path):
    curated = CuratedStore.in_state_dir(tmp_path)
    curated.add("Is ibuprofen safe while breastfeeding?", "Yes.", author="mod")
    assistant = Assistant(kb, curated=curated)
    assert expectation_now(assistant.ask("Is ibuprofen safe while breastfeeding?")) == (
        Expectation.curated_answer(1)
    )
    assert expectation_now(assistant.ask(COLOSTRUM)) == Expectation.section(["Colostrum"], "milk")
    assert expectation_now(assistant.ask(FRANCE)) == Expectation.declined()


def test_a_broken_status_file_only_loses_the_baseline(golden, kb):
    golden.add(COLOSTRUM, Expectation.section(["Colostrum"]), author="mod")
    golden.run(Assistant(kb).ask)
    golden.status_path.write_text("{not json")
    reopened = GoldenSet(golden.path)
    assert len(reopened) == 1 and reopened.check(Assistant(kb).ask).passed == 1


def test_an_import_merges_by_question(golden):
    golden.add(COLOSTRUM, Expectation.section(["Colostrum"]), author="mod")
    text = "answerable:\n  - question: what is colostrum?\n    curated: 2\noff_topic:\n  - " + FRANCE + "\n"
    assert golden.import_yaml(text, "mine.yaml", author="mod") == (1, 1, 0)
    assert [(q.id, q.expect) for q in golden.list()] == [
        (1, Expectation.curated_answer(2)),
        (2, Expectation.declined()),
    ]
    assert golden.import_yaml(text, "mine.yaml", author="mod") == (0, 0, 2)
    with pytest.raises(StateFileError, match=r"mine\.yaml, line 2"):
        golden.import_yaml("answerable:\n  - question: Why?\n", "mine.yaml", author="mod")
    assert len(golden) == 2


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("declined", Expectation.declined()),
        ("curated:3", Expectation.curated_answer(3)),
        ("#4", Expectation.curated_answer(4)),
        ("document:uploads/tomatoes", Expectation.in_document("uploads/tomatoes")),
        ("section:milk#Breast milk › Colostrum", Expectation.section(["Breast milk › Colostrum"], "milk")),
        ("section:Colostrum", Expectation.section(["Colostrum"])),
    ],
)
def test_expectations_as_typed_or_picked(typed, expected):
    assert parse_expectation(typed) == expected


def test_an_expectation_that_means_nothing_is_refused():
    with pytest.raises(QuestionError, match="curated:3"):
        parse_expectation("the good one")
