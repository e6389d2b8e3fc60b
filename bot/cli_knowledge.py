"""The subcommands that read the knowledge: ``citebot ask`` (a question, or one per line of
stdin), ``citebot index`` (build or check everything citebot reads; ``--url`` crawls a docs site
first) and ``citebot eval`` (a question set, or a server's golden questions)."""

from __future__ import annotations

import argparse
import json
import sys

from knowledge import KnowledgeBase, QuestionError
from knowledge.curated import CuratedStore
from knowledge.decoding import encoding_name
from knowledge.errors import CitebotError
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

from .cli_support import assistant_for, database_for, folders_for, progress_bar, reading_progress
from .explain_render import render_explanation
from .text_render import emphasis_for, render_answer

ASK_PROMPT = (
    "Type a question and press Enter; each line is one question. Ctrl-D ends. "
    '(Or give it on the command line: citebot ask "what is colostrum?")'
)


def cmd_ask(args: argparse.Namespace) -> int:
    """``citebot ask``: answer a question, or one per line of stdin."""
    assistant = assistant_for(args)
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
    sources = folders_for(args)
    store = database_for(args) if args.server is not None or args.check else None
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
        kb = sources.loader.load(progress=progress_bar, on_progress=reading_progress())
        problems = [str(error) for error in kb.errors]
    print(f"knowledge folder: {sources.base}")
    if sources.loader.has_sites:
        print(f"crawled sites: {sources.loader.sites_dir}")
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
    # Markup errors of a file that was still read (a reST directive without its body): where to mend.
    markup = [
        f"{doc.meta.get('path') or doc.id}: {problem}"
        for doc in kb.documents.values()
        for problem in doc.meta.get("problems", ())
    ]
    for where in markup:
        print(f"markup: {where}")
    for problem in problems:
        print(f"error: {problem}")
    read_anyway = f" ({len(markup)} markup error(s) above, read as well as possible)" if markup else ""
    print(f"{len(problems)} problem(s) found{read_anyway}" if problems else f"no problems found{read_anyway}")
    return 1 if problems else 0


def _crawl(args: argparse.Namespace, sources: KnowledgeSources) -> None:
    """Crawl ``--url`` into the server's uploads (``--server``) or the operator's sites folder,
    as the config's ``crawl`` section says; the operator may crawl internal addresses."""
    from knowledge.crawl import CrawlReport, crawl_site_blocking

    from .config import load_config

    settings = load_config(getattr(args, "config", None)).crawl.settings(from_discord=False)
    into = sources.uploads if sources.uploads is not None else sources.loader.sites_dir
    shown = sys.stderr.isatty()

    def progress(report: CrawlReport) -> None:
        if shown:
            done = report.pages + sum(report.skipped.values())
            print(f"\rcrawling: {done} of {report.queued} pages found so far", end="", file=sys.stderr)

    print(f"crawling {args.url} into {into}", file=sys.stderr)
    if sources.uploads is not None:  # shared with the bot processes when the state is in a database
        report = sources.crawler.crawl(args.url, settings, progress)
    else:
        report = crawl_site_blocking(args.url, into, settings, progress)
    if shown:
        print(file=sys.stderr)
    print(f"crawled {report.site}: {report.summary()}")


def _check(sources: KnowledgeSources, store: StateStore | None = None) -> tuple[KnowledgeBase, list[str]]:
    """Validate everything citebot reads — documents, uploads, the saved index, every server's
    curated answers, glossary and settings (and those not yet assigned to a server; with ``store``, those
    kept in the database too) — writing nothing. (The config was read before this, or citebot
    stopped.)"""
    docs, errors = sources.loader.documents()
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
    assistant = assistant_for(args)
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

    sources = folders_for(args)
    store = database_for(args)
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
    assistant = server_assistant(sources, guild_id, sources.loader.load_base(), store=store)[0]
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


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``ask``, ``index`` and ``eval`` to the ``citebot`` command (``common``: --knowledge,
    --state-dir, --config, --server)."""
    ask = subparsers.add_parser("ask", parents=[common], help="answer a question (or one per stdin line)")
    ask.add_argument("question", nargs="?", help="the question; omitted: read one per line from stdin")
    ask.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument(
        "--explain",
        action="store_true",
        help="also show each stage: the analysis, each passage's scores, the rule that decided",
    )
    ask.set_defaults(func=cmd_ask)

    index = subparsers.add_parser(
        "index", parents=[common], help="build or validate the index and report problems"
    )
    index.add_argument("--check", action="store_true", help="validate everything, write nothing")
    index.add_argument(
        "--url",
        metavar="URL",
        help="first crawl this docs site (its sitemap and links under the same folder, as robots.txt "
        "allows) into the state folder (--server: that server's uploads); again to update it",
    )
    index.set_defaults(func=cmd_index)

    evaluate = subparsers.add_parser(
        "eval", parents=[common], help="run a YAML question set and report the rates"
    )
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
