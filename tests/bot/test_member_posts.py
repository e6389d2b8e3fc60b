"""Posts as members type them on Discord: custom emoji, calls for help, asking for the source."""

from __future__ import annotations

from bot_helpers import ANSWERABLE, server

PEPE = "<:pepe:1234567890123456>"
HEART = "<a:heart:1234567890123457>"


async def test_a_custom_emoji_in_a_question_does_not_change_its_answer(simcord_env):
    s = server(simcord_env)
    plain = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    with_emoji = await s.bob.slash(s.channel, "ask", question=f"{ANSWERABLE} {PEPE}")
    assert with_emoji.response.embeds[0].description == plain.response.embeds[0].description
    assert "pepe" not in (with_emoji.response.content or "")  # no "does not mention: pepe"

    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE} {HEART}")
    [embed] = s.channel.last_message.embeds
    assert embed.description == plain.response.embeds[0].description


async def test_thanks_with_a_custom_emoji_gets_a_reaction_not_an_answer(simcord_env):
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    answer = s.channel.last_message
    thanks = await s.alice.send(s.channel, f"thanks {HEART}", reply_to=answer)
    emoji_only = await s.alice.send(s.channel, PEPE, reply_to=answer)

    assert s.channel.last_message.id == emoji_only.id, "no answer to either"
    shown = next(m for m in s.channel.history() if m.id == thanks.id)
    assert [str(r.emoji) for r in shown.reactions] == ["👍"]
