"""Operators' commands for curated answers and the glossary, without Discord:

    citebot faq export [FILE]        write curated answers as YAML (stdout when FILE is - or omitted)
    citebot faq import FILE [--dry-run]
    citebot glossary list | add TERM MEANING | remove TERM
    citebot state list | assign --server ID

Curated answers and glossaries belong to one Discord server each: ``--server ID`` chooses it (with
only one server with state, that one is used; with several, the command names them and stops).

``bot/cli.py`` calls :func:`register` to add them to its subcommands and reports citebot's
errors (:mod:`knowledge.errors`) raised here as ``error: ...`` with exit status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from collections.abc import Iterator
from pathlib import Path

from knowledge.curated import CuratedStore
from knowledge.curated.store import FILE_NAME as CURATED_FILE
from knowledge.database import open_store
from knowledge.errors import CitebotError, StateFileError
from knowledge.glossary import FILE_NAME as GLOSSARY_FILE
from knowledge.glossary import Glossary
from knowledge.kb import KnowledgeBase
from knowledge.tenancy import (
    UPLOADS_DIR,
    assign_single_pool,
    choose_server,
    server_dir,
    servers_with_state,
    single_pool_files,
)
from knowledge.uploads import KnowledgeSources
from knowledge.yaml_state import YamlStateFile


def _state_dir(args: argparse.Namespace) -> Path:
    """``--state-dir``, else the state folder of the config the bot uses (``--config`` or
    ``$CITEBOT_CONFIG``), else the default: the files the running bot reads."""
    if getattr(args, "state_dir", None):
        return Path(args.state_dir)
    from .config import load_config

    return load_config(getattr(args, "config", None)).state_dir


def _server_folder(args: argparse.Namespace) -> Path:
    """The folder of the server the command acts on (``--server``, else the only one with state)."""
    state = _state_dir(args)
    guild_id = choose_server(state, args.server)
    if guild_id is None:
        raise CitebotError(
            f"no server has curated answers or a glossary in {state} yet; choose one with --server ID"
        )
    return server_dir(state, guild_id)


@contextlib.contextmanager
def _state_file(args: argparse.Namespace, name: str) -> Iterator[YamlStateFile]:
    """The chosen server's YAML state ``name`` (``curated.yaml``, ``glossary.yaml``): its file in
    the state folder, or, with the config's ``database_url``, the copy every bot process serves."""
    from .config import load_config

    url = load_config(getattr(args, "config", None)).database_url
    if not url:
        yield YamlStateFile(_server_folder(args) / name)
        return
    state = _state_dir(args)
    store = open_store(state, url)
    try:
        guild_id = choose_server(state, args.server, also=store.guilds_with_state())
        if guild_id is None:
            raise CitebotError(
                f"no server has curated answers or a glossary in {store.describe()} yet; "
                "choose one with --server ID"
            )
        yield store.server(guild_id).state_file(server_dir(state, guild_id) / name)
    finally:
        store.close()


def _server_kb(args: argparse.Namespace) -> KnowledgeBase:
    """The knowledge base answering in the chosen server: the config's knowledge folder and the
    server's uploads (for checking the passages curated answers cite)."""
    from .config import load_config

    config = load_config(getattr(args, "config", None))
    sources = KnowledgeSources.resolve(config.knowledge_dir, _state_dir(args))
    return sources.with_uploads(_server_folder(args) / UPLOADS_DIR).loader.load()


def _operator() -> str:
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):  # getpass's own errors: no user name in the environment or passwd
        return "operator (command line)"


def _report_load_error(error: StateFileError | None) -> None:
    if error is not None:
        print(f"warning: {error}; using the last good version", file=sys.stderr)


def cmd_faq_export(args: argparse.Namespace) -> int:
    """``citebot faq export``: the curated answers as YAML, to a file or stdout."""
    with _state_file(args, CURATED_FILE) as file:
        return _faq_export(args, CuratedStore(file))


def _faq_export(args: argparse.Namespace, store: CuratedStore) -> int:
    _report_load_error(store.load_error)
    text = store.export_yaml()
    if args.file in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(
            f"wrote {len(store.list(include_retired=True))} curated answer(s) to {args.file}", file=sys.stderr
        )
    return 0


def cmd_faq_import(args: argparse.Namespace) -> int:
    """``citebot faq import``: show what a file changes, then apply it (unless ``--dry-run``)."""
    with _state_file(args, CURATED_FILE) as file:
        return _faq_import(args, CuratedStore(file))


def _faq_import(args: argparse.Namespace, store: CuratedStore) -> int:
    _report_load_error(store.load_error)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"error: {args.file} is not UTF-8 text", file=sys.stderr)
        return 1
    plan = store.plan_import(text, args.file)
    if plan.empty:
        print(f"nothing to import: {args.file} holds no curated answers")
        return 0
    if any(entry.sources for entry in (*plan.added, *plan.updated, *plan.unchanged)):
        plan = store.plan_import(text, args.file, kb=_server_kb(args))
    for warning in plan.warnings():
        print(warning, file=sys.stderr)
    for entry in plan.added:
        print(f"+ #{entry.id} {entry.question}")
    for entry in plan.updated:
        print(f"~ #{entry.id} {entry.question}")
    if args.dry_run or not plan.changes:
        print(f"{'dry run: ' if args.dry_run else ''}{plan.summary()}")
        return 0
    store.apply_import(plan, by=_operator())
    print(f"imported: {plan.summary()}")
    return 0


