"""Loading (and reloading) a server's knowledge base: the operator's knowledge folder with the
operator's crawled sites, shared by every server, and over it an index of the server's uploads
alone (:mod:`knowledge.overlay`). With the state in a database, the index of a server's uploads is
kept there as well: the process that builds it first stores it, keyed by a fingerprint of what was
indexed (the base's documents too: the uploads are weighted with the base's statistics), and the
others load it rather than build it again. The shared knowledge's passage vectors are kept there
too (``vectors``), so only the first process encodes them; a server's uploads are encoded by each
process that loads them (a member's text leaves no vector behind in the database)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..chunking import DEFAULT_CHUNK_CHARS
from ..documents import ProgressCallback, load_folder
from ..errors import DatabaseNotReached, StoreUnavailable
from ..interfaces import SharedUploads, SharedVectors
from ..kb import (
    IndexArchiveError,
    KnowledgeBase,
    folder_fingerprint,
    index_fingerprint,
    index_slot,
    pack_index,
    save_index,
    saved_index,
    unpack_index,
)
from ..models import Document, LoadError
from ..overlay import OverlayKnowledgeBase
from ..semantic import SemanticOptions, attach
from .check import human_size
from .folder import UPLOADS_PREFIX, holds_uploads
from .sync import UploadMirror

logger = logging.getLogger(__name__)

# Given how many passages will be encoded, a callback for each one done (see knowledge.semantic.attach).
Progress = Callable[[int], Callable[[int], None] | None]

# A server's index larger than this (zipped) is not stored for the other processes: each builds it.
MAX_SHARED_INDEX_BYTES = 200 * 1024 * 1024
# What a stored index may unpack to at most (its arrays compress a few times over).
MAX_UNPACKED_INDEX_BYTES = 5 * MAX_SHARED_INDEX_BYTES
# The operator's crawled sites, in the state folder, and their documents' id prefix.
SITES_DIR = "sites"
SITES_PREFIX = "sites/"


@dataclass(frozen=True)
class KnowledgeLoader:
    """Builds the knowledge base of ``base`` (never written), the operator's crawled sites in
    ``state_dir`` and one server's ``uploads`` (None: the shared knowledge alone)."""

    base: Path
    state_dir: Path
    uploads: Path | None = None
    semantic: SemanticOptions | None = None  # the meaning channel's options; None: lexical only
    shared: SharedUploads | None = None  # the uploads of every process; None: the folder alone
    vectors: SharedVectors | None = None  # the shared knowledge's vectors for every process; None: here alone

    @property
    def sites_dir(self) -> Path:
        """The operator's crawled sites (``citebot index --url`` without a server): part of the
        shared knowledge, ids under ``sites/``."""
        return self.state_dir / SITES_DIR

    @property
    def has_sites(self) -> bool:
        """Whether the operator has crawled sites into the state folder."""
        return self.sites_dir.is_dir() and any(self.sites_dir.iterdir())

    def site_documents(self) -> tuple[list[Document], list[LoadError]]:
        """The pages of the operator's crawled sites, their ids under ``sites/``."""
        if not self.has_sites:
            return [], []
        pages, errors = load_folder(self.sites_dir)
        return [replace(doc, id=SITES_PREFIX + doc.id) for doc in pages], errors

    def uploaded_documents(
        self, on_progress: ProgressCallback | None = None
    ) -> tuple[list[Document], list[LoadError]]:
        """The documents of the uploads folder, their ids under ``uploads/`` (``on_progress``:
        see :func:`~knowledge.documents.load_folder`)."""
        if not holds_uploads(self.uploads):
            return [], []
        uploaded, errors = load_folder(self.uploads, on_progress=on_progress)
        return [replace(doc, id=UPLOADS_PREFIX + doc.id) for doc in uploaded], errors

    def documents(self) -> tuple[list[Document], list[LoadError]]:
        """The documents of ``base``, of the operator's crawled sites and of the uploads folder."""
        docs, errors = load_folder(self.base)
        sites, site_errors = self.site_documents()
        uploaded, upload_errors = self.uploaded_documents()
        return docs + sites + uploaded, errors + site_errors + upload_errors

    def load_base(
        self, progress: Progress | None = None, *, on_progress: ProgressCallback | None = None
    ) -> KnowledgeBase:
        """The shared knowledge base of ``base``, reusing the index saved in the state folder, with
        the operator's crawled sites indexed together with it when there are any
        (``on_progress(done, total)`` follows the files read when it is built again)."""
        kb = KnowledgeBase.from_folder(self.base, state_dir=self.state_dir, on_progress=on_progress)
        if self.has_sites:
            fingerprint = f"{kb.fingerprint}+{folder_fingerprint(self.sites_dir, None, DEFAULT_CHUNK_CHARS)}"
            pages, errors = self.site_documents()
            kb = KnowledgeBase.from_documents([*kb.documents.values(), *pages], errors=[*kb.errors, *errors])
            kb.source, kb.fingerprint = self.base, fingerprint
        return self._attach(kb, progress, self.vectors)

    def load(
        self,
        base: KnowledgeBase | None = None,
        progress: Progress | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> KnowledgeBase:
        """The knowledge base of ``base`` plus the uploads. Without uploads it is the shared one
        itself (``base`` when given, else loaded); with them, the shared one (never copied) with
        an index of the uploads over it (:class:`~knowledge.overlay.OverlayKnowledgeBase`). With
        ``semantic`` options, the semantic channel is attached, the uploads' vectors beside the
        base's (``progress``: see :func:`knowledge.semantic.attach`); ``on_progress(done, total)``
        follows the files read, the knowledge folder's and then the uploads'."""
        shared = base if base is not None else self.load_base(progress, on_progress=on_progress)
        UploadMirror(self.uploads, self.shared).sync()
        if not holds_uploads(self.uploads):
            return shared
        uploaded, errors = self.uploaded_documents(on_progress)
        if self.shared is None:
            own = KnowledgeBase.from_documents(uploaded, errors=errors, over=shared)
        else:
            own = self._shared_index(self.shared, self.uploads, shared, uploaded, errors)
        own.source = self.uploads  # names the uploads' saved vectors
        if shared.semantic is not None:
            self._attach(own, progress)
        return OverlayKnowledgeBase(shared, own)

    def _shared_index(
        self,
        shared: SharedUploads,
        uploads: Path,
        base: KnowledgeBase,
        documents: list[Document],
        errors: list[LoadError],
    ) -> KnowledgeBase:
        """The index of the uploaded ``documents`` over ``base``: the one saved here, else the one
        another process stored (unpacked into the state folder), else built here and stored for
        the others. The database failing only means building here."""
        fingerprint = index_fingerprint(
            [*base.documents.values(), *documents], folders=(self.base, self.sites_dir, uploads)
        )
        slot = index_slot(uploads, self.state_dir)
        found = saved_index(slot, fingerprint, uploads)
        damaged = False
        if found is None:
            found, damaged = self._fetch_index(shared, slot, fingerprint)
        if found is not None:
            try:
                return found.with_documents(documents, errors)
            except ValueError as exc:
                logger.warning("the saved index %s does not match the documents (%s); rebuilding", slot, exc)
                shutil.rmtree(slot / fingerprint, ignore_errors=True)
        kb = KnowledgeBase.from_documents(documents, errors=errors, over=base)
        kb.fingerprint = fingerprint
        save_index(kb, slot, fingerprint)
        try:
            data = pack_index(slot, fingerprint)
        except OSError as exc:
            logger.warning("the index of %s is not shared: it could not be read back (%s)", uploads, exc)
            return kb
        if len(data) > MAX_SHARED_INDEX_BYTES:
            logger.info(
                "the index of %s is not shared: %s is above the %s limit; other processes build it",
                uploads, human_size(len(data)), human_size(MAX_SHARED_INDEX_BYTES),
            )  # fmt: skip
            return kb
        try:
            shared.store_index_archive(fingerprint, data, replace=damaged)
            logger.info("stored the index of %s for the other processes (%s)", uploads, human_size(len(data)))
        except StoreUnavailable as exc:
            logger.log(DatabaseNotReached.log_level(exc), "the index of %s is not shared: %s", uploads, exc)
        return kb

    def _fetch_index(
        self, shared: SharedUploads, slot: Path, fingerprint: str
    ) -> tuple[KnowledgeBase | None, bool]:
        """The index another process stored under ``fingerprint``, unpacked into ``slot`` and
        checked whole; and whether a stored one was unusable (so the one built here replaces it)."""
        try:
            data = shared.index_archive(fingerprint)
        except StoreUnavailable as exc:
            logger.log(
                DatabaseNotReached.log_level(exc), "the index of %s is built here: %s", self.uploads, exc
            )
            return None, False
        if data is None:
            return None, False
        try:
            unpack_index(data, slot, fingerprint, max_bytes=MAX_UNPACKED_INDEX_BYTES)
        except (IndexArchiveError, OSError) as exc:
            logger.warning("the index stored for %s is unusable (%s); building it here", self.uploads, exc)
            return None, True
        kb = saved_index(slot, fingerprint, self.uploads)
        if kb is None:
            return None, True
        logger.info("loaded the index of %s stored by another bot process", self.uploads)
        return kb, False

    def _attach(
        self, kb: KnowledgeBase, progress: Progress | None, shared: SharedVectors | None = None
    ) -> KnowledgeBase:
        if self.semantic is not None:
            attach(kb, self.semantic, state_dir=self.state_dir, progress=progress, shared=shared)
        return kb
