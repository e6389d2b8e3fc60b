"""The SQLite state store: versioned schema, WAL, one changeable vote per member per answer,
statistics and the review queue."""

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
        [item] = again.review_items(10)
        assert (item.answer_id, item.downvotes, item.reasons) == (answer_id, 1, ("vague",))
        assert again.vote_totals() == (0, 1)
    finally:
        again.close()


def test_one_vote_per_member_per_answer(store):
    answer_id = store.record_answer("q?", [], True)
    store.set_feedback(answer_id, 1, -1, "wrong section")
    store.set_feedback(answer_id, 1, -1)  # the modal was closed: the reason stays
    [item] = store.review_items(10)
    assert (item.downvotes, item.reasons) == (1, ("wrong section",))
    assert store.vote_totals() == (0, 1)
    store.set_feedback(answer_id, 1, 1)  # changed to helpful: the old reason goes
    store.set_feedback(answer_id, 2, 1)
    assert store.vote_totals() == (2, 0)
    assert store.review_items(10) == []  # an answered question with no 👎 is not for review
    store.set_feedback(answer_id, 1, -1)  # and back to 👎 without a reason: the old one is gone
    [item] = store.review_items(10)
    assert (item.downvotes, item.reasons) == (1, ())
    with pytest.raises(ValueError):
        store.set_feedback(answer_id, 1, 0)


def test_statistics_and_dismissing_from_review(store):
    first = store.record_answer("What is colostrum?", [], True)
    store.record_answer("what is colostrum?", [], False)
    store.record_answer("Is IgA in milk?", [], False)
    assert store.answer_totals() == (3, 1)
    # Wordings differing only in case count as one question.
    top = [(question.lower(), n) for question, n in store.most_asked(5)]
    assert top == [("what is colostrum?", 2), ("is iga in milk?", 1)]
    assert store.most_asked(5, declined_only=True) == [("what is colostrum?", 1), ("Is IgA in milk?", 1)]
    assert [i.question for i in store.review_items(10)] == ["what is colostrum?", "Is IgA in milk?"]
    declined = store.review_items(10)[0].answer_id
    assert store.dismiss_from_review(declined, user_id=9) is True
    assert store.dismiss_from_review(declined, user_id=9) is False  # already out of the queue
    assert store.dismiss_from_review(first) is True  # any recorded answer can be dismissed
    assert store.dismiss_from_review("000000000000") is False  # unknown ids change nothing
    assert [i.question for i in store.review_items(10)] == ["Is IgA in milk?"]


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
