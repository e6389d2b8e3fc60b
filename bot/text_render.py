"""Answers as plain text for the terminal (``citebot ask`` and the local console).

The Discord embeds in ``bot/render.py`` and this text say the same things in the same order:
the answer sentences with numbered citations, then the numbered sources.
"""

from __future__ import annotations

from knowledge import Answer, Hit, KnowledgeBase, Topic
from knowledge.text import snippet

DECLINE = "That is not in the knowledge base."


def _source(number: int, hit: Hit) -> str:
    return f"[{number}] {hit.citation}  ({hit.passage_id})"


def render_answer(answer: Answer) -> str:
    """The answer as the bot's embed says it: the moderators' answer first, then the best
    sentences, each with the number of its source, then the sources cited."""
    lines: list[str] = [f"note: {notice}" for notice in answer.notices]
    curated = answer.curated
    if curated is not None:
        marks = "".join(f"[{n}]" for n in range(1, len(curated.hits) + 1))
        lines += ["Answer from the moderators:", f"{curated.text.strip()} {marks}".rstrip(), ""]
    if answer.answered:
        lines.append(" ".join(f"{s.marked()} [{answer.number(s)}]" for s in answer.sentences))
    elif curated is None:
        lines.append(DECLINE)
        if answer.hits:
            lines.append("The closest passages:")
            for n, hit in enumerate(answer.sources(), start=1):
                lines += [_source(n, hit), f"    {snippet(hit.text, answer.question)}"]
    sources = [_source(n, hit) for n, hit in answer.cited()]
    if sources:
        lines += ["", "Sources:", *sources]
    return "\n".join(lines).strip("\n")


def render_hits(hits: list[Hit], query: str = "") -> str:
    """Search results: each passage's number, id, score, citation and an excerpt."""
    if not hits:
        return "No passage matches."
    out = []
    for n, hit in enumerate(hits, start=1):
        out += [
            f"[{n}] {hit.passage_id}  score {hit.score:.2f}",
            f"    {hit.citation}",
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
