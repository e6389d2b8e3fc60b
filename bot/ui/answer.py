"""The buttons under an answer. They survive restarts: each is a ``DynamicItem`` whose custom id
carries the answer id (``citebot:src:<id>``, ``citebot:vote:<id>:up``, ``citebot:askmods:<id>``),
and the answer is looked up in the clicking server's store when clicked. discord.py keeps no view
per answer: a view of dynamic items only is never stored, so memory does not grow with answers."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from ..utils import citebot
from .errors import report_error
from .golden import KeepAsTestButton

if TYPE_CHECKING:
    from ..answering import ReplyService

logger = logging.getLogger(__name__)

ANSWER_ID = r"(?P<answer_id>[0-9a-f]{12})"
REASON_INPUT_ID = "citebot:why:reason"
# The 👎 form's custom id: the answer and the member, so it can be saved after a restart.
REASON_MODAL = re.compile(rf"citebot:why:{ANSWER_ID}:(?P<user_id>\d+)")


def _service(interaction: discord.Interaction) -> ReplyService:
    return citebot(interaction).answers


class SourcesButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"citebot:src:{ANSWER_ID}"):
    """Shows the answer's full passages to whoever clicks, privately and paginated."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Sources",
                emoji="📚",
                style=discord.ButtonStyle.primary,
                custom_id=f"citebot:src:{answer_id}",
            )
        )
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> SourcesButton:
        return cls(match["answer_id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await _service(interaction).show_sources(interaction, self.answer_id)
        except Exception as error:
            await report_error(interaction, error)


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button], template=rf"citebot:vote:{ANSWER_ID}:(?P<vote>up|down)"
):
    """👍 records a helpful vote; 👎 records a not-helpful one and asks why in a modal."""

    def __init__(self, answer_id: str, vote: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"citebot:vote:{answer_id}:{vote}",
            )
        )
        self.answer_id = answer_id
        self.vote = vote

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> VoteButton:
        return cls(match["answer_id"], match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await _service(interaction).vote(interaction, self.answer_id, 1 if self.vote == "up" else -1)
        except Exception as error:
            await report_error(interaction, error)


class ReasonModal(discord.ui.Modal):
    """Asks, optionally, why an answer was not helpful."""

    reason: discord.ui.TextInput = discord.ui.TextInput(
        label="What was wrong or missing? (optional)",
        style=discord.TextStyle.paragraph,
        custom_id=REASON_INPUT_ID,
        required=False,
        max_length=500,
    )

    def __init__(self, answer_id: str, user_id: int) -> None:
        # The user id keeps two members' open modals for the same answer apart.
        super().__init__(title="Not helpful", custom_id=f"citebot:why:{answer_id}:{user_id}", timeout=600)
        self.answer_id = answer_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await _service(interaction).save_reason(
            interaction, self.answer_id, self.reason.value.strip() or None
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


class AskModeratorsButton(
    discord.ui.DynamicItem[discord.ui.Button], template=rf"citebot:askmods:{ANSWER_ID}"
):
    """Under a declined question: its asker passes it to the moderators (``ask_moderators`` event,
    handled by ``bot.exts.review``); greyed out once done."""

    def __init__(self, answer_id: str, *, passed: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Passed to the moderators" if passed else "Ask the moderators",
                emoji="🙋",
                style=discord.ButtonStyle.secondary,
                custom_id=f"citebot:askmods:{answer_id}",
                disabled=passed,
            )
        )
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> AskModeratorsButton:
        return cls(match["answer_id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        interaction.client.dispatch("ask_moderators", interaction, self.answer_id)


def answer_view(
    answer_id: str, *, sources: bool = True, declined: bool = False, passed: bool = False
) -> discord.ui.View:
    """The buttons of one answer: Sources, 👍 and 👎; of a decline, Sources (the closest passages)
    and Ask the moderators (``passed``: greyed out). Dynamic items only, so discord.py stores no
    view for it (moderators keep an answer as a test with the message's context menu)."""
    view = discord.ui.View(timeout=None)
    if sources:
        view.add_item(SourcesButton(answer_id))
    if declined:
        view.add_item(AskModeratorsButton(answer_id, passed=passed))
    else:
        view.add_item(VoteButton(answer_id, "up"))
        view.add_item(VoteButton(answer_id, "down"))
    return view


# Keep as test is no longer put under answers, but answers posted before still carry it.
DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    SourcesButton,
    VoteButton,
    AskModeratorsButton,
    KeepAsTestButton,
)
