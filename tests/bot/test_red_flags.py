"""The red-flag message reaches members on every path: /ask (also on cooldown and when answering
fails), mentions, help channels, forum posts and thread follow-ups."""

from __future__ import annotations

import dataclasses

import discord
import pytest
from bot_helpers import ANSWERABLE, server
from simcord import assert_error

from bot import create_bot
from bot.config import CooldownConfig, NoticeConfig
from bot.exts.errors import SLOW_DOWN
from knowledge import analysis
from knowledge import question as question_module
from knowledge.safety import RedFlags
from knowledge.store import ServerStore, StoreUnavailable

BREAST = "my breast is red and hot and I have a fever, help"
BREATHING = "my baby has a fever and is breathing fast"


def notice(question: str) -> str:
    """The notice of the warning sign ``question`` shows."""
    return RedFlags().check(question).message


async def restart_with(env, config, kb, **changes):
    config = dataclasses.replace(config, **changes)
    await env.restart_bot(create_bot(config, kb=kb))
    return config


@pytest.mark.parametrize(
    "question",
    [
        "my boob is red and hot and I have a fever",
        "baby has a temperature of 39 and won't feed",
        "my baby has a fever and is breathing fast",
    ],
)
async def test_everyday_wording_gets_the_red_flag_first(simcord_env, question):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=question)
    assert result.response.content.startswith(notice(question))
    assert result.response.embeds


