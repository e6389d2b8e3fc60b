"""`citebot index`, `citebot ask` and the console with the meaning channel (skipped without the
test model). The model comes from a local folder; HF_HUB_OFFLINE keeps the hub out of reach."""

from __future__ import annotations

import json

import pytest
from semantic_model import semantic_test_model
from test_cli import citebot
from test_terminal import Terminal

MODEL = semantic_test_model()


@pytest.fixture
def env(tmp_path):
    def with_mode(mode: str) -> dict[str, str]:
        config = tmp_path / f"citebot-{mode}.yaml"
        config.write_text(f"retrieval:\n  semantic: {mode}\n  model_path: {MODEL}\n", encoding="utf-8")
        state = str(tmp_path / "state")
        return {"CITEBOT_STATE_DIR": state, "CITEBOT_CONFIG": str(config), "HF_HUB_OFFLINE": "1"}

    return with_mode


def test_index_says_which_channels_answer_and_where_the_model_is_and_encodes_passages_once(env):
    first = citebot("index", env=env("on"))
    assert first.returncode == 0, first.stderr
    assert "channels: lexical + meaning\n" in first.stdout
    assert f"meaning model: {MODEL}\n" in first.stdout  # the folder to copy to a server offline
    assert "encoding 5 new or changed passages" in first.stderr
    assert "encoded 5 passages in " in first.stderr and " passages/s)" in first.stderr
    again = citebot("index", env=env("on"))
    assert "channels: lexical + meaning\n" in again.stdout
    assert "encoding" not in again.stderr
    off = citebot("index", env=env("off"))
    assert "channels: lexical only (retrieval.semantic: off)\n" in off.stdout
    assert "meaning model" not in off.stdout and not off.stderr


def test_index_on_a_terminal_follows_the_encoding_with_a_progress_bar(env):
    # Delay 0: the bar shows at once, so this small build shows it without a test that waits.
    term = Terminal(["index"], {**env("on"), "CITEBOT_PROGRESS_DELAY": "0"}, columns=100)
    shown = term.wait_for("no problems found")
    assert "encoding passages" in shown and "5/5" in shown
    assert "encoded 5 passages in " in shown
    assert term.finish() == 0


def test_without_the_model_index_and_the_console_say_lexical_only_after_one_warning(tmp_path):
    # The default config, offline and with an empty hub cache: the model cannot be had.
    env = {"CITEBOT_STATE_DIR": str(tmp_path / "state"), "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path)}
    index = citebot("index", env=env)
    assert index.returncode == 0, index.stderr
    told = "channels: lexical only (the meaning model is not available: see the warning above)"
    assert told in index.stdout
    (warning,) = index.stderr.strip().splitlines()
    assert "retrieval.model_path" in warning and ".ci/semantic-model.txt" in warning
    console = citebot(stdin="What is secretory IgA?\n/quit\n", env=env)
    assert "Answering: lexical only (the meaning model is not available" in console.stdout
    assert len(console.stderr.strip().splitlines()) == 1  # told once, however many loads and questions
    assert "secretory IgA" in console.stdout  # answered lexically meanwhile


def test_the_console_says_it_answers_by_meaning(env):
    console = citebot(stdin="what stops my boobs getting infected\n/quit\n", env=env("on"))
    assert console.returncode == 0, console.stderr
    assert "Answering: lexical + meaning.\n" in console.stdout
    assert "The mammary immune system" in console.stdout


def test_ask_answers_an_everyday_question_bm25_alone_declines(env):
    question = "what stops my boobs getting infected"
    lexical = json.loads(citebot("ask", question, "--json", env=env("off")).stdout)
    semantic = json.loads(citebot("ask", question, "--json", env=env("on")).stdout)
    assert not lexical["answered"]
    assert semantic["answered"]
    assert "The mammary immune system" in semantic["passages"][0]["section"]
