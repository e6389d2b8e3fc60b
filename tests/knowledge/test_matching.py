"""Question similarity: what a question is about, how alike two are, and how much each word counts."""

from __future__ import annotations

import pytest

from knowledge import Document, KnowledgeBase
from knowledge.matching import kb_weight, question_terms, similarity


@pytest.fixture(scope="module")
def milk_kb() -> KnowledgeBase:
    # Four passages: "breastfeeding" in two of them, "colostrum" in one, "milk" in three.
    return KnowledgeBase.from_documents(
        [
            Document(
                "milk",
                "Milk",
                "# Milk\n\n## Feeding\n\nBreastfeeding passes antibodies to the infant.\n\n"
                "## Colostrum\n\nColostrum is the first milk; breastfeeding in the first hour gives it.\n\n"
                "## Storage\n\nExpressed milk keeps four days in a fridge.\n\n"
                "## Pumps\n\nA pump expresses milk at work.",
            )
        ]
    )


def test_question_terms_keep_what_changes_the_question():
    terms = question_terms("Can you explain how often I should breastfeed before work?")
    assert {"often", "before"} <= terms  # stop words for the index, but they change the question
    assert "explain" not in terms and "how" not in terms and "you" not in terms
    assert question_terms("What is colostrum?") == question_terms("colostrum")


def test_similarity_is_one_for_the_same_words_and_zero_for_none_shared():
    a = question_terms("Is colostrum the first milk?")
    assert similarity(a, question_terms("first milk: is that colostrum")) == 1.0
    assert similarity(a, question_terms("how do I store expressed milk")) < 0.5
    assert similarity(a, question_terms("vitamin D and sunlight")) == 0.0
    assert similarity(a, frozenset()) == 0.0


def test_an_added_word_makes_a_different_question_in_both_directions():
    breastfeeding = question_terms("Is ibuprofen safe while breastfeeding?")
    pregnant = question_terms("Is ibuprofen safe while breastfeeding and pregnant?")
    assert similarity(breastfeeding, pregnant) == similarity(pregnant, breastfeeding) < 1.0


def test_forms_of_one_word_are_the_same_word():
    # Snowball: "breastfeeding" -> "breastfeed", "breastfed" -> "breastf".
    assert similarity(question_terms("breastfeeding"), question_terms("breastfed")) == 1.0
    assert similarity(question_terms("gut"), question_terms("gutter")) == 0.0  # short stems must be equal


def test_rare_words_weigh_more_than_common_ones(milk_kb):
    weight = kb_weight(milk_kb)
    assert weight("colostrum") > weight("breastfeed") > weight("milk")


def test_a_stem_in_another_form_weighs_as_the_indexed_form(milk_kb):
    weight = kb_weight(milk_kb)
    assert milk_kb.index.term_weight("breastfe") is None  # the index holds "breastfeed"
    assert weight("breastfe") == weight("breastfeed")  # a shorter form ("breastfeed" as typed)
    assert weight("breastfeedings") == weight("breastfeed")  # a longer one


def test_unknown_words_weigh_as_the_rarest_and_kept_words_the_least(milk_kb):
    weight = kb_weight(milk_kb)
    # "colostrum" is in one passage: the rarest a known term can be (idf in float32).
    assert weight("xylophon") == pytest.approx(weight("colostrum")) == pytest.approx(milk_kb.rarest_weight)
    floor = weight("often")
    assert floor == pytest.approx(milk_kb.rarest_weight / 2)
    assert all(weight(t) >= floor for t in ("milk", "breastfeed", "colostrum", "xylophon"))


def test_without_a_knowledge_base_every_word_weighs_the_same():
    assert kb_weight(None) is None
    a, b = question_terms("colostrum antibodies"), question_terms("colostrum fridge")
    assert similarity(a, b, kb_weight(None)) == similarity(a, b) == 0.5
