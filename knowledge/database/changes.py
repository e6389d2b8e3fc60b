"""Telling every bot process what another one changed, so a moderator's edit made through one is
served by all within seconds.

A change is announced in its own transaction (see :meth:`PostgresStore._announce`): the server's
row of ``server_changes`` counts one more, and ``pg_notify`` sends ``{"guild", "what", "counter",
"origin"}`` on :data:`CHANGES_CHANNEL`. Each process runs one :class:`ChangeListener` thread that
LISTENs on its own connection and hands each change of another process to a callback. The
notifications are the fast path; the counters are the fallback: every :data:`POLL_INTERVAL_S`, and
after the listening connection was lost and made again (with backoff), a server whose counter
went up is reported as :data:`EVERYTHING_CHANGED`, since the notifications saying what were missed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import psycopg

from ..errors import StoreUnavailable
from ..interfaces import ChangeFeed
from ..store import EVERYTHING_CHANGED
from .backoff import Backoff

logger = logging.getLogger(__name__)

CHANGES_CHANNEL = "citebot_changes"
POLL_INTERVAL_S = 5.0


class ChangeListener:
    """The thread that listens for other processes' changes and calls ``callback(guild_id, what)``
    for each (``what``: a state document's name such as ``curated.yaml``, :data:`KNOWLEDGE_CHANGED`
    or :data:`EVERYTHING_CHANGED`)."""

    def __init__(self, store: ChangeFeed, callback: Callable[[int, str], None], *, poll_s: float) -> None:
        self.store = store
        self.callback = callback
        self.poll_s = poll_s
        self._known: dict[int, int] = {}
        self._retry: set[tuple[int, str]] = set()  # changes whose loading failed, tried again
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._main, name="citebot-changes", daemon=True)

    def start(self, *, wait_s: float = 10.0) -> None:
        """Note the counters as they are (what is loaded now is current) and start listening;
        returns once listening (or after ``wait_s``, the thread going on trying)."""
        try:
            self._known = self.store.change_counters()
        except StoreUnavailable:
            logger.warning("could not read the change counters; servers are checked again when it can")
        self._thread.start()
        if not self._listening.wait(wait_s):
            logger.warning("not listening for other processes' changes yet; going on trying")

    def stop(self) -> None:
        """Stop listening (within a second)."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def seen(self, guild_id: int, counter: int) -> None:
        """This process made change ``counter`` itself: nothing to load for it."""
        with self._lock:
            self._known[guild_id] = max(self._known.get(guild_id, 0), counter)

    def _is_new(self, guild_id: int, counter: int) -> bool:
        with self._lock:
            if counter <= self._known.get(guild_id, 0):
                return False
            self._known[guild_id] = counter
            return True

    def reload(self, guild_ids: list[int]) -> None:
        """Load everything of these servers again (the store connected after starting without its
        database); one the database cannot give yet is tried again with the next check."""
        for guild_id in guild_ids:
            self._call(guild_id, EVERYTHING_CHANGED)

    def _main(self) -> None:
        backoff = Backoff(self._stopping)
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self.store.url, autocommit=True) as db:
                    db.execute(f"LISTEN {CHANGES_CHANNEL}")
                    self._listening.set()
                    backoff.reset()
                    self._poll()  # whatever changed while nobody was listening
                    self._listen(db)
            except psycopg.Error as exc:
                logger.warning(
                    "lost the change notifications of %s (%s); trying again in %.0fs",
                    self.store.describe(),
                    exc,
                    backoff.delay,
                )
                backoff.wait()

    def _listen(self, db: psycopg.Connection) -> None:
        next_poll = time.monotonic() + self.poll_s
        while not self._stopping.is_set():
            for note in db.notifies(timeout=1.0):
                self._deliver(note.payload)
            if time.monotonic() >= next_poll:
                self._poll()
                next_poll = time.monotonic() + self.poll_s

    def _deliver(self, payload: str) -> None:
        try:
            change = json.loads(payload)
            guild_id, what, counter = int(change["guild"]), str(change["what"]), int(change["counter"])
        except (ValueError, KeyError, TypeError):
            logger.warning("ignored a malformed change notification: %r", payload[:200])
            return
        self.seen(guild_id, counter)
        # Every other process's notification is loaded, even one counted before a change of this
        # process: the counter only orders the fallback check, not the notifications.
        if change.get("origin") != self.store.origin:
            self._call(guild_id, what)

    def _poll(self) -> None:
        with self._lock:
            retry, self._retry = self._retry, set()
        for guild_id, what in sorted(retry):
            self._call(guild_id, what)
        try:
            counters = self.store.change_counters()
        except StoreUnavailable:
            return
        for guild_id, counter in counters.items():
            if self._is_new(guild_id, counter):
                self._call(guild_id, EVERYTHING_CHANGED)

    def _call(self, guild_id: int, what: str) -> None:
        try:
            self.callback(guild_id, what)
        except StoreUnavailable as exc:
            logger.warning("server %s: %s not loaded yet (%s); trying again shortly", guild_id, what, exc)
            with self._lock:
                self._retry.add((guild_id, what))
        except Exception:
            logger.exception("loading the change of %s in server %s failed", what, guild_id)
