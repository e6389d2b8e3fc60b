"""State in PostgreSQL, shared by several bot processes: curated answers, glossary and uploads are
kept in the database, a change made through one process is served by the others (told through
LISTEN/NOTIFY, or found by the change counters when a notification was missed), concurrent edits
keep the revision rule, and a killed process loses nothing it committed."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from postgres import allow_connections
from site_server import Page, html, serve

from knowledge import KnowledgeBase
from knowledge.crawl import AddressPolicy, CrawlSettings
from knowledge.database import open_store
from knowledge.database.changes import ChangeListener
from knowledge.errors import ChangeNotSaved, EditConflict
from knowledge.golden import Expectation, GoldenSet
from knowledge.index import SparseIndex
from knowledge.kb import IndexArchiveError, index_slot, pack_index, save_index, saved_index, unpack_index
from knowledge.retriever import search
from knowledge.store import EVERYTHING_CHANGED, StateStore, StoreUnavailable
from knowledge.tenancy import Servers
from knowledge.uploads import KnowledgeLoader, KnowledgeSources
from knowledge.uploads import loader as uploads_loader

ROOT = Path(__file__).resolve().parents[2]
UPLOAD = b"# Fridge storage\n\nExpressed milk keeps for four days in a refrigerator.\n"
WAIT_S = 300  # a guard against a change that never arrives, not a measure of speed (well under 1 s)
# A small docs site (served on 127.0.0.1, which the operator's settings may crawl).
SITE = {
    "/docs/": Page(html("Milk docs", '<h1>Milk docs</h1><p>Guides.</p><a href="fridge.html">fridge</a>')),
    "/docs/fridge.html": Page(
        html("Fridge", '<h1 id="fridge">Fridge</h1><p>Expressed milk keeps for four days in a fridge.</p>')
    ),
}
CRAWL = CrawlSettings(requests_per_second=100, policy=AddressPolicy(public_only=False))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> KnowledgeBase:
    folder = tmp_path_factory.mktemp("operator-kb")
    (folder / "milk.md").write_text("# Breast milk\n\nColostrum is the first milk, rich in antibodies.\n")
    return KnowledgeBase.from_folder(folder, state_dir=tmp_path_factory.mktemp("cache"))


class Process:
    """One bot process: its own state folder and connection pool, the shared database."""

    def __init__(self, url: str | None, folder: Path, base: KnowledgeBase) -> None:
        self.store: StateStore = open_store(folder, url)
        self.servers = Servers(KnowledgeSources.resolve(base.source, folder), self.store, base=base)
        self.changed = threading.Condition()
        self.changes: list[tuple[int, str]] = []

    def watch(self) -> None:
        def apply(guild_id: int, what: str) -> None:
            self.servers.apply_change(guild_id, what)
            self.servers.wait_for_reindexing()  # the index is built off the listener's thread
            with self.changed:
                self.changes.append((guild_id, what))
                self.changed.notify_all()

        assert self.store.watch(apply)

    def wait_for(self, what: str) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: any(w == what for _, w in self.changes), timeout=WAIT_S)

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def two_processes(database_url, tmp_path, base):
    first, second = Process(database_url, tmp_path / "a", base), Process(database_url, tmp_path / "b", base)
    yield first, second
    first.close()
    second.close()


def test_a_curated_answer_added_in_one_process_is_served_by_the_other(two_processes):
    one, other = two_processes
    served = other.servers.get(7)  # loaded before the change
    assert served.curated.match("How long does milk keep in the fridge?") is None
    other.watch()
    one.servers.get(7).curated.add(
        "How long does milk keep in the fridge?", "Four days, says our lactation nurse.", author="mod"
    )
    other.wait_for("curated.yaml")
    match = served.curated.match("How long does milk keep in the fridge?")
    assert match is not None and match.answer.answer == "Four days, says our lactation nurse."
    # Nothing was written to either state folder: the answer lives in the database.
    assert not list((one.servers.state_dir).rglob("curated.yaml"))


def test_a_glossary_term_and_an_upload_reach_the_other_process(two_processes):
    one, other = two_processes
    served = other.servers.get(7)
    other.watch()
    one.servers.get(7).glossary.add("EBM", "expressed breast milk", author="mod")
    other.wait_for("glossary.yaml")
    assert served.glossary.expand("Can I freeze EBM?").text == "Can I freeze expressed breast milk?"

    one.servers.get(7).sources.folder.add("fridge.md", UPLOAD)
    other.wait_for("knowledge")
    assert any(doc.id == "uploads/fridge" for doc in served.kb.documents.values())
    assert (served.sources.uploads / "fridge.md").read_bytes() == UPLOAD  # copied into its folder

    state = one.servers.get(7)
    kb = state.sources.loader.load(one.servers.base)
    with other.changed:  # forget the earlier changes before this one can arrive
        other.changes.clear()
    state.sources.folder.remove(kb, "uploads/fridge")
    other.wait_for("knowledge")
    assert not any(doc.id.startswith("uploads/") for doc in served.kb.documents.values())


def test_an_upload_elsewhere_reindexes_that_server_only_and_off_the_listeners_thread(
    two_processes, monkeypatch
):
    one, other = two_processes
    served, untouched = other.servers.get(7), other.servers.get(8)
    one.servers.get(7).sources.folder.add("fridge.md", UPLOAD)
    bases, indexing = [], threading.Event()
    load_base, load = KnowledgeLoader.load_base, KnowledgeLoader.load
    counted = lambda self, *args, **kwargs: bases.append(1) or load_base(self)  # noqa: E731
    monkeypatch.setattr(KnowledgeLoader, "load_base", counted)

    def held_load(self, *args, **kwargs):
        assert indexing.wait(WAIT_S)  # indexing waits here; the listener must not
        return load(self, *args, **kwargs)

    monkeypatch.setattr(KnowledgeLoader, "load", held_load)
    other.servers.apply_change(7, "knowledge")  # returns while the index is still being built
    assert "uploads/fridge" not in served.kb.documents
    indexing.set()
    other.servers.wait_for_reindexing()
    assert "uploads/fridge" in served.kb.documents
    assert bases == [] and untouched.kb is other.servers.base  # the knowledge folder was not reloaded
    other.servers.apply_change(7, EVERYTHING_CHANGED)  # missed notifications: check everything
    other.servers.wait_for_reindexing()
    assert bases == [1]


def test_a_site_crawled_in_one_process_is_served_crawled_again_and_removed_in_the_other(two_processes):
    one, other = two_processes
    mine, served = one.servers.get(7), other.servers.get(7)
    one.watch()
    other.watch()
    with serve(SITE) as site:
        first = mine.sources.crawler.crawl(f"{site.base}/docs/", CRAWL)
        assert len(first.added) == 2
        other.wait_for("knowledge")
        answer = served.assistant.ask("How long does expressed milk keep in the fridge?")
        assert answer.answered and answer.cited()[0][1].link == f"{site.base}/docs/fridge.html#fridge"
        [listed] = served.sources.folder.sites(served.kb)
        assert (listed.address, listed.pages) == (f"{site.base}/docs/", 2)

        # The other process crawls it again with the shared manifest: it asks whether each page
        # changed and downloads none.
        before = len(site.requests)
        again = served.sources.crawler.crawl(f"{site.base}/docs/", CRAWL)
        assert (again.bodies, len(again.unchanged), again.changed) == (0, 2, False)
        asked = [headers for path, headers in site.requests[before:] if path.endswith(("/", ".html"))]
        assert len(asked) == 2 and all(headers.get("if-none-match") for headers in asked)

    # Removed through the other process, it is gone from the first one too.
    served.sources.folder.remove(served.kb, listed.choice)
    one.wait_for("knowledge")
    assert mine.sources.folder.sites(mine.kb) == []
    assert not any(doc.id.startswith("uploads/") for doc in mine.kb.documents.values())
    assert not (mine.sources.uploads / listed.folder.name).exists()


def test_a_change_loaded_during_a_crawl_leaves_the_site_being_crawled_alone(two_processes):
    one, other = two_processes
    mine = one.servers.get(7)
    synced: list[bool] = []

    def meanwhile(report) -> None:
        # Another process adds a document while the crawl runs, and this one loads it.
        if report.pages == 1 and not synced:
            other.servers.get(7).sources.folder.add("fridge.md", UPLOAD)
            synced.append(mine.sources.mirror.sync())

    with serve(SITE) as site:
        report = mine.sources.crawler.crawl(f"{site.base}/docs/", CRAWL, meanwhile)
    assert synced == [True] and len(report.added) == 2
    assert (mine.sources.uploads / "fridge.md").read_bytes() == UPLOAD
    kb = mine.sources.loader.load(one.servers.base)
    [listed] = mine.sources.folder.sites(kb)
    assert listed.pages == 2
    theirs = other.servers.get(7)
    other.servers.apply_change(7, "knowledge")
    other.servers.wait_for_reindexing()
    assert [site.pages for site in theirs.sources.folder.sites(theirs.kb)] == [2]


def test_a_stored_name_that_is_not_a_file_of_the_uploads_folder_is_never_written(two_processes, caplog):
    one, other = two_processes
    for name in ("../escape.md", "site/../../escape.md", "a/b/c.md", ".hidden.md"):
        one.store.put_upload(7, name, UPLOAD)
    one.servers.get(7).sources.folder.add("fridge.md", UPLOAD)
    state = other.servers.get(7)
    assert state.sources.mirror.sync()
    root = other.servers.state_dir.parent  # both processes' state folders
    written = sorted(str(p.relative_to(root)) for p in root.rglob("*.md"))
    assert written == ["a/servers/7/knowledge/fridge.md", "b/servers/7/knowledge/fridge.md"]
    assert "upload '../escape.md' not fetched: not a file name of an uploads folder" in caplog.text


def test_a_new_process_starts_with_every_servers_state(two_processes, tmp_path, base, database_url):
    one, _ = two_processes
    one.servers.get(3).curated.add("What is colostrum?", "The first milk.", author="mod")
    one.servers.get(4).sources.folder.add("fridge.md", UPLOAD)
    joining = Process(database_url, tmp_path / "c", base)
    try:
        loaded = {state.guild_id: state for state in joining.servers.load_known()}
        assert set(loaded) == {3, 4}
        assert loaded[3].curated.match("What is colostrum?").answer.answer == "The first milk."
        assert "uploads/fridge" in loaded[4].kb.documents
    finally:
        joining.close()


def test_edits_through_two_processes_keep_the_revision_rule(two_processes):
    one, other = two_processes
    entry = one.servers.get(7).curated.add("What is colostrum?", "The first milk.", author="a")
    mine = one.servers.get(7).curated
    theirs = other.servers.get(7).curated  # read before the next edit, not watching
    assert theirs.get(entry.id).answer == "The first milk."
    mine.edit(entry.id, by="a", answer="The first milk, thick and yellow.")
    with pytest.raises(EditConflict, match="changed by another moderator"):
        theirs.edit(entry.id, by="b", answer="Something else entirely.")
    # The refused process now serves what the first saved, and a second try goes through.
    assert theirs.get(entry.id).answer == "The first milk, thick and yellow."
    theirs.edit(entry.id, by="b", answer="The first milk; it is rich in antibodies.")
    assert mine.match("What is colostrum?") is not None


def test_a_missed_notification_is_found_by_the_change_counters(two_processes):
    one, other = two_processes
    seen: list[tuple[int, str]] = []
    listener = ChangeListener(other.store, lambda guild_id, what: seen.append((guild_id, what)), poll_s=60)
    listener._known = other.store.change_counters()  # as at start, without listening
    one.servers.get(9).glossary.add("EBM", "expressed breast milk", author="mod")
    listener._poll()
    assert seen == [(9, EVERYTHING_CHANGED)]
    listener._poll()
    assert seen == [(9, EVERYTHING_CHANGED)]  # reported once
    other.servers.get(9)
    other.servers.apply_change(9, EVERYTHING_CHANGED)
    other.servers.wait_for_reindexing()
    assert other.servers.get(9).glossary.get("EBM").means == "expressed breast milk"


KILLED_WRITER = """
import os, sys, time
from knowledge.database import open_store
from knowledge.curated import CuratedStore
store = open_store(sys.argv[2], sys.argv[1])
curated = CuratedStore(store.server(5).state_file(__import__("pathlib").Path(sys.argv[2]) / "curated.yaml"))
curated.add("What is colostrum?", "The first milk.", author="mod")
store.server(5).record_answer("What is colostrum?", [], True)
print("committed", flush=True)
time.sleep(60)
"""


def test_a_killed_process_loses_nothing_it_committed(database_url, tmp_path, base):
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, database_url, str(tmp_path / "killed")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "committed"
    finally:
        writer.kill()
        writer.wait()
    survivor = Process(database_url, tmp_path / "survivor", base)
    try:
        state = survivor.servers.get(5)
        assert state.curated.match("What is colostrum?").answer.answer == "The first milk."
        assert state.store.answer_totals() == (1, 1)
    finally:
        survivor.close()


def test_serving_the_state_never_queries_the_database(two_processes, monkeypatch):
    """The bot reads a server's glossary on the event loop (the red-flag check): that must never
    wait for the database, so what is loaded is served from memory until a change is announced."""
    one, _ = two_processes
    state = one.servers.get(7)
    state.glossary.add("EBM", "expressed breast milk", author="mod")
    state.curated.add("What is colostrum?", "The first milk.", author="mod")

    def no_queries(what):
        raise AssertionError("the database was queried")

    monkeypatch.setattr(one.store, "_run", no_queries)
    assert state.glossary.expand("Can I freeze EBM?").text == "Can I freeze expressed breast milk?"
    assert state.curated.match("What is colostrum?").answer.answer == "The first milk."
    assert [entry.term for entry in state.glossary.entries()] == ["EBM"]


def test_a_change_that_could_not_be_loaded_is_tried_again(two_processes):
    _, other = two_processes
    calls: list[tuple[int, str]] = []

    def flaky(guild_id: int, what: str) -> None:
        calls.append((guild_id, what))
        if len(calls) == 1:
            raise StoreUnavailable("the database is out of reach")

    listener = ChangeListener(other.store, flaky, poll_s=60)
    listener._deliver(json.dumps({"guild": 9, "what": "curated.yaml", "counter": 1, "origin": "another"}))
    assert calls == [(9, "curated.yaml")]
    listener._poll()  # the next check tries it again, and it is loaded
    listener._poll()
    assert calls == [(9, "curated.yaml"), (9, "curated.yaml")]


def test_golden_questions_added_in_one_process_are_read_by_the_other(two_processes):
    one, other = two_processes
    other.servers.get(7)
    theirs = GoldenSet(other.store.server(7).state_file(other.servers.state_dir / "golden.yaml"))
    assert theirs.list() == []
    other.watch()
    mine = GoldenSet(one.store.server(7).state_file(one.servers.state_dir / "golden.yaml"))
    mine.add("What is colostrum?", Expectation.in_document("milk"), author="mod")
    other.wait_for("golden.yaml")
    assert [q.question for q in theirs.list()] == ["What is colostrum?"]


# -- a server's index: built by one process, loaded by the others -----------------------------------

FRIDGE_QUESTION = "How many days does expressed milk keep in a refrigerator?"


def _stored_indexes(store: StateStore) -> list[dict]:
    return store._fetchall("SELECT fingerprint, data FROM shared_indexes", ())


def _add_and_reload(process: Process, guild_id: int) -> KnowledgeBase:
    """A moderator's /kb add then /kb reload in ``process``: what it serves afterwards."""
    process.servers.get(guild_id).sources.folder.add("fridge.md", UPLOAD)
    base, kb = process.servers.build(guild_id)
    process.servers.install(guild_id, base, kb)
    return kb


