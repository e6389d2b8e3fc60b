"""Shared setup for the reliability tests: a server with every kind of member, hostile strings."""

from __future__ import annotations

from dataclasses import dataclass, replace

import discord
from simcord.actors import MemberActor
from simcord.builders import ChannelHandle, GuildHandle, RoleHandle


@dataclass
class Server:
    guild: GuildHandle
    channel: ChannelHandle
    staff: RoleHandle
    announcements: RoleHandle
    member: MemberActor
    moderator: MemberActor
    manager: MemberActor
    admin: MemberActor


def server(env) -> Server:
    """A guild with a plain member, a member with the configured moderator role (no permissions),
    a member who can manage messages and an administrator, and a mentionable role. simcord gives
    the bot every permission but administrator (Mention Everyone included), so only the bot's own
    allowed mentions and escaping keep its messages from pinging."""
    guild = env.create_guild()
    staff = guild.create_role("Staff")  # the configured moderator role: no permissions at all
    managers = guild.create_role("Helpers", permissions=discord.Permissions(manage_messages=True))
    admins = guild.create_role("Admins", permissions=discord.Permissions(administrator=True))
    announcements = guild.create_role("Announcements", mentionable=True)
    # The configured moderator role only exists now; the checks read the config at every use.
    env.bot.config = replace(env.bot.config, moderator_roles=frozenset({staff.id}))
    return Server(
        guild=guild,
        channel=guild.create_text_channel("help"),
        staff=staff,
        announcements=announcements,
        member=guild.add_member(env.create_user("alice")),
        moderator=guild.add_member(env.create_user("stafford"), roles=[staff]),
        manager=guild.add_member(env.create_user("helper"), roles=[managers]),
        admin=guild.add_member(env.create_user("owner"), roles=[admins]),
    )


def last_message(result):
    return result.followups[-1] if result.followups else result.response
