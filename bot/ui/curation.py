"""Views and modals for moderators: the curated-answer modal, confirm buttons, the review queue
and the persistent Keep/Edit/Retire buttons on answers whose sources changed.

No business logic here: each view calls back into the cog that opened it.
"""

from __future__ import annotations

import logging
import re
import secrets
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import discord

from knowledge.curated import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS

from ..checks import ensure_moderator
from .errors import report_error

logger = logging.getLogger(__name__)

QUESTION_ID = "curate:question"
PHRASINGS_ID = "curate:phrasings"
ANSWER_ID = "curate:answer"
SOURCES_ID = "curate:sources"
CURATE_MODAL_PREFIX = "citebot:curate:"
_CURATE_MODAL = re.compile(r"citebot:curate:(?P<id>new|\d+):(?P<revision>-|[0-9a-f]{12}):[0-9a-f]+")


@dataclass(frozen=True)
class CurateDraft:
    """What the modal shows, and what a moderator submitted."""

    question: str = ""
    answer: str = ""
    phrasings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


SubmitCallback = Callable[[discord.Interaction, CurateDraft], Awaitable[None]]


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def draft_of(values: dict[str, str]) -> CurateDraft:
    """A draft from a curate form's submitted values, by input custom id."""
    return CurateDraft(
        question=values.get(QUESTION_ID, "").strip(),
        answer=values.get(ANSWER_ID, "").strip(),
        phrasings=_lines(values.get(PHRASINGS_ID, "")),
        sources=_lines(values.get(SOURCES_ID, "").replace(",", "\n")),
    )


def curate_target(custom_id: str) -> tuple[int | None, str | None] | None:
    """(answer id or None for a new answer, revision or None) of a curate form's custom id; None
    when it is not one."""
    found = _CURATE_MODAL.fullmatch(custom_id)
    if found is None:
        return None
    answer_id = None if found["id"] == "new" else int(found["id"])
    return answer_id, None if found["revision"] == "-" else found["revision"]


class CurateModal(discord.ui.Modal):
    """Question, other phrasings (one per line), the answer (Markdown) and source passage ids."""

    def __init__(
        self,
        draft: CurateDraft,
        on_submit: SubmitCallback,
        *,
        title: str = "Curated answer",
        answer_id: int | None = None,
        revision: str | None = None,
    ) -> None:
        # The custom id says what the form edits, so a form submitted after a restart (when this
        # object is gone) can still be saved: see :func:`curate_target`.
        custom_id = f"{CURATE_MODAL_PREFIX}{answer_id or 'new'}:{revision or '-'}:{secrets.token_hex(4)}"
        super().__init__(title=title[:45], timeout=900, custom_id=custom_id)
        self._on_submit = on_submit
        self.question = discord.ui.TextInput(
            label="Question",
            custom_id=QUESTION_ID,
            default=draft.question[:MAX_QUESTION_CHARS] or None,
            max_length=MAX_QUESTION_CHARS,
        )
        self.phrasings = discord.ui.TextInput(
            label="Other ways members ask it (one per line)",
            custom_id=PHRASINGS_ID,
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=2000,
            default="\n".join(draft.phrasings)[:2000] or None,
        )
        self.answer = discord.ui.TextInput(
            label="Answer (Markdown)",
            custom_id=ANSWER_ID,
            style=discord.TextStyle.paragraph,
            default=draft.answer[:MAX_ANSWER_CHARS] or None,
            max_length=MAX_ANSWER_CHARS,
        )
        self.sources = discord.ui.TextInput(
            label="Source passage ids (one per line)",
            custom_id=SOURCES_ID,
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1000,
            default="\n".join(draft.sources)[:1000] or None,
        )
        for item in (self.question, self.phrasings, self.answer, self.sources):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        ensure_moderator(interaction)  # demoted since the form was opened: nothing is saved
        draft = draft_of(
            {
                QUESTION_ID: self.question.value,
                ANSWER_ID: self.answer.value,
                PHRASINGS_ID: self.phrasings.value,
                SOURCES_ID: self.sources.value,
            }
        )
        await self._on_submit(interaction, draft)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


class OwnerView(discord.ui.View):
    """A view only the moderator who opened it may use, and only while still a moderator (checked
    at every click); buttons are disabled on timeout."""

    def __init__(self, owner_id: int, *, timeout: float = 300.0) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "These buttons belong to the moderator who ran the command.", ephemeral=True
            )
            return False
        ensure_moderator(interaction)  # raises for a moderator demoted since; on_error replies
        return True

    def disable(self) -> None:
        """Grey out every button (after a timeout)."""
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True

    async def on_timeout(self) -> None:
        self.disable()
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException as exc:
                logger.debug("could not disable buttons: %s", exc)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)


class ConfirmView(OwnerView):
    """Confirm / Cancel. ``on_confirm`` gets the interaction of the Confirm click."""

    def __init__(
        self,
        owner_id: int,
        on_confirm: Callable[[discord.Interaction], Awaitable[None]],
        *,
        label: str = "Confirm",
        style: discord.ButtonStyle = discord.ButtonStyle.danger,
    ) -> None:
        super().__init__(owner_id)
        self._on_confirm = on_confirm
        self.confirm.label = label
        self.confirm.style = style

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger, custom_id="confirm:yes")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Do the confirmed action."""
        self.disable()
        self.stop()
        await self._on_confirm(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="confirm:no")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Leave everything as it was."""
        self.disable()
        self.stop()
        await interaction.response.edit_message(content="Cancelled; nothing changed.", view=self)


# -- the review queue -----------------------------------------------------------------------------


