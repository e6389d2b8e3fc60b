"""``/review``: declined and 👎 questions, grouped, oldest first, with **Write answer**,
**Dismiss** and **Why?** (how the question is answered now, stage by stage); curated answers whose
sources changed, with **Keep**, **Edit** and **Retire**; and glossary suggestions from the unknown
words of declined questions.

Curated answers flagged after a reload are also posted in the configured moderator channel with
persistent Keep/Edit/Retire buttons (they keep working after a restart), and so is a declined
question whose asker clicked **Ask the moderators** under it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from knowledge.curated import CuratedAnswer, current_sources
from knowledge.errors import StateFileBroken, StateFileError, StateWriteError
from knowledge.review import ReviewGroup, ReviewQueue

from .. import render
from ..checks import ensure_moderator, moderator_only
from ..curation_render import review_group_embed, review_summary_embed, stale_embed, why_embed
from ..ui.answer import answer_view
from ..ui.curation import (
    REVIEW_PREFIX,
    CurateDraft,
    CurateModal,
    ReviewPage,
    ReviewView,
    StaleAnswerButton,
    stale_view,
)
from ..ui.errors import report_error
from ..utils import announce_change, file_warning, send_private, who, write_failed_note
from ._curating import moderated, save_draft

if TYPE_CHECKING:
    from knowledge import KnowledgeBase
    from knowledge.tenancy import ServerState

    from ..core import CitebotCore

logger = logging.getLogger(__name__)

# Answers passed to the moderators lately, so a repeated click (a forged one: the button is greyed
# out) cannot post a question twice; bounded, the oldest forgotten first.
PASSED_REMEMBERED = 10_000
NOT_THE_ASKER = "Only the member who asked can pass this question on; `/ask` yours to pass it on."
PASSED = "Passed to the moderators: they review the questions I could not answer and can add an answer."
REVIEW_EXPIRED = "This review has expired (its buttons work for 15 minutes); run `/review` again."
NOT_ON_RECORD = "That question is no longer on record."
NOT_KEPT = (
    "You asked that your messages not be kept here (`/privacy`), so I did not keep this question's "
    "words and can't pass them on; ask a moderator or in a help channel."
)


class Review(commands.Cog):
    """``/review`` and the source-change guard: listens for ``knowledge_reloaded`` (checks curated
    answers' sources) and ``stale_answer_action`` (the moderator channel's Keep/Edit/Retire).
    Everything here acts on the server of the interaction, or on one loaded server at a time."""

    def __init__(self, bot: CitebotCore) -> None:
        self.bot = bot
        self._startup: asyncio.Task | None = None
        self._passed: dict[str, None] = {}

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(StaleAnswerButton)
        # Documents may have changed while the bot was down: check the curated answers' sources
        # once connected, so the notice can be posted.
        self._startup = asyncio.create_task(self._check_after_start())

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(StaleAnswerButton)
        if self._startup is not None:
            self._startup.cancel()

    # -- the source-change guard --------------------------------------------------------------

    @commands.Cog.listener()
    async def on_knowledge_reloaded(self, guild_id: int | None, kb: KnowledgeBase) -> None:
        """A moderator rebuilt a server's knowledge base (and perhaps the shared one every server
        reads): flag curated answers whose sources changed, server by server."""
        for state in self.bot.servers_loaded():
            try:
                await self.check_sources(state)
            except Exception:
                logger.exception("checking server %s's curated answers after a reload failed", state.guild_id)

    @commands.Cog.listener()
    async def on_stale_answer_action(
        self, interaction: discord.Interaction, action: str, answer_id: int
    ) -> None:
        """A click on a moderator-channel notice's Keep/Edit/Retire (see :class:`StaleAnswerButton`)."""
        try:
            await self.stale_action(interaction, action, answer_id)
        except Exception as error:
            await report_error(interaction, error)

    @commands.Cog.listener()
    async def on_ask_moderators(self, interaction: discord.Interaction, answer_id: str) -> None:
        """A click on **Ask the moderators** under a declined question (see
        :class:`bot.ui.answer.AskModeratorsButton`)."""
        try:
            await self.ask_moderators(interaction, answer_id)
        except Exception as error:
            await report_error(interaction, error)

    async def ask_moderators(self, interaction: discord.Interaction, answer_id: str) -> None:
        """Pass a declined question to the moderators: it waits in ``/review`` as every declined
        question does, and is posted in the moderator channel when that is in this server. Only
        its asker may, once; an answer of another server is not found."""
        state = self.bot.server(interaction.guild_id)
        record = await asyncio.to_thread(state.store.answer, answer_id)
        if record is None or record.guild_id is None:
            await send_private(interaction, NOT_ON_RECORD)
            return
        if record.user_id != interaction.user.id:
            await send_private(interaction, NOT_THE_ASKER)
            return
        if not record.question:
            await send_private(interaction, NOT_KEPT)
            return
        view = answer_view(answer_id, sources=bool(record.passage_ids), declined=True, passed=True)
        if answer_id in self._passed:
            await interaction.response.edit_message(view=view)
            return
        self._passed[answer_id] = None
        if len(self._passed) > PASSED_REMEMBERED:
            del self._passed[next(iter(self._passed))]
        # Answered first: posting may take longer than Discord's 3 seconds for a reply.
        await interaction.response.edit_message(view=view)
        await self._post_question(state, interaction, record.question)
        await send_private(interaction, PASSED)

    async def _post_question(
        self, state: ServerState, interaction: discord.Interaction, question: str
    ) -> None:
        channel_id = self.bot.config.moderator_channel
        channel = self.bot.get_channel(channel_id) if channel_id is not None else None
        if channel is None or getattr(getattr(channel, "guild", None), "id", None) != state.guild_id:
            return  # no moderator channel in this server: the question is in /review
        message = interaction.message
        where = "" if message is None or message.flags.ephemeral else f"\n{message.jump_url}"
        text = (
            f"🙋 {interaction.user.mention} asked the moderators about a question I could not answer:\n"
            f"> {render.escape(render.shorten(' '.join(question.split()), 300))}{where}\n"
            "`/review` lists it with the other declined questions."
        )
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            logger.warning("could not post in the moderator channel: %s", exc)

    async def _check_after_start(self) -> None:
        await self.bot.wait_until_ready()
        for state in await self.bot.wait_for_servers():
            try:
                await self.check_sources(state)
            except Exception:
                logger.exception("checking server %s's curated answers' sources failed", state.guild_id)

    async def check_sources(self, state: ServerState) -> list[CuratedAnswer]:
        """Flag the server's curated answers whose passages changed in its knowledge base and tell
        the moderator channel (when it is in that server)."""
        store, kb = state.curated, state.kb
        if store is None or not len(store):
            return []
        if not kb.passages:
            # An empty knowledge base (a missing folder) would flag every answer; that is a
            # configuration problem, reported at load, not a change in the sources.
            return []
        try:
            flagged = await asyncio.to_thread(store.check_sources, kb)
        except StateWriteError as exc:
            logger.warning("flagged curated answers could not be saved: %s", exc)
            flagged = store.stale()
        except StateFileBroken:
            return []  # logged with the file and line; checked again once the file is fixed
        if flagged:
            logger.info("server %s: %d curated answer(s) have changed sources", state.guild_id, len(flagged))
            await self.notify(state, flagged)
        return flagged

    async def notify(self, state: ServerState, flagged: Sequence[CuratedAnswer]) -> None:
        """Post each flagged answer in the moderator channel, with Keep/Edit/Retire buttons; only
        when that channel is in the answers' own server (other servers see them in /review)."""
        channel_id = self.bot.settings(state.guild_id).moderator_channel
        if channel_id is None:
            return
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            logger.warning("moderator channel %s not found; flagged answers show in /review only", channel_id)
            return
        if getattr(getattr(channel, "guild", None), "id", None) != state.guild_id:
            return
        for entry in flagged:
            try:
                await channel.send(
                    embed=stale_embed(entry),
                    view=stale_view(entry.id),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException as exc:
                logger.warning("could not post in the moderator channel: %s", exc)
                return

    async def stale_action(self, interaction: discord.Interaction, action: str, answer_id: int) -> None:
        """Keep / Edit / Retire from the moderator channel's persistent buttons."""
        ensure_moderator(interaction)
        if action == "edit":
            await self._open_edit(interaction, answer_id)
            return
        text = await self._keep_or_retire(interaction, action, answer_id)
        await interaction.response.edit_message(content=text, view=None)

    async def _keep_or_retire(self, interaction: discord.Interaction, action: str, answer_id: int) -> str:
        state, store = moderated(self.bot, interaction)
        by = who(interaction.user)
        if store.get(answer_id) is None:
            return f"Curated answer #{answer_id} no longer exists."
        try:
            if action == "keep":
                entry = await asyncio.to_thread(store.relink, answer_id, state.kb, by=by)
                sources = ", ".join(f"`{s.passage_id}`" for s in entry.sources) or "none found"
                return (
                    f"Kept curated answer #{answer_id} ({interaction.user.mention}); sources now: {sources}."
                )
            await asyncio.to_thread(store.retire, answer_id, by=by)
            announce_change(interaction, f"curated answer #{answer_id} retired")
            return (
                f"Retired curated answer #{answer_id} ({interaction.user.mention}); it is no longer served."
            )
        except StateWriteError as exc:
            return f"Done for #{answer_id}. {write_failed_note(exc)}"

    async def _open_edit(self, interaction: discord.Interaction, answer_id: int) -> None:
        state, store = moderated(self.bot, interaction)
        entry = store.get(answer_id)
        if entry is None:
            await send_private(interaction, f"Curated answer #{answer_id} no longer exists.")
            return
        kb = state.kb
        # Offer the passages as they are now, so saving the edit links the answer to them.
        sources = current_sources(entry, kb) if entry.status == "stale" else entry.sources
        draft = CurateDraft(
            entry.question, entry.answer, tuple(entry.phrasings), tuple(s.passage_id for s in sources)
        )
        revision = entry.revision

        async def saved(modal_interaction: discord.Interaction, values: CurateDraft) -> None:
            saved_entry = await save_draft(
                self.bot, modal_interaction, values, answer_id=answer_id, revision=revision
            )
            if saved_entry is None:
                return  # changed meanwhile: nothing saved, nothing to relink
            current = store.get(answer_id)
            if current is not None and current.status == "stale":
                # Editing is reviewing: the moderator has seen and chosen the current passages.
                try:
                    await asyncio.to_thread(store.relink, answer_id, state.kb, by=who(modal_interaction.user))
                except StateWriteError as exc:
                    logger.warning("relink after edit not saved: %s", exc)

        title = f"Edit curated answer #{answer_id}"
        await interaction.response.send_modal(
            CurateModal(draft, saved, title=title, answer_id=answer_id, revision=revision)
        )

    # -- /review ------------------------------------------------------------------------------

    @staticmethod
    def _gather(state: ServerState) -> tuple[list[ReviewGroup], list[CuratedAnswer], list]:
        assistant = state.assistant
        queue = ReviewQueue(state.store)
        groups = queue.groups(curated=assistant.curated, kb=assistant.kb)
        stale = assistant.curated.stale() if assistant.curated is not None else []
        suggestions = queue.glossary_suggestions(assistant.kb, assistant.glossary)
        return groups, stale, suggestions

    @staticmethod
    def _file_errors(state: ServerState) -> list[StateFileError | None]:
        """Mistakes in the server's hand-edited state files (refreshed when the files changed)."""
        assistant = state.assistant
        return [s.refresh() for s in (assistant.curated, assistant.glossary) if s is not None]

    @app_commands.command(name="review", description="Questions the bot could not answer well, oldest first")
    @moderator_only()
    async def review(self, interaction: discord.Interaction) -> None:
        """``/review``: this server's waiting questions, stale curated answers and glossary suggestions."""
        state = self.bot.server(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        groups, stale, suggestions = await asyncio.to_thread(self._gather, state)
        warnings = [w for w in map(file_warning, self._file_errors(state)) if w]
        if not groups and not stale:
            text = "\n".join([*warnings, "The review queue is empty: no declined or 👎 questions waiting."])
            await interaction.followup.send(
                text,
                embed=review_summary_embed(0, 0, suggestions) if suggestions else discord.utils.MISSING,
                ephemeral=True,
            )
            self.bot.dispatch("review_opened", interaction, state)
            return
        pages = [ReviewPage(stale_embed(entry), "stale", str(entry.id), entry) for entry in stale]
        pages += [
            ReviewPage(review_group_embed(group, n, len(groups)), "group", group.key, group)
            for n, group in enumerate(groups, start=1)
        ]
        view = ReviewView(interaction.user.id, pages, self._on_review_action)
        summary = review_summary_embed(len(groups), len(stale), suggestions)
        if warnings:
            summary.description = "\n".join(warnings) + "\n\n" + summary.description
        message = await interaction.followup.send(
            embeds=[summary, view.page.embed],
            view=view,
            ephemeral=True,
            wait=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        view.sent(message)
        self.bot.dispatch("review_opened", interaction, state)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A click on a /review button no view answers any more (it timed out, or the bot restarted
        since): discord.py drops it, and the moderator would see only "This interaction failed"."""
        if interaction.type is not discord.InteractionType.component or interaction.message is None:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if not custom_id.startswith(REVIEW_PREFIX):
            return
        if ReviewView.live(interaction.message.id):
            return  # the view's own callback answers
        try:
            await send_private(interaction, REVIEW_EXPIRED)
        except discord.HTTPException as exc:
            logger.debug("could not answer a click on an expired review: %s", exc)

    async def _on_review_action(
        self, interaction: discord.Interaction, view: ReviewView, page: ReviewPage, action: str
    ) -> None:
        queue = ReviewQueue(self.bot.server(interaction.guild_id).store)
        if action == "dismiss":
            group: ReviewGroup = page.item
            await asyncio.to_thread(queue.dismiss, group.answer_ids, user_id=interaction.user.id)
            await self._after(
                interaction,
                view,
                f"Dismissed “{render.escape(group.question)}” ({group.count} question(s)).",
            )
        elif action == "write":
            group = page.item
            draft = CurateDraft(
                question=group.question[:300],
                phrasings=tuple(w[:300] for w in group.wordings()[1:10]),
                sources=(group.best_passage_id,) if group.best_passage_id else (),
            )

            async def submitted(modal_interaction: discord.Interaction, values: CurateDraft) -> None:
                await save_draft(self.bot, modal_interaction, values)
                await asyncio.to_thread(queue.dismiss, group.answer_ids, user_id=modal_interaction.user.id)
                view.drop_current()
                await self._refresh(view)

            await interaction.response.send_modal(CurateModal(draft, submitted, title="Answer this question"))
        elif action == "why":
            await self._explain(interaction, page.key)
        elif action in ("keep", "retire"):
            text = await self._keep_or_retire(interaction, action, int(page.key))
            await self._after(interaction, view, text)
        elif action == "edit":
            await self._open_edit(interaction, int(page.key))

    async def _explain(self, interaction: discord.Interaction, answer_id: str) -> None:
        """**Why?** under a waiting question: how this server's assistant answers it now (the
        analysis, each passage's score per channel, the Decider's features and rule), shown to
        the moderator alone. The question is looked up in this server's own store: an answer id
        of another server is not found."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = interaction.guild_id
        k = self.bot.config.answers.passages

        def explain() -> discord.Embed | None:
            # All of it in the worker thread: the store, the stages and their rendering take a while.
            state = self.bot.server(guild_id)
            record = state.store.answer(answer_id)
            if record is None:
                return None
            assistant = state.assistant
            kb = assistant.kb
            trace = assistant.trace(record.question, context=record.context, k=k)
            return why_embed(trace.to_dict(kb))

        embed = await asyncio.to_thread(explain)
        if embed is None:
            await send_private(interaction, NOT_ON_RECORD)
            return
        await send_private(interaction, embed=embed)

    async def _after(self, interaction: discord.Interaction, view: ReviewView, text: str) -> None:
        view.drop_current()
        if view.pages:
            await interaction.response.edit_message(content=text, embeds=[view.page.embed], view=view)
        else:
            await interaction.response.edit_message(
                content=f"{text}\nThe review queue is now empty.", embeds=[], view=None
            )

    async def _refresh(self, view: ReviewView) -> None:
        if view.message is None:
            return
        try:
            if view.pages:
                await view.message.edit(embeds=[view.page.embed], view=view)
            else:
                await view.message.edit(content="The review queue is now empty.", embeds=[], view=None)
        except discord.HTTPException as exc:
            logger.debug("could not refresh the review message: %s", exc)


async def setup(bot: CitebotCore) -> None:
    """Load the extension."""
    await bot.add_cog(Review(bot))
