"""Connecting the PostgreSQL store: at start, or, when the database is out of reach then, later in
the background (:class:`Connecting`, a part of :class:`~knowledge.database.postgres.PostgresStore`).

A process that starts while the database is down goes on without it, as one whose database went
away after start does: answers come from the documents with every safety notice, nothing is
recorded, and a moderator's change is refused (``ChangeNotSaved``) rather than kept by this
process alone. A thread tries the database again with the change listener's backoff
(:class:`~knowledge.database.backoff.Backoff`); once it answers, the thread does what a start with
the database does, in this order: migrate, claim the shards asked for (:mod:`.leases`; held by
another process by then: ``on_refused`` is told, the store stays unusable and the process must
stop, as it would have at start), serve, listen for the other processes' changes, and read again
every state document opened meanwhile and every server with state (the watcher hears of each as
changed, then ``on_connect``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import StoreError, StoreUnavailable
from ..store import EVERYTHING_CHANGED
from .backoff import Backoff
from .changes import POLL_INTERVAL_S, ChangeListener
from .leases import ShardLeases, ShardsTaken

if TYPE_CHECKING:
    from collections.abc import Collection

logger = logging.getLogger(__name__)

# How long a call waits for a pooled connection, and the longest one statement may run: short,
# since a member is waiting for the answer it records.
CONNECTION_WAIT_S = 2.0
STATEMENT_TIMEOUT_MS = 5000
# How long the pool keeps one series of reconnection tries going. Its wait doubles between tries
# and has no ceiling of its own, so with psycopg_pool's 5 minutes a database back after a one-minute
# outage was used only a minute later (58.6 s, against 7 s with 15 s here); a new series starts at
# the next call.
RECONNECT_SERIES_S = 15.0

Watcher = tuple[Callable[[int, str], None], float, Callable[[], None] | None]


class Unreachable(Exception):
    """The database could not be reached (the message says why, as the server answered)."""


def open_pool(url: str, *, max_connections: int, connect_timeout: float) -> ConnectionPool:
    """A pool of connections to ``url``, open; raises :class:`Unreachable`. One plain connection is
    tried first: the pool would keep trying for the whole timeout, and only say it timed out."""
    timeout = (
        {}
        if "connect_timeout" in conninfo_to_dict(url)
        else {"connect_timeout": max(1, int(connect_timeout))}
    )
    try:
        psycopg.connect(url, **timeout).close()
    except psycopg.OperationalError as exc:
        raise Unreachable(" ".join(str(exc).split())) from None
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max_connections,
        kwargs={"autocommit": True, "row_factory": dict_row},
        configure=_configure,
        check=ConnectionPool.check_connection,
        timeout=CONNECTION_WAIT_S,
        reconnect_timeout=RECONNECT_SERIES_S,
        name="citebot",
        open=False,
    )
    try:
        pool.open(wait=True, timeout=connect_timeout)
    except PoolTimeout as exc:
        pool.close()
        raise Unreachable(str(exc)) from None
    return pool


def _configure(db: psycopg.Connection) -> None:
    """Bound every statement, so a stuck server cannot keep a member waiting."""
    db.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")


class Connecting:
    """How the PostgreSQL store connects (see the module docstring); the store calls
    :meth:`_start` once its own attributes are set, and gives :meth:`_migrate`, :meth:`describe`,
    :meth:`mark_stale` and :meth:`guilds_with_state`."""

    url: str
    pool: ConnectionPool | None
    _max_connections: int
    _connect_timeout: float
    _listener: ChangeListener | None
    _leases: ShardLeases | None

    if TYPE_CHECKING:  # given by the store

        def _migrate(self) -> None: ...

        def describe(self) -> str: ...

        def mark_stale(self, guild_id: int, what: str) -> None: ...

        def guilds_with_state(self) -> list[int]: ...

        def _opened_guilds(self) -> Collection[int]: ...

    def _start(self, *, wait: bool) -> None:
        """Connect now; without ``wait``, when the database is out of reach, warn once and go on
        connecting in the background."""
        # Set once migrated and the shards held: calls are made from then on.
        self._usable = threading.Event()
        # Set once everything a start does is done (after a late connection: the state read again).
        self._connected = threading.Event()
        self._stopping = threading.Event()
        # Guards _usable being set against what is asked meanwhile (shards, watching).
        self._lock = threading.Lock()
        self._claim: tuple[list[int], int, Callable[[StoreError], None] | None] | None = None
        self._watching: Watcher | None = None
        self._connector: threading.Thread | None = None
        try:
            self._open()
        except Unreachable as exc:
            if wait:
                raise StoreError(f"cannot connect to the database {self.describe()}: {exc}") from None
            logger.warning(
                "cannot connect to the database %s (%s): starting without it. Answers come from the "
                "documents, with every safety notice; nothing is recorded and moderators' changes are "
                "refused until it is back; connecting in the background",
                self.describe(),
                exc,
            )
            self._connector = threading.Thread(
                target=self._connect_later, name="citebot-connect", daemon=True
            )
            self._connector.start()
            return
        self._usable.set()
        self._connected.set()

    @property
    def connected(self) -> bool:
        """Whether the database was reached since start (after starting without it: and the
        servers' state read from it); an outage after that does not change it."""
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Wait until :attr:`connected`; whether it is."""
        return self._connected.wait(timeout)

    def _open(self) -> None:
        pool = open_pool(
            self.url, max_connections=self._max_connections, connect_timeout=self._connect_timeout
        )
        self.pool = pool
        try:
            self._migrate()
        except BaseException as exc:
            self._close_pool()
            if isinstance(exc, psycopg.OperationalError):
                raise Unreachable(" ".join(str(exc).split())) from None
            raise

    def _stop_connecting(self) -> None:
        """At close: stop the background thread (it closes a pool it opened meanwhile)."""
        self._stopping.set()
        if self._connector is not None and self._connector is not threading.current_thread():
            self._connector.join(timeout=self._connect_timeout + 1)

    def _connect_later(self) -> None:
        backoff = Backoff(self._stopping)
        while not backoff.wait():
            try:
                self._open()
            except Unreachable as exc:
                logger.info(
                    "database %s still out of reach (%s); next try in %.0fs",
                    self.describe(),
                    exc,
                    backoff.delay,
                )
                continue
            except Exception as exc:  # a newer schema: this citebot cannot use that database
                logger.error("the database %s cannot be used: %s; going on without it", self.describe(), exc)
                return
            refused: ShardsTaken | None = None
            with self._lock:
                try:
                    if self._stopping.is_set():
                        raise Unreachable("the store was closed")
                    if self._claim is not None:
                        self._take_shards(*self._claim)
                except (Unreachable, ShardsTaken, StoreError, psycopg.Error) as exc:
                    self._close_pool()
                    if self._stopping.is_set():
                        return
                    if not isinstance(exc, ShardsTaken):
                        logger.info(
                            "database %s lost again (%s); next try in %.0fs",
                            self.describe(),
                            exc,
                            backoff.delay,
                        )
                        continue
                    refused = exc
                else:
                    self._usable.set()
                    watching = self._watching
            if refused is not None:
                logger.error("%s; this process must stop", refused)
                on_refused = self._claim[2] if self._claim else None
                if on_refused is not None:
                    on_refused(refused)
                return
            logger.info("connected to the database %s; reading the servers' state from it", self.describe())
            self._catch_up(watching)
            self._connected.set()
            return

    def _catch_up(self, watching: Watcher | None) -> None:
        """After a late connection: every state document opened meanwhile is read again on its
        next refresh, and a watcher hears of every server as changed (then ``on_connect``)."""
        opened = set(self._opened_guilds())
        for guild_id in sorted(opened):
            self.mark_stale(guild_id, EVERYTHING_CHANGED)
        if watching is None:
            return
        callback, poll_s, on_connect = watching
        listener = self._listen(callback, poll_s)
        try:
            stored = set(self.guilds_with_state())
        except StoreUnavailable:
            stored = set()  # gone again: the listener checks the counters once it is back
        listener.reload(sorted(opened | stored))
        if on_connect is not None:
            try:
                on_connect()
            except Exception:
                logger.exception("reading the servers' state after connecting to the database failed")

    def _close_pool(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def watch(
        self,
        callback: Callable[[int, str], None],
        *,
        poll_s: float = POLL_INTERVAL_S,
        on_connect: Callable[[], None] | None = None,
    ) -> bool:
        """Call ``callback(guild_id, what)`` (in a background thread) for every change another
        process announces: at once through LISTEN/NOTIFY, and within ``poll_s`` through the change
        counters when a notification was missed (the listening connection was lost). Started
        without the database, this begins once connected, every server reported as changed, then
        ``on_connect()`` is called."""
        with self._lock:
            if self._listener is not None or self._watching is not None:
                raise RuntimeError("the store is already being watched")
            if not self._usable.is_set():
                self._watching = (callback, poll_s, on_connect)
                return True
        self._listen(callback, poll_s)
        return True

    def _listen(self, callback: Callable[[int, str], None], poll_s: float) -> ChangeListener:
        self._listener = ChangeListener(self, callback, poll_s=poll_s)  # type: ignore[arg-type]
        self._listener.start()
        return self._listener

    def hold_shards(
        self,
        shards: Sequence[int],
        shard_count: int,
        *,
        on_refused: Callable[[StoreError], None] | None = None,
    ) -> None:
        """Hold ``shards`` of ``shard_count`` until the store is closed (see :mod:`.leases`); raises
        :class:`StoreError` when another process holds one. Started without the database they are
        claimed once it is back, before anything is read or written; held by another process by
        then, ``on_refused`` is told (the process must stop, as it would have at start)."""
        with self._lock:
            if not self._usable.is_set():
                self._claim = (list(shards), shard_count, on_refused)
                logger.warning(
                    "shards %s of %d are claimed once the database is back; until then no other "
                    "process can be checked for them",
                    ",".join(map(str, shards)),
                    shard_count,
                )
                return
        self._take_shards(shards, shard_count, on_refused)

    def _take_shards(
        self, shards: Sequence[int], shard_count: int, on_refused: Callable[[StoreError], None] | None
    ) -> None:
        leases = ShardLeases(self.url, shards, shard_count, connect_timeout=self._connect_timeout)
        leases.acquire()
        self._leases = leases
        leases.keep(on_refused, self._stopping)  # claimed again after the database restarted
