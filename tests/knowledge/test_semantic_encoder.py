"""citebot's NumPy encoder gives the embeddings sentence-transformers gives (computed once with
PyTorch by tools/semantic_reference.py and saved in tests/knowledge/data/semantic_reference.npz)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from semantic_model import semantic_test_model

MODEL = semantic_test_model()
REFERENCE = Path(__file__).with_name("data") / "semantic_reference.npz"


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    with np.load(REFERENCE, allow_pickle=False) as data:
        return data["texts"].tolist(), data["vectors"]


def test_embeddings_match_sentence_transformers(reference):
    from knowledge.semantic.encoder import Encoder

    texts, expected = reference
    # Short questions, article paragraphs and the whole article (cut at 256 word pieces).
    picked = [*range(0, len(texts) - 1, 4), len(texts) - 1]
    got = Encoder.from_folder(MODEL).encode([texts[i] for i in picked])
    cosines = (got * expected[picked]).sum(axis=1)
    assert cosines.min() > 0.999, [texts[i][:60] for i in np.array(picked)[cosines <= 0.999]]
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_batching_does_not_change_an_embedding(reference):
    from knowledge.semantic.encoder import Encoder

    texts, _ = reference
    encoder = Encoder.from_folder(MODEL)
    alone = encoder.encode([texts[3]])[0]
    batched = encoder.encode(texts[:8], threads=1)[3]
    assert float(alone @ batched) > 0.99999


def test_a_folder_without_the_model_files_is_a_clear_error(tmp_path):
    from knowledge.semantic.encoder import Encoder, EncoderError

    with pytest.raises(EncoderError, match=r"model\.safetensors"):
        Encoder.from_folder(tmp_path)
