"""The same bot in two servers: what a member or moderator of server B does never changes or shows
anything in server A (curated answers, glossary, uploads, review queue, feedback, statistics,
autocomplete, solved threads, privacy choices), and buttons carrying an id of A do nothing in B."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from dataclasses import dataclass

import discord
import pytest
import yaml
from bot_helpers import answer_id_of, embed_text, forum_post
from simcord import assert_error
from simcord.actors import MemberActor
from simcord.builders import ChannelHandle, GuildHandle

from bot import create_bot
from bot.exts.solved import MARK_MENU_NAME, NOT_OPTED_IN
from bot.ui.answer import answer_view
from bot.ui.curation import stale_view
from bot.utils import Refused
from knowledge.store import SQLITE, STORE_FILE
from knowledge.store.schema import scripts

IBUPROFEN = "Is it safe to take ibuprofen while breastfeeding?"
A_ANSWER = "Server A's moderators say: yes, at usual doses."
B_ANSWER = "Server B's moderators say something else entirely."
ENTEROMAMMARY = "What is the enteromammary immune system?"
NEW_DOC = b"""---
title: Storing expressed breast milk
---
# Storing expressed breast milk

## Fridge

Freshly expressed breast milk keeps for up to four days in a refrigerator at 4 degrees Celsius.
"""
FRIDGE = "How long does expressed breast milk keep in the refrigerator?"


@dataclass
class Side:
    guild: GuildHandle
    channel: ChannelHandle
    mod: MemberActor
    alice: MemberActor


def side(env, name: str) -> Side:
    guild = env.create_guild(name)
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    return Side(
        guild=guild,
        channel=guild.create_text_channel("help"),
        mod=guild.add_member(env.create_user(f"mod-{name}"), roles=[mods]),
        alice=guild.add_member(env.create_user(f"alice-{name}")),
    )


@pytest.fixture
def two(simcord_env) -> tuple[Side, Side]:
    return side(simcord_env, "A"), side(simcord_env, "B")


def last(result):
    return result.followups[-1] if result.followups else result.response


def everything_shown(result) -> str:
    messages = [m for m in (result.response, *result.followups) if m is not None]
    return "\n".join((m.content or "") + "\n" + "\n".join(embed_text(e) for e in m.embeds) for m in messages)


async def add_curated(s: Side, question: str, answer: str):
    shown = await s.mod.slash(s.channel, "faq add")
    saved = await s.mod.submit_modal(
        shown,
        {"curate:question": question, "curate:answer": answer, "curate:phrasings": "", "curate:sources": ""},
    )
    assert "Saved curated answer" in saved.response.content
    return saved


async def asked_description(s: Side, question: str) -> str:
    return (await s.mod.slash(s.channel, "ask", question=question)).response.embeds[0].description


async def test_curated_answers_belong_to_their_server(simcord_env, two, state_dir):
    a, b = two
    await add_curated(a, IBUPROFEN, A_ANSWER)

    # B's members never get A's curated answer; B's moderators neither list nor see it.
    assert A_ANSWER not in await asked_description(b, IBUPROFEN)
    listed = await b.mod.slash(b.channel, "faq list")
    assert IBUPROFEN not in everything_shown(listed) and "mod-A" not in everything_shown(listed)
    shown = await b.mod.slash(b.channel, "faq show", id=1)
    assert shown.response.content.startswith("There is no curated answer #1")
    edit = await b.mod.slash(b.channel, "faq edit", id=1)
    assert edit.modal is None and "There is no curated answer #1" in edit.response.content
    remove = await b.mod.slash(b.channel, "faq remove", id=1)
    assert "There is no curated answer #1" in remove.response.content
    assert await b.mod.autocomplete(b.channel, "faq show", "id", "") == []
    assert await b.mod.autocomplete(b.channel, "ask", "question", "ibuprofen") == []
    assert_error(simcord_env, Refused, contains="no curated answer #1")

    # B's own answer to the same question is B's alone, numbered in B.
    await add_curated(b, IBUPROFEN, B_ANSWER)
    assert B_ANSWER in await asked_description(b, IBUPROFEN)
    assert A_ANSWER in await asked_description(a, IBUPROFEN)
    exported = await b.mod.slash(b.channel, "faq export")
    data = yaml.safe_load(await exported.response.attachments[0].read())
    assert [e["answer"] for e in data["answers"]] == [B_ANSWER]

    # B removes its #1; A's #1 stays and is still served in A.
    removing = await b.mod.slash(b.channel, "faq remove", id=1)
    await b.mod.click(removing.response, label="Delete")
    assert A_ANSWER in await asked_description(a, IBUPROFEN)
    assert [e.answer for e in simcord_env.bot.server(a.guild.id).curated.list()] == [A_ANSWER]
    assert (state_dir / "servers" / str(a.guild.id) / "curated.yaml").exists()
    assert not (state_dir / "curated.yaml").exists()

    # An import in B changes nothing in A.
    upload = ("curated.yaml", yaml.safe_dump(data).encode())
    imported = await b.mod.slash(b.channel, "faq import", file=upload)
    await b.mod.click(last(imported), label="Import")
    assert [e.answer for e in simcord_env.bot.server(a.guild.id).curated.list()] == [A_ANSWER]
    choices = await a.mod.autocomplete(a.channel, "faq show", "id", "")
    assert [c["value"] for c in choices] == [1]


async def test_a_glossary_entry_changes_only_its_own_servers_answers(simcord_env, two):
    a, b = two
    before = await asked_description(a, ENTEROMAMMARY)
    result = await b.mod.slash(b.channel, "glossary add", term="enteromammary", means="capital france")
    assert "now searched as" in result.response.content
    assert await asked_description(a, ENTEROMAMMARY) == before
    listed = await a.mod.slash(a.channel, "glossary list")
    assert "capital france" not in everything_shown(listed)
    assert await a.mod.autocomplete(a.channel, "glossary remove", "term", "") == []
    removed = await a.mod.slash(a.channel, "glossary remove", term="enteromammary")
    assert "not in the glossary" in removed.response.content
    assert_error(simcord_env, Refused)
    assert simcord_env.bot.server(b.guild.id).glossary.get("enteromammary") is not None


async def test_uploads_are_cited_and_removable_only_in_their_server(simcord_env, two):
    a, b = two
    added = await b.mod.slash(b.channel, "kb add", file=("notes.md", NEW_DOC))
    assert "Added `notes.md`" in last(added).content
    assert "four days" in await asked_description(b, FRIDGE)
    assert "four days" not in await asked_description(a, FRIDGE)

    # A sees neither the document nor its passages; it cannot remove it.
    topics = await a.alice.slash(a.channel, "topics")
    assert "Storing expressed breast milk" not in everything_shown(topics)
    searched = await a.alice.slash(a.channel, "search", query="refrigerator four days")
    assert "Storing expressed breast milk" not in everything_shown(searched)
    assert await a.mod.autocomplete(a.channel, "kb remove", "document", "") == []
    offered = await a.alice.autocomplete(a.channel, "source", "passage", "fridge")
    assert not any("uploads/" in c["value"] for c in offered)
    b_kb = simcord_env.bot.server(b.guild.id).kb
    upload_passage = next(p.id for p in b_kb.passages if p.doc_id == "uploads/notes")
    source = await a.alice.slash(a.channel, "source", passage=upload_passage)
    assert source.response.content.startswith("No passage has that id")
    refused = await a.mod.slash(a.channel, "kb remove", document="uploads/notes")
    assert "is not an uploaded document" in last(refused).content
    assert_error(simcord_env, Refused)
    assert "four days" in await asked_description(b, FRIDGE)
    assert simcord_env.bot.server(a.guild.id).kb is simcord_env.bot.server(None).kb  # A shares the base

    # B's own removal works, and offers only B's upload.
    choices = await b.mod.autocomplete(b.channel, "kb remove", "document", "")
    assert [c["value"] for c in choices] == ["uploads/notes"]
    gone = await b.mod.slash(b.channel, "kb remove", document="uploads/notes")
    assert last(gone).content.startswith("Removed `notes.md`")


async def test_autocomplete_offers_an_upload_only_in_its_server_and_only_while_it_is_there(simcord_env, two):
    a, b = two

    async def offered(s: Side, command: str, option: str, typed: str) -> list[str]:
        return [c["name"] for c in await s.mod.autocomplete(s.channel, command, option, typed)]

    await b.mod.slash(b.channel, "kb add", file=("notes.md", NEW_DOC))
    # Typed in any case, from a word's middle: B is offered its upload's section and passage.
    assert "Fridge" in await offered(b, "ask", "question", "RIDG")
    [passage] = await offered(b, "source", "passage", "ridge")
    assert passage.startswith("Fridge — Freshly expressed breast milk keeps")
    expected = await offered(b, "kb test add", "expect", "ridg")
    assert "Section: Fridge — Storing expressed breast milk" in expected
    # A, over the shared knowledge alone, is offered none of it.
    assert await offered(a, "ask", "question", "ridg") == []
    assert await offered(a, "source", "passage", "ridg") == []
    assert await offered(a, "kb test add", "expect", "ridg") == []

    # Once removed, B's suggestions no longer offer it either.
    await b.mod.slash(b.channel, "kb remove", document="uploads/notes")
    assert await offered(b, "ask", "question", "ridg") == []
    assert await offered(b, "source", "passage", "ridg") == []
    assert await offered(b, "kb test add", "expect", "ridg") == []


async def test_a_writable_knowledge_folder_is_never_written_or_offered_for_removal(simcord_env, tmp_path):
    folder = tmp_path / "operator-kb"
    folder.mkdir()
    intro = b"# Intro\n\nColostrum is the first milk, rich in antibodies.\n"
    (folder / "intro.md").write_bytes(intro)
    config = dataclasses.replace(simcord_env.bot.config, knowledge_dir=folder)
    await simcord_env.restart_bot(create_bot(config))
    s = side(simcord_env, "A")
    assert await s.mod.autocomplete(s.channel, "kb remove", "document", "") == []
    refused = await s.mod.slash(s.channel, "kb remove", document="intro")
    assert "is not an uploaded document" in last(refused).content
    assert_error(simcord_env, Refused)
    added = await s.mod.slash(s.channel, "kb add", file=("intro.md", b"# Replaced\n\nSomething else.\n"))
    assert "Added `intro.md`" in last(added).content
    assert sorted(p.name for p in folder.iterdir()) == ["intro.md"]
    assert (folder / "intro.md").read_bytes() == intro
    assert {"intro", "uploads/intro"} <= set(simcord_env.bot.server(s.guild.id).kb.documents)


async def test_questions_votes_and_the_review_queue_stay_in_their_server(simcord_env, two):
    a, b = two
    secret = "My secret question about sourdough starters?"
    private = await a.alice.slash(a.channel, "ask", question=secret, private=True)
    asked = await a.alice.slash(a.channel, "ask", question=ENTEROMAMMARY)
    why = await a.alice.click(asked.response, label="👎")
    await a.alice.submit_modal(why, {"citebot:why:reason": "A's private reason"})
    assert private.response.ephemeral

    # B's moderators see none of it, in /review or /kb stats.
    b_review = await b.mod.slash(b.channel, "review")
    assert last(b_review).content.startswith("The review queue is empty")
    shown_in_b = everything_shown(b_review)
    assert "sourdough" not in shown_in_b and "A's private reason" not in shown_in_b
    stats = await b.mod.slash(b.channel, "kb stats")
    fields = {f.name: f.value for f in stats.response.embeds[0].fields}
    assert fields["Questions asked"] == "0" and "sourdough" not in embed_text(stats.response.embeds[0])

    # B's own queue: Dismiss and Write answer there leave A's queue as it was.
    await b.alice.slash(b.channel, "ask", question="Can I freeze pumped milk for my twins?")
    await b.alice.slash(b.channel, "ask", question="What is the capital of France?")
    message = last(await b.mod.slash(b.channel, "review"))
    dismissed = await b.mod.click(message, label="Dismiss")
    assert dismissed.response.content.startswith("Dismissed")
    shown = await b.mod.click(dismissed.response, label="Write answer")
    await b.mod.submit_modal(
        shown, {"curate:question": "What is the capital of France?", "curate:answer": "Paris."}
    )

    assert [e.answer for e in simcord_env.bot.server(b.guild.id).curated.list()] == ["Paris."]
    a_queue = last(await a.mod.slash(a.channel, "review"))
    assert "**2** question group(s) waiting" in a_queue.embeds[0].description
    assert a_queue.embeds[1].title == "My secret question about sourdough starters?"
    items = simcord_env.bot.server(a.guild.id).store.review_items(10)
    assert [i.reasons for i in items] == [(), ("A's private reason",)]
    assert len(simcord_env.bot.server(a.guild.id).curated) == 0
    a_stats = {f.name: f.value for f in (await a.mod.slash(a.channel, "kb stats")).response.embeds[0].fields}
    assert a_stats["Questions asked"] == "2"


async def test_buttons_carrying_another_servers_ids_do_nothing(simcord_env, two):
    a, b = two
    asked = await a.alice.slash(a.channel, "ask", question=ENTEROMAMMARY)
    a_answer = answer_id_of(asked.response)
    await add_curated(a, IBUPROFEN, A_ANSWER)

    # Messages in B whose buttons carry A's ids, as a forged interaction would.
    channel = simcord_env.bot.get_channel(b.channel.id)
    forged = await channel.send("forged", view=answer_view(a_answer))
    stale = await channel.send("forged", view=stale_view(1))
    messages = {m.id: m for m in b.channel.history(viewer=b.mod)}

    sources = await b.alice.click(messages[forged.id], label="Sources")
    assert "no longer in the knowledge base" in sources.response.content
    vote = await b.alice.click(messages[forged.id], label="👎")
    assert vote.modal is None and vote.response.content == "That answer is no longer on record."
    retire = await b.mod.click(messages[stale.id], label="Retire")
    assert retire.response.content == "Curated answer #1 no longer exists."

    # A's answer has no vote from B, and A's curated answer #1 is still served.
    assert simcord_env.bot.server(a.guild.id).store.vote_totals() == (0, 0)
    assert A_ANSWER in await asked_description(a, IBUPROFEN)


async def test_save_as_curated_answer_saves_in_the_servers_own_store(simcord_env, two):
    a, b = two
    posted = await b.alice.send(b.channel, IBUPROFEN)
    shown = await b.mod.context_menu(b.channel, "Save as curated answer", posted)
    await b.mod.submit_modal(shown, {"curate:question": IBUPROFEN, "curate:answer": B_ANSWER})
    assert B_ANSWER in await asked_description(b, IBUPROFEN)
    assert B_ANSWER not in await asked_description(a, IBUPROFEN)
    assert len(simcord_env.bot.server(a.guild.id).curated) == 0


async def test_solved_threads_and_privacy_choices_stay_in_their_server(simcord_env, two):
    a, b = two
    helper = simcord_env.create_user("helper")  # a member of both servers
    helpers = {a.guild.id: a.guild.add_member(helper), b.guild.id: b.guild.add_member(helper)}
    posts = {}
    for s, answer in ((a, A_ANSWER), (b, B_ANSWER)):
        forum = s.guild.create_forum_channel("questions")
        if s is a:  # only A keeps solved threads
            managers = s.guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
            admin = s.guild.add_member(simcord_env.create_user("admin-A"), roles=[managers])
            await admin.slash(s.channel, "settings solved-channel add", channel=forum)
        post = await forum_post(simcord_env, forum, s.alice, IBUPROFEN, IBUPROFEN)
        posts[s.guild.id] = (post, await helpers[s.guild.id].send(post, answer))

    marked = await a.alice.context_menu(posts[a.guild.id][0], MARK_MENU_NAME, posts[a.guild.id][1])
    assert "Marked as the solution" in everything_shown(marked)
    refused = await b.alice.context_menu(posts[b.guild.id][0], MARK_MENU_NAME, posts[b.guild.id][1])
    assert refused.response.content == NOT_OPTED_IN
    rows = {s.guild.id: simcord_env.bot.server(s.guild.id).store for s in (a, b)}
    assert [r.solution_text for r in rows[a.guild.id].solved_threads()] == [A_ANSWER]
    assert rows[b.guild.id].solved_threads() == []

    # B's moderators never see A's solved thread; a member opting out in B changes nothing in A.
    in_b = everything_shown(await b.mod.slash(b.channel, "review"))
    assert "Solved threads" not in in_b and A_ANSWER not in in_b
    await helpers[b.guild.id].slash(b.channel, "privacy opt-out")
    assert (
        rows[b.guild.id].opted_out([helper.id]) == {helper.id}
        and rows[a.guild.id].opted_out([helper.id]) == set()
    )
    assert [r.solution_text for r in rows[a.guild.id].solved_threads()] == [A_ANSWER]

    # Saved in A, it answers A's members only.
    review = await a.mod.slash(a.channel, "review")
    [page] = [m for m in review.followups if "Solved threads" in (m.content or "")]
    await a.mod.click(page, label="Save as curated")
    assert A_ANSWER in await asked_description(a, IBUPROFEN)
    assert A_ANSWER not in await asked_description(b, IBUPROFEN)
    # Deleting B's post (same title, another server) leaves A's kept thread alone.
    simcord_env.backend.delete_channel(posts[b.guild.id][0].id)
    await simcord_env.settle()
    assert len(rows[a.guild.id].solved_threads()) == 1


async def test_the_bot_leaves_servers_outside_the_allowlist(simcord_env, config, builtin_kb):
    kept = simcord_env.create_guild("Ours")
    stray = simcord_env.create_guild("Elsewhere")
    allowed = dataclasses.replace(config, guilds=frozenset({kept.id}))
    await simcord_env.restart_bot(create_bot(allowed, kb=builtin_kb))
    await simcord_env.settle()
    assert kept.id in simcord_env.backend.guilds and stray.id not in simcord_env.backend.guilds

    later = simcord_env.create_guild("Added later")
    await simcord_env.settle()
    assert later.id not in simcord_env.backend.guilds
    assert {g.id for g in simcord_env.bot.guilds} == {kept.id}


async def test_messages_from_a_server_outside_the_allowlist_are_not_answered(simcord_env, two):
    a, b = two
    bot = simcord_env.bot
    bot.config = dataclasses.replace(bot.config, guilds=frozenset({a.guild.id}))
    await b.alice.send(b.channel, f"{b.guild.me.mention} {ENTEROMAMMARY}")
    assert b.channel.last_message.author.id == b.alice.id  # no reply
    await a.alice.send(a.channel, f"{a.guild.me.mention} {ENTEROMAMMARY}")
    assert a.channel.last_message.author.id == a.guild.me.id


# -- upgrading from the single-pool layout -------------------------------------------------------------

OLD_CURATED = f"""\
version: 1
answers:
- id: 1
  question: "{IBUPROFEN}"
  answer: "{A_ANSWER}"
  sources: []