@dataclass
class ReviewPage:
    """One page of ``/review``: an embed and the actions its buttons take."""

    embed: discord.Embed
    # "group" (questions waiting), "stale" (a curated answer whose sources changed) or "solved" (a
    # solved help thread)
    kind: str
    key: str  # the group's key, the curated answer's id or the solved thread's id
    item: Any = None  # what the page shows (a ReviewGroup or a CuratedAnswer), for the callbacks


REVIEW_PREFIX = "review:"
ReviewAction = Callable[[discord.Interaction, "ReviewView", ReviewPage, str], Awaitable[None]]


class ReviewView(OwnerView):
    """Pages through the review queue; the buttons under a page depend on its kind. Its buttons'
    custom ids start with :data:`REVIEW_PREFIX` (a click on them once the view is gone is answered
    by the cog: see ``Review.on_interaction``)."""

    # The review views whose messages are shown now, by message id (every cog that sends one): a
    # click on a review button of any other message is an expired one.
    shown: ClassVar[weakref.WeakValueDictionary[int, ReviewView]] = weakref.WeakValueDictionary()

    def __init__(self, owner_id: int, pages: Sequence[ReviewPage], on_action: ReviewAction) -> None:
        super().__init__(owner_id, timeout=900)
        self.pages = list(pages)
        self.index = 0
        self._on_action = on_action
        self.refresh_buttons()

    def sent(self, message: discord.Message) -> None:
        """The view is shown in ``message``: its clicks are answered until it times out."""
        self.message = message
        ReviewView.shown[message.id] = self

    @classmethod
    def live(cls, message_id: int) -> bool:
        """Whether a review view still answers the clicks on ``message_id``."""
        view = cls.shown.get(message_id)
        return view is not None and not view.is_finished()

    @property
    def page(self) -> ReviewPage:
        """The page shown now."""
        return self.pages[self.index]

    def refresh_buttons(self) -> None:
        """Show the buttons that fit the current page and position."""
        self.clear_items()
        if len(self.pages) > 1:
            self.add_item(self._button("◀", "review:prev", discord.ButtonStyle.secondary, self.index == 0))
            self.add_item(
                self._button(
                    f"{self.index + 1}/{len(self.pages)}",
                    "review:counter",
                    discord.ButtonStyle.secondary,
                    True,
                )
            )
            self.add_item(
                self._button(
                    "▶", "review:next", discord.ButtonStyle.secondary, self.index >= len(self.pages) - 1
                )
            )
        if not self.pages:
            return
        if self.page.kind == "group":
            self.add_item(self._button("Write answer", "review:write", discord.ButtonStyle.primary))
            self.add_item(self._button("Dismiss", "review:dismiss", discord.ButtonStyle.secondary))
            self.add_item(self._button("Why?", "review:why", discord.ButtonStyle.secondary))
        elif self.page.kind == "stale":
            self.add_item(self._button("Keep", "review:keep", discord.ButtonStyle.success))
            self.add_item(self._button("Edit", "review:edit", discord.ButtonStyle.primary))
            self.add_item(self._button("Retire", "review:retire", discord.ButtonStyle.danger))
        elif self.page.kind == "solved":
            self.add_item(self._button("Save as curated", "review:save", discord.ButtonStyle.success))
            self.add_item(self._button("Add to knowledge", "review:knowledge", discord.ButtonStyle.primary))
            self.add_item(self._button("Dismiss", "review:dismiss", discord.ButtonStyle.secondary))

    def _button(
        self, label: str, custom_id: str, style: discord.ButtonStyle, disabled: bool = False
    ) -> discord.ui.Button:
        button = discord.ui.Button(label=label, custom_id=custom_id, style=style, disabled=disabled)
        button.callback = self._make_callback(custom_id.split(":", 1)[1])
        return button

    def _make_callback(self, action: str) -> Callable[[discord.Interaction], Awaitable[None]]:
        async def callback(interaction: discord.Interaction) -> None:
            if action in ("prev", "next"):
                self.index = max(0, min(self.index + (1 if action == "next" else -1), len(self.pages) - 1))
                self.refresh_buttons()
                await interaction.response.edit_message(embed=self.page.embed, view=self)
                return
            await self._on_action(interaction, self, self.page, action)

        return callback

    def drop_current(self) -> None:
        """Remove the page just handled and move to the next one."""
        del self.pages[self.index]
        self.index = min(self.index, max(len(self.pages) - 1, 0))
        self.refresh_buttons()


# -- persistent buttons on the moderator channel's notices ----------------------------------------


class StaleAnswerButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"citebot:stale:(?P<action>keep|edit|retire):(?P<id>\d+)",
):
    """Keep / Edit / Retire under a moderator-channel notice; works after a restart, since the
    custom id carries the action and the curated answer's id."""

    LABELS: ClassVar[dict[str, tuple[str, discord.ButtonStyle]]] = {
        "keep": ("Keep", discord.ButtonStyle.success),
        "edit": ("Edit", discord.ButtonStyle.primary),
        "retire": ("Retire", discord.ButtonStyle.danger),
    }

    def __init__(self, action: str, answer_id: int) -> None:
        label, style = self.LABELS[action]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"citebot:stale:{action}:{answer_id}")
        )
        self.action = action
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> StaleAnswerButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to whoever handles reviews (``Review.on_stale_answer_action``)."""
        interaction.client.dispatch("stale_answer_action", interaction, self.action, self.answer_id)


def stale_view(answer_id: int) -> discord.ui.View:
    """The persistent Keep/Edit/Retire buttons for one flagged curated answer."""
    view = discord.ui.View(timeout=None)
    for action in ("keep", "edit", "retire"):
        view.add_item(StaleAnswerButton(action, answer_id))
    return view
