"""Solved threads added to a server's knowledge, on both store backends: the document is read as
any upload is, cited ``#channel › thread title · date`` with the solution's link, its one section
headed by the question and holding the solution; it belongs to its server; adding again replaces
it without a copy; deleting the message or thread, or the author opting out, deletes it outright
(and from the uploads every process shares)."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.curated import CuratedStore
from knowledge.errors import NotFoundError
from knowledge.kb import KnowledgeBase
from knowledge.solved import SAVED, STALE, Post, SolvedThreads
from knowledge.solved_documents import document_text
from knowledge.uploads import UploadsFolder, check_upload

A, B = 1111, 2222
OPENER, HELPER = 11, 12
DAY = dt.date(2025, 5, 1)
QUESTION = "How can I tell my baby is getting enough milk?"
SOLUTION = "Count the wet diapers: six or more a day after day five."


def threads_of(store, guild: int, tmp_path) -> SolvedThreads:
    rows = store.server(guild)
    folder = tmp_path / "servers" / str(guild)
    return SolvedThreads(
        rows,
        CuratedStore(rows.state_file(folder / "curated.yaml")),
        UploadsFolder(folder / "knowledge", store.shared_uploads(guild)),
    )


def mark(threads: SolvedThreads, solution: str = SOLUTION, *, thread_id: int = 500, author: int = HELPER):
    return threads.mark(
        channel_id=400,
        thread_id=thread_id,
        title="Enough milk?",
        question=Post(thread_id, QUESTION, OPENER),
        solution=Post(thread_id + 2, solution, author),
        marked_by=OPENER,
    )


def files(threads: SolvedThreads) -> list[str]:
    """Every file the server's folder holds of solved threads, the removed/ folder included."""
    return sorted(p.name for p in threads.uploads.uploads.parent.rglob("solved-thread-*"))


def shared(threads: SolvedThreads) -> list[str]:
    return sorted(threads.uploads.shared.hashes()) if threads.uploads.shared is not None else []


def test_the_document_is_cited_as_the_thread_and_answers_with_the_solution(open_state, tmp_path):
    store = open_state()
    threads = threads_of(store, A, tmp_path)
    record = mark(threads)
    name = threads.add_to_knowledge(record.id, channel="help", day=DAY)
    assert name == "solved-thread-500.md" and files(threads) == [name]
    if threads.uploads.shared is not None:  # every process gets it
        assert shared(threads) == [name]
    # Recorded for every process: the store opened again knows which document it became.
    again = open_state().server(A).solved(record.id)
    assert again.status == SAVED and again.document == name

    [doc] = check_upload(name, (threads.uploads.uploads / name).read_bytes())[1]
    assert doc.title == "#help › Enough milk? · 2025-05-01"
    assert doc.link == f"https://discord.com/channels/{A}/500/502"
    kb = KnowledgeBase.from_documents([doc])
    [passage] = kb.passages
    assert passage.section == (QUESTION,) and passage.text.strip() == SOLUTION


def test_adding_again_replaces_it_and_deleting_removes_it_outright(open_state, tmp_path):
    threads = threads_of(open_state(), A, tmp_path)
    record = mark(threads)
    name = threads.add_to_knowledge(record.id, channel="help", day=DAY)
    [stale] = threads.edited(502, "Weigh the baby weekly.")
    assert stale.status == STALE and stale.document == name
    threads.add_to_knowledge(record.id, channel="help", day=DAY)
    text = (threads.uploads.uploads / name).read_text()
    assert "Weigh the baby weekly." in text and "wet diapers" not in text
    assert files(threads) == [name]  # no earlier version kept aside

    threads.forget_message(502)
    assert files(threads) == [] and shared(threads) == [] and threads.rows.solved_threads() == []
    with pytest.raises(NotFoundError):
        threads.add_to_knowledge(record.id, channel="help", day=DAY)

    other = mark(threads, thread_id=600)
    threads.add_to_knowledge(other.id, channel="help", day=DAY)
    threads.forget_thread(600)
    assert files(threads) == [] and shared(threads) == []


def test_an_opted_out_author_takes_the_document_with_them(open_state, tmp_path):
    threads = threads_of(open_state(), A, tmp_path)
    kept = mark(threads)
    threads.add_to_knowledge(kept.id, channel="help", day=DAY)
    stays = mark(threads, "Ask a lactation consultant.", thread_id=600, author=13)
    threads.add_to_knowledge(stays.id, channel="help", day=DAY)
    assert [r.id for r in threads.opt_out(HELPER)] == [kept.id]
    assert files(threads) == ["solved-thread-600.md"]


def test_one_server_never_adds_or_removes_another_servers_document(open_state, tmp_path):
    store = open_state()
    a, b = threads_of(store, A, tmp_path), threads_of(store, B, tmp_path)
    record = mark(a)
    a.add_to_knowledge(record.id, channel="help", day=DAY)
    with pytest.raises(NotFoundError):
        b.add_to_knowledge(record.id, channel="help", day=DAY)
    assert b.forget_message(502) == [] and b.opt_out(HELPER) == [] and files(b) == []
    assert files(a) == ["solved-thread-500.md"] and a.get(record.id).document == "solved-thread-500.md"


def test_a_solution_s_own_headings_stay_under_the_question(open_state, tmp_path):
    threads = threads_of(open_state(), A, tmp_path)
    solution = "# Short answer\nCount the diapers.\n```\n# a comment in code\n```"
    record = mark(threads, solution)
    text = document_text(record, "help", DAY).decode()
    assert "**Short answer**" in text and "# a comment in code" in text
    [doc] = check_upload("x.md", text.encode())[1]
    assert {p.section for p in KnowledgeBase.from_documents([doc]).passages} == {(QUESTION,)}
