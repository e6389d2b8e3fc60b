"""Solved threads in the state store, on both backends: only the question and the marked solution
are kept, per server; saving makes a curated answer that links back; deleting, editing and opting
out change what is kept, and nothing of one server reaches another."""

from __future__ import annotations

import pytest
import yaml

from knowledge.curated import CuratedStore
from knowledge.errors import NotFoundError
from knowledge.solved import DISMISSED, SAVED, STALE, WAITING, NotKept, Post, SolvedThreads

A, B = 1111, 2222
OPENER, HELPER, MOD = 11, 12, 13


def solved(store, guild: int, tmp_path) -> SolvedThreads:
    rows = store.server(guild)
    return SolvedThreads(rows, CuratedStore(rows.state_file(tmp_path / str(guild) / "curated.yaml")))


def mark(threads: SolvedThreads, thread_id: int = 500, solution_id: int = 502, **changes) -> object:
    values = dict(
        channel_id=400,
        thread_id=thread_id,
        title="Enough milk?",
        question=Post(thread_id, "How can I tell my baby is getting enough milk?", OPENER),
        solution=Post(solution_id, "Count the wet diapers: six or more a day after day five.", HELPER),
        marked_by=OPENER,
    )
    values.update(changes)
    return threads.mark(**values)


def test_a_marked_solution_waits_for_review_and_becomes_a_curated_answer(open_state, tmp_path):
    store = open_state()
    threads = solved(store, A, tmp_path)
    record = mark(threads)
    assert [r.id for r in threads.to_review()] == [record.id] and record.status == WAITING
    assert record.solution_link == f"https://discord.com/channels/{A}/500/502"

    entry = threads.save_as_curated(record.id, by="mod")
    assert entry.question == "How can I tell my baby is getting enough milk?"
    assert entry.phrasings == ["Enough milk?"]
    assert entry.answer.startswith("Count the wet diapers")
    assert entry.answer.endswith(f"“Enough milk?”: https://discord.com/channels/{A}/500/502")
    assert threads.to_review() == [] and threads.get(record.id).status == SAVED
    assert threads.curated.match("how do I know if my baby gets enough milk?").answer.id == entry.id

    # Marked again (a better answer came): waits again, and saving updates the same curated answer.
    again = mark(threads, solution_id=503, solution=Post(503, "Weigh the baby weekly.", HELPER))
    assert again.id == record.id and again.status == STALE
    updated = threads.save_as_curated(record.id, by="mod")
    assert updated.id == entry.id and updated.answer.startswith("Weigh the baby weekly.")
    assert len(threads.curated.list()) == 1


def test_deleting_the_solution_or_thread_removes_it_and_its_curated_answer(open_state, tmp_path):
    threads = solved(open_state(), A, tmp_path)
    first = mark(threads)
    entry = threads.save_as_curated(first.id, by="mod")
    assert [r.id for r in threads.forget_message(502)] == [first.id]
    assert threads.curated.get(entry.id) is None and threads.rows.solved_threads() == []
    with pytest.raises(NotFoundError):
        threads.save_as_curated(first.id, by="mod")

    mark(threads, thread_id=600, solution_id=602)
    mark(threads, thread_id=700, solution_id=702)
    assert [r.thread_id for r in threads.forget_thread(600)] == [600]
    assert [r.thread_id for r in threads.rows.solved_threads()] == [700]


def test_an_opted_out_member_is_never_kept_and_what_was_kept_goes(open_state, tmp_path):
    threads = solved(open_state(), A, tmp_path)
    kept = mark(threads)
    entry = threads.save_as_curated(kept.id, by="mod")
    mark(threads, thread_id=600, solution_id=602, solution=Post(602, "Ask a lactation consultant.", MOD))

    removed = threads.opt_out(HELPER)
    assert [r.id for r in removed] == [kept.id] and threads.curated.get(entry.id) is None
    assert threads.is_opted_out(HELPER)
    with pytest.raises(NotKept, match="asked that none of their messages be kept"):
        mark(threads, thread_id=800, solution_id=802)
    with pytest.raises(NotKept, match="opened this thread"):
        mark(threads, thread_id=900, question=Post(900, "Help?", HELPER), solution=Post(902, "Yes.", MOD))
    assert [r.thread_id for r in threads.rows.solved_threads()] == [600]

    assert threads.opt_in(HELPER) and not threads.is_opted_out(HELPER)
    assert mark(threads, thread_id=800, solution_id=802).status == WAITING


def test_an_edited_solution_is_kept_as_edited_and_stale_once_saved(open_state, tmp_path):
    threads = solved(open_state(), A, tmp_path)
    waiting = mark(threads, thread_id=600, solution_id=602)
    saved = mark(threads)
    entry = threads.save_as_curated(saved.id, by="mod")

    [changed] = threads.edited(502, "Count wet diapers: at least six a day.")
    assert changed.status == STALE and changed.solution_text == "Count wet diapers: at least six a day."
    assert threads.curated.get(entry.id).status == "stale"
    [still] = threads.edited(602, "edited while waiting")
    assert still.id == waiting.id and still.status == WAITING
    assert {r.id for r in threads.to_review()} == {waiting.id, saved.id}

    updated = threads.save_as_curated(saved.id, by="mod")
    assert updated.status == "active" and updated.answer.startswith("Count wet diapers: at least six")
    assert threads.dismiss(waiting.id) and threads.get(waiting.id).status == DISMISSED
    assert threads.to_review() == []


def test_nothing_of_one_server_reaches_another(open_state, tmp_path):
    store = open_state()
    a, b = solved(store, A, tmp_path), solved(store, B, tmp_path)
    record = mark(a)
    assert b.to_review() == [] and b.rows.solved(record.id) is None
    assert b.rows.solved_in_thread(500) is None
    assert not b.dismiss(record.id)
    with pytest.raises(NotFoundError):
        b.save_as_curated(record.id, by="mod of B")
    # B's deletions, edits and opt-outs never touch A's rows.
    assert b.forget_message(502) == [] and b.forget_thread(500) == [] and b.edited(502, "B's text") == []
    assert b.opt_out(HELPER) == []
    assert a.get(record.id).solution_text.startswith("Count the wet diapers") and not a.is_opted_out(HELPER)
    assert yaml.safe_load(b.export_yaml())["threads"] == []
    # A member opted out in A may still be kept in B (each server asks its own members).
    a.opt_out(OPENER)
    assert mark(b, solution=Post(502, "Weigh the baby weekly.", MOD)).status == WAITING


def test_export_lists_question_solution_authors_and_links(open_state, tmp_path):
    threads = solved(open_state(), A, tmp_path)
    saved = mark(threads)
    threads.save_as_curated(saved.id, by="mod")
    dismissed = mark(threads, thread_id=600, solution_id=602)
    threads.dismiss(dismissed.id)
    exported = yaml.safe_load(threads.export_yaml())
    assert exported["server"] == A
    [thread] = exported["threads"]
    assert thread == {
        "title": "Enough milk?",
        "question": "How can I tell my baby is getting enough milk?",
        "question_author": OPENER,
        "solution": "Count the wet diapers: six or more a day after day five.",
        "solution_author": HELPER,
        "marked_by": OPENER,
        "status": SAVED,
        "thread": f"https://discord.com/channels/{A}/500",
        "solution_link": f"https://discord.com/channels/{A}/500/502",
        "curated_answer": 1,
    }
