"""The outcome of the last golden check with the state in PostgreSQL: stored per server beside its
golden questions, so every bot process compares with the same last check (whichever made it),
and a restart or a move to another machine keeps it; with a state folder it stays in
``golden-status.json``."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from postgres import allow_connections
from test_golden import COLOSTRUM, FRIDGE, FRIDGE_GUIDE, MILK

from bot.cli import main as citebot
from knowledge import Assistant, KnowledgeBase
from knowledge.database import open_store
from knowledge.golden import FILE_NAME as GOLDEN_FILE
from knowledge.golden import STATUS_FILE_NAME, Expectation, GoldenSet
from knowledge.store import StateStore, StoreUnavailable
from knowledge.tenancy import Servers, server_dir
from knowledge.uploads import KnowledgeSources

UPLOAD_CAUSE = "after /kb add fridge-guide.md by mod"
WAIT_S = 300  # a guard against a change that never arrives, not a measure of speed


@pytest.fixture(scope="module")
def before() -> Assistant:
    """The server's answers before the upload."""
    return Assistant(KnowledgeBase.from_documents([MILK]))


@pytest.fixture(scope="module")
def after() -> Assistant:
    """After an upload that takes over the fridge question."""
    return Assistant(KnowledgeBase.from_documents([MILK, FRIDGE_GUIDE]))


class Process:
    """One bot process: its own state folder and connection pool; the state in ``url`` (None: the
    folder's SQLite store). Its golden questions are opened as the bot's /kb test commands do."""

    def __init__(self, url: str | None, folder: Path) -> None:
        self.store: StateStore = open_store(folder, url)
        self.folder = folder
        base = KnowledgeBase.from_documents([MILK])
        self.servers = Servers(KnowledgeSources.resolve(None, folder), self.store, base=base)
        self.heard = threading.Condition()
        self.changes: list[tuple[int, str]] = []

    def golden(self, guild_id: int) -> GoldenSet:
        path = server_dir(self.folder, guild_id) / GOLDEN_FILE
        return GoldenSet(self.store.server(guild_id).state_file(path))

    def watch(self) -> None:
        def apply(guild_id: int, what: str) -> None:
            self.servers.apply_change(guild_id, what)
            with self.heard:
                self.changes.append((guild_id, what))
                self.heard.notify_all()

        assert self.store.watch(apply)

    def wait_for(self, guild_id: int, what: str) -> None:
        """Until another process's change of ``what`` is heard (each one heard is waited for once)."""
        with self.heard:
            assert self.heard.wait_for(lambda: (guild_id, what) in self.changes, timeout=WAIT_S)
            self.changes.remove((guild_id, what))

    def close(self) -> None:
        self.servers.close()
        self.store.close()


@pytest.fixture
def processes(database_url, tmp_path):
    opened: list[Process] = []

    def start(name: str) -> Process:
        opened.append(Process(database_url, tmp_path / name))
        return opened[-1]

    yield start
    for process in opened:
        process.close()


def _until_reachable(store: StateStore) -> None:
    """Once the database is back: wait for the pool to connect again (it backs off meanwhile)."""
    for _attempt in range(WAIT_S):
        try:
            store.change_counters()
            return
        except StoreUnavailable:
            continue  # each try waits for a connection a bounded time
    raise AssertionError("the database did not come back")


def _questions(golden: GoldenSet) -> None:
    golden.add(FRIDGE, Expectation.section(["Storage"], "milk"), author="mod")
    golden.add(COLOSTRUM, Expectation.section(["Colostrum"]), author="mod")


def test_a_check_in_one_process_is_the_last_outcome_in_the_other(processes, before, after):
    one, other = processes("a"), processes("b")
    mine = one.golden(7)
    _questions(mine)
    theirs = other.golden(7)  # opened before any check: nothing to compare with yet
    assert theirs.worse() == [] and theirs.last(1) is None
    other.watch()

    assert mine.run(before.ask, cause="at start").regressions == []
    other.wait_for(7, STATUS_FILE_NAME)
    assert theirs.last(1) is not None and theirs.last(1).passed  # /kb test list shows it there

    report = mine.run(after.ask, cause=UPLOAD_CAUSE)
    assert [r.golden.id for r in report.regressions] == [1]
    other.wait_for(7, STATUS_FILE_NAME)
    [(worse, status)] = theirs.worse()  # /review and the start-up check there say the same
    assert (worse.id, status.worse_after, status.got) == (1, UPLOAD_CAUSE, "Fridge guide › Refrigerator days")

    # The other process's next check compares with that one: still worse, not worse again.
    again = theirs.run(after.ask, cause="/kb reload by mod")
    assert again.regressions == [] and [r.golden.id for r in again.failures] == [1]
    assert theirs.worse()[0][1].worse_after == UPLOAD_CAUSE
    # Nothing about the check was written to either process's folder.
    assert not list(one.folder.rglob(STATUS_FILE_NAME)) and not list(other.folder.rglob(STATUS_FILE_NAME))


def test_a_restart_elsewhere_keeps_what_got_worse(processes, before, after):
    one = processes("a")
    golden = one.golden(7)
    _questions(golden)
    golden.run(before.ask, cause="at start")
    golden.run(after.ask, cause=UPLOAD_CAUSE)
    one.close()

    moved = processes("another-machine")  # a fresh folder: only the database is shared
    reopened = moved.golden(7)
    [(worse, status)] = reopened.worse()
    assert worse.id == 1 and status.worse_after == UPLOAD_CAUSE
    # Recovering there clears it for everyone.
    assert [r.golden.id for r in reopened.run(before.ask, cause="/kb remove").recovered] == [1]
    assert processes("third").golden(7).worse() == []


