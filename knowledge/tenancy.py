"""Every Discord server its own: the one place that decides whose state a request reaches.

``Servers(sources, store)`` hands out one :class:`ServerState` per server
(``servers.get(guild_id)``), created on first use and cached: its own curated answers, glossary,
uploaded documents and a :class:`~knowledge.store.ServerStore` that puts the server into every
query. Nothing else opens those files, so one server's moderators can never read or change
another's. ``servers.get(None)`` (direct messages, the command line without a server) answers
from the shared knowledge only: no curated answers, no glossary, nothing to moderate.

Files: ``<state>/servers/<guild_id>/curated.yaml``, ``glossary.yaml`` and ``knowledge/`` (uploads);
the SQLite store stays one file with the server on every row.

Shared and own knowledge: the operator's knowledge folder is the base every server reads. A
server without uploads answers from the very same :class:`KnowledgeBase` object as the others. A
server with uploads gets :class:`~knowledge.overlay.OverlayKnowledgeBase`: that same base object,
never copied, plus an index of its uploads alone, built once and cached until the base or its
uploads change. Scores from two independent indexes would not be comparable (each has its own
document frequencies and lengths), so the uploads' index is fitted over the base's statistics and
both are scored with the idf of the two together (:mod:`knowledge.overlay` says what is exact);
the Decider sees one ranking as for a single index. Memory per server grows with its uploads
only (``bench/server_memory.py``).

Upgrading from the single-pool layout (``<state>/curated.yaml``, ``glossary.yaml``,
``knowledge/``): :func:`adopt_single_pool` moves those files to the one server the bot was used
in, after a backup; with several candidates they stay put and unused until the operator runs
``citebot state assign --server ID`` (:func:`assign_single_pool`).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .assistant import Assistant
from .curated import CuratedStore
from .curated.store import FILE_NAME as CURATED_FILE
from .decider import AnswerSettings
from .errors import CitebotError
from .glossary import FILE_NAME as GLOSSARY_FILE
from .glossary import Glossary
from .kb import KnowledgeBase
from .safety import RedFlags
from .server_settings import FILE_NAME as SETTINGS_FILE
from .server_settings import ServerSettings, SettingsBook
from .store import EVERYTHING_CHANGED, KNOWLEDGE_CHANGED, ServerStore, StateStore, StoreUnavailable
from .uploads import KnowledgeSources
from .yaml_state import YamlState, YamlStateFile

logger = logging.getLogger(__name__)

SERVERS_DIR = "servers"
UPLOADS_DIR = "knowledge"
# What the single-pool layout kept at the top of the state folder (with their .bak copies).
SINGLE_POOL_FILES = ("curated.yaml", "curated.yaml.bak", "glossary.yaml", "glossary.yaml.bak")
SINGLE_POOL_UPLOADS = "knowledge"


def shard_filter(shards: Iterable[int] | None, shard_count: int | None) -> Callable[[int], bool] | None:
    """Whether a server's events reach a process running ``shards`` of ``shard_count``:
    Discord sends a server's events to shard ``(guild_id >> 22) % shard_count``. None (every
    server) without sharding."""
    if shards is None or not shard_count:
        return None
    mine = frozenset(shards)
    return lambda guild_id: (guild_id >> 22) % shard_count in mine


def server_dir(state_dir: Path | str, guild_id: int) -> Path:
    """The folder of one server's files in the state folder."""
    return Path(state_dir) / SERVERS_DIR / str(int(guild_id))


def servers_with_state(state_dir: Path | str) -> list[int]:
    """The servers that have a folder of their own in the state folder, in id order."""
    root = Path(state_dir) / SERVERS_DIR
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit())


