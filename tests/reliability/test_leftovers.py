"""What interrupted work leaves behind: half-built index folders and temporary files from killed
writes are cleaned at start; a form submitted after a restart is still answered; a mention in a
channel where the bot may not speak gets a private notice."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import time

import discord
from reliability_helpers import server

from bot import create_bot
from bot.app import FORM_EXPIRED
from bot.config import Config
from bot.exts._curating import SAVED
from knowledge.kb import KnowledgeBase
from knowledge.saved_index import cache_slot
from knowledge.store import Store

ANSWERABLE = "What is the enteromammary immune system?"
HOUR_AGO = time.time() - 3600


def _age(path, when: float = HOUR_AGO) -> None:
    os.utime(path, (when, when))


def test_abandoned_index_builds_are_removed_at_load(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "milk.md").write_text("# Milk\n\nColostrum is the first milk after birth.\n")
    state = tmp_path / "state"
    KnowledgeBase.from_folder(folder, state_dir=state)
    slot = cache_slot(folder.resolve(), state)
    dead = slot / ".building-999999999-abc"  # its process is gone
    old = slot / ".building-xyz"  # an older citebot's name, an hour old
    live = slot / f".building-{os.getpid()}-live"  # a build running in this process now
    for path in (dead, old, live):
        (path / "index").mkdir(parents=True)
        (path / "index" / "part.npz").write_bytes(b"\0" * 1024)
    _age(old)
    KnowledgeBase.from_folder(folder, state_dir=state)
    assert not dead.exists() and not old.exists()
    assert live.exists()


def test_temporary_files_of_killed_writes_are_removed_at_start(tmp_path, builtin_kb, caplog):
    state = tmp_path / "state"
    server_folder = state / "servers" / "42"
    server_folder.mkdir(parents=True)
    stale = [state / ".citebot.yaml.abc123.tmp", server_folder / ".curated.yaml.k2j3.tmp"]
    for path in stale:
        path.write_text("half a file")
        _age(path)
    fresh = server_folder / ".glossary.yaml.q9.tmp"  # a write in progress
    fresh.write_text("being written")
    bot = create_bot(Config(state_dir=state), kb=builtin_kb)
    with caplog.at_level(logging.INFO, logger="knowledge.atomic"):
        store, _ = bot._open_state()
    store.close()
    assert not any(p.exists() for p in stale) and fresh.exists()
    assert "interrupted writes" in caplog.text


# -- forms submitted after a restart --------------------------------------------------------------


def _answer_id(message) -> str:
    components = message.components
    text = repr(components if isinstance(components, list) else [c.to_dict() for c in components])
    return re.search(r"citebot:vote:([0-9a-f]{12}):up", text).group(1)


def form(answer: str) -> dict[str, str]:
    return {"curate:question": "What is colostrum?", "curate:answer": answer}


async def _restart(env, state_dir, builtin_kb) -> None:
    config = env.bot.config
    await env.restart_bot(create_bot(Config(state_dir=state_dir), kb=builtin_kb))
    env.bot.config = config  # the moderator role the test server configured


async def test_a_not_helpful_reason_sent_after_a_restart_is_kept(simcord_env, state_dir, builtin_kb):
    s = server(simcord_env)
    r = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    answer_id = _answer_id(r.response)
    shown = await s.member.click(r.response, custom_id=f"citebot:vote:{answer_id}:down")
    await _restart(simcord_env, state_dir, builtin_kb)
    sent = await s.member.submit_modal(shown, {"citebot:why:reason": "It skipped the gut part."})
    assert sent.response.content.startswith("Thanks, noted.")
    store = Store.in_folder(state_dir)
    try:
        [item] = store.server(s.guild.id).review_items(10)
        assert item.reasons == ("It skipped the gut part.",)
    finally:
        store.close()


async def test_a_curated_form_sent_after_a_restart_is_saved(simcord_env, state_dir, builtin_kb):
    s = server(simcord_env)
    shown = await s.manager.slash(s.channel, "faq add")
    await _restart(simcord_env, state_dir, builtin_kb)
    saved = await s.manager.submit_modal(shown, form("The first milk."))
    assert SAVED.format(id=1) in saved.response.content
    assert simcord_env.bot.server(s.guild.id).curated.get(1).answer == "The first milk."


async def test_an_edit_form_sent_after_a_restart_still_respects_newer_changes(
    simcord_env, state_dir, builtin_kb
):
    s = server(simcord_env)
    shown = await s.manager.slash(s.channel, "faq add")
    await s.manager.submit_modal(shown, form("Milk."))
    stale = await s.manager.slash(s.channel, "faq edit", id=1)
    fresh = await s.admin.slash(s.channel, "faq edit", id=1)
    await s.admin.submit_modal(fresh, form("The first milk."))
    await _restart(simcord_env, state_dir, builtin_kb)
    late = await s.manager.submit_modal(stale, form("Old."))
    assert "Not saved" in late.response.content and "Old." in late.response.content
    assert simcord_env.bot.server(s.guild.id).curated.get(1).answer == "The first milk."


async def test_an_unknown_form_after_a_restart_is_answered_with_the_typed_text(
    simcord_env, state_dir, builtin_kb
):
    s = server(simcord_env)
    r = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    answer_id = _answer_id(r.response)
    shown = await s.member.click(r.response, custom_id=f"citebot:vote:{answer_id}:down")
    shown._interaction.modal["custom_id"] = "citebot:retired-form:1"  # a form this citebot no longer knows
    await _restart(simcord_env, state_dir, builtin_kb)
    sent = await s.member.submit_modal(shown, {"citebot:why:reason": "Too long."})
    assert sent.response.content.startswith(FORM_EXPIRED) and "Too long." in sent.response.content


# -- no permission to speak -----------------------------------------------------------------------


async def test_a_mention_where_the_bot_cannot_speak_gets_a_private_notice(simcord_env, caplog):
    s = server(simcord_env)
    me = s.guild.me
    muted = s.guild.create_text_channel(
        "read-only", overwrites={me: discord.PermissionOverwrite(send_messages=False)}
    )
    with caplog.at_level(logging.WARNING, logger="bot.utils"):
        await s.member.send(muted, f"{simcord_env.bot.user.mention} {ANSWERABLE}")
    assert all(m.author.id != simcord_env.bot.user.id for m in muted.history(viewer=s.member))
    [notice] = [m for m in s.member.user.dm_channel.history() if m.author.id == simcord_env.bot.user.id]
    assert "Send Messages" in notice.content and muted.mention in notice.content
    assert "missing Send Messages" in caplog.text


async def test_a_mention_where_the_bot_cannot_open_its_answer_thread_names_that_permission(simcord_env):
    s = server(simcord_env)
    bot = simcord_env.bot
    bot.config = dataclasses.replace(
        bot.config, answers=dataclasses.replace(bot.config.answers, reply_in_thread=True)
    )
    no_threads = s.guild.create_text_channel(
        "no-threads", overwrites={s.guild.me: discord.PermissionOverwrite(create_public_threads=False)}
    )
    await s.member.send(no_threads, f"{bot.user.mention} {ANSWERABLE}")
    [notice] = [m for m in s.member.user.dm_channel.history() if m.author.id == bot.user.id]
    assert "Create Public Threads" in notice.content
