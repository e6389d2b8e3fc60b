"""Answering and declining on the built-in article, calibrated on tests/knowledge/seed_questions.yaml."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from knowledge import (
    Answer,
    AnswerSettings,
    Assistant,
    CuratedReply,
    Document,
    KnowledgeBase,
    QuestionError,
    Sentence,
)
from knowledge.notices import Code, Notice
from knowledge.question import MAX_QUESTION_CHARS
from knowledge.retriever import search, search_documents

QUESTIONS = yaml.safe_load((Path(__file__).with_name("seed_questions.yaml")).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


@pytest.fixture(scope="module")
def assistant(kb):
    return Assistant(kb)


@pytest.mark.parametrize("item", QUESTIONS["answerable"], ids=lambda item: item["question"][:40])
def test_answerable_questions_are_answered_from_the_right_section(kb, assistant, item):
    answer = assistant.ask(item["question"])
    assert answer.answered, f"declined (confidence {answer.confidence})"
    top_sections = {hit.section for hit in answer.hits[:3]}
    assert top_sections & set(item["section"]), top_sections
    assert 1 <= len(answer.sentences) <= 3
    assert any(s.marks for s in answer.sentences)


@pytest.mark.parametrize("question", QUESTIONS["off_topic"], ids=lambda q: q[:40])
def test_off_topic_questions_are_declined_with_closest_passages(kb, assistant, question):
    try:
        answer = assistant.ask(question)
    except QuestionError as exc:  # "🙂🙂🙂": nothing to look up, refused with the reason
        assert "Please ask in words" in str(exc)
        return
    assert not answer.answered, [s.text for s in answer.sentences]
    assert answer.sentences == ()


def test_sentences_are_cited_and_marked(kb, assistant):
    answer = assistant.ask("Which antibody is secreted into breast milk?")
    assert answer.answered
    for sentence in answer.sentences:
        hit = answer.hits[sentence.source - 1]
        assert sentence.passage_id == hit.passage_id
        assert sentence.text in hit.text
    marked = " ".join(s.marked() for s in answer.sentences)
    assert "**IgA**" in marked or "**antibodies**" in marked


def test_citation_names_title_section_reference_and_link(kb, assistant):
    [hit] = search(kb, "secretory IgA", k=1)
    assert hit.section == "Enteromammary immune system"
    assert hit.citation.startswith(hit.title + " › Enteromammary immune system — Guillen-Morales DdJ")
    assert hit.citation.endswith("(https://doi.org/10.3390/hygiene5040046)")


def test_typo_tolerance_finds_the_passage(kb, assistant):
    [hit] = search(kb, "enteromamary imune system", k=1)
    assert hit.section == "Enteromammary immune system"


def test_empty_question_is_a_clear_error(kb, assistant):
    for question in ["", "   ", "\n\t"]:
        with pytest.raises(QuestionError, match="empty"):
            assistant.ask(question)


def test_long_question_is_truncated_with_a_notice(kb, assistant):
    question = "What is the enteromammary immune system? " * 300
    answer = assistant.ask(question)
    assert len(answer.question) <= MAX_QUESTION_CHARS
    assert answer.notices[0] == Notice(Code.SHORTENED, length=len(question), kept=MAX_QUESTION_CHARS)
    assert answer.answered


@pytest.mark.parametrize(
    "question",
    ["🙂" * 50, "免疫系统是什么？", "\x00\x01\x02 IgA \x7f", "?!?!", "a" * 5000, "IgA" + "\u200b" * 20],
)
def test_odd_input_never_crashes(kb, assistant, question):
    try:
        answer = assistant.ask(question)
    except QuestionError as exc:  # emoji or punctuation alone: refused with the reason, not a crash
        assert str(exc) == "Please ask in words: that question has no words to look up."
        assert not any(ch.isalnum() for ch in question)
        return
    assert answer.answered in {True, False}


def test_follow_up_context_counts(kb, assistant):
    plain = assistant.ask("and during lactation?")
    follow = assistant.ask("and during lactation?", context="How do antibodies get into milk?")
    assert follow.answered
    assert follow.hits[0].section == "The mammary immune system"
    assert plain.question == follow.question


def test_empty_knowledge_base_declines(tmp_path):
    kb = KnowledgeBase.from_folder(tmp_path / "missing", state_dir=tmp_path / "state")
    assert kb.errors and "not found" in kb.errors[0].message
    answer = Assistant(kb).ask("What is IgA?")
    assert not answer.answered and answer.hits == ()
    assert search(kb, "IgA") == []


def test_ranking_order_on_a_tiny_corpus():
    kb = KnowledgeBase.from_documents(
        [
            Document("cats", "Cats", "Cats purr and sleep most of the day."),
            Document("dogs", "Dogs", "Dogs bark. Dogs fetch sticks. Dogs love walks."),
            Document("both", "Pets", "Some homes keep a dog and a cat together."),
        ]
    )
    assert [h.doc_id for h in search(kb, "dogs bark", k=3)][:2] == ["dogs", "both"]
    assert search(kb, "the of and") == []
    assert [d for d, _ in search_documents(kb, "cat purring", k=2)] == ["cats", "both"]


def test_a_sentence_that_introduces_a_list_brings_the_list(kb, assistant):
    answer = assistant.ask("What does the maternal-infant immune system cover?")
    [covers] = [s for s in answer.sentences if s.text.startswith("This covers:")]
    assert (
        "- Prenatal immunity" in covers.text and "- Postnatal immunity through breastfeeding" in covers.text
    )
    assert all(
        covers.text[s:e].lower() in {"covers", "immunity", "immune", "maternal", "infant"}
        for s, e in covers.marks
    )


def test_an_answer_is_finished_when_it_is_returned(assistant):
    answer = assistant.ask("Which antibody is secreted into breast milk?")
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.question = "something else"  # type: ignore[misc]
    assert isinstance(answer.hits, tuple) and isinstance(answer.sentences, tuple)


def test_sources_are_numbered_as_the_reply_shows_them_curated_first_then_as_quoted(kb):
    hits = search(kb, "secretory IgA in milk", k=5)
    curated = CuratedReply(7, "What is sIgA?", "Secretory IgA.", hits=[hits[2]])
    # Quoted in this order: the fourth passage, the second, the curated one's, the fourth again.
    quoted = [hits[3], hits[1], hits[2], hits[3]]
    sentences = [Sentence(hit.text[:20], hits.index(hit) + 1, hit.passage_id) for hit in quoted]
    answer = Answer("What is sIgA?", True, hits, sentences, curated=curated)
    # Numbered from [1] in reading order, each passage once; never a passage the reply does not show.
    assert answer.sources() == (hits[2], hits[3], hits[1])
    assert [answer.number(s) for s in sentences] == [2, 3, 1, 2]
    assert answer.curated_numbers() == [1]
    assert answer.cited() == [(1, hits[2]), (2, hits[3]), (3, hits[1])]
    data = answer.to_dict()
    assert data["cites"] == [2, 3, 1, 2]
    assert [(s["n"], s["passage_id"]) for s in data["sources"]] == [
        (1, hits[2].passage_id),
        (2, hits[3].passage_id),
        (3, hits[1].passage_id),
    ]
    # A curated answer with retrieval declined cites its own sources only.
    declined = Answer("What is sIgA?", False, hits, curated=curated)
    assert declined.cited() == [(1, hits[2])] and declined.sources() == (hits[2],)
    # A plain decline names its three closest passages, and those are its sources.
    assert Answer("What is sIgA?", False, hits).sources() == tuple(hits[:3])


def test_a_follow_up_search_breaks_ties_to_the_earlier_passage():
    # Four passages tie for the question and its context; the fifth scores higher.
    texts = ["Dogs bark at cats.", "Dogs bark at owls.", "Dogs bark at cars.", "Dogs bark at kids."]
    docs = [Document(f"d{n}", "Note", text) for n, text in enumerate([*texts, "Dogs bark, dogs bark."])]
    kb = KnowledgeBase.from_documents(docs)
    assert [h.doc_id for h in search(kb, "dogs bark", k=3)] == ["d4", "d0", "d1"]
    assert [h.doc_id for h in search(kb, "dogs bark", k=3, context="barking dogs")] == ["d4", "d0", "d1"]


def test_settings_decide_and_stay_with_the_assistant(kb):
    question = "Which antibody is secreted into breast milk?"
    strict = Assistant(kb, settings=AnswerSettings(min_confidence=1.01, max_sentences=1))
    assert not strict.ask(question).answered
    one = Assistant(kb, settings=AnswerSettings(max_sentences=1)).ask(question)
    assert one.answered and len(one.sentences) == 1
    strict.kb = KnowledgeBase.from_documents(list(kb.documents.values()))  # a reload
    assert strict.settings.min_confidence == 1.01 and not strict.ask(question).answered


def test_a_markdown_link_definition_is_never_quoted_as_an_answer():
    text = (
        "# Extensions\n\nEach extension is enabled by name when the converter is made.\n\n"
        '[smarty]: https://daringfireball.net/projects/smartypants/ "SmartyPants quotes and dashes"\n\n'
        "# Tables\n\nTables are written with pipes and dashes.\n"
    )
    answer = Assistant(KnowledgeBase.from_documents([Document("ext", "Extensions", text)])).ask(
        "how do i get smartypants quotes"
    )
    assert not any("]:" in sentence.text for sentence in answer.sentences)
    assert not answer.answered  # the address and its title were all that matched


def test_a_definition_list_term_is_quoted_with_its_definition():
    text = (
        "# Options\n\n__tab_length__:\n\n:   Length of tabs in the source, four spaces by default.\n\n"
        "__output_format__:\n\n:   Format of the output: `xhtml` or `html`.\n\n"
        "# Tables\n\nTables are written with pipes and dashes.\n"
    )
    answer = Assistant(KnowledgeBase.from_documents([Document("ref", "Reference", text)])).ask(
        "what does the output_format option do"
    )
    assert answer.answered
    lead = answer.sentences[0].marked(before="", after="")
    assert lead.startswith("output_format:") and "\nFormat of the output" in lead
    assert not any(line.lstrip().startswith(":") for line in lead.splitlines())


def test_a_sentence_that_points_back_is_quoted_with_the_one_it_points_to(kb, assistant):
    # "This allows maternal exposure ..." says what "this" is only after the sentence before it
    answer = assistant.ask("what is IgA?")
    lead = answer.sentences[0]
    assert lead.text.startswith("The enteromammary immune system refers to the pathway")
    assert "This allows maternal exposure" in lead.text
    assert lead.text in answer.hits[lead.source - 1].text  # still a faithful quote, one citation


def test_a_long_sentence_before_is_left_out_and_so_is_one_already_quoted():
    long_before = "Colostrum " + "is thick and yellow and comes first " * 12 + "after the birth."
    text = f"## Milk\n\n{long_before} It carries secretory antibodies to the newborn gut.\n"
    kb = KnowledgeBase.from_documents([Document("milk", "Milk", text)])
    lead = Assistant(kb).ask("what carries secretory antibodies to the newborn gut").sentences[0]
    assert lead.text == "It carries secretory antibodies to the newborn gut."  # the answer stays short
    short = "## Milk\n\nColostrum comes first. It carries secretory antibodies to the newborn gut.\n"
    kb = KnowledgeBase.from_documents([Document("milk", "Milk", short)])
    answer = Assistant(kb).ask("colostrum carries secretory antibodies to the newborn gut")
    texts = [s.text for s in answer.sentences]
    assert texts == ["Colostrum comes first. It carries secretory antibodies to the newborn gut."]
