"""The state store in one SQLite file in the state folder (the default backend).

WAL mode lets a backup (``sqlite3 citebot.sqlite3 ".backup ..."``) run while the bot writes.
Recording is best effort: a busy, full or failing file raises :class:`StoreUnavailable` after a
bounded wait (the bot then answers without it), a damaged file is moved aside at start, and an
unwritable state folder gives a read-only store (see :class:`Store`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from ..errors import StoreError, StoreUnavailable
from .base import StateStore
from .schema import MIGRATIONS, SQLITE

logger = logging.getLogger(__name__)

T = TypeVar("T")

STORE_FILE = "citebot.sqlite3"
# How long a change waits for another process's write lock before it is retried (once) or dropped:
# short, since a member is waiting for the answer it records.
BUSY_TIMEOUT_MS = 2000


class Store(StateStore):
    """A small SQLite store; safe to call from any thread (but never from the event loop: a busy
    database waits up to :data:`BUSY_TIMEOUT_MS`).

    Each thread gets its own connection, so a thread waiting for another process's write lock
    holds nothing the others need: in WAL mode reads go on meanwhile. A change that still fails
    after one retry raises :class:`StoreUnavailable`. At start a damaged file is moved aside
    (``citebot.sqlite3.corrupt-<time>``) and a fresh one begun; a state folder that cannot be
    written gives a read-only store: the old rows are served and new ones kept in memory only
    (:attr:`read_only`). What is in it is reached per server with :meth:`server`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.read_only = False
        self.moved_aside = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()  # guards the list only, never held in a query
        # Read-only mode: one in-memory copy shared by every thread (no other process waits on it).
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open_file()
        except sqlite3.DatabaseError as exc:
            if _unwritable(exc):
                self._open_read_only(exc)
            elif isinstance(exc, sqlite3.OperationalError):
                raise
            else:
                try:
                    self._move_aside(exc)
                    self._open_file()
                except (OSError, sqlite3.DatabaseError) as again:  # damaged and cannot be moved
                    self._open_read_only(again, copy=False)
        except OSError as exc:
            self._open_read_only(exc)
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    @classmethod
    def in_folder(cls, state_dir: Path | str) -> Store:
        """The store in a state folder (created when missing)."""
        return cls(Path(state_dir) / STORE_FILE)

    # -- connections -----------------------------------------------------------------------------

    def _connect(self, target: str, *, uri: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, uri=uri)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def _open_file(self) -> None:
        db = self._connect(str(self.path))
        try:
            db.execute("PRAGMA journal_mode=WAL")
            problem = db.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise sqlite3.DatabaseError(problem)
        except BaseException:
            db.close()
            raise
        self._adopt(db)

    def _adopt(self, db: sqlite3.Connection) -> None:
        with self._connections_lock:
            self._connections.append(db)
        self._local.db = db

    def _move_aside(self, exc: sqlite3.DatabaseError) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                os.replace(part, f"{aside}{suffix}")
        self.moved_aside = aside
        logger.error(
            "the state store %s is damaged (%s); it was moved to %s and a fresh one started: "
            "earlier answers, votes and review items are not in the new one",
            self.path,
            exc,
            aside,
        )

    def _open_read_only(self, exc: Exception, *, copy: bool = True) -> None:
        memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        memory.row_factory = sqlite3.Row
        memory.execute("PRAGMA foreign_keys=ON")
        if copy and self.path.is_file():
            try:
                source = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
                try:
                    source.backup(memory)
                finally:
                    source.close()
            except sqlite3.Error as copy_exc:
                logger.error("could not read %s either (%s); starting empty", self.path, copy_exc)
        self._shared = memory
        self.read_only = True
        logger.warning(
            "READ-ONLY MODE: the state folder %s cannot be written (%s). Members are answered, but "
            "answers, votes and notices shown are kept in memory only and lost at restart; make the "
            "folder writable and restart",
            self.path.parent,
            getattr(exc, "strerror", None) or exc,
        )

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._shared is not None:
            with self._shared_lock:
                yield self._shared
            return
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._connect(str(self.path))
            self._adopt(db)
        yield db

    def _run(self, what: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``what`` with this thread's connection; :class:`StoreUnavailable` when it failed
        (after waiting for a busy database, or after one retry of any other failure)."""
        for attempt in (1, 2):
            try:
                with self._connection() as db:
                    return what(db)
            except sqlite3.OperationalError as exc:
                # A busy database already waited BUSY_TIMEOUT_MS: waiting again would only keep
                # a member waiting longer. Anything else (a full disk, an I/O error) is retried.
                if attempt == 1 and "locked" not in str(exc) and "busy" not in str(exc):
                    logger.info("state store failed (%s); retrying once", exc)
                    continue
                logger.warning("state store %s unavailable: %s; going on without it", self.path, exc)
                raise StoreUnavailable(f"The bot's records can't be used right now ({exc}).") from exc
            except sqlite3.DatabaseError as exc:
                logger.error("state store %s failed: %s; going on without it", self.path, exc)
                raise StoreUnavailable(f"The bot's records can't be used right now ({exc}).") from exc
        raise AssertionError("unreachable")

    # -- schema --------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._connection() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = int(row[0]) if row else 0
            if current > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path} has schema version {current}, newer than this citebot knows "
                    f"({len(MIGRATIONS)}); upgrade citebot or restore an older backup"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                # executescript commits first; wrap each step so it lands whole or not at all.
                db.executescript(
                    "BEGIN;\n"
                    + MIGRATIONS[version - 1].script(SQLITE)
                    + "\nDELETE FROM schema_version;"
                    + f"\nINSERT INTO schema_version VALUES ({version});\nCOMMIT;"
                )
                logger.info("state store %s migrated to schema version %d", self.path, version)

    def describe(self) -> str:
        """The SQLite file, for logs."""
        return str(self.path)

    def close(self) -> None:
        """Close the database; the store cannot be used afterwards."""
        with self._connections_lock:
            connections, self._connections = self._connections, []
        if self._shared is not None:
            connections.append(self._shared)
        for db in connections:
            db.close()


def _unwritable(exc: sqlite3.DatabaseError) -> bool:
    """Whether opening failed because the file or its folder cannot be written."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("readonly" in text or "unable to open" in text)


def check_store(state_dir: Path | str) -> str | None:
    """What is wrong with the state store in ``state_dir`` (None when it is fine or absent),
    opened read-only: for ``citebot index --check``."""
    path = Path(state_dir) / STORE_FILE
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            result = db.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as exc:
        result = str(exc)
    if result == "ok":
        return None
    return f"{path}: the state store is damaged ({result}); the bot moves it aside and starts a fresh one"
