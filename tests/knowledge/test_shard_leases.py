"""A Discord shard is held by one bot process: a second process claiming a held shard, or running
with another shard_count, refuses to start and names the process in its way; a process that ends
frees its shards at once."""

from __future__ import annotations

import dataclasses

import pytest

from bot import create_bot
from bot.config import Config
from knowledge.database import open_store
from knowledge.database.leases import ShardLeases
from knowledge.errors import StoreError


def test_a_held_shard_cannot_be_claimed_again_and_is_free_once_its_process_ends(database_url):
    first = ShardLeases(database_url, [0, 1], 4)
    first.acquire()
    try:
        second = ShardLeases(database_url, [1, 2], 4)
        with pytest.raises(StoreError, match=r"shard 1 is held by citebot on .* shards 0,1 of 4 \(since "):
            second.acquire()
        assert not second.held  # nothing of what it took stays held: shard 2 is still free
        third = ShardLeases(database_url, [2, 3], 4)
        third.acquire()
        third.release()
    finally:
        first.release()
    second.acquire()  # the first process ended: its shards are free
    second.release()


def test_processes_must_agree_on_the_shard_count(database_url):
    first = ShardLeases(database_url, [0], 4)
    first.acquire()
    try:
        refused = r"shard_count 8 here, but citebot on .* runs with shard_count 4"
        with pytest.raises(StoreError, match=refused):
            ShardLeases(database_url, [5], 8).acquire()
    finally:
        first.release()
    changed = ShardLeases(database_url, [5], 8)
    changed.acquire()  # with every process of the old count gone, the count can change
    changed.release()


def test_a_second_bot_process_for_the_same_shard_refuses_to_start(state_dir, database_url, tmp_path):
    config = Config(state_dir=state_dir, database_url=database_url, shards=(0,), shard_count=2)
    store, _servers = create_bot(config)._open_state()
    try:
        other = dataclasses.replace(config, state_dir=tmp_path / "other")
        with pytest.raises(StoreError, match="shard 0 is held by"):
            create_bot(other)._open_state()
        neighbour = dataclasses.replace(other, shards=(1,))
        store_b, _ = create_bot(neighbour)._open_state()  # the other shard is free
        store_b.close()
    finally:
        store.close()
    store_c, _ = create_bot(dataclasses.replace(config, state_dir=tmp_path / "third"))._open_state()
    store_c.close()  # closing the store let shard 0 go


def test_a_local_store_claims_nothing(tmp_path):
    store = open_store(tmp_path)
    try:
        store.hold_shards([0], 2)  # one process per state folder: nothing to coordinate
    finally:
        store.close()
