"""Passage vectors saved beside the index, keyed by what was encoded, so only new or changed
passages are encoded again after ``/kb add``, a reload or a restart."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

# float16 halves the file and measured no worse (bench/results/hybrid.md).
STORED_DTYPE = np.float16


def text_key(text: str, encoding: int = 1) -> str:
    """The key of an encoded text: the first 32 hex digits of its sha256, with the version of what
    is encoded for a passage (``encoding``; 1, the first, adds nothing) so that a new one is never
    read from vectors of the old."""
    data = text if encoding == 1 else f"{encoding}\x00{text}"
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


class VectorStore:
    """Vectors by text key, read from and written to one ``.npz`` file (plain arrays, no pickle)."""

    def __init__(self, path: Path | None, dim: int) -> None:
        self.path, self.dim = path, dim
        self.vectors: dict[str, np.ndarray] = {}
        if path is not None and path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    keys, vectors = data["keys"], data["vectors"]
                if vectors.shape != (len(keys), dim):
                    raise ValueError(f"vectors of shape {vectors.shape} for {len(keys)} keys")
                self.vectors = dict(zip(keys.tolist(), vectors, strict=True))
            except (OSError, ValueError, KeyError) as exc:
                logger.warning("the saved passage vectors in %s are unusable (%s); encoding again", path, exc)

    def missing(self, keys: Sequence[str]) -> list[int]:
        """Positions of ``keys`` with no vector yet."""
        return [i for i, key in enumerate(keys) if key not in self.vectors]

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Remember ``vectors`` (one row per key), stored as float16."""
        for key, vector in zip(keys, vectors.astype(STORED_DTYPE), strict=True):
            self.vectors[key] = vector

    def matrix(self, keys: Sequence[str]) -> np.ndarray:
        """The vectors of ``keys`` (all present) as one float32 matrix."""
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vectors[key] for key in keys]).astype(np.float32)

    def save(self, keep: Sequence[str]) -> None:
        """Write the vectors of ``keep`` (others are dropped) atomically; a failure is logged and
        only costs encoding again next time."""
        if self.path is None:
            return
        kept = [key for key in dict.fromkeys(keep) if key in self.vectors]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".vectors-", suffix=".npz", dir=self.path.parent)
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    keys=np.array(kept, dtype="U32"),
                    vectors=np.stack([self.vectors[k] for k in kept])
                    if kept
                    else np.zeros((0, self.dim), STORED_DTYPE),
                )
            os.replace(tmp, self.path)
        except OSError as exc:
            logger.warning("could not save the passage vectors in %s (%s)", self.path, exc)
