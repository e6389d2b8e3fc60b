"""Health notices: red flags first, and the medical notice once per member per day."""

from __future__ import annotations

import dataclasses

import pytest
from bot_helpers import ANSWERABLE, server

from bot import create_bot
from bot.config import DEFAULT_MEDICAL_NOTICE, DEFAULT_RED_FLAG_MESSAGE, NoticeConfig


@pytest.mark.parametrize(
    ("question", "sign_words", "what_to_do"),
    [
        (
            "My newborn has a fever, is that the immune system fighting?",
            "A temperature of 38 °C (100.4 °F) or more in a baby",
            "contact your doctor or midwife now",
        ),
        (
            "baby breathing fast and wheezing, what do antibodies in milk do?",
            "A baby struggling to breathe",
            "call emergency services (999, 911 or 112) now",
        ),
        (
            "My breast is red and hot and I have a fever. What protects the mammary gland from infection?",
            "A red, painful breast with a fever",
            "contact your doctor or midwife today",
        ),
    ],
)
async def test_red_flags_come_first_naming_the_sign(simcord_env, question, sign_words, what_to_do):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=question)
    first = result.response.content.splitlines()[0]
    assert first.startswith(f"⚠️ {sign_words}") and what_to_do in first
    assert result.response.embeds, "the answer (or the closest passages) still follows"


async def test_ordinary_questions_get_no_red_flag(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question="What does breastfeeding give the baby?")
    assert "⚠️" not in (result.response.content or "")


async def test_medical_notice_once_per_member_per_day(simcord_env):
    s = server(simcord_env)
    first = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert DEFAULT_MEDICAL_NOTICE in first.response.content

    again = await s.alice.slash(s.channel, "ask", question="What is the mammary immune system?")
    assert DEFAULT_MEDICAL_NOTICE not in (again.response.content or "")
    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    assert DEFAULT_MEDICAL_NOTICE not in s.channel.last_message.content

    # Bob has not seen it today.
    bobs = await s.bob.slash(s.channel, "ask", question=ANSWERABLE)
    assert DEFAULT_MEDICAL_NOTICE in bobs.response.content

    await simcord_env.advance_time(24 * 3600)
    next_day = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert DEFAULT_MEDICAL_NOTICE in next_day.response.content


async def test_notice_texts_and_red_flags_come_from_the_config(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    notices = NoticeConfig(
        medical="Not advice.", red_flag_message="Call someone now.", red_flags=(r"\burgent\b",)
    )
    await simcord_env.restart_bot(create_bot(dataclasses.replace(config, notices=notices), kb=builtin_kb))

    result = await s.alice.slash(s.channel, "ask", question=f"urgent: {ANSWERABLE}")
    # The red flag in full size, the standing notice in small print under it.
    assert result.response.content.splitlines() == ["Call someone now.", "-# Not advice."]
    plain = await s.alice.slash(s.channel, "ask", question="My newborn has a fever")
    assert "Call someone now." not in (plain.response.content or "")


async def test_a_message_from_the_config_keeps_the_signs_in_its_words(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    notices = NoticeConfig(red_flag_message="Ring the maternity ward now.")
    await simcord_env.restart_bot(create_bot(dataclasses.replace(config, notices=notices), kb=builtin_kb))

    result = await s.alice.slash(s.channel, "ask", question="my 5 day old is very yellow and sleepy")
    assert result.response.content.startswith("Ring the maternity ward now.")
    plain = await s.alice.slash(s.channel, "ask", question="is a yellow colostrum normal")
    assert "Ring the maternity ward" not in (plain.response.content or "")


async def test_patterns_from_the_config_alone_get_the_general_notice(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    notices = NoticeConfig(red_flags=(r"\burgent\b",))
    await simcord_env.restart_bot(create_bot(dataclasses.replace(config, notices=notices), kb=builtin_kb))

    result = await s.alice.slash(s.channel, "ask", question=f"urgent: {ANSWERABLE}")
    assert result.response.content.startswith(DEFAULT_RED_FLAG_MESSAGE)
