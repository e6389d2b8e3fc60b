"""Choosing the state store's backend, and the PostgreSQL store's own behaviour: the URL never shown
with its password, several processes starting at once, a lost database giving the same
"unavailable" path as a busy SQLite file, and coming back when the database does."""

from __future__ import annotations

import threading

import pytest
from postgres import allow_connections

from knowledge.database import open_store, redact_url
from knowledge.database.postgres import PostgresStore
from knowledge.store import MIGRATIONS, Store, StoreError, StoreUnavailable


def test_without_a_database_url_the_state_is_the_sqlite_file(tmp_path):
    store = open_store(tmp_path)
    try:
        assert isinstance(store, Store) and (tmp_path / "citebot.sqlite3").is_file()
    finally:
        store.close()


def test_passwords_are_never_shown():
    assert redact_url("postgresql://bot:s3cret@db.example:5432/citebot") == (
        "postgresql://bot:***@db.example:5432/citebot"
    )
    assert redact_url("postgresql:///citebot?host=/run/pg&password=s3cret&user=bot") == (
        "postgresql:///citebot?host=/run/pg&password=***&user=bot"
    )
    assert redact_url("postgresql://bot@db/citebot") == "postgresql://bot@db/citebot"


def test_another_kind_of_database_is_refused(tmp_path):
    with pytest.raises(StoreError, match="only postgresql://"):
        open_store(tmp_path, "mysql://bot:s3cret@db/citebot")


def test_an_unreachable_database_is_named_without_its_password(tmp_path):
    url = f"postgresql://bot:s3cret@/citebot?host={tmp_path}&connect_timeout=1"
    with pytest.raises(StoreError) as caught:
        PostgresStore(url, connect_timeout=1.0)
    assert "s3cret" not in str(caught.value) and "bot:***@" in str(caught.value)
    assert "No such file or directory" in str(caught.value)  # why, as the server (not) answered


def test_processes_starting_together_migrate_once(database_url, tmp_path):
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            stores.append(PostgresStore(database_url))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == [] and len(stores) == 4
        assert {store.schema_version for store in stores} == {len(MIGRATIONS)}
        rows = stores[0]._fetchall("SELECT version FROM schema_version", ())
        assert [row["version"] for row in rows] == [len(MIGRATIONS)]
        # All four write to and read from the one database.
        answer_id = stores[1].server(5).record_answer("shared?", [], True)
        assert stores[3].server(5).answer(answer_id).question == "shared?"
    finally:
        for store in stores:
            store.close()


def test_a_lost_database_makes_the_store_unavailable_until_it_is_back(database_url):
    store = PostgresStore(database_url)
    rows = store.server(1)
    known = rows.record_answer("before", [], True)
    try:
        allow_connections(database_url, False)
        with pytest.raises(StoreUnavailable):
            rows.record_answer("while down", [], True)
        allow_connections(database_url, True)
        # The pool connects again; nothing committed before was lost.
        assert rows.answer(known).question == "before"
        assert rows.answer(rows.record_answer("after", [], True)).question == "after"
    finally:
        store.close()
