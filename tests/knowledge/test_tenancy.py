"""knowledge.tenancy: one state per server over a shared knowledge base; nothing one server does
changes what another sees; the single-pool layout of older versions moves to its server."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import KnowledgeBase
from knowledge.errors import NotFoundError, UploadError
from knowledge.notices import Code, Notice
from knowledge.retriever import search
from knowledge.store import Store
from knowledge.tenancy import (
    AssignError,
    ServerChoiceError,
    Servers,
    ServerState,
    adopt_single_pool,
    assign_single_pool,
    choose_server,
    server_dir,
    shard_filter,
)
from knowledge.uploads import KnowledgeSources

BASE_DOCS = {
    "milk.md": "# Breast milk\n\nColostrum is the first milk, rich in antibodies.\n",
    "gut.md": "# The gut\n\nImmune cells from the gut travel to the mammary glands.\n",
}
UPLOAD = b"# Fridge storage\n\nExpressed milk keeps for four days in a refrigerator.\n"
QUESTIONS = ("Is ibuprofen safe?", "Can I drink coffee?", "What is colostrum?")


@pytest.fixture(scope="module")
def knowledge_dir(tmp_path_factory) -> Path:
    """The operator's knowledge folder every server reads."""
    folder = tmp_path_factory.mktemp("operator-kb")
    for name, text in BASE_DOCS.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
def base(knowledge_dir, tmp_path_factory) -> KnowledgeBase:
    return KnowledgeBase.from_folder(knowledge_dir, state_dir=tmp_path_factory.mktemp("cache"))


def open_servers(state: Path, base: KnowledgeBase) -> tuple[Servers, Store]:
    store = Store.in_folder(state)
    return Servers(KnowledgeSources.resolve(base.source, state), store, base=base), store


def test_servers_without_uploads_share_the_base_and_uploads_stay_with_their_server(tmp_path, base):
    servers, store = open_servers(tmp_path, base)
    try:
        a, b = servers.get(1), servers.get(2)
        assert a is servers.get(1) and a.kb is b.kb is base and servers.get(None).kb is base
        assert servers.get(None).curated is None and servers.get(None).glossary is None
        b.sources.folder.add("fridge.md", UPLOAD)
        servers.install(2, *servers.build(2))
        assert "uploads/fridge" in b.kb.documents and set(base.documents) <= set(b.kb.documents)
        assert search(b.kb, "refrigerator four days")[0].doc_id == "uploads/fridge"
        assert a.kb is base and "uploads/fridge" not in a.kb.documents
        assert (server_dir(tmp_path, 2) / "knowledge" / "fridge.md").exists()
        # A restart finds the server with state and loads its uploads at once.
        again = Servers(KnowledgeSources.resolve(base.source, tmp_path), store, base=base)
        [loaded] = again.load_known()
        assert loaded.guild_id == 2 and "uploads/fridge" in loaded.kb.documents
    finally:
        store.close()


def test_a_process_loads_and_indexes_only_the_servers_of_its_shards(tmp_path, base):
    # Discord sends a server's events to shard (guild_id >> 22) % shard_count.
    on_shard = {shard: (1000 + shard) << 22 for shard in range(4)}
    servers, store = open_servers(tmp_path, base)
    try:
        for guild_id in on_shard.values():
            servers.get(guild_id).sources.folder.add("fridge.md", UPLOAD)
        sources = KnowledgeSources.resolve(base.source, tmp_path)
        processes = [Servers(sources, store, base=base, owns=shard_filter(s, 4)) for s in ((0, 1), (2, 3))]
        first, second = ([state.guild_id for state in p.load_known()] for p in processes)
        assert first == [on_shard[0], on_shard[1]] and second == [on_shard[2], on_shard[3]]
        assert [s.guild_id for s in processes[0].loaded()] == first  # the others were never indexed
        # A server asked in a process anyway (its shard moved there) is loaded then.
        assert "uploads/fridge" in processes[0].get(on_shard[3]).kb.documents
        assert shard_filter(None, None) is None and shard_filter((0,), 1)(123 << 22)
    finally:
        store.close()


def test_a_glossary_in_an_uploaded_document_reads_words_in_its_server_only(tmp_path, base):
    servers, store = open_servers(tmp_path, base)
    try:
        a, b = servers.get(1), servers.get(2)
        b.sources.folder.add("fridge.md", b"---\nglossary: {EBM: expressed milk}\n---\n\n" + UPLOAD)
        servers.install(2, *servers.build(2))
        assert b.assistant.rewrite("how long does EBM keep") == "how long does expressed milk keep"
        answer = b.assistant.ask("how long does EBM keep in the fridge")
        assert (
            Notice(Code.GLOSSARY, pairs=(("EBM", "expressed milk"),), source="the document's glossary")
            in answer.notices
        )
        assert a.assistant.rewrite("how long does EBM keep") is None  # the other server reads it as typed
    finally:
        store.close()


def test_a_changed_knowledge_folder_reaches_every_server_at_the_next_reload(tmp_path):
    folder = tmp_path / "operator-kb"
    folder.mkdir()
    for name, text in BASE_DOCS.items():
        (folder / name).write_text(text)
    store = Store.in_folder(tmp_path / "state")
    try:
        servers = Servers(KnowledgeSources.resolve(folder, tmp_path / "state"), store)
        a, b = servers.get(1), servers.get(2)
        b.sources.folder.add("fridge.md", UPLOAD)
        servers.install(2, *servers.build(2))
        unchanged = servers.base
        servers.install(1, *servers.build(1))  # nothing changed: every server keeps what it had
        assert servers.base is unchanged and a.kb is unchanged and "uploads/fridge" in b.kb.documents

        (folder / "new.md").write_text("# Lanolin\n\nLanolin soothes sore nipples.\n")
        servers.install(1, *servers.build(1))  # a reload in A
        assert "new" in a.kb.documents and a.kb is servers.base
        assert {"new", "uploads/fridge"} <= set(b.kb.documents)  # B's knowledge has the new base too
    finally:
        store.close()


