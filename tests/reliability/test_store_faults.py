"""The state store failing under the bot: a full disk, another process's write lock, a read-only
state folder, a damaged file. Members are always answered, with every safety notice; recording
is best effort, and nothing waits for SQLite on the event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import threading
import time

import pytest
from reliability_helpers import server
from simcord import assert_error

from bot import create_bot
from bot.__main__ import main as citebot
from bot.answering import NOT_RECORDED, VOTES_UNAVAILABLE
from bot.config import Config
from knowledge.safety import RedFlags
from knowledge.store import STORE_FILE, Store, StoreUnavailable

RED_FLAG = "My newborn baby has a fever and is breathing fast, is colostrum enough?"
RED_FLAG_NOTICE = RedFlags().check(RED_FLAG).message
ANSWERABLE = "What is the enteromammary immune system?"


def answer_id_of(message) -> str:
    """The answer id carried by a reply's vote buttons (the reply must have them)."""
    components = message.components
    text = repr(components if isinstance(components, list) else [c.to_dict() for c in components])
    found = re.search(r"citebot:vote:([0-9a-f]{12}):up", text)
    assert found, f"no answer buttons on {message!r}"
    return found.group(1)


def _disk_full(monkeypatch) -> list[str]:
    """Every change to the store fails as on a full disk; returns the statements refused."""
    refused: list[str] = []

    def full(self, sql, params):
        refused.append(sql)
        raise StoreUnavailable("The bot's records can't be used right now (database or disk is full).")

    monkeypatch.setattr(Store, "_execute", full)
    return refused


async def test_a_full_disk_still_answers_with_every_notice(simcord_env, monkeypatch):
    s = server(simcord_env)
    config = simcord_env.bot.config
    earlier = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    earlier_id = answer_id_of(earlier.response)
    refused = _disk_full(monkeypatch)

    r = await s.member.slash(s.channel, "ask", question=RED_FLAG)
    message = r.response
    assert RED_FLAG_NOTICE in message.content
    assert config.notices.medical in message.content  # not known to be shown today: shown
    assert message.embeds and "went wrong" not in (message.content or "")
    assert not message.components  # no buttons that would find no answer on record
    assert message.embeds[0].footer.text == NOT_RECORDED
    assert refused

    # A vote on an earlier answer is thanked and said to be unrecordable, not an error.
    vote = await s.member.click(earlier.response, custom_id=f"citebot:vote:{earlier_id}:up")
    assert vote.response.content == VOTES_UNAVAILABLE
    down = await s.member.click(earlier.response, custom_id=f"citebot:vote:{earlier_id}:down")
    assert down.response.content == VOTES_UNAVAILABLE  # no reason form whose text would be lost


async def test_a_full_disk_still_answers_mentions(simcord_env, monkeypatch):
    s = server(simcord_env)
    _disk_full(monkeypatch)
    await s.member.send(s.channel, f"{simcord_env.bot.user.mention} {RED_FLAG}")
    reply = s.channel.last_message
    assert reply.author.id == simcord_env.bot.user.id
    assert RED_FLAG_NOTICE in reply.content
    assert reply.embeds and not reply.components


