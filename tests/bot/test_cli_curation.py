"""Operators' curation commands and curated answers in the terminal, run as ``python -m bot``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SERVER = "111"
CURATED = """\
version: 1
answers:
- id: 1
  question: Is it safe to take ibuprofen while breastfeeding?
  phrasings: ["Can I use ibuprofen when nursing?"]
  answer: |
    Yes, at usual doses.
  sources: []
"""


def citebot(state: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["CITEBOT_STATE_DIR"] = str(state)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def test_faq_import_export_round_trip(tmp_path):
    state = tmp_path / "state"
    source = tmp_path / "mine.yaml"
    source.write_text(CURATED)

    dry = citebot(state, "faq", "import", str(source), "--dry-run", "--server", SERVER)
    assert dry.returncode == 0, dry.stderr
    assert "+ #1 Is it safe to take ibuprofen while breastfeeding?" in dry.stdout
    assert "dry run: 1 new, 0 updated, 0 unchanged" in dry.stdout
    assert not (state / "servers" / SERVER / "curated.yaml").exists()

    done = citebot(state, "faq", "import", str(source), "--server", SERVER)
    assert done.returncode == 0 and "imported: 1 new" in done.stdout

    exported = citebot(state, "faq", "export")
    data = yaml.safe_load(exported.stdout)
    [entry] = data["answers"]
    assert entry["answer"] == "Yes, at usual doses."
    assert entry["history"][-1]["action"] == "imported"
    again = citebot(state, "faq", "import", "-", stdin=exported.stdout)
    assert "0 new, 0 updated, 1 unchanged" in again.stdout


def test_faq_import_of_a_broken_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("answers:\n- id: 1\n  question: [oops\n")
    out = citebot(tmp_path / "state", "faq", "import", str(bad), "--server", SERVER)
    assert out.returncode == 1
    assert out.stderr.startswith("error: bad.yaml, line ")


def test_glossary_commands(tmp_path):
    state = tmp_path / "state"
    added = citebot(state, "glossary", "add", "first milk", "colostrum", "--server", SERVER)
    assert added.stdout == "first milk -> colostrum\n"
    assert citebot(state, "glossary", "list").stdout == "first milk\tcolostrum\n"
    assert citebot(state, "glossary", "remove", "First Milk").returncode == 0
    missing = citebot(state, "glossary", "remove", "first milk")
    assert missing.returncode == 1 and "not in the glossary" in missing.stderr


def test_the_bots_config_names_the_state_folder(tmp_path):
    config = tmp_path / "citebot.yaml"
    config.write_text("state_dir: bot-state\n")
    out = citebot(
        tmp_path / "elsewhere", "glossary", "add", "tummy", "gut", "--config", str(config), "--server", SERVER
    )
    assert out.returncode == 0, out.stderr
    assert "tummy" in (tmp_path / "bot-state" / "servers" / SERVER / "glossary.yaml").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text("answers:\n  private: yes please\n")
    failed = citebot(tmp_path / "elsewhere", "faq", "export", "--config", str(broken))
    assert failed.returncode == 2 and failed.stderr.startswith(f"error: {broken}:2: answers.private")


def test_ask_json_and_the_console_show_curated_answers(tmp_path):
    state = tmp_path / "state"
    (state / "servers" / SERVER).mkdir(parents=True)
    (state / "servers" / SERVER / "curated.yaml").write_text(CURATED)

    out = citebot(state, "ask", "--json", "can I use ibuprofen when I'm nursing?")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["curated"] == {
        "id": 1,
        "question": "Is it safe to take ibuprofen while breastfeeding?",
        "text": "Yes, at usual doses.",
    }
    plain = json.loads(citebot(state, "ask", "--json", "What is secretory IgA?").stdout)
    assert plain["curated"] is None

    console = citebot(state, "chat", stdin="Is it safe to take ibuprofen while breastfeeding?\n/quit\n")
    assert "Answer from the moderators:\nYes, at usual doses." in console.stdout


def test_glossary_changes_what_ask_answers(tmp_path):
    state = tmp_path / "state"
    question = "How does the belly of the mother send immune cells to the jugs?"
    before = json.loads(citebot(state, "ask", "--json", question).stdout)
    citebot(state, "glossary", "add", "belly", "gut", "--server", SERVER)
    citebot(state, "glossary", "add", "jugs", "mammary glands")  # the only server with state
    after = json.loads(citebot(state, "ask", "--json", question).stdout)
    assert not before["answered"] and after["answered"]
    assert after["question"] == question
    assert any("“belly” as “gut”" in notice for notice in after["notices"])


def test_a_state_folder_that_cannot_be_written_is_an_error_that_says_nothing_was_saved(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be")
    out = citebot(blocker / "state", "glossary", "add", "first milk", "colostrum", "--server", SERVER)
    assert out.returncode == 1
    [error] = [line for line in out.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith("error: could not write ") and "glossary.yaml" in error
    assert error.endswith("nothing was saved")
    assert "Traceback" not in out.stderr


def test_curation_commands_act_on_one_server_and_name_them_when_it_is_unclear(tmp_path):
    state = tmp_path / "state"
    source = tmp_path / "mine.yaml"
    source.write_text(CURATED)
    none_yet = citebot(state, "faq", "export")
    assert none_yet.returncode == 1 and "choose one with --server ID" in none_yet.stderr
    assert citebot(state, "faq", "import", str(source), "--server", "111").returncode == 0
    assert citebot(state, "glossary", "add", "tummy", "gut", "--server", "222").returncode == 0

    unclear = citebot(state, "faq", "export")
    assert unclear.returncode == 1
    assert "2 servers have state" in unclear.stderr and "111, 222" in unclear.stderr
    assert yaml.safe_load(citebot(state, "faq", "export", "--server", "222").stdout)["answers"] == []
    ibuprofen = "Is it safe to take ibuprofen while breastfeeding?"
    in_111 = json.loads(citebot(state, "ask", "--json", ibuprofen, "--server", "111").stdout)
    in_222 = json.loads(citebot(state, "ask", "--json", ibuprofen, "--server", "222").stdout)
    assert in_111["curated"]["text"] == "Yes, at usual doses." and in_222["curated"] is None
    assert citebot(state, "ask", "--json", ibuprofen).returncode == 1  # which server's answer?
    assert citebot(state, "glossary", "list", "--server", "111").stdout == ""


def test_state_kept_from_before_servers_is_assigned_to_one_with_a_backup(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "curated.yaml").write_text(CURATED)
    (state / "knowledge").mkdir()
    (state / "knowledge" / "notes.md").write_text("# Notes\n\nColostrum is the first milk.\n")
    waiting = citebot(state, "state", "list")
    assert "not assigned to a server: curated.yaml, knowledge" in waiting.stderr

    moved = citebot(state, "state", "assign", "--server", "333")
    assert moved.returncode == 0 and "moved to server 333: curated.yaml, knowledge" in moved.stdout
    assert (state / "servers" / "333" / "curated.yaml").read_text() == CURATED
    assert (state / "servers" / "333" / "knowledge" / "notes.md").exists()
    [backup] = state.glob("backup-*")
    assert (backup / "curated.yaml").read_text() == CURATED and (backup / "knowledge" / "notes.md").exists()
    assert not (state / "curated.yaml").exists()
    assert citebot(state, "state", "list").stdout == f"333\t{state / 'servers' / '333'}\n"


def test_faq_import_fills_in_ids_reads_yes_as_text_and_warns_of_unknown_passages(tmp_path):
    state = tmp_path / "state"
    source = tmp_path / "mine.yaml"
    source.write_text(CURATED)
    assert citebot(state, "faq", "import", str(source), "--server", SERVER).returncode == 0
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "answers:\n"
        "- question: Can I breastfeed with a cold?\n  answer: yes\n"
        "  sources:\n  - passage: milk#no-such-section-abc123\n"
    )
    out = citebot(state, "faq", "import", str(extra))
    assert out.returncode == 0, out.stderr
    assert "+ #2 Can I breastfeed with a cold?" in out.stdout and "imported: 1 new" in out.stdout
    assert (
        "warning: curated answer #2 names passage milk#no-such-section-abc123, "
        "which is not in the knowledge base"
    ) in out.stderr
    answers = yaml.safe_load(citebot(state, "faq", "export").stdout)["answers"]
    assert [(a["id"], a["answer"]) for a in answers] == [(1, "Yes, at usual doses."), (2, "yes")]


def test_an_empty_import_file_says_nothing_to_import_and_writes_nothing(tmp_path):
    state = tmp_path / "state"
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    out = citebot(state, "faq", "import", str(empty), "--server", SERVER)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"nothing to import: {empty} holds no curated answers\n"
    assert not (state / "servers" / SERVER / "curated.yaml").exists()


def test_a_glossary_term_that_reads_like_one_already_there_is_refused(tmp_path):
    state = tmp_path / "state"
    citebot(state, "glossary", "add", "baby", "infant", "--server", SERVER)
    refused = citebot(state, "glossary", "add", "babies", "newborn")
    assert refused.returncode == 1
    assert "“babies” reads the same as “baby”" in refused.stderr
    assert citebot(state, "glossary", "list").stdout == "baby\tinfant\n"


def test_faq_and_glossary_commands_work_on_the_database(tmp_path, database_url, monkeypatch):
    """With a database_url the commands read and change what every bot process serves: nothing is
    written to the state folder, and the bot's own store sees the import."""
    from knowledge.curated import CuratedStore
    from knowledge.database import open_store

    monkeypatch.setenv("CITEBOT_DATABASE_URL", database_url)
    state = tmp_path / "state"
    source = tmp_path / "mine.yaml"
    source.write_text(CURATED)
    imported = citebot(state, "faq", "import", str(source), "--server", SERVER)
    assert imported.returncode == 0, imported.stderr
    assert "imported: 1 new, 0 updated, 0 unchanged" in imported.stdout
    exported = citebot(state, "faq", "export")  # the only server with state in the database
    assert exported.returncode == 0, exported.stderr
    [answer] = yaml.safe_load(exported.stdout)["answers"]
    assert answer["question"] == "Is it safe to take ibuprofen while breastfeeding?"

    added = citebot(state, "glossary", "add", "EBM", "expressed breast milk", "--server", SERVER)
    assert added.returncode == 0, added.stderr
    listed = citebot(state, "glossary", "list", "--server", SERVER)
    assert listed.stdout == "EBM\texpressed breast milk\n"
    assert not list(state.rglob("*.yaml"))
    listed = citebot(state, "state", "list")
    assert listed.stdout == f"{SERVER}\t{database_url}\n"  # (the test database has no password)
    asked = citebot(state, "ask", "Can I use ibuprofen when nursing?", "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["curated"]["id"] == 1  # answered as the bot does in that server

    store = open_store(state, database_url)
    try:
        curated = CuratedStore(store.server(int(SERVER)).state_file(state / "curated.yaml"))
        assert curated.match("Can I use ibuprofen when nursing?").answer.id == 1
    finally:
        store.close()


def test_index_check_reports_a_broken_state_document_in_the_database(tmp_path, database_url, monkeypatch):
    from knowledge.database import open_store

    monkeypatch.setenv("CITEBOT_DATABASE_URL", database_url)
    state = tmp_path / "state"
    store = open_store(state, database_url)
    try:
        store.write_document(int(SERVER), "glossary.yaml", "terms: [unclosed\n", None)
    finally:
        store.close()
    checked = citebot(state, "index", "--check")
    assert checked.returncode == 1
    assert f"error: server {SERVER} in postgresql://" in checked.stdout and "invalid YAML" in checked.stdout


def test_index_check_reports_a_mistake_in_a_servers_settings(tmp_path):
    state = tmp_path / "state"
    folder = state / "servers" / SERVER
    folder.mkdir(parents=True)
    (folder / "settings.yaml").write_text("help_channels: [123456789012345678, general]\n")
    checked = citebot(state, "index", "--check")
    assert checked.returncode == 1
    assert "settings.yaml, line 1: help_channels[1]: expected a Discord id, got 'general'" in checked.stdout


def test_threads_export_writes_a_servers_solved_threads_as_yaml(tmp_path):
    from knowledge.solved import Post, SolvedThreads
    from knowledge.store import Store

    state = tmp_path / "state"
    store = Store.in_folder(state)
    for guild, title in ((111, "Enough milk?"), (222, "Night feeds")):
        SolvedThreads(store.server(guild), None).mark(
            channel_id=4, thread_id=5, title=title, question=Post(5, "How can I tell?", 7),
            solution=Post(6, "Count the wet diapers.", 8), marked_by=7,
        )  # fmt: skip
    store.close()

    several = citebot(state, "threads", "export")
    assert several.returncode == 1 and "111, 222; choose one with --server ID" in several.stderr
    out = tmp_path / "threads.yaml"
    done = citebot(state, "threads", "export", str(out), "--server", "111")
    assert done.returncode == 0, done.stderr
    assert "wrote 1 solved thread(s) of server 111" in done.stderr
    exported = yaml.safe_load(out.read_text())
    [thread] = exported["threads"]
    assert exported["server"] == 111 and thread["title"] == "Enough milk?"
    assert (thread["question_author"], thread["solution_author"]) == (7, 8)
    assert thread["solution_link"] == "https://discord.com/channels/111/5/6"
