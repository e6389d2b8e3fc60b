"""A reference list ("Selected references", "Bibliography", "Works cited", a reST "Footnotes" rubric)
is a passage of its own kind: it answers questions about the sources, and is never the answer to,
the closest passage for, or a search result of a question about the content."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.chunking import CONTENT, REFERENCES, passage_kind
from knowledge.retriever import search

REFERENCES_OF_THE_ARTICLE = "Selected references"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.default()


@pytest.mark.parametrize(
    "heading",
    ["Selected references", "References", "references:", "Bibliography", "Works cited", "Footnotes",
     "Further reading", "Literature cited"],
)  # fmt: skip
def test_reference_headings_make_reference_passages(heading):
    assert passage_kind(("Guide", heading)) == REFERENCES


@pytest.mark.parametrize("heading", ["Referencing a template", "Sources of antibodies", "Summary", "Cited"])
def test_other_headings_are_content(heading):
    assert passage_kind((heading,)) == CONTENT


@pytest.mark.parametrize(
    "question",
    [
        "does the newborn play a role in protecting maternal breast health?",
        "what is the mother-infant symbiosis",
    ],
)
def test_a_content_question_worded_like_the_reference_list_is_not_answered_from_it(kb, question):
    # Both questions share most of their words with the article's citation (and were answered
    # from it, or had it first among their passages).
    answer = Assistant(kb).ask(question)
    assert all(hit.section != REFERENCES_OF_THE_ARTICLE for hit in answer.hits)
    assert all(hit.section != REFERENCES_OF_THE_ARTICLE for hit in search(kb, question, k=5))


def test_a_decline_never_offers_the_reference_list_as_the_closest_passage(kb):
    answer = Assistant(kb).ask("a novel perspective on symbiosis")  # words of the citation alone
    assert not answer.answered
    assert all(hit.section != REFERENCES_OF_THE_ARTICLE for hit in answer.hits)


@pytest.mark.parametrize("question", ["what are the references?", "references", "list the references"])
def test_asking_for_the_references_is_answered_from_the_reference_list(kb, question):
    answer = Assistant(kb).ask(question)
    assert answer.answered
    assert answer.hits[0].section == REFERENCES_OF_THE_ARTICLE
    assert search(kb, question, k=1)[0].section == REFERENCES_OF_THE_ARTICLE  # /search references


def test_search_for_a_word_only_the_reference_list_has_finds_nothing_unless_asked(kb):
    assert search(kb, "symbiosis", k=5) == []
    assert search(kb, "symbiosis", k=5, references=True)[0].section == REFERENCES_OF_THE_ARTICLE


def test_a_rest_footnotes_rubric_heads_a_reference_passage_of_its_own(tmp_path):
    (tmp_path / "loaders.rst").write_text(
        "Loaders\n=======\n\nThe file system loader loads templates from a folder [1]_.\n\n"
        ".. rubric:: Footnotes\n\n.. [1] Smith, J. Caching compiled templates on disk. 2020.\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase.from_folder(tmp_path)
    kinds = {passage.section: passage_kind(passage.section) for passage in kb.passages}
    assert kinds == {(): CONTENT, ("Footnotes",): REFERENCES}
    question = "how are compiled templates cached on disk?"
    assert all(hit.section != "Footnotes" for hit in search(kb, question, k=5))
    assert search(kb, "what are the footnotes?", k=1)[0].section == "Footnotes"
