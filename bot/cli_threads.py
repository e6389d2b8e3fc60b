"""Operators' commands for solved help threads, without Discord:

    citebot threads export [FILE] [--server ID]   a server's solved threads as YAML (stdout when
                                                  FILE is - or omitted)

The YAML holds each thread's question, solution, author ids and links, for a backup or a static
FAQ page; dismissed threads are left out. ``--server ID`` chooses the server (with only one server
with solved threads or other state, that one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from knowledge.database import open_store
from knowledge.errors import CitebotError
from knowledge.solved import SolvedThreads
from knowledge.tenancy import choose_server

from .cli_curation import _state_dir


def cmd_threads_export(args: argparse.Namespace) -> int:
    """``citebot threads export``: the chosen server's solved threads as YAML."""
    from .config import load_config

    state = _state_dir(args)
    store = open_store(state, load_config(getattr(args, "config", None)).database_url)
    try:
        guild_id = choose_server(state, args.server, also=store.guild_ids_with_solved_threads())
        if guild_id is None:
            raise CitebotError(f"no server has solved threads in {store.describe()} yet")
        threads = SolvedThreads(store.server(guild_id), None)
        text = threads.export_yaml()
        count = len(threads.rows.solved_threads("waiting", "saved", "stale", limit=1_000_000))
    finally:
        store.close()
    if args.file in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"wrote {count} solved thread(s) of server {guild_id} to {args.file}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``threads`` to the ``citebot`` command."""
    threads = subparsers.add_parser("threads", help="solved help threads kept from Discord")
    sub = threads.add_subparsers(dest="threads_command", required=True)
    export = sub.add_parser("export", help="write a server's solved threads as YAML")
    export.add_argument("file", nargs="?", help="output file (default: stdout)")
    export.add_argument(
        "--state-dir", metavar="DIR", help="state folder (default: the config's, else $CITEBOT_STATE_DIR)"
    )
    export.add_argument("--config", metavar="FILE", help="the bot's YAML config (default: $CITEBOT_CONFIG)")
    export.add_argument(
        "--server", type=int, metavar="ID", help="the Discord server (default: the only one with state)"
    )
    export.set_defaults(func=cmd_threads_export)
