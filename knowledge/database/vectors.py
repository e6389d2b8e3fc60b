"""Passage vectors in PostgreSQL (see :class:`~knowledge.interfaces.SharedVectors`): the rows of
``passage_vectors``, so the meaning channel's passages are encoded by the first process and read by
the others. Read and written in chunks, each one statement; written in key order, so two processes
storing the same passages at once wait on each other's rows rather than deadlock."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

# Keys (or vectors) per statement: a few MB of vectors at the small model's width.
CHUNK = 4000


class _Database(Protocol):
    """What these rows need of the PostgreSQL store: pooled work."""

    def _run(self, what: Callable[[Any], T]) -> T: ...


@dataclass(frozen=True)
class PassageVectors:
    """Every process's passage vectors in the database, per model and text key."""

    store: _Database

    def vectors(self, model: str, keys: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors of ``keys`` made by ``model``."""
        wanted = sorted(set(keys))

        def read(db: Any) -> dict[str, bytes]:
            found: dict[str, bytes] = {}
            for start in range(0, len(wanted), CHUNK):
                rows = db.execute(
                    "SELECT text_key, vector FROM passage_vectors WHERE model = ? AND text_key = ANY(?)",
                    (model, wanted[start : start + CHUNK]),
                ).fetchall()
                found.update((row["text_key"], bytes(row["vector"])) for row in rows)
            return found

        return self.store._run(read) if wanted else {}

    def store_vectors(self, model: str, vectors: Mapping[str, bytes]) -> None:
        """Store vectors made by ``model``; a key already stored keeps its vector (another process
        encoded the same text with the same model)."""
        items = sorted(vectors.items())

        def write(db: Any) -> None:
            now = time.time()
            for start in range(0, len(items), CHUNK):
                chunk = items[start : start + CHUNK]
                db.execute(
                    "INSERT INTO passage_vectors (model, text_key, vector, created_at)"
                    " SELECT ?, key, vector, ? FROM unnest(?::text[], ?::bytea[]) AS given (key, vector)"
                    " ON CONFLICT (model, text_key) DO NOTHING",
                    (model, now, [key for key, _ in chunk], [data for _, data in chunk]),
                )

        if items:
            self.store._run(write)
