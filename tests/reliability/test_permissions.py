"""Who can see and run what: every slash command and the context menu, for a plain member, a member
with the configured moderator role, a member with Manage Messages, an administrator and a direct
message; and the server-side check when a server admin overrides the default permissions."""

from __future__ import annotations

import pytest
from reliability_helpers import last_message, server
from simcord.backend.errors import SetupError

from bot.checks import MODERATORS_ONLY, NotModerator

MEMBER_COMMANDS = {
    "ask",
    "lookup",
    "search",
    "source",
    "topics",
    "solved",
    "privacy opt-out",
    "privacy opt-in",
}
MODERATOR_COMMANDS = {
    "faq add",
    "faq edit",
    "faq remove",
    "faq list",
    "faq show",
    "faq export",
    "faq import",
    "glossary add",
    "glossary list",
    "glossary remove",
    "kb add",
    "kb remove",
    "kb reload",
    "kb stats",
    "kb test add",
    "kb test list",
    "kb test remove",
    "kb test run",
    "kb test export",
    "kb test import",
    "review",
}
SETTINGS_COMMANDS = {
    "settings show",
    "settings help-channel add",
    "settings help-channel remove",
    "settings forum-channel add",
    "settings forum-channel remove",
    "settings solved-channel add",
    "settings solved-channel remove",
    "settings solved-tag add",
    "settings solved-tag remove",
    "settings moderator-role add",
    "settings moderator-role remove",
    "settings moderator-channel",
    "settings reset",
}
MENU = "Save as curated answer"
REFUSAL = MODERATORS_ONLY

# Options that make each moderator command do real work (or say plainly there is nothing to do).
OPTIONS: dict[str, dict] = {
    "faq edit": {"id": 1},
    "faq remove": {"id": 1},
    "faq show": {"id": 1},
    "faq import": {"file": ("curated.yaml", b"version: 1\nanswers: []\n")},
    "glossary add": {"term": "first milk", "means": "colostrum"},
    "glossary remove": {"term": "first milk"},
    "kb add": {"file": ("notes.md", b"# Notes\n\nColostrum is the first milk after birth.\n")},
    "kb remove": {"document": "uploads/notes"},
    "kb test add": {"question": "What is the capital of France?", "expect": "declined"},
    "kb test remove": {"id": 1},
    "kb test import": {"file": ("golden.yaml", b"off_topic: [Who won the 1998 World Cup?]\n")},
}

# Who sees which commands by default (Discord's picker, from default_permissions / guild_only).
VISIBLE = {
    "member": MEMBER_COMMANDS,
    "moderator": MEMBER_COMMANDS,  # a role without Manage Messages: hidden until an admin allows it
    "manager": MEMBER_COMMANDS | MODERATOR_COMMANDS,
    "admin": MEMBER_COMMANDS | MODERATOR_COMMANDS | SETTINGS_COMMANDS,  # only it can manage the server
}
# Who the bot lets run the moderator commands, whatever the server's overrides say.
RUNS_MODERATOR_COMMANDS = {"member": False, "moderator": True, "manager": True, "admin": True}


async def open_to_everyone(env, s) -> None:
    for command in await env.bot.tree.fetch_commands():
        s.guild.set_command_permissions(command, {s.guild.default_role: True})


@pytest.mark.parametrize("who", sorted(VISIBLE))
async def test_default_visibility_of_every_command(simcord_env, who):
    s = server(simcord_env)
    actor = getattr(s, who)
    visible = set(actor.available_commands(s.channel))
    assert visible == VISIBLE[who]


async def test_direct_messages_offer_only_the_lookup_commands(simcord_env):
    user = simcord_env.create_user("dm-user")
    s = server(simcord_env)
    s.guild.add_member(user)
    assert set(user.available_commands()) == {"lookup", "search", "source", "topics"}
    for name in MODERATOR_COMMANDS | {"ask"}:
        with pytest.raises(SetupError, match="not visible"):
            await user.slash(name, **OPTIONS.get(name, {}))
    result = await user.slash("topics")
    assert "The enteromammary and mammary immune systems" in result.response.embeds[0].description


@pytest.mark.parametrize("who", sorted(RUNS_MODERATOR_COMMANDS))
async def test_server_side_check_when_an_admin_opens_every_command_to_everyone(simcord_env, who):
    s = server(simcord_env)
    await open_to_everyone(simcord_env, s)
    actor = getattr(s, who)
    # With the override every member sees everything; the bot's own check decides.
    everything = MEMBER_COMMANDS | MODERATOR_COMMANDS | SETTINGS_COMMANDS
    assert set(actor.available_commands(s.channel)) == everything

    refused, ran = [], []
    for name in sorted(MODERATOR_COMMANDS):
        result = await actor.slash(s.channel, name, **OPTIONS.get(name, {}))
        errors = simcord_env.errors
        message = last_message(result)
        if result.modal is None and message is not None and message.content == REFUSAL:
            assert message.ephemeral
            assert any(isinstance(getattr(e, "original", e), NotModerator) for e in errors), name
            refused.append(name)
        else:
            assert not any(isinstance(getattr(e, "original", e), NotModerator) for e in errors), name
            assert result.acknowledged, name
            ran.append(name)

    posted = await s.member.send(s.channel, "How does IgA reach milk?")
    menu = await actor.context_menu(s.channel, MENU, posted)
    menu_errors = simcord_env.errors
    menu_refused = menu.modal is None
    if menu_refused:
        assert menu.response.content == REFUSAL and menu.response.ephemeral
        assert any(isinstance(getattr(e, "original", e), NotModerator) for e in menu_errors)

    if RUNS_MODERATOR_COMMANDS[who]:
        assert refused == [] and not menu_refused
        assert set(ran) == MODERATOR_COMMANDS
    else:
        assert set(refused) == MODERATOR_COMMANDS and menu_refused
        # Nothing a refused command would have changed did change.
        assistant = simcord_env.bot.server(s.guild.id).assistant
        assert len(assistant.curated) == 0 and len(assistant.glossary) == 0
        assert not any(doc_id.startswith("uploads/") for doc_id in assistant.kb.documents)
        assert not (simcord_env.bot.server(s.guild.id).folder / "golden.yaml").exists()

    # Member commands keep working for everyone.
    asked = await actor.slash(s.channel, "ask", question="What is the enteromammary immune system?")
    assert asked.response.embeds and not asked.response.embeds[0].title.startswith("No answer")


async def test_a_denied_member_cannot_reach_a_command_even_with_a_moderator_role(simcord_env):
    s = server(simcord_env)
    # A server admin denies /kb to the staff role: Discord hides it, so the member cannot run it.
    for command in await simcord_env.bot.tree.fetch_commands():
        if command.name == "kb":
            s.guild.set_command_permissions(command, {s.staff: False})
    assert not {"kb add", "kb reload"} & set(s.moderator.available_commands(s.channel))
    with pytest.raises(SetupError, match="not visible"):
        await s.moderator.slash(s.channel, "kb reload")
