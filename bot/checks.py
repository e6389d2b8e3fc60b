"""Checks for application commands: who counts as a moderator, and the per-member rate limits.

Every way of asking (``/ask``, a mention, a help channel, a forum post, a follow-up) uses one bucket
per member per server; the public lookups (``/search``, ``/source``, ``/topics``) use another of the
same size, so browsing does not use up a member's questions. Moderators are never limited. The
buckets themselves are in :mod:`bot.cooldowns`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from .cooldowns import CooldownBuckets, member_key
from .utils import citebot

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What members are told when a check refuses them (tests compare with these, not with copies).
MODERATORS_ONLY = "Only moderators can use this command."
SERVER_MANAGERS_ONLY = "Only members who can manage this server can change its settings."

# What a moderator command's ``default_permissions`` asks for: who sees it before server admins
# change the integration settings.
MODERATORS = discord.Permissions(manage_messages=True)
# And a server settings command's: those who may change the server itself.
SERVER_MANAGERS = discord.Permissions(manage_guild=True)


class NotModerator(app_commands.CheckFailure):
    """Raised by :func:`moderator_only` for members who are not moderators."""

    def __init__(self) -> None:
        super().__init__(MODERATORS_ONLY)


class NotServerManager(app_commands.CheckFailure):
    """Raised by :func:`ensure_server_manager` for members who cannot manage the server."""

    def __init__(self) -> None:
        super().__init__(SERVER_MANAGERS_ONLY)


def ensure_server_manager(interaction: discord.Interaction) -> None:
    """Raise :class:`NotServerManager` unless the member can manage the server *now* (the
    ``default_permissions`` of ``/settings`` only hide it, and server admins can change that)."""
    member = interaction.user
    if not isinstance(member, discord.Member) or interaction.guild_id is None:
        raise NotServerManager()
    perms = member.guild_permissions
    if not (perms.administrator or perms.manage_guild):
        raise NotServerManager()


def is_moderator(member: discord.abc.User, moderator_roles: frozenset[int]) -> bool:
    """A moderator has one of the configured roles, or can manage messages in the server.

    The permission fallback lets a server that configured no moderator roles still use the
    moderator commands with its existing staff.
    """
    if not isinstance(member, discord.Member):
        return False
    if moderator_roles and any(role.id in moderator_roles for role in member.roles):
        return True
    perms = member.guild_permissions
    return perms.administrator or perms.manage_guild or perms.manage_messages


def ensure_moderator(interaction: discord.Interaction) -> None:
    """Raise :class:`NotModerator` unless the member behind ``interaction`` is a moderator *now*.

    Called by the command check and again at every moderator form submit and button click: a
    form or a row of buttons opened before a member was demoted must not act for them after."""
    roles = citebot(interaction).settings(interaction.guild_id).moderator_roles
    if not is_moderator(interaction.user, roles):
        raise NotModerator()


def moderator_only() -> Callable[[T], T]:
    """Hide the command from non-moderators by default *and* check on every use.

    ``default_permissions`` is only a default that server admins can override in the server's
    integration settings, so the check is what actually guards the command.
    """

    async def predicate(interaction: discord.Interaction) -> bool:
        ensure_moderator(interaction)
        return True

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_messages=True)(func)
        func = app_commands.guild_only()(func)
        return app_commands.check(predicate)(func)

    return decorator


def use_token(
    buckets: CooldownBuckets,
    member: discord.abc.User,
    guild_id: int | None,
    now: float,
    moderator_roles: frozenset[int],
) -> None:
    """Use one of ``member``'s tokens in ``buckets`` (moderators are exempt); raises
    ``CommandOnCooldown`` when none is left."""
    if is_moderator(member, moderator_roles):
        return
    buckets.hit(member_key(guild_id, member.id), now)


def lookup_cooldown() -> Callable[[T], T]:
    """The config-driven per-member cooldown on the public lookups (moderators are exempt)."""

    async def predicate(interaction: discord.Interaction) -> bool:
        bot = citebot(interaction)
        # The interaction's own timestamp, as discord.py's cooldowns use: immune to a slow handler.
        now = interaction.created_at.timestamp()
        moderators = bot.settings(interaction.guild_id).moderator_roles
        use_token(bot.lookup_cooldowns, interaction.user, interaction.guild_id, now, moderators)
        return True

    return app_commands.check(predicate)