def server_assistant(
    sources: KnowledgeSources,
    guild_id: int | None,
    base: KnowledgeBase,
    *,
    settings: AnswerSettings | None = None,
    red_flags: RedFlags | None = None,
    store: StateStore | None = None,
) -> tuple[Assistant, KnowledgeSources]:
    """The assistant of one server over the shared ``base`` (its curated answers, glossary and
    uploads from its folder, or from ``store`` when it keeps them for every process), and its
    sources; for None, the shared knowledge alone."""
    if guild_id is None:
        shared = sources.with_uploads(None)
        return Assistant(base, settings=settings, red_flags=red_flags), shared
    folder = server_dir(sources.state_dir, guild_id)
    own = sources.with_uploads(folder / UPLOADS_DIR, store.shared_uploads(guild_id) if store else None)
    if store is not None:
        rows = store.server(guild_id)
        curated = CuratedStore(rows.state_file(folder / CURATED_FILE))
        glossary = Glossary(rows.state_file(folder / GLOSSARY_FILE))
    else:
        curated, glossary = CuratedStore.in_state_dir(folder), Glossary.in_state_dir(folder)
    assistant = Assistant(
        own.loader.load(base), settings=settings, curated=curated, glossary=glossary, red_flags=red_flags
    )
    return assistant, own


@dataclass(frozen=True)
class ServerState:
    """One server's view of citebot: who it is, the assistant that answers there (with that
    server's curated answers, glossary and knowledge base), its rows of the store and where its
    uploads go. For direct messages ``guild_id``, ``folder``, ``curated`` and ``glossary`` are None."""

    guild_id: int | None
    assistant: Assistant
    store: ServerStore
    sources: KnowledgeSources
    folder: Path | None

    def state_file(self, name: str) -> YamlStateFile:
        """Where this server's YAML state ``name`` (``golden.yaml``…) is kept: its folder, or the
        database shared by every bot process."""
        if self.folder is None:
            raise ValueError("direct messages have no state of their own")
        return self.store.state_file(self.folder / name)

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base answering in this server now (a reload replaces it)."""
        return self.assistant.kb

    @property
    def curated(self) -> CuratedStore | None:
        """This server's curated answers (None in direct messages)."""
        return self.assistant.curated

    @property
    def glossary(self) -> Glossary | None:
        """This server's glossary (None in direct messages)."""
        return self.assistant.glossary


