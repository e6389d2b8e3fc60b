"""The one error handler for slash commands, autocomplete, buttons and modals.

Checks, cooldowns, mistakes in what a member typed and citebot's own errors
(:mod:`knowledge.errors`: not found, a broken state file, a refused upload or question) get a
short private reply; anything else is logged with its traceback and the member gets a short apology.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from knowledge.errors import CitebotError

from .. import render
from ..cooldowns import member_key
from ..utils import Refused, missing_reply_permissions

if TYPE_CHECKING:
    from ..core import CitebotCore

logger = logging.getLogger(__name__)


# The start of the reply to a member on cooldown; the seconds to wait follow.
SLOW_DOWN = "Slow down a little: you can ask again in"


def _unwrap(error: BaseException) -> BaseException:
    """The exception the command raised, not discord.py's wrapper around it."""
    if isinstance(error, app_commands.CommandInvokeError):
        return error.original
    return error


def user_message(error: BaseException) -> str | None:
    """The short reply for an expected error, or None for a bug."""
    if isinstance(error, app_commands.CommandOnCooldown):
        wait = max(1, round(error.retry_after))
        return f"{SLOW_DOWN} {wait} second{'s' if wait != 1 else ''}."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
        return f"I'm missing a permission here: {missing}. Ask a server admin."
    if isinstance(error, app_commands.TransformerError):
        # A channel or role that is not the server's (Discord's pickers offer only its own).
        return "That is not one of this server's channels or roles; choose one from Discord's list."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use this command here."
    if isinstance(error, Refused):
        return error.message()
    if isinstance(error, CitebotError):
        return render.escape(str(error))
    return None


class ErrorHandler(commands.Cog):
    """Answers every interaction error; the bot hands them over in :meth:`CitebotCore.report_error`."""

    def __init__(self, bot: CitebotCore) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.error_handler = self

    async def cog_unload(self) -> None:
        if self.bot.error_handler is self:
            self.bot.error_handler = None

    async def handle(self, interaction: discord.Interaction, error: BaseException) -> None:
        """Reply to ``interaction`` with the message for ``error``; log it if it is a bug."""
        cause = _unwrap(error)
        message = user_message(cause)
        if isinstance(cause, discord.Forbidden):
            missing = missing_reply_permissions(interaction.app_permissions)
            names = ", ".join(missing) or "a permission Discord did not name"
            logger.warning("refused in channel %s: missing %s (%s)", interaction.channel_id, names, cause)
            message = f"I'm missing a permission in this channel: {names}. Please tell a server admin."
        if message is None:
            command = interaction.command.qualified_name if interaction.command else None
            where = f"/{command}" if command else f"component {(interaction.data or {}).get('custom_id')!r}"
            logger.error("error in %s (user %s)", where, interaction.user.id, exc_info=cause)
            message = "Sorry, something went wrong on my side. It has been logged; please try again later."
            if command == "ask":
                # The failure was ours, not the member's: the ask does not count.
                key = member_key(interaction.guild_id, interaction.user.id)
                self.bot.ask_cooldowns.refund(key, interaction.created_at.timestamp())
        elif not isinstance(cause, app_commands.CheckFailure):
            logger.debug("user-facing error: %s", cause)
        if interaction.type is discord.InteractionType.autocomplete:
            return  # autocomplete has no message to reply with
        await self.reply(interaction, message)

    @staticmethod
    async def reply(interaction: discord.Interaction, message: str) -> None:
        """A private reply, as a follow-up when the interaction was already answered."""
        mentions = discord.AllowedMentions.none()
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True, allowed_mentions=mentions)
            else:
                await interaction.response.send_message(message, ephemeral=True, allowed_mentions=mentions)
        except discord.HTTPException as exc:
            # The interaction expired or was already answered elsewhere; nothing more to tell.
            logger.warning("could not send an error reply: %s", exc)


async def setup(bot: CitebotCore) -> None:
    """Load the extension."""
    await bot.add_cog(ErrorHandler(bot))
