"""``/lookup NAME``: a class, function, method, option or config key of the server's documentation,
with the first sentence of its description and a link to its anchor (:mod:`knowledge.apiref`)."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from knowledge import KnowledgeBase, format_citation
from knowledge.apiref import ApiIndex, Described, LookupMatch, LookupResult

from .. import render
from ..checks import lookup_cooldown

logger = logging.getLogger(__name__)

LOOKUP_COLOUR = discord.Colour.dark_teal()
OTHERS_SHOWN = 5
SUGGESTIONS_SHOWN = 5


class ApiLookup(commands.Cog):
    """``/lookup``: API objects by name, exact, by the end of a dotted name, or close to it."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    def kb(self, interaction: discord.Interaction) -> KnowledgeBase:
        """The knowledge base of the interaction's server: its objects are the ones found."""
        return self.bot.server(interaction.guild_id).kb

    @app_commands.command(
        name="lookup", description="Look up a class, function, method, option or setting in the docs"
    )
    @app_commands.describe(name="Its name, or the end of it: send, Client.run, discord.Intents")
    @lookup_cooldown()
    async def lookup(self, interaction: discord.Interaction, name: str) -> None:
        """The object named ``name`` with its description and link, in the channel; close names
        privately when there is none."""
        kb = self.kb(interaction)
        if not ApiIndex.ready(kb):  # the first look-up reads the inventories: it may take a while
            await interaction.response.defer(thinking=True)
        result, described = await asyncio.to_thread(_look_up, kb, name)
        if result.found and described is not None:
            embed = lookup_embed(described, result.matches[1 : 1 + OTHERS_SHOWN])
            if interaction.response.is_done():
                await interaction.followup.send(embed=embed)
            else:
                await interaction.response.send_message(embed=embed)
            return
        text = not_found_text(result, has_objects=bool(len(ApiIndex.of(kb))))
        if interaction.response.is_done():
            await interaction.followup.send(text, allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )

    @lookup.autocomplete("name")
    async def name_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Names matching what is typed so far, with their role."""
        matches = await asyncio.to_thread(lambda: ApiIndex.of(self.kb(interaction)).complete(current))
        return [
            app_commands.Choice(
                name=render.choice_name(f"{m.obj.name} — {m.obj.role}"), value=m.obj.name[:100]
            )
            for m in matches[: render.CHOICES_MAX]
        ]


def _look_up(kb: KnowledgeBase, name: str) -> tuple[LookupResult, Described | None]:
    index = ApiIndex.of(kb)
    result = index.lookup(name, limit=1 + OTHERS_SHOWN)
    return result, index.describe(result.matches[0].obj) if result.found else None


def _show_link(link: str) -> str:
    return f"<{link}>" if render.is_url(link) else render.escape(link)


def _code(name: str) -> str:
    return f"`{name.replace('`', 'ˋ')}`"


def lookup_embed(described: Described, others: tuple[LookupMatch, ...] = ()) -> discord.Embed:
    """The object's name (linked to its anchor) and role, the first sentence of its description
    and where it is documented; other objects of that name listed below."""
    obj = described.obj
    embed = discord.Embed(
        title=render.shorten(render.escape(obj.name), render.EMBED_TITLE_LIMIT),
        url=described.link if render.is_url(described.link) else None,
        colour=LOOKUP_COLOUR,
    )
    lines = [f"*{render.escape(obj.role)}*"]
    if described.summary:
        lines.append(render.document_text(described.summary))  # its code spans shown as code
    if described.title:
        # The title links to the anchor already: the citation names the place only.
        linked = "" if embed.url else described.link
        cited = format_citation(
            described.title, described.section, link=linked, escape=render.escape, show_link=_show_link
        )
        lines.append(f"Documented in {cited}")
    elif described.link and not embed.url:
        lines.append(_show_link(described.link))
    embed.description = render.shorten("\n".join(lines), render.EMBED_DESCRIPTION_LIMIT)
    if others:
        value = "\n".join(f"{_code(m.obj.name)} · {render.escape(m.obj.role)}" for m in others)
        embed.add_field(name="Also named so", value=render.shorten(value, render.EMBED_FIELD_VALUE_LIMIT))
    return embed


def not_found_text(result: LookupResult, *, has_objects: bool) -> str:
    """What a look-up that found no such name says: the close names, if any."""
    if not has_objects:
        return (
            "This server's documents name no API objects to look up (no Sphinx `objects.inv`, "
            "no reST API directives). Try `/search`."
        )
    asked = render.escape(result.query) or "that"
    if not result.matches:
        return f"Nothing in the documentation is named **{asked}**. Try `/search`."
    close = ", ".join(
        f"{_code(m.obj.name)} ({render.escape(m.obj.role)})" for m in result.matches[:SUGGESTIONS_SHOWN]
    )
    return f"Nothing in the documentation is named **{asked}**. Close names: {close}"


async def setup(bot: commands.Bot) -> None:
    """Load the extension."""
    await bot.add_cog(ApiLookup(bot))