class Servers:
    """The servers' states over one shared knowledge folder and one store; thread-safe.

    ``base`` is the shared knowledge base when it is already loaded (else it is loaded from
    ``sources`` on first use).
    """

    def __init__(
        self,
        sources: KnowledgeSources,
        store: StateStore,
        *,
        base: KnowledgeBase | None = None,
        settings: AnswerSettings | None = None,
        red_flags: RedFlags | None = None,
        owns: Callable[[int], bool] | None = None,
    ) -> None:
        # The shared knowledge's passage vectors are kept in the store when it is every process's.
        self.sources = sources.with_uploads(None).with_vectors(store.shared_vectors())
        self.store = store
        self.settings = settings or AnswerSettings()
        self.red_flags = red_flags
        #: Whether this process serves a server (its shards, see :func:`shard_filter`); all if None.
        self.owns = owns
        self._base = base
        self._lock = threading.RLock()
        self._states: dict[int | None, ServerState] = {}
        # Re-indexing after other processes' changes: one worker, one queued run per server
        # (True: check the knowledge folder too).
        self._reindexer: ThreadPoolExecutor | None = None
        self._queued: dict[int, bool] = {}
        self._pending: list[futures.Future] = []
        #: Each server's own settings (help channels, moderator roles…), read apart from its
        #: state: the checks on the event loop need them before the server is loaded, if ever.
        self.own_settings = SettingsBook(
            lambda guild_id: store.state_file(guild_id, server_dir(self.state_dir, guild_id) / SETTINGS_FILE)
        )

    @property
    def state_dir(self) -> Path:
        """The state folder all servers' files live in."""
        return self.sources.state_dir

    @property
    def base(self) -> KnowledgeBase:
        """The shared knowledge base every server reads."""
        with self._lock:
            if self._base is None:
                self._base = self.sources.loader.load_base()
            return self._base

    def get(self, guild_id: int | None) -> ServerState:
        """The state of server ``guild_id`` (None: direct messages), created on first use."""
        key = int(guild_id) if guild_id is not None else None
        with self._lock:
            state = self._states.get(key)
        if state is not None:
            return state
        # Created outside the lock, so loading one server never holds up questions in the
        # others; if two threads create the same one, the first stored wins and both return it.
        created = self._create(key)
        with self._lock:
            return self._states.setdefault(key, created)

    def loaded_state(self, guild_id: int | None) -> ServerState | None:
        """The state of server ``guild_id`` if it was created already; never loads anything."""
        with self._lock:
            return self._states.get(int(guild_id) if guild_id is not None else None)

    def loaded(self) -> list[ServerState]:
        """The servers' states created so far (not direct messages)."""
        with self._lock:
            return [s for g, s in self._states.items() if g is not None]

    def _known(self) -> list[int]:
        """The servers this process serves (:attr:`owns`) with files in the state folder or state
        in the database."""
        try:
            in_store = self.store.guilds_with_state()
        except StoreUnavailable as exc:
            if self.store.connected:  # else the store said so at start, and loads them once connected
                logger.warning("servers with state in the database not loaded ahead: %s", exc)
            in_store = []
        known = sorted(set(servers_with_state(self.state_dir)) | set(in_store))
        return [guild_id for guild_id in known if self.owns is None or self.owns(guild_id)]

    def load_known(self) -> list[ServerState]:
        """Create the state of every server this process serves (:attr:`owns`) with files in the
        state folder or state in the database (after start, in a worker thread, so a first
        question there does not wait for its uploads to be indexed). Servers of other processes'
        shards are neither loaded nor indexed nor checked here; one asked here anyway (a server
        moved to this process's shards) is loaded then."""
        return [self.get(guild_id) for guild_id in self._known()]

    def load_settings(self) -> dict[int, ServerSettings]:
        """Read the own settings of every server this process serves (at start, before any event
        arrives, so the event loop finds them read); returns those of the servers that have some."""
        read = {guild_id: self.own_settings.get(guild_id).current() for guild_id in self._known()}
        return {guild_id: own for guild_id, own in read.items() if own.own()}

    def _create(self, guild_id: int | None) -> ServerState:
        assistant, sources = server_assistant(
            self.sources,
            guild_id,
            self.base,
            settings=self.settings,
            red_flags=self.red_flags,
            store=self.store,
        )
        folder = server_dir(self.state_dir, guild_id) if guild_id is not None else None
        return ServerState(guild_id, assistant, self.store.server(guild_id), sources, folder)

    # -- reloading ---------------------------------------------------------------------------

    def build(self, guild_id: int | None) -> tuple[KnowledgeBase, KnowledgeBase]:
        """Load the knowledge folder and this server's uploads again, changing nothing yet;
        returns (shared base, this server's knowledge base). The base object stays the same when
        the folder did not change. Pass the result to :meth:`install`."""
        base = self.sources.loader.load_base()
        current = self.base
        if base.fingerprint and base.fingerprint == current.fingerprint:
            base = current  # unchanged: keep sharing the object every server already uses
        return base, self.get(guild_id).sources.loader.load(base)

    def install(
        self, guild_id: int | None, base: KnowledgeBase, kb: KnowledgeBase, *, announce: bool = True
    ) -> None:
        """Answer from a built knowledge base: ``kb`` in ``guild_id``; when the shared base
        changed, every other server's too (those with uploads are indexed again here). With
        ``announce``, the other bot processes are told to reload that server too."""
        with self._lock:
            changed = base is not self._base
            self._base = base
            states = list(self._states.items())
        for other, state in states:
            if other == guild_id:
                state.assistant.kb = kb
            elif changed:
                state.assistant.kb = state.sources.loader.load(base)
        if guild_id is not None and announce:
            try:
                self.store.announce(guild_id, KNOWLEDGE_CHANGED)
            except StoreUnavailable as exc:
                logger.warning("other bot processes were not told of server %s's reload: %s", guild_id, exc)

    # -- changes made by other bot processes ----------------------------------------------------

    def watch(self) -> bool:
        """Load what other bot processes change (curated answers, glossary, uploads, reloads) as
        their store announces it; False when there are no others (the SQLite store). A database
        reached only after start reports every server as changed, then the servers with state are
        loaded ahead as at start."""
        return self.store.watch(self.apply_change, on_connect=self.load_known)

    def apply_change(self, guild_id: int, what: str) -> None:
        """Load what another process changed in a server (``what``: a state document's name,
        ``knowledge``, or ``*`` for everything); a server not loaded here yet is left alone, as it
        is read whole when first used, but its settings are read (the event loop reads them). Runs
        in the store's listening thread, off the event loop.
        Raises :class:`StoreUnavailable` when the database could not be read (to be tried again)."""
        state = self.loaded_state(guild_id)
        served = (state.curated, state.glossary) if state else ()
        documents: list[YamlState] = [d for d in served if d is not None]
        settings = self.own_settings.loaded(guild_id)
        mine = self.owns is None or self.owns(guild_id)
        if settings is None and mine and what in (SETTINGS_FILE, EVERYTHING_CHANGED):
            settings = self.own_settings.get(guild_id)  # settings new to this process: read here
        if settings is not None:
            documents.append(settings)
        with contextlib.ExitStack() as held:
            # The served documents are read here, before a reader on the event loop sees them
            # stale; others (golden questions) are read by their next reader, in a worker thread.
            for document in documents:
                held.enter_context(document.file.lock)
            self.store.mark_stale(guild_id, what)
            for document in documents:
                if document.file.changed_on_disk():
                    document.refresh()
                if document.file.read_failed:  # the listener tries again later
                    raise StoreUnavailable(f"server {guild_id}'s {document.label} could not be read")
        if state is None:
            return
        everything = what == EVERYTHING_CHANGED
        if everything or what == KNOWLEDGE_CHANGED:
            if not state.sources.mirror.sync():
                raise StoreUnavailable(f"server {guild_id}'s uploads could not be fetched")
            # Indexing is left to a worker, so the listener goes on hearing other changes; and in
            # proportion to the change: one server's uploads re-index that server on the base in
            # use, and only a change whose extent is unknown (missed notifications) checks the
            # knowledge folder too.
            self._reindex(guild_id, everything)

    def _reindex(self, guild_id: int, everything: bool) -> None:
        with self._lock:
            if self._reindexer is None:
                self._reindexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="citebot-reindex")
            queued = self._queued.get(guild_id)
            self._queued[guild_id] = everything or bool(queued)
            if queued is not None:
                return  # already waiting: it will read the newest uploads when it runs
            self._pending.append(self._reindexer.submit(self._run_reindex, guild_id))

    def _run_reindex(self, guild_id: int) -> None:
        with self._lock:
            everything = self._queued.pop(guild_id)
        try:
            if everything:
                base, kb = self.build(guild_id)
            else:
                base = self.base
                kb = self.get(guild_id).sources.loader.load(base)
            self.install(guild_id, base, kb, announce=False)
            logger.info("server %s: knowledge reloaded after a change in another bot process", guild_id)
        except Exception:
            logger.exception("server %s: reloading after another process's change failed", guild_id)

    def wait_for_reindexing(self, timeout: float | None = None) -> None:
        """Return once the re-indexing queued by other processes' changes so far is done."""
        with self._lock:
            pending, self._pending = self._pending, []
        futures.wait(pending, timeout=timeout)

    def close(self) -> None:
        """Stop re-indexing in the background (what is running finishes)."""
        if self._reindexer is not None:
            self._reindexer.shutdown(wait=True, cancel_futures=True)


