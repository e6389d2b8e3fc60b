"""One rate limit per member per server across every way of asking, and on the public lookups.

A member over the limit gets no answer by mention (one "slow down" note per window, not one per
message), silence in help channels, and still the red-flag message. Moderators are not limited.
The default config allows 3 questions per 60 seconds.
"""

from __future__ import annotations

import dataclasses

import pytest
from discord.app_commands import CommandOnCooldown, Cooldown
from reliability_helpers import Server, server

from bot import create_bot
from bot.cooldowns import CooldownBuckets
from bot.exts.errors import SLOW_DOWN
from knowledge.safety import RedFlags

ANSWERABLE = "What is the enteromammary immune system?"
RED_FLAG = "my baby has a fever and is breathing fast"
RED_FLAG_NOTICE = RedFlags().check(RED_FLAG).message


def bot_replies(env, s: Server) -> list:
    return [m for m in s.channel.history() if m.author.id == env.bot.user.id]


async def test_a_members_fourth_mention_in_the_window_gets_no_answer_and_one_note(simcord_env):
    s = server(simcord_env)
    me = simcord_env.bot.user.mention
    for _ in range(3):
        await s.member.send(s.channel, f"{me} {ANSWERABLE}")
    answers = bot_replies(simcord_env, s)
    assert len(answers) == 3 and all(m.embeds for m in answers)

    for _ in range(5):
        await s.member.send(s.channel, f"{me} {ANSWERABLE}")
    [note] = bot_replies(simcord_env, s)[3:]
    assert note.content.startswith(SLOW_DOWN) and not note.embeds

    # Warning signs still go out, without a second note and without an answer.
    await s.member.send(s.channel, f"{me} {RED_FLAG}")
    [warning] = bot_replies(simcord_env, s)[4:]
    assert warning.content == RED_FLAG_NOTICE and not warning.embeds

    await simcord_env.advance_time(61)
    await s.member.send(s.channel, f"{me} {ANSWERABLE}")
    assert bot_replies(simcord_env, s)[-1].embeds, "answered again after the window"


async def test_slash_asks_and_mentions_share_one_limit_per_server(simcord_env):
    s = server(simcord_env)
    for _ in range(2):
        asked = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
        assert asked.response.embeds
    await s.member.send(s.channel, f"{simcord_env.bot.user.mention} {ANSWERABLE}")
    assert bot_replies(simcord_env, s)[-1].embeds

    refused = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    assert refused.response.content.startswith(SLOW_DOWN) and not refused.response.embeds
    simcord_env.errors  # noqa: B018 - the refusal was answered: acknowledge it

    # Another server keeps its own limit for the same member.
    other = simcord_env.create_guild()
    elsewhere = other.create_text_channel("general")
    member = other.add_member(s.member.user)
    asked = await member.slash(elsewhere, "ask", question=ANSWERABLE)
    assert asked.response.embeds


async def test_help_channel_stays_silent_over_the_limit(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    config = dataclasses.replace(
        config, help_channels=frozenset({s.channel.id}), moderator_roles=frozenset({s.staff.id})
    )
    await simcord_env.restart_bot(create_bot(config, kb=builtin_kb))
    for _ in range(3):
        await s.member.send(s.channel, ANSWERABLE)
    assert len(bot_replies(simcord_env, s)) == 3
    for _ in range(3):
        sent = await s.member.send(s.channel, ANSWERABLE)
        assert s.channel.last_message.id == sent.id, "no answer and no note in a help channel"
    await s.member.send(s.channel, RED_FLAG)
    assert s.channel.last_message.content == RED_FLAG_NOTICE


async def test_topics_source_and_search_are_limited(simcord_env):
    s = server(simcord_env)
    for _ in range(3):
        shown = await s.member.slash(s.channel, "topics")
        assert shown.response.embeds
    refused = await s.member.slash(s.channel, "topics")
    assert refused.response.ephemeral and refused.response.content.startswith(SLOW_DOWN)
    passage = simcord_env.bot.server(s.guild.id).kb.passages[0].id
    refused = await s.member.slash(s.channel, "source", passage=passage)
    assert refused.response.content.startswith(SLOW_DOWN) and not refused.response.embeds
    refused = await s.member.slash(s.channel, "search", query="colostrum")
    assert refused.response.content.startswith(SLOW_DOWN)
    simcord_env.errors  # noqa: B018 - the refusals were answered: acknowledge them

    # Browsing does not use up the member's questions.
    asked = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    assert asked.response.embeds


async def test_moderators_are_not_limited(simcord_env):
    s = server(simcord_env)
    me = simcord_env.bot.user.mention
    for _ in range(6):
        await s.moderator.send(s.channel, f"{me} {ANSWERABLE}")
        assert s.channel.last_message.embeds
        shown = await s.moderator.slash(s.channel, "topics")
        assert shown.response.embeds


def test_a_thousand_members_asking_at_once_cost_each_other_nothing(monkeypatch):
    # Every /ask takes a token before it is acknowledged, so a token must cost the same whether
    # ten or a thousand members hold one: counted as bucket reads, never timed.
    buckets = CooldownBuckets(rate=3, per=60.0)
    reads = 0
    get_tokens = Cooldown.get_tokens

    def counted(self, current=None):
        nonlocal reads
        reads += 1
        return get_tokens(self, current)

    monkeypatch.setattr(Cooldown, "get_tokens", counted)
    for member in range(1_000):
        buckets.hit((1, member), 1_000.0 + member * 0.01)
    assert reads < 5 * 1_000, f"{reads} bucket reads for 1,000 asks"

    # Each member still has their own limit, and full buckets are still forgotten.
    buckets.hit((1, 7), 1_011.0)
    buckets.hit((1, 7), 1_011.0)
    with pytest.raises(CommandOnCooldown):
        buckets.hit((1, 7), 1_011.0)
    buckets.hit((1, 8), 2_000.0)  # a period later: everyone else's bucket is full again
    assert len(buckets._buckets) == 1
