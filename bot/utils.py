"""What the cogs and views share: the bot behind an interaction, private replies to moderators,
and how refusals and changes that could not be saved are worded."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import discord

from knowledge.errors import CitebotError, StateFileError, StateWriteError

from . import render
from .ui.paginator import Paginator

if TYPE_CHECKING:
    from .app import CitebotBot


def citebot(interaction: discord.Interaction) -> CitebotBot:
    """The bot an interaction arrived at, typed as the bot class (views and checks only see a Client)."""
    return cast("CitebotBot", interaction.client)


def who(user: discord.abc.User) -> str:
    """How an author is recorded: readable, and unambiguous by id."""
    return f"{user.name} ({user.id})"


def write_failed_note(exc: StateWriteError) -> str:
    """Says that a change is in use but not yet on disk."""
    return (
        f"⚠️ It is in use now, but could not be saved to disk ({exc}). "
        "It stays in memory and is written with the next change; tell the bot's operator."
    )


def file_warning(error: StateFileError | None) -> str | None:
    """Tells moderators that a hand edit broke a state file, and where."""
    if error is None:
        return None
    return f"⚠️ {render.escape(str(error))}. Until it is fixed, the last good version is used."


def announce_change(interaction: discord.Interaction, what: str) -> None:
    """Tell the extensions that a moderator changed what the bot knows in the interaction's server:
    the ``knowledge_changed(guild_id, what)`` event, ``what`` ending with who did it (a mention)."""
    where, by = interaction.guild_id, interaction.user.mention
    citebot(interaction).dispatch("knowledge_changed", where, f"{what} by {by}")


async def send_private(interaction: discord.Interaction, content: str | None = None, **kwargs) -> None:
    """Reply privately, as a follow-up when the interaction was already answered."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


async def send_pages(
    interaction: discord.Interaction, pages: list[discord.Embed], file_error: StateFileError | None
) -> None:
    """A private listing, headed by a warning when a hand edit broke the file it lists."""
    warning = file_warning(file_error)
    if warning:
        pages[0].description = f"{warning}\n\n{pages[0].description}"
    await Paginator(pages, owner_id=interaction.user.id).send(interaction, ephemeral=True)


class Refused(Exception):
    """A command stopped by a :class:`~knowledge.errors.CitebotError` before it changed anything.

    The error handler replies with ``template``, the error's text in place of ``{}``. With
    ``brief``, a broken entry is described without the place it was checked at (for a form the
    moderator just filled in, the place is not a file they could open).
    """

    def __init__(self, cause: CitebotError, template: str = "{}", *, brief: bool = False) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.template = template
        self.brief = brief

    def message(self) -> str:
        """The reply: ``template`` with the error's text, escaped for Discord markdown."""
        cause = self.cause
        detail = f"{cause.message}." if self.brief and isinstance(cause, StateFileError) else str(cause)
        return self.template.replace("{}", render.escape(detail))


@contextlib.contextmanager
def refused_as(template: str, *, brief: bool = False) -> Iterator[None]:
    """Turn a :class:`~knowledge.errors.CitebotError` raised inside into :class:`Refused` with
    ``template``, e.g. ``with refused_as("Not added: {}"):``."""
    try:
        yield
    except CitebotError as exc:
        raise Refused(exc, template, brief=brief) from exc