async def test_another_process_holding_the_write_lock_delays_the_answer_only_briefly(
    simcord_env, state_dir, caplog
):
    s = server(simcord_env)
    holder = sqlite3.connect(state_dir / STORE_FILE, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write lock, held throughout
    try:
        with caplog.at_level(logging.INFO, logger="knowledge.store.sqlite"):
            r = await s.member.slash(s.channel, "ask", question=RED_FLAG)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert RED_FLAG_NOTICE in r.response.content
    assert r.response.embeds and not r.response.components
    # Counted, not timed: the store waited for the lock once (SQLite's busy timeout, 2 s) and
    # then went on without recording; no second wait, no retry.
    said = [rec.getMessage() for rec in caplog.records if rec.name == "knowledge.store.sqlite"]
    gave_up = [m for m in said if "unavailable" in m]
    assert len(gave_up) == 1 and "locked" in gave_up[0], said
    assert not any("retrying" in m for m in said), said


def test_a_writer_waiting_for_a_lock_holds_nothing_other_threads_need(tmp_path):
    store = Store(tmp_path / STORE_FILE)
    rows = store.server(1)
    known = rows.record_answer("q", ["p"], True, user_id=5)
    holder = sqlite3.connect(tmp_path / STORE_FILE, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    outcome: dict[str, object] = {}

    def write() -> None:
        try:
            outcome["id"] = rows.record_answer("waiting", ["p"], True, user_id=6)
        except StoreUnavailable as exc:
            outcome["error"] = exc

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.2)  # the writer is now waiting for the lock
    # A read on another thread is served at once; only then is the lock released, so the
    # writer, still within its wait, succeeds. Were the read queued behind the writer, the writer
    # would time out first.
    assert rows.answer(known).question == "q"
    holder.execute("COMMIT")
    writer.join()
    holder.close()
    assert "error" not in outcome and rows.answer(outcome["id"]).question == "waiting"
    store.close()


async def test_nothing_touches_sqlite_on_the_event_loop(simcord_env, monkeypatch):
    s = server(simcord_env)
    on_loop: list[str] = []
    run = Store._run

    def guarded(self, what):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # a worker thread: fine
        else:
            on_loop.append(repr(what))
        return run(self, what)

    monkeypatch.setattr(Store, "_run", guarded)
    r = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    answer_id = answer_id_of(r.response)
    await s.member.click(r.response, custom_id=f"citebot:src:{answer_id}")
    await s.member.click(r.response, custom_id=f"citebot:vote:{answer_id}:up")
    shown = await s.member.click(r.response, custom_id=f"citebot:vote:{answer_id}:down")
    await s.member.submit_modal(shown, {"citebot:why:reason": "too vague"})
    await s.member.send(s.channel, f"{simcord_env.bot.user.mention} {ANSWERABLE}")
    await s.member.send(s.channel, "and how does IgA get there?", reply_to=s.channel.last_message)
    assert s.channel.last_message.author.id == simcord_env.bot.user.id
    await s.manager.slash(s.channel, "review")
    await s.manager.slash(s.channel, "kb stats")
    assert on_loop == []


def test_a_damaged_store_is_moved_aside_and_a_fresh_one_started(tmp_path, caplog):
    path = tmp_path / STORE_FILE
    path.write_bytes(b"this is not an SQLite database\n" * 200)
    with caplog.at_level(logging.ERROR, logger="knowledge.store.sqlite"):
        store = Store(path)
    try:
        assert store.moved_aside is not None and store.moved_aside.name.startswith(f"{STORE_FILE}.corrupt-")
        assert store.moved_aside.read_bytes().startswith(b"this is not an SQLite database")
        assert str(store.moved_aside) in caplog.text
        rows = store.server(1)
        assert rows.answer(rows.record_answer("q", [], False)).question == "q"
    finally:
        store.close()


def _damage_pages(path) -> None:
    """Overwrite the middle of a real database's pages, keeping its header valid."""
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page, len(data) - page, page):
        data[offset + 8 : offset + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))


def test_a_store_with_damaged_pages_is_moved_aside(tmp_path):
    path = tmp_path / STORE_FILE
    store = Store(path)
    rows = store.server(1)
    for n in range(300):
        rows.record_answer(f"question {n} " + "x" * 200, ["p"], True, user_id=n)
    store.close()
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    _damage_pages(path)
    store = Store(path)
    try:
        assert store.moved_aside is not None
        assert store.server(1).answer_totals() == (0, 0)
    finally:
        store.close()


async def test_the_bot_starts_on_a_damaged_store(simcord_env, state_dir, builtin_kb, caplog):
    (state_dir / STORE_FILE).write_bytes(b"garbage" * 1000)
    for suffix in ("-wal", "-shm"):
        (state_dir / f"{STORE_FILE}{suffix}").unlink(missing_ok=True)
    with caplog.at_level(logging.ERROR, logger="knowledge.store.sqlite"):
        await simcord_env.restart_bot(create_bot(Config(state_dir=state_dir), kb=builtin_kb))
    assert "moved to" in caplog.text
    s = server(simcord_env)
    r = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    answer_id_of(r.response)  # recorded again: the buttons are there
    assert list(state_dir.glob(f"{STORE_FILE}.corrupt-*"))


