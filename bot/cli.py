"""The ``citebot`` command line (``citebot``, ``python -m bot``; started through :mod:`bot.launch`).

With no subcommand it runs the Discord bot when ``DISCORD_TOKEN`` is set, and otherwise the local
console on the built-in knowledge base.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from knowledge import KnowledgeBase, QuestionError
from knowledge.assistant import Assistant
from knowledge.curated import CuratedStore
from knowledge.database import open_store
from knowledge.decoding import encoding_name
from knowledge.errors import CitebotError, NotFoundError, StateWriteError
from knowledge.glossary import Glossary
from knowledge.kb import check_saved_index
from knowledge.semantic import channels_line, model_location
from knowledge.server_settings import FILE_NAME as SETTINGS_FILE
from knowledge.server_settings import SettingsFile
from knowledge.store import StateStore, check_store
from knowledge.tenancy import (
    UPLOADS_DIR,
    choose_server,
    server_assistant,
    server_dir,
    servers_with_state,
    single_pool_files,
)
from knowledge.uploads import KnowledgeSources

from . import cli_curation, cli_lookup
from .console import run_console
from .explain_render import render_explanation
from .text_render import emphasis_for, render_answer

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "citebot answers questions from its documents and cites them. With no command it connects to "
    "Discord when DISCORD_TOKEN is set, and otherwise opens the local console."
)
STATE_DIR_HELP = (
    "state folder: curated answers, glossary, uploads, the answer log and the index cache "
    "(default: the config's state_dir, else $CITEBOT_STATE_DIR, else $XDG_STATE_HOME/citebot, "
    "else ~/.local/state/citebot)"
)
# Building takes this many seconds before a progress bar appears, so a quick build shows none; the
# environment variable changes it (0: at once).
PROGRESS_DELAY_ENV = "CITEBOT_PROGRESS_DELAY"
DEFAULT_PROGRESS_DELAY = 1.0
ASK_PROMPT = (
    "Type a question and press Enter; each line is one question. Ctrl-D ends. "
    '(Or give it on the command line: citebot ask "what is colostrum?")'
)


def _folders(args: argparse.Namespace) -> KnowledgeSources:
    """The knowledge and state folders: the command line first, then the config file the bot uses
    (``--config`` or ``$CITEBOT_CONFIG``), then the defaults."""
    from .config import load_config

    config = load_config(getattr(args, "config", None))
    args.state_dir = args.state_dir or config.state_dir
    args.red_flags = config.notices.red_flag_check()
    args.database_url = config.database_url
    folder = args.knowledge or config.knowledge_dir
    if folder is not None and not Path(folder).is_dir():
        # A mistyped folder would otherwise answer every question with "not in the knowledge base".
        problem = "does not exist" if not Path(folder).exists() else "is not a folder"
        raise NotFoundError(f"knowledge folder {folder} {problem}")
    return KnowledgeSources.resolve(folder, args.state_dir, semantic=config.retrieval.options())


def _assistant(args: argparse.Namespace) -> Assistant:
    """The assistant of ``--server`` (else of the only server with state; else the shared
    knowledge alone), as the bot answers there: its curated answers, glossary, uploads and the
    config's red flags."""
    sources = _folders(args)
    store = _database(args)
    guild_id = choose_server(args.state_dir, args.server, also=store.guilds_with_state() if store else ())
    base = sources.load_base(progress=_progress_bar, on_progress=_reading_progress())
    assistant = server_assistant(sources, guild_id, base, red_flags=args.red_flags, store=store)[0]
    if not assistant.kb.documents:
        # Every question would be "not in the knowledge base": say why instead.
        raise NotFoundError(
            f"{sources.base}: the knowledge folder has no documents "
            "(Markdown, reST, text, HTML, PDF or JSONL files); see `citebot index` for what it read"
        )
    return assistant


def _database(args: argparse.Namespace) -> StateStore | None:
    """With the config's ``database_url``, the database the bot keeps servers' state in (open
    until the command ends), so a command answers as the bot does; else None."""
    if not args.database_url:
        return None
    store = open_store(args.state_dir, args.database_url)
    atexit.register(store.close)
    return store


