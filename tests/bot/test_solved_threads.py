"""Solved help threads, as members and moderators use them: a forum post is solved, reviewed and
saved; a later member's question is answered from it with the link; deleting the solution removes
it; an opted-out member's message is never kept; a thread of a channel that is not opted in is
never read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
from bot_helpers import forum_post, visible_text
from simcord.actors import MemberActor
from simcord.builders import ChannelHandle, GuildHandle

from bot.config import Config
from bot.exts.solved import (
    ALREADY,
    MARK_MENU_NAME,
    NOT_A_BOT,
    NOT_A_THREAD,
    NOT_ALLOWED,
    NOT_OPTED_IN,
    NOT_PUBLIC,
    NOT_THE_QUESTION,
    NOTHING_TO_MARK,
)

QUESTION = "How can I tell my baby is getting enough milk?"
SOLUTION = "Count the wet diapers: six or more a day after day five means enough milk."
LATER = "how do I know if my baby gets enough milk?"


@dataclass
class Side:
    guild: GuildHandle
    general: ChannelHandle
    forum: ChannelHandle
    mod: MemberActor
    alice: MemberActor
    bob: MemberActor
    carol: MemberActor


def side(env, name: str = "A") -> Side:
    guild = env.create_guild(name)
    staff = discord.Permissions(manage_messages=True, manage_guild=True)
    staff = guild.create_role("Staff", permissions=staff)
    return Side(
        guild=guild,
        general=guild.create_text_channel("general"),
        forum=guild.create_forum_channel("help"),
        mod=guild.add_member(env.create_user(f"mod-{name}"), roles=[staff]),
        alice=guild.add_member(env.create_user(f"alice-{name}")),
        bob=guild.add_member(env.create_user(f"bob-{name}")),
        carol=guild.add_member(env.create_user(f"carol-{name}")),
    )


@pytest.fixture
def config(state_dir: Path) -> Config:
    # Threads' opening messages are read with the message content intent.
    return Config(state_dir=state_dir, message_content=True)


async def opt_in(s: Side, channel: ChannelHandle) -> None:
    done = await s.mod.slash(s.general, "settings solved-channel add", channel=channel)
    assert "can be marked solved now" in said(done)


def said(result) -> str:
    messages = [m for m in (result.response, *result.followups) if m is not None]
    return "\n".join(m.content or "" for m in messages)


def bot_posts(env, channel: ChannelHandle) -> list[discord.Message]:
    return [m for m in channel.history() if m.author.id == env.bot.user.id]


def reads_of(env, channel: ChannelHandle) -> list:
    return [r for r in env.http_requests if r.method == "GET" and f"/channels/{channel.id}/" in r.path]


def kept(env, s: Side):
    return env.bot.server(s.guild.id).store.solved_threads()


async def marked_post(env, s: Side) -> tuple:
    """In the opted-in forum, Alice's post "Enough milk?" and Bob's answer, which Alice marks."""
    await opt_in(s, s.forum)
    post = await forum_post(env, s.forum, s.alice, "Enough milk?", QUESTION)
    answer = await s.bob.send(post, SOLUTION)
    await s.alice.context_menu(post, MARK_MENU_NAME, answer)
    return post, answer


async def solved_page(s: Side):
    """The "Solved threads" page of the moderator's /review."""
    review = await s.mod.slash(s.general, "review")
    [page] = [m for m in review.followups if "Solved threads" in (m.content or "")]
    return page


