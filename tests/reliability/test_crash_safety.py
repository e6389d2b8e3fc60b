"""Crash safety: state files survive SIGKILL at any moment, and an unwritable state folder loses no
moderator's edit.

A real process (crash_writer.py, started by a fork server) writes curated answers, glossary terms
and feedback in a loop and is killed with SIGKILL at random moments, many times over the same state
folder. After every kill each file must be a whole version the writer produced: YAML that parses
and validates, never empty or torn; SQLite that passes ``PRAGMA integrity_check`` and is still in
WAL mode.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import random
import re
import signal
import sqlite3
import time
from pathlib import Path

import crash_writer
import pytest

from bot.exts._curating import SAVED
from knowledge import atomic
from knowledge.atomic import StateWriteError
from knowledge.curated import CuratedStore, parse_curated
from knowledge.glossary import Glossary, parse_glossary

KILLS = 40
WAIT_S = 300  # a guard against a hung writer on a busy machine, not a measure of speed
ANSWER = re.compile(r"(Edited answer|Answer) (\d+)( [xy]+)?")


@pytest.fixture(scope="module")
def writers():
    """Writer processes from a fork server that has already imported the state code."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["crash_writer"])
    return context


def check_state(state_dir: Path) -> tuple[int, int, int]:
    """Assert every file is whole and valid; returns (highest curated id, feedback rows, answers
    without their vote)."""
    curated_text = (state_dir / "curated.yaml").read_text(encoding="utf-8")
    assert curated_text.strip(), "curated.yaml is empty"
    answers = parse_curated(curated_text, "curated.yaml")  # raises on torn YAML or invalid entries
    assert answers, "curated.yaml lost every answer"
    for entry in answers:
        assert entry.question == f"Question {entry.id}"
        found = ANSWER.fullmatch(entry.answer)
        assert found and int(found.group(2)) == entry.id, entry.answer
    backup = state_dir / "curated.yaml.bak"
    if backup.exists():
        parse_curated(backup.read_text(encoding="utf-8"), "curated.yaml.bak")

    glossary_path = state_dir / "glossary.yaml"
    if glossary_path.exists():
        terms = parse_glossary(glossary_path.read_text(encoding="utf-8"), "glossary.yaml")
        for term in terms:
            assert term.means == term.term.replace("word", "meaning")

    # A fresh reader gets exactly what the files hold, with no load error.
    assert CuratedStore.in_state_dir(state_dir).load_error is None
    assert Glossary.in_state_dir(state_dir).load_error is None

    db = sqlite3.connect(state_dir / "citebot.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        answers_rows = db.execute("SELECT count(*) FROM answers").fetchone()[0]
        feedback_rows = db.execute("SELECT count(*) FROM feedback").fetchone()[0]
        # Each round records an answer, then its feedback: only answers a kill cut off lack a vote.
        assert feedback_rows <= answers_rows
        bad = db.execute(
            "SELECT count(*) FROM feedback f JOIN answers a ON a.id = f.answer_id"
            " WHERE f.reason != 'reason ' || f.user_id OR a.user_id != f.user_id"
        ).fetchone()[0]
        assert bad == 0
    finally:
        db.close()
    return max(entry.id for entry in answers), feedback_rows, answers_rows - feedback_rows


def test_state_files_survive_sigkill_at_random_moments(tmp_path, writers):
    state_dir = tmp_path / "state"
    rng = random.Random(20261127)
    highest, votes, unvoted = 0, 0, 0
    rounds_done = 0
    for kill in range(KILLS):
        # Killed after a random number of whole rounds and then a random moment into the next: the
        # rounds make progress certain however slow the machine, the moment lands anywhere.
        ready, rounds = writers.Event(), rng.randint(1, 3)
        writer = writers.Process(target=crash_writer.run, args=(state_dir, ready, rounds), daemon=True)
        writer.start()
        try:
            assert ready.wait(timeout=WAIT_S), f"kill {kill}: the writer never got going"
            time.sleep(rng.uniform(0.0, 0.12))
        finally:
            os.kill(writer.pid, signal.SIGKILL)
            writer.join(timeout=WAIT_S)
        rounds_done += rounds
        assert writer.exitcode == -signal.SIGKILL, f"kill {kill}: the writer stopped on its own"
        new_highest, new_votes, new_unvoted = check_state(state_dir)
        # Never an older version than one already seen: what was written stays written.
        assert new_highest >= highest and new_votes >= votes
        # A kill between recording an answer and its vote leaves that one answer without a vote.
        assert unvoted <= new_unvoted <= unvoted + 1
        highest, votes, unvoted = new_highest, new_votes, new_unvoted
    assert highest >= rounds_done > KILLS  # every round a writer finished stayed written


# -- a state folder that cannot be written ----------------------------------------------------------


def test_a_state_folder_under_a_file_gives_a_clear_error_and_keeps_the_edit(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be")
    state_dir = blocker / "state"
    curated = CuratedStore.in_state_dir(state_dir)
    with pytest.raises(StateWriteError) as raised:
        curated.add("Is ibuprofen safe while breastfeeding?", "Yes, at usual doses.", author="mod")
    message = str(raised.value)
    assert "curated.yaml" in message and "could not write" in message
    # The edit is served from memory and remembered as pending.
    assert curated.pending
    assert curated.match("is ibuprofen safe while breastfeeding") is not None

    glossary = Glossary.in_state_dir(state_dir)
    with pytest.raises(StateWriteError, match=r"glossary\.yaml"):
        glossary.add("first milk", "colostrum", author="mod")
    assert glossary.expand("what is first milk").text == "what is colostrum"

    # Once the operator fixes the folder, the next flush writes what was kept.
    blocker.unlink()
    curated.flush()
    glossary.flush()
    assert not curated.pending
    [saved] = parse_curated((state_dir / "curated.yaml").read_text(), "curated.yaml")
    assert saved.question == "Is ibuprofen safe while breastfeeding?"
    [term] = parse_glossary((state_dir / "glossary.yaml").read_text(), "glossary.yaml")
    assert (term.term, term.means) == ("first milk", "colostrum")


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC])
async def test_moderators_are_told_when_the_disk_refuses_and_nothing_is_lost(
    simcord_env, state_dir, monkeypatch, code
):
    from reliability_helpers import last_message, server

    s = server(simcord_env)
    files = state_dir / "servers" / str(s.guild.id)  # the server's own curated answers and glossary
    real_replace = os.replace

    def refuse(src, dst, *args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic.os, "replace", refuse)
    shown = await s.manager.slash(s.channel, "faq add")
    saved = await s.manager.submit_modal(
        shown,
        {
            "curate:question": "Is ibuprofen safe while breastfeeding?",
            "curate:answer": "Yes, at usual doses.",
            "curate:phrasings": "",
            "curate:sources": "",
        },
    )
    reply = last_message(saved).content
    assert SAVED.format(id=1) in reply
    assert "could not be saved to disk" in reply and os.strerror(code) in reply
    added = await s.manager.slash(s.channel, "glossary add", term="first milk", means="colostrum")
    assert "could not be saved to disk" in last_message(added).content
    assert not (files / "curated.yaml").exists()
    assert not [p for p in state_dir.rglob("*.tmp")]  # no debris left

    # Members get the moderators' answer meanwhile, from memory.
    asked = await s.member.slash(s.channel, "ask", question="is ibuprofen safe while breastfeeding")
    assert asked.response.embeds[0].description.startswith("**Answer from the moderators**\nYes")

    # The disk recovers: the next change writes everything that was kept.
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    shown = await s.manager.slash(s.channel, "faq add")
    await s.manager.submit_modal(
        shown,
        {
            "curate:question": "Can I drink coffee while breastfeeding?",
            "curate:answer": "In moderation.",
            "curate:phrasings": "",
            "curate:sources": "",
        },
    )
    on_disk = parse_curated((files / "curated.yaml").read_text(), "curated.yaml")
    assert [a.id for a in on_disk] == [1, 2]
    await s.manager.slash(s.channel, "glossary add", term="foremilk", means="milk at the start of a feed")
    terms = parse_glossary((files / "glossary.yaml").read_text(), "glossary.yaml")
    assert {t.term for t in terms} == {"first milk", "foremilk"}
