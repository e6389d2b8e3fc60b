"""A sentence encoder in plain NumPy: all-MiniLM-L6-v2 (a 6-layer BERT) read from safetensors.

The forward pass is the model's own arithmetic (embeddings, self-attention, GELU feed-forward,
layer norms), then mean pooling over the real tokens and L2 normalisation, as sentence-transformers
does. It needs no model runtime: NumPy for the matrices, ``tokenizers`` for the word pieces and
``safetensors`` for the weights (never pickle). ``tools/semantic_reference.py`` checks its output
against sentence-transformers' (cosine > 0.999).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

logger = logging.getLogger(__name__)

# Passages are cut at this many word pieces, as sentence-transformers does for this model.
DEFAULT_MAX_TOKENS = 256
# Texts encoded per forward pass: large enough for fast matrix products, small enough to keep the
# attention scores (batch x 12 x 256 x 256 float32) near 75 MB.
BATCH_SIZE = 24
# One BLAS thread: on a small shared machine OpenBLAS's spinning threads made a query 20-40x slower
# under load (27 ms on one thread against 0.5-1 s on two, with other work running). The limit is
# process-wide and set once when a model is loaded: a per-call limit would race between the threads
# that answer questions at the same time (citebot's other work uses no BLAS).
_THREADS = ThreadpoolController()


class EncoderError(RuntimeError):
    """The model folder is missing a file or holds weights of another shape."""


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    var = np.mean(centered * centered, -1, keepdims=True)
    return centered / np.sqrt(var + eps) * weight + bias


_GELU_C = np.float32(np.sqrt(2.0 / np.pi))


def _gelu(x: np.ndarray) -> np.ndarray:
    # The tanh form of GELU: several times faster than erf in NumPy, and the embeddings still
    # match the reference's (exact GELU) to cosine > 0.9999.
    inner = x * x
    inner *= np.float32(0.044715)
    inner += 1.0
    inner *= x
    inner *= _GELU_C
    np.tanh(inner, out=inner)
    inner += 1.0
    inner *= x
    inner *= np.float32(0.5)
    return inner


class _Layer:
    """One transformer layer's weights as ``x @ W`` operands, transposed once into row-major
    copies (a question's skinny products ran about 30% faster than on transposed views); query,
    key and value are fused into one product."""

    def __init__(self, w: dict[str, np.ndarray], prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return w[f"{prefix}.{name}"]

        self.qkv_w = np.ascontiguousarray(
            np.concatenate([get(f"attention.self.{n}.weight") for n in ("query", "key", "value")]).T
        )
        self.qkv_b = np.concatenate([get(f"attention.self.{n}.bias") for n in ("query", "key", "value")])
        self.out_w = np.ascontiguousarray(get("attention.output.dense.weight").T)
        self.out_b = get("attention.output.dense.bias")
        self.ln1 = (get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias"))
        self.up_w = np.ascontiguousarray(get("intermediate.dense.weight").T)
        self.up_b = get("intermediate.dense.bias")
        self.down_w = np.ascontiguousarray(get("output.dense.weight").T)
        self.down_b = get("output.dense.bias")
        self.ln2 = (get("output.LayerNorm.weight"), get("output.LayerNorm.bias"))


class Encoder:
    """Turns texts into unit vectors (``dim`` floats each); cosine similarity is their dot product.
    Loading one limits the process's BLAS to one thread (see ``_THREADS``). Safe to call from
    several threads at once.

    Build with :meth:`from_folder` on a folder holding ``model.safetensors``, ``tokenizer.json`` and
    ``config.json`` (a sentence-transformers model folder)."""

    def __init__(
        self, weights: dict[str, np.ndarray], config: dict, tokenizer: object, max_tokens: int
    ) -> None:
        self.heads = int(config["num_attention_heads"])
        self.dim = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        try:
            self.word = weights["embeddings.word_embeddings.weight"]
            self.position = weights["embeddings.position_embeddings.weight"]
            self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
            self.ln = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
            self.layers = [
                _Layer(weights, f"encoder.layer.{i}") for i in range(int(config["num_hidden_layers"]))
            ]
        except KeyError as exc:
            raise EncoderError(f"the model's weights lack {exc.args[0]}") from None
        if self.word.shape[1] != self.dim:
            raise EncoderError(f"word embeddings of width {self.word.shape[1]}, expected {self.dim}")
        self.tokenizer = tokenizer
        self.max_tokens = min(max_tokens, self.position.shape[0])
        tokenizer.enable_truncation(max_length=self.max_tokens)  # type: ignore[attr-defined]
        tokenizer.no_padding()  # type: ignore[attr-defined]
        _THREADS.limit(limits=1, user_api="blas")

    @classmethod
    def from_folder(cls, folder: Path | str, *, max_tokens: int | None = None) -> Encoder:
        """Load the model in ``folder``; raises :class:`EncoderError` when a file is missing."""
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        missing = [
            n for n in ("model.safetensors", "tokenizer.json", "config.json") if not (folder / n).is_file()
        ]
        if missing:
            raise EncoderError(f"{folder} has no {', '.join(missing)}")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if max_tokens is None:
            st_config = folder / "sentence_bert_config.json"
            max_tokens = DEFAULT_MAX_TOKENS
            if st_config.is_file():
                max_tokens = int(
                    json.loads(st_config.read_text(encoding="utf-8")).get("max_seq_length", max_tokens)
                )
        weights = {
            k: v.astype(np.float32, copy=False) for k, v in load_file(folder / "model.safetensors").items()
        }
        return cls(weights, config, Tokenizer.from_file(str(folder / "tokenizer.json")), max_tokens)

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit vectors of shape ``(len(texts), dim)``, float32. ``progress(n)`` is called after
        each batch with how many texts it encoded."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]  # type: ignore[attr-defined]
        # Texts of similar length share a batch, so little of each batch is padding.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._forward([ids[i] for i in chunk])
            if progress is not None:
                progress(len(chunk))
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        n, length = len(batch), max(len(ids) for ids in batch)
        tokens = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for i, ids in enumerate(batch):
            tokens[i, : len(ids)] = ids
            mask[i, : len(ids)] = 1.0
        x = self.word[tokens] + self.position[:length] + self.token_type
        x = _layer_norm(x, *self.ln, self.eps)
        head_dim = self.dim // self.heads
        # Padding gets a large negative score so softmax gives it no attention.
        bias = ((1.0 - mask) * np.float32(-1e4))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(head_dim))
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            qkv = qkv.reshape(n, length, 3, self.heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, self.dim)
            x = _layer_norm(context @ layer.out_w + layer.out_b + x, *layer.ln1, self.eps)
            hidden = _gelu(x @ layer.up_w + layer.up_b)
            x = _layer_norm(hidden @ layer.down_w + layer.down_b + x, *layer.ln2, self.eps)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)
