"""Solved threads as members and moderators see them: the short confirmation posted in a thread,
and a thread's page in ``/review``."""

from __future__ import annotations

import discord

from knowledge.solved import STALE, TAGGED
from knowledge.store import SolvedRecord

from . import render

SOLVED_COLOUR = discord.Colour.teal()
# A page stays well under Discord's 4,096 characters of an embed's description.
QUOTED_CHARS = 1_500


def confirmation(solution: discord.Message, marked_by: discord.abc.User) -> str:
    """What the thread is told when a solution is marked: one line, and nobody pinged."""
    name = render.escape(marked_by.display_name)
    return (
        f"✅ Marked as the solution by {name}: {solution.jump_url}\n"
        "-# Only the question and this answer are kept; moderators may add it to the bot's answers."
    )


def tag_confirmation(solution: discord.Message) -> str:
    """What the thread is told when the forum's solved tag marked its latest answer."""
    return (
        f"✅ Tagged solved: this answer is kept as the solution: {solution.jump_url}\n"
        "-# Only the question and this answer are kept; moderators may add it to the bot's answers."
    )


def _quoted(text: str) -> str:
    shown = render.shorten(text.strip(), QUOTED_CHARS) or "(no text)"
    return "\n".join(f"> {line}" for line in render.escape(shown).splitlines())


def solved_embed(record: SolvedRecord, n: int, total: int) -> discord.Embed:
    """One solved thread waiting in ``/review``: its question, the marked solution and who wrote
    them, with the link to the thread."""
    title = render.shorten(f"Solved thread {n}/{total}: {record.title}", 256)
    lines = []
    if record.status == STALE and record.curated_id is not None:
        lines.append(
            f"✏️ Changed since it was saved as curated answer #{record.curated_id}: saving again "
            "updates that answer."
        )
    if record.status == STALE and record.document is not None:
        lines.append(
            "✏️ Changed since it was added to the knowledge: adding it again updates that document "
            "(it answers with the earlier text until then)."
        )
    marked = (
        "marked by the forum's solved tag"
        if record.marked_by == TAGGED
        else f"marked by <@{record.marked_by}>"
    )
    lines += [
        f"**Question** (<@{record.question_author}>)",
        _quoted(record.question_text or record.title),
        "",
        f"**Solution** (<@{record.solution_author}>, {marked})",
        _quoted(record.solution_text),
        "",
        f"[Open the solution in its thread]({record.solution_link})",
    ]
    embed = discord.Embed(title=title, description="\n".join(lines), colour=SOLVED_COLOUR)
    embed.set_footer(
        text="Save as curated, or Add to knowledge (a document cited as #channel › title · date): "
        "one click; both link back to the thread."
    )
    return embed