def _no_index_building(monkeypatch) -> list[int]:
    """Make building an index fail from now on; the list counts the attempts."""
    attempts: list[int] = []

    def refuse(self, *args, **kwargs):
        attempts.append(1)
        raise AssertionError("the index was built instead of loaded")

    monkeypatch.setattr(SparseIndex, "fit", refuse)
    return attempts


def test_an_index_built_in_one_process_is_loaded_by_the_other_without_building_it(two_processes, monkeypatch):
    one, other = two_processes
    served = other.servers.get(7)
    other.servers.sources.loader.load_base()  # the shared knowledge is in its own cache already
    built = _add_and_reload(one, 7)

    stored = _stored_indexes(one.store)
    assert [row["fingerprint"] for row in stored] == [built.fingerprint]
    # What is stored is the uploads' index alone: the base is every process's own, never copied.
    with zipfile.ZipFile(io.BytesIO(stored[0]["data"])) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert [doc["id"] for doc in manifest["documents"]] == ["uploads/fridge"]

    attempts = _no_index_building(monkeypatch)
    other.servers.apply_change(7, "knowledge")
    other.servers.wait_for_reindexing()
    assert attempts == []
    answer = served.assistant.ask(FRIDGE_QUESTION)
    assert answer.answered and answer.hits[0].doc_id == "uploads/fridge"
    assert list(served.kb.own.documents) == ["uploads/fridge"]  # over the base, not a copy of it
    assert "four days" in " ".join(s.text for s in answer.sentences)
    # The documents are this process's own: /kb remove here finds the copy in its folder.
    removable = served.sources.folder.removable(served.kb)
    assert [doc.id for doc in removable] == ["uploads/fridge"]
    assert served.sources.folder.file_of(served.kb, "uploads/fridge").is_relative_to(other.servers.state_dir)


