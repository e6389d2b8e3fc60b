"""Answers in conversation: @mentions, follow-ups, help channels and forum posts."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import discord
import pytest
from bot_helpers import ANSWERABLE, OFF_TOPIC, server
from simcord.builders import ChannelHandle

from bot import create_bot
from knowledge import Assistant, KnowledgeBase
from knowledge.safety import SIGNS

DATA = Path(__file__).resolve().parents[1] / "data"
# Answered by /ask, but not with the confidence an unprompted answer needs (checked in the test).
BORDERLINE = "How do IgG antibodies reach the fetus?"


async def restart_with(env, config, kb, **changes):
    """Restart the bot with a changed config, as an operator would after editing the YAML."""
    config = dataclasses.replace(config, **changes)
    await env.restart_bot(create_bot(config, kb=kb))
    return config


async def test_a_mention_with_a_question_gets_an_inline_cited_reply(simcord_env):
    s = server(simcord_env)
    asked = await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")

    reply = s.channel.last_message
    assert reply.author.id == s.guild.me.id
    assert reply.reference is not None and reply.reference.message_id == asked.id
    [embed] = reply.embeds
    assert "**enteromammary**" in embed.description and "**Sources**" in embed.description
    assert reply.mentions == []  # the asker is not pinged by the reply


async def test_an_off_topic_mention_is_declined_plainly(simcord_env):
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} {OFF_TOPIC}")
    [embed] = s.channel.last_message.embeds
    assert embed.title.startswith("No answer found")


async def test_a_bare_mention_explains_how_to_ask(simcord_env):
    s = server(simcord_env)
    await s.alice.send(s.channel, s.guild.me.mention)
    assert "Ask me a question after the mention" in s.channel.last_message.content


async def test_greeting_the_bot_gets_told_how_to_ask_not_a_decline(simcord_env):
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} hi there!")
    reply = s.channel.last_message
    assert reply.author.id == s.guild.me.id
    assert reply.content.startswith("Hi! Ask me a question after the mention") and not reply.embeds
    # a greeting with a question is a question
    await s.alice.send(s.channel, f"{s.guild.me.mention} hi! {ANSWERABLE}")
    [embed] = s.channel.last_message.embeds
    assert "**Sources**" in embed.description


async def test_a_docs_help_channel_leaves_members_replies_to_each_other_alone(simcord_env, config, tmp_path):
    # Jinja's docs say "work", "error", "fix" and "link" everywhere: each of these posts covers its
    # one word of the documents fully, and none asks anything.
    docs = KnowledgeBase.from_folder(DATA / "jinja-docs" / "docs", state_dir=tmp_path / "kb")
    s = server(simcord_env, channel="jinja-help")
    await restart_with(simcord_env, config, docs, help_channels=frozenset({s.channel.id}))
    replies = (
        "thanks, that worked!",
        "works now",
        "same error here",
        "still not working",
        "ty, fixed it",
        "docs are here: https://jinja.palletsprojects.com",
    )
    for reply in replies:
        sent = await s.bob.send(s.channel, reply)
        assert s.channel.last_message.id == sent.id, f"the bot should stay quiet on {reply!r}"
    # a problem report without a question mark is still answered
    await s.alice.send(s.channel, "template inheritance with extends and blocks not rendering the child")
    assert s.channel.last_message.author.id == s.guild.me.id


async def test_asking_the_bot_what_it_does_gets_how_it_works_not_a_passage(simcord_env):
    s = server(simcord_env)
    for asked in ("help", "what can you do?"):
        await s.alice.send(s.channel, f"{s.guild.me.mention} {asked}")
        reply = s.channel.last_message
        assert reply.author.id == s.guild.me.id and not reply.embeds
        assert "`/ask`" in reply.content and "`/topics`" in reply.content


async def test_mass_mentions_in_a_mentioned_question_ping_nobody(simcord_env):
    s = server(simcord_env)
    role = s.guild.create_role("Parents", mentionable=True)
    await s.alice.send(s.channel, f"{s.guild.me.mention} @everyone @here {role.mention} {ANSWERABLE}")
    reply = s.channel.last_message
    assert reply.author.id == s.guild.me.id
    assert reply.mention_everyone is False
    assert reply.role_mentions == []
    assert "**enteromammary**" in reply.embeds[0].description


async def test_replying_to_an_answer_asks_a_follow_up(simcord_env, builtin_kb):
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} What is the mammary immune system?")
    first = s.channel.last_message

    # A reply that pings the bot carries its text even without the message-content intent.
    await s.alice.send(s.channel, f"{s.guild.me.mention} when is it most active?", reply_to=first)

    follow_up = s.channel.last_message
    assert follow_up.id != first.id and follow_up.author.id == s.guild.me.id
    record = simcord_env.bot.server(s.guild.id).store.answer_for_message(follow_up.id)
    assert record.question == "when is it most active?"
    assert record.context == "What is the mammary immune system?"
    expected = Assistant(builtin_kb).ask(
        "when is it most active?", context="What is the mammary immune system?"
    )
    assert expected.answered
    cited = expected.hits[expected.sentences[0].source - 1]
    assert f"[{cited.section} · Guillen-Morales 2025]" in follow_up.embeds[0].description


async def test_a_follow_up_that_names_nothing_new_is_not_answered_again(simcord_env):
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} What is the mammary immune system?")
    first = s.channel.last_message
    for vague in ("why?", "tell me more"):
        await s.alice.send(s.channel, f"{s.guild.me.mention} {vague}", reply_to=first)
        reply = s.channel.last_message
        assert reply.author.id == s.guild.me.id and not reply.embeds  # not the same answer again
        assert "Sources" in reply.content and "more specific" in reply.content


async def test_saying_an_answer_missed_points_to_the_thumbs_down_not_the_same_answer(simcord_env):
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} What is the mammary immune system?")
    first = s.channel.last_message
    await s.alice.send(s.channel, f"{s.guild.me.mention} that's not what I asked", reply_to=first)
    reply = s.channel.last_message
    assert reply.author.id == s.guild.me.id and not reply.embeds
    assert "👎" in reply.content


async def test_answers_in_a_thread_and_takes_follow_ups_there(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    await restart_with(
        simcord_env, config, builtin_kb, answers=dataclasses.replace(config.answers, reply_in_thread=True)
    )

    await s.alice.send(s.channel, f"{s.guild.me.mention} What is the mammary immune system?")

    [thread] = s.channel.threads
    assert thread.name == "What is the mammary immune system?"
    [answer] = [m for m in thread.history() if m.author.id == s.guild.me.id]
    assert "**mammary**" in answer.embeds[0].description

    await s.alice.send(thread, f"{s.guild.me.mention} which cells are part of it?")
    replies = [m for m in thread.history() if m.author.id == s.guild.me.id]
    assert len(replies) == 2
    record = simcord_env.bot.server(s.guild.id).store.answer_for_message(replies[-1].id)
    assert record.context == "What is the mammary immune system?"


async def test_help_channel_answers_only_when_confident(simcord_env, config, builtin_kb, caplog):
    s = server(simcord_env, channel="breastfeeding-help")
    other = s.guild.create_text_channel("chat")
    config = await restart_with(simcord_env, config, builtin_kb, help_channels=frozenset({s.channel.id}))
    assert config.wants_message_content
    borderline = Assistant(builtin_kb).ask(BORDERLINE)
    assert borderline.answered and borderline.confidence < config.answers.auto_min_confidence, (
        "precondition: /ask answers this question, but below the bar for unprompted answers"
    )

    await s.alice.send(s.channel, ANSWERABLE)
    confident = s.channel.last_message
    assert confident.author.id == s.guild.me.id and "**enteromammary**" in confident.embeds[0].description

    # thanking another member ("that helped": "help" is a word of the article) or greeting the
    # channel is nobody's question
    chatter = ("thank you so much, that helped", "thanks, that helps a lot", "hi everyone!", "good morning")
    for quiet in (BORDERLINE, OFF_TOPIC, "thanks everyone, see you tomorrow!", "🍼🤱❓", *chatter):
        sent = await s.bob.send(s.channel, quiet)
        assert s.channel.last_message.id == sent.id, f"the bot should stay quiet on {quiet!r}"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # quiet is not a failure

    # A red flag is worth speaking up for even without a confident answer.
    await s.bob.send(s.channel, "my newborn has a fever since last night")
    warning = s.channel.last_message
    assert warning.author.id == s.guild.me.id
    fever = next(sign for sign in SIGNS if sign.name == "baby-fever")
    assert warning.content == fever.message and not warning.embeds

    # Not a help channel: people talk without the bot joining in.
    sent = await s.alice.send(other, ANSWERABLE)
    assert other.last_message.id == sent.id


async def _forum_post(env, forum: ChannelHandle, author, title: str, body: str) -> ChannelHandle:
    """A member opens a forum post: the thread appears, then its opening message."""
    thread = env.backend.create_thread(forum.id, title, author.id, broadcast=False)
    env.backend.announce_thread_create(thread)
    handle = next(t for t in forum.threads if t.id == thread.id)
    await author.send(handle, body)
    return handle


async def test_forum_posts_are_answered_when_confident(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    forum = s.guild.create_forum_channel("questions")
    await restart_with(simcord_env, config, builtin_kb, forum_channels=frozenset({forum.id}))

    post = await _forum_post(simcord_env, forum, s.alice, "Gut and milk", ANSWERABLE)
    bot_messages = [m for m in post.history() if m.author.id == s.guild.me.id]
    assert len(bot_messages) == 1
    assert "**enteromammary**" in bot_messages[0].embeds[0].description

    quiet = await _forum_post(simcord_env, forum, s.bob, "Bread", "How do I bake sourdough bread?")
    assert [m.author.id for m in quiet.history()] == [s.bob.id]

    # Later messages in a post are for people, unless they ask the bot.
    await s.bob.send(post, "I had the same question")
    assert post.last_message.author.id == s.bob.id


@pytest.fixture
def info_logs(caplog):
    caplog.set_level(logging.INFO, logger="bot")
    return caplog


@pytest.mark.simcord(approved_intents=discord.Intents.default())
async def test_works_without_the_message_content_intent(info_logs, simcord_env):
    """The portal has not approved message content: mentions and slash commands still work."""
    s = server(simcord_env)
    assert not simcord_env.bot.intents.message_content
    started = [r.getMessage() for r in info_logs.get_records("setup") if r.name == "bot.app"]
    assert any("message content intent off: slash commands and @mentions only" in m for m in started)

    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    assert "**enteromammary**" in s.channel.last_message.embeds[0].description
    result = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert result.response.embeds


async def test_asking_for_message_content_needs_portal_approval(config, builtin_kb):
    import simcord

    bot = create_bot(dataclasses.replace(config, message_content=True), kb=builtin_kb)
    assert bot.intents.message_content
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with simcord.run(bot, approved_intents=discord.Intents.default()):
            pass