# -- upgrading the single-pool layout -----------------------------------------------------------


class AssignError(CitebotError):
    """The single-pool files cannot be moved to a server (the message says why)."""


class ServerChoiceError(CitebotError):
    """A command needs a server and several have state; the message lists them."""


def choose_server(state_dir: Path | str, server: int | None, *, also: Iterable[int] = ()) -> int | None:
    """The server a command-line call acts on: ``server`` when given; else the only server with
    state (in the state folder, or ``also``: those with state in the database); None when no
    server has any (the shared knowledge). Raises :class:`ServerChoiceError` naming the servers
    when there are several."""
    if server is not None:
        return server
    known = sorted(set(servers_with_state(state_dir)) | set(also))
    if len(known) > 1:
        raise ServerChoiceError(
            f"{len(known)} servers have state in {state_dir}: {', '.join(map(str, known))}; "
            "choose one with --server ID"
        )
    return known[0] if known else None


def single_pool_files(state_dir: Path | str) -> list[Path]:
    """The files and folders of the single-pool layout still at the top of the state folder."""
    state = Path(state_dir)
    found = [state / name for name in SINGLE_POOL_FILES if (state / name).is_file()]
    uploads = state / SINGLE_POOL_UPLOADS
    if uploads.is_dir() and any(uploads.iterdir()):
        found.append(uploads)
    return found


