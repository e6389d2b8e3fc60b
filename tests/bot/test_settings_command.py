"""``/settings``: each server's admins choose its help channels, forum channels, moderator roles and
moderator channel; what one server sets never shows or applies in another, the config's values
are only the defaults, and only members who can manage the server can change anything."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
import yaml
from discord.app_commands import TransformerError
from simcord import actors as sim_actors
from simcord import assert_error
from simcord import interactions as sim_interactions
from simcord.actors import MemberActor
from simcord.builders import ChannelHandle, GuildHandle, RoleHandle

from bot import create_bot
from bot.checks import MODERATORS_ONLY, SERVER_MANAGERS_ONLY, NotModerator, NotServerManager
from bot.config import Config, CooldownConfig
from bot.exts.settings import NO_INTENT
from bot.server_settings import WrongServer
from knowledge.curated import SourceLink
from knowledge.errors import NotFoundError

ANSWERABLE = "What is the enteromammary immune system?"
COMMAND, CHAT_INPUT = 2, 1  # Discord's interaction type and command type numbers


@dataclass
class Side:
    guild: GuildHandle
    general: ChannelHandle
    ask_here: ChannelHandle
    helpers: RoleHandle
    managers: RoleHandle
    admin: MemberActor
    alice: MemberActor


def side(env, name: str) -> Side:
    guild = env.create_guild(name)
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    return Side(
        guild=guild,
        general=guild.create_text_channel("general"),
        ask_here=guild.create_text_channel("ask-here"),
        helpers=guild.create_role("Helpers"),  # no permissions: a moderator only if a setting says so
        managers=managers,
        admin=guild.add_member(env.create_user(f"admin-{name}"), roles=[managers]),
        alice=guild.add_member(env.create_user(f"alice-{name}")),
    )


@pytest.fixture
def config(state_dir: Path) -> Config:
    # Help channels added at run time need the intent asked for at start (see NO_INTENT).
    return Config(state_dir=state_dir, message_content=True)


@pytest.fixture
def two(simcord_env) -> tuple[Side, Side]:
    return side(simcord_env, "A"), side(simcord_env, "B")


def bot_said(channel: ChannelHandle, env) -> list:
    return [m for m in channel.history() if m.author.id == env.bot.user.id]


async def test_a_help_channel_set_in_one_server_answers_there_only(simcord_env, two, state_dir, config):
    a, b = two
    added = await a.admin.slash(a.ask_here, "settings help-channel add", channel=a.ask_here)
    assert added.response.ephemeral
    assert f"<#{a.ask_here.id}> is a help channel now." in added.response.content
    assert f"Help channels: <#{a.ask_here.id}> (this server's)" in added.response.content
    assert "Moderator channel: none (the bot's default)" in added.response.content
    assert "Last changed <t:" in added.response.content and "by admin-A (" in added.response.content

    await a.alice.send(a.ask_here, ANSWERABLE)
    [answer] = bot_said(a.ask_here, simcord_env)
    assert "**enteromammary**" in answer.embeds[0].description
    # Elsewhere in A, and anywhere in B, people talk without the bot joining in.
    await a.alice.send(a.general, ANSWERABLE)
    await b.alice.send(b.ask_here, ANSWERABLE)
    assert bot_said(a.general, simcord_env) == [] and bot_said(b.ask_here, simcord_env) == []
    shown_in_b = await b.admin.slash(b.general, "settings show")
    assert "Help channels: none (the bot's default)" in shown_in_b.response.content
    assert str(a.ask_here.id) not in shown_in_b.response.content

    # Kept in A's own folder, and still in force after a restart.
    saved = yaml.safe_load((state_dir / "servers" / str(a.guild.id) / "settings.yaml").read_text())
    assert saved["help_channels"] == [a.ask_here.id] and "admin-A" in saved["changed_by"]
    assert not (state_dir / "servers" / str(b.guild.id) / "settings.yaml").exists()
    await simcord_env.restart_bot(create_bot(config))
    await a.alice.send(a.ask_here, "Which cells take part in the enteromammary immune system?")
    assert len(bot_said(a.ask_here, simcord_env)) == 2

    removed = await a.admin.slash(a.general, "settings help-channel remove", channel=a.ask_here)
    assert "is no longer a help channel" in removed.response.content
    assert "Help channels: none (this server's)" in removed.response.content
    await a.alice.send(a.ask_here, ANSWERABLE)
    assert len(bot_said(a.ask_here, simcord_env)) == 2
    again = await a.admin.slash(a.general, "settings help-channel remove", channel=a.ask_here)
    assert "is not one of the help channels here" in again.response.content
    assert_error(simcord_env, NotFoundError)


async def test_a_servers_own_settings_replace_the_configs_there_and_nowhere_else(simcord_env, two, config):
    a, b = two
    # The operator's config names a help channel in each server: the defaults.
    defaults = frozenset({a.general.id, b.general.id})
    await simcord_env.restart_bot(create_bot(dataclasses.replace(config, help_channels=defaults)))
    shown = await a.admin.slash(a.general, "settings show")
    # Only A's own channel is listed in A, though the config names B's too.
    assert f"Help channels: <#{a.general.id}> (the bot's default)" in shown.response.content

    # A's first change starts from what was listed: #general stays, #ask-here joins.
    await a.admin.slash(a.general, "settings help-channel add", channel=a.ask_here)
    for channel in (a.general, a.ask_here, b.general):
        await (a.alice if channel in (a.general, a.ask_here) else b.alice).send(channel, ANSWERABLE)
        assert len(bot_said(channel, simcord_env)) == 1, channel.name
    await b.alice.send(b.ask_here, ANSWERABLE)
    assert bot_said(b.ask_here, simcord_env) == []

    # Back to the default: A follows the config again.
    reset = await a.admin.slash(a.general, "settings reset", setting="help_channels")
    assert f"Help channels: <#{a.general.id}> (the bot's default)" in reset.response.content
    await a.alice.send(a.ask_here, ANSWERABLE)
    assert len(bot_said(a.ask_here, simcord_env)) == 1


async def test_a_forum_set_in_one_server_has_its_new_posts_answered(simcord_env, two):
    a, b = two
    forum = a.guild.create_forum_channel("questions")
    other = b.guild.create_forum_channel("questions")
    added = await a.admin.slash(a.general, "settings forum-channel add", forum=forum)
    assert f"New posts in <#{forum.id}> are answered now." in added.response.content

    for where, author in ((forum, a.alice), (other, b.alice)):
        thread = simcord_env.backend.create_thread(where.id, "Gut and milk", author.id, broadcast=False)
        simcord_env.backend.announce_thread_create(thread)
        post = next(t for t in where.threads if t.id == thread.id)
        await author.send(post, ANSWERABLE)
        said = [m for m in post.history() if m.author.id == simcord_env.bot.user.id]
        assert len(said) == (1 if where is forum else 0)


async def test_a_moderator_role_gives_rights_only_in_its_server(simcord_env, two):
    a, b = two
    sam = simcord_env.create_user("sam")
    sam_in_a = a.guild.add_member(sam, roles=[a.helpers])
    sam_in_b = b.guild.add_member(sam)
    # The servers' admins let everyone see /faq; the bot's own check decides who may use it.
    for s in (a, b):
        for command in await simcord_env.bot.tree.fetch_commands():
            s.guild.set_command_permissions(command, {s.guild.default_role: True})

    refused = await sam_in_a.slash(a.general, "faq list")
    assert refused.response.content == MODERATORS_ONLY
    added = await a.admin.slash(a.general, "settings moderator-role add", role=a.helpers)
    assert f"Members with <@&{a.helpers.id}> are moderators now." in added.response.content
    assert "Moderator roles: <@&" in added.response.content and "(this server's)" in added.response.content

    allowed = await sam_in_a.slash(a.general, "faq list")
    assert allowed.response.content != MODERATORS_ONLY
    in_b = await sam_in_b.slash(b.general, "faq list")
    assert in_b.response.content == MODERATORS_ONLY
    assert_error(simcord_env, NotModerator)

    everyone = await a.admin.slash(a.general, "settings moderator-role add", role=a.guild.default_role)
    assert "Every member has that role, so it cannot make members moderators." in everyone.response.content
    assert_error(simcord_env, WrongServer)


async def test_only_members_who_can_manage_the_server_change_its_settings(simcord_env, two, state_dir):
    a, _ = two
    mods = a.guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    moderator = a.guild.add_member(simcord_env.create_user("mod"), roles=[mods])
    assert not any(name.startswith("settings") for name in moderator.available_commands(a.general))
    assert "settings help-channel add" in a.admin.available_commands(a.general)

    # A server admin shows /settings to everyone: the bot still refuses, at every use.
    for command in await simcord_env.bot.tree.fetch_commands():
        if command.name == "settings":
            a.guild.set_command_permissions(command, {a.guild.default_role: True})
    for who in (moderator, a.alice):
        refused = await who.slash(a.general, "settings help-channel add", channel=a.general)
        assert refused.response.content == SERVER_MANAGERS_ONLY
        assert refused.response.ephemeral
        assert_error(simcord_env, NotServerManager)
    assert not (state_dir / "servers" / str(a.guild.id) / "settings.yaml").exists()
    await a.alice.send(a.general, ANSWERABLE)
    assert bot_said(a.general, simcord_env) == []

    # Demoted: the admin who could a moment ago cannot any more.
    simcord_env.backend.remove_member_role(a.guild.id, a.admin.id, a.managers.id)
    await simcord_env.settle()
    refused = await a.admin.slash(a.general, "settings moderator-channel", channel=a.general)
    assert refused.response.content == SERVER_MANAGERS_ONLY
    assert_error(simcord_env, NotServerManager)


async def test_a_channel_or_role_of_another_server_is_refused(simcord_env, two, state_dir):
    a, b = two

    async def forge(name: str, refused: type[Exception] = WrongServer, **option) -> str:
        root = sim_actors._resolve_visible_command(b.admin, b.general.id, "settings", CHAT_INPUT)
        leaf, nesting = sim_interactions.walk_to_subcommand(root, name.split()[1:])
        built, resolved = sim_interactions.build_options(b.admin, name, leaf, option, channel_id=b.general.id)
        data = {
            "id": root["id"],
            "name": root["name"],
            "type": CHAT_INPUT,
            "options": sim_interactions.nest_options(root, nesting, built),
            "resolved": resolved,
        }
        # Sent by A's admin in A, naming B's channel or role (as a tampered client could).
        result = await a.admin._dispatch_interaction(COMMAND, a.general, data)
        assert_error(simcord_env, refused)
        assert result.response.ephemeral
        return result.response.content

    # discord.py finds no such channel in A; the role is looked up in A by the bot.
    channels = "That is not one of this server's channels or roles; choose one from Discord's list."
    assert await forge("settings help-channel add", TransformerError, channel=b.ask_here) == channels
    assert await forge("settings moderator-channel", TransformerError, channel=b.general) == channels
    assert "not in this server" in await forge("settings moderator-role add", role=b.helpers)
    assert not (state_dir / "servers" / str(a.guild.id) / "settings.yaml").exists()
    await a.alice.send(a.general, ANSWERABLE)
    await b.alice.send(b.ask_here, ANSWERABLE)
    assert bot_said(a.general, simcord_env) == bot_said(b.ask_here, simcord_env) == []


class TestWithoutMessageContent:
    """The operator left ``message_content`` unset and the config names no help channel: the bot
    runs without the intent, so a help channel set at run time cannot be read."""

    @pytest.fixture
    def config(self, state_dir: Path) -> Config:
        return Config(state_dir=state_dir)

    @pytest.mark.simcord(approved_intents=discord.Intents.default())
    async def test_the_admin_is_told_how_to_get_it(self, simcord_env, two, config, caplog):
        a, _ = two
        assert not simcord_env.bot.intents.message_content
        added = await a.admin.slash(a.general, "settings help-channel add", channel=a.ask_here)
        assert NO_INTENT in added.response.content and "`message_content: true`" in NO_INTENT
        # Mentions there are still answered; plain messages cannot be read.
        await a.alice.send(a.ask_here, ANSWERABLE)
        assert bot_said(a.ask_here, simcord_env) == []
        await a.alice.send(a.ask_here, f"{a.guild.me.mention} {ANSWERABLE}")
        assert len(bot_said(a.ask_here, simcord_env)) == 1

        # The operator is told at the next start too.
        with caplog.at_level(logging.WARNING, logger="bot"):
            await simcord_env.restart_bot(create_bot(config))
        [warned] = [r.getMessage() for r in caplog.records if r.name == "bot.server_settings"]
        assert f"server(s) {a.guild.id} chose help channels" in warned and "message_content: true" in warned


ARTICLE = """---
title: Milk storage
---
# Milk storage

