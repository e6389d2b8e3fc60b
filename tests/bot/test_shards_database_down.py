"""A bot process started while PostgreSQL is down runs its shards unclaimed, and claims them when
the database is back: if another process took one meanwhile, it stops, with the error a start
with the database would have given."""

from __future__ import annotations

import asyncio

import pytest
from postgres import socket_detour

from bot.config import Config
from knowledge.database.leases import ShardLeases, ShardsTaken

WAIT_S = 300  # a guard against a bot that never stops, not a measure of speed


@pytest.fixture
def detour(database_url, tmp_path):
    return socket_detour(database_url, tmp_path / "detour")


@pytest.fixture
def config(state_dir, detour) -> Config:
    url, _arrive = detour
    return Config(state_dir=state_dir, database_url=url, shards=(0,), shard_count=2)


@pytest.fixture
def other_process(database_url):
    leases = ShardLeases(database_url, [0], 2)
    yield leases
    leases.release()


async def test_a_process_whose_shard_was_taken_meanwhile_stops_when_the_database_returns(
    simcord_env, detour, other_process
):
    bot = simcord_env.bot
    assert not bot.is_closed() and bot.shard_ids == [0]
    other_process.acquire()  # started for shard 0 while this one could not check
    _url, arrive = detour
    arrive()
    for _ in range(WAIT_S * 10):
        if bot.is_closed():
            break
        await asyncio.sleep(0.1)
    assert bot.is_closed()
    assert isinstance(bot.stopped_by, ShardsTaken)
    assert "shard 0 is held by citebot on" in str(bot.stopped_by)