def cmd_glossary_list(args: argparse.Namespace) -> int:
    """``citebot glossary list``: one ``term<TAB>meaning`` per line."""
    with _state_file(args, GLOSSARY_FILE) as file:
        glossary = Glossary(file)
        _report_load_error(glossary.load_error)
        entries = glossary.entries()
    for entry in entries:
        print(f"{entry.term}\t{entry.means}")
    if not entries:
        print("the glossary is empty", file=sys.stderr)
    return 0


def cmd_glossary_add(args: argparse.Namespace) -> int:
    """``citebot glossary add TERM MEANING``."""
    with _state_file(args, GLOSSARY_FILE) as file:
        entry = Glossary(file).add(args.term, args.meaning, author=_operator())
    print(f"{entry.term} -> {entry.means}")
    return 0


def cmd_glossary_remove(args: argparse.Namespace) -> int:
    """``citebot glossary remove TERM``."""
    with _state_file(args, GLOSSARY_FILE) as file:
        entry = Glossary(file).remove(args.term)
    print(f"removed {entry.term}")
    return 0


def cmd_state_list(args: argparse.Namespace) -> int:
    """``citebot state list``: the servers with state (in the database too, with a
    ``database_url``), and files waiting for a server."""
    from .config import load_config

    state = _state_dir(args)
    url = load_config(getattr(args, "config", None)).database_url
    in_database: list[int] = []
    where = ""
    if url:
        store = open_store(state, url)
        try:
            in_database, where = store.guilds_with_state(), store.describe()
        finally:
            store.close()
    for guild_id in sorted(set(servers_with_state(state)) | set(in_database)):
        print(f"{guild_id}\t{where if guild_id in in_database else server_dir(state, guild_id)}")
    waiting = single_pool_files(state)
    if waiting:
        names = ", ".join(p.name for p in waiting)
        print(f"not assigned to a server: {names} (citebot state assign --server ID)", file=sys.stderr)
    return 0


def cmd_state_assign(args: argparse.Namespace) -> int:
    """``citebot state assign --server ID``: move the curated answers, glossary and uploads kept
    from before servers had their own state to that server (after a backup)."""
    moved = assign_single_pool(_state_dir(args), args.server)
    if not moved:
        print("nothing to assign: no curated answers, glossary or uploads of old versions", file=sys.stderr)
        return 0
    print(f"moved to server {args.server}: {', '.join(p.name for p in moved)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``faq`` and ``glossary`` to the ``citebot`` command."""
    state = argparse.ArgumentParser(add_help=False)
    state.add_argument(
        "--state-dir", metavar="DIR", help="state folder (default: the config's, else $CITEBOT_STATE_DIR)"
    )
    state.add_argument("--config", metavar="FILE", help="the bot's YAML config (default: $CITEBOT_CONFIG)")
    state.add_argument(
        "--server", type=int, metavar="ID", help="the Discord server (default: the only one with state)"
    )

    faq = subparsers.add_parser("faq", help="export or import the moderators' curated answers")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True)
    export = faq_sub.add_parser("export", parents=[state], help="write the curated answers as YAML")
    export.add_argument("file", nargs="?", help="output file (default: stdout)")
    export.set_defaults(func=cmd_faq_export)
    load = faq_sub.add_parser("import", parents=[state], help="load curated answers from a YAML file")
    load.add_argument("file", help="a file written by 'citebot faq export' or /faq export ('-' for stdin)")
    load.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    load.set_defaults(func=cmd_faq_import)

    glossary = subparsers.add_parser("glossary", help="members' words mapped to the documents' terms")
    glossary_sub = glossary.add_subparsers(dest="glossary_command", required=True)
    listing = glossary_sub.add_parser("list", parents=[state], help="show the glossary")
    listing.set_defaults(func=cmd_glossary_list)
    add = glossary_sub.add_parser("add", parents=[state], help="map TERM to MEANING")
    add.add_argument("term", help="what members say, e.g. 'first milk'")
    add.add_argument("meaning", help="what the documents call it, e.g. colostrum")
    add.set_defaults(func=cmd_glossary_add)
    remove = glossary_sub.add_parser("remove", parents=[state], help="forget TERM")
    remove.add_argument("term")
    remove.set_defaults(func=cmd_glossary_remove)

    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument(
        "--state-dir", metavar="DIR", help="state folder (default: the config's, else $CITEBOT_STATE_DIR)"
    )
    folder.add_argument("--config", metavar="FILE", help="the bot's YAML config (default: $CITEBOT_CONFIG)")
    servers = subparsers.add_parser("state", help="servers with state; assign state kept from older versions")
    servers_sub = servers.add_subparsers(dest="state_command", required=True)
    listing = servers_sub.add_parser("list", parents=[folder], help="the servers with state")
    listing.set_defaults(func=cmd_state_list)
    assign = servers_sub.add_parser(
        "assign", parents=[folder], help="move curated answers, glossary and uploads of old versions to one"
    )
    assign.add_argument("--server", type=int, metavar="ID", required=True, help="the Discord server's id")
    assign.set_defaults(func=cmd_state_assign)