def test_a_check_without_the_notification_still_compares_with_the_latest_outcome(processes, before, after):
    one, other = processes("a"), processes("b")  # the other does not listen at all
    _questions(one.golden(7))
    theirs = other.golden(7)
    one.golden(7).run(before.ask, cause="at start")
    # The check reads the last outcome before comparing: the upload's effect is a regression there.
    report = theirs.run(after.ask, cause=UPLOAD_CAUSE)
    assert [r.golden.id for r in report.regressions] == [1]


def test_two_checks_at_once_the_last_stored_wins_and_nothing_breaks(processes, before, after):
    one, other = processes("a"), processes("b")
    _questions(one.golden(7))
    mine, theirs = one.golden(7), other.golden(7)
    mine.run(before.ask, cause="at start")
    one.watch()

    interleaved = []

    def ask_while_the_other_checks(question: str):
        if not interleaved:  # the first process stores its check in the middle of this one's
            interleaved.append(mine.run(after.ask, cause="check in a"))
        return after.ask(question)

    report = theirs.run(ask_while_the_other_checks, cause="check in b")
    assert [r.golden.id for r in interleaved[0].regressions] == [1]
    assert [r.golden.id for r in report.regressions] == [1]
    # Stored last, so it is the baseline every process reads from now on; the text is whole.
    one.wait_for(7, STATUS_FILE_NAME)
    for reader in (mine, theirs, processes("c").golden(7)):
        assert reader.worse()[0][1].worse_after == "check in b"
    text, _revision = other.store.document(7, STATUS_FILE_NAME)
    assert set(json.loads(text)["results"]) == {"1", "2"}


def test_a_check_while_the_database_is_away_is_kept_and_stored_with_the_next(
    processes, database_url, before, after
):
    one = processes("a")
    golden = one.golden(7)
    _questions(golden)
    golden.run(before.ask, cause="at start")
    allow_connections(database_url, False)
    try:
        report = golden.run(after.ask, cause=UPLOAD_CAUSE)  # the check itself needs no database
        assert [r.golden.id for r in report.regressions] == [1]
        assert golden.worse()[0][1].worse_after == UPLOAD_CAUSE  # served from memory meanwhile
    finally:
        allow_connections(database_url, True)
    _until_reachable(one.store)
    # Not replaced by the older stored outcome once it is back: the next check still knows it got
    # worse after the upload, and stores that for every process.
    assert golden.run(after.ask, cause="/kb reload by mod").regressions == []
    assert processes("b").golden(7).worse()[0][1].worse_after == UPLOAD_CAUSE


def test_one_servers_outcome_never_shows_in_anothers(processes, before, after):
    one, other = processes("a"), processes("b")
    seven, eight = one.golden(7), one.golden(8)
    _questions(seven)
    _questions(eight)  # the same questions in another server
    seven.run(before.ask, cause="at start")
    seven.run(after.ask, cause=UPLOAD_CAUSE)
    assert eight.worse() == [] and eight.last(1) is None
    assert other.golden(8).worse() == [] and other.golden(8).last(2) is None
    # Its first check has nothing to compare with: failures, not "got worse".
    report = other.golden(8).run(after.ask, cause="at start")
    assert report.regressions == [] and [r.golden.id for r in report.unchecked_failures] == [1]
    assert other.golden(7).worse()[0][1].worse_after == UPLOAD_CAUSE


def test_with_a_state_folder_the_outcome_stays_in_golden_status_json(tmp_path, before, after):
    process = Process(None, tmp_path / "state")
    try:
        golden = process.golden(7)
        _questions(golden)
        golden.run(before.ask, cause="at start")
        golden.run(after.ask, cause=UPLOAD_CAUSE)
        status_file = server_dir(tmp_path / "state", 7) / STATUS_FILE_NAME
        data = json.loads(status_file.read_text(encoding="utf-8"))
        assert data["results"]["1"]["worse_after"] == UPLOAD_CAUSE and data["results"]["2"]["passed"]
        assert not status_file.with_name(STATUS_FILE_NAME + ".bak").exists()  # only a baseline
        assert process.store.guilds_with_state() == []  # nothing in the SQLite store
        [(worse, _status)] = process.golden(7).worse()
        assert worse.id == 1
    finally:
        process.close()


def test_migrate_state_copies_the_last_outcome(tmp_path, database_url, before, after, capsys):
    state = tmp_path / "state"
    folder = Process(None, state)
    try:
        golden = folder.golden(7)
        _questions(golden)
        golden.run(before.ask, cause="at start")
        golden.run(after.ask, cause=UPLOAD_CAUSE)
    finally:
        folder.close()

    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 0
    out = capsys.readouterr().out
    assert "every count matches" in out
    assert any(line.split()[-2:] == ["2", "2"] for line in out.splitlines() if "state documents" in line)
    moved = Process(database_url, tmp_path / "elsewhere")
    try:
        [(worse, status)] = moved.golden(7).worse()
        assert (worse.id, status.worse_after) == (1, UPLOAD_CAUSE)
    finally:
        moved.close()


def test_migrate_state_names_a_broken_status_file_and_copies_nothing(tmp_path, database_url, capsys):
    state = tmp_path / "state"
    folder = server_dir(state, 7)
    folder.mkdir(parents=True)
    (folder / STATUS_FILE_NAME).write_text("{not json", encoding="utf-8")

    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 1
    err = capsys.readouterr().err
    assert f"{folder / STATUS_FILE_NAME}: " in err and "delete it and the next check starts afresh" in err
    (folder / STATUS_FILE_NAME).unlink()
    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 0