def assign_single_pool(state_dir: Path | str, guild_id: int) -> list[Path]:
    """Move the single-pool curated answers, glossary and uploads to server ``guild_id``, after
    copying them to ``<state>/backup-<time>/``; returns what moved. Raises :class:`AssignError`
    when the server already has such files (nothing is overwritten or moved then)."""
    state = Path(state_dir)
    old = single_pool_files(state)
    if not old:
        return []
    target = server_dir(state, guild_id)
    clashes = [
        target / path.name for path in old if (target / path.name).exists() and not path.name.endswith(".bak")
    ]
    if clashes:
        names = ", ".join(str(p) for p in clashes)
        raise AssignError(f"server {guild_id} already has {names}; move or merge them by hand, nothing moved")
    backup = state / f"backup-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        backup.mkdir(parents=True, exist_ok=True)
        for path in old:
            if path.is_dir():
                shutil.copytree(path, backup / path.name, dirs_exist_ok=True)
            else:
                shutil.copy2(path, backup / path.name)
        target.mkdir(parents=True, exist_ok=True)
        for path in old:
            shutil.move(str(path), target / path.name)
    except OSError as exc:
        raise AssignError(f"could not move {state}'s files to {target}: {exc.strerror or exc}") from exc
    logger.warning(
        "moved %s to server %s (a copy is in %s)", ", ".join(p.name for p in old), guild_id, backup
    )
    return old


def adopt_single_pool(state_dir: Path | str, store: StateStore, allowed: Iterable[int] = ()) -> int | None:
    """At start: move single-pool files to the one server they can belong to, the only server of
    the allowlist or else the only one in the stored answers; returns it, or None when nothing
    moved (nothing to move, or several servers: then the operator is told how to choose)."""
    if not single_pool_files(state_dir):
        return None
    allowed = sorted(set(allowed))
    try:
        candidates = allowed or store.guild_ids()
    except StoreUnavailable:
        logger.warning(
            "the state folder %s has files from before servers had their own; they are "
            "moved at a start with the database reachable",
            state_dir,
        )
        return None
    if len(candidates) != 1:
        logger.warning(
            "the state folder %s has curated answers, a glossary or uploads from before servers had "
            "their own; they are not used until you choose their server: citebot state assign "
            "--server ID (servers seen: %s)",
            state_dir,
            ", ".join(map(str, candidates)) or "none yet",
        )
        return None
    try:
        assign_single_pool(state_dir, candidates[0])
    except AssignError as exc:  # the server's own files win; the bot starts without the old ones
        logger.warning("the old curated answers, glossary and uploads were not moved: %s", exc)
        return None
    return candidates[0]
