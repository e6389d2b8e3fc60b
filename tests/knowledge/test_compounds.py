"""A word members write joined ("metadata") where the documents hyphenate it ("meta-data"), or
hyphenated ("new-line") where the documents write it joined ("newline")."""

from __future__ import annotations

from knowledge import Assistant, Document, KnowledgeBase
from knowledge.compounds import hyphenated_compounds, spell_compounds
from knowledge.notices import Code

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


def test_only_words_the_index_does_not_know_are_respelled():
    compounds = {"metadata": "meta-data", "newline": "new-line"}
    known = {"newline", "wikilinks"}.__contains__
    assert spell_compounds("Where is the Metadata? newline", compounds, known) == (
        "Where is the meta-data? newline"
    )
    assert spell_compounds("metadatas and meta-data", compounds, known) == "metadatas and meta-data"
    # Hyphenated where the documents write it joined; kept where they hyphenate it too.
    assert spell_compounds("do wiki-links work across new-line", compounds, known) == (
        "do wikilinks work across new-line"
    )
    assert spell_compounds("a gut-to-breast e-mail", compounds, known) == "a gut-to-breast e-mail"


def test_a_joined_word_finds_the_section_that_hyphenates_it(tmp_path):
    kb = KnowledgeBase.from_documents(DOCS)
    answer = Assistant(kb).ask("how do i read the metadata at the top of a file")
    assert answer.answered
    assert answer.hits[0].doc_id == "meta"
    assert "meta-data" in answer.sentences[0].text
    # The member's question is kept as written.
    assert answer.question == "how do i read the metadata at the top of a file"


def test_a_word_is_spelled_as_the_documents_spell_it():
    kb = KnowledgeBase.from_documents([*DOCS, Document("nl", "Newline", "A newline ends each line.")])
    assert kb.spell_compounds("what does newline do") == "what does newline do"
    assert kb.spell_compounds("what does metadata do") == "what does meta-data do"
    assert kb.spell_compounds("what does a new-line do") == "what does a new-line do"  # both spellings
    kb = KnowledgeBase.from_documents([Document("nl", "Newline", "A newline ends each line.")])
    assert kb.spell_compounds("what does a new-line do") == "what does a newline do"


def test_a_hyphenated_word_finds_the_section_that_writes_it_joined():
    kb = KnowledgeBase.from_documents(
        [
            Document("nl", "Line endings", "## Newline\n\nA newline in a paragraph becomes a `<br>` tag."),
            Document(
                "news",
                "New features",
                "## New versions\n\nEach new version adds a line to the changelog; the line names the new "
                "features.",
            ),
        ]
    )
    answer = Assistant(kb).ask("what does a new-line in a paragraph do")
    assert answer.answered
    assert answer.hits[0].doc_id == "nl"


def test_a_word_written_in_two_is_joined_when_the_documents_know_it_whole():
    known = {"enteromammary", "breast", "milk", "mammary", "intense", "forloop", "loop"}.__contains__
    assert spell_compounds("wat is the entero mammary thing", {}, known) == "wat is the enteromammary thing"
    assert spell_compounds("breast milk", {}, known) == "breast milk"  # both halves are its words
    assert spell_compounds("in tense", {}, known) == "in tense"  # a half under three letters
    assert spell_compounds("a for loop", {}, known) == "a for loop"  # a stop word is no half


def test_a_split_word_finds_its_section_and_names_no_fragment(tmp_path):
    kb = KnowledgeBase.default(state_dir=tmp_path)
    answer = Assistant(kb).ask("wat is the entero mammary thing ppl keep mentioning")
    assert answer.answered
    assert answer.hits[answer.sentences[0].source - 1].section == "Enteromammary immune system"
    assert not any(notice.code is Code.NOT_COVERED for notice in answer.notices)
