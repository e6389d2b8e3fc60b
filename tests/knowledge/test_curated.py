"""Curated answers: the YAML file (validation, atomic writes, history), matching and the source guard."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import yaml

from knowledge import Document, KnowledgeBase, atomic
from knowledge.atomic import StateWriteError, atomic_write_text
from knowledge.curated import (
    MIN_MATCH,
    CuratedAnswer,
    CuratedMatcher,
    CuratedStore,
    SourceLink,
    kb_weight,
)
from knowledge.errors import NotFoundError, StateFileError

PARAPHRASES = Path(__file__).with_name("curated_paraphrases.yaml")


@pytest.fixture(scope="module")
def seed_kb(tmp_path_factory) -> KnowledgeBase:
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


def small_kb(colostrum_text: str) -> KnowledgeBase:
    return KnowledgeBase.from_documents(
        [
            Document(
                "milk",
                "Breast milk",
                f"# Breast milk\n\n## Colostrum\n\n{colostrum_text}\n\n"
                "## Storage\n\nExpressed milk keeps four days in a fridge at 4 °C.",
            ),
        ]
    )


# -- the file --------------------------------------------------------------------------------------


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


def test_unparseable_file_at_start_falls_back_to_the_backup(tmp_path):
    path = tmp_path / "curated.yaml"
    store = CuratedStore(path)
    store.add("What is colostrum?", "The first milk.", author="mod")
    store.add("How do I store milk?", "In the fridge.", author="mod")
    path.write_text("answers: [\n")
    restarted = CuratedStore(path)
    assert restarted.load_error is not None and restarted.load_error.line == 2
    assert [a.question for a in restarted.list()] == ["What is colostrum?"]  # the .bak: one edit back


def test_unsafe_yaml_tags_are_refused(tmp_path):
    path = tmp_path / "curated.yaml"
    path.write_text("answers: !!python/object/apply:os.system ['echo hacked']\n")
    store = CuratedStore(path)
    assert store.load_error is not None
    assert len(store) == 0


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


def test_atomic_write_leaves_no_temp_file_and_keeps_a_backup(tmp_path):
    target = tmp_path / "x.yaml"
    atomic_write_text(target, "one\n")
    atomic_write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert (tmp_path / "x.yaml.bak").read_text() == "one\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.yaml", "x.yaml.bak"]


def test_atomic_write_into_a_missing_unwritable_place_raises_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StateWriteError, match="could not write"):
        atomic_write_text(blocker / "curated.yaml", "x")


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


# -- matching --------------------------------------------------------------------------------------


def test_threshold_separates_paraphrases_from_near_misses(seed_kb):
    data = yaml.safe_load(PARAPHRASES.read_text())
    answers = [
        CuratedAnswer(id=i, question=e["curated"], answer="-", phrasings=e.get("phrasings", []))
        for i, e in enumerate(data["entries"], start=1)
    ]
    matcher = CuratedMatcher(answers)
    weight = kb_weight(seed_kb)
    matched = wrong = 0
    positives = [(i, q) for i, e in enumerate(data["entries"], start=1) for q in e["match"]]
    for expected, question in positives:
        found = matcher.match(question, weight)
        matched += found is not None and found.answer.id == expected
        wrong += found is not None and found.answer.id != expected
    negatives = [q for e in data["entries"] for q in e["reject"]] + data["unrelated"]
    false_matches = [q for q in negatives if matcher.match(q, weight) is not None]
    assert wrong == 0
    assert false_matches == []
    assert matched / len(positives) >= 0.9, (
        f"only {matched}/{len(positives)} paraphrases matched at {MIN_MATCH}"
    )


def test_retired_answers_are_not_matched(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    entry = store.add("What is colostrum?", "The first milk.", author="mod")
    assert store.match("what is colostrum").answer.id == entry.id
    store.retire(entry.id, by="mod")
    assert store.match("what is colostrum") is None
    assert store.get(entry.id).history[-1].action == "retired"


def test_hand_edit_is_picked_up(tmp_path):
    path = tmp_path / "curated.yaml"
    store = CuratedStore(path)
    store.add("What is colostrum?", "The first milk.", author="mod")
    path.write_text(path.read_text().replace("The first milk.", "Edited by hand."))
    os.utime(path, ns=(2, 2))
    assert store.match("what is colostrum").answer.answer == "Edited by hand."


# -- the source guard ------------------------------------------------------------------------------


def test_changed_source_is_flagged_and_keep_relinks_it(tmp_path):
    before = small_kb("Colostrum is the first milk, rich in antibodies.")
    [colostrum] = [p for p in before.passages if "Colostrum" in p.section]
    store = CuratedStore(tmp_path / "curated.yaml")
    entry = store.add(
        "What is colostrum?", "The first milk.", author="mod", sources=[SourceLink.of(colostrum)]
    )
    assert store.check_sources(before) == []

    after = small_kb("Colostrum is the first milk, rich in antibodies and white cells.")
    flagged = store.check_sources(after)
    assert [a.id for a in flagged] == [entry.id]
    assert store.get(entry.id).status == "stale"
    assert colostrum.id in store.get(entry.id).stale_reason
    assert store.check_sources(after) == []  # flagged once, not at every reload

    kept = store.relink(entry.id, after, by="mod")
    [new_colostrum] = [p for p in after.passages if "Colostrum" in p.section]
    assert [s.passage_id for s in kept.sources] == [new_colostrum.id]
    assert kept.status == "active"
    assert store.check_sources(after) == []


def test_a_missing_answer_is_reported_as_not_found_in_plain_words(tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    with pytest.raises(NotFoundError) as caught:
        store.remove(7)
    assert str(caught.value) == "There is no curated answer with id 7."
