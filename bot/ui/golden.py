"""Golden questions on Discord: the "Keep as test" button of older answers, and the embeds of
``/kb test list``, ``/kb test run`` and the moderator-channel report.

New answers carry no such button: moderators use the message menu **Keep as test question**. The
button stays registered so answers posted before keep working; it acts only for moderators, checked
on every click, and the work is done by the ``bot.exts.selftest`` extension, reached through the
``keep_as_test(interaction, answer_id)`` event.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import discord

from knowledge.golden import GoldenQuestion, GoldenReport, Regression, Status

from .. import render
from ..checks import NotModerator, is_moderator
from ..utils import citebot
from .errors import report_error

logger = logging.getLogger(__name__)

GOLDEN_COLOUR = discord.Colour.teal()
WORSE_COLOUR = discord.Colour.red()
PER_PAGE = 10


class KeepAsTestButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"citebot:keep:(?P<answer_id>[0-9a-f]{12})"
):
    """Keeps the answer's question as a golden question, with what answers it now (moderators)."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Keep as test",
                emoji="🧪",
                style=discord.ButtonStyle.secondary,
                custom_id=f"citebot:keep:{answer_id}",
            )
        )
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> KeepAsTestButton:
        return cls(match["answer_id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            bot = citebot(interaction)
            # Checked at every click: who may act can change after the answer was posted.
            roles = bot.settings(interaction.guild_id).moderator_roles
            if interaction.guild_id is None or not is_moderator(interaction.user, roles):
                raise NotModerator()
            bot.dispatch("keep_as_test", interaction, self.answer_id)
        except Exception as error:
            await report_error(interaction, error)


def _line(golden: GoldenQuestion, status: Status | None) -> str:
    mark = "" if status is None else (" ✅" if status.passed else f" ❌ now {render.escape(status.got)}")
    return (
        f"**#{golden.id}** “{render.escape(render.shorten(golden.question, 150))}” → "
        f"{render.escape(golden.expect.describe())}{mark}"
    )


def list_pages(items: Sequence[tuple[GoldenQuestion, Status | None]]) -> list[discord.Embed]:
    """``/kb test list``: every golden question, what must answer it and how the last check went."""
    if not items:
        text = (
            "No golden questions yet. Add one with `/kb test add` or an answer's "
            "**Keep as test question** menu."
        )
        return [discord.Embed(title="Golden questions", description=text, colour=GOLDEN_COLOUR)]
    pages = []
    for start in range(0, len(items), PER_PAGE):
        chunk = items[start : start + PER_PAGE]
        pages.append(
            discord.Embed(
                title=f"Golden questions ({len(items)})",
                description=render.join_within(
                    [_line(g, s) for g, s in chunk], render.EMBED_DESCRIPTION_LIMIT
                ),
                colour=GOLDEN_COLOUR,
            )
        )
    return pages


def report_pages(report: GoldenReport) -> list[discord.Embed]:
    """``/kb test run``: the counts, what got worse since the last check, then every question."""
    head = [
        f"**{report.passed}** of **{len(report.results)}** golden question(s) answer as expected.",
    ]
    if report.regressions:
        head += ["", f"**Got worse since the last check ({len(report.regressions)}):**"]
        head += [f"• {regression_line(r)}" for r in report.regressions]
    lines = [
        ("✅ " if r.passed else "❌ ")
        + f"**#{r.golden.id}** “{render.escape(render.shorten(r.golden.question, 150))}”: expected "
        + render.escape(r.golden.expect.describe())
        + ("" if r.passed else f", got {render.escape(r.got)}")
        for r in sorted(report.results, key=lambda r: (r.passed, r.golden.id))
    ]
    colour = WORSE_COLOUR if report.failures else GOLDEN_COLOUR
    pages = [
        discord.Embed(
            title="Golden questions: report",
            description=render.join_within(head, render.EMBED_DESCRIPTION_LIMIT),
            colour=colour,
        )
    ]
    for start in range(0, len(lines), PER_PAGE):
        pages.append(
            discord.Embed(
                title="Golden questions: report",
                description=render.join_within(
                    lines[start : start + PER_PAGE], render.EMBED_DESCRIPTION_LIMIT
                ),
                colour=colour,
            )
        )
    return pages


def regression_line(regression: Regression) -> str:
    """``#2 “question”: was <before>, now <now>``, the texts escaped."""
    golden = regression.golden
    return (
        f"#{golden.id} “{render.escape(render.shorten(golden.question, 150))}”: "
        f"was {render.escape(regression.before)}, now {render.escape(regression.now)}"
    )


def worse_text(cause: str, regressions: Sequence[Regression]) -> str:
    """The moderator-channel report: ``after /kb add x.md by @mod: 2 golden questions got worse: …``
    (``cause`` is the bot's own wording, with a mention that never pings)."""
    count = len(regressions)
    noun = "golden question got" if count == 1 else "golden questions got"
    lines = [f"🧪 {cause}: {count} {noun} worse:"]
    lines += [f"• {regression_line(r)}" for r in regressions]
    lines.append("`/kb test run` shows the full report.")
    return render.join_within(lines, render.CONTENT_LIMIT)


def review_text(items: Sequence[tuple[GoldenQuestion, Status]]) -> str:
    """The golden-questions part of ``/review``: what got worse, and after which change."""
    lines = [f"🧪 **Golden questions that got worse ({len(items)})**"]
    lines += [
        f"• **#{g.id}** “{render.escape(render.shorten(g.question, 120))}”: was {render.escape(s.was)}, "
        f"now {render.escape(s.got)} — after {s.worse_after or 'a change'}"
        for g, s in items
    ]
    lines.append("Fix the knowledge, or `/kb test add` the question again with what should answer it.")
    return render.join_within(lines, render.CONTENT_LIMIT)
