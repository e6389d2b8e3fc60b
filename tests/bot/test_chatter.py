"""Quiet where chatter is: thanks and small talk in the bot's threads get no answer."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from bot_helpers import ANSWERABLE, server

from bot import create_bot
from bot.chatter import is_about_the_bot, is_chatter, is_greeting, is_missed


@pytest.mark.parametrize(
    "text",
    ["thanks!", "ok", "lol", "👍", "🙏🙏", "Thank you so much!!", "haha cool", "that's so helpful, thank u"],
)
def test_small_talk_is_chatter(text):
    assert is_chatter(text)


@pytest.mark.parametrize("text", ["and during lactation?", "what about colostrum", "ok but why", "IgA?"])
def test_questions_are_not(text):
    assert not is_chatter(text)


@pytest.mark.parametrize(
    "text", ["hi", "Hello there!", "hey 👋", "good morning everyone", "hiya bot", "hello?"]
)
def test_a_greeting_alone_is_a_greeting(text):
    assert is_greeting(text)


@pytest.mark.parametrize(
    "text", ["hi, what is IgA?", "morning sickness and breastfeeding", "thanks!", "good point", ""]
)
def test_a_greeting_with_a_question_or_no_greeting_is_not(text):
    assert not is_greeting(text)


@pytest.mark.parametrize(
    "text", ["help", "help!", "what can you do?", "what topics do you cover", "who are you"]
)
def test_asking_about_the_bot_is_told_apart(text):
    assert is_about_the_bot(text)


@pytest.mark.parametrize(
    "text", ["help with latching", "what do you know about mastitis", "can you help me understand sIgA"]
)
def test_asking_the_bot_for_help_with_something_is_a_question(text):
    assert not is_about_the_bot(text)


@pytest.mark.parametrize("text", ["you're wrong", "that's not what I asked", "wrong answer", "useless"])
def test_saying_the_answer_missed_is_feedback(text):
    assert is_missed(text)


@pytest.mark.parametrize("text", ["is that wrong?", "what is wrong with my latch", "you are wrong about IgA"])
def test_a_question_with_wrong_in_it_is_not(text):
    assert not is_missed(text)


async def _thread(env, config, kb, s):
    answers = dataclasses.replace(config.answers, reply_in_thread=True)
    config = dataclasses.replace(config, answers=answers, message_content=True)  # thread follow-ups
    await env.restart_bot(create_bot(config, kb=kb))
    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    [thread] = s.channel.threads
    return thread


async def test_thanks_and_small_talk_in_the_bots_thread_get_no_answer(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    thread = await _thread(simcord_env, config, builtin_kb, s)
    bot_id = s.guild.me.id
    answers_before = [m.id for m in thread.history() if m.author.id == bot_id]

    thanks = await s.alice.send(thread, "thanks!")
    for chatter in ("lol", "ok", "😂😂"):
        await s.alice.send(thread, chatter)

    assert [m.id for m in thread.history() if m.author.id == bot_id] == answers_before
    thanked = next(m for m in thread.history() if m.id == thanks.id)
    assert [str(r.emoji) for r in thanked.reactions] == ["👍"]

    # A real follow-up is still answered.
    await s.alice.send(thread, "and which cells are part of it?")
    assert thread.last_message.author.id == bot_id


async def test_thanking_the_bot_with_a_mention_gets_a_reaction_not_an_answer(simcord_env):
    s = server(simcord_env)
    thanks = await s.alice.send(s.channel, f"{s.guild.me.mention} thank you!")
    assert s.channel.last_message.id == thanks.id
    shown = next(m for m in s.channel.history() if m.id == thanks.id)
    assert [str(r.emoji) for r in shown.reactions] == ["👍"]


async def test_a_missing_permission_is_not_logged_as_an_error(simcord_env, config, builtin_kb, caplog):
    s = server(simcord_env)
    simcord_env.inject_error("POST", "/channels/*/messages", status=403)
    with caplog.at_level(logging.INFO):
        await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("cannot reply in channel" in r.getMessage() for r in caplog.records)


async def test_help_in_the_bots_thread_is_told_how_the_bot_works(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    thread = await _thread(simcord_env, config, builtin_kb, s)
    await s.alice.send(thread, "help")
    reply = thread.last_message
    assert reply.author.id == s.guild.me.id and not reply.embeds
    assert "`/ask`" in reply.content
