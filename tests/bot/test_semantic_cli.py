"""`citebot index` and `citebot ask` with the semantic channel (skipped without the extra or the
test model). The model comes from a local folder; HF_HUB_OFFLINE keeps the hub out of reach."""

from __future__ import annotations

import json

import pytest
from semantic_model import semantic_test_model
from test_cli import citebot

MODEL = semantic_test_model()


@pytest.fixture
def env(tmp_path):
    def with_mode(mode: str) -> dict[str, str]:
        config = tmp_path / f"citebot-{mode}.yaml"
        config.write_text(f"retrieval:\n  semantic: {mode}\n  model_path: {MODEL}\n", encoding="utf-8")
        state = str(tmp_path / "state")
        return {"CITEBOT_STATE_DIR": state, "CITEBOT_CONFIG": str(config), "HF_HUB_OFFLINE": "1"}

    return with_mode


def test_index_says_which_channels_it_built_and_encodes_passages_once(env):
    first = citebot("index", env=env("on"))
    assert first.returncode == 0, first.stderr
    assert "channels: lexical (BM25) + semantic" in first.stdout
    assert "encoding 5 new or changed passages" in first.stderr
    again = citebot("index", env=env("on"))
    assert "channels: lexical (BM25) + semantic" in again.stdout
    assert "encoding" not in again.stderr
    off = citebot("index", env=env("off"))
    assert "channels: lexical (BM25)\n" in off.stdout


def test_ask_answers_an_everyday_question_bm25_alone_declines(env):
    question = "what stops my boobs getting infected"
    lexical = json.loads(citebot("ask", question, "--json", env=env("off")).stdout)
    semantic = json.loads(citebot("ask", question, "--json", env=env("on")).stdout)
    assert not lexical["answered"]
    assert semantic["answered"]
    assert "The mammary immune system" in semantic["passages"][0]["section"]
