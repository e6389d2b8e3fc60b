"""Running the bot as several processes: each runs some of the Discord shards (discord.py's
AutoShardedBot), chosen in the config or on the command line."""

from __future__ import annotations

import logging

import pytest
from bot_helpers import server
from discord.ext import commands

from bot import create_bot
from bot.cli import main as citebot
from bot.config import Config


def test_a_process_runs_the_shards_it_is_given(state_dir):
    bot = create_bot(Config(state_dir=state_dir, shards=(0, 1, 2, 3), shard_count=8))
    assert isinstance(bot, commands.AutoShardedBot)
    assert bot.shard_ids == [0, 1, 2, 3] and bot.shard_count == 8


def test_a_process_keeps_to_the_servers_of_its_shards(state_dir):
    bot = create_bot(Config(state_dir=state_dir, shards=(1,), shard_count=4))
    store, servers = bot._open_state()
    try:
        assert servers.owns(5 << 22) and not servers.owns(7 << 22)  # shard 5 % 4 = 1, 7 % 4 = 3
    finally:
        store.close()
    unsharded = create_bot(Config(state_dir=state_dir))
    store, servers = unsharded._open_state()
    store.close()
    assert servers.owns is None  # every server


def test_without_shards_the_bot_is_one_unsharded_process(state_dir):
    bot = create_bot(Config(state_dir=state_dir))
    assert not isinstance(bot, commands.AutoShardedBot)


def test_shards_on_the_command_line_are_checked_before_connecting(state_dir, capsys):
    assert citebot(["run", "--shards", "0-3"]) == 2
    assert "--shards: needs shard_count" in capsys.readouterr().err
    assert citebot(["run", "--shards", "6-9", "--shard-count", "8"]) == 2
    assert "shard ids run from 0 to shard_count - 1 (7), got 9" in capsys.readouterr().err
    assert citebot(["run", "--shards", "zero", "--shard-count", "8"]) == 2
    assert "expected shard ids such as 0-3" in capsys.readouterr().err


@pytest.fixture
def config(state_dir, database_url) -> Config:
    return Config(state_dir=state_dir, database_url=database_url)


async def test_when_ready_a_process_says_what_it_serves_and_where_its_state_is(simcord_env, caplog):
    server(simcord_env)
    with caplog.at_level(logging.INFO, logger="bot.app"):
        await simcord_env.bot.on_ready()
    [ready] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ready:")]
    assert ready.startswith("ready: no sharding, 1 server(s), state in postgresql:///test_")
