"""Answers as plain text for the terminal (``citebot ask`` and the local console).

The Discord embeds in ``bot/render.py`` and this text say the same things in the same order: the
red-flag message, the answer sentences with numbered citations, then the numbered sources as short
labels (:meth:`knowledge.Hit.label`) with their passage ids and, once, the links. ``/source ID``
shows a passage in full with its whole reference.
"""

from __future__ import annotations

import os
from typing import TextIO

from knowledge import Answer, Hit, KnowledgeBase, Topic
from knowledge.notices import phrase
from knowledge.text import snippet

DECLINE = "That is not in the knowledge base."
PLAIN: tuple[str, str] = ("", "")
"""Matched terms shown as they are (text piped to a file or another program)."""
TERMINAL_BOLD: tuple[str, str] = ("\033[1m", "\033[0m")
"""Matched terms in bold on a terminal."""


def emphasis_for(stream: TextIO) -> tuple[str, str]:
    """Bold on a terminal, plain text when piped (or when ``NO_COLOR`` or ``TERM=dumb`` ask so)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return PLAIN
    return TERMINAL_BOLD


def _source(number: int, hit: Hit) -> str:
    return f"[{number}] {hit.label()}  ({hit.passage_id})"


def _links(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(hit.link for hit in hits if hit.link))


def render_answer(answer: Answer, *, emphasis: tuple[str, str] = PLAIN) -> str:
    """The answer as the bot's embed says it: the red-flag message and notes, the moderators'
    answer, then the best sentences (matched terms wrapped in ``emphasis``), each with the number
    of its source, then the sources cited as short labels and their links."""
    lines: list[str] = [answer.safety] if answer.safety else []
    lines += [f"note: {phrase(notice)}" for notice in answer.notices]
    if lines:
        lines.append("")
    curated = answer.curated
    if curated is not None:
        marks = "".join(f"[{n}]" for n in answer.curated_numbers())
        lines += ["Answer from the moderators:", f"{curated.text.strip()} {marks}".rstrip(), ""]
    before, after = emphasis
    shown = numbered_sources(answer)
    if answer.answered:
        lines.append(_sentences(answer, before, after))
    elif curated is None:
        lines.append(DECLINE)
        if shown:
            lines += ["Closest passages:", *(_source(n, hit) for n, hit in shown.items())]
            lines += _links(list(shown.values()))
    if shown and answer.served:
        lines += ["", "Sources:", *(_source(n, hit) for n, hit in shown.items())]
        lines += _links(list(shown.values()))
    return "\n".join(lines).strip("\n")


def _sentences(answer: Answer, before: str, after: str) -> str:
    """The answer's sentences in one paragraph, each with its ``[n]``; after a quoted code block
    the number and what follows go on lines of their own, as in Discord, so the block's closing
    fence stays alone on its line."""
    out, after_code = "", False
    for sentence in answer.sentences:
        shown = sentence.marked(before, after)
        code = shown.endswith("```")
        out += ("\n" if after_code else " " if out else "") + shown
        out += ("\n" if code else " ") + f"[{answer.number(sentence)}]"
        after_code = code
    return out


def numbered_sources(answer: Answer) -> dict[int, Hit]:
    """The sources :func:`render_answer` shows, by the ``[n]`` it gives them: those the answer
    cites, or a declined answer's closest passages."""
    if answer.served:
        return dict(answer.cited())
    return dict(enumerate(answer.sources(), start=1))  # a decline's closest passages, bounded there


def render_hits(hits: list[Hit], query: str = "") -> str:
    """Search results: each passage's number, label, id, score and an excerpt (``/source ID`` shows
    the full citation)."""
    if not hits:
        return "No passage matches."
    out = []
    for n, hit in enumerate(hits, start=1):
        out += [
            f"[{n}] {hit.label()}  score {hit.score:.2f}",
            f"    {hit.passage_id}",
            f"    {snippet(hit.text, query)}",
        ]
    return "\n".join(out)


def render_passage(kb: KnowledgeBase, passage_id: str) -> str:
    """One passage in full with its citation, or why there is none."""
    hit = kb.hit(passage_id.strip())
    if hit is None:
        return f"No passage has the id {passage_id!r}. /search shows passage ids."
    return f"{hit.citation}\n{hit.passage_id}\n\n{hit.text}"


def render_topics(topics: list[Topic]) -> str:
    """The documents, each with its passage count, reference and link."""
    if not topics:
        return "The knowledge base is empty."
    lines = []
    for topic in topics:
        lines.append(f"- {topic.title} ({topic.passages} passages)")
        if topic.reference and topic.reference != topic.title:
            lines.append(f"  {topic.reference}")
        if topic.link:
            lines.append(f"  {topic.link}")
    return "\n".join(lines)
