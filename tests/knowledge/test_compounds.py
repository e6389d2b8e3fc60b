"""A word members write joined ("metadata") where the documents hyphenate it ("meta-data")."""

from __future__ import annotations

from knowledge import Assistant, Document, KnowledgeBase
from knowledge.compounds import hyphenated_compounds, split_compounds

DOCS = [
    Document(
        "meta",
        "Meta-Data",
        "## Accessing the Meta-Data\n\nThe meta-data at the top of a document is made available as a "
        "dict in the `Meta` attribute of the Markdown instance.",
    ),
    Document(
        "input",
        "Input",
        "## Options\n\nTo read a file, pass its name as `input`; the output is written beside it.",
    ),
    Document(
        "breaks",
        "Line breaks",
        "## New lines\n\nWith this extension a new-line in a paragraph becomes a `<br>` tag.",
    ),
]


def test_two_part_hyphenated_words_are_found_with_their_joined_spelling():
    texts = ["The Meta-Data block", "a gut-to-breast route", "IL-6 and x-axis", "new-line"]
    found = hyphenated_compounds(texts)
    assert found == {"metadata": "meta-data", "newline": "new-line"}


def test_only_words_the_index_does_not_know_are_rewritten():
    compounds = {"metadata": "meta-data", "newline": "new-line"}
    known = {"newline"}.__contains__
    assert split_compounds("Where is the Metadata? newline", compounds, known) == (
        "Where is the meta-data? newline"
    )
    assert split_compounds("metadatas and meta-data", compounds, known) == "metadatas and meta-data"


def test_a_joined_word_finds_the_section_that_hyphenates_it(tmp_path):
    kb = KnowledgeBase.from_documents(DOCS)
    answer = Assistant(kb).ask("how do i read the metadata at the top of a file")
    assert answer.answered
    assert answer.hits[0].doc_id == "meta"
    assert "meta-data" in answer.sentences[0].text
    # The member's question is kept as written.
    assert answer.question == "how do i read the metadata at the top of a file"


def test_a_word_the_documents_write_joined_is_left_alone():
    kb = KnowledgeBase.from_documents([*DOCS, Document("nl", "Newline", "A newline ends each line.")])
    assert kb.split_compounds("what does newline do") == "what does newline do"
    assert kb.split_compounds("what does metadata do") == "what does meta-data do"
