"""A moderator demoted while a form or a row of buttons is open can no longer act through it:
moderator permission is checked again at every form submit and every moderator button."""

from __future__ import annotations

import dataclasses

import discord
from reliability_helpers import last_message
from reliability_helpers import server as reliability_server
from simcord import assert_error

from bot.checks import MODERATORS_ONLY, NotModerator
from knowledge.curated import CuratedStore

REFUSED = MODERATORS_ONLY
OFF_TOPIC = "What is the capital of France?"


def server(env):
    """The reliability server, with a moderator by Manage Messages (who sees the commands) in
    ``s.moderator`` and that role in ``s.staff``."""
    s = reliability_server(env)
    mods = s.guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    s.staff, s.moderator = mods, s.guild.add_member(env.create_user("mod"), roles=[mods])
    return s


async def demote(env, s) -> None:
    env.backend.remove_member_role(s.guild.id, s.moderator.id, s.staff.id)
    await env.settle()


def form(question: str, answer: str) -> dict[str, str]:
    return {"curate:question": question, "curate:answer": answer, "curate:phrasings": ""}


def curated(env, s) -> CuratedStore:
    return env.bot.server(s.guild.id).curated


async def add(actor, channel, question="What is colostrum?", answer="The first milk."):
    shown = await actor.slash(channel, "faq add")
    return await actor.submit_modal(shown, form(question, answer))


async def test_a_form_opened_before_demotion_is_not_saved(simcord_env):
    s = server(simcord_env)
    shown = await s.moderator.slash(s.channel, "faq add")
    await add(s.manager, s.channel)
    edit_form = await s.moderator.slash(s.channel, "faq edit", id=1)
    await demote(simcord_env, s)
    for opened in (shown, edit_form):
        refused = await s.moderator.submit_modal(opened, form("What is IgA?", "An antibody."))
        assert refused.response.content == REFUSED
        assert_error(simcord_env, NotModerator)
    assert [a.answer for a in curated(simcord_env, s).list()] == ["The first milk."]
    answered = await s.member.slash(s.channel, "ask", question="What is IgA?")
    assert "An antibody." not in answered.response.embeds[0].description


async def test_delete_and_import_buttons_stop_working_after_demotion(simcord_env):
    s = server(simcord_env)
    await add(s.moderator, s.channel)
    confirm = await s.moderator.slash(s.channel, "faq remove", id=1)
    exported = curated(simcord_env, s).export_yaml().replace("The first milk.", "Changed by import.")
    dry_run = await s.moderator.slash(s.channel, "faq import", file=("curated.yaml", exported.encode()))
    await demote(simcord_env, s)
    deleted = await s.moderator.click(confirm.response, label="Delete")
    assert deleted.response.content == REFUSED
    assert_error(simcord_env, NotModerator)
    imported = await s.moderator.click(last_message(dry_run), label="Import")
    assert imported.response.content == REFUSED
    assert_error(simcord_env, NotModerator)
    assert curated(simcord_env, s).get(1).answer == "The first milk."


async def test_review_buttons_stop_working_after_demotion(simcord_env):
    s = server(simcord_env)
    await s.member.slash(s.channel, "ask", question=OFF_TOPIC)  # declined: in the review queue
    queue = await s.moderator.slash(s.channel, "review")
    page = last_message(queue)
    await demote(simcord_env, s)
    for label in ("Dismiss", "Write answer"):
        clicked = await s.moderator.click(page, label=label)
        assert clicked.response.content == REFUSED and clicked.modal is None
        assert_error(simcord_env, NotModerator)
    still = await s.manager.slash(s.channel, "review")
    assert "France" in str(last_message(still).embeds[-1].to_dict())


async def test_moderator_channel_buttons_stop_working_after_demotion(simcord_env):
    s = server(simcord_env)
    bot = simcord_env.bot
    mod_channel = s.guild.create_text_channel("moderators")
    bot.config = dataclasses.replace(bot.config, moderator_channel=mod_channel.id)
    await add(s.moderator, s.channel)
    state = bot.server(s.guild.id)
    await bot.get_cog("Review").notify(state, [state.curated.get(1)])
    [notice] = [m for m in mod_channel.history(viewer=s.moderator) if m.embeds]
    await demote(simcord_env, s)
    for label in ("Keep", "Retire", "Edit"):
        clicked = await s.moderator.click(notice, label=label)
        assert clicked.response.content == REFUSED and clicked.modal is None
    assert state.curated.get(1).status == "active"
