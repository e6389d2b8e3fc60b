"""What the cogs and views share: the bot behind an interaction, private replies to moderators,
and how refusals and changes that could not be saved are worded."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import discord

from knowledge.errors import CitebotError, StateFileError, StateWriteError

from . import render
from .ui.paginator import Paginator

if TYPE_CHECKING:
    from .core import CitebotCore

logger = logging.getLogger(__name__)


def citebot(interaction: discord.Interaction) -> CitebotCore:
    """The bot an interaction arrived at, typed as the bot class (views and checks only see a Client)."""
    return cast("CitebotCore", interaction.client)


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


def submitted_values(data: dict) -> dict[str, str]:
    """The values of a submitted form's text inputs by custom id, from the interaction's raw data
    (for a form this process no longer holds as a modal)."""
    values: dict[str, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "custom_id" in node and isinstance(node.get("value"), str):
                values[node["custom_id"]] = node["value"]
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(data.get("components", []))
    return values


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


def missing_reply_permissions(
    permissions: discord.Permissions, *, in_thread: bool = False, new_thread: bool = False
) -> list[str]:
    """The permissions a reply in a channel needs that ``permissions`` lacks, as Discord shows
    them ("Send Messages"), most likely culprit first; ``new_thread`` when the reply opens a thread."""
    needed = [
        "view_channel",
        "send_messages_in_threads" if in_thread else "send_messages",
        "embed_links",
        "read_message_history",
    ]
    if new_thread:
        needed[1:1] = ["create_public_threads", "send_messages_in_threads"]
    return [name.replace("_", " ").title() for name in needed if not getattr(permissions, name)]


async def tell_cannot_reply(
    message: discord.Message, exc: discord.Forbidden, *, new_thread: bool = False
) -> None:
    """The bot was refused a reply to ``message`` in its channel (``new_thread``: when answers
    open a thread): log which permission is missing and tell the member privately (a direct
    message) rather than leaving them unanswered."""
    channel = message.channel
    me = message.guild.me if message.guild is not None else None
    missing = []
    if me is not None and hasattr(channel, "permissions_for"):
        in_thread = isinstance(channel, discord.Thread)
        missing = missing_reply_permissions(
            channel.permissions_for(me), in_thread=in_thread, new_thread=new_thread and not in_thread
        )
    names = ", ".join(missing) or "a permission Discord did not name"
    lacking = f"the {', '.join(missing)} permission" if missing else "a permission"
    logger.warning(
        "cannot reply in channel %s of server %s: missing %s (%s)",
        channel.id,
        getattr(message.guild, "id", None),
        names,
        exc.text or exc,
    )
    where = getattr(channel, "mention", "that channel")
    try:
        await message.author.send(
            f"I couldn't answer your message in {where}: I'm missing {lacking} there. "
            "Please tell a server admin; meanwhile `/ask` works there.",
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.HTTPException as dm_exc:
        logger.info("could not tell member %s by direct message either: %s", message.author.id, dm_exc)


async def read_text_file(
    interaction: discord.Interaction, file: discord.Attachment, *, limit: int
) -> str | None:
    """The text of a file a moderator attached (an import), after deferring the reply; None after
    telling them why not (larger than ``limit`` bytes, or not UTF-8 text)."""
    if file.size > limit:
        await send_private(interaction, f"That file is {file.size:,} bytes; the limit is {limit:,}.")
        return None
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        return (await file.read()).decode("utf-8-sig")
    except UnicodeDecodeError:
        name = render.escape(file.filename)
        await send_private(interaction, f"`{name}` is not UTF-8 text; nothing changed.")
        return None
