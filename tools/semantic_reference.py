"""Reference embeddings for the NumPy encoder, computed once by sentence-transformers (PyTorch).

    python -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers==6.2.0
    /tmp/refvenv/bin/python tools/semantic_reference.py MODEL_FOLDER

Encodes the built-in article's paragraphs (some longer than the model's 256 word pieces, so the
truncation is checked too) and the everyday questions, and writes the texts and vectors to
``tests/knowledge/data/semantic_reference.npz`` (plain arrays, no pickle). The test
``tests/knowledge/test_semantic_encoder.py`` checks citebot's encoder against them; PyTorch is never
needed by citebot, its tests or CI.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "knowledge" / "corpus" / "maternal-infant-immune-system.md"
QUESTIONS = ROOT / "tests" / "knowledge" / "everyday_questions.yaml"
OUT = ROOT / "tests" / "knowledge" / "data" / "semantic_reference.npz"


def reference_texts() -> list[str]:
    """The article's paragraphs (front matter left out), every everyday question and the whole
    article as one text."""
    text = ARTICLE.read_text(encoding="utf-8")
    if text.startswith("---"):
        text = text.split("---", 2)[2]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.strip()) > 40]
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    questions = [q["question"] for group in data.values() for q in group]
    # The whole article as one text: far past 256 word pieces, so truncation is compared too.
    return paragraphs + questions + ["\n\n".join(paragraphs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a sentence-transformers folder of all-MiniLM-L6-v2")
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer

    texts = reference_texts()
    model = SentenceTransformer(args.model, device="cpu")
    vectors = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=16)
    np.savez_compressed(OUT, texts=np.array(texts), vectors=vectors.astype(np.float32))
    print(f"{len(texts)} texts -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
