"""Every extension loads, and no two commands share a name."""

from __future__ import annotations

import importlib
from collections import Counter

import discord

from bot.exts import EXTENSIONS

EXPECTED = {"ask", "search", "source", "topics"}


async def test_every_extension_loads_and_command_names_are_unique(simcord_env):
    bot = simcord_env.bot
    assert set(bot.extensions) == set(EXTENSIONS)
    for name in EXTENSIONS:
        assert callable(getattr(importlib.import_module(name), "setup", None)), f"{name} has no setup()"

    commands = bot.tree.get_commands()
    names = Counter((c.name, getattr(c, "type", discord.AppCommandType.chat_input)) for c in commands)
    assert [n for n, count in names.items() if count > 1] == []
    assert {c.name for c in commands} >= EXPECTED
    # Discord's own limits on what was synced.
    for command in bot.tree.walk_commands():
        assert 1 <= len(command.name) <= 32 and len(command.description) <= 100


async def test_the_synced_commands_are_what_members_can_use(simcord_env):
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("general")
    member = guild.add_member(simcord_env.create_user("alice"))
    assert set(member.available_commands(channel)) >= EXPECTED


async def test_extensions_reload_cleanly(simcord_env):
    bot = simcord_env.bot
    for name in EXTENSIONS:
        await bot.reload_extension(name)
    assert {c.name for c in bot.tree.get_commands()} >= EXPECTED
    assert bot.get_cog("ErrorHandler") is not None