def test_index_check_reports_a_damaged_store(tmp_path, capsys):
    state = tmp_path / "state"
    state.mkdir()
    (state / STORE_FILE).write_bytes(b"garbage" * 1000)
    status = citebot(["index", "--check", "--state-dir", str(state)])
    out = capsys.readouterr().out
    assert status == 1 and "the state store is damaged" in out and "no problems found" not in out


@pytest.fixture
def unwritable_state(tmp_path, monkeypatch):
    """A state folder that cannot be created: its parent is a file (as a read-only folder is for
    root, who may write anywhere)."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    folder = blocker / "state"
    monkeypatch.setenv("CITEBOT_STATE_DIR", str(folder))
    return folder


async def test_the_bot_starts_read_only_when_the_state_folder_cannot_be_written(
    simcord_env, unwritable_state, builtin_kb, caplog
):
    with caplog.at_level(logging.WARNING, logger="knowledge.store.sqlite"):
        await simcord_env.restart_bot(create_bot(Config(state_dir=unwritable_state), kb=builtin_kb))
    assert "READ-ONLY MODE" in caplog.text
    s = server(simcord_env)
    r = await s.member.slash(s.channel, "ask", question=RED_FLAG)
    assert RED_FLAG_NOTICE in r.response.content
    # That one is declined (no votes under a decline): an answered question has them.
    answered = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    answer_id = answer_id_of(answered.response)  # kept in memory, so the buttons work until restart
    vote = await s.member.click(answered.response, custom_id=f"citebot:vote:{answer_id}:up")
    assert "glad it helped" in vote.response.content


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_serves_the_old_answers(tmp_path):
    path = tmp_path / "state" / STORE_FILE
    store = Store(path)
    known = store.server(1).record_answer("old question", ["p"], True)
    store.close()
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    path.parent.chmod(0o555)
    path.chmod(0o444)
    try:
        store = Store(path)
        assert store.read_only
        assert store.server(1).answer(known).question == "old question"
        new = store.server(1).record_answer("new", [], True)
        assert store.server(1).answer(new).question == "new"
        store.close()
    finally:
        path.parent.chmod(0o755)


async def test_asks_that_fail_on_the_bots_side_do_not_use_up_the_cooldown(simcord_env, monkeypatch):
    s = server(simcord_env)
    rate = simcord_env.bot.config.cooldown.rate

    async def broken(*args, **kwargs):
        raise RuntimeError("the answer engine failed")

    monkeypatch.setattr(type(simcord_env.bot.answers), "ask", broken)
    for _ in range(rate + 1):
        failed = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
        assert "went wrong" in (failed.followups[-1] if failed.followups else failed.response).content
    assert_error(simcord_env, RuntimeError)
    monkeypatch.undo()
    answered = await s.member.slash(s.channel, "ask", question=ANSWERABLE)
    assert answered.response.embeds  # not "Slow down"


def test_a_real_full_database_raises_store_unavailable_after_one_retry(tmp_path, monkeypatch, caplog):
    connect = Store._connect

    def small(self, target, *, uri=False):
        db = connect(self, target, uri=uri)
        db.execute("PRAGMA max_page_count=40")  # SQLITE_FULL once the file reaches 40 pages
        return db

    monkeypatch.setattr(Store, "_connect", small)
    store = Store(tmp_path / STORE_FILE)
    rows = store.server(1)
    first = rows.record_answer("kept", ["p"], True)
    with caplog.at_level(logging.INFO, logger="knowledge.store.sqlite"), pytest.raises(StoreUnavailable):
        for n in range(10_000):
            rows.record_answer(f"question {n} " + "x" * 500, ["p"], True)
    assert "retrying once" in caplog.text and "full" in caplog.text
    assert rows.answer(first).question == "kept"  # reading goes on
    store.close()
