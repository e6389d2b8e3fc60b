"""``citebot chat``: the local console (:mod:`bot.console`) on the knowledge a command line
chooses, answering as the bot does in the chosen server."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from .cli_support import assistant_for
from .console import run_console


def cmd_chat(args: argparse.Namespace) -> int:
    """``citebot chat``: the local console."""
    # Ctrl-C must reach the thread reading the prompt: the kernel gives a process signal to any
    # thread that does not block it, and a signal caught by a worker thread (one started while
    # loading: the model hub's, the BLAS pool) never wakes readline. Threads inherit the mask of
    # the thread that starts them, so SIGINT is blocked while loading and unblocked for the prompt
    # (a Ctrl-C during loading is then delivered, and handled, at that point).
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        assistant = assistant_for(args)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return run_console(assistant, history=Path(args.state_dir) / "console_history")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``chat`` to the ``citebot`` command (``common``: --knowledge, --state-dir, --config,
    --server)."""
    chat = subparsers.add_parser("chat", parents=[common], help="the local console")
    chat.set_defaults(func=cmd_chat)
