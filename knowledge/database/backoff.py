"""Trying the database again after it could not be reached: waits that double from one second up
to :data:`MAX_BACKOFF_S`, cut short when the process stops. The change listener uses it after its
connection was lost, and a store started without its database uses it to connect
(:mod:`knowledge.database.connecting`)."""

from __future__ import annotations

import threading

FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0


class Backoff:
    """The wait before the next try: :meth:`wait` after a failure, :meth:`reset` after a success."""

    def __init__(
        self, stopping: threading.Event, *, first: float = FIRST_BACKOFF_S, most: float = MAX_BACKOFF_S
    ) -> None:
        self.first = first
        self.most = most
        #: Seconds the next :meth:`wait` waits.
        self.delay = first
        self._stopping = stopping

    def wait(self) -> bool:
        """Wait :attr:`delay` (then double it, up to the most); True when the process is stopping
        meanwhile, so there is no next try."""
        stopping = self._stopping.wait(self.delay)
        self.delay = min(self.delay * 2, self.most)
        return stopping

    def reset(self) -> None:
        """A try succeeded: the next failure waits the first delay again."""
        self.delay = self.first
