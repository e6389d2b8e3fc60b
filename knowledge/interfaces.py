"""Narrow interfaces between the library's rooms, at the bottom of the import graph: a module
that needs a collaborator names what it uses here, and never imports the module that provides it
(the store, the uploads and the PostgreSQL store are wired together in ``open_store``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from .models import Hit, Passage
    from .semantic.index import FusionSettings
    from .yaml_state import YamlStateFile


class SharedUploads(Protocol):
    """Where one server's uploads are kept for every bot process (the database), with the indexes
    built from them; its folder holds a copy. A file is named as in the folder: ``notes.md``, or
    ``<site folder>/<file>`` for a crawled site's pages and manifest. Each call may raise
    :class:`~knowledge.store.StoreUnavailable`."""

    def hashes(self) -> dict[str, str]:
        """File name to SHA-256 of every upload."""
        ...

    def data(self, filename: str) -> bytes | None:
        """The bytes of one upload (None: removed meanwhile)."""
        ...

    def put(self, filename: str, data: bytes) -> None:
        """Add or replace an upload."""
        ...

    def delete(self, filename: str) -> bool:
        """Remove an upload; False when it was not there."""
        ...

    def update(self, put: dict[str, bytes], delete: Iterable[str]) -> None:
        """Add or replace the files ``put`` and remove those named in ``delete``, all together and
        announced as one change (a crawled site's pages and manifest)."""
        ...

    def index_archive(self, fingerprint: str) -> bytes | None:
        """The index archive (:func:`~knowledge.kb.pack_index`) a process stored under
        ``fingerprint``, or None."""
        ...

    def store_index_archive(self, fingerprint: str, data: bytes, *, replace: bool = False) -> None:
        """Store an index archive for the other processes; one already stored under
        ``fingerprint`` is kept unless ``replace``."""
        ...


class SharedVectors(Protocol):
    """Where passage vectors are kept for every bot process (the database), so a passage is
    encoded once: per model (its identity) and text key (a hash of what was encoded), each vector
    as the bytes of its float16 values. Each call may raise
    :class:`~knowledge.errors.StoreUnavailable`."""

    def vectors(self, model: str, keys: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors of ``keys`` made by ``model`` (those not stored are left out)."""
        ...

    def store_vectors(self, model: str, vectors: Mapping[str, bytes]) -> None:
        """Store vectors made by ``model`` for the other processes; one already stored is kept."""
        ...


class DocumentRows(Protocol):
    """Servers' state documents (``curated.yaml``…) kept as rows with a revision
    (:class:`~knowledge.database.postgres.PostgresStore`). Each call may raise
    :class:`~knowledge.errors.StoreUnavailable`."""

    def document(self, guild_id: int, name: str) -> tuple[str, int] | None:
        """The text and revision of a server's document, or None when it was never written."""
        ...

    def previous_document(self, guild_id: int, name: str) -> str | None:
        """The text the document had before its last write (the ``.bak`` of a file)."""
        ...

    def write_document(self, guild_id: int, name: str, text: str, revision: int | None) -> int | None:
        """Write the document if its revision is still ``revision``; the new revision, or None
        when another process wrote it first."""
        ...

    def state_file(self, guild_id: int, path: Path) -> YamlStateFile:
        """The server's document named like ``path``, opened so other processes' changes reach it."""
        ...


class ChangeFeed(Protocol):
    """Where other processes' changes are announced (the PostgreSQL store): its connection
    address, this process's origin mark, and the per-server change counters."""

    url: str
    origin: str

    def describe(self) -> str:
        """The database for messages, without its password."""
        ...

    def change_counters(self) -> dict[int, int]:
        """Each server's count of announced changes."""
        ...


class MeaningChannel(Protocol):
    """What the retriever and the assistant use of the semantic channel
    (:class:`~knowledge.semantic.SemanticIndex`, attached by :func:`knowledge.semantic.attach`)."""

    @property
    def settings(self) -> FusionSettings:
        """How its similarities are fused with BM25 (weight, depth)."""
        ...

    def similarities(self, query: str) -> np.ndarray:
        """The question's similarity to every passage (row ``i``: ``kb.passages[i]``)."""
        ...

    def best_similarity(self, query: str, hits: Sequence[Hit], top: int = 3) -> float:
        """The highest similarity of ``query`` with the passages of its ``top`` hits."""
        ...

    def text_similarity(self, a: str, b: str) -> float:
        """How similar in meaning two texts are (a question and a curated phrasing)."""
        ...


class MeaningTarget(Protocol):
    """What :func:`knowledge.semantic.attach` reads of a knowledge base to give it its meaning
    channel (:class:`~knowledge.kb.KnowledgeBase` has it): the passages to encode, the folder that
    names their saved vectors, and the slot the channel goes in."""

    semantic: MeaningChannel | None

    @property
    def passages(self) -> Sequence[Passage]:
        """The passages, in row order."""
        ...

    @property
    def source(self) -> Path | None:
        """The knowledge folder it was read from (None: not from a folder)."""
        ...
