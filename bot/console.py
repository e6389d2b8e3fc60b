"""The local console: citebot without Discord, on the same answer pipeline and commands."""

from __future__ import annotations

import sys
from typing import TextIO

from knowledge import QuestionError
from knowledge.assistant import Assistant

from .text_render import PLAIN, emphasis_for, render_answer, render_hits, render_passage, render_topics

HELP = """Type a question and press Enter. Commands:
  /search TEXT   passages matching TEXT, with ids and scores
  /source ID     the full passage with that id, and its citation
  /topics        the documents in the knowledge base
  /help          this help
  /quit          leave (Ctrl-D works too)"""

NOT_MEDICAL_ADVICE = (
    "citebot answers from its documents and always cites them. This is general information, "
    "not medical advice: for a health concern, ask a clinician or lactation consultant."
)


def handle(assistant: Assistant, line: str, *, emphasis: tuple[str, str] = PLAIN) -> str | None:
    """The reply to one console line (matched terms wrapped in ``emphasis``); None means quit."""
    line = line.strip()
    if not line:
        return ""
    command, _, arg = line.partition(" ")
    kb = assistant.kb
    match command.lower():
        case "/quit" | "/exit":
            return None
        case "/help":
            return HELP
        case "/topics":
            return render_topics(kb.topics())
        case "/search":
            return render_hits(kb.search(arg, k=5), arg) if arg.strip() else "Usage: /search TEXT"
        case "/source":
            return render_passage(kb, arg) if arg.strip() else "Usage: /source PASSAGE_ID"
        case _ if command.startswith("/"):
            return f"Unknown command {command}. /help lists the commands."
    try:
        return render_answer(assistant.ask(line), emphasis=emphasis)
    except QuestionError as exc:
        return str(exc)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def run_console(assistant: Assistant, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Answer lines from ``stdin`` until it ends or ``/quit``; returns the exit status."""
    kb = assistant.kb
    interactive = stdin.isatty()
    stdout.write(
        f"citebot — local console ({_count(len(kb.documents), 'document')}, "
        f"{_count(len(kb.passages), 'passage')}). "
        "No DISCORD_TOKEN is set, so nothing connects to Discord.\n"
    )
    if not kb.passages:
        stdout.write("The knowledge base is empty: every question will be declined.\n")
    for error in kb.errors:
        stdout.write(f"warning: {error}\n")
    stdout.write(f"{NOT_MEDICAL_ADVICE}\n/help lists the commands.\n")
    while True:
        if interactive:
            stdout.write("\n> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        reply = handle(assistant, line, emphasis=emphasis_for(stdout))
        if reply is None:
            break
        if reply:
            stdout.write(reply + "\n")
            stdout.flush()
    return 0
