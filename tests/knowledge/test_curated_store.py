"""The curated answers' store: the file (history, backup, write failures, hand edits), import and export."""

from __future__ import annotations

import errno
import os

import pytest
import yaml

from knowledge import atomic
from knowledge.atomic import StateWriteError
from knowledge.curated import CuratedStore, SourceLink
from knowledge.errors import NotFoundError, StateFileError


def test_add_writes_yaml_that_reloads_with_history(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    entry = store.add("What is colostrum?", "The **first milk**.", author="mod", phrasings=["first milk?"])
    store.edit(entry.id, by="other-mod", answer="The first milk, rich in antibodies.")

    again = CuratedStore(tmp_path / "curated.yaml")
    loaded = again.get(entry.id)
    assert loaded.answer == "The first milk, rich in antibodies."
    assert loaded.phrasings == ["first milk?"]
    assert loaded.author == "mod"
    assert [(r.action, r.by) for r in loaded.history] == [("created", "mod"), ("edited", "other-mod")]
    assert loaded.history[1].answer == "The first milk, rich in antibodies."
    assert loaded.created and loaded.updated >= loaded.created
    # The previous version is kept beside it.
    backup = yaml.safe_load((tmp_path / "curated.yaml.bak").read_text())
    assert backup["answers"][0]["answer"] == "The **first milk**."


def test_broken_yaml_names_the_line_and_keeps_serving_the_last_good_state(tmp_path):
    path = tmp_path / "curated.yaml"
    store = CuratedStore(path)
    store.add("What is colostrum?", "The first milk.", author="mod")
    good = path.read_text()
    path.write_text(good.replace("question: What is colostrum?", "question: [unclosed"))
    os.utime(path, ns=(1, 1))  # a different mtime, as a hand edit would give

    error = store.refresh()
    assert isinstance(error, StateFileError)
    broken_line = next(i for i, line in enumerate(path.read_text().splitlines(), 1) if "unclosed" in line)
    # YAML reports where it noticed the problem: the broken line or the one after it.
    assert error.line in (broken_line, broken_line + 1)
    assert str(error).startswith(f"curated.yaml, line {error.line}: invalid YAML")
    # Still answering from the last good state.
    assert store.match("what is colostrum") is not None
    assert store.get(1).question == "What is colostrum?"


def test_unparseable_file_at_start_falls_back_to_the_backup(tmp_path):
    path = tmp_path / "curated.yaml"
    store = CuratedStore(path)
    store.add("What is colostrum?", "The first milk.", author="mod")
    store.add("How do I store milk?", "In the fridge.", author="mod")
    path.write_text("answers: [\n")
    restarted = CuratedStore(path)
    assert restarted.load_error is not None and restarted.load_error.line == 2
    assert [a.question for a in restarted.list()] == ["What is colostrum?"]  # the .bak: one edit back


def test_full_disk_keeps_the_change_in_memory_and_writes_it_later(tmp_path, monkeypatch):
    store = CuratedStore(tmp_path / "curated.yaml")
    store.add("What is colostrum?", "The first milk.", author="mod")
    real_write = atomic._write_temp

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write_temp", disk_full)
    with pytest.raises(StateWriteError) as caught:
        store.add("How do I store milk?", "In the fridge.", author="mod")
    assert str(caught.value).endswith("curated.yaml: No space left on device")
    # The error carries the answer that was added in memory: callers report it without guessing.
    assert caught.value.done.id == 2 and caught.value.done.question == "How do I store milk?"
    assert store.pending
    assert store.match("how do i store milk") is not None  # served from memory
    assert len(CuratedStore(tmp_path / "curated.yaml")) == 1  # the file still holds the last write

    monkeypatch.setattr(atomic, "_write_temp", real_write)
    store.add("Is it safe to take ibuprofen while breastfeeding?", "Usually, yes.", author="mod")
    assert not store.pending
    assert [a.id for a in CuratedStore(tmp_path / "curated.yaml").list()] == [1, 2, 3]


def test_read_only_folder_gives_a_clear_error(tmp_path):
    folder = tmp_path / "state"
    folder.mkdir()
    store = CuratedStore(folder / "curated.yaml")
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(StateWriteError, match=r"could not write .*curated\.yaml: Permission denied"):
            store.add("How do I store milk?", "In the fridge.", author="mod")
        assert not list(folder.iterdir())
    finally:
        folder.chmod(0o700)
    store.flush()
    assert len(CuratedStore(folder / "curated.yaml")) == 1


def test_hand_edit_is_picked_up(tmp_path):
    path = tmp_path / "curated.yaml"
    store = CuratedStore(path)
    store.add("What is colostrum?", "The first milk.", author="mod")
    path.write_text(path.read_text().replace("The first milk.", "Edited by hand."))
    os.utime(path, ns=(2, 2))
    assert store.match("what is colostrum").answer.answer == "Edited by hand."


def test_export_then_import_round_trips(tmp_path):
    source = CuratedStore(tmp_path / "a" / "curated.yaml")
    source.add(
        "What is colostrum?",
        "The first milk.\n\nIt is yellowish.",
        author="mod",
        phrasings=["first milk?"],
        sources=[SourceLink("milk#colostrum-abc123", "abc123", "Colostrum is")],
    )
    source.add("How do I store milk?", "In the fridge.", author="mod")
    exported = source.export_yaml()

    target = CuratedStore(tmp_path / "b" / "curated.yaml")
    plan = target.plan_import(exported, "export.yaml")
    assert plan.summary() == "2 new, 0 updated, 0 unchanged"
    assert len(target) == 0  # a dry run changes nothing
    target.apply_import(plan, by="admin")
    assert [(a.question, a.answer, a.phrasings, a.sources) for a in target.list()] == [
        (a.question, a.answer, a.phrasings, a.sources) for a in source.list()
    ]
    assert target.plan_import(target.export_yaml()).summary() == "0 new, 0 updated, 2 unchanged"


def test_import_of_an_invalid_file_changes_nothing(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    store.add("What is colostrum?", "The first milk.", author="mod")
    with pytest.raises(StateFileError, match=r"upload.yaml, line 3"):
        store.plan_import("answers:\n- id: 1\n  question: 5: x\n", "upload.yaml")
    assert store.get(1).answer == "The first milk."


def test_a_missing_answer_is_reported_as_not_found_in_plain_words(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    with pytest.raises(NotFoundError) as caught:
        store.remove(7)
    assert str(caught.value) == "There is no curated answer with id 7."


def test_import_gives_entries_without_id_ids_free_in_the_store(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    store.add("What is colostrum?", "The first milk.", author="mod")
    store.add("How do I store milk?", "In the fridge.", author="mod")
    plan = store.plan_import("answers:\n- question: What is IgA?\n  answer: An antibody.\n", "new.yaml")
    assert [(a.id, a.question) for a in plan.added] == [(3, "What is IgA?")]
    store.apply_import(plan, by="admin")
    assert [a.id for a in store.list()] == [1, 2, 3]
    assert store.get(1).answer == "The first milk."


def test_import_names_sources_the_knowledge_base_lacks_and_still_imports(tmp_path, builtin_kb):
    real = builtin_kb.passages[0].id
    text = (
        "answers:\n- id: 1\n  question: What is colostrum?\n  answer: The first milk.\n"
        f"  sources:\n  - passage: {real}\n  - passage: milk#gone-abc123\n"
    )
    store = CuratedStore(tmp_path / "curated.yaml")
    plan = store.plan_import(text, "mine.yaml", kb=builtin_kb)
    assert plan.unknown_sources == [(1, "milk#gone-abc123")]
    assert plan.warnings() == [
        "warning: curated answer #1 names passage milk#gone-abc123, which is not in the knowledge base"
    ]
    store.apply_import(plan, by="admin")
    assert [s.passage_id for s in store.get(1).sources] == [real, "milk#gone-abc123"]


def test_an_empty_import_file_is_empty_and_changes_nothing(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    for text in ("", "version: 1\nanswers: []\n", "# only a comment\n"):
        plan = store.plan_import(text, "empty.yaml")
        assert plan.empty and not plan.changes
    assert not (tmp_path / "curated.yaml").exists()