@pytest.mark.parametrize("damage", ["not a zip", "a file outside the index"])
def test_a_damaged_index_in_the_database_is_rejected_and_built_again(two_processes, monkeypatch, damage):
    one, other = two_processes
    served = other.servers.get(7)
    other.servers.sources.loader.load_base()  # the shared knowledge is in its own cache already
    built = _add_and_reload(one, 7)
    if damage == "not a zip":
        data = b"PK\x03\x04 truncated"
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            with zipfile.ZipFile(io.BytesIO(_stored_indexes(one.store)[0]["data"])) as good:
                for name in good.namelist():
                    archive.writestr(name, good.read(name))
            archive.writestr("../../escaped.json", "{}")
        data = buffer.getvalue()
    one.store._execute("UPDATE shared_indexes SET data = ?", (data,))

    fits: list[int] = []
    fit = SparseIndex.fit
    monkeypatch.setattr(SparseIndex, "fit", lambda self, *a, **k: fits.append(1) or fit(self, *a, **k))
    other.servers.apply_change(7, "knowledge")
    other.servers.wait_for_reindexing()
    assert fits == [1]  # built here
    answer = served.assistant.ask(FRIDGE_QUESTION)
    assert answer.answered and answer.hits[0].doc_id == "uploads/fridge"
    assert not list(other.servers.state_dir.parent.rglob("escaped.json"))
    # The index built here takes the damaged one's place, for the next process.
    (row,) = _stored_indexes(one.store)
    assert row["fingerprint"] == built.fingerprint and zipfile.is_zipfile(io.BytesIO(row["data"]))


