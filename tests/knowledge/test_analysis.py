"""The analysis stage: a question read once, before anything can fail, into what every later stage
reads (knowledge/analysis.py)."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase, QuestionError
from knowledge.analysis import CONTENT, SOURCE, SUMMARY, analyse
from knowledge.glossary import Glossary
from knowledge.notices import Code


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KnowledgeBase:
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


def test_a_question_is_read_once_into_its_kind_and_terms(kb):
    plain = analyse("How do antibodies get into milk during lactation?", kb)
    assert plain.kind == CONTENT and not plain.asks_amount and plain.focus is None
    assert {"antibodi", "milk", "lactat"} <= plain.terms.weights.terms
    assert analyse("who wrote this article?", kb).kind == SOURCE
    assert analyse("tl;dr pls", kb).kind == SUMMARY
    assert analyse("how long should i breastfeed", kb).asks_amount


def test_everyday_words_reach_the_documents_terms_in_the_analysis(kb):
    terms = analyse("do germs in my gut change the antibodys in my milk", kb).terms
    germs = next(word for word in terms.weights.words if word.word == "germs")
    assert germs.bridged and any(term.startswith("microb") for term, _ in germs.terms)
    assert terms.extra  # the bridged terms' retrieval weights ride along to the retriever


def test_a_long_post_keeps_the_terms_of_its_asking_sentence(kb):
    post = (
        "I'm 3 weeks postpartum and exhausted. My mum keeps asking questions. "
        "How do antibodies get into my milk?"
    )
    analysis = analyse(post, kb)
    assert analysis.focus is not None
    assert analysis.focus.query == "How do antibodies get into my milk?"


def test_the_glossary_rewrite_and_red_flags_are_read_on_both_spellings(kb, tmp_path):
    glossary = Glossary(tmp_path / "glossary.yaml")
    glossary.add("first milk", "colostrum", author="mod")
    analysis = analyse("what is first milk", kb, glossary=glossary)
    assert analysis.expanded == "what is colostrum" and analysis.text == "what is first milk"
    assert [n.code for n in analysis.notices] == [Code.GLOSSARY]
    urgent = analyse("my baby is floppy and won't wake up, is that normal", kb)
    assert urgent.red_flag is not None


def test_an_empty_question_is_refused_before_any_stage(kb):
    with pytest.raises(QuestionError):
        analyse("   ", kb)
    shortened = analyse("What is colostrum? " * 200, kb)
    assert [n.code for n in shortened.notices] == [Code.SHORTENED]
