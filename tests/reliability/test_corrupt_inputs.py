"""Corrupt inputs: broken documents, curated answers, glossary, config and saved index.

Each gives a clear error naming the file (and the line where one exists), the last good state keeps
serving, and ``citebot index --check`` lists every problem.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from reliability_helpers import last_message, make_pdf, server

from bot.__main__ import main as citebot
from bot.config import Config, ConfigError, load_config
from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.curated import CuratedStore
from knowledge.glossary import Glossary
from knowledge.retriever import search

GOOD = """---
title: Colostrum
source: Lactation notes (2024)
---
# Colostrum

## What it is

Colostrum is the first milk after birth; it is rich in secretory IgA antibodies.
"""
QUESTION = "What is colostrum rich in?"

BROKEN_FILES: dict[str, bytes] = {
    # invalid YAML on line 3 of the file
    "bad-front-matter.md": b"---\ntitle: Broken\nauthors: Ann: Bo\nyear: 2024\n---\n# Body\n\nText.\n",
    "wrong-type.md": b"---\ntitle: [not, a, string]\n---\n# Body\n\nText.\n",
    "binary.md": b"\xff\xfe\x00\x01 not utf-8 \x80\x81",
    "not-really.pdf": b"%PDF-1.4\nthis is not a PDF body at all\n%%EOF\n",
    "truncated.pdf": make_pdf(["Colostrum page one.", "Page two."])[:180],
    "scanned.pdf": make_pdf([""]),
    "lines.jsonl": b'{"_id": "a", "title": "A", "text": "fine"}\n{"_id": "b", "text": \n[1, 2]\n',
}
# What each problem must say: the file, and the line where there is one.
EXPECTED = {
    "bad-front-matter.md": ("bad-front-matter.md:", "invalid YAML front matter"),
    "wrong-type.md": ("wrong-type.md", "should be str"),
    "binary.md": ("binary.md", "not UTF-8"),
    "not-really.pdf": ("not-really.pdf", "not a readable PDF"),
    "truncated.pdf": ("truncated.pdf", "PDF"),
    "scanned.pdf": ("scanned.pdf", "no extractable text"),
    "lines.jsonl:2": ("lines.jsonl:2", "invalid JSON"),
    "lines.jsonl:3": ("lines.jsonl:3", '"_id"'),
}


def knowledge_folder(root: Path, *, broken: bool = True) -> Path:
    folder = root / "knowledge"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "colostrum.md").write_text(GOOD)
    if broken:
        for name, data in BROKEN_FILES.items():
            (folder / name).write_bytes(data)
    return folder


def test_broken_documents_are_named_and_the_rest_still_answers(tmp_path):
    kb = KnowledgeBase.from_folder(knowledge_folder(tmp_path), state_dir=tmp_path / "state")
    problems = [str(e) for e in kb.errors]
    for key, (where, what) in EXPECTED.items():
        assert any(where in p and what in p for p in problems), f"{key}: {problems}"
    front = next(e for e in kb.errors if e.path.endswith("bad-front-matter.md"))
    assert front.line == 3  # counted in the file, not in the front matter
    wrong = next(e for e in kb.errors if e.path.endswith("wrong-type.md"))
    assert wrong.line == 2
    assert len(kb.errors) == len(EXPECTED)
    # The good document and the good JSONL line still load and answer; so do the bodies of the
    # documents whose front matter was refused (without their metadata, titled by their heading).
    assert set(kb.documents) == {"colostrum", "a", "bad-front-matter", "wrong-type"}
    for doc_id in ("bad-front-matter", "wrong-type"):
        doc = kb.documents[doc_id]
        assert doc.title == "Body" and doc.text.strip().endswith("Text.") and "authors" not in doc.meta
    assert Assistant(kb).ask(QUESTION).answered


def test_index_check_lists_every_document_problem(tmp_path, capsys):
    folder = knowledge_folder(tmp_path)
    status = citebot(["index", "--check", "--knowledge", str(folder), "--state-dir", str(tmp_path / "s")])
    out = capsys.readouterr().out
    assert status == 1
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    for where, what in EXPECTED.values():
        assert any(where in line and what in line for line in errors), (where, out)
    assert f"{len(EXPECTED)} problem(s) found" in out
    assert not (tmp_path / "s").exists()  # --check writes nothing


# -- curated answers and glossary edited by hand -------------------------------------------------------


def test_a_broken_curated_file_keeps_the_previous_answers_serving(tmp_path):
    state = tmp_path / "state"
    store = CuratedStore.in_state_dir(state)
    store.add("Is ibuprofen safe while breastfeeding?", "Yes, at usual doses.", author="mod")
    path = state / "curated.yaml"
    good = path.read_text()

    # A hand edit with a syntax error on line 4.
    path.write_text("version: 1\nanswers:\n  - id: 1\n    question: a: b\n    answer: x\n")
    assert store.match("is ibuprofen safe while breastfeeding") is not None
    assert str(store.load_error).startswith("curated.yaml, line 4")

    # A hand edit that parses but is invalid: the entry and its line are named.
    path.write_text(good.replace("id: 1", "id: one"))
    assert store.match("is ibuprofen safe while breastfeeding") is not None
    error = str(store.refresh())
    assert "curated.yaml, line" in error and "entry 1" in error and "'id'" in error

    # A restart with the broken file serves the last good version (the backup).
    path.write_text("answers: [\n")
    (state / "curated.yaml.bak").write_text(good)
    restarted = CuratedStore.in_state_dir(state)
    assert restarted.load_error is not None and "line" in str(restarted.load_error)
    assert restarted.match("is ibuprofen safe while breastfeeding") is not None

    # Fixing the file is picked up without a restart.
    path.write_text(good.replace("Yes, at usual doses.", "Yes."))
    assert restarted.refresh() is None
    assert restarted.get(1).answer == "Yes."


def test_a_broken_glossary_keeps_the_previous_terms(tmp_path, builtin_kb):
    state = tmp_path / "state"
    glossary = Glossary.in_state_dir(state)
    glossary.add("first milk", "colostrum", author="mod")
    path = state / "glossary.yaml"
    path.write_text("version: 1\nterms:\n  - term: first milk\n    means: [colostrum\n")
    assert glossary.expand("what is first milk").text == "what is colostrum"
    assert str(glossary.load_error).startswith("glossary.yaml, line")
    path.write_text("version: 1\nterms:\n  - term: ''\n    means: colostrum\n")
    assert glossary.expand("what is first milk").text == "what is colostrum"
    assert "glossary.yaml, line 3, entry 1" in str(glossary.load_error)

    # The answer pipeline keeps working through both.
    answer = Assistant(builtin_kb, glossary=glossary).ask("What is first milk?")
    assert any(("first milk", "colostrum") in notice.pairs for notice in answer.notices)


# -- the bot's config -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("answers:\n  private: a: b\n", ":2:"),  # invalid YAML: file, line and column
        ("answers:\n  private: yes please\n", ":2: answers.private: expected true or false"),
        ("cooldown:\n  rate: 3\n  pre: 60\n", ":3: cooldown.pre: unknown key (did you mean cooldown.per?)"),
        ("help_channels: [12, -4]\n", "help_channels[1]: expected a Discord id"),
        ("notices:\n  red_flags: ['(unclosed']\n", ":2: notices.red_flags[0]: invalid regular expression"),
        ("- just\n- a list\n", "the config must be a mapping"),
    ],
)
def test_config_mistakes_stop_the_bot_with_file_and_line(tmp_path, capsys, monkeypatch, text, expected):
    monkeypatch.setenv("DISCORD_TOKEN", "never-used-because-the-config-is-wrong")
    path = tmp_path / "citebot.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(str(path))
    assert expected in str(raised.value)
    # `citebot run` says the same and stops before connecting.
    assert citebot(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}") and expected in err


# -- the saved index ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [0, 7, 0.5])
def test_a_truncated_saved_index_is_rebuilt_and_answers_the_same(tmp_path, caplog, cut):
    folder = knowledge_folder(tmp_path, broken=False)
    state = tmp_path / "state"
    first = KnowledgeBase.from_folder(folder, state_dir=state)
    expected = [hit.passage_id for hit in search(first, QUESTION)]
    files = sorted(p for p in state.glob("index/*/*/index/*") if p.is_file())
    assert {p.name for p in files} >= {"index.npz", "index.json"}
    for path in files:
        size = path.stat().st_size
        with path.open("r+b") as handle:
            handle.truncate(int(size * cut) if isinstance(cut, float) else min(cut, size))
    with caplog.at_level(logging.WARNING, logger="knowledge"):
        again = KnowledgeBase.from_folder(folder, state_dir=state)
    assert "unusable" in caplog.text and "rebuilding" in caplog.text
    assert [hit.passage_id for hit in search(again, QUESTION)] == expected
    assert Assistant(again).ask(QUESTION).answered
    # The rebuilt cache is whole again.
    assert KnowledgeBase.from_folder(folder, state_dir=state).errors == []


# -- the last good state keeps serving in the bot ------------------------------------------------------


@pytest.fixture
def knowledge_config(tmp_path, state_dir) -> Config:
    return Config(state_dir=state_dir, knowledge_dir=knowledge_folder(tmp_path, broken=False))


@pytest.fixture
def simcord_bot(knowledge_config):
    from bot import create_bot

    return create_bot(knowledge_config)


async def test_a_reload_onto_broken_documents_keeps_the_last_good_index(simcord_env, knowledge_config):
    s = server(simcord_env)
    before = await s.member.slash(s.channel, "ask", question=QUESTION)
    assert "secretory IgA" in before.response.embeds[0].description

    # The only document is broken by hand (saved as binary data); a moderator reloads.
    (knowledge_config.knowledge_dir / "colostrum.md").write_bytes(BROKEN_FILES["binary.md"])
    reloaded = await s.manager.slash(s.channel, "kb reload")
    text = last_message(reloaded).content
    assert "previous index is still answering" in text
    assert "colostrum.md" in text and "not UTF-8" in text

    after = await s.member.slash(s.channel, "ask", question=QUESTION)
    assert "secretory IgA" in after.response.embeds[0].description


async def test_a_reload_onto_broken_front_matter_loads_the_body_and_names_file_and_line(
    simcord_env, knowledge_config
):
    s = server(simcord_env)
    broken = GOOD.replace("source: Lactation notes (2024)", "source: Lactation: notes")
    (knowledge_config.knowledge_dir / "colostrum.md").write_text(broken)
    reloaded = await s.manager.slash(s.channel, "kb reload")
    text = last_message(reloaded).content
    assert "previous index is still answering" not in text
    assert "colostrum.md:3" in text and "invalid YAML front matter" in text

    after = await s.member.slash(s.channel, "ask", question=QUESTION)
    assert "secretory IgA" in after.response.embeds[0].description


# -- `citebot index --check` checks the state and the config too ---------------------------------


def _check(tmp_path, capsys, *extra: str) -> tuple[int, str]:
    folder = knowledge_folder(tmp_path, broken=False)
    status = citebot(["index", "--check", "--knowledge", str(folder), *extra])
    return status, capsys.readouterr().out


def test_index_check_lists_a_broken_curated_file(tmp_path, capsys):
    state = tmp_path / "state"
    state.mkdir()
    (state / "curated.yaml").write_text("version: 1\nanswers:\n  - id: 1\n    question: a: b\n")
    status, out = _check(tmp_path, capsys, "--state-dir", str(state))
    assert status == 1 and "curated.yaml, line 4" in out


def test_index_check_lists_a_broken_glossary(tmp_path, capsys):
    state = tmp_path / "state"
    state.mkdir()
    (state / "glossary.yaml").write_text("version: 1\nterms:\n  - term: ''\n    means: x\n")
    status, out = _check(tmp_path, capsys, "--state-dir", str(state))
    assert status == 1 and "glossary.yaml, line 3" in out


def test_index_check_lists_a_broken_config(tmp_path, capsys, monkeypatch):
    config = tmp_path / "citebot.yaml"
    config.write_text("answers:\n  private: yes please\n")
    monkeypatch.setenv("CITEBOT_CONFIG", str(config))
    # A broken config stops every command at once, naming the file and line.
    folder = knowledge_folder(tmp_path, broken=False)
    status = citebot(["index", "--check", "--knowledge", str(folder), "--state-dir", str(tmp_path / "s")])
    assert status == 2
    assert f"error: {config}:2: answers.private" in capsys.readouterr().err


def test_index_check_lists_a_truncated_saved_index(tmp_path, capsys):
    folder = knowledge_folder(tmp_path, broken=False)
    state = tmp_path / "state"
    KnowledgeBase.from_folder(folder, state_dir=state)
    for path in state.glob("index/*/*/index/index.npz"):
        path.write_bytes(path.read_bytes()[:40])
    status = citebot(["index", "--check", "--knowledge", str(folder), "--state-dir", str(state)])
    out = capsys.readouterr().out
    assert status == 1 and "index.npz" in out
