"""Hand errors raised in views and buttons to the bot's one error handler."""

from __future__ import annotations

import logging

import discord

logger = logging.getLogger(__name__)


async def report_error(interaction: discord.Interaction, error: Exception) -> None:
    """Route ``error`` to the bot's central handler (``bot.exts.errors``), or log it."""
    handler = getattr(interaction.client, "report_error", None)
    if handler is not None:
        await handler(interaction, error)
    else:
        logger.error("error in a component interaction", exc_info=error)
