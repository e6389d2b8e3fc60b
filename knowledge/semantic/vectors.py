"""Passage vectors saved beside the index, keyed by what was encoded, so only new or changed
passages are encoded again after ``/kb add``, a reload or a restart; with the state in a database,
read from and stored there too (:class:`~knowledge.interfaces.SharedVectors`), so of several bot
processes only the first encodes a passage."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DatabaseNotReached, StoreUnavailable

if TYPE_CHECKING:
    from ..interfaces import SharedVectors

logger = logging.getLogger(__name__)

# float16 halves the file and measured no worse (bench/results/hybrid.md).
STORED_DTYPE = np.float16
# How a vector's values are laid out as bytes in the database (plain values, never pickle).
SHARED_DTYPE = np.dtype("<f2")


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

    def take_shared(self, shared: SharedVectors, model: str, keys: Sequence[str]) -> int | None:
        """Take from ``shared`` the vectors of ``keys`` made by ``model`` that another process
        stored; returns how many, or None when the database failed (logged here, once)."""
        try:
            found = shared.vectors(model, keys)
        except StoreUnavailable as exc:
            logger.log(DatabaseNotReached.log_level(exc), "passage vectors are encoded here: %s", exc)
            return None
        size = self.dim * SHARED_DTYPE.itemsize
        taken = 0
        for key, data in found.items():
            if len(data) == size:  # another width is no vector of this model's: encoded again
                self.vectors[key] = np.frombuffer(data, dtype=SHARED_DTYPE).astype(STORED_DTYPE)
                taken += 1
        return taken

    def share(self, shared: SharedVectors, model: str, keys: Sequence[str]) -> None:
        """Store the vectors of ``keys`` made by ``model`` for the other processes; the database
        failing is logged and only costs them encoding too."""
        data = {key: self.vectors[key].astype(SHARED_DTYPE).tobytes() for key in dict.fromkeys(keys)}
        try:
            shared.store_vectors(model, data)
        except StoreUnavailable as exc:
            level = DatabaseNotReached.log_level(exc)
            logger.log(level, "passage vectors are not shared with other processes: %s", exc)

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
