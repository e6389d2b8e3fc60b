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
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

logger = logging.getLogger(__name__)

# Passages are cut at this many word pieces, as sentence-transformers does for this model.
DEFAULT_MAX_TOKENS = 256
# Word pieces per forward pass. A batch's texts are laid end to end with no padding (attention is
# taken text by text), so this is the row count of the matrix products: past a few hundred rows
# BLAS is at full speed, and 2,048 keeps a batch's activations near 30 MB per thread. Measured
# flat from 2,048 to 8,192 (bench/results/encode.md).
BATCH_TOKENS = 2048
# Rows of the feed-forward block done at a time, so its 1,536-wide activations stay in cache.
_FFN_ROWS = 512
# One BLAS thread: on a small shared machine OpenBLAS's spinning threads made a query 20-40x slower
# under load (27 ms on one thread against 0.5-1 s on two, with other work running). The limit is
# process-wide and set once when a model is loaded: a per-call limit would race between the threads
# that answer questions at the same time (citebot's other work uses no BLAS). Many passages are
# encoded on several threads of our own instead (:func:`encode_threads`), a batch each: they never
# spin, so a loaded machine costs them only their share of the cores.
_THREADS = ThreadpoolController()


_MAX_ENCODE_THREADS = 4


def encode_threads() -> int:
    """Threads that encode many passages at once: one per core this process may use (2 on a
    2-core machine), at most :data:`_MAX_ENCODE_THREADS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(_MAX_ENCODE_THREADS, cores))


class EncoderError(RuntimeError):
    """The model folder is missing a file or holds weights of another shape."""


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    var = np.mean(centered * centered, -1, keepdims=True)
    return centered / np.sqrt(var + eps) * weight + bias


_GELU_C = np.float32(np.sqrt(2.0 / np.pi))


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form, in place: 0.5 * x * (1 + tanh(u)) written as x / (1 + exp(-2u)), the
    same function with one pass fewer (NumPy's exp is twice as fast as its tanh); the embeddings
    still match the reference's (exact GELU) to cosine > 0.9999."""
    inner = x * x
    inner *= np.float32(-2.0 * 0.044715) * _GELU_C
    inner += np.float32(-2.0) * _GELU_C
    inner *= x
    with np.errstate(over="ignore"):  # exp(large) is inf, and x / inf the 0 GELU gives there
        np.exp(inner, out=inner)
    inner += 1.0
    np.divide(x, inner, out=x)
    return x


# Below this many rows (a question, a short batch) a product is taken as ``W @ x.T``: OpenBLAS ran
# it 2-2.5x faster than ``x @ W.T`` for 16-64 rows of this model's weights, and the same from a few
# hundred rows on, where the transposed result would cost a copy.
_SKINNY_ROWS = 128