async def test_a_forum_post_is_solved_reviewed_saved_and_answers_the_next_member(simcord_env):
    s = side(simcord_env)
    post = await forum_post(simcord_env, s.forum, s.alice, "Enough milk?", QUESTION)
    await s.carol.send(post, "Same question here, following")
    answer = await s.bob.send(post, SOLUTION)
    await s.carol.send(post, "thanks, that helped me too")

    # Not opted in: refused, and nothing of the thread is read.
    refused = await s.alice.context_menu(post, MARK_MENU_NAME, answer)
    assert refused.response.ephemeral and refused.response.content == NOT_OPTED_IN
    assert reads_of(simcord_env, post) == [] and kept(simcord_env, s) == []

    await opt_in(s, s.forum)
    # Neither the opener nor a moderator: refused, privately.
    stranger = await s.carol.context_menu(post, MARK_MENU_NAME, answer)
    assert stranger.response.ephemeral and stranger.response.content == NOT_ALLOWED
    question = min(post.history(), key=lambda m: m.id)
    itself = await s.alice.context_menu(post, MARK_MENU_NAME, question)
    assert NOT_THE_QUESTION in said(itself)

    marked = await s.alice.context_menu(post, MARK_MENU_NAME, answer)
    assert "Marked as the solution" in said(marked) and marked.ephemeral
    [confirmation] = bot_posts(simcord_env, post)
    assert f"/{post.id}/{answer.id}" in confirmation.content and "alice-A" in confirmation.content
    assert confirmation.mentions == [] and not confirmation.mention_everyone
    again = await s.alice.context_menu(post, MARK_MENU_NAME, answer)
    assert ALREADY in said(again) and len(bot_posts(simcord_env, post)) == 1

    # Only the question and the marked solution are kept, never the rest of the thread.
    [record] = kept(simcord_env, s)
    assert (record.title, record.question_text, record.solution_text) == ("Enough milk?", QUESTION, SOLUTION)
    authors = (record.question_author, record.solution_author, record.marked_by)
    assert authors == (s.alice.id, s.bob.id, s.alice.id)
    store = simcord_env.bot.server(s.guild.id).store.store
    every_text = repr([tuple(row) for row in store._fetchall("SELECT * FROM solved_threads", ())])
    assert "Same question here" not in every_text and "helped me too" not in every_text

    # The moderator reviews it and saves it with one click.
    review = await s.mod.slash(s.general, "review")
    [solved_page] = [m for m in review.followups if "Solved threads" in (m.content or "")]
    assert solved_page.ephemeral
    page_text = visible_text(solved_page)
    assert QUESTION in page_text and SOLUTION in page_text and f"<@{s.bob.id}>" in page_text
    saved = await s.mod.click(solved_page, label="Save as curated")
    assert "as curated answer #1, linking back to its thread" in visible_text(saved.response)
    entry = simcord_env.bot.server(s.guild.id).curated.get(1)
    assert entry.question == QUESTION and entry.phrasings == ["Enough milk?"]
    again = await s.mod.slash(s.general, "review")
    assert not [m for m in again.followups if "Solved threads" in (m.content or "")]

    # A later member's question is answered from it, with the link to the thread.
    asked = await s.carol.slash(s.general, "ask", question=LATER)
    shown = visible_text(asked.response)
    assert "Count the wet diapers" in shown
    assert f"https://discord.com/channels/{s.guild.id}/{post.id}/{answer.id}" in shown

    # Bob deletes his answer: the record and the curated answer made from it are gone.
    await s.bob.delete(answer)
    assert kept(simcord_env, s) == [] and simcord_env.bot.server(s.guild.id).curated.list() == []
    after = await s.carol.slash(s.general, "ask", question=LATER)
    assert "Count the wet diapers" not in visible_text(after.response)


