"""``citebot migrate-state --to postgresql://…``: a SQLite and YAML state folder copied into
PostgreSQL, counted on both sides, and served from there just as it was from the folder."""

from __future__ import annotations

from bot.cli import main as citebot
from knowledge.crawl.manifest import Manifest, PageRecord
from knowledge.curated import CuratedStore
from knowledge.database import open_store
from knowledge.glossary import Glossary
from knowledge.server_settings import FILE_NAME as SETTINGS_FILE
from knowledge.server_settings import ServerSettings, SettingsFile
from knowledge.store import Store
from knowledge.tenancy import Servers, server_dir
from knowledge.uploads import KnowledgeSources

UPLOAD = b"# Fridge storage\n\nExpressed milk keeps for four days in a refrigerator.\n"
PAGE = b"<html><head><title>Weaning</title></head><body><p>Weaning starts at six months.</p></body></html>"
SITE = "https://docs.example.org/guide/"


def _single_server_state(state):
    store = Store.in_folder(state)
    rows = store.server(42)
    asked = rows.record_answer("Is IgA in milk?", ["a#x-1"], False, user_id=7, channel_id=3)
    rows.set_feedback(asked, 7, -1, "too vague")
    answered = rows.record_answer("What is colostrum?", [], True, user_id=8)
    rows.dismiss_from_review(answered, user_id=9)
    rows.mark_notice_shown(7, "2026-01-01")
    rows.record_solved(
        channel_id=3, thread_id=5, title="Milk in the fridge", question=(5, "How long?", 7),
        solution=(6, "Four days.", 8), marked_by=7,
    )  # fmt: skip
    rows.set_opted_out(9, True)
    store.close()
    folder = server_dir(state, 42)
    CuratedStore.in_state_dir(folder).add("How long does milk keep?", "Four days in the fridge.", author="m")
    Glossary.in_state_dir(folder).add("EBM", "expressed breast milk", author="m")
    SettingsFile(folder / SETTINGS_FILE).update(
        lambda own: ServerSettings(help_channels=frozenset({4242})), author="admin"
    )
    (folder / "knowledge").mkdir(parents=True)
    (folder / "knowledge" / "fridge.md").write_bytes(UPLOAD)
    site = folder / "knowledge" / "docs.example.org-guide"  # a crawled site: a page and its manifest
    site.mkdir()
    (site / "weaning.html").write_bytes(PAGE)
    Manifest(SITE, {f"{SITE}weaning.html": PageRecord(f"{SITE}weaning.html", "weaning.html")}).write(site)
    return asked


def test_a_state_folder_moves_into_postgresql_and_is_served_from_there(tmp_path, database_url, capsys):
    state = tmp_path / "state"
    asked = _single_server_state(state)

    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 0
    out = capsys.readouterr().out
    assert "every count matches" in out
    counts = {line[:20].strip(): line[20:].split() for line in out.splitlines()[1:-1]}
    assert counts == {
        "answers": ["2", "2"],
        "feedback": ["1", "1"],
        "review_dismissed": ["1", "1"],
        "notices_shown": ["1", "1"],
        "solved_threads": ["1", "1"],
        "privacy_opt_outs": ["1", "1"],
        "state documents": ["3", "3"],
        "uploads": ["3", "3"],
    }

    fresh = tmp_path / "new-process"  # a bot process elsewhere, with none of the files
    store = open_store(fresh, database_url)
    try:
        state42 = Servers(KnowledgeSources.resolve(None, fresh), store).load_known()[0]
        assert state42.guild_id == 42
        assert state42.curated.match("How long does milk keep?").answer.answer == "Four days in the fridge."
        assert state42.glossary.expand("Can I freeze EBM?").text == "Can I freeze expressed breast milk?"
        servers = Servers(KnowledgeSources.resolve(None, fresh), store)
        assert servers.own_settings.get(42).current().help_channels == {4242}
        assert "uploads/fridge" in state42.kb.documents
        [site] = state42.sources.folder.sites(state42.kb)
        assert (site.address, site.pages) == (SITE, 1)
        [item] = state42.store.review_items(10)
        assert (item.answer_id, item.reasons) == (asked, ("too vague",))
        assert state42.store.answer_totals() == (2, 1) and state42.store.vote_totals() == (0, 1)
        assert state42.store.mark_notice_shown(7, "2026-01-01") is False
        [thread] = state42.store.solved_threads()
        assert (thread.title, thread.solution_text, thread.solution_author) == (
            "Milk in the fridge",
            "Four days.",
            8,
        )
        assert state42.store.opted_out([8, 9]) == {9}
    finally:
        store.close()


def test_a_database_already_in_use_is_refused(tmp_path, database_url, capsys):
    state = tmp_path / "state"
    _single_server_state(state)
    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 0
    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 1
    assert "already holds state, so nothing was copied; name an empty database" in capsys.readouterr().err


def test_every_file_is_checked_before_anything_is_copied_and_a_rerun_works(tmp_path, database_url, capsys):
    state = tmp_path / "state"
    _single_server_state(state)
    other = server_dir(state, 43)
    other.mkdir(parents=True)
    (other / "golden.yaml").write_bytes("- question: ¿Qué es el calostro?\n".encode("cp1252"))
    (other / "glossary.yaml").write_text("EBM: [unclosed\n", encoding="utf-8")

    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 1
    err = capsys.readouterr().err
    assert "2 file(s)" in err and "nothing was copied" in err
    assert f"{other / 'golden.yaml'}: not UTF-8 text" in err
    assert f"{other / 'glossary.yaml'}" in err and "line" in err
    assert "Traceback" not in err
    store = open_store(tmp_path / "fresh", database_url)
    try:
        assert store.guilds_with_state() == [] and store.server(42).answer_totals() == (0, 0)
    finally:
        store.close()

    (other / "golden.yaml").unlink()
    (other / "glossary.yaml").unlink()
    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 0
    assert "every count matches" in capsys.readouterr().out


def test_replace_empties_a_database_in_use_and_copies_again(tmp_path, database_url, capsys):
    state = tmp_path / "state"
    _single_server_state(state)
    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 0
    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state)]) == 1
    assert "run again with --replace" in capsys.readouterr().err
    CuratedStore.in_state_dir(server_dir(state, 42)).add("Can I freeze milk?", "Yes, six months.", author="m")
    assert citebot(["migrate-state", "--to", database_url, "--state-dir", str(state), "--replace"]) == 0
    out = capsys.readouterr().out
    assert "answers                     2        2" in out  # not doubled
    store = open_store(tmp_path / "fresh", database_url)
    try:
        served = Servers(KnowledgeSources.resolve(None, tmp_path / "fresh"), store).load_known()[0]
        assert served.curated.match("Can I freeze milk?").answer.answer == "Yes, six months."
    finally:
        store.close()
