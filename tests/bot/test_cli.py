"""The citebot command as an operator runs it: ask, --json, stdin, index, the console."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import NOTHING_NEW, Session, handle
from knowledge import Assistant


def citebot(*args: str, stdin: str | None = None, env: dict | None = None, cwd: Path | None = None):
    full_env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def state(tmp_path):
    return {"CITEBOT_STATE_DIR": str(tmp_path / "state")}


def test_ask_prints_a_cited_answer(state):
    out = citebot("ask", "What is secretory IgA in breast milk?", env=state)
    assert out.returncode == 0, out.stderr
    assert "secretory IgA" in out.stdout and "**" not in out.stdout, "piped: plain text, no Markdown"
    assert "[1] Enteromammary immune system · Guillen-Morales 2025" in out.stdout
    assert "https://doi.org/10.3390/hygiene5040046" in out.stdout
    assert len(out.stdout) < 1000


def test_ask_json_contract(state):
    out = citebot("ask", "How do antibodies get into milk during lactation?", "--json", "-k", "3", env=state)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {"question", "answered", "curated", "sentences", "passages"}
    assert data["answered"] is True and data["curated"] is None
    assert 1 <= len(data["sentences"]) <= 3 and all(isinstance(s, str) for s in data["sentences"])
    assert len(data["passages"]) <= 3
    for passage in data["passages"]:
        assert set(passage) >= {"doc_id", "passage_id", "title", "section", "text", "score", "citation"}
    scores = [p["score"] for p in data["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_reads_questions_from_stdin_in_order(state):
    questions = "How does the immune system of a fish work?\n\nWhat is the enteromammary immune system?\n"
    out = citebot("ask", "--json", stdin=questions, env=state)
    assert out.returncode == 0, out.stderr
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert [a["question"] for a in answers] == [
        "How does the immune system of a fish work?",
        "What is the enteromammary immune system?",
    ]
    assert [a["answered"] for a in answers] == [False, True]
    assert answers[0]["passages"], "a decline still lists the closest passages"


def test_declined_answer_says_so(state):
    out = citebot("ask", "How do I bake sourdough bread?", env=state)
    assert "not in the knowledge base" in out.stdout


def test_empty_question_is_a_clear_error(state):
    out = citebot("ask", "   ", env=state)
    assert out.returncode == 2
    assert "empty" in out.stderr


def test_index_reports_counts_and_errors(tmp_path, state):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nColostrum is the first milk.\n")
    (folder / "bad.md").write_text("---\ntitle: [\n---\nBody\n")
    (folder / "empty.md").write_text("")
    out = citebot("index", "--knowledge", str(folder), env=state)
    assert out.returncode == 1
    assert "documents: 2" in out.stdout and "passages: 2" in out.stdout  # bad.md's body loads
    assert "bad.md:3" in out.stdout and "YAML" in out.stdout and "empty.md: empty" in out.stdout
    assert "2 problem(s) found" in out.stdout
    assert "bad.md" not in out.stderr  # each problem is reported once, not also as a log line


def test_index_says_which_encoding_a_file_that_is_not_utf_8_was_read_in(tmp_path, state):
    folder = tmp_path / "kb"
    folder.mkdir()
    text = "# Café notes\n\nThe café serves déjà vu coffee. Naïve customers order crème brûlée there.\n"
    (folder / "cafe.md").write_bytes(text.encode("cp1252"))
    (folder / "tea.md").write_text("# Tea\n\nGreen tea is served in the afternoon.\n")
    out = citebot("index", "--knowledge", str(folder), env=state)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"not UTF-8: {folder / 'cafe.md'} was read as Windows-1252 (Western European)" in out.stdout
    assert "tea.md" not in out.stdout
    # Asked without the accents, answered with them, as the file has them.
    answer = citebot("ask", "--knowledge", str(folder), "what does the cafe serve", env=state)
    assert "The café serves déjà vu coffee." in answer.stdout, answer.stdout


def test_index_names_markup_errors_of_a_file_it_still_read(tmp_path, state):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "pumping.rst").write_text("Pumping\n=======\n\n.. note::\n\nA double kit halves the time.\n")
    out = citebot("index", "--knowledge", str(folder), env=state)
    assert out.returncode == 0, out.stdout + out.stderr  # read, so not a problem that fails a check
    expected = f'markup: {folder / "pumping.rst"}: line 4: Content block expected for the "note" directive'
    assert expected in out.stdout
    assert "no problems found (1 markup error(s) above, read as well as possible)" in out.stdout
    again = citebot("index", "--knowledge", str(folder), env=state)  # from the saved index
    assert expected in again.stdout


def test_index_is_reused_until_the_folder_changes(tmp_path, state):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nColostrum is the first milk.\n")
    assert citebot("index", "--knowledge", str(folder), env=state).returncode == 0
    cached = list((tmp_path / "state" / "index").glob("*/*/manifest.json"))
    assert len(cached) == 1
    (folder / "b.md").write_text("# B\n\nLactoferrin binds iron.\n")
    out = citebot("ask", "lactoferrin iron", "--knowledge", str(folder), "--json", env=state)
    assert json.loads(out.stdout)["passages"][0]["doc_id"] == "b"
    assert len(list((tmp_path / "state" / "index").glob("*/*/manifest.json"))) == 1


@pytest.mark.parametrize("command", ["ask", "chat", "index"])
def test_a_missing_knowledge_folder_is_an_error(tmp_path, state, command):
    args = [command, "--knowledge", str(tmp_path / "none")] + (["What is IgA?"] if command == "ask" else [])
    out = citebot(*args, stdin="", env=state)
    assert out.returncode != 0
    assert f"error: knowledge folder {tmp_path / 'none'} does not exist" in out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_a_knowledge_folder_without_documents_says_so_instead_of_declining_everything(
    tmp_path, state, command
):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.docx").write_bytes(b"not a document citebot reads")
    args = [command, "--knowledge", str(empty)] + (["What is IgA?"] if command == "ask" else [])
    out = citebot(*args, stdin="", env=state)
    assert out.returncode == 1
    assert f"error: {empty}: the knowledge folder has no documents" in out.stderr
    assert "not in the knowledge base" not in out.stdout and "Traceback" not in out.stderr


def test_version_and_help_read_as_plain_text(state):
    version = citebot("--version", env=state)
    assert version.returncode == 0 and version.stdout.startswith("citebot ")
    for args in ([], ["ask"], ["chat"], ["index"], ["eval"], ["run"]):
        shown = citebot(*args, "--help", env=state).stdout
        assert "`" not in shown, f"doc-style backticks in citebot {' '.join(args)} --help"
    ask_help = " ".join(citebot("ask", "--help", env=state).stdout.split())
    for fallback in ("state_dir", "$CITEBOT_STATE_DIR", "$XDG_STATE_HOME/citebot", "~/.local/state/citebot"):
        assert fallback in ask_help


def test_no_token_runs_the_local_console(state):
    script = "What is secretory IgA?\n/topics\n/search mastitis\n/source nope\n/help\n/quit\n"
    out = citebot(stdin=script, env=state)
    assert out.returncode == 0, out.stderr
    assert "local console" in out.stdout and "not medical advice" in out.stdout
    assert "secretory IgA" in out.stdout and "**IgA**" not in out.stdout
    assert "(4 passages)" in out.stdout or "passages)" in out.stdout
    assert "mastitis" in out.stdout.lower()
    assert "No passage has the id 'nope'" in out.stdout
    assert "/source ID" in out.stdout


def test_the_console_shows_a_source_by_the_number_the_last_reply_gave_it(builtin_kb):
    assistant, session = Assistant(builtin_kb), Session()
    say = functools.partial(handle, assistant, session=session)
    assert say("/source 1") == "The last reply has no source [1]. /search shows passage ids."
    answer = say("What is the mammary immune system?")
    [cited] = [line for line in answer.splitlines() if line.startswith("[1] ")]
    passage_id = cited.rsplit("(", 1)[1].rstrip(")")
    assert say("/source 1") == say("/source [1]") == say(f"/source {passage_id}")
    assert passage_id in say("/source 1") and "The mammary immune system" in say("/source 1")
    assert say("/source 4") == "The last reply has no source [4]; it shows [1]."
    results = say("/search breast milk antibodies").splitlines()
    assert results[3].startswith("[2] ")
    assert say("/source 2").splitlines()[1] == results[4].strip()  # result [2]'s passage id


def test_the_console_numbers_an_answer_from_1_as_it_reads_and_source_1_is_its_first_quote(builtin_kb):
    say = functools.partial(handle, Assistant(builtin_kb), session=Session())
    answer = say("how does what i eat end up protecting my baby thru breastmilk?")
    body, sources = answer.split("\nSources:\n", 1)
    first_seen = list(dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", body)))
    assert len(first_seen) >= 3 and first_seen == list(range(1, len(first_seen) + 1))
    listed = re.findall(r"^\[(\d+)\] .*\((\S+#\S+)\)$", sources, flags=re.M)
    assert [int(n) for n, _ in listed] == first_seen
    for number, passage_id in listed:
        assert say(f"/source {number}").splitlines()[1] == passage_id
    assert say(f"/source {len(listed) + 1}").startswith(f"The last reply has no source [{len(listed) + 1}]")


def test_ask_json_numbers_sources_as_the_text_does(state):
    question = "how does what i eat end up protecting my baby thru breastmilk?"
    data = json.loads(citebot("ask", "--json", question, env=state).stdout)
    text = citebot("ask", question, env=state).stdout
    assert data["cites"] and sorted(set(data["cites"])) == [s["n"] for s in data["sources"]]
    for source in data["sources"]:
        assert f"[{source['n']}] " in text and f"({source['passage_id']})" in text


def test_index_check_lists_every_problem_and_writes_nothing(tmp_path, state):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nColostrum is the first milk.\n")
    (folder / "bad.md").write_text("---\ntitle: ok\ntags: [a,\n---\nBody\n")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    assert citebot("index", "--knowledge", str(folder), env=state).returncode == 1  # saves the index
    state_dir = tmp_path / "state"
    [arrays] = state_dir.glob("index/*/*/index/index.npz")
    arrays.write_bytes(arrays.read_bytes()[:100])  # a truncated saved index
    (state_dir / "curated.yaml").write_text("answers:\n  - question: [unclosed\n")
    (state_dir / "glossary.yaml").write_text("terms: {first milk: \n")
    config = tmp_path / "citebot.yaml"
    config.write_text(f"knowledge_dir: {folder}\nstate_dir: {state_dir}\n")
    before = sorted(p.relative_to(state_dir) for p in state_dir.rglob("*"))

    out = citebot("index", "--check", "--config", str(config), env=state)

    assert out.returncode == 1
    errors = [line for line in out.stdout.splitlines() if line.startswith("error: ")]
    assert any(("bad.md:3" in e or "bad.md:4" in e) and "YAML" in e for e in errors), errors
    assert any("broken.pdf" in e for e in errors), errors
    assert any("saved index is unusable" in e for e in errors), errors
    assert any("curated.yaml, line " in e for e in errors), errors
    assert any("glossary.yaml" in e for e in errors), errors
    assert "5 problem(s) found" in out.stdout
    assert sorted(p.relative_to(state_dir) for p in state_dir.rglob("*")) == before


def test_invalid_config_is_a_clear_error_naming_the_key(tmp_path, state):
    config = tmp_path / "citebot.yaml"
    config.write_text("answers:\n  private: maybe\n")
    out = citebot("ask", "What is IgA?", "--config", str(config), env=state)
    assert out.returncode == 2
    assert "answers.private" in out.stderr and "citebot.yaml" in out.stderr


def test_ask_names_the_red_flag_first_in_text_and_json(state):
    out = citebot("ask", "my baby has a fever and is breathing fast", env=state)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("⚠️ A baby struggling to breathe")
    data = json.loads(citebot("ask", "my boob is red and hot and I have a fever", "--json", env=state).stdout)
    assert data["red_flag"] is True and data["notices"][0].startswith("⚠️ A red, painful breast with a fever")
    # the posts, written as parents write them
    out = citebot("ask", "baby has had no wet nappy since yesterday", env=state)
    assert out.stdout.startswith("⚠️ Few or no wet nappies (diapers)"), out.stdout + out.stderr
    data = json.loads(citebot("ask", "LO 100.4F rectal, 7 wks old", "--json", env=state).stdout)
    assert data["notices"][0].startswith("⚠️ A temperature of 38 °C (100.4 °F) or more in a baby")
    ordinary = citebot("ask", "what temperature should stored breast milk be", "--json", env=state)
    data = json.loads(ordinary.stdout)
    assert data["red_flag"] is False and not any(n.startswith("⚠️") for n in data["notices"])


def test_ask_uses_the_red_flags_of_the_config(tmp_path, state):
    config = tmp_path / "citebot.yaml"
    config.write_text('notices:\n  red_flag_message: "Call now."\n  red_flags: ["\\\\burgent\\\\b"]\n')
    out = citebot("ask", "urgent: what is colostrum?", "--config", str(config), env=state)
    assert out.stdout.startswith("Call now."), out.stdout + out.stderr


def test_ask_explain_shows_why_it_answered_or_declined(state):
    declined = citebot("ask", "can i take ibuprofen while breastfeeding", "--explain", "--json", env=state)
    assert declined.returncode == 0, declined.stderr
    data = json.loads(declined.stdout)
    why = data["explain"]
    assert data["answered"] is False
    assert why["decision"]["rule"] == "unknown-subject"
    assert any(w["word"] == "ibuprofen" and not w["known"] for w in why["analysis"]["words"])
    assert why["notices"] == ["not-mentioned"]
    assert [p["passage"] for p in why["passages"]] == [p["passage_id"] for p in data["passages"]]
    assert all(p["bm25"] is not None for p in why["passages"])
    # In the terminal: the answer, then each stage.
    answered = citebot("ask", "What is secretory IgA in breast milk?", "--explain", env=state)
    assert answered.returncode == 0, answered.stderr
    answer, _, stages = answered.stdout.partition("\nanalysis\n")
    assert "[1] Enteromammary immune system" in answer
    assert "decision: answered by rule coverage" in stages
    assert "passages (fused score · BM25 · meaning)" in stages and "coverage: " in stages


def test_ask_with_a_saved_index_loads_neither_scipy_nor_the_api_readers(state):
    # SciPy's import (a quarter of a cold `citebot ask`) and docutils are for building an index
    # and for `citebot lookup`: answering from a saved index needs neither.
    assert citebot("index", env=state).returncode == 0
    code = (
        "import runpy, sys\n"
        "sys.argv = ['citebot', 'ask', 'What is secretory IgA?']\n"
        "try:\n"
        "    runpy.run_module('bot', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('scipy', 'sklearn', 'docutils')\n"
        "print('loaded:', sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"} | state
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert "secretory IgA" in out.stdout, out.stderr
    assert "loaded: []" in out.stdout


def test_the_console_greets_back_and_takes_thanks_as_in_discord(builtin_kb):
    session = Session()
    say = functools.partial(handle, Assistant(builtin_kb), session=session)
    say("What is the mammary immune system?")
    before = dict(session.numbered)
    assert say("hi!").startswith("Hi! Type a question")
    assert say("thank you so much, that helped") == "👍"  # not an answer about what "helps"
    assert say("ok") == ""
    assert session.numbered == before  # "/source 1" still shows the answer's first source
    assert say("🍼🍼") == "Please ask in words: that question has no words to look up."
    assert "[1]" in say("hi, what is the mammary immune system?")
    assert say("help") == say("what can you do?") == say("/help")  # not a sentence about what "helps"


def test_the_console_takes_why_after_an_answer_as_a_follow_up_and_quit_as_leaving(builtin_kb):
    session = Session()
    say = functools.partial(handle, Assistant(builtin_kb), session=session)
    assert "not in the knowledge base" in say("why?")  # nothing answered yet: asked as it stands
    assert "[1]" in say("What is the mammary immune system?")
    assert say("why?") == say("tell me more") == NOTHING_NEW  # not "That is not in the knowledge base."
    assert "[1]" in say("and what is the enteromammary immune system?")  # a question of its own
    say("/search mastitis")
    assert say("why?") != NOTHING_NEW  # after search results there is no answer to follow up
    for word in ("quit", "exit", "QUIT", "exit()"):
        assert say(word) is None
    assert say("quit breastfeeding?") is not None  # a question that starts with the word


def test_the_console_takes_and_for_after_an_answer_as_a_follow_up(builtin_kb):
    assistant = Assistant(builtin_kb)
    assert "not in the knowledge base" in handle(assistant, "and for babies?", session=Session())
    say = functools.partial(handle, assistant, session=Session())
    assert "[1]" in say("What does the enteromammary immune system do?")
    followed = say("and for babies?")  # as in a Discord thread, the earlier question counts with it
    assert "[1]" in followed and "not in the knowledge base" not in followed
    say("what is the weather like?")  # declined: nothing to follow up on any more
    assert "not in the knowledge base" in say("and for babies?")
