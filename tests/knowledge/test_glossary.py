"""The glossary: storage, validation and query expansion."""

from __future__ import annotations

import os
import threading

import pytest

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.errors import NotFoundError, StateFileError
from knowledge.glossary import Glossary
from knowledge.notices import Code, Notice, phrase


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
    assert expanded.notice().pairs == (("First-Milk", "colostrum"), ("tummy", "gut"))
    assert "“tummy” as “gut”" in phrase(expanded.notice())
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


# -- a document's own glossary ----------------------------------------------------------------------


def test_the_built_in_article_reads_parents_shorthand(seed_kb):
    answer = Assistant(seed_kb).ask("does breast milk protect my LO's tummy")
    assert answer.answered
    assert (
        Notice(Code.GLOSSARY, pairs=(("LO", "infant"), ("tummy", "gut")), source="the document's glossary")
        in answer.notices
    )
    assert any("gut" in s.text for s in answer.sentences)


def test_the_moderators_glossary_wins_over_the_documents(seed_kb, tmp_path):
    glossary = Glossary(tmp_path / "glossary.yaml")
    glossary.add("tummy", "stomach", author="mod")
    assistant = Assistant(seed_kb, glossary=glossary)
    assert assistant.rewrite("is my LO's tummy protected") == "is my infant's stomach protected"
    answer = assistant.ask("is my LO's tummy protected")
    assert (
        Notice(Code.GLOSSARY, pairs=(("tummy", "stomach"),), source="the moderators' glossary")
        in answer.notices
    )
    assert (
        Notice(Code.GLOSSARY, pairs=(("LO", "infant"),), source="the document's glossary") in answer.notices
    )


def test_a_documents_glossary_comes_from_its_front_matter_and_skips_bad_entries(tmp_path, caplog):
    (tmp_path / "guide.md").write_text(
        "---\ntitle: Bot guide\nglossary:\n  dm: direct message\n  bad: [not, text]\n  '': empty\n---\n\n"
        "## Direct messages\n\nThe bot answers a direct message with the same answer as in a channel.\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase.from_folder(tmp_path, cache=False)
    assert [e.term for e in kb.glossary.entries.values()] == ["dm"]
    assert "guide" in caplog.text and "'bad'" in caplog.text  # the skipped entry is named
    answer = Assistant(kb).ask("does the bot answer a dm?")
    assert answer.answered
    assert (
        Notice(Code.GLOSSARY, pairs=(("dm", "direct message"),), source="the document's glossary")
        in answer.notices
    )


def test_a_glossary_that_is_not_a_mapping_is_a_clear_document_error(tmp_path):
    (tmp_path / "guide.md").write_text("---\ntitle: Guide\nglossary: [dm]\n---\n\nText.\n", encoding="utf-8")
    kb = KnowledgeBase.from_folder(tmp_path, cache=False)
    assert any("glossary" in str(e) for e in kb.errors)
