"""``/ask``: a question answered from the knowledge base, with citations and feedback buttons."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from .. import render
from ..checks import ask_cooldown

logger = logging.getLogger(__name__)


class Ask(commands.Cog):
    """``/ask`` and its autocomplete."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="ask", description="Ask a question; the answer cites its sources")
    @app_commands.describe(
        question="Your question, in your own words",
        private="Only you see the answer (default: the server's setting)",
    )
    @app_commands.guild_only()
    @ask_cooldown()
    async def ask(self, interaction: discord.Interaction, question: str, private: bool | None = None) -> None:
        """Answer ``question`` with citations, privately when asked or configured."""
        service = self.bot.answers
        asked = service.question(question)  # an empty question is answered at once, before deferring
        ephemeral = self.bot.config.answers.private if private is None else private
        # Retrieval can take longer than Discord's 3 seconds on a large knowledge base.
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        answer = await service.ask(asked, guild_id=interaction.guild_id)
        reply = await service.reply(
            answer,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            asked=question,
        )
        message = await interaction.edit_original_response(**reply.send_kwargs())
        await service.sent(reply, message.id)
        logger.info(
            "/ask answered=%s confidence=%.2f answer=%s", answer.answered, answer.confidence, reply.answer_id
        )

    @ask.autocomplete("question")
    async def question_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """This server's document titles and curated questions matching what is typed so far."""
        suggestions = self.bot.answers.suggestions(current, guild_id=interaction.guild_id)
        suggestions = suggestions[: render.CHOICES_MAX]
        return [
            app_commands.Choice(name=render.choice_name(text), value=render.choice_name(text))
            for text in suggestions
        ]


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Ask(bot))