def cmd_ask(args: argparse.Namespace) -> int:
    """``citebot ask``: answer a question, or one per line of stdin."""
    assistant = _assistant(args)
    if args.question is None and sys.stdin.isatty():
        print(ASK_PROMPT, file=sys.stderr)
    questions = [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    status = 0
    for question in questions:
        if args.question is None and not question.strip():
            continue  # blank lines between questions on stdin are not questions
        try:
            trace = assistant.trace(question, k=args.k)
        except QuestionError as exc:
            status = 2
            if args.json:
                print(json.dumps({"question": question, "error": str(exc)}, ensure_ascii=False))
            else:
                print(f"error: {exc}", file=sys.stderr)
            continue
        answer = trace.answer
        explained = trace.to_dict(assistant.kb) if args.explain else None
        if args.json:
            shown = answer.to_dict() | ({"explain": explained} if explained is not None else {})
            print(json.dumps(shown, ensure_ascii=False), flush=True)
        else:
            print(render_answer(answer, emphasis=emphasis_for(sys.stdout)), flush=True)
            if explained is not None:
                print("\n" + render_explanation(explained), flush=True)
            if args.question is None:
                print()
    return status


def cmd_index(args: argparse.Namespace) -> int:
    """``citebot index``: build (or with ``--check`` validate) the index and report problems; with
    ``--url``, crawl a site into the state folder first."""
    sources = _folders(args)
    store = _database(args) if args.server is not None or args.check else None
    if args.server is not None:
        # With the database, the server's uploads (and a site crawled into them) are every process's.
        shared = store.shared_uploads(args.server) if store is not None else None
        sources = sources.with_uploads(server_dir(sources.state_dir, args.server) / UPLOADS_DIR, shared)
    if args.url is not None:
        if args.check:
            raise CitebotError("--check writes nothing, so it cannot be combined with --url")
        _crawl(args, sources)
    if args.check:
        kb, problems = _check(sources, store)
    else:
        kb = sources.load(progress=_progress_bar, on_progress=_reading_progress())
        problems = [str(error) for error in kb.errors]
    print(f"knowledge folder: {sources.base}")
    if sources.has_sites:
        print(f"crawled sites: {sources.sites_dir}")
    if sources.uploads is not None:
        print(f"uploaded documents of server {args.server}: {sources.uploads}")
    waiting = single_pool_files(sources.state_dir)
    if waiting:
        print(
            "not yet assigned to a server: "
            + ", ".join(p.name for p in waiting)
            + " (citebot state assign --server ID)"
        )
    print(f"documents: {len(kb.documents)}")
    print(f"passages: {len(kb.passages)}")
    print(f"vocabulary: {kb.vocabulary_size} terms")
    print(f"channels: {channels_line(kb, sources.semantic)}")
    model = model_location(sources.semantic) if sources.semantic is not None and kb.semantic else None
    if model is not None:  # what an operator copies to a server with no network (retrieval.model_path)
        print(f"meaning model: {model}")
    # A file read in a legacy code page: say which, in case it reads wrong (once per file).
    legacy = {
        doc.meta.get("path") or doc.id: doc.meta["encoding"]
        for doc in kb.documents.values()
        if doc.meta.get("encoding")
    }
    for where, encoding in legacy.items():
        print(f"not UTF-8: {where} was read as {encoding_name(str(encoding))}")
    for problem in problems:
        print(f"error: {problem}")
    print(f"{len(problems)} problem(s) found" if problems else "no problems found")
    return 1 if problems else 0


def _crawl(args: argparse.Namespace, sources: KnowledgeSources) -> None:
    """Crawl ``--url`` into the server's uploads (``--server``) or the operator's sites folder,
    as the config's ``crawl`` section says; the operator may crawl internal addresses."""
    from knowledge.crawl import CrawlReport, crawl_site_blocking

    from .config import load_config

    settings = load_config(getattr(args, "config", None)).crawl.settings(from_discord=False)
    into = sources.uploads if sources.uploads is not None else sources.sites_dir
    shown = sys.stderr.isatty()

    def progress(report: CrawlReport) -> None:
        if shown:
            done = report.pages + sum(report.skipped.values())
            print(f"\rcrawling: {done} of {report.queued} pages found so far", end="", file=sys.stderr)

    print(f"crawling {args.url} into {into}", file=sys.stderr)
    if sources.uploads is not None:  # shared with the bot processes when the state is in a database
        report = sources.crawl_site(args.url, settings, progress)
    else:
        report = crawl_site_blocking(args.url, into, settings, progress)
    if shown:
        print(file=sys.stderr)
    print(f"crawled {report.site}: {report.summary()}")


def _progress_delay() -> float:
    """Seconds a step runs before its bar appears: ``$CITEBOT_PROGRESS_DELAY``, else one second."""
    try:
        return max(0.0, float(os.environ.get(PROGRESS_DELAY_ENV, DEFAULT_PROGRESS_DELAY)))
    except ValueError:
        return DEFAULT_PROGRESS_DELAY


def _on_terminal() -> bool:
    """Whether stderr is a terminal: a bar drawn into a pipe or a log file is only noise there."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except ValueError:  # closed
        return False


class ReadingProgress:
    """A progress bar on stderr for the documents read (``on_progress(done, total)`` of
    :func:`knowledge.documents.load_folder`): a new bar for each folder, shown only once a folder
    takes longer than the delay."""

    def __init__(self) -> None:
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self._bar
        if bar is None or bar.total != total or done < bar.n:  # the next folder
            self.close()
            bar = self._bar = tqdm(
                total=total, desc="reading documents", unit="file", file=sys.stderr, delay=_progress_delay()
            )
        bar.update(done - bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        """Take the bar off the screen (one never shown stays unshown)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _reading_progress() -> ReadingProgress | None:
    """A bar for the documents read, on a terminal only."""
    return ReadingProgress() if _on_terminal() else None


def _progress_bar(total: int) -> Callable[[int], None] | None:
    """Says how many passages the meaning channel encodes, and on a terminal follows them with a
    progress bar."""
    print(f"encoding {total} new or changed passages for the meaning channel", file=sys.stderr)
    if not _on_terminal():
        return None
    from tqdm import tqdm

    delay = _progress_delay()
    bar = tqdm(total=total, desc="encoding passages", unit="passage", file=sys.stderr, delay=delay)

    def step(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return step


def _check(sources: KnowledgeSources, store: StateStore | None = None) -> tuple[KnowledgeBase, list[str]]:
    """Validate everything citebot reads — documents, uploads, the saved index, every server's
    curated answers, glossary and settings (and those not yet assigned to a server; with ``store``, those
    kept in the database too) — writing nothing. (The config was read before this, or citebot
    stopped.)"""
    docs, errors = sources.documents()
    kb = KnowledgeBase.from_documents(docs, errors=errors)
    problems = [str(error) for error in errors]
    saved = check_saved_index(sources.base, state_dir=sources.state_dir)
    if saved is not None:
        problems.append(str(saved))
    state = sources.state_dir
    damaged = check_store(state)
    if damaged is not None:
        problems.append(damaged)
    folders = [state, *(server_dir(state, guild_id) for guild_id in servers_with_state(state))]
    for folder in folders:
        own = SettingsFile(folder / SETTINGS_FILE)
        for state_file in (CuratedStore.in_state_dir(folder), Glossary.in_state_dir(folder), own):
            if state_file.load_error is None:
                continue
            problems.append(f"{state_file.load_error.path}: {state_file.load_error}")
    for guild_id in store.guilds_with_state() if store is not None else ():
        rows, folder = store.server(guild_id), server_dir(state, guild_id)
        curated = CuratedStore(rows.state_file(folder / "curated.yaml"))
        own = SettingsFile(rows.state_file(folder / SETTINGS_FILE))
        for state_file in (curated, Glossary(rows.state_file(folder / "glossary.yaml")), own):
            if state_file.load_error is not None:
                problems.append(f"server {guild_id} in {store.describe()}: {state_file.load_error}")
    return kb, problems


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a question set against the knowledge folder: 1 when a threshold is missed, 2 for a
    broken question set. Without FILE, a server's golden questions (see :func:`eval_golden`)."""
    from knowledge.evaluation import QuestionSetError, format_report, load_question_set, run_question_set

    if args.file is None:
        return eval_golden(args)
    try:
        questions = load_question_set(args.file)
    except QuestionSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assistant = _assistant(args)
    report = run_question_set(assistant.ask, questions, half=args.half)
    if not report.outcomes:
        print(f"error: {args.file}: no questions in the {args.half} half", file=sys.stderr)
        return 2
    title = f"question set: {args.file}" + (f" ({args.half} half)" if args.half else "")
    print("\n".join(format_report(report, title)))
    missed = []
    if args.min_right is not None and report.right_rate < args.min_right:
        missed.append(f"answered from a right section {report.right_rate:.0%} < {args.min_right:.0%}")
    if args.max_off_topic is not None and report.off_topic_rate > args.max_off_topic:
        missed.append(f"off-topic answered {report.off_topic_rate:.0%} > {args.max_off_topic:.0%}")
    for line in missed:
        print(f"threshold missed: {line}")
    return 1 if missed else 0


def eval_golden(args: argparse.Namespace) -> int:
    """``citebot eval --server ID``: ask the server's golden questions as the bot would; 1 when one
    fails that passed at the bot's last check (or was never checked), 2 for a broken file."""
    from knowledge.golden import FILE_NAME as GOLDEN_FILE
    from knowledge.golden import GoldenSet

    sources = _folders(args)
    store = _database(args)
    guild_id = choose_server(args.state_dir, args.server, also=store.guilds_with_state() if store else ())
    if guild_id is None:
        print("error: give a question set FILE, or --server ID for its golden questions", file=sys.stderr)
        return 2
    folder = server_dir(sources.state_dir, guild_id)
    path = folder / GOLDEN_FILE
    golden = GoldenSet(store.server(guild_id).state_file(path) if store else path)
    if golden.load_error is not None:
        print(f"error: {golden.load_error.path}: {golden.load_error}", file=sys.stderr)
        return 2
    print(f"golden questions of server {guild_id}: {golden.path}")
    if not len(golden):
        print("no golden questions yet (moderators add them with /kb test add or Keep as test)")
        return 0
    assistant = server_assistant(sources, guild_id, sources.load_base(), store=store)[0]
    report = golden.check(assistant.ask)  # read only: the bot's baseline stays as it was
    print("\n".join(report.lines()))
    worse = [r.golden for r in report.regressions] + [r.golden for r in report.unchecked_failures]
    for question in worse:
        print(f"regression: #{question.id} {question.question}")
    return 1 if worse else 0


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, not {text!r}")
    return value


def cmd_chat(args: argparse.Namespace) -> int:
    """``citebot chat``: the local console."""
    # Ctrl-C must reach the thread reading the prompt: the kernel gives a process signal to any
    # thread that does not block it, and a signal caught by a worker thread (one started while
    # loading: the model hub's, the BLAS pool) never wakes readline. Threads inherit the mask of
    # the thread that starts them, so SIGINT is blocked while loading and unblocked for the prompt
    # (a Ctrl-C during loading is then delivered, and handled, at that point).
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        assistant = _assistant(args)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return run_console(assistant, history=Path(args.state_dir) / "console_history")


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


def build_parser() -> argparse.ArgumentParser:
    """The ``citebot`` command line and its subcommands."""
    parser = argparse.ArgumentParser(prog="citebot", description=DESCRIPTION)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
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

    ask = sub.add_parser("ask", parents=[common], help="answer a question (or one per stdin line)")
    ask.add_argument("question", nargs="?", help="the question; omitted: read one per line from stdin")
    ask.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument(
        "--explain",
        action="store_true",
        help="also show each stage: analysis, passage scores, the rule that decided",
    )
    ask.set_defaults(func=cmd_ask)

    index = sub.add_parser("index", parents=[common], help="build or validate the index and report problems")
    index.add_argument("--check", action="store_true", help="validate everything, write nothing")
    index.add_argument(
        "--url",
        metavar="URL",
        help="first crawl this docs site (its sitemap and links under the same folder, as robots.txt "
        "allows) into the state folder (--server: that server's uploads); again to update it",
    )
    index.set_defaults(func=cmd_index)

    evaluate = sub.add_parser("eval", parents=[common], help="run a YAML question set and report the rates")
    evaluate.add_argument(
        "file",
        nargs="?",
        help="the question set (answerable and off_topic questions); omitted: the golden questions of "
        "--server (exit 1 when one got worse)",
    )
    evaluate.add_argument("--half", choices=("tune", "test"), help="only the questions of this half")
    evaluate.add_argument(
        "--min-right", type=_fraction, metavar="F", help="fail below this share answered from a right section"
    )
    evaluate.add_argument(
        "--max-off-topic", type=_fraction, metavar="F", help="fail above this share of off-topic answered"
    )
    evaluate.set_defaults(func=cmd_eval)

    chat = sub.add_parser("chat", parents=[common], help="the local console")
    chat.set_defaults(func=cmd_chat)

    run = sub.add_parser("run", help="connect to Discord (needs DISCORD_TOKEN)")
    run.add_argument("--config", metavar="FILE", help="YAML config (default: $CITEBOT_CONFIG)")
    run.add_argument("--shards", metavar="IDS", help="the Discord shards this process runs: 0-3 or 0,2,5")
    run.add_argument("--shard-count", type=int, metavar="N", help="how many shards the whole bot has")
    run.set_defaults(func=cmd_run)

    migrate = sub.add_parser("migrate-state", help="copy the state folder into a PostgreSQL database")
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

    cli_curation.register(sub)
    cli_lookup.register(sub, common, lambda args: _assistant(args).kb)
    return parser


def _version() -> str:
    try:
        return metadata.version("citebot")
    except metadata.PackageNotFoundError:
        return "(not installed)"


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
