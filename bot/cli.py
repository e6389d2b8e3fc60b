"""The ``citebot`` command line (``citebot``, ``python -m bot``; started through :mod:`bot.launch`).

With no subcommand it runs the Discord bot when ``DISCORD_TOKEN`` is set, and otherwise the local
console on the built-in knowledge base. The subcommands live in rooms of their own: the knowledge
(``ask``, ``index``, ``eval``: :mod:`bot.cli_knowledge`), the local console (``chat``:
:mod:`bot.cli_console`), the Discord bot (``run``, ``migrate-state``: :mod:`bot.cli_discord`),
curated answers and state (:mod:`bot.cli_curation`), solved threads (:mod:`bot.cli_threads`) and API
lookups (:mod:`bot.cli_lookup`); what they share is in :mod:`bot.cli_support`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from knowledge.errors import CitebotError, StateWriteError

from . import cli_console, cli_curation, cli_discord, cli_knowledge, cli_lookup, cli_threads
from .cli_support import STATE_DIR_HELP, assistant_for

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "citebot answers questions from its documents and cites them. With no command it connects to "
    "Discord when DISCORD_TOKEN is set, and otherwise opens the local console."
)


def build_parser() -> argparse.ArgumentParser:
    """The ``citebot`` command line and its subcommands."""
    parser = argparse.ArgumentParser(prog="citebot", description=DESCRIPTION)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--knowledge",
        metavar="DIR",
        help="knowledge folder (default: the config's knowledge_dir, else the built-in one)",
    )
    common.add_argument("--state-dir", metavar="DIR", help=STATE_DIR_HELP)
    common.add_argument("--config", metavar="FILE", help="the bot's YAML config (default: $CITEBOT_CONFIG)")
    common.add_argument(
        "--server",
        type=int,
        metavar="ID",
        help="answer as in this Discord server: its curated answers, glossary and uploads "
        "(default: the only server with state; else the shared knowledge)",
    )
    sub = parser.add_subparsers(dest="command")

    cli_knowledge.register(sub, common)
    cli_console.register(sub, common)
    cli_discord.register(sub)
    cli_curation.register(sub)
    cli_threads.register(sub)
    cli_lookup.register(sub, common, lambda args: assistant_for(args).kb)
    return parser


def _version() -> str:
    from importlib import metadata  # only for --version: importing it costs every start ~0.1 s

    try:
        return metadata.version("citebot")
    except metadata.PackageNotFoundError:
        return "(not installed)"


class _VersionAction(argparse.Action):
    """``--version``: argparse's own action, with the version read only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status. Ctrl-C and a closed pipe (``| head``) end
    quietly."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``citebot ask ... | head``): stop writing, and say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        args = parser.parse_args(
            [
                *(argv if argv is not None else sys.argv[1:]),
                "run" if os.environ.get("DISCORD_TOKEN") else "chat",
            ]
        )
    if getattr(args, "k", 1) < 1:
        parser.error("-k must be at least 1")
    from .config import ConfigError

    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CitebotError as exc:
        print(f"error: {cli_message(exc)}", file=sys.stderr)
        return 1


def cli_message(error: CitebotError) -> str:
    """What the command line says for one of citebot's errors: a change that could not be written
    is lost when the command ends, so it says so."""
    if isinstance(error, StateWriteError):
        return f"{error}; nothing was saved"
    return str(error)
