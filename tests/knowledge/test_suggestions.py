"""The suggestion index: the same suggestions, in the same order, as reading every text — matches
at a word's start or in its middle, in any case, at most 25 — without reading every text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import knowledge.suggestions as suggestions
from knowledge import Document, KnowledgeBase
from knowledge.suggestions import KnowledgeSuggestions, SuggestionIndex

SECTIONS = [
    "The mammary immune system",
    "Enteromammary immune system",
    "Storing milk in the fridge",
    "IgA and IgG antibodies",
    "Immunity of the newborn",
    "Fridge",
]


def read_every_text(typed: str, texts: list[str], limit: int = 25) -> list[str]:
    """What the index must find, by reading every text: those holding every typed word, those
    starting with what was typed first, then the shortest."""
    words = typed.casefold().split()
    matches = [t for t in texts if all(w in t.casefold() for w in words)]
    start = typed.casefold().strip()
    matches.sort(key=lambda t: (not t.casefold().startswith(start), len(t)))
    return matches[:limit]


def suggested(texts: list[str], typed: str, **options) -> list[str]:
    return [texts[i] for i in SuggestionIndex(texts, **options).search(typed)]


def test_a_word_matches_at_the_start_or_in_the_middle_of_a_word_in_any_case():
    assert suggested(SECTIONS, "mammary") == ["The mammary immune system", "Enteromammary immune system"]
    assert suggested(SECTIONS, "MAMMARY IMM") == ["The mammary immune system", "Enteromammary immune system"]
    assert suggested(SECTIONS, "ammar") == ["The mammary immune system", "Enteromammary immune system"]
    assert suggested(SECTIONS, "sourdough") == []


def test_texts_starting_with_what_was_typed_come_first_then_the_shortest():
    # "Fridge" is shorter, but "Storing…" is not offered before it only because it is longer:
    # texts starting with what was typed lead.
    assert suggested(SECTIONS, "fridge") == ["Fridge", "Storing milk in the fridge"]
    assert suggested(SECTIONS, "imm") == [
        "Immunity of the newborn",
        "The mammary immune system",
        "Enteromammary immune system",
    ]
    assert suggested(SECTIONS, "") == sorted(SECTIONS, key=len)


def test_in_the_given_order_when_asked():
    assert suggested(SECTIONS, "imm", shortest_first=False) == [
        "The mammary immune system",
        "Enteromammary immune system",
        "Immunity of the newborn",
    ]


def test_at_most_25_and_the_best_25():
    texts = [f"Section {n:03d} about milk" + " storage" * (n % 7) for n in range(300)]
    got = suggested(texts, "milk")
    assert len(got) == 25
    assert got == read_every_text("milk", texts)
    assert len(SuggestionIndex(texts).search("", limit=10)) == 10


def test_a_text_over_several_lines_starts_with_its_first_line_only():
    texts = ["milk\nstorage", "milk storage guide"]
    assert suggested(texts, "milk storage") == ["milk storage guide", "milk\nstorage"]
    assert suggested(texts, "milk storage") == read_every_text("milk storage", texts)


def test_words_with_punctuation_and_passage_ids_match_as_typed():
    keys = [
        "guide#fridge-3fa9c2d1e0 Storage guide Fridge",
        "guide#freezer-0b7e44a912 Storage guide Freezer",
        "faq#thawing-77aa01c3f2 Questions Thawing milk",
    ]
    assert suggested(keys, "guide#fr") == [keys[0], keys[1]]  # the start of an id
    assert suggested(keys, "9c2d1") == [keys[0]]  # the middle of its hash
    assert suggested(keys, "fridge-3fa") == [keys[0]]
    assert suggested(keys, "thawing-0b") == []


texts_strategy = st.lists(
    st.text(alphabet="abcdeéßİ-# \n\ud800", max_size=16) | st.sampled_from(SECTIONS), max_size=40
)
typed_strategy = st.text(alphabet="abcdeABCéSSß-# \ud800", max_size=8) | st.sampled_from(
    ["mammary", "imm", "immune sys", "fridge", "ig"]
)


@settings(max_examples=300, deadline=None)
@given(texts=texts_strategy, typed=typed_strategy, way=st.sampled_from(["index", "read", "marked"]))
def test_the_index_suggests_exactly_what_reading_every_text_does(texts, typed, way):
    # Every way of finding matches must give what the plain scan gives: through the trigram index
    # (candidates sorted, or marked when there are many) and, with a tiny candidate limit, by
    # reading the texts in order.
    with pytest.MonkeyPatch.context() as patch:
        if way == "read":
            patch.setattr(suggestions, "MAX_CANDIDATES", 2)
        elif way == "marked":
            patch.setattr(suggestions, "_SORTED_CANDIDATES", 0)
        assert suggested(texts, typed) == read_every_text(typed, texts)
        words = typed.casefold().split()
        in_order = [t for t in texts if all(w in t.casefold() for w in words)][:25]
        assert suggested(texts, typed, shortest_first=False) == in_order


def test_a_knowledge_base_never_offers_a_document_title_as_a_topic_nor_a_value_too_long():
    long_id = "x" * 120
    kb = KnowledgeBase.from_documents(
        [
            Document("guide", "Milk storage", "# Milk storage\n\nIntro.\n\n## Fridge\n\nFour days, fridge"),
            Document(long_id, "Long", "# Freezer\n\nSix months in the freezer, fridge too.\n"),
        ]
    )
    every = KnowledgeSuggestions(kb)
    assert [every.section_names[i] for i in every.sections.search("")] == ["Fridge", "Freezer"]
    rows = [every.passage_rows[i] for i in every.passages.search("freezer")]
    assert [kb.passages[r].text for r in rows] == ["Six months in the freezer, fridge too."]
    fitting = KnowledgeSuggestions(kb, max_chars=100)
    assert fitting.passages.search("freezer") == []  # its id is too long to pick: it is typed
    values = [fitting.expectation(kb, i).value for i in fitting.expectation_index.search("freezer")]
    assert values == ["section:Freezer"]  # without its document, which made it too long