async def test_solved_marks_the_latest_answer_and_refuses_what_does_not_fit(simcord_env):
    s = side(simcord_env)
    await opt_in(s, s.forum)
    post = await forum_post(simcord_env, s.forum, s.alice, "Enough milk?", QUESTION)
    nothing = await s.alice.slash(post, "solved")
    assert NOTHING_TO_MARK in said(nothing) and bot_posts(simcord_env, post) == []

    await s.carol.send(post, "Maybe ask your midwife?")
    await s.bob.send(post, SOLUTION)
    await s.alice.send(post, "Oh, that makes sense!")
    outside = await s.alice.slash(s.general, "solved")
    assert outside.response.content == NOT_A_THREAD
    stranger = await s.carol.slash(post, "solved")
    assert stranger.response.content == NOT_ALLOWED

    # A moderator may mark it too: the latest message of someone other than the opener.
    done = await s.mod.slash(post, "solved")
    assert "Marked as the solution" in said(done)
    [record] = kept(simcord_env, s)
    assert record.solution_text == SOLUTION and record.marked_by == s.mod.id
    [confirmation] = bot_posts(simcord_env, post)
    bots_own = await s.alice.context_menu(post, MARK_MENU_NAME, confirmation)
    assert bots_own.response.content == NOT_A_BOT

    # Private threads stay private, even in an opted-in channel.
    await opt_in(s, s.general)
    private = simcord_env.backend.create_thread(
        s.general.id, "private help", s.alice.id, type=discord.ChannelType.private_thread.value
    )
    handle = next(t for t in s.general.threads if t.id == private.id)
    simcord_env.backend.add_thread_member(private.id, s.bob.id)
    answer = await s.bob.send(handle, SOLUTION)
    refused = await s.alice.context_menu(handle, MARK_MENU_NAME, answer)
    assert refused.response.content == NOT_PUBLIC and len(kept(simcord_env, s)) == 1


async def test_an_opted_out_member_is_never_kept_and_what_was_kept_goes(simcord_env):
    s = side(simcord_env)
    await opt_in(s, s.forum)
    first = await forum_post(simcord_env, s.forum, s.alice, "Enough milk?", QUESTION)
    answer = await s.bob.send(first, SOLUTION)
    await s.alice.context_menu(first, MARK_MENU_NAME, answer)
    assert len(kept(simcord_env, s)) == 1

    out = await s.bob.slash(s.general, "privacy opt-out")
    assert out.ephemeral and "1 solved thread(s) kept from your messages were removed" in said(out)
    assert kept(simcord_env, s) == []

    second = await forum_post(simcord_env, s.forum, s.alice, "Night feeds", "How often at night?")
    reply = await s.bob.send(second, "Every three hours or so at first.")
    refused = await s.alice.context_menu(second, MARK_MENU_NAME, reply)
    assert "asked that none of their messages be kept" in said(refused)
    assert kept(simcord_env, s) == [] and bot_posts(simcord_env, second) == []
    assert "Every three hours" not in repr(simcord_env.bot.server(s.guild.id).store.solved_threads())

    back = await s.bob.slash(s.general, "privacy opt-in")
    assert "can be kept again" in said(back)
    await s.alice.context_menu(second, MARK_MENU_NAME, reply)
    assert [r.solution_text for r in kept(simcord_env, s)] == ["Every three hours or so at first."]


async def test_an_edited_solution_is_stale_for_review_and_a_deleted_thread_is_forgotten(simcord_env):
    s = side(simcord_env)
    post, answer = await marked_post(simcord_env, s)
    await s.mod.click(await solved_page(s), label="Save as curated")

    await s.bob.edit(answer, "Count wet diapers: at least six a day from day five.")
    [record] = kept(simcord_env, s)
    assert record.status == "stale" and record.solution_text.startswith("Count wet diapers: at least six")
    curated = simcord_env.bot.server(s.guild.id).curated
    assert curated.get(1).status == "stale"
    page = await solved_page(s)
    assert "Changed since it was saved as curated answer #1" in visible_text(page)
    await s.mod.click(page, label="Save as curated")
    assert curated.get(1).status == "active"
    assert curated.get(1).answer.startswith("Count wet diapers: at least")

    other = await forum_post(simcord_env, s.forum, s.alice, "Night feeds", "How often at night?")
    reply = await s.bob.send(other, "Every three hours or so at first.")
    await s.alice.context_menu(other, MARK_MENU_NAME, reply)
    dismissed = await s.mod.click(await solved_page(s), label="Dismiss")
    assert "Dismissed the solved thread “Night feeds”" in dismissed.response.content

    simcord_env.backend.delete_channel(post.id)
    await simcord_env.settle()
    assert [r.title for r in kept(simcord_env, s)] == ["Night feeds"] and curated.list() == []
