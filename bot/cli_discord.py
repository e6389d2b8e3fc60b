"""The subcommands of the Discord bot: ``citebot run`` connects it (some of its shards, with
``--shards``), ``citebot migrate-state`` copies a state folder into the PostgreSQL database that
several bot processes share. Discord itself is imported only when ``run`` starts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_support import STATE_DIR_HELP


def cmd_run(args: argparse.Namespace) -> int:
    """``citebot run``: connect to Discord (``--shards``/``--shard-count`` override the config's)."""
    from .app import run_bot
    from .config import load_config, with_shards

    run_bot(with_shards(load_config(args.config), args.shards, args.shard_count))
    return 0


def cmd_migrate_state(args: argparse.Namespace) -> int:
    """``citebot migrate-state --to URL``: copy the state folder into an empty PostgreSQL database
    and check that everything arrived; 1 when it did not."""
    from knowledge.database import redact_url
    from knowledge.database.migrate import migrate_state

    from .config import load_config

    config = load_config(args.config)
    url = args.to or config.database_url
    if not url:
        print("error: give the database with --to postgresql://… (or $CITEBOT_DATABASE_URL)", file=sys.stderr)
        return 2
    state = Path(args.state_dir) if args.state_dir else config.state_dir
    report = migrate_state(state, url, replace=args.replace)
    print(f"{'':<20} {'folder':>8} {'database':>8}")
    print("\n".join(report.lines()))
    for path in report.left_behind:
        print(f"not copied (not assigned to a server; see citebot state assign): {path}", file=sys.stderr)
    print(f"copied {state} to {redact_url(url)}; every count matches. Set database_url to use it.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``run`` and ``migrate-state`` to the ``citebot`` command."""
    run = subparsers.add_parser("run", help="connect to Discord (needs DISCORD_TOKEN)")
    run.add_argument("--config", metavar="FILE", help="YAML config (default: $CITEBOT_CONFIG)")
    run.add_argument("--shards", metavar="IDS", help="the Discord shards this process runs: 0-3 or 0,2,5")
    run.add_argument("--shard-count", type=int, metavar="N", help="how many shards the whole bot has")
    run.set_defaults(func=cmd_run)

    migrate = subparsers.add_parser("migrate-state", help="copy the state folder into a PostgreSQL database")
    migrate.add_argument(
        "--to", metavar="URL", help="the empty database: postgresql://… (default: the config's database_url)"
    )
    migrate.add_argument("--state-dir", metavar="DIR", help=STATE_DIR_HELP)
    migrate.add_argument(
        "--replace",
        action="store_true",
        help="empty a database that already holds state and copy the folder again (its state is lost)",
    )
    migrate.add_argument("--config", metavar="FILE", help="the bot's YAML config (default: $CITEBOT_CONFIG)")
    migrate.set_defaults(func=cmd_migrate_state)
