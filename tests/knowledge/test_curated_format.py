"""The ``curated.yaml`` format: every mistake named with file, line and entry; nothing unsafe loaded."""

from __future__ import annotations

import pytest

from knowledge.curated import (
    MAX_ANSWER_CHARS,
    CuratedAnswer,
    CuratedStore,
    Revision,
    SourceLink,
    dump_curated,
    parse_curated,
)
from knowledge.yaml_state import StateFileError


def test_invalid_entry_names_file_line_and_entry(tmp_path):
    path = tmp_path / "curated.yaml"
    path.write_text(
        "version: 1\nanswers:\n"
        "  - id: 1\n    question: What is colostrum?\n    answer: The first milk.\n"
        "  - id: 2\n    question: How do I store milk?\n    answer: ''\n"
    )
    store = CuratedStore(path)
    error = store.load_error
    assert error is not None
    assert str(error) == "curated.yaml, line 8, entry 2 (id 2): 'answer' is missing or empty"
    assert len(store) == 0  # nothing good was ever loaded, and there is no backup


def test_duplicate_ids_are_rejected(tmp_path):
    path = tmp_path / "curated.yaml"
    path.write_text(
        "answers:\n- {id: 3, question: a question, answer: an answer}\n"
        "- {id: 3, question: another, answer: text}\n"
    )
    store = CuratedStore(path)
    assert "id 3 is also used by entry 1" in str(store.load_error)
    assert store.load_error.line == 3


def test_unsafe_yaml_tags_are_refused(tmp_path):
    path = tmp_path / "curated.yaml"
    path.write_text("answers: !!python/object/apply:os.system ['echo hacked']\n")
    store = CuratedStore(path)
    assert store.load_error is not None
    assert len(store) == 0


def test_a_written_file_reads_back_the_same_and_keeps_multi_line_answers_readable():
    answers = [
        CuratedAnswer(
            id=4,
            question="What is colostrum?",
            answer="The **first milk**.\n\nIt is yellowish.",
            phrasings=["first milk?"],
            sources=[SourceLink("milk#colostrum-abc123", "abc123", "Colostrum is")],
            author="mod",
            created="2026-01-02T03:04:05+00:00",
            updated="2026-01-03T03:04:05+00:00",
            status="stale",
            stale_reason="source changed or removed: milk#colostrum-abc123",
            history=[Revision("2026-01-02T03:04:05+00:00", "mod", "created", "What is colostrum?", "x")],
        ),
        CuratedAnswer(id=9, question="How do I store milk?", answer="In the fridge."),
    ]
    text = dump_curated(answers)
    assert text.startswith("# citebot curated answers. You may edit this file by hand")
    assert "answer: |-\n    The **first milk**.\n\n    It is yellowish.\n" in text  # a block, as typed
    assert parse_curated(text, "curated.yaml") == answers


def test_an_answer_over_the_limit_is_refused_before_anything_changes(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    entry = store.add("What is colostrum?", "The first milk.", author="mod")
    too_long = "x" * (MAX_ANSWER_CHARS + 1)
    with pytest.raises(StateFileError, match=rf"'answer' is {MAX_ANSWER_CHARS + 1} characters; the limit"):
        store.add("How do I store milk?", too_long, author="mod")
    with pytest.raises(StateFileError, match="'question' is missing or empty"):
        store.edit(entry.id, by="mod", question="   ")
    assert [(a.question, a.answer) for a in CuratedStore(tmp_path / "curated.yaml").list()] == [
        ("What is colostrum?", "The first milk.")
    ]


def test_an_unknown_format_version_is_refused_with_its_line():
    expected = r"curated.yaml, line 2: unknown format version 2 \(expected 1\)"
    with pytest.raises(StateFileError, match=expected):
        parse_curated("# a newer citebot wrote this\nversion: 2\nanswers: []\n", "curated.yaml")


def test_yes_and_numbers_are_read_as_the_text_typed():
    text = (
        "answers:\n"
        "- id: 1\n  question: 123\n  answer: yes\n"
        "- id: 2\n  question: Is 1.50 the dose?\n  answer: 1.50\n"
        "- id: 3\n  question: Can I?\n  answer: no\n  phrasings: [may I?, 2024]\n"
    )
    answers = parse_curated(text, "mine.yaml")
    assert [(a.question, a.answer) for a in answers] == [
        ("123", "yes"),
        ("Is 1.50 the dose?", "1.50"),
        ("Can I?", "no"),
    ]
    assert answers[2].phrasings == ["may I?", "2024"]
    # Written back, they stay text.
    assert [a.answer for a in parse_curated(dump_curated(answers), "curated.yaml")] == ["yes", "1.50", "no"]


def test_a_mistake_in_an_answer_typed_as_yes_still_names_its_line():
    with pytest.raises(StateFileError) as caught:
        parse_curated("answers:\n- id: 1\n  question: ''\n  answer: yes\n", "mine.yaml")
    assert str(caught.value) == "mine.yaml, line 3, entry 1 (id 1): 'question' is missing or empty"


def test_entries_without_id_get_the_next_free_ones():
    text = (
        "answers:\n"
        "- question: What is colostrum?\n  answer: The first milk.\n"
        "- id: 4\n  question: How do I store milk?\n  answer: In the fridge.\n"
        "- question: What is IgA?\n  answer: An antibody.\n"
    )
    assert [a.id for a in parse_curated(text, "mine.yaml")] == [5, 4, 6]
    assert [a.id for a in parse_curated(text, "mine.yaml", taken=[1, 9])] == [10, 4, 11]
    with pytest.raises(StateFileError, match="'id' must be a positive whole number, not 'x'"):
        parse_curated("answers:\n- id: x\n  question: q\n  answer: a\n", "mine.yaml")


def test_the_readme_example_reads_as_documented():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The curated-answer file", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    [entry] = parse_curated(example, "README.md")
    assert (entry.id, entry.phrasings, entry.status) == (3, ["Can I use ibuprofen when nursing?"], "active")
    assert entry.sources[0].content_hash == "3f9a1c" and entry.sources[0].excerpt
