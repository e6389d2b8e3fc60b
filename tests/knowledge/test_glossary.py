"""The glossary: storage, validation and query expansion."""

from __future__ import annotations

import os
import threading

import pytest

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.errors import NotFoundError, StateFileError
from knowledge.glossary import Glossary


@pytest.fixture(scope="module")
def seed_kb(tmp_path_factory) -> KnowledgeBase:
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


def test_expansion_replaces_whole_terms_on_stems(tmp_path):
    glossary = Glossary(tmp_path / "glossary.yaml")
    glossary.add("first milk", "colostrum", author="mod")
    glossary.add("tummy", "gut", author="mod")
    expanded = glossary.expand("Is First-Milk good for my baby's tummy?")
    assert expanded.text == "Is colostrum good for my baby's gut?"
    assert expanded.applied == (("First-Milk", "colostrum"), ("tummy", "gut"))
    assert "“tummy” as “gut”" in expanded.notice()
    assert glossary.expand("Is milk first?").applied == ()  # order matters: not the term


def test_glossary_persists_and_remove(tmp_path):
    Glossary(tmp_path / "glossary.yaml").add("first milk", "colostrum", author="mod")
    again = Glossary(tmp_path / "glossary.yaml")
    assert [(e.term, e.means, e.author) for e in again.entries()] == [("first milk", "colostrum", "mod")]
    again.remove("First Milk")
    assert Glossary(tmp_path / "glossary.yaml").entries() == []
    with pytest.raises(NotFoundError):
        again.remove("first milk")


def test_invalid_glossary_file_keeps_the_previous_terms(tmp_path):
    path = tmp_path / "glossary.yaml"
    glossary = Glossary(path)
    glossary.add("first milk", "colostrum", author="mod")
    path.write_text("version: 1\nterms:\n- term: tummy\n  means: ''\n")
    os.utime(path, ns=(3, 3))
    error = glossary.refresh()
    assert str(error) == "glossary.yaml, line 4, entry 1 ('tummy'): 'means' must be non-empty text"
    assert glossary.expand("first milk").text == "colostrum"


def test_bad_terms_are_refused(tmp_path):
    glossary = Glossary(tmp_path / "glossary.yaml")
    with pytest.raises(StateFileError):
        glossary.add("   ", "colostrum", author="mod")
    with pytest.raises(StateFileError):
        glossary.add("colostrum", "Colostrum", author="mod")
    with pytest.raises(StateFileError):
        glossary.add("x" * 200, "colostrum", author="mod")


def test_expansion_changes_what_the_knowledge_base_answers(tmp_path, seed_kb):
    question = "How does the tummy of the mother send immune cells to the boobs?"
    plain = Assistant(seed_kb).ask(question)
    glossary = Glossary(tmp_path / "glossary.yaml")
    glossary.add("tummy", "gut", author="mod")
    glossary.add("boobs", "mammary glands", author="mod")
    expanded = Assistant(seed_kb).ask(glossary.expand(question).text)
    assert expanded.answered
    assert expanded.confidence > plain.confidence


def test_questions_expand_safely_while_moderators_edit(tmp_path):
    glossary = Glossary(tmp_path / "glossary.yaml")
    glossary.add("tummy", "gut", author="mod")
    failures: list[BaseException] = []
    stop = threading.Event()

    def ask() -> None:
        try:
            while not stop.is_set():
                assert glossary.expand("my tummy hurts").text == "my gut hurts"
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    readers = [threading.Thread(target=ask) for _ in range(4)]
    for reader in readers:
        reader.start()
    for n in range(60):
        glossary.add(f"word{n}", "milk", author="mod")
    for n in range(0, 60, 2):
        glossary.remove(f"word{n}")
    stop.set()
    for reader in readers:
        reader.join()
    assert failures == []
    assert len(Glossary(tmp_path / "glossary.yaml")) == 31


def test_a_term_that_reads_like_one_already_there_is_refused_and_nothing_is_lost(tmp_path):
    glossary = Glossary(tmp_path / "glossary.yaml")
    glossary.add("baby", "infant", author="mod")
    glossary.add("first milk", "colostrum", author="mod")
    before = (tmp_path / "glossary.yaml").read_text()
    with pytest.raises(StateFileError, match="“babies” reads the same as “baby”"):
        glossary.add("babies", "newborn", author="mod")
    kept = [(e.term, e.means) for e in glossary.entries()]
    assert kept == [("baby", "infant"), ("first milk", "colostrum")]
    assert (tmp_path / "glossary.yaml").read_text() == before
    # The same words again change the meaning, as before.
    assert glossary.add("Baby", "newborn", author="mod").means == "newborn"
    assert len(glossary) == 2
