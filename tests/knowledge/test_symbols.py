"""A question naming a syntax symbol ("a literal {{", "what does ~ do") is answered from the sentence
that quotes that symbol as code of its own."""

from __future__ import annotations

from knowledge import Assistant, Document, KnowledgeBase
from knowledge.symbols import asked_symbols, is_symbol, quoted_symbols, quoting_rows

DOCS = [
    Document(
        "literals",
        "Literals",
        "## Literals\n\nThe simplest form of expressions are literals. They are useful whenever you need a "
        "string in the template, for example as arguments to filters.",
    ),
    # Where "template" and "output" are everywhere, as in real template documentation.
    Document("loading", "Loading", "## Loaders\n\nA loader finds each template by name for its output."),
    Document("rendering", "Rendering", "## Render\n\nRendering a template returns its output as a string."),
    Document(
        "escaping",
        "Escaping",
        "## Escaping\n\nSometimes Jinja should ignore parts it would otherwise handle as variables. "
        "The easiest way to output a literal variable delimiter (`{{`) is by using a variable expression: "
        "`{{ '{{' }}`.",
    ),
    Document(
        "operators",
        "Other operators",
        "## Other operators\n\nThe `~` operator converts all operands into strings and concatenates them. "
        "The `|` operator applies a filter.",
    ),
]


def test_symbols_are_runs_of_syntax_not_words_or_prose_punctuation():
    assert [is_symbol(s) for s in ("{{", "~", "**", "->", "{{ x }}", "?", "...", ":)", "x")] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert quoted_symbols("a delimiter (`{{`) and `{{ x }}` and `~`") == {"{{", "~"}
    assert quoting_rows(d.text for d in DOCS) == {"{{": [3], "~": [4], "|": [4]}


def test_only_symbols_standing_alone_that_the_documents_quote_are_asked():
    known = frozenset({"{{", "~", "|"})
    assert asked_symbols("how do i output a literal {{ in my template?", known) == ["{{"]
    assert asked_symbols("what does `~` do? and ~?", known) == ["~"]
    assert asked_symbols("what is {{x}} or a -> b :)", known) == []
    assert asked_symbols("what does ** do", known) == []  # the documents never quote it


def test_a_separator_between_two_words_names_no_symbol():
    known = {"/", "&", "~"}
    assert asked_symbols("how to render a nested menu / sitemap tree", known) == []
    assert asked_symbols("escaping html & xml", known) == []
    assert asked_symbols("what does / do in a template", known) == ["/"]  # asked about
    assert asked_symbols("what is `/` for", known) == ["/"]  # quoted
    assert asked_symbols("the / operator", known) == ["/"]


def test_a_question_naming_a_symbol_is_answered_from_the_sentence_quoting_it():
    assistant = Assistant(KnowledgeBase.from_documents(DOCS))
    answer = assistant.ask("how do i output a literal {{ in my template")
    assert answer.answered
    lead = answer.sentences[0]
    assert lead.text.startswith("The easiest way to output a literal variable delimiter (`{{`)")
    assert answer.hits[lead.source - 1].doc_id == "escaping"
    # Nothing is marked inside the code it quotes.
    assert "`{{`" in lead.marked()


def test_a_symbol_question_is_answered_about_that_symbol():
    answer = Assistant(KnowledgeBase.from_documents(DOCS)).ask("what does the | operator do")
    assert answer.answered
    assert answer.sentences[0].text == "The `|` operator applies a filter."
