"""Curated answers, the glossary, the review queue and statistics as Discord embeds.

Citations use :func:`bot.render.citation_line` so a source reads the same everywhere. Moderators'
answers are Markdown by design: they are shown as written, with mentions neutralised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import discord

from knowledge import Hit
from knowledge.curated import CuratedAnswer
from knowledge.glossary import GlossaryEntry
from knowledge.review import GlossarySuggestion, QuestionStats, ReviewGroup

from . import render
from .explain_render import render_explanation

CURATED_COLOUR = discord.Colour.green()
REVIEW_COLOUR = discord.Colour.orange()
STALE_COLOUR = discord.Colour.gold()
LIST_PER_PAGE = 10
# /faq show stays under Discord's 6,000 characters per embed whatever the answer holds:
# 2,000 + 3 fields x 1,000 + status, author and dates.
SHOW_ANSWER_CHARS = 2_000
SHOW_FIELD_CHARS = 1_000
# A "Why?" line longer than this (a long question echoed) is shortened, so the passages still fit.
WHY_LINE_CHARS = 400
WHY_WORDS_LEFT_OFF = "-# The last {count} of the question's {total} words are left off."
WHY_LINES_LEFT_OFF = "-# The last lines are left off; `citebot ask --explain` prints them all."


def _markdown(text: str) -> str:
    return discord.utils.escape_mentions(text)


def _when(stamp: str | float) -> str:
    if isinstance(stamp, int | float):
        return discord.utils.format_dt(datetime.fromtimestamp(stamp, UTC), "R")
    try:
        return discord.utils.format_dt(datetime.fromisoformat(stamp), "f")
    except (TypeError, ValueError):
        return render.escape(stamp) or "unknown"  # a hand-edited file may hold any text here


def curated_embed(entry: CuratedAnswer, hits: Sequence[Hit] = (), *, history: int = 5) -> discord.Embed:
    """``/faq show``: everything about one curated answer."""
    colour = STALE_COLOUR if entry.status == "stale" else CURATED_COLOUR
    embed = discord.Embed(
        title=render.shorten(f"#{entry.id} {render.escape(entry.question)}", render.EMBED_TITLE_LIMIT),
        description=render.shorten(_markdown(entry.answer), SHOW_ANSWER_CHARS),
        colour=colour,
    )
    if entry.phrasings:
        embed.add_field(
            name="Also matches",
            value=render.join_within([f"• {render.escape(p)}" for p in entry.phrasings], SHOW_FIELD_CHARS),
            inline=False,
        )
    found = {hit.passage_id: hit for hit in hits}
    source_lines = []
    for n, source in enumerate(entry.sources, start=1):
        hit = found.get(source.passage_id)
        source_lines.append(
            render.citation_line(n, hit) if hit else f"[{n}] `{source.passage_id}` (no longer found)"
        )
    embed.add_field(
        name="Sources",
        value=render.join_within(source_lines, SHOW_FIELD_CHARS) or "No document passages linked",
        inline=False,
    )
    status = entry.status + (f": {entry.stale_reason}" if entry.stale_reason else "")
    embed.add_field(name="Status", value=render.shorten(render.escape(status), 300))
    embed.add_field(name="Author", value=render.shorten(render.escape(entry.author), 200) or "unknown")
    embed.add_field(name="Updated", value=render.shorten(_when(entry.updated), 200))
    recent = [
        f"{_when(r.at)} {render.escape(r.action)} by {render.escape(r.by)}" for r in entry.history[-history:]
    ]
    if recent:
        embed.add_field(name="History", value=render.join_within(recent, SHOW_FIELD_CHARS), inline=False)
    return embed


def curated_list_pages(
    entries: Sequence[CuratedAnswer], *, per_page: int = LIST_PER_PAGE
) -> list[discord.Embed]:
    """Pages listing curated answers, one line each."""
    if not entries:
        return [
            discord.Embed(
                title="Curated answers",
                description="There are no curated answers yet. `/faq add` writes one.",
                colour=CURATED_COLOUR,
            )
        ]
    pages = []
    for start in range(0, len(entries), per_page):
        chunk = entries[start : start + per_page]
        lines = []
        for entry in chunk:
            flag = " ⚠️ sources changed" if entry.status == "stale" else ""
            lines.append(f"**#{entry.id}** {render.escape(render.shorten(entry.question, 150))}{flag}")
        embed = discord.Embed(
            title=f"Curated answers ({len(entries)})", description="\n".join(lines), colour=CURATED_COLOUR
        )
        embed.set_footer(text="/faq show id shows one in full")
        pages.append(embed)
    return pages


def glossary_pages(entries: Sequence[GlossaryEntry], *, per_page: int = 20) -> list[discord.Embed]:
    """Pages listing the glossary, one term per line."""
    if not entries:
        return [
            discord.Embed(title="Glossary", description="The glossary is empty. `/glossary add` adds a term.")
        ]
    pages = []
    for start in range(0, len(entries), per_page):
        lines = [
            f"**{render.escape(e.term)}** → {render.escape(e.means)}"
            for e in entries[start : start + per_page]
        ]
        # Escaping can double a term's length: never let a page of Markdown-heavy terms overflow.
        description = render.join_within(lines, render.EMBED_DESCRIPTION_LIMIT)
        pages.append(discord.Embed(title=f"Glossary ({len(entries)} terms)", description=description))
    return pages


def review_group_embed(group: ReviewGroup, position: int, total: int) -> discord.Embed:
    """One group of similar questions in the review queue."""
    kinds = []
    if group.declined:
        kinds.append(f"declined {group.declined}×")
    if group.downvotes:
        kinds.append(f"👎 {group.downvotes}×")
    embed = discord.Embed(
        title=render.shorten(render.escape(group.question), render.EMBED_TITLE_LIMIT),
        description=f"Asked {group.count}× · {' · '.join(kinds)} · first asked {_when(group.first_asked)}",
        colour=REVIEW_COLOUR,
    )
    others = group.wordings()[1:]
    if others:
        embed.add_field(
            name="Also asked as",
            value=render.join_within(
                [f"• {render.escape(w)}" for w in others], render.EMBED_FIELD_VALUE_LIMIT
            ),
            inline=False,
        )
    if group.reasons:
        embed.add_field(
            name="Why members found the answer unhelpful",
            value=render.join_within(
                [f"• {render.escape(r)}" for r in group.reasons], render.EMBED_FIELD_VALUE_LIMIT
            ),
            inline=False,
        )
    embed.set_footer(text=f"Question {position}/{total} · Write answer saves a curated answer for it")
    return embed


def _code_lines(text: str) -> list[str]:
    # The text echoes the member's words: backticks of theirs must not end the block early (no
    # three in a row once every pair is split), nor a long question crowd out the passages.
    return [
        render.shorten(line, WHY_LINE_CHARS).replace("``", "`\u200b`")
        for line in discord.utils.escape_mentions(text).splitlines()
    ]


def _block(lines: Sequence[str], notes: Sequence[str]) -> str:
    return "```\n" + "\n".join(lines) + "\n```" + "".join(f"\n{note}" for note in notes)


def why_embed(trace: dict[str, Any]) -> discord.Embed:
    """A review question's "Why?": how it is answered now, stage by stage
    (:func:`bot.explain_render.render_explanation` of :meth:`knowledge.trace.Trace.to_dict`), in a
    code block within the embed's limit. When it does not fit, the question's words are left off
    from the last (the passages and the decision matter more), then, if need be, the last lines."""
    analysis = trace["analysis"]
    words = analysis["words"]
    lines: list[str] = []
    notes: list[str] = []
    for keep in range(len(words), -1, -1):
        shown = {**trace, "analysis": {**analysis, "words": words[:keep]}}
        lines = _code_lines(render_explanation(shown))
        notes = (
            [WHY_WORDS_LEFT_OFF.format(count=len(words) - keep, total=len(words))]
            if keep < len(words)
            else []
        )
        if len(_block(lines, notes)) <= render.EMBED_DESCRIPTION_LIMIT:
            break
    if len(_block(lines, notes)) > render.EMBED_DESCRIPTION_LIMIT:
        notes.append(WHY_LINES_LEFT_OFF)
        while len(_block(lines, notes)) > render.EMBED_DESCRIPTION_LIMIT and lines:
            lines.pop()
    embed = discord.Embed(
        title=render.shorten(f"Why? {render.escape(trace['question'])}", render.EMBED_TITLE_LIMIT),
        description=_block(lines, notes),
        colour=REVIEW_COLOUR,
    )
    embed.set_footer(text="How I answer this question now in this server, stage by stage")
    return embed


def stale_embed(entry: CuratedAnswer) -> discord.Embed:
    """A curated answer whose sources changed, with why."""
    embed = discord.Embed(
        title=render.shorten(
            f"Sources changed: #{entry.id} {render.escape(entry.question)}", render.EMBED_TITLE_LIMIT
        ),
        description=render.shorten(render.escape(entry.stale_reason or "A linked passage changed."), 1000)
        + "\n\n**Keep** links the answer to the current passages, **Edit** opens it, "
        "**Retire** stops serving it.",
        colour=STALE_COLOUR,
    )
    embed.add_field(
        name="Answer",
        value=render.shorten(_markdown(entry.answer), render.EMBED_FIELD_VALUE_LIMIT),
        inline=False,
    )
    return embed


def review_summary_embed(groups: int, stale: int, suggestions: Sequence[GlossarySuggestion]) -> discord.Embed:
    """The head of ``/review``: what waits, and glossary suggestions."""
    lines = [f"**{groups}** question group(s) waiting, **{stale}** curated answer(s) with changed sources."]
    if suggestions:
        lines += ["", "**Glossary suggestions** (words of declined questions the documents never use):"]
        lines += [
            f"• **{render.escape(render.shorten(s.word, 60))}** ({s.count}×), "
            f"e.g. “{render.escape(render.shorten(s.example, 80))}”"
            for s in suggestions
        ]
    hint = "`/glossary add term:<word> means:<the documents' term>` maps one."
    # Escaping can double a suggestion's length: drop the last suggestions rather than pass the limit.
    body = render.join_within(lines, render.EMBED_DESCRIPTION_LIMIT - len(hint) - 1)
    description = f"{body}\n{hint}" if suggestions else body
    return discord.Embed(title="Review queue", description=description, colour=REVIEW_COLOUR)


def stats_embed(
    stats: QuestionStats,
    *,
    documents: int,
    passages: int,
    curated: int,
    glossary: int,
    channels: str = "",
) -> discord.Embed:
    """``/kb stats``: documents, passages, curated answers, how questions were answered and, when
    given, which retrieval channels answer (``lexical + meaning`` or ``lexical only``)."""
    embed = discord.Embed(title="Knowledge base statistics", colour=render.ANSWER_COLOUR)
    embed.add_field(name="Documents", value=str(documents))
    embed.add_field(name="Passages", value=str(passages))
    embed.add_field(name="Curated answers", value=str(curated))
    embed.add_field(name="Questions asked", value=str(stats.asked))
    embed.add_field(name="Answered", value=f"{stats.answered} ({stats.answered_rate:.0%})")
    embed.add_field(name="Feedback", value=f"👍 {stats.helpful} · 👎 {stats.not_helpful}")
    embed.add_field(name="Glossary terms", value=str(glossary))
    if channels:
        embed.add_field(name="Answering with", value=channels)

    def listing(rows: Sequence[tuple[str, int]]) -> str:
        lines = [f"{n}× {render.escape(render.shorten(q, 120))}" for q, n in rows]
        return render.join_within(lines, render.EMBED_FIELD_VALUE_LIMIT) or "None yet"

    embed.add_field(name="Top questions", value=listing(stats.top_questions), inline=False)
    embed.add_field(name="Top declined", value=listing(stats.top_declined), inline=False)
    return embed
