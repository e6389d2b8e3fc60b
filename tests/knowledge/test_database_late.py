"""A store started while its database is down: it answers "unavailable" at once instead of
stopping the process, connects by itself when the database is back, reads again what was opened
meanwhile, and claims its shards only then (stopping the process if another holds one by now)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from postgres import allow_connections, socket_detour

from knowledge.curated import CuratedStore
from knowledge.database import open_store
from knowledge.database.leases import ShardLeases, ShardsTaken
from knowledge.errors import ChangeNotSaved, DatabaseNotReached, StoreError

WAIT_S = 300  # a guard against a store that never connects, not a measure of speed
QUESTION = "How long does expressed milk keep in the fridge?"


def test_a_store_started_without_its_database_connects_when_it_returns(database_url, tmp_path):
    before = open_store(tmp_path / "before", database_url)
    try:
        CuratedStore(before.server(7).state_file(Path("curated.yaml"))).add(
            QUESTION, "Four days at the back of the fridge.", author="mod"
        )
        known = before.server(7).record_answer("asked before", [], True)
    finally:
        before.close()
    detoured, arrive = socket_detour(database_url, tmp_path / "detour")
    store = open_store(tmp_path / "state", detoured, wait=False)
    try:
        assert not store.connected
        with pytest.raises(DatabaseNotReached):
            store.server(7).answer(known)
        curated = CuratedStore(store.server(7).state_file(Path("curated.yaml")))
        assert curated.match(QUESTION) is None  # nothing to serve but the documents
        with pytest.raises(ChangeNotSaved, match="saved nowhere"):
            curated.add("What is colostrum?", "The first milk.", author="mod")
        arrive()
        assert store.wait_connected(WAIT_S)
        assert store.server(7).answer(known).question == "asked before"
        # Opened while the database was down: read again once it is back, then changed safely.
        assert curated.match(QUESTION).answer.answer == "Four days at the back of the fridge."
        entry = curated.add("What is colostrum?", "The first milk.", author="mod")
        assert entry.id == 2
    finally:
        store.close()


def test_a_database_out_of_reach_stops_a_command_that_needs_it(tmp_path):
    url = f"postgresql://bot:s3cret@/citebot?host={tmp_path}"
    with pytest.raises(StoreError) as caught:
        open_store(tmp_path, url)  # waiting for it, as the state-changing commands do
    assert "s3cret" not in str(caught.value) and "bot:***@" in str(caught.value)


def test_shards_are_claimed_when_the_database_returns(database_url, tmp_path):
    detoured, arrive = socket_detour(database_url, tmp_path / "detour")
    refused: list[StoreError] = []
    told = threading.Event()

    def on_refused(error: StoreError) -> None:
        refused.append(error)
        told.set()

    taken, free = (
        open_store(tmp_path / "a", detoured, wait=False),
        open_store(tmp_path / "b", detoured, wait=False),
    )
    other = ShardLeases(database_url, [0], 2)
    try:
        taken.hold_shards([0], 2, on_refused=on_refused)
        free.hold_shards([1], 2, on_refused=on_refused)
        other.acquire()  # another process took shard 0 while these could not check
        arrive()
        assert told.wait(WAIT_S)
        assert free.wait_connected(WAIT_S)
        [error] = refused
        assert isinstance(error, ShardsTaken) and "shard 0 is held by citebot on" in str(error)
        assert not taken.connected
        with pytest.raises(DatabaseNotReached):
            taken.server(1).record_answer("as a second holder of shard 0", [], True)
        with pytest.raises(ShardsTaken, match="shard 1 is held by"):
            ShardLeases(database_url, [1], 2).acquire()  # claimed by the store that connected late
    finally:
        other.release()
        taken.close()
        free.close()


def test_shards_lost_in_an_outage_are_claimed_again_by_one_process_only(database_url, tmp_path):
    refused: list[StoreError] = []
    told = threading.Event()

    def on_refused(error: StoreError) -> None:
        refused.append(error)
        told.set()

    store = open_store(tmp_path / "a", database_url)
    other = ShardLeases(database_url, [0], 2)
    try:
        store.hold_shards([0], 2, on_refused=on_refused)
        allow_connections(database_url, False)  # the database restarts: the lock went with it
        allow_connections(database_url, True)
        try:
            other.acquire()  # a second process started for shard 0 in the meantime
        except ShardsTaken:
            # The first process had already claimed it again: the second refuses, as at start.
            assert not refused
        else:
            # The second came first: the first is told to stop once it tries to claim it again.
            assert told.wait(WAIT_S)
            assert "shard 0 is held by citebot on" in str(refused[0])
    finally:
        other.release()
        store.close()
