"""The SQLite state store: versioned schema, WAL, one changeable vote per member per answer."""

from __future__ import annotations

import sqlite3

import pytest

from knowledge.store import MIGRATIONS, Store, StoreError


@pytest.fixture
def store(tmp_path):
    s = Store.in_folder(tmp_path)
    yield s
    s.close()


def test_schema_is_versioned_and_in_wal_mode(store, tmp_path):
    assert store.schema_version == len(MIGRATIONS)
    db = sqlite3.connect(tmp_path / "citebot.sqlite3")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(len(MIGRATIONS),)]
    finally:
        db.close()


def test_reopening_keeps_everything(tmp_path):
    first = Store.in_folder(tmp_path)
    answer_id = first.record_answer("q?", ["a#x-1", "a#y-2"], True, user_id=7, guild_id=1, channel_id=2)
    first.set_message(answer_id, 555)
    first.set_feedback(answer_id, 7, -1, "vague")
    first.close()

    again = Store.in_folder(tmp_path)
    try:
        record = again.answer(answer_id)
        assert record.passage_ids == ("a#x-1", "a#y-2") and record.answered and record.user_id == 7
        assert again.answer_for_message(555).id == answer_id
        assert again.last_answer_in(2).id == answer_id
        assert [(f.user_id, f.vote, f.reason) for f in again.feedback(answer_id)] == [(7, -1, "vague")]
    finally:
        again.close()


def test_one_vote_per_member_per_answer(store):
    answer_id = store.record_answer("q?", [], False)
    store.set_feedback(answer_id, 1, -1, "wrong section")
    store.set_feedback(answer_id, 1, -1)  # the modal was closed: the reason stays
    assert [(f.vote, f.reason) for f in store.feedback(answer_id)] == [(-1, "wrong section")]
    store.set_feedback(answer_id, 1, 1)  # changed to helpful: the old reason goes
    store.set_feedback(answer_id, 2, 1)
    assert store.feedback_totals(answer_id) == (2, 0)
    assert [(f.user_id, f.vote, f.reason) for f in store.feedback(answer_id)] == [(1, 1, None), (2, 1, None)]
    with pytest.raises(ValueError):
        store.set_feedback(answer_id, 1, 0)


def test_notice_is_remembered_per_member_and_day(store):
    assert store.mark_notice_shown(1, "2026-01-01") is True
    assert store.mark_notice_shown(1, "2026-01-01") is False
    assert store.mark_notice_shown(2, "2026-01-01") is True
    assert store.mark_notice_shown(1, "2026-01-02") is True


def test_a_newer_schema_is_refused(tmp_path):
    Store.in_folder(tmp_path).close()
    db = sqlite3.connect(tmp_path / "citebot.sqlite3")
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this citebot knows"):
        Store.in_folder(tmp_path)
