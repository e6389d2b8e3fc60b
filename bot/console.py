"""The local console: citebot without Discord, on the same answer pipeline and commands.

On a terminal it edits lines and keeps their history with :mod:`readline`, takes a multi-line paste
as one question, and leaves quietly on Ctrl-C or Ctrl-D. Fed from a pipe, each line is one question.
"""

from __future__ import annotations

import contextlib
import logging
import re
import select
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from knowledge import KnowledgeBase, QuestionError
from knowledge.assistant import Assistant
from knowledge.models import Hit
from knowledge.question import content_words
from knowledge.retriever import search
from knowledge.semantic import channels_line

from .chatter import follow_up_context, is_about_the_bot, is_chatter, is_greeting, is_thanks
from .text_render import (
    PLAIN,
    emphasis_for,
    numbered_sources,
    render_answer,
    render_hits,
    render_passage,
    render_topics,
)

HELP = """Type a question and press Enter. Commands:
  /search TEXT   passages matching TEXT, with ids and scores
  /source ID     the full passage with that id, and its citation; /source 2: the last reply's [2]
  /topics        the documents in the knowledge base
  /help          this help
  /quit          leave (Ctrl-D works too)"""

logger = logging.getLogger(__name__)

# What a line that only greets, or only thanks, gets: as in Discord, not "not in the knowledge base".
GREETING = "Hi! Type a question, like “how does … work?”; /topics lists the documents I answer from."
THANKS = "👍"
# A line after an answer that names nothing to look up ("why?", "tell me more"), as in a Discord thread.
NOTHING_NEW = (
    "The documents say no more about it than that answer; /source 1 shows its first source in full. "
    "Ask about something more specific to go further."
)
# A line that opens like this after an answer follows up on it ("and for babies?", "what about IgG?"),
# as every message in the bot's Discord thread does: the earlier question counts with it.
FOLLOW_UP = re.compile(r"^\W*(?:and|but|also|what about|how about|what of)\b", re.IGNORECASE)
# Typed alone, these leave, as they would most shells: nobody asks the documents "quit".
QUIT_WORDS = frozenset({"quit", "exit", "quit()", "exit()"})

PROMPT = "> "
HISTORY_LINES = 1000
# A pasted question arrives all at once; typed lines never come this close together.
PASTE_GAP_SECONDS = 0.05

NOT_MEDICAL_ADVICE = (
    "citebot answers from its documents and always cites them. This is general information, "
    "not medical advice: for a health concern, ask a clinician or lactation consultant."
)


@dataclass
class Session:
    """What the last reply numbered (an answer's sources, search results), so that "/source 2"
    shows the passage it cited as [2]."""

    numbered: dict[int, Hit] = field(default_factory=dict)
    # Whether the last reply was an answer, so that "why?" after it is not taken for a new question.
    answered: bool = False
    # The question (with those it followed up on) that answer answered.
    asked: str = ""


def handle(
    assistant: Assistant, line: str, *, emphasis: tuple[str, str] = PLAIN, session: Session | None = None
) -> str | None:
    """The reply to one console line (matched terms wrapped in ``emphasis``); None means quit.
    ``session`` carries the last reply's numbered sources from one line to the next."""
    session = session if session is not None else Session()
    line = line.strip()
    if not line:
        return ""
    command, _, arg = line.partition(" ")
    kb = assistant.kb
    match command.lower():
        case "/quit" | "/exit":
            return None
        case word if word in QUIT_WORDS and not arg:
            return None
        case "/help":
            return HELP
        case "/topics":
            return render_topics(kb.topics())
        case "/search":
            if not arg.strip():
                return "Usage: /search TEXT"
            hits = search(kb, arg, k=5)
            session.numbered, session.answered = dict(enumerate(hits, start=1)), False
            return render_hits(hits, arg)
        case "/source":
            return _source(kb, arg.strip(), session) if arg.strip() else "Usage: /source PASSAGE_ID or N"
        case _ if command.startswith("/"):
            return f"Unknown command {command}. /help lists the commands."
    if is_about_the_bot(line):
        return HELP
    if is_greeting(line):
        return GREETING
    if is_chatter(line) and any(ch.isalnum() for ch in line):  # emoji alone: "ask in words"
        return THANKS if is_thanks(line) else ""
    if session.answered and any(ch.isalnum() for ch in line) and not content_words(line):
        return NOTHING_NEW
    context = session.asked if session.answered and FOLLOW_UP.match(line) else ""
    try:
        answer = assistant.ask(line, context=context)
    except QuestionError as exc:
        return str(exc)
    session.numbered = numbered_sources(answer)
    session.answered = answer.answered
    session.asked = follow_up_context(context, line) if answer.answered else ""
    return render_answer(answer, emphasis=emphasis)