def _dense(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x @ weight.T + bias`` with ``weight`` as the checkpoint stores it (out x in, row-major),
    as a new row-major array."""
    out = np.ascontiguousarray((weight @ x.T).T) if len(x) < _SKINNY_ROWS else x @ weight.T
    out += bias
    return out


class _Layer:
    """One transformer layer's weights, kept as the checkpoint stores them (out x in); query, key
    and value are fused into one product, and the query's part is scaled by 1/sqrt(head width)
    once here rather than every attention score at each call."""

    def __init__(self, w: dict[str, np.ndarray], prefix: str, query_scale: float) -> None:
        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[f"{prefix}.{name}"])

        parts = ("query", "key", "value")
        self.qkv_w = np.concatenate([get(f"attention.self.{n}.weight") for n in parts])
        self.qkv_b = np.concatenate([get(f"attention.self.{n}.bias") for n in parts])
        width = self.qkv_w.shape[0] // 3
        self.qkv_w[:width] *= np.float32(query_scale)
        self.qkv_b[:width] *= np.float32(query_scale)
        self.out_w = get("attention.output.dense.weight")
        self.out_b = get("attention.output.dense.bias")
        self.ln1 = (get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias"))
        self.up_w = get("intermediate.dense.weight")
        self.up_b = get("intermediate.dense.bias")
        self.down_w = get("output.dense.weight")
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
        head_scale = 1.0 / float(np.sqrt(self.dim // self.heads))
        try:
            self.word = weights["embeddings.word_embeddings.weight"]
            self.position = weights["embeddings.position_embeddings.weight"]
            self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
            self.ln = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
            self.layers = [
                _Layer(weights, f"encoder.layer.{i}", head_scale)
                for i in range(int(config["num_hidden_layers"]))
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
        batch_tokens: int = BATCH_TOKENS,
        threads: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit vectors of shape ``(len(texts), dim)``, float32. Texts are encoded in batches of
        about ``batch_tokens`` word pieces, on ``threads`` threads (default :func:`encode_threads`);
        ``progress(n)`` is called after each batch with how many texts it encoded."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]  # type: ignore[attr-defined]
        threads = encode_threads() if threads is None else max(1, threads)
        # Enough batches for every thread to have one, when there are texts enough.
        budget = max(1, min(batch_tokens, -(-sum(map(len, ids)) // threads)))
        batches = list(_batches(ids, budget))
        if threads == 1 or len(batches) == 1:
            done: Iterator[np.ndarray] = map(self._forward, ([ids[i] for i in b] for b in batches))
            for batch, vectors in zip(batches, done, strict=True):
                out[batch] = vectors
                if progress is not None:
                    progress(len(batch))
            return out
        with ThreadPoolExecutor(min(threads, len(batches)), thread_name_prefix="encode") as pool:
            done = pool.map(self._forward, ([ids[i] for i in b] for b in batches))
            for batch, vectors in zip(batches, done, strict=True):
                out[batch] = vectors
                if progress is not None:
                    progress(len(batch))
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """The unit vectors of ``batch``'s texts (word piece ids). The texts are laid end to end,
        one row per word piece and no padding: every layer's products run on all of them at once,
        and attention is taken within each text."""
        lengths = [len(ids) for ids in batch]
        bounds = np.cumsum([0, *lengths])
        tokens = np.fromiter((t for ids in batch for t in ids), dtype=np.int64, count=int(bounds[-1]))
        positions = np.concatenate([np.arange(n) for n in lengths])
        x = self.word[tokens] + self.position[positions] + self.token_type
        x = _layer_norm(x, *self.ln, self.eps)
        heads, head_dim = self.heads, self.dim // self.heads
        spans = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))
        context = np.empty_like(x)
        mixed = np.empty_like(x)
        for layer in self.layers:
            qkv = _dense(x, layer.qkv_w, layer.qkv_b)
            for start, end in spans:
                q, k, v = qkv[start:end].reshape(end - start, 3, heads, head_dim).transpose(1, 2, 0, 3)
                scores = q @ k.transpose(0, 2, 1)  # the query is pre-scaled (see _Layer)
                scores -= scores.max(-1, keepdims=True)
                np.exp(scores, out=scores)
                scores /= scores.sum(-1, keepdims=True)
                context[start:end] = (scores @ v).transpose(1, 0, 2).reshape(end - start, self.dim)
            attended = _dense(context, layer.out_w, layer.out_b)
            attended += x
            x = _layer_norm(attended, *layer.ln1, self.eps)
            for row in range(0, len(x), _FFN_ROWS):
                part = x[row : row + _FFN_ROWS]
                block = _dense(_gelu(_dense(part, layer.up_w, layer.up_b)), layer.down_w, layer.down_b)
                block += part
                mixed[row : row + _FFN_ROWS] = block
            x = _layer_norm(mixed, *layer.ln2, self.eps)
        pooled = np.add.reduceat(x, bounds[:-1], axis=0) / np.array(lengths, dtype=np.float32)[:, None]
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)


def _batches(ids: Sequence[Sequence[int]], budget: int) -> Iterator[list[int]]:
    """Positions of ``ids`` in order, grouped into batches of at most ``budget`` word pieces (a
    longer text is a batch of its own). Packed batches have no padding, so the order of the texts
    costs nothing and they are kept as given (a progress bar then shows a steady rate)."""
    batch: list[int] = []
    size = 0
    for i, piece in enumerate(ids):
        if batch and size + len(piece) > budget:
            yield batch
            batch, size = [], 0
        batch.append(i)
        size += len(piece)
    if batch:
        yield batch