async def test_on_cooldown_the_red_flag_still_goes_out(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    await restart_with(simcord_env, config, builtin_kb, cooldown=CooldownConfig(rate=3, per=60))
    for _ in range(3):
        await s.alice.slash(s.channel, "ask", question=ANSWERABLE)

    fourth = await s.alice.slash(s.channel, "ask", question=BREAST)

    assert fourth.response.ephemeral
    content = fourth.response.content
    assert content.startswith(notice(BREAST))
    assert SLOW_DOWN in content, "the answer itself waits"
    # An ordinary question on cooldown is refused as before.
    refused = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert refused.response.content.startswith(SLOW_DOWN)
    assert_error(simcord_env, discord.app_commands.CommandOnCooldown)


async def test_a_failing_store_does_not_stop_the_red_flag_or_the_answer(simcord_env, monkeypatch):
    s = server(simcord_env)

    def broken(*args, **kwargs):
        raise StoreUnavailable("database or disk is full")

    monkeypatch.setattr(ServerStore, "record_answer", broken)
    result = await s.alice.slash(s.channel, "ask", question=BREAST)

    assert result.response.content.startswith(notice(BREAST))
    assert result.response.embeds, "the answer is still shown, only not recorded"
    assert not result.response.components, "no buttons for an answer that is not on record"


async def test_when_answering_fails_the_red_flag_is_sent_alone(simcord_env, monkeypatch):
    s = server(simcord_env)

    def broken(*args, **kwargs):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(simcord_env.bot.server(s.guild.id).assistant, "ask", broken)
    result = await s.alice.slash(s.channel, "ask", question=BREAST)
    assert result.response.content.startswith(notice(BREAST))
    assert "could not look up an answer" in result.response.content

    await s.alice.send(s.channel, f"{s.guild.me.mention} {BREATHING}")
    reply = s.channel.last_message
    assert reply.author.id == s.guild.me.id and reply.content.startswith(notice(BREATHING))


async def test_when_the_question_cannot_be_analysed_its_own_words_are_still_checked(simcord_env, monkeypatch):
    s = server(simcord_env)

    def broken(*args, **kwargs):
        raise RuntimeError("glossary unreadable")

    assistant = simcord_env.bot.server(s.guild.id).assistant
    monkeypatch.setattr(assistant, "analyse", broken)
    result = await s.alice.slash(s.channel, "ask", question=BREAST)
    assert result.response.content.startswith(notice(BREAST))
    assert result.response.embeds, "answering reads the question again, and here it can"

    monkeypatch.setattr(assistant, "ask", broken)
    result = await s.alice.slash(s.channel, "ask", question=BREATHING)
    assert result.response.content.startswith(notice(BREATHING))
    assert "could not look up an answer" in result.response.content


@pytest.mark.parametrize("way", ["slash", "mention"])
async def test_each_post_is_cleaned_rewritten_and_checked_once(simcord_env, monkeypatch, way):
    # The red-flag notice goes out before anything can fail, and the answer is built from that
    # same reading: the member's words are not cleaned, rewritten or checked a second time.
    s = server(simcord_env)
    expected = notice(BREAST)
    calls: list[str] = []
    for owner, name in ((RedFlags, "check"), (question_module, "clean_question"), (analysis, "expand")):
        original = getattr(owner, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)

    if way == "slash":
        result = await s.alice.slash(s.channel, "ask", question=BREAST)
        content = result.response.content
        assert result.response.embeds
    else:
        await s.alice.send(s.channel, f"{s.guild.me.mention} {BREAST}")
        content = s.channel.last_message.content
    assert content.startswith(expected)
    assert sorted(calls) == ["check", "clean_question", "expand"]


async def test_mentions_forum_posts_and_thread_follow_ups(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    forum = s.guild.create_forum_channel("questions")
    await restart_with(
        simcord_env,
        config,
        builtin_kb,
        forum_channels=frozenset({forum.id}),
        answers=dataclasses.replace(config.answers, reply_in_thread=True),
    )

    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    [thread] = s.channel.threads
    # A follow-up in the bot's thread, without a mention.
    await s.alice.send(thread, "my baby has a temp of 38.5 and is floppy")
    assert thread.last_message.author.id == s.guild.me.id
    assert thread.last_message.content.startswith(notice("my baby has a temp of 38.5 and is floppy"))

    # A forum post the bot cannot answer confidently still gets the warning.
    thread = simcord_env.backend.create_thread(forum.id, "Help", s.bob.id, broadcast=False)
    simcord_env.backend.announce_thread_create(thread)
    post = next(t for t in forum.threads if t.id == thread.id)
    await s.bob.send(post, "my boob is red and hot and I have a fever")
    assert post.last_message.author.id == s.guild.me.id
    assert post.last_message.content.startswith(notice("my boob is red and hot and I have a fever"))


async def test_the_glossary_rewrite_is_checked_too(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    notices = NoticeConfig(red_flag_message="See someone now.", red_flags=(r"\bbreast\b.*\bfever\b",))
    await restart_with(simcord_env, config, builtin_kb, notices=notices)
    simcord_env.bot.server(s.guild.id).glossary.add("jug", "breast", author="mod")

    result = await s.alice.slash(s.channel, "ask", question="my jug hurts and I have a fever")
    assert result.response.content.startswith("See someone now.")


async def test_when_discord_fails_to_show_the_answer_the_red_flag_follows_up(simcord_env):
    s = server(simcord_env)
    simcord_env.inject_error("PATCH", "/webhooks/*/messages/@original", status=500, times=2)
    result = await s.alice.slash(s.channel, "ask", question=BREAST)
    shown = [m.content or "" for m in (result.response, *result.followups) if m is not None]
    assert any(text.startswith(notice(BREAST)) for text in shown), shown


async def test_without_thread_permission_the_red_flag_is_replied_inline(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    answers = dataclasses.replace(config.answers, reply_in_thread=True)
    await restart_with(simcord_env, config, builtin_kb, answers=answers)
    simcord_env.inject_error("POST", "/channels/*/messages/*/threads", status=403)
    await s.alice.send(s.channel, f"{s.guild.me.mention} {BREAST}")
    assert s.channel.last_message.author.id == s.guild.me.id
    assert s.channel.last_message.content.startswith(notice(BREAST))


async def test_a_failing_lookup_does_not_stop_the_red_flag(simcord_env, config, builtin_kb, monkeypatch):
    s = server(simcord_env)
    answers = dataclasses.replace(config.answers, reply_in_thread=True)
    await restart_with(simcord_env, config, builtin_kb, answers=answers, message_content=True)
    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    [thread] = s.channel.threads

    def broken(*args, **kwargs):
        raise OSError("database is locked")

    monkeypatch.setattr(ServerStore, "last_answer_in", broken)
    monkeypatch.setattr(ServerStore, "answer_for_message", broken)
    await s.alice.send(thread, BREATHING)
    assert thread.last_message.author.id == s.guild.me.id
    assert thread.last_message.content.startswith(notice(BREATHING))


async def test_each_sign_is_named_first_by_mention_thread_and_help_channel(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    helpdesk = s.guild.create_text_channel("help")
    answers = dataclasses.replace(config.answers, reply_in_thread=True)
    helpdesks = frozenset({helpdesk.id})
    await restart_with(simcord_env, config, builtin_kb, answers=answers, help_channels=helpdesks)

    await s.alice.send(s.channel, f"{s.guild.me.mention} baby has had no wet nappy since yesterday")
    [thread] = s.channel.threads
    assert thread.last_message.content.startswith("⚠️ Few or no wet nappies (diapers)")
    # A follow-up in the bot's thread shows another sign: that one is named.
    await s.alice.send(thread, "and now she's 5 days old, very yellow and sleepy")
    assert thread.last_message.author.id == s.guild.me.id
    assert thread.last_message.content.startswith("⚠️ Yellow skin or eyes in a baby who is very sleepy")

    # Unprompted, in a help channel: inline or in a thread of its own, the notice comes first.
    await s.bob.send(helpdesk, "boob red-hot and sore, feeling flu-like")
    said = [m for m in (helpdesk.last_message, *(t.last_message for t in helpdesk.threads)) if m is not None]
    from_bot = [m for m in said if m.author.id == s.guild.me.id]
    assert from_bot and from_bot[0].content.startswith("⚠️ A red, painful breast with a fever, chills")
    assert "contact your doctor or midwife today" in from_bot[0].content


async def test_an_emergency_sign_says_to_call_emergency_services(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question="my 3 week old's lips went blue during a feed")
    first = result.response.content.splitlines()[0]
    assert first.startswith("⚠️ A baby turning blue, grey or mottled") and "call emergency services" in first