def test_without_a_database_no_index_is_stored(database_url, tmp_path, base):
    local = Process(None, tmp_path / "local", base)
    try:
        kb = _add_and_reload(local, 7)
        uploads = local.servers.get(7).sources.uploads
    finally:
        local.close()
    assert any(doc.id == "uploads/fridge" for doc in kb.documents.values())
    database = open_store(tmp_path / "other", database_url)
    try:
        assert _stored_indexes(database) == []
    finally:
        database.close()
    # Nor saved in the state folder: the server's index is built at each start, as before.
    assert not index_slot(uploads, tmp_path / "local").exists()


def test_an_index_above_the_size_limit_is_not_shared(two_processes, monkeypatch, caplog):
    one, other = two_processes
    monkeypatch.setattr(uploads_loader, "MAX_SHARED_INDEX_BYTES", 1024)
    with caplog.at_level(logging.INFO, logger="knowledge.uploads.loader"):
        _add_and_reload(one, 7)
    assert _stored_indexes(one.store) == []
    assert "is above the 1 KB limit" in caplog.text
    served = other.servers.get(7)  # builds it itself
    assert served.assistant.ask(FRIDGE_QUESTION).hits[0].doc_id == "uploads/fridge"


def test_an_index_archive_unpacks_only_within_its_size_limit(tmp_path, base):
    slot = tmp_path / "saved"
    save_index(base, slot, base.fingerprint)
    data = pack_index(slot, base.fingerprint)
    unpacked = tmp_path / "unpacked"
    with pytest.raises(IndexArchiveError, match="more than 100 bytes"):
        unpack_index(data, unpacked, base.fingerprint, max_bytes=100)
    assert not (unpacked / base.fingerprint).exists()
    unpack_index(data, unpacked, base.fingerprint, max_bytes=10**8)
    loaded = saved_index(unpacked, base.fingerprint)
    assert loaded is not None and search(loaded, "colostrum antibodies")[0].doc_id == "milk"


