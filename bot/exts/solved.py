"""Solved help threads: **Mark as solution** (a message menu) and ``/solved`` in a thread, the
"Solved threads" pages of ``/review`` (**Save as curated**, **Add to knowledge**, **Dismiss**),
``/privacy`` (which covers the text of a member's questions to the bot too) and what deleting or
editing a kept message does.

Only threads of the channels a server opted in (``/settings solved-channel add``) are read, and
only public ones; only the member who opened the thread or a moderator may mark its solution.
Only the question (title and opening message) and the marked message are kept (the library side,
:mod:`knowledge.solved`); the thread gets one short confirmation, without pings. Every refusal is
private.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from knowledge.errors import CitebotError, NotFoundError, StateWriteError, UploadError
from knowledge.solved import TAGGED, NotKept, Post, SolvedThreads
from knowledge.solved_documents import document_title

from .. import render
from ..checks import ensure_moderator, is_moderator
from ..solved_render import confirmation, solved_embed, tag_confirmation
from ..ui.curation import ReviewPage, ReviewView
from ..utils import announce_change, send_private, who, write_failed_note

if TYPE_CHECKING:
    from knowledge.store import SolvedRecord
    from knowledge.tenancy import ServerState

    from ..core import CitebotCore

logger = logging.getLogger(__name__)

MARK_MENU_NAME = "Mark as solution"
# What members are told (tests compare with these).
NOT_A_THREAD = "Use this in a help thread or forum post, on the message that solved it."
NOT_OPTED_IN = (
    "Solved threads are not kept in this channel. A server manager can turn it on with "
    "`/settings solved-channel add`."
)
NOT_PUBLIC = "Only public threads can be marked solved: a private thread stays private."
NOT_ALLOWED = "Only the member who opened this thread or a moderator can mark its solution."
NOT_A_BOT = "That is a bot's message; mark the message of the member whose answer solved it."
NOT_THE_QUESTION = "That is the question itself; mark the message that answered it."
NOTHING_TO_MARK = (
    "There is no answer from someone else here yet. When someone answers, run `/solved` again, or "
    f"use **{MARK_MENU_NAME}** on the message (right-click or long-press it › Apps)."
)
CANNOT_READ = (
    f"I can't read the messages here; use **{MARK_MENU_NAME}** on the message that solved it "
    "(right-click or long-press it › Apps)."
)
ALREADY = "That message is already marked as this thread's solution."
# How far back ``/solved`` looks for the latest answer.
HISTORY_LIMIT = 50


class Solved(commands.Cog):
    """``Mark as solution``, ``/solved``, ``/privacy``, the Solved threads of ``/review``
    (``review_opened``) and the raw delete and edit events that change what is kept."""

    privacy = app_commands.Group(
        name="privacy", description="What citebot keeps of your messages in this server", guild_only=True
    )

    def __init__(self, bot: CitebotCore) -> None:
        self.bot = bot
        self.mark_menu = app_commands.guild_only()(
            app_commands.ContextMenu(name=MARK_MENU_NAME, callback=self.mark_message)
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.mark_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.mark_menu.name, type=self.mark_menu.type)

    def threads(self, state: ServerState) -> SolvedThreads:
        """A server's solved threads (its rows, curated answers and uploads)."""
        return SolvedThreads(state.store, state.curated, state.sources.folder)

    # -- marking ---------------------------------------------------------------------------------

    def _refusal(self, interaction: discord.Interaction) -> str | None:
        """Why this member may not mark a solution here (None: they may); in memory only, so
        nothing of a thread that is not opted in is ever read."""
        thread, member = interaction.channel, interaction.user
        if interaction.guild is None or not isinstance(thread, discord.Thread):
            return NOT_A_THREAD
        settings = self.bot.settings(interaction.guild.id)
        if thread.parent_id not in settings.solved_channels:
            return NOT_OPTED_IN
        if thread.type != discord.ChannelType.public_thread:
            return NOT_PUBLIC
        if member.id != thread.owner_id and not is_moderator(member, settings.moderator_roles):
            return NOT_ALLOWED
        return None

    async def mark_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The message menu **Mark as solution**."""
        refusal = self._refusal(interaction)
        if refusal is None and message.author.bot:
            refusal = NOT_A_BOT
        if refusal is None and message.id == getattr(interaction.channel, "id", None):
            refusal = NOT_THE_QUESTION  # a forum post's opening message has the thread's id
        if refusal is not None:
            await send_private(interaction, refusal)
            return
        await self._mark(interaction, message)

    @app_commands.command(name="solved", description="Mark the latest answer in this thread as its solution")
    @app_commands.guild_only()
    async def solved(self, interaction: discord.Interaction) -> None:
        """``/solved``: marks the latest message of someone other than the opener (not a bot's)."""
        refusal = self._refusal(interaction)
        if refusal is not None:
            await send_private(interaction, refusal)
            return
        thread = interaction.channel
        assert isinstance(thread, discord.Thread)
        await interaction.response.defer(ephemeral=True, thinking=True)
        latest = await self._latest_answer(thread)
        if latest is None:
            await send_private(interaction, NOTHING_TO_MARK)
        elif not latest.content.strip() and not self.bot.intents.message_content:
            await send_private(interaction, CANNOT_READ)
        else:
            await self._mark(interaction, latest)

    async def _latest_answer(self, thread: discord.Thread) -> discord.Message | None:
        """The latest message of someone other than the opener (not a bot's, not the question)."""
        async for message in thread.history(limit=HISTORY_LIMIT):
            if not message.author.bot and message.author.id != thread.owner_id and message.id != thread.id:
                return message
        return None

    # -- the forum's solved tag -------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_thread_update(self, before: discord.Thread, after: discord.Thread) -> None:
        """A forum's "solved" tag (``/settings solved-tag``) applied to a post of an opted-in forum
        marks its solution. Discord does not say who applied a tag, but lets only the post's
        opener and members who can manage threads change its tags: the same people who may mark.
        A post whose solution is marked already is left as it is (the tag confirms it; a thread
        a moderator dismissed stays dismissed); else its latest answer from someone other than the
        opener is marked, as ``/solved`` does, and the thread gets the short confirmation."""
        guild = after.guild
        if guild is None or not self.bot.allowed(guild.id):
            return
        settings = self.bot.settings(guild.id)
        if after.parent_id not in settings.solved_channels or not settings.solved_tags:
            return
        applied = {tag.id for tag in after.applied_tags} - {tag.id for tag in before.applied_tags}
        if not applied & settings.solved_tags or after.type != discord.ChannelType.public_thread:
            return
        try:
            await self._mark_tagged(after)
        except Exception:
            logger.exception("server %s: marking tagged thread %s solved failed", guild.id, after.id)

    async def _mark_tagged(self, thread: discord.Thread) -> None:
        assert thread.guild is not None
        threads = self.threads(self.bot.server(thread.guild.id))
        if await asyncio.to_thread(threads.rows.solved_in_thread, thread.id) is not None:
            return
        latest = await self._latest_answer(thread)
        if latest is None or not latest.content.strip():
            logger.info("thread %s tagged solved with no answer to keep (or none I can read)", thread.id)
            return
        question = await self._question(thread)
        try:
            await self._keep(threads, thread, question, latest, marked_by=TAGGED)
        except NotKept as exc:  # an author opted out: nothing kept, nothing said in the thread
            logger.info("thread %s tagged solved, not kept: %s", thread.id, exc)
            return
        await thread.send(tag_confirmation(latest), allowed_mentions=discord.AllowedMentions.none())

    @staticmethod
    async def _keep(
        threads: SolvedThreads,
        thread: discord.Thread,
        question: Post,
        solution: discord.Message,
        *,
        marked_by: int,
    ) -> None:
        """Keep ``solution`` as what solved ``thread`` (in a worker thread); raises NotKept."""
        await asyncio.to_thread(
            threads.mark,
            channel_id=thread.parent_id,
            thread_id=thread.id,
            title=thread.name,
            question=question,
            solution=Post(solution.id, solution.content, solution.author.id),
            marked_by=marked_by,
        )

    async def _question(self, thread: discord.Thread) -> Post:
        """The thread's opening message: a forum post's starter has the thread's id; a thread made
        from a channel message has that message, in the channel; else the opener's first message."""
        starter = thread.starter_message
        places: list[discord.abc.Messageable] = [thread]
        if isinstance(thread.parent, discord.TextChannel):
            places = [thread.parent]
        for place in places if starter is None else ():
            try:
                starter = await place.fetch_message(thread.id)
            except discord.HTTPException:
                starter = None
        if starter is None:
            # The opener's earliest message among the thread's first ones (taking the lowest id
            # rather than the first returned does not rely on the order of the page).
            async for message in thread.history(limit=HISTORY_LIMIT, oldest_first=True):
                if message.author.id == thread.owner_id and (starter is None or message.id < starter.id):
                    starter = message
        if starter is None:
            return Post(None, "", thread.owner_id or 0)
        return Post(starter.id, starter.content, starter.author.id)

    async def _mark(self, interaction: discord.Interaction, solution: discord.Message) -> None:
        thread = interaction.channel
        assert isinstance(thread, discord.Thread) and thread.guild is not None
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        question = await self._question(thread)
        if question.id == solution.id:
            await send_private(interaction, NOT_THE_QUESTION)
            return
        threads = self.threads(self.bot.server(thread.guild.id))
        kept = await asyncio.to_thread(threads.rows.solved_in_thread, thread.id)
        if kept is not None and kept.solution_id == solution.id and kept.status != "dismissed":
            await send_private(interaction, ALREADY)
            return
        try:
            await self._keep(threads, thread, question, solution, marked_by=interaction.user.id)
        except NotKept as exc:
            await send_private(interaction, str(exc))
            return
        note = ""
        try:
            await thread.send(
                confirmation(solution, interaction.user), allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as exc:
            logger.warning("could not confirm a solution in thread %s: %s", thread.id, exc)
            note = " (I couldn't post the confirmation in the thread: I may lack permission there.)"
        await send_private(interaction, f"✅ Marked as the solution; moderators see it in `/review`.{note}")

    # -- /review ----------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_review_opened(self, interaction: discord.Interaction, state: ServerState) -> None:
        """``/review`` was shown: add the solved threads waiting for a moderator, if any."""
        if state.guild_id is None:
            return
        try:
            waiting = await asyncio.to_thread(self.threads(state).to_review)
            if not waiting:
                return
            pages = [
                ReviewPage(solved_embed(record, n, len(waiting)), "solved", record.id, record)
                for n, record in enumerate(waiting, start=1)
            ]
            view = ReviewView(interaction.user.id, pages, self._on_review_action)
            message = await interaction.followup.send(
                f"**Solved threads** ({len(waiting)}): save one as a curated answer, add it to this "
                "server's knowledge, or dismiss it.",
                embed=view.page.embed,
                view=view,
                ephemeral=True,
                wait=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            view.sent(message)
        except Exception:
            logger.exception("listing server %s's solved threads in /review failed", state.guild_id)

    async def _on_review_action(
        self, interaction: discord.Interaction, view: ReviewView, page: ReviewPage, action: str
    ) -> None:
        ensure_moderator(interaction)
        threads = self.threads(self.bot.server(interaction.guild_id))
        title = discord.utils.escape_markdown(page.item.title)
        if action == "dismiss":
            await asyncio.to_thread(threads.dismiss, page.key)
            text = f"Dismissed the solved thread “{title}”."
        elif action == "knowledge":
            # Writing the document and rebuilding the index can outlast Discord's 3 seconds.
            await interaction.response.defer()
            text = await self._add_to_knowledge(interaction, threads, page.item)
        else:
            try:
                entry = await asyncio.to_thread(threads.save_as_curated, page.key, by=who(interaction.user))
                text = f"Saved “{title}” as curated answer **#{entry.id}**, linking back to its thread."
            except NotFoundError as exc:
                text = str(exc)
            except StateWriteError as exc:
                entry = exc.done
                text = f"Saved “{title}”. {write_failed_note(exc)}"
            else:
                announce_change(interaction, f"curated answer #{entry.id} saved from a solved thread")
        view.drop_current()
        edit = (
            interaction.edit_original_response
            if interaction.response.is_done()
            else interaction.response.edit_message
        )
        if view.pages:
            await edit(content=text, embed=view.page.embed, view=view)
        else:
            await edit(content=f"{text}\nNo solved threads are waiting now.", embed=None, view=None)

    async def _add_to_knowledge(
        self, interaction: discord.Interaction, threads: SolvedThreads, record: SolvedRecord
    ) -> str:
        """**Add to knowledge**: the thread becomes a document of this server, cited as
        ``#channel › thread title · date`` (the day its solution was written); what the moderator
        is told."""
        title = discord.utils.escape_markdown(record.title)
        guild = interaction.guild
        channel = guild.get_channel_or_thread(record.channel_id) if guild is not None else None
        channel_name = channel.name if channel is not None else f"channel-{record.channel_id}"
        day = discord.utils.snowflake_time(record.solution_id).date()
        try:
            name = await asyncio.to_thread(threads.add_to_knowledge, record.id, channel=channel_name, day=day)
        except NotFoundError as exc:
            return str(exc)
        except UploadError as exc:
            return f"Not added: {exc}"
        except StateWriteError as exc:
            return f"Not added: the uploads folder cannot be written ({render.escape(str(exc))})."
        cited = render.escape(document_title(record, channel_name, day))
        text = (
            f"Added “{title}” to this server's knowledge (`{name}`): later questions are answered "
            f"from it, cited as “{cited}” with the link to the solution."
        )
        if not await self._reload(interaction.guild_id):
            text += " ⚠️ The index could not be rebuilt now; it is added with the next rebuild (`/kb reload`)."
        announce_change(interaction, f"solved thread “{title}” added to the knowledge")
        return text

    async def _reload(self, guild_id: int | None) -> bool:
        """Rebuild a server's index after a solved thread's document was added or removed (the
        shared uploads told the other bot processes already); False when it failed (the old one
        answers meanwhile)."""
        try:
            kb = await self.bot.reload_knowledge(guild_id, announce=False)
        except Exception:
            logger.exception(
                "server %s: rebuilding the index after a solved thread's document failed", guild_id
            )
            return False
        self.bot.dispatch("knowledge_reloaded", guild_id, kb)
        return True

    # -- /privacy ---------------------------------------------------------------------------------

    @privacy.command(name="opt-out", description="Never keep or quote my messages; remove what was kept")
    async def opt_out(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        state = self.bot.server(interaction.guild_id)
        removed = await self._changing(state, self.threads(state).opt_out, interaction.user.id)
        if removed is None:
            return await send_private(interaction, "Nothing changed: I can't reach my records right now.")
        gone = f" {len(removed)} solved thread(s) kept from your messages were removed." if removed else ""
        await send_private(
            interaction,
            "✅ Done: from now on none of your messages in this server is kept or quoted, as a solved "
            "thread's question or solution or as the text of a question you ask me (I still answer "
            f"you; the questions you asked before are no longer kept either).{gone} "
            "`/privacy opt-in` undoes this.",
        )

    @privacy.command(name="opt-in", description="Allow my messages to be kept when a thread is solved")
    async def opt_in(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        threads = self.threads(self.bot.server(interaction.guild_id))
        was_out = await asyncio.to_thread(threads.opt_in, interaction.user.id)
        text = "Your messages can be kept again when a thread is marked solved, and your questions to me."
        await send_private(interaction, f"✅ {text}" if was_out else f"Nothing to change: {text[5:]}")

    async def _changing(self, state: ServerState, change, *args) -> list | None:
        """Run a change that may remove curated answers, and tell the other extensions if it did."""
        try:
            removed = await asyncio.to_thread(change, *args)
        except CitebotError as exc:
            logger.warning("server %s: solved threads not changed: %s", state.guild_id, exc)
            return None
        if any(record.document is not None for record in removed):
            await self._reload(state.guild_id)
        if any(record.curated_id is not None or record.document is not None for record in removed):
            what = "curated answers or documents of solved threads removed"
            self.bot.dispatch("knowledge_changed", state.guild_id, what)
        return removed

    # -- deleted and edited messages ---------------------------------------------------------------

    def _may_hold(self, guild_id: int | None, channel_id: int) -> bool:
        """Whether a message in ``channel_id`` may be kept: one of a thread (or of a channel the bot
        does not see), or a thread's opening message in an opted-in channel. In memory only."""
        if guild_id is None:
            return False
        channel = self.bot.get_channel(channel_id)
        return (
            channel is None
            or isinstance(channel, discord.Thread)
            or channel_id in self.bot.settings(guild_id).solved_channels
        )

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if self._may_hold(payload.guild_id, payload.channel_id):
            await self._forget(payload.guild_id, "forget_message", payload.message_id)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if self._may_hold(payload.guild_id, payload.channel_id):
            for message_id in sorted(payload.message_ids):
                await self._forget(payload.guild_id, "forget_message", message_id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self._forget(payload.guild_id, "forget_thread", payload.thread_id)

    async def _forget(self, guild_id: int | None, how: str, item: int) -> None:
        if guild_id is None or not self.bot.allowed(guild_id):
            return
        try:
            state = await asyncio.to_thread(self.bot.server, guild_id)
            await self._changing(state, getattr(self.threads(state), how), item)
        except Exception:
            logger.exception("server %s: forgetting deleted message or thread %s failed", guild_id, item)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        text = payload.data.get("content")
        guild_id = payload.guild_id
        if not isinstance(text, str) or guild_id is None or not self._may_hold(guild_id, payload.channel_id):
            return
        if not self.bot.allowed(guild_id):
            return
        try:
            state = await asyncio.to_thread(self.bot.server, guild_id)
            await asyncio.to_thread(self.threads(state).edited, payload.message_id, text)
        except Exception:
            logger.exception("server %s: keeping an edited solution failed", guild_id)


async def setup(bot: CitebotCore) -> None:
    """Load the extension."""
    await bot.add_cog(Solved(bot))
