"""Documents added and removed by moderators, and the folders a knowledge base is built from.

An upload is checked before anything is written: its size, its type by content (PDF magic via
``filetype``, UTF-8 for text), and that it parses as a document. Its name never becomes a path:
only a sanitised base name is used, inside the uploads folder.

Operators give a knowledge folder, which every server reads and the bot never writes; each
server's uploads go to its own folder under the state folder and are loaded together with it.
With the state in PostgreSQL the uploads are kept there too (:class:`SharedUploads`), so every bot
process has them: the folder is then a copy, brought up to date before each load. A site crawled
into a server's uploads is kept there the same way, each of its files (pages and manifest) named
``<site folder>/<file>``, so any process serves it, crawls it again or removes it. The index of a
server's documents is kept there as well: the process that builds it first stores it, keyed by a
fingerprint of what was indexed, and the others load it rather than build it again, and so are the
shared knowledge's passage vectors (:class:`SharedVectors`), encoded by the first process alone.

:class:`KnowledgeSources` says where one server's knowledge comes from, and nothing more. The
jobs are modules here; callers ask a job's class, reached through the sources, directly
(``sources.loader.load()``, ``sources.folder.add(...)``):

- :mod:`.check`: checking an upload (:func:`check_upload`, :func:`safe_filename`)
- :mod:`.folder`: the server's uploads folder, adding and removing (:class:`UploadsFolder`)
- :mod:`.sync`: the folder as a copy of the uploads kept for every process (:class:`UploadMirror`)
- :mod:`.crawl`: crawling a site into the uploads (:class:`SiteCrawler`)
- :mod:`.loader`: building the knowledge base, and sharing its index (:class:`KnowledgeLoader`)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import UploadError
from ..interfaces import SharedUploads, SharedVectors
from ..kb import CORPUS_DIR, default_state_dir
from ..semantic import SemanticOptions
from .check import DEFAULT_MAX_BYTES, MAX_NAME_CHARS, check_upload, human_size, safe_filename
from .crawl import SiteCrawler
from .folder import SITE_CHOICE_PREFIX, UPLOADS_PREFIX, CrawledSite, UploadsFolder, crawled_site_address
from .loader import (
    MAX_SHARED_INDEX_BYTES,
    MAX_UNPACKED_INDEX_BYTES,
    SITES_DIR,
    SITES_PREFIX,
    KnowledgeLoader,
    Progress,
)
from .sync import UploadMirror


@dataclass(frozen=True)
class KnowledgeSources:
    """Where a server's knowledge base comes from and where its uploads go.

    ``base`` is the operator's knowledge folder (the built-in corpus when none is configured),
    shared by every server and never written here. ``uploads`` is one server's own folder under
    the state folder (``<state>/servers/<id>/knowledge``), or None for the shared knowledge alone
    (direct messages, the command line without ``--server``). Uploaded documents get ids under
    ``uploads/``, so they can never take the place of an operator's document.

    Each job is done by a class of its own, reached here and asked directly: :attr:`folder`
    (adding, removing, what is in it), :attr:`mirror` (the copy of the shared uploads),
    :attr:`crawler` and :attr:`loader`. Each is a frozen value built from these fields alone, so
    one is made per use: there is nothing in it to keep, and it cannot go stale.
    """

    base: Path
    state_dir: Path
    uploads: Path | None = None
    semantic: SemanticOptions | None = None  # the meaning channel's options; None: lexical only
    shared: SharedUploads | None = None  # the uploads of every process; None: the folder alone
    vectors: SharedVectors | None = None  # the shared knowledge's vectors for every process

    @classmethod
    def resolve(
        cls,
        knowledge_dir: Path | str | None,
        state_dir: Path | str | None,
        *,
        uploads: Path | str | None = None,
        semantic: SemanticOptions | None = None,
    ) -> KnowledgeSources:
        """The configured knowledge folder (None: the built-in one) and state folder, with an
        optional uploads folder and the semantic channel's options."""
        state = Path(state_dir) if state_dir else default_state_dir()
        base = Path(knowledge_dir).expanduser().resolve() if knowledge_dir else CORPUS_DIR.resolve()
        return cls(base, state, Path(uploads) if uploads is not None else None, semantic)

    def with_uploads(self, uploads: Path | None, shared: SharedUploads | None = None) -> KnowledgeSources:
        """The same knowledge folder with another server's uploads folder (kept for every process
        in ``shared``, when given)."""
        return replace(self, uploads=uploads, shared=shared)

    def with_vectors(self, vectors: SharedVectors | None) -> KnowledgeSources:
        """The same sources, the shared knowledge's passage vectors kept for every process in
        ``vectors`` (None: in the state folder alone)."""
        return replace(self, vectors=vectors)

    # -- the jobs ----------------------------------------------------------------------------------

    @property
    def folder(self) -> UploadsFolder:
        """The server's uploads folder: what is in it, adding and removing."""
        return UploadsFolder(self.uploads, self.shared)

    @property
    def mirror(self) -> UploadMirror:
        """The uploads folder as a copy of the uploads every process shares."""
        return UploadMirror(self.uploads, self.shared)

    @property
    def crawler(self) -> SiteCrawler:
        """Crawls sites into the server's uploads."""
        return SiteCrawler(self.uploads, self.shared)

    @property
    def loader(self) -> KnowledgeLoader:
        """Builds the knowledge base of these sources."""
        return KnowledgeLoader(
            self.base, self.state_dir, self.uploads, self.semantic, self.shared, self.vectors
        )


__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_NAME_CHARS",
    "MAX_SHARED_INDEX_BYTES",
    "MAX_UNPACKED_INDEX_BYTES",
    "SITES_DIR",
    "SITES_PREFIX",
    "SITE_CHOICE_PREFIX",
    "UPLOADS_PREFIX",
    "CrawledSite",
    "KnowledgeLoader",
    "KnowledgeSources",
    "Progress",
    "SharedUploads",
    "SharedVectors",
    "SiteCrawler",
    "UploadError",
    "UploadMirror",
    "UploadsFolder",
    "check_upload",
    "crawled_site_address",
    "human_size",
    "safe_filename",
]
