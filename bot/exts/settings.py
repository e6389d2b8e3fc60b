"""``/settings``: a server's admins choose its help channels, forum channels, solved-thread channels,
moderator roles, forums' "solved" tags and moderator channel themselves; the config's values are
only the defaults.

Only members who can manage the server may use it: hidden from others by ``default_permissions``
and checked on the server side at every use (server admins can change the former). Channels and
roles are picked with Discord's own pickers, which offer the server's own; an id of another server
(a tampered request) is refused all the same. Every reply is private.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from knowledge.errors import NotFoundError, StateWriteError
from knowledge.server_settings import CHANNEL, ID_LISTS, ServerSettings

from ..checks import SERVER_MANAGERS, ensure_server_manager
from ..server_settings import WrongServer, config_defaults
from ..utils import send_private, who, write_failed_note

if TYPE_CHECKING:
    from ..core import CitebotCore

logger = logging.getLogger(__name__)

HELP, FORUMS, SOLVED, ROLES, TAGS = ID_LISTS
LABELS = {
    HELP: "Help channels",
    FORUMS: "Forum channels",
    SOLVED: "Solved-thread channels",
    ROLES: "Moderator roles",
    TAGS: "Solved tags",
    CHANNEL: "Moderator channel",
}
NO_INTENT = (
    "⚠️ This bot runs without the Message Content intent, so it cannot read plain messages in help "
    "channels or forum posts: there it answers only when @mentioned. Ask the bot's operator to set "
    "`message_content: true` in its config (and turn the intent on in the developer portal)."
)
# What the bot needs to answer in each kind of channel (named as Discord's settings name them).
NEEDS = {
    HELP: ("view_channel", "send_messages", "embed_links", "read_message_history"),
    FORUMS: ("view_channel", "send_messages_in_threads", "embed_links", "read_message_history"),
    SOLVED: ("view_channel", "send_messages_in_threads", "read_message_history"),
    CHANNEL: ("view_channel", "send_messages", "embed_links"),
}


def _mention(setting: str, item: int) -> str:
    return f"<@&{item}>" if setting == ROLES else f"<#{item}>"


def _listed(setting: str, ids: Iterable[int], guild: discord.Guild | None = None) -> str:
    if setting == TAGS:
        return ", ".join(_tag(guild, i) for i in sorted(ids)) or "none"
    return ", ".join(_mention(setting, i) for i in sorted(ids)) or "none"


def _forum_tag(
    guild: discord.Guild | None, tag_id: int
) -> tuple[discord.ForumChannel, discord.ForumTag] | None:
    """The forum of ``guild`` that has the tag ``tag_id``, and the tag."""
    for forum in guild.forums if guild is not None else ():
        tag = forum.get_tag(tag_id)
        if tag is not None:
            return forum, tag
    return None


def _tag(guild: discord.Guild | None, tag_id: int) -> str:
    found = _forum_tag(guild, tag_id)
    if found is None:
        return f"a removed tag ({tag_id})"
    forum, tag = found
    return f"“{discord.utils.escape_markdown(tag.name)}” in {forum.mention}"


def _when(stamp: str) -> str:
    """A stored ISO time as a Discord timestamp, shown in each reader's own time zone."""
    try:
        return discord.utils.format_dt(datetime.fromisoformat(stamp), "f")
    except ValueError:  # a hand edit's own wording
        return discord.utils.escape_markdown(stamp)


