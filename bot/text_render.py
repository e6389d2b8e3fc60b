"""Answers as plain text for the terminal (``citebot ask`` and the local console).

The Discord embeds in ``bot/render.py`` and this text say the same things in the same order:
the answer sentences with numbered citations, then the numbered sources.
"""

from __future__ import annotations

from knowledge import Answer, Hit, KnowledgeBase, Topic
from knowledge.text import snippet

DECLINE = "That is not in the knowledge base."


def render_sources(hits: list[Hit]) -> list[str]:
    return [f"[{n}] {hit.citation}  ({hit.passage_id})" for n, hit in enumerate(hits, start=1)]


def render_answer(answer: Answer) -> str:
    lines: list[str] = [f"note: {notice}" for notice in answer.notices]
    curated = answer.curated
    if curated is not None:
        lines += ["Answer from the moderators:", curated.answer.strip()]
        if curated.hits:
            lines += ["Their sources:", *(f"- {hit.citation}  ({hit.passage_id})" for hit in curated.hits)]
        lines.append("")
    if answer.answered:
        lines.append(" ".join(f"{s.marked()} [{s.source}]" for s in answer.sentences))
        lines += ["", "Sources:", *render_sources(answer.hits)]
    elif curated is None:
        lines.append(DECLINE)
        if answer.hits:
            lines += ["The closest passages:"]
            for n, hit in enumerate(answer.hits, start=1):
                lines += [
                    f"[{n}] {hit.citation}  ({hit.passage_id})",
                    f"    {snippet(hit.text, answer.question)}",
                ]
    elif answer.hits:
        lines += ["Related passages:", *render_sources(answer.hits)]
    return "\n".join(lines)


def render_hits(hits: list[Hit], query: str = "") -> str:
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
    hit = kb.hit(passage_id.strip())
    if hit is None:
        return f"No passage has the id {passage_id!r}. /search shows passage ids."
    return f"{hit.citation}\n{hit.passage_id}\n\n{hit.text}"


def render_topics(topics: list[Topic]) -> str:
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