def test_a_damaged_saved_index_in_the_state_folder_is_replaced_by_the_stored_one(two_processes, monkeypatch):
    one, other = two_processes
    served = other.servers.get(7)
    other.servers.sources.loader.load_base()
    built = _add_and_reload(one, 7)
    saved = index_slot(served.sources.uploads, other.servers.state_dir) / built.fingerprint
    saved.mkdir(parents=True)
    (saved / "manifest.json").write_text("{ truncated")

    attempts = _no_index_building(monkeypatch)
    other.servers.apply_change(7, "knowledge")
    other.servers.wait_for_reindexing()
    assert attempts == []
    assert served.assistant.ask(FRIDGE_QUESTION).hits[0].doc_id == "uploads/fridge"
    assert saved_index(saved.parent, built.fingerprint) is not None  # the stored one took its place


def test_a_change_made_while_the_database_is_down_is_refused_and_served_nowhere(two_processes, database_url):
    first, second = two_processes
    first.watch()
    second.watch()
    before = first.servers.get(42).curated
    before.add("How long does milk keep?", "Four days in the fridge.", author="mod")
    second.wait_for("curated.yaml")
    allow_connections(database_url, False)
    try:
        with pytest.raises(ChangeNotSaved, match=r"saved nowhere and nothing changed\. Try again when"):
            before.add("Can I freeze milk?", "Yes, for six months.", author="mod")
        assert before.match("Can I freeze milk?") is None  # not served here either
        assert before.match("How long does milk keep?") is not None and not before.pending
    finally:
        allow_connections(database_url, True)
    # Once it is back, nothing of the refused change shows anywhere, and the next change is saved.
    added = before.add("Can I freeze milk?", "Yes, for six months.", author="mod")
    served = second.servers.get(42).curated
    # Announced as "curated.yaml", or found by the change counters once the listener is back ("*").
    with second.changed:
        assert second.changed.wait_for(lambda: served.match("Can I freeze milk?") is not None, timeout=WAIT_S)
    assert served.match("Can I freeze milk?").answer.id == added.id
