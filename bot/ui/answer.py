"""The buttons under an answer. They survive restarts: each is a ``DynamicItem`` whose custom id
carries the answer id (``citebot:src:<id>``, ``citebot:vote:<id>:up``, ``citebot:askmods:<id>``),
and the answer is looked up in the clicking server's store when clicked. discord.py keeps no view
per answer: a view of dynamic items only is never stored, so memory does not grow with answers.

The ``bot.exts.ask`` extension registers them (:data:`ANSWER_BUTTONS`) and the 👎 form's recovery
after a restart (:func:`recover_reason`). The buttons reach the bot's reply service through
:class:`AnswerActions`, so this module imports neither the service nor the bot."""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol, cast

import discord

from .errors import report_error

logger = logging.getLogger(__name__)

ANSWER_ID = r"(?P<answer_id>[0-9a-f]{12})"
REASON_INPUT_ID = "citebot:why:reason"
# The 👎 form's custom id: the answer and the member, so it can be saved after a restart.
REASON_MODAL = re.compile(rf"citebot:why:{ANSWER_ID}:(?P<user_id>\d+)")


class AnswerActions(Protocol):
    """What the buttons ask of the bot's reply service (:class:`bot.answering.ReplyService`)."""

    async def show_sources(self, interaction: discord.Interaction, answer_id: str) -> None:
        """Show the answer's passages to the clicker."""

    async def vote(self, interaction: discord.Interaction, answer_id: str, vote: int) -> None:
        """Record a vote (+1, -1); a 👎 asks why."""

    async def save_reason(self, interaction: discord.Interaction, answer_id: str, reason: str | None) -> None:
        """Record why the answer was not helpful."""


class _AnsweringClient(Protocol):
    answers: AnswerActions


def _service(interaction: discord.Interaction) -> AnswerActions:
    return cast("_AnsweringClient", interaction.client).answers


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


# Every button an answer may carry: registered by ``bot.exts.ask`` (Keep as test, on answers
# posted before it became a message menu, by ``bot.exts.selftest``).
ANSWER_BUTTONS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    SourcesButton,
    VoteButton,
    AskModeratorsButton,
)


async def recover_reason(interaction: discord.Interaction, custom_id: str, values: dict[str, str]) -> bool:
    """A 👎 form shown before a restart: save the reason when the member who opened it submits it;
    False for any other form."""
    reason = REASON_MODAL.fullmatch(custom_id)
    if reason is None or int(reason["user_id"]) != interaction.user.id:
        return False
    text = values.get(REASON_INPUT_ID, "").strip() or None
    await _service(interaction).save_reason(interaction, reason["answer_id"], text)
    return True
