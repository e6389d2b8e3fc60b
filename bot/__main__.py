"""The ``citebot`` command (also ``python -m bot``).

With no subcommand it runs the Discord bot when ``DISCORD_TOKEN`` is set, and otherwise the local
console on the built-in knowledge base.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from knowledge import KnowledgeBase, QuestionError
from knowledge.assistant import Assistant
from knowledge.curated import CuratedStore
from knowledge.errors import CitebotError, StateWriteError
from knowledge.glossary import Glossary
from knowledge.kb import check_saved_index
from knowledge.uploads import KnowledgeSources

from . import cli_curation
from .console import run_console
from .text_render import render_answer

logger = logging.getLogger(__name__)


def _folders(args: argparse.Namespace) -> KnowledgeSources:
    """The knowledge and state folders: the command line first, then the config file the bot uses
    (``--config`` or ``$CITEBOT_CONFIG``), then the defaults."""
    from .config import load_config

    config = load_config(getattr(args, "config", None))
    args.state_dir = args.state_dir or config.state_dir
    return KnowledgeSources.resolve(
        args.knowledge or config.knowledge_dir, args.state_dir, config.retrieval.options()
    )


def _load_kb(args: argparse.Namespace) -> KnowledgeBase:
    # The knowledge folder plus the documents moderators uploaded, as the bot loads them.
    return _folders(args).load(progress=_progress_bar)


def cmd_ask(args: argparse.Namespace) -> int:
    assistant = Assistant.with_state(_load_kb(args), args.state_dir)
    questions = [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    status = 0
    for question in questions:
        if args.question is None and not question.strip():
            continue  # blank lines between questions on stdin are not questions
        try:
            answer = assistant.ask(question, k=args.k)
        except QuestionError as exc:
            status = 2
            if args.json:
                print(json.dumps({"question": question, "error": str(exc)}, ensure_ascii=False))
            else:
                print(f"error: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(render_answer(answer), flush=True)
            if args.question is None:
                print()
    return status


def cmd_index(args: argparse.Namespace) -> int:
    sources = _folders(args)
    if args.check:
        kb, problems = _check(sources)
    else:
        kb = sources.load(progress=_progress_bar)
        problems = [str(error) for error in kb.errors]
    print(f"knowledge folder: {sources.base}")
    if sources.separate_uploads:
        print(f"uploaded documents: {sources.uploads}")
    print(f"documents: {len(kb.documents)}")
    print(f"passages: {len(kb.passages)}")
    print(f"vocabulary: {kb.vocabulary_size} terms")
    print(f"channels: {'lexical (BM25) + semantic' if kb.semantic is not None else 'lexical (BM25)'}")
    for problem in problems:
        print(f"error: {problem}")
    print(f"{len(problems)} problem(s) found" if problems else "no problems found")
    return 1 if problems else 0


def _progress_bar(total: int):
    """A progress bar on stderr for encoding ``total`` passages (tqdm comes with the semantic extra)."""
    print(f"encoding {total} new or changed passages for the semantic channel", file=sys.stderr)
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = tqdm(total=total, unit="passage", file=sys.stderr)

    def step(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return step


def _check(sources: KnowledgeSources) -> tuple[KnowledgeBase, list[str]]:
    """Validate everything citebot reads — documents, uploads, the saved index, curated answers
    and the glossary — writing nothing. (The config was read before this, or citebot stopped.)"""
    docs, errors = sources.documents()
    kb = KnowledgeBase.from_documents(docs, errors=errors)
    problems = [str(error) for error in errors]
    saved = check_saved_index(sources.base, state_dir=sources.state_dir)
    if saved is not None:
        problems.append(str(saved))
    for state_file in (
        CuratedStore.in_state_dir(sources.state_dir),
        Glossary.in_state_dir(sources.state_dir),
    ):
        if state_file.load_error is not None:
            problems.append(f"{state_file.load_error.path}: {state_file.load_error}")
    return kb, problems


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a question set against the knowledge folder: 1 when a threshold is missed, 2 for a
    broken question set."""
    from knowledge.evaluation import QuestionSetError, format_report, load_question_set, run_question_set

    try:
        questions = load_question_set(args.file)
    except QuestionSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    assistant = Assistant.with_state(_load_kb(args), args.state_dir)
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


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, not {text!r}")
    return value


def cmd_chat(args: argparse.Namespace) -> int:
    return run_console(Assistant.with_state(_load_kb(args), args.state_dir))


def cmd_run(args: argparse.Namespace) -> int:
    from .app import run_bot
    from .config import load_config

    run_bot(load_config(args.config))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citebot", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--knowledge", metavar="DIR", help="knowledge folder (default: the built-in one)")
    common.add_argument("--state-dir", metavar="DIR", help="state folder (default: $CITEBOT_STATE_DIR)")
    common.add_argument("--config", metavar="FILE", help="the bot's YAML config (default: $CITEBOT_CONFIG)")
    sub = parser.add_subparsers(dest="command")

    ask = sub.add_parser("ask", parents=[common], help="answer a question (or one per stdin line)")
    ask.add_argument("question", nargs="?", help="the question; omitted: read one per line from stdin")
    ask.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.set_defaults(func=cmd_ask)

    index = sub.add_parser("index", parents=[common], help="build or validate the index and report problems")
    index.add_argument("--check", action="store_true", help="validate everything, write nothing")
    index.set_defaults(func=cmd_index)

    evaluate = sub.add_parser("eval", parents=[common], help="run a YAML question set and report the rates")
    evaluate.add_argument("file", help="the question set (answerable and off_topic questions)")
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
    run.set_defaults(func=cmd_run)

    cli_curation.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
