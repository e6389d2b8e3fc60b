"""``/ask``: a question answered from the knowledge base, with citations and feedback buttons.

Red flags come first: a question describing warning signs gets the red-flag message even when the
member is on cooldown or answering fails.
"""

from __future__ import annotations

import asyncio
import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from .. import render
from ..answering import without_mentions
from ..chatter import ABOUT_REPLY, is_about_the_bot, is_greeting
from ..checks import use_token
from ..core import CitebotCore
from ..ui.answer import ANSWER_BUTTONS, recover_reason
from .errors import user_message

logger = logging.getLogger(__name__)

# How far into a question to look for a word before acknowledging it.
_WORD_SCAN_CHARS = 80


# Reactions that vote on an answer, as its 👍 and 👎 buttons do.
_REACTION_VOTES = {"👍": 1, "👎": -1}
_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")


def _without_skin_tone(emoji: str) -> str:
    """``emoji`` without a skin tone: 👎🏽 votes as 👎 does."""
    return _SKIN_TONES.sub("", emoji)


class Ask(commands.Cog):
    """``/ask`` and its autocomplete; the buttons under every answer (``/ask``'s, a mention's, a
    help channel's), and their 👎 form after a restart."""

    def __init__(self, bot: CitebotCore) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*ANSWER_BUTTONS)
        self.bot.add_form_recovery(recover_reason)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*ANSWER_BUTTONS)
        self.bot.remove_form_recovery(recover_reason)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """A 👍 or 👎 reaction on one of the bot's answers counts as its button would: members
        react as often as they click, and a 👎 the moderators never see helps nobody."""
        await self._reaction_vote(payload, removed=False)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        """Taking the reaction back takes its vote back."""
        await self._reaction_vote(payload, removed=True)

    async def _reaction_vote(self, payload: discord.RawReactionActionEvent, *, removed: bool) -> None:
        vote = _REACTION_VOTES.get(_without_skin_tone(str(payload.emoji)))
        me = self.bot.user
        if vote is None or payload.guild_id is None or me is None or payload.user_id == me.id:
            return
        # Discord names the message's author, when it does, so most reactions need no look-up.
        author = payload.message_author_id
        if (author is not None and author != me.id) or (payload.member is not None and payload.member.bot):
            return
        answers = self.bot.answers
        await answers.vote_by_reaction(
            payload.guild_id, payload.message_id, payload.user_id, vote, removed=removed
        )

    @app_commands.command(name="ask", description="Ask a question; the answer cites its sources")
    @app_commands.describe(
        question="Your question, in your own words",
        private="Only you see the answer (default: the server's setting)",
    )
    @app_commands.guild_only()
    async def ask(self, interaction: discord.Interaction, question: str, private: bool | None = None) -> None:
        """Answer ``question`` with citations, privately when asked or configured."""
        service = self.bot.answers
        # Acknowledged before any work: with many questions arriving at once, whatever runs before
        # the defer delays every later member's acknowledgement (Discord allows 3 seconds). Only
        # what decides the kind of acknowledgement comes first, in memory and in constant time:
        # the cooldown token, and whether anything was asked (a word in its first characters
        # settles it), since a refusal is private and a public "thinking…" cannot become private.
        try:
            self._cooldown(interaction)
        except app_commands.CommandOnCooldown as exc:
            # Read without loading the server (a member on cooldown asked before, so it is loaded):
            # the refusal must go out within Discord's 3 seconds.
            read = await service.read(question, guild_id=interaction.guild_id, load=False)
            notice = read.notice
            if not notice:
                raise  # the error handler says "slow down"
            # Warning signs are never held back by a cooldown; only the answer waits.
            await interaction.response.send_message(
                f"{notice}\n\n{user_message(exc)}",
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        # Cleaning a long question takes milliseconds, so it waits for the defer unless the
        # question may be empty, which is answered at once (privately) instead.
        if not any(ch.isalnum() for ch in without_mentions(question)[:_WORD_SCAN_CHARS]):
            service.question(question)  # raises QuestionError when there is nothing to look up
        if is_about_the_bot(question) or is_greeting(question):
            # "/ask help" or "/ask hi": how the bot works, to whoever asked, not a passage about "help"
            await interaction.response.send_message(
                ABOUT_REPLY, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
            return
        ephemeral = self.bot.config.answers.private if private is None else private
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        # Let the questions that arrived with this one be acknowledged before its work begins:
        # its answer, in a worker thread, would slow the event loop that sends theirs.
        await asyncio.sleep(0)
        # Read once, in a worker thread (the glossary rewrite checks its files for changes, and a
        # busy file system kept every other member's acknowledgement waiting on the event loop).
        # It never raises, so the red-flag message is certain whatever fails next.
        read = await service.read(question, guild_id=interaction.guild_id)
        red_flag = read.notice
        try:
            answer = await service.ask(read, guild_id=interaction.guild_id)
            reply = await service.reply(
                answer,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                red_flag=red_flag,
            )
            message = await interaction.edit_original_response(**reply.send_kwargs())
        except Exception:
            if not red_flag:
                raise
            logger.exception("/ask failed on a red-flagged question; sending the red-flag message alone")
            await self._red_flag_only(interaction, red_flag)
            return
        await service.sent(reply, message.id)
        logger.info(
            "/ask answered=%s confidence=%.2f answer=%s", answer.answered, answer.confidence, reply.answer_id
        )

    async def _red_flag_only(self, interaction: discord.Interaction, notice: str) -> None:
        """The red-flag ``notice`` when the answer could not be given: in place of "thinking…", or as
        a follow-up when even that edit fails."""
        content = f"{notice}\n\nSorry, I could not look up an answer just now."
        mentions = discord.AllowedMentions.none()
        try:
            await interaction.edit_original_response(
                content=content, embed=None, view=None, allowed_mentions=mentions
            )
        except discord.HTTPException:
            await interaction.followup.send(content, allowed_mentions=mentions)

    def _cooldown(self, interaction: discord.Interaction) -> None:
        """Use one of the member's asking tokens in this server (moderators are exempt); raises
        ``CommandOnCooldown`` when none is left."""
        # The interaction's own timestamp, as discord.py's cooldowns use: immune to a slow handler.
        now = interaction.created_at.timestamp()
        moderators = self.bot.settings(interaction.guild_id).moderator_roles
        use_token(self.bot.ask_cooldowns, interaction.user, interaction.guild_id, now, moderators)

    @ask.autocomplete("question")
    async def question_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Curated questions, questions often asked and answered in this server, then section names
        matching what is typed so far."""
        # In a worker thread: the server's state may load on first use, and the frequent questions
        # are read from the store.
        suggest = self.bot.answers.suggestions
        suggestions = await asyncio.to_thread(suggest, current, guild_id=interaction.guild_id)
        suggestions = suggestions[: render.CHOICES_MAX]
        return [
            app_commands.Choice(name=render.choice_name(text), value=render.choice_name(text))
            for text in suggestions
        ]


async def setup(bot: CitebotCore) -> None:
    """Load the extension."""
    await bot.add_cog(Ask(bot))