def test_choosing_a_server_on_the_command_line(tmp_path):
    assert choose_server(tmp_path, None) is None
    server_dir(tmp_path, 5).mkdir(parents=True)
    assert choose_server(tmp_path, None) == 5 and choose_server(tmp_path, 9) == 9
    server_dir(tmp_path, 7).mkdir(parents=True)
    with pytest.raises(ServerChoiceError, match=r"2 servers have state .*: 5, 7; choose one with --server"):
        choose_server(tmp_path, None)


def test_the_single_pool_moves_only_when_its_server_is_certain(tmp_path, base, caplog):
    (tmp_path / "curated.yaml").write_text("version: 1\nanswers: []\n")
    store = Store.in_folder(tmp_path)
    try:
        store.server(1).record_answer("q?", [], True)
        store.server(2).record_answer("q?", [], True)
        assert adopt_single_pool(tmp_path, store) is None  # two servers in the stored answers
        assert (tmp_path / "curated.yaml").exists() and "citebot state assign" in caplog.text
        assert adopt_single_pool(tmp_path, store, allowed=[2]) == 2  # the allowlist decides
        assert (server_dir(tmp_path, 2) / "curated.yaml").exists()
        assert not (tmp_path / "curated.yaml").exists()
        assert adopt_single_pool(tmp_path, store) is None  # nothing left to move
    finally:
        store.close()


def test_assigning_never_overwrites_a_servers_own_files(tmp_path):
    (tmp_path / "glossary.yaml").write_text("version: 1\nterms: []\n")
    server_dir(tmp_path, 3).mkdir(parents=True)
    (server_dir(tmp_path, 3) / "glossary.yaml").write_text("version: 1\nterms:\n- term: a\n  means: b\n")
    with pytest.raises(AssignError, match="already has"):
        assign_single_pool(tmp_path, 3)
    store = Store.in_folder(tmp_path)
    try:
        assert adopt_single_pool(tmp_path, store, allowed=[3]) is None  # at start: logged, not fatal
    finally:
        store.close()
    assert (tmp_path / "glossary.yaml").exists()
    assert "term: a" in (server_dir(tmp_path, 3) / "glossary.yaml").read_text()
    assert not list(tmp_path.glob("backup-*"))


# -- the property: one server's actions never change another's view -------------------------------


def view(state: ServerState) -> tuple:
    """Everything a member or moderator of a server can see of its state."""
    store = state.store
    return (
        [(a.id, a.question, a.answer, a.status) for a in state.curated.list(include_retired=True)],
        [(e.term, e.means) for e in state.glossary.entries()],
        [(i.answer_id, i.downvotes, i.reasons) for i in store.review_items(100)],
        store.answer_totals(),
        store.vote_totals(),
        store.most_asked(10),
        sorted(state.kb.documents),
        [state.assistant.match_curated(q) is not None for q in QUESTIONS],
    )


def act(servers: Servers, guild_id: int, action: tuple, answers: list[str], other_answers: list[str]) -> None:
    """Apply one action in server ``guild_id``; ids of the other server are tried too, as a forged
    button would."""
    kind, n = action
    state = servers.get(guild_id)
    try:
        if kind == "curate":
            state.curated.add(QUESTIONS[n % 3], f"answer {n}", author="mod")
        elif kind == "uncurate":
            state.curated.remove(1 + n % 3)
        elif kind == "term":
            state.glossary.add(f"word{n % 3}", "colostrum", author="mod")
        elif kind == "unterm":
            state.glossary.remove(f"word{n % 3}")
        elif kind == "ask":
            answers.append(state.store.record_answer(QUESTIONS[n % 3], [], bool(n % 2), user_id=n))
        elif kind == "vote":
            for answer_id in (answers + other_answers)[-2:]:
                state.store.set_feedback(answer_id, n, -1, f"reason {n}")
        elif kind == "dismiss":
            for answer_id in (answers + other_answers)[-2:]:
                state.store.dismiss_from_review(answer_id, user_id=n)
        elif kind == "notice":
            state.store.mark_notice_shown(n, "2026-01-01")
        elif kind == "upload":
            state.sources.folder.add(f"doc{n % 2}.md", UPLOAD)
            servers.install(guild_id, *servers.build(guild_id))
        elif kind == "unupload":
            state.sources.folder.remove(state.kb, f"uploads/doc{n % 2}")
            servers.install(guild_id, *servers.build(guild_id))
    except (NotFoundError, UploadError):
        pass  # removing what is not there: refused, as the bot refuses it


KINDS = ("curate", "uncurate", "term", "unterm", "ask", "vote", "dismiss", "notice", "upload", "unupload")
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from([1, 2]),
        st.tuples(
            st.sampled_from(KINDS),
            st.integers(0, 5),
        ),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(ACTIONS)
def test_random_actions_in_one_server_never_change_the_others_view(base, actions):
    with tempfile.TemporaryDirectory() as folder:
        servers, store = open_servers(Path(folder), base)
        try:
            answers: dict[int, list[str]] = {1: [], 2: []}
            for guild_id, action in actions:
                other = 3 - guild_id
                before = view(servers.get(other))
                act(servers, guild_id, action, answers[guild_id], answers[other])
                assert view(servers.get(other)) == before, (guild_id, action)
        finally:
            store.close()
