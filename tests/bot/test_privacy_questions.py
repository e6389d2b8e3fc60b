"""``/privacy opt-out`` covers what a member asks the bot: as members and moderators see it, the
member is still answered and can vote, but their questions' words are no longer kept (those asked
before are emptied), reach no moderator's review and are not passed on; other members' questions
and other servers stay as they were."""

from __future__ import annotations

import dataclasses

import discord
from bot_helpers import ANSWERABLE, OFF_TOPIC, answer_id_of, server, visible_text

from bot.exts.review import NOT_KEPT


def review_text(result) -> str:
    return "\n".join(visible_text(m) for m in (result.response, *result.followups) if m is not None)


async def test_an_opted_out_member_is_answered_but_their_questions_are_not_kept(simcord_env):
    s = server(simcord_env)
    moderators = s.guild.create_text_channel("moderators")
    staff = s.guild.create_role("Staff", permissions=discord.Permissions(manage_messages=True))
    mod = s.guild.add_member(simcord_env.create_user("mod"), roles=[staff])
    simcord_env.bot.config = dataclasses.replace(simcord_env.bot.config, moderator_channel=moderators.id)
    other = simcord_env.create_guild("B")
    there = other.create_text_channel("general")
    alice_there = other.add_member(s.alice.user)
    store = simcord_env.bot.server(s.guild.id).store

    before = await s.alice.slash(s.channel, "ask", question=OFF_TOPIC)
    await s.bob.slash(s.channel, "ask", question="What is the capital of Spain?")
    await alice_there.slash(there, "ask", question=OFF_TOPIC)
    assert OFF_TOPIC in review_text(await mod.slash(s.channel, "review"))

    out = await s.alice.slash(s.channel, "privacy opt-out")
    assert out.ephemeral and "the questions you asked before are no longer kept" in review_text(out)
    assert store.answer_for_message(before.response.id).question == ""
    # Moderators no longer see her words; Bob's question still waits for them.
    review = review_text(await mod.slash(s.channel, "review"))
    assert OFF_TOPIC not in review and "capital of Spain" in review

    # She is still answered, can vote, and her new question's words are not kept.
    answered = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert "enteromammary" in visible_text(answered.response).lower()
    record = store.answer(answer_id_of(answered.response))
    assert record.question == "" and record.user_id == s.alice.id
    voted = await s.alice.click(answered.response, label="👍")
    assert "Thanks" in voted.response.content and store.vote_totals() == (1, 0)

    # A declined question of hers cannot be passed on: its words were not kept.
    declined = await s.alice.slash(s.channel, "ask", question=OFF_TOPIC)
    passed = await s.alice.click(declined.response, label="Ask the moderators")
    assert NOT_KEPT in visible_text(passed.followups[-1] if passed.followups else passed.response)
    assert list(moderators.history(viewer=mod)) == []

    # In the other server she did not opt out: her question there is kept.
    kept_there = simcord_env.bot.server(other.id).store.most_asked(5)
    assert kept_there == [(OFF_TOPIC, 1)]
