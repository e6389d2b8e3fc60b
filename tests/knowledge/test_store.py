"""The state store, on both backends (SQLite and PostgreSQL, one suite through the ``open_state``
fixture): versioned schema, one changeable vote per member per answer, statistics, the review
queue, one server's rows out of another's reach. SQLite's own behaviours (WAL, upgrading old
files) are tested on SQLite alone."""

from __future__ import annotations

import sqlite3

import pytest

from knowledge.store import MIGRATIONS, POSTGRESQL, SQLITE, Store, StoreError
from knowledge.store.schema import scripts


@pytest.fixture
def database(open_state):
    return open_state()


@pytest.fixture
def store(database):
    return database.server(10)


def test_the_schema_is_versioned(database):
    migrations = scripts(SQLITE if isinstance(database, Store) else POSTGRESQL)
    assert database.schema_version == len(migrations)


def test_sqlite_schema_is_versioned_and_in_wal_mode(tmp_path):
    Store.in_folder(tmp_path).close()
    db = sqlite3.connect(tmp_path / "citebot.sqlite3")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(len(MIGRATIONS),)]
    finally:
        db.close()


def test_reopening_keeps_everything(open_state):
    first = open_state()
    answer_id = first.server(1).record_answer("q?", ["a#x-1", "a#y-2"], True, user_id=7, channel_id=2)
    first.server(1).set_message(answer_id, 555)
    first.server(1).set_feedback(answer_id, 7, -1, "vague")
    first.close()

    reopened = open_state()
    again = reopened.server(1)
    try:
        record = again.answer(answer_id)
        assert record.passage_ids == ("a#x-1", "a#y-2") and record.answered and record.user_id == 7
        assert again.answer_for_message(555).id == answer_id
        assert again.last_answer_in(2).id == answer_id
        [item] = again.review_items(10)
        assert (item.answer_id, item.downvotes, item.reasons) == (answer_id, 1, ("vague",))
        assert again.vote_totals() == (0, 1)
        assert record.guild_id == 1
    finally:
        reopened.close()


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


def test_a_newer_schema_is_refused(open_state):
    first = open_state()
    first._execute("UPDATE schema_version SET version = 99", ())
    first.close()
    with pytest.raises(StoreError, match="newer than this citebot knows"):
        open_state()


def test_one_server_never_reads_or_changes_anothers_rows(database):
    a, b = database.server(1), database.server(2)
    asked = a.record_answer("Private question in A", ["a#x-1"], False, user_id=7, channel_id=70)
    a.set_message(asked, 700)
    a.set_feedback(asked, 7, -1, "A's reason")
    assert b.answer(asked) is None and b.answer_for_message(700) is None and b.last_answer_in(70) is None
    assert b.review_items(10) == [] and b.answer_totals() == (0, 0) and b.vote_totals() == (0, 0)
    assert b.most_asked(5) == []
    # B cannot vote on, dismiss or re-point A's answer.
    assert b.set_feedback(asked, 8, 1) is False
    assert b.dismiss_from_review(asked) is False
    b.set_message(asked, 999)
    [item] = a.review_items(10)
    assert (item.question, item.downvotes, item.reasons) == ("Private question in A", 1, ("A's reason",))
    assert a.vote_totals() == (0, 1) and a.answer(asked).message_id == 700
    # Direct messages are a scope of their own too.
    assert database.server(None).answer(asked) is None


def test_the_medical_notice_is_remembered_per_server(database):
    assert database.server(1).mark_notice_shown(5, "2026-01-01") is True
    assert database.server(2).mark_notice_shown(5, "2026-01-01") is True
    assert database.server(1).mark_notice_shown(5, "2026-01-01") is False


def _old_schema(path, version: int) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for script in scripts(SQLITE)[:version]:
        db.executescript(script)
    db.execute(f"INSERT INTO schema_version VALUES ({version})")
    db.commit()
    db.close()


def test_upgrading_a_single_server_store_keeps_every_row_in_its_server(tmp_path):
    path = tmp_path / "citebot.sqlite3"
    _old_schema(path, 2)
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO answers (id, question, passage_ids, answered, guild_id, created_at)"
        " VALUES ('aaaaaaaaaaaa', 'old question', '[]', 0, 42, 1.0)"
    )
    db.execute("INSERT INTO feedback VALUES ('aaaaaaaaaaaa', 7, -1, 'old reason', 2.0)")
    db.execute("INSERT INTO notices_shown VALUES (7, '2026-01-01')")
    db.commit()
    db.close()

    store = Store(path)
    try:
        assert store.schema_version == len(MIGRATIONS) and store.guild_ids() == [42]
        [item] = store.server(42).review_items(10)
        assert (item.question, item.reasons) == ("old question", ("old reason",))
        assert store.server(42).vote_totals() == (0, 1)
        assert store.server(42).mark_notice_shown(7, "2026-01-01") is False  # already shown that day
        assert store.server(43).review_items(10) == []
    finally:
        store.close()


def test_daily_counts_per_server_with_days_without_questions(database, monkeypatch):
    import datetime as dt
    import types

    import knowledge.store.server

    def at(day: str, hour: int) -> float:
        return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00").timestamp()

    clock = types.SimpleNamespace(time=lambda: 0.0)
    monkeypatch.setattr(knowledge.store.server, "time", clock)
    a, b = database.server(1), database.server(2)
    for day, hour, answered in [
        ("2026-03-01", 9, True),  # before the window: not counted
        ("2026-03-02", 0, True),  # the window's first second
        ("2026-03-02", 23, False),
        ("2026-03-04", 12, True),
        ("2026-03-04", 13, True),
        ("2026-03-04", 14, False),
        ("2026-03-05", 23, False),  # the last day, late in the evening (UTC)
        ("2026-03-06", 0, True),  # after the window: not counted
    ]:
        now = at(day, hour)
        clock.time = lambda now=now: now
        a.record_answer("q?", [], answered)
    clock.time = lambda: at("2026-03-04", 10)
    b.record_answer("another server's question", [], True)

    counts = a.daily_counts(4, today=dt.date(2026, 3, 5))
    assert counts == [
        (dt.date(2026, 3, 2), 1, 1),
        (dt.date(2026, 3, 3), 0, 0),
        (dt.date(2026, 3, 4), 2, 1),
        (dt.date(2026, 3, 5), 0, 1),
    ]
    assert b.daily_counts(4, today=dt.date(2026, 3, 5))[2] == (dt.date(2026, 3, 4), 1, 0)
    assert database.server(3).daily_counts(30, today=dt.date(2026, 3, 5)) == [
        (dt.date(2026, 2, 4) + dt.timedelta(days=n), 0, 0) for n in range(30)
    ]
    with pytest.raises(ValueError, match="at least 1"):
        a.daily_counts(0)


def test_a_vote_taken_back_is_gone_but_a_changed_one_stays(open_state):
    database = open_state()
    store, other = database.server(10), database.server(11)
    answer_id = store.record_answer("q?", [], True)
    store.set_feedback(answer_id, 1, -1)
    assert not other.withdraw_feedback(answer_id, 1, -1), "another server's vote is out of reach"
    assert not store.withdraw_feedback(answer_id, 1, 1), "not the vote given"
    assert store.vote_totals() == (0, 1)
    assert store.withdraw_feedback(answer_id, 1, -1)
    assert store.vote_totals() == (0, 0) and store.review_items(10) == []
