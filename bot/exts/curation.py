"""Moderator-curated answers and the glossary: ``/faq ...``, ``/glossary ...`` and the message
context menu **Save as curated answer**.

Every command is for moderators: hidden from others by ``default_permissions`` and checked on the
server side by :func:`bot.checks.moderator_only` (server admins can override the former).
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from knowledge.curated import CuratedAnswer, CuratedStore
from knowledge.errors import NotFoundError, StateWriteError
from knowledge.glossary import Glossary

from .. import render
from ..answering import fuzzy_filter
from ..checks import MODERATORS, moderator_only
from ..curation_render import curated_embed, curated_list_pages, glossary_pages
from ..ui.curation import ConfirmView, CurateDraft, CurateModal, curate_target, draft_of
from ..utils import (
    Refused,
    announce_change,
    read_text_file,
    refused_as,
    send_pages,
    send_private,
    who,
    write_failed_note,
)
from ._curating import moderated, save_draft, source_hits

if TYPE_CHECKING:
    from knowledge.tenancy import ServerState

    from ..core import CitebotCore

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 1024 * 1024
SAVE_MENU_NAME = "Save as curated answer"


class Curation(commands.Cog):
    """``/faq`` and ``/glossary``; the context menu that turns a message into a curated answer."""

    faq = app_commands.Group(
        name="faq", description="Moderators' curated answers", guild_only=True, default_permissions=MODERATORS
    )
    glossary_group = app_commands.Group(
        name="glossary",
        description="Map members' words to the documents' terms",
        guild_only=True,
        default_permissions=MODERATORS,
    )

    def __init__(self, bot: CitebotCore) -> None:
        self.bot = bot
        menu = app_commands.ContextMenu(name=SAVE_MENU_NAME, callback=self.save_as_curated)
        self.save_menu = moderator_only()(menu)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.save_menu)
        self.bot.answers.suggesters.append(self._curated_suggestions)
        self.bot.add_form_recovery(self._recover_draft)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.save_menu.name, type=self.save_menu.type)
        if self._curated_suggestions in self.bot.answers.suggesters:
            self.bot.answers.suggesters.remove(self._curated_suggestions)
        self.bot.remove_form_recovery(self._recover_draft)

    async def _recover_draft(
        self, interaction: discord.Interaction, custom_id: str, values: dict[str, str]
    ) -> bool:
        """A curated-answer form shown before a restart (``/faq``, Save as curated answer,
        ``/review``): save what the moderator typed, as when it was shown; False for any other form."""
        target = curate_target(custom_id)
        if target is None or not self.bot.allowed(interaction.guild_id):
            return False
        answer_id, revision = target
        await save_draft(self.bot, interaction, draft_of(values), answer_id=answer_id, revision=revision)
        return True

    # -- shared ------------------------------------------------------------------------------

    def store(self, interaction: discord.Interaction) -> CuratedStore:
        """The curated answers of the server the interaction came from."""
        return moderated(self.bot, interaction)[1]

    def glossary(self, interaction: discord.Interaction) -> Glossary:
        """The glossary of the server the interaction came from."""
        glossary = self.bot.server(interaction.guild_id).glossary
        if glossary is None:
            raise Refused(NotFoundError("The glossary belongs to a server; use this in one."))
        return glossary

    @staticmethod
    def _curated_suggestions(state: ServerState, current: str) -> list[str]:
        if state.curated is None:
            return []
        return fuzzy_filter(current, [a.question for a in state.curated.list()])

    async def open_editor(
        self,
        interaction: discord.Interaction,
        draft: CurateDraft,
        *,
        answer_id: int | None = None,
        revision: str | None = None,
        origin: str = "",
    ) -> None:
        """Show the curate modal; submitting saves a new answer, or edits ``answer_id`` if it is
        still at ``revision``."""

        async def submitted(modal_interaction: discord.Interaction, values: CurateDraft) -> None:
            await self.save(modal_interaction, values, answer_id=answer_id, revision=revision, origin=origin)

        title = f"Edit curated answer #{answer_id}" if answer_id else "New curated answer"
        modal = CurateModal(draft, submitted, title=title, answer_id=answer_id, revision=revision)
        await interaction.response.send_modal(modal)

    async def save(
        self,
        interaction: discord.Interaction,
        draft: CurateDraft,
        *,
        answer_id: int | None = None,
        revision: str | None = None,
        origin: str = "",
    ) -> None:
        """Save a submitted draft (see :func:`bot.exts._curating.save_draft`)."""
        await save_draft(self.bot, interaction, draft, answer_id=answer_id, revision=revision, origin=origin)

    async def _answer_id_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        words = current.casefold().split()
        choices = []
        for entry in self.store(interaction).list(include_retired=True):
            label = f"#{entry.id} {entry.question}"
            if all(w in label.casefold() for w in words):
                choices.append(app_commands.Choice(name=render.choice_name(label), value=entry.id))
        return choices[: render.CHOICES_MAX]

    def _require(self, interaction: discord.Interaction, answer_id: int) -> CuratedAnswer:
        """The answer numbered ``answer_id`` in the interaction's server; a missing one is refused
        through the error handler."""
        entry = self.store(interaction).get(answer_id)
        if entry is None:
            missing = NotFoundError(f"There is no curated answer #{answer_id}.")
            raise Refused(missing, "{} `/faq list` shows them.")
        return entry

    # -- /faq ---------------------------------------------------------------------------------

    @faq.command(name="add", description="Write a curated answer")
    @moderator_only()
    async def faq_add(self, interaction: discord.Interaction) -> None:
        await self.open_editor(interaction, CurateDraft())

    @faq.command(name="edit", description="Edit a curated answer")
    @app_commands.describe(id="The curated answer's number")
    @moderator_only()
    async def faq_edit(self, interaction: discord.Interaction, id: int) -> None:
        entry = self._require(interaction, id)
        draft = CurateDraft(
            entry.question, entry.answer, tuple(entry.phrasings), tuple(s.passage_id for s in entry.sources)
        )
        await self.open_editor(interaction, draft, answer_id=entry.id, revision=entry.revision)

    @faq.command(name="remove", description="Delete a curated answer")
    @app_commands.describe(id="The curated answer's number")
    @moderator_only()
    async def faq_remove(self, interaction: discord.Interaction, id: int) -> None:
        entry = self._require(interaction, id)
        state, store = moderated(self.bot, interaction)

        async def confirmed(click: discord.Interaction) -> None:
            try:
                await asyncio.to_thread(store.remove, entry.id)
                text = f"Deleted curated answer #{entry.id}."
            except StateWriteError as exc:
                text = f"Deleted curated answer #{entry.id}. {write_failed_note(exc)}"
            except NotFoundError:
                text = f"Curated answer #{entry.id} was already gone."
            await click.response.edit_message(content=text, embed=None, view=None)
            announce_change(click, f"curated answer #{entry.id} deleted")

        view = ConfirmView(interaction.user.id, confirmed, label="Delete")
        await interaction.response.send_message(
            f"Delete curated answer #{entry.id}? Its history goes too (`/faq export` keeps a copy).",
            embed=curated_embed(entry, source_hits(state.kb, entry)),
            view=view,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        view.message = await interaction.original_response()

    @faq.command(name="list", description="All curated answers")
    @moderator_only()
    async def faq_list(self, interaction: discord.Interaction) -> None:
        store = self.store(interaction)
        error = store.refresh()  # first: a hand edit since the last look is listed too
        await send_pages(interaction, curated_list_pages(store.list()), error)

    @faq.command(name="show", description="One curated answer in full, with its sources and history")
    @app_commands.describe(id="The curated answer's number")
    @moderator_only()
    async def faq_show(self, interaction: discord.Interaction, id: int) -> None:
        entry = self._require(interaction, id)
        kb = self.bot.server(interaction.guild_id).kb
        await send_private(interaction, embed=curated_embed(entry, source_hits(kb, entry)))

    @faq.command(name="export", description="Download the curated answers as YAML")
    @moderator_only()
    async def faq_export(self, interaction: discord.Interaction) -> None:
        store = self.store(interaction)
        text = store.export_yaml()
        count = len(store.list(include_retired=True))
        await send_private(
            interaction,
            f"{count} curated answer(s). `/faq import` reads this file back.",
            file=discord.File(io.BytesIO(text.encode("utf-8")), filename="curated.yaml"),
        )

    @faq.command(
        name="import", description="Load curated answers from a YAML file (shows what changes first)"
    )
    @app_commands.describe(file="A file written by /faq export or citebot faq export")
    @moderator_only()
    async def faq_import(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        store = self.store(interaction)
        text = await read_text_file(interaction, file, limit=MAX_IMPORT_BYTES)
        if text is None:
            return
        kb = self.bot.server(interaction.guild_id).kb
        with refused_as("Nothing imported: {}"):  # a big file takes a while: never on the event loop
            plan = await asyncio.to_thread(store.plan_import, text, file.filename, kb=kb)
        if plan.empty:
            await send_private(
                interaction, f"Nothing to import: `{render.escape(file.filename)}` holds no curated answers."
            )
            return
        if not plan.changes:
            await send_private(interaction, f"Nothing to import: {plan.summary()}.")
            return
        # Warnings first, so a long listing cannot push them out of the message.
        listing = [
            f"⚠ #{answer_id} names passage {passage_id}, which is not in the knowledge base"
            for answer_id, passage_id in plan.unknown_sources
        ]
        listing += [f"+ #{e.id} {e.question}" for e in plan.added]
        listing += [f"~ #{e.id} {e.question}" for e in plan.updated]

        async def confirmed(click: discord.Interaction) -> None:
            try:
                await asyncio.to_thread(store.apply_import, plan, by=who(click.user))
                text = f"Imported: {plan.summary()}."
            except StateWriteError as exc:
                text = f"Imported: {plan.summary()}. {write_failed_note(exc)}"
            await click.response.edit_message(content=text, view=None)
            announce_change(click, "/faq import")

        view = ConfirmView(interaction.user.id, confirmed, label="Import", style=discord.ButtonStyle.primary)
        body = render.join_within([render.escape(render.shorten(line, 150)) for line in listing], 1500)
        view.message = await interaction.followup.send(
            f"Dry run of `{render.escape(file.filename)}`: {plan.summary()}.\n{body}\nImport these?",
            view=view,
            ephemeral=True,
            wait=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    faq_edit.autocomplete("id")(_answer_id_autocomplete)
    faq_remove.autocomplete("id")(_answer_id_autocomplete)
    faq_show.autocomplete("id")(_answer_id_autocomplete)

    # -- the context menu ---------------------------------------------------------------------

    async def save_as_curated(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """A bot answer: its question and best passage. A member's message: its text as the
        question and the passage that best matches it."""
        state, _ = moderated(self.bot, interaction)
        assistant = state.assistant
        record = None
        if message.author.id == self.bot.user.id:
            # Only an answer given in this server: the store does not find another server's.
            record = await asyncio.to_thread(state.store.answer_for_message, message.id)
        if record is not None:
            question, passage_ids = record.question, record.passage_ids
        else:
            question = " ".join(message.content.split())
            if not question:
                await send_private(interaction, "That message has no text to use as a question.")
                return
            passage_ids = ()
        question = question[:300]
        try:
            answer = await asyncio.to_thread(assistant.ask, question, k=3)
        except ValueError:
            answer = None
        if not passage_ids and answer is not None:
            passage_ids = tuple(hit.passage_id for hit in answer.hits)
        text = " ".join(s.text for s in answer.sentences) if answer is not None and answer.answered else ""
        draft = CurateDraft(question=question, answer=text, sources=tuple(passage_ids[:1]))
        await self.open_editor(interaction, draft, origin=f" from {message.jump_url}")

    # -- /glossary ----------------------------------------------------------------------------

    @glossary_group.command(name="add", description="Map a member's word to the documents' term")
    @app_commands.describe(
        term="What members say, e.g. first milk", means="What the documents call it, e.g. colostrum"
    )
    @moderator_only()
    async def glossary_add(self, interaction: discord.Interaction, term: str, means: str) -> None:
        note = ""
        with refused_as("Not added: {}", brief=True):
            try:
                glossary = self.glossary(interaction)
                entry = await asyncio.to_thread(glossary.add, term, means, author=who(interaction.user))
            except StateWriteError as exc:
                entry = exc.done
                note = "\n" + write_failed_note(exc)
        announce_change(interaction, f"/glossary add {render.escape(entry.term)}")
        await send_private(
            interaction,
            f"Questions saying “{render.escape(entry.term)}” are now searched as "
            f"“{render.escape(entry.means)}”.{note}",
        )

    @glossary_group.command(name="list", description="The glossary")
    @moderator_only()
    async def glossary_list(self, interaction: discord.Interaction) -> None:
        glossary = self.glossary(interaction)
        error = glossary.refresh()
        await send_pages(interaction, glossary_pages(glossary.entries()), error)

    @glossary_group.command(name="remove", description="Remove a glossary term")
    @app_commands.describe(term="The member's word to forget")
    @moderator_only()
    async def glossary_remove(self, interaction: discord.Interaction, term: str) -> None:
        with refused_as("{} `/glossary list` shows it."):
            try:
                entry = await asyncio.to_thread(self.glossary(interaction).remove, term)
                text = f"Removed “{render.escape(entry.term)}” from the glossary."
            except StateWriteError as exc:
                text = f"Removed “{render.escape(exc.done.term)}”. {write_failed_note(exc)}"
        announce_change(interaction, f"/glossary remove {render.escape(term)}")
        await send_private(interaction, text)

    @glossary_remove.autocomplete("term")
    async def _term_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        words = current.casefold().split()
        entries = self.glossary(interaction).entries()
        terms = [e.term for e in entries if all(w in e.term.casefold() for w in words)]
        return [
            app_commands.Choice(name=render.choice_name(t), value=t[:100])
            for t in terms[: render.CHOICES_MAX]
        ]


async def setup(bot: CitebotCore) -> None:
    """Load the extension."""
    await bot.add_cog(Curation(bot))