def _source(kb: KnowledgeBase, arg: str, session: Session) -> str:
    """``/source``: a passage by id, or by the number the last reply gave it ("2" or "[2]")."""
    number = arg.strip("[]")
    if number.isdigit() and kb.hit(arg) is None:
        hit = session.numbered.get(int(number))
        if hit is None:
            shown = ", ".join(f"[{n}]" for n in session.numbered)
            return f"The last reply has no source [{number}]" + (
                f"; it shows {shown}." if shown else ". /search shows passage ids."
            )
        arg = hit.passage_id
    return render_passage(kb, arg)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def run_console(
    assistant: Assistant,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    history: Path | None = None,
) -> int:
    """Answer lines from ``stdin`` until it ends, ``/quit``, Ctrl-C or Ctrl-D; returns the exit
    status. On a terminal, ``history`` is the file the line history is kept in."""
    kb = assistant.kb
    interactive = stdin.isatty() and stdin is sys.stdin
    stdout.write(
        f"citebot — local console ({_count(len(kb.documents), 'document')}, "
        f"{_count(len(kb.passages), 'passage')}). "
        "No DISCORD_TOKEN is set, so nothing connects to Discord.\n"
    )
    stdout.write(f"Answering: {channels_line(kb)}.\n")
    if not kb.passages:
        stdout.write("The knowledge base is empty: every question will be declined.\n")
    for error in kb.errors:
        stdout.write(f"warning: {error}\n")
    stdout.write(f"{NOT_MEDICAL_ADVICE}\n/help lists the commands.\n")
    emphasis = emphasis_for(stdout)
    read = _terminal_reader(stdin, history) if interactive else _pipe_reader(stdin)
    session = Session()
    try:
        while True:
            line = read()
            if line is None:
                if interactive:
                    stdout.write("\n")  # Ctrl-D: end the prompt's line
                break
            reply = handle(assistant, line, emphasis=emphasis, session=session)
            if reply is None:
                break
            if reply:
                stdout.write(reply + "\n")
                stdout.flush()
    except KeyboardInterrupt:
        stdout.write("\n")
    finally:
        if interactive and history is not None:
            _save_history(history)
    return 0


def _pipe_reader(stdin: TextIO):
    """One line at a time from a pipe or file; None at the end."""

    def read() -> str | None:
        line = stdin.readline()
        return line if line else None

    return read


def _terminal_reader(stdin: TextIO, history: Path | None):
    """Lines typed at a prompt, with readline's editing and history; lines pasted together are
    joined into one (a command on the first line is left as typed)."""
    try:
        import readline  # importing it gives input() line editing and history
    except ImportError:  # not on every platform
        readline = None
    if readline is not None and history is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(history)
        readline.set_history_length(HISTORY_LINES)

    def read() -> str | None:
        try:
            line = input(f"\n{PROMPT}")
        except EOFError:
            return None
        if line.lstrip().startswith("/"):
            return line
        lines = [line]
        while _more_pasted(stdin):
            try:
                lines.append(input(""))
            except EOFError:
                break
        question = " ".join(" ".join(lines).split())
        if readline is not None and len(lines) > 1:
            # One history entry for the whole question, not one per pasted line (input() adds
            # the lines that are not empty).
            for _ in [text for text in lines if text]:
                readline.remove_history_item(readline.get_current_history_length() - 1)
            readline.add_history(question)
        return question

    return read


def _more_pasted(stdin: TextIO) -> bool:
    """Whether more input is already waiting: the rest of a paste."""
    try:
        ready, _, _ = select.select([stdin], [], [], PASTE_GAP_SECONDS)
    except (OSError, ValueError):
        return False
    return bool(ready)


def _save_history(history: Path) -> None:
    try:
        import readline
    except ImportError:
        return
    try:
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(history)
    except OSError as exc:
        logger.warning("could not save the console history to %s: %s", history, exc)
