"""A question that names a section of the documentation ("how do i make tables" and "Tables") is
answered from under that heading even when its verb is not the section's ("create")."""

from __future__ import annotations

from knowledge.evidence import AnswerSettings, QuestionWeights, QuestionWord, judge, names_heading
from knowledge.models import Hit, Passage
from knowledge.text import analyze

TEXT = "The extension adds the ability to create tables in documents."


def _under(section: tuple[str, ...], title: str = "Extensions") -> tuple[list[Hit], list[Passage]]:
    passage = Passage("doc#tables-0", "doc", section, TEXT, 0, len(TEXT))
    hit = Hit("doc", passage.id, title, " › ".join(section), TEXT, 1.0)
    return [hit], [passage]


# "make" is a word the documents use, but not in the sentence that answers; it weighs more than
# "tables", so the sentence covers less than the usual bar of the question.
MAKE_TABLES = QuestionWeights(
    (QuestionWord("make", 1.4, (("make", 1.0),)), QuestionWord("tables", 1.0, (("tabl", 1.0),)))
)
ASKED = frozenset(analyze("how do i make tables"))


def test_a_question_naming_the_heading_is_answered_from_under_it() -> None:
    hits, passages = _under(("Extensions", "Tables"))
    verdict = judge(hits, passages, MAKE_TABLES, AnswerSettings(), ASKED)
    assert verdict.answered
    assert verdict.confidence < AnswerSettings().min_confidence
    assert "create tables" in verdict.sentences[0].text
    # A page whose first heading is its title ("Tables", then "Syntax") is named by its title.
    assert judge(*_under(("Syntax",), title="Tables"), MAKE_TABLES, AnswerSettings(), ASKED).answered


def test_the_same_sentence_under_another_heading_is_declined() -> None:
    hits, passages = _under(("Extensions", "Setup"))
    assert not judge(hits, passages, MAKE_TABLES, AnswerSettings(), ASKED).answered
    # Without the question's own words, no heading is named: the usual bar.
    assert not judge(*_under(("Extensions", "Tables")), MAKE_TABLES, AnswerSettings()).answered


def test_a_word_the_knowledge_base_does_not_know_keeps_it_declined() -> None:
    jekyll = QuestionWeights((*MAKE_TABLES.words, QuestionWord("jekyll", 0.3)))
    asked = frozenset(analyze("how do i make tables in jekyll"))
    assert not judge(*_under(("Extensions", "Tables")), jekyll, AnswerSettings(), asked).answered


def test_every_word_of_one_heading_must_be_asked() -> None:
    assert names_heading(("Definition Lists", "Summary"), analyze("how do i write a definition list"))
    assert names_heading(("Installation",), analyze("how do i install it"))  # one stem: "instal"
    assert not names_heading(("Table of Contents",), analyze("how do i make tables"))
    assert not names_heading((), analyze("tables"))
