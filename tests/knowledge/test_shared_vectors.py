"""The meaning channel's passage vectors kept in PostgreSQL: the first bot process encodes the shared
knowledge's passages and stores their vectors, the next reads them and encodes nothing; another
model's vectors are never read, and a database out of reach only means encoding here."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from postgres import allow_connections
from semantic_model import semantic_test_model

from knowledge.database import open_store
from knowledge.retriever import search
from knowledge.semantic import SemanticOptions
from knowledge.semantic.encoder import Encoder
from knowledge.semantic.model import DEFAULT_MODEL, ModelSpec
from knowledge.store import StateStore
from knowledge.tenancy import Servers
from knowledge.uploads import KnowledgeSources

MODEL = semantic_test_model()

DOCS = {
    "feeding.md": "# Infant feeding\n\n## Breast milk\n\nMilk from the mother carries secretory IgA that "
    "guards the newborn's intestine against the microbes the mother met.\n",
    "sleep.md": "# Infant sleep\n\n## Safe sleep\n\nPut the baby down on its back in a cot with a firm "
    "mattress and no pillows.\n",
    "teeth.md": "# Teething\n\n## First teeth\n\nThe lower front teeth usually come through between six "
    "and ten months.\n",
}
QUESTION = "sore gums when a tooth comes through"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the test model is a local folder: no hub is asked


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many texts each call of the encoder was given (loading asks no question: passages only)."""
    calls: list[int] = []
    real = Encoder.encode

    def counting(self: Encoder, texts, **kwargs):
        calls.append(len(texts))
        return real(self, texts, **kwargs)

    monkeypatch.setattr(Encoder, "encode", counting)
    return calls


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    base = tmp_path / "knowledge"
    base.mkdir()
    for name, text in DOCS.items():
        (base / name).write_text(text, encoding="utf-8")
    return base


def options(spec: ModelSpec = DEFAULT_MODEL) -> SemanticOptions:
    return SemanticOptions(mode="on", model_path=MODEL, spec=spec)


def process(
    url: str, folder: Path, state: Path, spec: ModelSpec = DEFAULT_MODEL
) -> tuple[StateStore, Servers]:
    """One bot process: its own state folder (empty at first), the shared database and knowledge."""
    store = open_store(state, url, wait=False)
    return store, Servers(KnowledgeSources.resolve(folder, state, semantic=options(spec)), store)


def stored(store: StateStore) -> dict[str, int]:
    rows = store._fetchall("SELECT model, count(*) AS n FROM passage_vectors GROUP BY model", ())
    return {row["model"]: int(row["n"]) for row in rows}


def test_the_second_process_reads_the_vectors_the_first_encoded_and_encodes_nothing(
    database_url, folder, tmp_path, encoded
):
    first, one = process(database_url, folder, tmp_path / "a")
    second, other = process(database_url, folder, tmp_path / "b")
    try:
        base = one.base
        assert base.semantic is not None and sum(encoded) == len(base.passages)
        assert stored(first) == {DEFAULT_MODEL.identity: len(base.passages)}

        encoded.clear()
        again = other.base
        assert encoded == []  # not one passage encoded in the second process
        assert np.array_equal(again.semantic.vectors, base.semantic.vectors)
        assert search(again, QUESTION, k=1)[0].doc_id == "teeth"
        # Its own state folder keeps them too: a restart reads them there, not from the database.
        assert list((tmp_path / "b" / "index").glob("*-vectors-*.npz"))
    finally:
        first.close()
        second.close()


def test_a_changed_passage_is_encoded_once_and_read_by_the_other_process(
    database_url, folder, tmp_path, encoded
):
    first, one = process(database_url, folder, tmp_path / "a")
    second, other = process(database_url, folder, tmp_path / "b")
    try:
        before = other.base  # the second process loaded (and encoded) first
        changed = "# Infant sleep\n\n## Safe sleep\n\nBack to sleep, always.\n"
        (folder / "sleep.md").write_text(changed, encoding="utf-8")
        encoded.clear()
        one.base  # noqa: B018  # the first process loads the changed folder: the one new passage
        assert sum(encoded) == 1
        encoded.clear()
        kb = other.build(None)[0]  # a reload in the second process
        assert encoded == [] and kb is not before
        assert search(kb, "where should the baby sleep", k=1)[0].doc_id == "sleep"
    finally:
        first.close()
        second.close()


def test_vectors_of_another_model_are_never_read(database_url, folder, tmp_path, encoded):
    first, one = process(database_url, folder, tmp_path / "a")
    other_model = replace(DEFAULT_MODEL, revision="0" * 40)  # the same weights, named otherwise
    second, other = process(database_url, folder, tmp_path / "b", spec=other_model)
    try:
        passages = len(one.base.passages)
        encoded.clear()
        kb = other.base
        assert sum(encoded) == passages  # every passage encoded again for the other model
        assert kb.semantic is not None
        assert stored(first) == {DEFAULT_MODEL.identity: passages, other_model.identity: passages}
    finally:
        first.close()
        second.close()


def test_a_database_out_of_reach_means_encoding_here_and_answering_still(
    database_url, folder, tmp_path, encoded, caplog
):
    first, one = process(database_url, folder, tmp_path / "a")
    second, other = process(database_url, folder, tmp_path / "b")
    try:
        passages = len(one.base.passages)
        encoded.clear()
        allow_connections(database_url, False)
        try:
            with caplog.at_level(logging.INFO, logger="knowledge"):
                kb = other.base
        finally:
            allow_connections(database_url, True)
        assert sum(encoded) == passages
        assert search(kb, QUESTION, k=1)[0].doc_id == "teeth"
        said = [r for r in caplog.records if r.name == "knowledge.semantic.vectors"]
        assert len(said) == 1 and "encoded here" in said[0].getMessage()  # said once, not per batch
        # Once the database is back, a third process still finds the first one's vectors.
        third, later = process(database_url, folder, tmp_path / "c")
        try:
            encoded.clear()
            assert later.base.semantic is not None and encoded == []
        finally:
            third.close()
    finally:
        first.close()
        second.close()


def test_a_database_unreached_since_start_means_encoding_here(database_url, folder, tmp_path, encoded):
    from postgres import socket_detour

    away, _arrive = socket_detour(database_url, tmp_path / "nowhere")
    store, servers = process(away, folder, tmp_path / "a")
    try:
        kb = servers.base
        assert sum(encoded) == len(kb.passages) and kb.semantic is not None
        assert search(kb, QUESTION, k=1)[0].doc_id == "teeth"
    finally:
        store.close()
