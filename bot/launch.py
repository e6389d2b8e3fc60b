"""The ``citebot`` program's entry point, for the console script and ``python -m bot``.

Ctrl-C must reach the thread reading the console's prompt. The kernel hands a signal meant for the
process to any of its threads that does not block it, and one caught by a thread that a native
library starts while it is imported (NumPy's BLAS pool) never wakes readline. Threads inherit the
signal mask of the thread that starts them, so SIGINT is blocked while citebot's modules are
imported and unblocked again for the main thread.
"""

from __future__ import annotations

import signal


def main(argv: list[str] | None = None) -> int:
    """Import the command line with SIGINT blocked for the threads imports start, then run it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        from .cli import main as run
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return run(argv)
