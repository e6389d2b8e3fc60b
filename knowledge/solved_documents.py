"""A solved help thread as a document of its server's knowledge (**Add to knowledge** in
``/review``): Markdown with front matter, added to the server's uploads like any document.

The document is cited as ``#channel › thread title · date`` and links to the solution message
(front matter ``title`` and ``url``). Its one section is headed by the thread's question and holds
the solution alone: a heading that asks lets the answer stand on the question's words (the
Decider's FAQ rule, :mod:`knowledge.evidence`), while the question in the body would be quoted
back to the next member as if it were the answer.
"""

from __future__ import annotations

import datetime as dt
import re

from .models import short_text
from .store.records import SolvedRecord
from .yaml_state import dump_yaml

#: Every document made from a solved thread is named so: one per thread, replaced when added again.
DOCUMENT_PREFIX = "solved-thread-"
# The longest heading made of a thread's question (one line).
MAX_HEADING_CHARS = 200
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def document_name(record: SolvedRecord) -> str:
    """The upload's file name for ``record``'s thread."""
    return f"{DOCUMENT_PREFIX}{record.thread_id}.md"


def document_title(record: SolvedRecord, channel: str, day: dt.date) -> str:
    """``#channel › thread title · date``: how the document is cited."""
    return f"#{channel} › {short_text(record.title, 100)} · {day.isoformat()}"


def _without_headings(text: str) -> str:
    """A Discord message's ``# big text`` lines as bold lines (outside code blocks), so the
    solution stays under the question's heading rather than opening sections of its own."""
    lines, fence = [], ""
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if opened and (not fence or opened.group(1)[0] == fence[0]):
            fence = "" if fence else opened.group(1)
        heading = None if fence else _HEADING.match(line)
        lines.append(f"**{heading.group(1)}**" if heading and heading.group(1) else line)
    return "\n".join(lines)


def document_text(record: SolvedRecord, channel: str, day: dt.date) -> bytes:
    """The Markdown document made of ``record``: front matter (title, link to the solution), the
    question as its heading, the solution as its text. ``channel`` is the name of the forum or
    channel the thread is in, ``day`` when the solution was written."""
    front = dump_yaml({"title": document_title(record, channel, day), "url": record.solution_link})
    question = short_text(record.question_text, MAX_HEADING_CHARS) if record.question_text.strip() else ""
    heading = question or short_text(record.title, MAX_HEADING_CHARS)
    body = _without_headings(record.solution_text.strip())
    return f"---\n{front}---\n\n## {heading}\n\n{body}\n".encode()