## Fridge

Expressed breast milk keeps for up to four days in a refrigerator.
"""


class TestModeratorChannel:
    """Curated answers whose sources changed are announced in each server's own moderator channel."""

    @pytest.fixture
    def knowledge_dir(self, tmp_path: Path) -> Path:
        folder = tmp_path / "kb"
        folder.mkdir()
        (folder / "milk-storage.md").write_text(ARTICLE, encoding="utf-8")
        return folder

    @pytest.fixture
    def simcord_bot(self, state_dir: Path, knowledge_dir: Path):
        return create_bot(
            Config(
                state_dir=state_dir, knowledge_dir=knowledge_dir, cooldown=CooldownConfig(rate=100, per=1.0)
            )
        )

    async def test_each_server_is_alerted_in_its_own_channel(self, simcord_env, two, knowledge_dir):
        a, b = two
        a_mods, b_alerts = a.guild.create_text_channel("mods"), b.guild.create_text_channel("alerts")
        bot = simcord_env.bot
        # The operator's default names B's channel; A's admins choose their own.
        bot.config = dataclasses.replace(bot.config, moderator_channel=b_alerts.id)
        chosen = await a.admin.slash(a.general, "settings moderator-channel", channel=a_mods)
        assert f"Moderator alerts go to <#{a_mods.id}> now." in chosen.response.content
        for s in (a, b):
            [fridge] = [p for p in bot.server(s.guild.id).kb.passages if "Fridge" in p.section]
            bot.server(s.guild.id).curated.add(
                f"How long does milk keep in the fridge in {s.guild.name}?",
                "Four days.",
                author="mod",
                sources=[SourceLink.of(fridge)],
            )

        (knowledge_dir / "milk-storage.md").write_text(ARTICLE.replace("four days", "three to four days"))
        mods = a.guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
        moderator = a.guild.add_member(simcord_env.create_user("mod-A"), roles=[mods])
        await moderator.slash(a.general, "kb reload")

        [in_a] = [m for m in a_mods.history(viewer=a.admin) if m.embeds]
        assert in_a.embeds[0].title.endswith("in A?")
        [in_b] = [m for m in b_alerts.history(viewer=b.admin) if m.embeds]
        assert in_b.embeds[0].title.endswith("in B?")

        # None: A's alerts stop; B keeps the default.
        off = await a.admin.slash(a.general, "settings moderator-channel")
        assert "Moderator channel: none (this server's)" in off.response.content
        assert bot.settings(a.guild.id).moderator_channel is None
        assert bot.settings(b.guild.id).moderator_channel == b_alerts.id
