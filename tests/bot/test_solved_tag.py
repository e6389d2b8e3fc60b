"""A forum's "solved" tag (``/settings solved-tag``): applying it to a post of an opted-in forum
marks the latest answer from someone other than the opener, as ``/solved`` does; a post whose
solution is marked already is left as it is; a forum that is not opted in, another tag, or an
answer whose author opted out keeps nothing and posts nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from bot_helpers import forum_post, visible_text
from simcord import assert_error
from test_solved_threads import QUESTION, SOLUTION, Side, bot_posts, kept, opt_in, said, side, solved_page

from bot.config import Config
from bot.exts.solved import MARK_MENU_NAME
from knowledge.errors import NotFoundError
from knowledge.solved import TAGGED


@pytest.fixture
def config(state_dir: Path) -> Config:
    return Config(state_dir=state_dir, message_content=True)


def with_tags(env, forum) -> dict[str, int]:
    """The forum's tags, as its admins would create them in Discord: name → id."""
    tags = {"Solved": env.backend.snowflake(), "Question": env.backend.snowflake()}
    available = [
        {"id": str(i), "name": name, "moderated": False, "emoji_id": None, "emoji_name": None}
        for name, i in tags.items()
    ]
    env.backend.edit_channel(forum.id, {"available_tags": available})
    return tags


async def tag(env, post, *tag_ids: int) -> None:
    """The post's opener (or a moderator) sets its tags; Discord says only that they changed."""
    env.backend.edit_channel(post.id, {"applied_tags": list(tag_ids)})
    await env.settle()


async def solved_tag(s: Side, name: str = "solved") -> str:
    done = await s.mod.slash(s.general, "settings solved-tag add", forum=s.forum, tag=name)
    return said(done)


async def test_the_solved_tag_marks_the_latest_answer_once(simcord_env):
    s = side(simcord_env)
    tags = with_tags(simcord_env, s.forum)
    post = await forum_post(simcord_env, s.forum, s.alice, "Enough milk?", QUESTION)
    await s.carol.send(post, "Same here, following")
    answer = await s.bob.send(post, SOLUTION)
    await s.alice.send(post, "Thank you!")

    # Not opted in yet: the tag is remembered but reads nothing.
    told = await solved_tag(s)
    assert "It counts once" in told and "solved-channel add" in told
    await tag(simcord_env, post, tags["Solved"])
    assert kept(simcord_env, s) == [] and bot_posts(simcord_env, post) == []
    await tag(simcord_env, post)

    await opt_in(s, s.forum)
    shown = await s.mod.slash(s.general, "settings show")
    assert "Solved tags: “Solved” in" in said(shown)
    # Another tag does nothing.
    await tag(simcord_env, post, tags["Question"])
    assert kept(simcord_env, s) == []

    await tag(simcord_env, post, tags["Question"], tags["Solved"])
    [record] = kept(simcord_env, s)
    assert (record.solution_id, record.solution_text, record.marked_by) == (answer.id, SOLUTION, TAGGED)
    assert record.question_text == QUESTION
    [confirmation] = bot_posts(simcord_env, post)
    assert "Tagged solved" in confirmation.content and str(answer.id) in confirmation.content
    assert confirmation.mentions == []
    # Taken off and put back: still one record, one confirmation.
    await tag(simcord_env, post)
    await tag(simcord_env, post, tags["Solved"])
    assert len(kept(simcord_env, s)) == 1 and len(bot_posts(simcord_env, post)) == 1

    assert "marked by the forum's solved tag" in visible_text(await solved_page(s))


async def test_a_marked_solution_stays_and_an_opted_out_author_is_not_kept(simcord_env):
    s = side(simcord_env)
    tags = with_tags(simcord_env, s.forum)
    await opt_in(s, s.forum)
    await solved_tag(s, "SOLVED")
    post = await forum_post(simcord_env, s.forum, s.alice, "Enough milk?", QUESTION)
    answer = await s.bob.send(post, SOLUTION)
    await s.carol.send(post, "Or weigh the baby weekly.")
    await s.alice.context_menu(post, MARK_MENU_NAME, answer)
    # The tag confirms the message Alice marked: nothing replaced, nothing more said.
    await tag(simcord_env, post, tags["Solved"])
    [record] = kept(simcord_env, s)
    assert record.solution_id == answer.id and record.marked_by == s.alice.id
    assert len(bot_posts(simcord_env, post)) == 1

    await s.carol.slash(s.general, "privacy opt-out")
    other = await forum_post(simcord_env, s.forum, s.alice, "Night feeds", "How often at night?")
    await s.carol.send(other, "Every three hours or so at first.")
    await tag(simcord_env, other, tags["Solved"])
    assert [r.thread_id for r in kept(simcord_env, s)] == [post.id] and bot_posts(simcord_env, other) == []

    unknown = await s.mod.slash(s.general, "settings solved-tag add", forum=s.forum, tag="Done")
    assert "has no tag named that; its tags: “Solved”, “Question”" in said(unknown)
    assert_error(simcord_env, NotFoundError)
