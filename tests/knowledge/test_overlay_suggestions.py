"""Autocomplete for a server with uploads: the base's suggestion indexes shared, the uploads'
indexed alone, and every suggestion list exactly the one an index of everything gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import KnowledgeBase
from knowledge.overlay import OverlayKnowledgeBase
from knowledge.overlay_suggestions import JoinedIndex, OverlaySuggestions, Part
from knowledge.suggestions import KnowledgeSuggestions, SuggestionIndex
from knowledge.uploads import KnowledgeLoader

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    docs = DATA / "jinja-docs" / "docs"
    return KnowledgeBase.from_folder(docs, state_dir=tmp_path_factory.mktemp("state"))


def _server(
    base: KnowledgeBase, tmp: Path, files: dict[str, str], docs_set: str | None = None
) -> KnowledgeBase:
    """A server's knowledge as the bot loads it: its uploads folder over the shared base."""
    uploads = tmp / "servers" / "1" / "knowledge"
    if docs_set is not None:
        shutil.copytree(DATA / docs_set / "docs", uploads)
    uploads.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (uploads / name).write_text(text, encoding="utf-8")
    kb = KnowledgeLoader(tmp / "base", tmp, uploads).load(base)
    assert isinstance(kb, OverlayKnowledgeBase)
    return kb


texts_strategy = st.lists(
    st.text(alphabet="abcdeéßİ-# \n", max_size=12) | st.sampled_from(["Fridge", "fridge milk", "Milk"]),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(
    first=texts_strategy,
    second=texts_strategy,
    typed=st.text(alphabet="abcdeABCéSSß-# ", max_size=6) | st.sampled_from(["fridge", "milk f", "MI"]),
    shortest_first=st.booleans(),
    limit=st.sampled_from([25, 3, 1]),
)
def test_two_indexes_joined_suggest_what_one_index_of_both_does(first, second, typed, shortest_first, limit):
    options = {"shortest_first": shortest_first}
    joined = JoinedIndex(
        Part(SuggestionIndex(first, **options), lambda i: i),
        Part(SuggestionIndex(second, **options), lambda i: i + len(first)),
    )
    assert joined.search(typed, limit) == SuggestionIndex([*first, *second], **options).search(typed, limit)


def _typed(texts: list[str]) -> list[str]:
    """What members may type: nothing, starts of the texts, words and pieces from their middle,
    several words, in any case, and words nothing has."""
    typed = ["", " ", "zzqx", "the", "e", "in", "template", "Se", "CLASS attr", "#", "uploads/"]
    for text in texts[::7]:
        words = text.split()
        typed += [text[:1], text[:4], text[:12].upper(), text]
        if len(words) > 1:
            typed += [words[-1], words[1][1:5], " ".join(words[1:3])]
    return list(dict.fromkeys(typed))


def _same_suggestions(kb: OverlayKnowledgeBase, max_chars: int | None) -> None:
    joined = OverlaySuggestions(
        kb,
        KnowledgeSuggestions(kb.base, max_chars=max_chars),
        KnowledgeSuggestions(kb.own, max_chars=max_chars),
    )
    every = KnowledgeSuggestions(kb, max_chars=max_chars)
    assert list(joined.section_names[i] for i in joined.sections.search("", 10_000)) == [
        every.section_names[i] for i in every.sections.search("", 10_000)
    ]
    keys = [f"{p.id} {kb.documents[p.doc_id].title} {p.section_title}" for p in kb.passages]
    expectations = [every.expectation(kb, i).name for i in range(len(every.expectation_index))]
    for typed in _typed([*every.section_names, *keys, *expectations]):
        for limit in (25, 3):
            sections = [joined.section_names[i] for i in joined.sections.search(typed, limit)]
            assert sections == [every.section_names[i] for i in every.sections.search(typed, limit)], typed
            rows = [joined.passage_rows[i] for i in joined.passages.search(typed, limit)]
            assert rows == [every.passage_rows[i] for i in every.passages.search(typed, limit)], typed
            offered = [joined.expectation(kb, i) for i in joined.expectation_index.search(typed, limit)]
            assert offered == [every.expectation(kb, i) for i in every.expectation_index.search(typed, limit)]
    assert len(joined.expectation_index) == len(every.expectation_index)
    assert [d.id for d in joined.uploads] == [d.id for d in every.uploads]


@pytest.mark.parametrize("max_chars", [None, 100])
def test_uploads_over_the_base_are_suggested_as_by_an_index_of_everything(
    base: KnowledgeBase, tmp_path: Path, max_chars: int | None
) -> None:
    kb = _server(base, tmp_path, {}, docs_set="attrs-docs")
    _same_suggestions(kb, max_chars)


def test_a_section_of_both_is_offered_once_and_never_a_document_title(
    base: KnowledgeBase, tmp_path: Path
) -> None:
    base_names = KnowledgeSuggestions(base).section_names
    shared, renamed = base_names[0], base_names[1]
    base_title = next(iter(base.documents.values())).title
    files = {
        # Its sections: one the base has too, one named as a base document, one of its own.
        "notes.md": f"# Server notes\n\nIntro.\n\n## {shared}\n\nOurs.\n\n## {base_title}\n\nAlso ours.\n\n"
        "## Fridge rota\n\nWho cleans the fridge.\n",
        # Titled as a section of the base: that section is no longer a topic to ask about.
        "renamed.md": f"# {renamed.upper()}\n\nA whole document now.\n",
    }
    kb = _server(base, tmp_path, files)
    joined = OverlaySuggestions(kb, KnowledgeSuggestions(base), KnowledgeSuggestions(kb.own))
    names = [joined.section_names[i] for i in joined.sections.search("", 10_000)]
    assert names.count(shared) == 1
    assert base_title not in names and renamed not in names
    assert "Fridge rota" in names
    found = [joined.section_names[i] for i in joined.sections.search(shared)]
    assert found.count(shared) == 1
    _same_suggestions(kb, None)
    _same_suggestions(kb, 100)


def test_the_base_is_indexed_once_for_every_server(base: KnowledgeBase, tmp_path: Path) -> None:
    shared = KnowledgeSuggestions(base)
    first = _server(base, tmp_path / "a", {"fridge.md": "# Fridge\n\n## Milk\n\nFour days at 4 degrees.\n"})
    second = _server(base, tmp_path / "b", {"zebra.md": "# Zebrafish\n\n## Care\n\nWarm water.\n"})
    one = OverlaySuggestions(first, shared, KnowledgeSuggestions(first.own))
    other = OverlaySuggestions(second, shared, KnowledgeSuggestions(second.own))
    assert one.base is other.base is shared
    # What each server indexes itself: its uploads' passages only.
    assert len(one.own.passages) == len(first.own.passages) < len(base.passages)
    assert [first.passages[one.passage_rows[i]].text for i in one.passages.search("milk")] == [
        "Four days at 4 degrees."
    ]
    assert [other.section_names[i] for i in other.sections.search("care")] == ["Care"]
