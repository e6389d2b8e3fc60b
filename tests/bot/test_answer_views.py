"""What members see under and around an answer: quiet replies (no answer id in sight, the standing
notice in small print, a short decline), a decline's asker passing the question to the moderators,
and answer buttons that cost the bot nothing per answer yet keep working after many answers and
after a restart."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import discord
import pytest
import yaml
from bot_helpers import ANSWERABLE, OFF_TOPIC, answer_id_of, embed_text, server, visible_text

from bot import create_bot
from bot.config import DEFAULT_MEDICAL_NOTICE, Config, CooldownConfig
from bot.exts.review import NOT_THE_ASKER, PASSED
from bot.render import DECLINED_TITLE
from bot.ui.answer import answer_view

EVERYDAY = Path(__file__).parents[1] / "knowledge" / "everyday_questions.yaml"
ANSWERS = 30


@pytest.fixture
def config(state_dir: Path) -> Config:
    # Members here ask more than the default cooldown allows: every question must be answered.
    return Config(state_dir=state_dir, cooldown=CooldownConfig(rate=100, per=60.0))


def shown(message) -> str:
    return (message.content or "") + "\n" + "\n".join(embed_text(e) for e in message.embeds)


def labels(message) -> list[str]:
    return [c["label"] for row in message.components for c in row["components"]]


def with_moderators(env, s):
    """A moderator channel in the server, configured as the bot's, and a moderator."""
    channel = s.guild.create_text_channel("moderators")
    mods = s.guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    mod = s.guild.add_member(env.create_user("mod"), roles=[mods])
    env.bot.config = dataclasses.replace(env.bot.config, moderator_channel=channel.id)
    return channel, mod


# -- quiet replies --------------------------------------------------------------------------------


async def test_an_answer_keeps_its_id_out_of_sight_and_the_notice_small(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)

    answer_id = answer_id_of(result.response)  # the buttons carry it...
    assert answer_id not in shown(result.response), "...members never see it"
    [embed] = result.response.embeds
    assert embed.footer.text is None
    # The standing notice in Discord's small print, so it does not outweigh the answer.
    assert f"-# {DEFAULT_MEDICAL_NOTICE}" in result.response.content.splitlines()


async def test_replies_to_everyday_questions_fit_a_glance(simcord_env):
    s = server(simcord_env)
    data = yaml.safe_load(EVERYDAY.read_text(encoding="utf-8"))
    asked = [q["question"] for q in data["answerable"][:4] + data["off_topic"][:4]]
    lengths: dict[bool, list[int]] = {True: [], False: []}
    for n, question in enumerate(asked):
        # A new member each time: the medical notice is in every reply measured.
        member = s.guild.add_member(simcord_env.create_user(f"member-{n}"))
        result = await member.slash(s.channel, "ask", question=question)
        answered = result.response.embeds[0].title != DECLINED_TITLE
        lengths[answered].append(len(visible_text(result.response)))
    assert lengths[True] and lengths[False], "both answers and declines were measured"
    # Characters members read (a masked link shows its label only).
    assert max(lengths[True]) <= 1000, lengths
    assert max(lengths[False]) <= 500, lengths


# -- Ask the moderators ---------------------------------------------------------------------------


async def test_the_asker_passes_a_declined_question_to_the_moderators(simcord_env):
    s = server(simcord_env)
    moderators, mod = with_moderators(simcord_env, s)
    question = f"@everyone {OFF_TOPIC}"
    asked = await s.alice.slash(s.channel, "ask", question=question)
    assert labels(asked.response) == ["Ask the moderators"]

    # Only the member who asked may pass it on.
    other = await s.bob.click(asked.response, label="Ask the moderators")
    assert other.response.ephemeral and other.response.content == NOT_THE_ASKER
    assert list(moderators.history(viewer=mod)) == []

    passed = await s.alice.click(asked.response, label="Ask the moderators")
    assert passed.followups[-1].ephemeral and passed.followups[-1].content == PASSED
    [button] = [c for row in asked.response.message.components for c in row.children]
    assert button.label == "Passed to the moderators" and button.disabled, "once is enough"

    [post] = list(moderators.history(viewer=mod))
    assert OFF_TOPIC in post.content and s.alice.mention in post.content
    posted_to = f"/channels/{moderators.id}/messages"
    [sent] = [e for e in simcord_env.http_requests if e.method == "POST" and e.path == posted_to]
    assert post.mention_everyone is False and sent.json["allowed_mentions"]["parse"] == [], "it pings nobody"
    review = await mod.slash(s.channel, "review")
    assert OFF_TOPIC in "\n".join(shown(m) for m in (review.response, *review.followups))


async def test_an_answer_of_another_server_cannot_be_passed_on_from_here(simcord_env):
    a = server(simcord_env)
    moderators, mod = with_moderators(simcord_env, a)
    asked = await a.alice.slash(a.channel, "ask", question=OFF_TOPIC)
    a_answer = answer_id_of_declined(asked.response)

    other = simcord_env.create_guild("B")
    b_channel = other.create_text_channel("help")
    b_alice = other.add_member(simcord_env.create_user("alice-b"))
    sent = await simcord_env.bot.get_channel(b_channel.id).send(
        "forged", view=answer_view(a_answer, declined=True)
    )
    [forged] = [m for m in b_channel.history(viewer=b_alice) if m.id == sent.id]
    refused = await b_alice.click(forged, label="Ask the moderators")
    assert refused.response.content == "That question is no longer on record."
    assert list(moderators.history(viewer=mod)) == []


def answer_id_of_declined(message) -> str:
    [custom_id] = [
        c["custom_id"] for row in message.components for c in row["components"] if "askmods" in c["custom_id"]
    ]
    return custom_id.rsplit(":", 1)[1]


# -- buttons that cost nothing per answer ---------------------------------------------------------


async def test_many_answers_leave_no_views_behind_and_their_buttons_keep_working(simcord_env, builtin_kb):
    s = server(simcord_env)
    store = simcord_env.bot._connection._view_store
    first = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    kinds = len(store._dynamic_items)
    for n in range(ANSWERS):
        question = ANSWERABLE if n % 2 else OFF_TOPIC
        if n % 3 == 0:
            await s.bob.send(s.channel, f"{s.guild.me.mention} {question}")
        else:
            await s.bob.slash(s.channel, "ask", question=question, private=n % 3 == 2)
    asked, _ = simcord_env.bot.server(s.guild.id).store.answer_totals()
    assert asked == ANSWERS + 1, "every question was answered or declined"
    # Public, private and mention replies alike: discord.py keeps nothing per answer.
    assert store._views == {} and store._synced_message_views == {}
    assert len(store._dynamic_items) == kinds

    up = await s.bob.click(first.response, label="👍")
    assert up.response.content.startswith("Thanks"), "the first answer's buttons still work"

    await simcord_env.restart_bot(create_bot(simcord_env.bot.config, kb=builtin_kb))
    pages = await s.bob.click(first.response, label="Sources")
    assert pages.response.ephemeral and pages.response.embeds[0].title.startswith("Sources [1]")
    down = await s.bob.click(first.response, label="👎")
    assert down.modal is not None, "after a restart too"
