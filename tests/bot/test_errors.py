"""The one error handler: unexpected failures are logged with their traceback and apologised for."""

from __future__ import annotations

import logging

import discord
from bot_helpers import ANSWERABLE, server
from simcord import assert_error


async def test_an_unexpected_failure_is_logged_and_apologised_for(simcord_env, caplog):
    s = server(simcord_env)
    # Discord fails to show the answer: the bot must not leave the member hanging on "thinking…".
    simcord_env.inject_error("PATCH", "/webhooks/*/messages/@original", status=500)

    with caplog.at_level(logging.ERROR, logger="bot.exts.errors"):
        result = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)

    assert_error(simcord_env, discord.HTTPException)
    [apology] = result.followups or [result.response]
    assert apology.content.startswith("Sorry, something went wrong on my side")
    [record] = [r for r in caplog.records if r.name == "bot.exts.errors"]
    assert "/ask" in record.getMessage() and record.exc_info is not None


async def test_the_bot_keeps_working_after_an_error(simcord_env):
    s = server(simcord_env)
    simcord_env.inject_error("PATCH", "/webhooks/*/messages/@original", status=500)
    await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert_error(simcord_env, discord.HTTPException)

    again = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert "**enteromammary**" in again.response.embeds[0].description