"""


def old_layout(state, guild_ids: list[int]) -> None:
    """A state folder as an older citebot left it: one pool of curated answers, glossary and
    uploads, and a schema-2 store whose answers name the servers they were given in."""
    state.mkdir(parents=True)
    (state / "curated.yaml").write_text(OLD_CURATED)
    (state / "glossary.yaml").write_text("version: 1\nterms:\n- term: tummy\n  means: gut\n")
    (state / "knowledge").mkdir()
    (state / "knowledge" / "notes.md").write_bytes(NEW_DOC)
    db = sqlite3.connect(state / STORE_FILE)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for script in scripts(SQLITE)[:2]:
        db.executescript(script)
    db.execute("INSERT INTO schema_version VALUES (2)")
    for n, guild_id in enumerate(guild_ids):
        db.execute(
            "INSERT INTO answers (id, question, passage_ids, answered, guild_id, created_at)"
            " VALUES (?, 'an old question?', '[]', 0, ?, ?)",
            (f"{n:012x}", guild_id, float(n)),
        )
    db.commit()
    db.close()


async def test_an_upgrade_moves_the_single_pool_to_the_one_server_it_served(
    simcord_env, config, builtin_kb, tmp_path, caplog
):
    a, b = side(simcord_env, "A"), side(simcord_env, "B")
    state = tmp_path / "old-state"
    old_layout(state, [a.guild.id, a.guild.id])
    caplog.set_level(logging.WARNING, logger="knowledge.tenancy")
    await simcord_env.restart_bot(create_bot(dataclasses.replace(config, state_dir=state), kb=builtin_kb))

    assert A_ANSWER in await asked_description(a, IBUPROFEN)
    assert "four days" in await asked_description(a, FRIDGE)
    assert A_ANSWER not in await asked_description(b, IBUPROFEN)
    assert "four days" not in await asked_description(b, FRIDGE)
    own = state / "servers" / str(a.guild.id)
    assert (own / "curated.yaml").read_text() == OLD_CURATED and (own / "knowledge" / "notes.md").exists()
    [backup] = state.glob("backup-*")
    assert (backup / "curated.yaml").read_text() == OLD_CURATED and (backup / "glossary.yaml").exists()
    assert any(f"to server {a.guild.id}" in r.getMessage() for r in caplog.records)
    queue = last(await a.mod.slash(a.channel, "review"))
    assert "an old question?" in "\n".join(embed_text(e) for e in queue.embeds)


async def test_with_several_servers_the_single_pool_waits_for_the_operator(
    simcord_env, config, builtin_kb, tmp_path, caplog
):
    a, b = side(simcord_env, "A"), side(simcord_env, "B")
    state = tmp_path / "old-state"
    old_layout(state, [a.guild.id, b.guild.id])
    caplog.set_level(logging.WARNING, logger="knowledge.tenancy")
    await simcord_env.restart_bot(create_bot(dataclasses.replace(config, state_dir=state), kb=builtin_kb))

    for s in (a, b):
        assert A_ANSWER not in await asked_description(s, IBUPROFEN)
    assert (state / "curated.yaml").read_text() == OLD_CURATED
    assert any("citebot state assign --server ID" in r.getMessage() for r in caplog.records)
