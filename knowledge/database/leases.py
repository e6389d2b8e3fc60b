"""One process per shard: leases held as PostgreSQL advisory locks.

Two processes running the same Discord shard would both answer every question of its servers,
and processes that disagree on ``shard_count`` would route servers to shards differently. A
process therefore holds, on a connection of its own for as long as it runs, an exclusive advisory
lock per shard and a shared one on its ``shard_count``. The database releases them when that
connection ends, so a killed process frees its shards at once. A process that finds a shard held,
or another ``shard_count`` in use, refuses to start and names the process in the way (each lease
connection carries a name: host, process id and shards).

The database also ends that connection when it restarts. :meth:`ShardLeases.keep` checks it
every few seconds and claims the shards again once the database is back (with backoff); should
another process hold one by then, the process is told to stop, as at start, so two processes
never go on answering the same servers after an outage.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import zlib
from collections.abc import Callable, Sequence

import psycopg
from psycopg.rows import dict_row

from ..errors import StoreError
from .backoff import Backoff
from .urls import redact_url

logger = logging.getLogger(__name__)

# The two-key form of PostgreSQL's advisory locks: (namespace, value).
SHARD_NAMESPACE = zlib.crc32(b"citebot shard") & 0x7FFFFFFF
COUNT_NAMESPACE = zlib.crc32(b"citebot shard count") & 0x7FFFFFFF
STARTING_NAMESPACE = zlib.crc32(b"citebot shard claims") & 0x7FFFFFFF  # one claim at a time
# How often the lease connection is checked (a restarted database ended it).
CHECK_INTERVAL_S = 5.0

_HOLDERS = """
SELECT l.objid AS value, a.application_name AS holder, a.backend_start AS since
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = %s
  AND l.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY l.objid
"""


class ShardsTaken(StoreError):
    """Another process holds one of the shards, or runs with another ``shard_count``."""


def describe_process(shards: Sequence[int], shard_count: int) -> str:
    """How a process names itself to the others: ``citebot on host pid 4242, shards 0,1 of 4``."""
    listed = ",".join(map(str, shards))
    name = f"citebot on {socket.gethostname()} pid {os.getpid()}, shards {listed} of {shard_count}"
    return name[:63]  # PostgreSQL keeps 63 bytes of an application_name


class ShardLeases:
    """This process's hold on its shards (see the module docstring); :meth:`release` (or the
    process ending) lets them go."""

    def __init__(
        self, url: str, shards: Sequence[int], shard_count: int, *, connect_timeout: float = 10.0
    ) -> None:
        self.url = url
        self.shards = sorted(set(shards))
        self.shard_count = shard_count
        self.name = describe_process(self.shards, shard_count)
        self._connect_timeout = connect_timeout
        self._db: psycopg.Connection | None = None

    def acquire(self) -> None:
        """Take every shard, or none: raises :class:`ShardsTaken` naming the process that holds a
        shard or uses another ``shard_count``, :class:`StoreError` when the database cannot be
        reached."""
        try:
            db = psycopg.connect(
                self.url,
                autocommit=True,
                row_factory=dict_row,
                application_name=self.name,
                connect_timeout=max(1, int(self._connect_timeout)),
            )
        except psycopg.OperationalError as exc:
            raise StoreError(f"cannot claim shards in the database {redact_url(self.url)}: {exc}") from None
        try:
            db.execute("SELECT pg_advisory_lock(%s, 0)", (STARTING_NAMESPACE,))
            try:
                self._claim(db)
            finally:
                db.execute("SELECT pg_advisory_unlock(%s, 0)", (STARTING_NAMESPACE,))
        except BaseException:
            db.close()  # every lock taken so far goes with the connection
            raise
        self._db = db
        logger.info("holding shards %s of %d", ",".join(map(str, self.shards)), self.shard_count)

    def _claim(self, db: psycopg.Connection) -> None:
        for row in db.execute(_HOLDERS, (COUNT_NAMESPACE,)).fetchall():
            if row["value"] != self.shard_count:
                raise ShardsTaken(
                    f"shard_count {self.shard_count} here, but {_holder(row)} runs with shard_count "
                    f"{row['value']}: every "
                    "process of the bot must use the same shard_count; stop the others first to change it"
                )
        db.execute("SELECT pg_advisory_lock_shared(%s, %s)", (COUNT_NAMESPACE, self.shard_count))
        for shard in self.shards:
            taken = db.execute(
                "SELECT pg_try_advisory_lock(%s, %s) AS ok", (SHARD_NAMESPACE, shard)
            ).fetchone()
            if taken["ok"]:
                continue
            holders = [r for r in db.execute(_HOLDERS, (SHARD_NAMESPACE,)).fetchall() if r["value"] == shard]
            who = _holder(holders[0]) if holders else "another process"
            raise ShardsTaken(
                f"shard {shard} is held by {who}: two processes running one shard would answer every "
                "question twice; give this process other shards, or stop that one first"
            )

    def keep(
        self,
        on_refused: Callable[[StoreError], None] | None,
        stopping: threading.Event,
        *,
        check_s: float = CHECK_INTERVAL_S,
    ) -> None:
        """Check the lease connection every ``check_s`` until ``stopping`` is set, in a thread;
        when the database ended it, claim the shards again once it is back, and tell
        ``on_refused`` if another process holds one by then (the process must stop)."""
        thread = threading.Thread(
            target=self._keep, args=(on_refused, stopping, check_s), name="citebot-shards", daemon=True
        )
        thread.start()

    def _keep(
        self, on_refused: Callable[[StoreError], None] | None, stopping: threading.Event, check_s: float
    ) -> None:
        backoff = Backoff(stopping)
        while not stopping.wait(check_s):
            if self._alive() or stopping.is_set():
                continue
            logger.warning("the database ended the hold on shards %s; claiming them again", self._listed())
            self.release()
            while not stopping.is_set():
                try:
                    self.acquire()
                except ShardsTaken as exc:
                    logger.error("%s; this process must stop", exc)
                    if on_refused is not None:
                        on_refused(exc)
                    return
                except (StoreError, psycopg.Error) as exc:
                    logger.info(
                        "shards %s not claimed yet (%s); next try in %.0fs",
                        self._listed(),
                        exc,
                        backoff.delay,
                    )
                    backoff.wait()
                    continue
                if stopping.is_set():
                    self.release()  # the store closed meanwhile
                backoff.reset()
                break

    def _alive(self) -> bool:
        db = self._db
        if db is None or db.closed:
            return False
        try:
            db.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def _listed(self) -> str:
        return f"{','.join(map(str, self.shards))} of {self.shard_count}"

    @property
    def held(self) -> bool:
        """Whether the leases are held (their connection is open)."""
        return self._db is not None and not self._db.closed

    def release(self) -> None:
        """Let the shards go (closing the connection releases every lock)."""
        if self._db is not None:
            self._db.close()
            self._db = None


def _holder(row: dict) -> str:
    """The process in a lock row, as it named itself, and since when."""
    return f"{row['holder'] or 'another process'} (since {row['since']:%Y-%m-%d %H:%M})"
