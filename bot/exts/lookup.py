"""Browsing the knowledge base: ``/search``, ``/source`` and ``/topics``."""

from __future__ import annotations

import asyncio
import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from knowledge import Hit, KnowledgeBase, format_label
from knowledge.retriever import search

from .. import render
from ..checks import lookup_cooldown
from ..completion import completions
from ..ui.paginator import Paginator

logger = logging.getLogger(__name__)

SEARCH_RESULTS = 10
# "/source 2" or "/source [2]": a number an answer cites.
_CITED_NUMBER = re.compile(r"\[?(\d{1,2})\]?")


class Lookup(commands.Cog):
    """``/search``, ``/source`` and ``/topics``: looking into the knowledge base directly."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    def kb(self, interaction: discord.Interaction) -> KnowledgeBase:
        """The knowledge base answering in the interaction's server now: the shared knowledge and
        that server's own uploads (a reload replaces it)."""
        return self.bot.server(interaction.guild_id).kb

    @app_commands.command(
        name="search", description="Find passages in the knowledge base (only you see them)"
    )
    @app_commands.describe(query="Words to look for")
    @lookup_cooldown()
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        """The best passages for ``query``, privately, a few to a page."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        hits = await asyncio.to_thread(search, self.kb(interaction), query, SEARCH_RESULTS)
        paginator = Paginator(render.search_pages(query, hits), owner_id=interaction.user.id)
        await paginator.send(interaction, ephemeral=True)

    @app_commands.command(name="source", description="Show one passage in full, with its citation")
    @app_commands.describe(
        passage="The passage id (start typing a title or id), or 2 for the latest answer's [2]"
    )
    @lookup_cooldown()
    async def source(self, interaction: discord.Interaction, passage: str) -> None:
        """One passage in full with its citation: by its id, or as ``2`` (or ``[2]``) the [2] of the
        latest answer in this channel, as members read the numbers."""
        hit, first = self.kb(interaction).hit(passage.strip()), 1
        number = _CITED_NUMBER.fullmatch(passage.strip())
        if hit is None and number and interaction.channel_id is not None:
            first = int(number.group(1))
            hit = await self._cited(interaction, first)
        if hit is None:
            await interaction.response.send_message(
                "No passage has that id. Pick one from the suggestions, or find it with `/search`.",
                ephemeral=True,
            )
            return
        pages = render.passage_pages([hit], heading="Source", first=first)
        await Paginator(pages, owner_id=interaction.user.id).send(interaction, ephemeral=False)

    async def _cited(self, interaction: discord.Interaction, number: int) -> Hit | None:
        """The passage the latest answer in the interaction's channel cites as [``number``]."""
        state = self.bot.server(interaction.guild_id)
        record = await asyncio.to_thread(state.store.last_answer_in, interaction.channel_id)
        if record is None or not 1 <= number <= len(record.passage_ids):
            return None
        return state.kb.hit(record.passage_ids[number - 1])

    @source.autocomplete("passage")
    async def passage_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Passage ids whose id, title or section match what is typed so far."""
        # In a worker thread: the index is looked up in milliseconds, but the server may load (or a
        # knowledge base be indexed) on first use.
        return await asyncio.to_thread(_passage_choices, self.kb(interaction), current)

    @app_commands.command(name="topics", description="What the knowledge base covers: its documents")
    @lookup_cooldown()
    async def topics(self, interaction: discord.Interaction) -> None:
        """The documents of the knowledge base."""
        pages = render.topic_pages(self.kb(interaction).topics())
        await Paginator(pages, owner_id=interaction.user.id).send(interaction, ephemeral=False)


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(Lookup(bot))


def _passage_choices(kb: KnowledgeBase, current: str) -> list[app_commands.Choice[str]]:
    """The ``/source`` choices matching ``current``: matched on the id, the document title and the
    section (through the knowledge base's autocomplete index); shown as the passage's citation
    label and its first words, which tell apart passages of one section."""
    indexed = completions(kb)
    choices = []
    for i in indexed.passages.search(current):
        p = kb.passages[indexed.passage_rows[i]]
        doc = kb.documents[p.doc_id]
        label = format_label(doc.title, p.section_title, p.page, doc.reference)
        start = " ".join(p.text[:120].split())
        choices.append(app_commands.Choice(name=render.choice_name(f"{label} — {start}"), value=p.id))
    return choices
