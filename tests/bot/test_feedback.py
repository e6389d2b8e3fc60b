"""👍/👎 feedback, recorded in the store, and answer buttons that keep working after a restart."""

from __future__ import annotations

from bot_helpers import ANSWERABLE, answer_id_of, server

from bot import create_bot
from knowledge.review import ReviewQueue, question_stats
from knowledge.store import Store


async def test_votes_are_recorded_one_per_member_and_changeable(simcord_env, config):
    s = server(simcord_env)
    asked = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    answer_id = answer_id_of(asked.response)

    up = await s.alice.click(asked.response, label="👍")
    assert up.response.ephemeral and "Thanks" in up.response.content

    # 👎 asks why in a modal; the vote counts even before (or without) a reason.
    down = await s.bob.click(asked.response, label="👎")
    assert down.modal is not None
    store = simcord_env.bot.server(s.guild.id).store
    assert store.vote_totals() == (1, 1)
    submitted = await s.bob.submit_modal(
        down, {"citebot:why:reason": "It doesn't say how the cells get there"}
    )
    assert submitted.response.ephemeral and "noted" in submitted.response.content

    # Alice changes her mind: still one vote for her.
    await s.alice.click(asked.response, label="👎")
    assert store.vote_totals() == (0, 2)
    # Moderators see both 👎 and the one reason given in /review.
    [item] = ReviewQueue(store).items()
    assert item.answer_id == answer_id and item.downvotes == 2
    assert item.reasons == ("It doesn't say how the cells get there",)


async def test_feedback_and_buttons_survive_a_restart(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    asked = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    answer_id = answer_id_of(asked.response)
    await s.alice.click(asked.response, label="👍")

    await simcord_env.restart_bot(create_bot(config, kb=builtin_kb))

    # The old message's buttons are handled by the new bot (no view was re-registered by hand).
    sources = await s.bob.click(asked.response, label="Sources")
    assert sources.response.ephemeral
    assert "gut-to-breast immune link" in sources.response.embeds[0].description
    down = await s.bob.click(asked.response, label="👎")
    await s.bob.submit_modal(down, {"citebot:why:reason": "too short"})

    # The vote from before the restart is still there, next to the new one, in the state folder.
    await simcord_env.restart_bot(create_bot(config, kb=builtin_kb))
    database = Store.in_folder(config.state_dir)
    store = database.server(s.guild.id)
    try:
        votes = question_stats(store)
        [item] = ReviewQueue(store).items()
    finally:
        database.close()
    assert (votes.helpful, votes.not_helpful) == (1, 1)
    assert (item.answer_id, item.downvotes, item.reasons) == (answer_id, 1, ("too short",))


async def test_sources_button_for_an_unknown_answer_says_so(simcord_env, config, builtin_kb, tmp_path):
    s = server(simcord_env)
    asked = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)

    # A bot started on a fresh state folder has no record of that answer.
    fresh = type(config)(state_dir=tmp_path / "other-state")
    await simcord_env.restart_bot(create_bot(fresh, kb=builtin_kb))
    clicked = await s.alice.click(asked.response, label="Sources")
    assert clicked.response.ephemeral
    assert "no longer" in clicked.response.content
