"""A solved thread added to a server's knowledge, as members and moderators use it: one click in
/review makes it a document; the next member's /ask is answered from it, cited as
``#channel › thread title · date`` with the solution's link; another server never sees it; an edit
waits for review, and deleting the solution or thread, or its author opting out, takes the document
away (no copy kept)."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
from bot_helpers import visible_text
from simcord import assert_error
from test_solved_threads import LATER, QUESTION, Side, kept, marked_post, said, side, solved_page

from bot.checks import MODERATORS_ONLY, NotModerator
from bot.config import Config

EDITED = "Count wet diapers: at least six heavy ones a day from day five means enough milk."


@pytest.fixture
def config(state_dir: Path) -> Config:
    return Config(state_dir=state_dir, message_content=True)


async def solved_and_added(env, s: Side) -> tuple:
    """Alice's forum post, Bob's answer marked by Alice, added to the knowledge by the moderator."""
    post, answer = await marked_post(env, s)
    added = await s.mod.click(await solved_page(s), label="Add to knowledge")
    return post, answer, added


def documents(env, s: Side) -> list[str]:
    """The solved threads' documents in the server's uploads, and anything kept aside of them."""
    folder = env.bot.server(s.guild.id).sources.uploads
    return sorted(p.name for p in folder.parent.rglob("*solved-thread-*"))


async def asked(s: Side, member=None) -> str:
    result = await (member or s.carol).slash(s.general, "ask", question=LATER)
    return visible_text(result.response)


async def sources_of(env, s: Side) -> str:
    """A later member's answer and its Sources page, as they read them."""
    result = await s.carol.slash(s.general, "ask", question=LATER)
    shown = await s.carol.click(result.response, label="Sources")
    pages = [m for m in (shown.response, *shown.followups) if m is not None]
    return visible_text(result.response) + "\n" + "\n".join(visible_text(m) for m in pages)


async def test_added_to_knowledge_answers_the_next_member_with_the_thread_cited(simcord_env):
    s = side(simcord_env)
    other = side(simcord_env, "B")
    post, answer, added = await solved_and_added(simcord_env, s)
    day = discord.utils.snowflake_time(answer.id).date().isoformat()
    cited = f"#help › Enough milk? · {day}"
    told = visible_text(added.response)
    assert "Added “Enough milk?” to this server's knowledge" in told and cited in told
    assert "No solved threads are waiting now" in told
    [record] = kept(simcord_env, s)
    assert record.status == "saved" and record.document == f"solved-thread-{post.id}.md"

    # The next member is answered from the solution (not the question quoted back), with the thread
    # cited and linked to the solution message.
    shown = await sources_of(simcord_env, s)
    assert "Count the wet diapers" in shown
    assert cited in shown
    assert f"https://discord.com/channels/{s.guild.id}/{post.id}/{answer.id}" in shown
    assert QUESTION not in (await asked(s)).split("Sources")[0]

    # It is a document of this server only: another server's member is not answered from it.
    elsewhere = await other.carol.slash(other.general, "ask", question=LATER)
    assert "wet diapers" not in visible_text(elsewhere.response)

    # Bob deletes his answer: the document goes with the record (no copy kept), within that change.
    await s.bob.delete(answer)
    assert kept(simcord_env, s) == [] and documents(simcord_env, s) == []
    assert "Count the wet diapers" not in await asked(s)


async def test_an_edited_solution_waits_for_review_and_adding_again_updates_the_document(simcord_env):
    s = side(simcord_env)
    post, answer, _ = await solved_and_added(simcord_env, s)
    await s.bob.edit(answer, EDITED)
    [record] = kept(simcord_env, s)
    assert record.status == "stale" and record.solution_text == EDITED
    # As a curated answer does, the document answers with the text a moderator approved until then.
    assert "Count the wet diapers" in await asked(s)

    page = await solved_page(s)
    assert "Changed since it was added to the knowledge" in visible_text(page)
    await s.mod.click(page, label="Add to knowledge")
    now = await asked(s)
    assert "heavy ones" in now and "Count the wet diapers" not in now
    # Only what the thread says now is kept: the earlier version was not put aside.
    assert documents(simcord_env, s) == [f"solved-thread-{post.id}.md"]

    # Deleting the whole thread takes the document too.
    simcord_env.backend.delete_channel(post.id)
    await simcord_env.settle()
    assert kept(simcord_env, s) == [] and documents(simcord_env, s) == []
    assert "heavy ones" not in await asked(s)


async def test_the_author_opting_out_removes_the_document(simcord_env):
    s = side(simcord_env)
    await solved_and_added(simcord_env, s)
    assert "Count the wet diapers" in await asked(s)
    out = await s.bob.slash(s.general, "privacy opt-out")
    assert "1 solved thread(s) kept from your messages were removed" in said(out)
    assert kept(simcord_env, s) == [] and documents(simcord_env, s) == []
    assert "Count the wet diapers" not in await asked(s)


async def test_a_moderator_demoted_meanwhile_adds_nothing(simcord_env):
    s = side(simcord_env)
    await marked_post(simcord_env, s)
    page = await solved_page(s)
    simcord_env.backend.remove_member_role(s.guild.id, s.mod.id, s.guild.roles["Staff"].id)
    await simcord_env.settle()
    refused = await s.mod.click(page, label="Add to knowledge")
    assert refused.response.content == MODERATORS_ONLY
    assert_error(simcord_env, NotModerator)
    assert documents(simcord_env, s) == [] and kept(simcord_env, s)[0].status == "waiting"
    assert "Count the wet diapers" not in await asked(s)
