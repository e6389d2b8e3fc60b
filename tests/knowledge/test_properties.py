"""Property-based tests: arbitrary Unicode, empty and huge inputs never crash the knowledge library."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge import Assistant, Document, KnowledgeBase, QuestionError
from knowledge.chunking import chunk_document, sentence_spans
from knowledge.documents import DocumentError, parse_html, parse_text
from knowledge.question import MAX_QUESTION_CHARS

# Text that looks like documents: words, punctuation, Markdown, mentions, newlines, any Unicode.
pieces = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["# ", "## Heading\n", "\n\n", "- ", ". ", "e.g. ", "@everyone", "<@&123>", "```\n", "---\n"]
    ),
    st.from_regex(r"[A-Z][a-z]{2,9}( [a-z]{2,9}){0,8}[.!?]", fullmatch=True),
)
documents_text = st.lists(pieces, max_size=40).map("".join)


@settings(max_examples=150, deadline=None)
@given(text=documents_text, target=st.integers(min_value=40, max_value=2000))
def test_chunking_covers_text_with_valid_offsets_and_unique_ids(text, target):
    doc = Document("d", "Title", text)
    assert len(doc.text) == len(text)  # control characters become spaces: offsets hold
    passages = chunk_document(doc, target)
    assert len({p.id for p in passages}) == len(passages)
    for p in passages:
        assert p.text and p.text == doc.text[p.start : p.end]
        assert p.text == p.text.strip()
    last = -1
    for p in passages:
        assert p.start >= last  # reading order, no overlap
        last = p.end


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=500))
def test_sentence_spans_are_ordered_trimmed_and_inside_the_text(text):
    last = 0
    for start, end in sentence_spans(text):
        assert last <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        last = end


@settings(max_examples=150, deadline=None)
@given(text=documents_text)
def test_markdown_loading_either_loads_or_raises_a_named_error(text):
    path = Path("fuzz.md")
    try:
        doc = parse_text(text, path, "fuzz", "markdown")
    except DocumentError as exc:
        assert "fuzz.md" in str(exc)
    else:
        assert isinstance(doc.title, str) and doc.title


@settings(max_examples=100, deadline=None)
@given(html=st.text(max_size=300).map(lambda t: f"<html><body><h2>{t}</h2><p>{t}</p></body></html>"))
def test_html_loading_never_crashes(html):
    doc = parse_html(html.encode("utf-8", "surrogatepass"), Path("x.html"), "x")
    assert isinstance(doc.text, str)


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.one_of(st.text(max_size=300), st.text(min_size=1000, max_size=12000)))
def test_any_question_is_answered_or_declined_never_a_crash(kb, question):
    try:
        answer = Assistant(kb).ask(question)
    except QuestionError as exc:  # nothing to ask, or only emoji and punctuation
        assert "empty" in str(exc) or not any(ch.isalnum() for ch in question), str(exc)
        return
    assert len(answer.question) <= MAX_QUESTION_CHARS
    assert len(answer.hits) <= 5
    if answer.answered:
        assert 1 <= len(answer.sentences) <= 3
    else:
        assert answer.sentences == ()