class ServerSettingsCog(commands.Cog, name="Settings"):
    """``/settings show``, ``help-channel``, ``forum-channel``, ``solved-channel``,
    ``moderator-role``, ``moderator-channel`` and ``reset``."""

    settings = app_commands.Group(
        name="settings",
        description="This server's citebot settings (for members who can manage the server)",
        guild_only=True,
        default_permissions=SERVER_MANAGERS,
    )
    help_channel = app_commands.Group(
        name="help-channel", description="Channels where plain questions are answered", parent=settings
    )
    forum_channel = app_commands.Group(
        name="forum-channel", description="Forums whose new posts are answered", parent=settings
    )
    solved_channel = app_commands.Group(
        name="solved-channel",
        description="Forums and channels whose solved threads may be kept as answers",
        parent=settings,
    )
    moderator_role = app_commands.Group(
        name="moderator-role", description="Roles whose members count as moderators", parent=settings
    )
    solved_tag = app_commands.Group(
        name="solved-tag", description="A forum tag that marks a post solved when applied", parent=settings
    )

    def __init__(self, bot: CitebotCore) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Every ``/settings`` command, at every use: only for members who can manage the server."""
        ensure_server_manager(interaction)
        return True

    # -- what is in force ----------------------------------------------------------------------

    def _defaults_here(self, guild: discord.Guild) -> ServerSettings:
        """The config's settings, keeping only this server's channels and roles."""
        defaults = config_defaults(self.bot.config)
        channel = defaults.moderator_channel
        return replace(
            defaults,
            help_channels=frozenset(i for i in defaults.help_channels or () if guild.get_channel(i)),
            forum_channels=frozenset(i for i in defaults.forum_channels or () if guild.get_channel(i)),
            solved_channels=frozenset(i for i in defaults.solved_channels or () if guild.get_channel(i)),
            moderator_roles=frozenset(i for i in defaults.moderator_roles or () if guild.get_role(i)),
            moderator_channel=channel if channel is not None and guild.get_channel(channel) else None,
        )

    def describe(self, guild: discord.Guild) -> str:
        """Every setting in force in ``guild``, and whose it is."""
        own = self.bot.own_settings(guild.id).current()
        shown = own.over(self._defaults_here(guild))
        lines = [f"**citebot settings in {discord.utils.escape_markdown(guild.name)}**"]
        for setting in ID_LISTS:
            whose = "this server's" if getattr(own, setting) is not None else "the bot's default"
            lines.append(f"{LABELS[setting]}: {_listed(setting, getattr(shown, setting), guild)} ({whose})")
            if setting == ROLES:
                lines[-1] += "; members who can manage messages count too"
        whose = "this server's" if own.own_moderator_channel else "the bot's default"
        channel = shown.moderator_channel
        lines.append(f"{LABELS[CHANNEL]}: {_mention(CHANNEL, channel) if channel else 'none'} ({whose})")
        if own.changed:
            by = discord.utils.escape_markdown(own.changed_by)
            lines.append(f"Last changed {_when(own.changed)} by {by}.")
        if (shown.help_channels or shown.forum_channels or shown.solved_channels) and not (
            self.bot.intents.message_content
        ):
            lines.append(NO_INTENT)
        return "\n".join(lines)

    # -- changing --------------------------------------------------------------------------------

    def _own_channel(self, interaction: discord.Interaction, channel: discord.abc.GuildChannel) -> int:
        """``channel``'s id if it is a channel of the interaction's server, else WrongServer."""
        guild = interaction.guild
        if guild is None or channel.guild.id != guild.id or guild.get_channel(channel.id) is None:
            raise WrongServer("That channel is not in this server; choose one of this server's channels.")
        return channel.id

    def _missing(self, guild: discord.Guild, channel_id: int, setting: str) -> str:
        """A warning when the bot lacks what it needs in a channel just chosen ("" when it has it)."""
        channel = guild.get_channel(channel_id)
        if channel is None:
            return ""
        perms = channel.permissions_for(guild.me)
        missing = [name for name in NEEDS[setting] if not getattr(perms, name)]
        if not missing:
            return ""
        names = ", ".join(name.replace("_", " ").title() for name in missing)
        return f"\n⚠️ I'm missing permissions in {channel.mention}: {names}. Give them to me there."

    async def _save(
        self, interaction: discord.Interaction, change: Callable[[ServerSettings], ServerSettings], done: str
    ) -> None:
        """Save ``change`` (of the server's own settings) and say ``done``, or why nothing changed."""
        guild = interaction.guild
        assert guild is not None  # guild_only
        # Saving may wait for the database: answer Discord first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        note = ""
        try:
            update = self.bot.own_settings(guild.id).update
            await asyncio.to_thread(update, change, author=who(interaction.user))
        except StateWriteError as exc:
            note = "\n" + write_failed_note(exc)
        await send_private(interaction, f"{done}{note}\n\n{self.describe(guild)}")

    async def _set(self, interaction: discord.Interaction, setting: str, change: Callable, done: str) -> None:
        """Make ``setting`` this server's own: ``change`` of its value in force now (the server's
        own, else the default as ``/settings show`` lists it)."""
        assert interaction.guild is not None
        defaults = self._defaults_here(interaction.guild)

        def apply(own: ServerSettings) -> ServerSettings:
            value = change(getattr(own.over(defaults), setting))
            if setting == CHANNEL:
                return replace(own, moderator_channel=value, own_moderator_channel=True)
            return replace(own, **{setting: value})

        await self._save(interaction, apply, done)

    async def _add(self, interaction: discord.Interaction, setting: str, item: int, done: str) -> None:
        await self._set(interaction, setting, lambda ids: ids | {item}, done)

    async def _remove(self, interaction: discord.Interaction, setting: str, item: int, done: str) -> None:
        def remove(ids: frozenset[int]) -> frozenset[int]:
            if item not in ids:
                kind = "role" if setting == ROLES else "channel"
                raise NotFoundError(f"That {kind} is not one of the {LABELS[setting].lower()} here.")
            return ids - {item}

        await self._set(interaction, setting, remove, done)

    # -- commands --------------------------------------------------------------------------------

    @settings.command(name="show", description="The help channels, moderator roles… in force here")
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        await send_private(interaction, self.describe(interaction.guild))

    @help_channel.command(name="add", description="Answer plain questions in this channel when confident")
    @app_commands.describe(channel="The channel")
    async def help_add(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        item = self._own_channel(interaction, channel)
        done = f"✅ {channel.mention} is a help channel now." + self._missing(channel.guild, item, HELP)
        await self._add(interaction, HELP, item, done)

    @help_channel.command(name="remove", description="Stop answering plain questions in this channel")
    @app_commands.describe(channel="The channel")
    async def help_remove(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        item = self._own_channel(interaction, channel)
        await self._remove(interaction, HELP, item, f"✅ {channel.mention} is no longer a help channel.")

    @forum_channel.command(name="add", description="Answer new posts in this forum when confident")
    @app_commands.describe(forum="The forum")
    async def forum_add(self, interaction: discord.Interaction, forum: discord.ForumChannel) -> None:
        item = self._own_channel(interaction, forum)
        done = f"✅ New posts in {forum.mention} are answered now." + self._missing(forum.guild, item, FORUMS)
        await self._add(interaction, FORUMS, item, done)

    @forum_channel.command(name="remove", description="Stop answering new posts in this forum")
    @app_commands.describe(forum="The forum")
    async def forum_remove(self, interaction: discord.Interaction, forum: discord.ForumChannel) -> None:
        item = self._own_channel(interaction, forum)
        done = f"✅ New posts in {forum.mention} are left to people now."
        await self._remove(interaction, FORUMS, item, done)

    @solved_channel.command(name="add", description="Let solved threads here be marked and kept as answers")
    @app_commands.describe(channel="The forum or channel whose threads may be marked solved")
    async def solved_add(
        self, interaction: discord.Interaction, channel: discord.ForumChannel | discord.TextChannel
    ) -> None:
        item = self._own_channel(interaction, channel)
        done = (
            f"✅ Threads in {channel.mention} can be marked solved now (**Mark as solution**, `/solved`);"
            " only the question and the marked solution are kept."
        ) + self._missing(channel.guild, item, SOLVED)
        await self._add(interaction, SOLVED, item, done)

    @solved_channel.command(name="remove", description="Stop keeping solved threads of this channel")
    @app_commands.describe(channel="The forum or channel")
    async def solved_remove(
        self, interaction: discord.Interaction, channel: discord.ForumChannel | discord.TextChannel
    ) -> None:
        item = self._own_channel(interaction, channel)
        done = f"✅ Threads in {channel.mention} are no longer marked solved (what was kept stays)."
        await self._remove(interaction, SOLVED, item, done)

    @solved_tag.command(name="add", description="Applying this forum tag marks the post's solution")
    @app_commands.describe(forum="The forum", tag="The name of its tag that says a post is solved")
    async def tag_add(self, interaction: discord.Interaction, forum: discord.ForumChannel, tag: str) -> None:
        found = self._own_tag(interaction, forum, tag)
        shown = self.bot.settings(forum.guild.id).solved_channels
        note = (
            ""
            if forum.id in shown
            else f" It counts once {forum.mention} is opted in (`/settings solved-channel add`)."
        )
        done = (
            f"✅ Applying “{discord.utils.escape_markdown(found.name)}” to a post in {forum.mention} now "
            "marks its solution: the message already marked, else the latest answer from someone other "
            f"than the opener.{note}"
        )
        await self._add(interaction, TAGS, found.id, done)

    @solved_tag.command(name="remove", description="This forum tag no longer marks a post's solution")
    @app_commands.describe(forum="The forum", tag="The name of its tag")
    async def tag_remove(
        self, interaction: discord.Interaction, forum: discord.ForumChannel, tag: str
    ) -> None:
        found = self._own_tag(interaction, forum, tag)
        name = discord.utils.escape_markdown(found.name)
        done = f"✅ “{name}” no longer marks a solution (what was kept stays)."
        await self._remove(interaction, TAGS, found.id, done)

    def _own_tag(
        self, interaction: discord.Interaction, forum: discord.ForumChannel, name: str
    ) -> discord.ForumTag:
        """The tag named ``name`` (any case) of one of this server's forums, else refused saying which
        tags it has."""
        self._own_channel(interaction, forum)
        channel = interaction.guild.get_channel(forum.id) if interaction.guild is not None else None
        tags = channel.available_tags if isinstance(channel, discord.ForumChannel) else []
        for tag in tags:
            if tag.name.casefold() == name.strip().casefold():
                return tag
        names = ", ".join(f"“{discord.utils.escape_markdown(t.name)}”" for t in tags) or "none"
        raise NotFoundError(f"{forum.mention} has no tag named that; its tags: {names}.")

    @moderator_role.command(name="add", description="Members with this role count as moderators")
    @app_commands.describe(role="The role")
    async def role_add(self, interaction: discord.Interaction, role: discord.Role) -> None:
        item = self._own_role(interaction, role)
        await self._add(interaction, ROLES, item, f"✅ Members with {role.mention} are moderators now.")

    @moderator_role.command(name="remove", description="This role no longer makes its members moderators")
    @app_commands.describe(role="The role")
    async def role_remove(self, interaction: discord.Interaction, role: discord.Role) -> None:
        item = self._own_role(interaction, role)
        done = f"✅ {role.mention} no longer makes its members moderators."
        await self._remove(interaction, ROLES, item, done)

    @settings.command(name="moderator-channel", description="Where moderator alerts go; leave empty for none")
    @app_commands.describe(channel="The channel for moderator alerts; leave it out for none")
    async def moderator_channel(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        item = self._own_channel(interaction, channel) if channel is not None else None
        if channel is None:
            done = "✅ Moderator alerts are not posted anywhere now (`/review` still lists them)."
        else:
            missing = self._missing(channel.guild, channel.id, CHANNEL)
            done = f"✅ Moderator alerts go to {channel.mention} now.{missing}"

        await self._set(interaction, CHANNEL, lambda _: item, done)

    @settings.command(name="reset", description="Go back to the bot's default for a setting")
    @app_commands.describe(setting="Which setting")
    @app_commands.choices(
        setting=[app_commands.Choice(name=label, value=name) for name, label in LABELS.items()]
        + [app_commands.Choice(name="Everything", value="*")]
    )
    async def reset(self, interaction: discord.Interaction, setting: app_commands.Choice[str]) -> None:
        chosen = set(LABELS) if setting.value == "*" else {setting.value}

        def back(own: ServerSettings) -> ServerSettings:
            defaults: dict[str, object] = {name: None for name in ID_LISTS if name in chosen}
            if CHANNEL in chosen:
                defaults.update(moderator_channel=None, own_moderator_channel=False)
            return replace(own, **defaults)

        done = f"✅ {setting.name}: the bot's default again."
        if setting.value == "*":
            done = "✅ All back to the bot's defaults."
        await self._save(interaction, back, done)

    def _own_role(self, interaction: discord.Interaction, role: discord.Role) -> int:
        """``role``'s id if it is a role of the interaction's server (not @everyone), else refused."""
        guild = interaction.guild
        if guild is None or guild.get_role(role.id) is None:
            raise WrongServer("That role is not in this server; choose one of this server's roles.")
        if role.is_default():
            raise WrongServer("Every member has that role, so it cannot make members moderators.")
        return role.id


async def setup(bot: CitebotCore) -> None:
    """Load the extension."""
    await bot.add_cog(ServerSettingsCog(bot))
