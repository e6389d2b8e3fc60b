"""From a member's question to a ready-to-send reply, shared by ``/ask``, mentions and help channels.

Retrieval and the store run in a worker thread so the event loop stays responsive; the reply gets
its notices (a red-flag warning first, the daily medical notice) and the persistent answer buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import discord

from knowledge import Answer, Hit, Question
from knowledge.store import StoreUnavailable

from . import render
from .ui.answer import ReasonModal, answer_view
from .ui.paginator import Paginator

if TYPE_CHECKING:
    from knowledge.tenancy import ServerState

    from .config import Config

logger = logging.getLogger(__name__)


class AnsweringBot(Protocol):
    """What the reply service reads from the bot (:class:`bot.app.CitebotBot` has it), so that
    this module needs nothing from ``bot.app``."""

    config: Config

    def server(self, guild_id: int | None) -> ServerState:
        """The state of one server (None: direct messages)."""


NOT_RECORDED = "This answer could not be recorded, so it has no buttons; votes can't be taken right now."
VOTES_UNAVAILABLE = "Thanks! Votes can't be recorded right now, sorry; please try again later."

_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")


def without_mentions(text: str) -> str:
    """A member's question without mention markup: pings are not part of what is asked."""
    return " ".join(_MENTION.sub(" ", text).split())


def fuzzy_filter(current: str, texts: Iterable[str], limit: int = render.CHOICES_MAX) -> list[str]:
    """``texts`` that contain every word typed so far (case-insensitive), prefix matches first."""
    words = current.casefold().split()
    matches = [t for t in texts if all(w in t.casefold() for w in words)]
    typed = current.casefold().strip()
    matches.sort(key=lambda t: (not t.casefold().startswith(typed), len(t)))
    return matches[:limit]


@dataclass
class Reply:
    """What to send for one question."""

    answer: Answer
    answer_id: str | None  # None when it could not be recorded (then there are no buttons)
    guild_id: int | None
    content: str
    embed: discord.Embed
    view: discord.ui.View | None
    red_flag: bool

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``send``/``reply``/``edit_original_response``."""
        # Echoed member text must never ping anyone, whatever the bot-wide default says.
        kwargs: dict[str, Any] = {
            "content": self.content or None,
            "embed": self.embed,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs


Suggester = Callable[["ServerState", str], Iterable[str]]


class ReplyService:
    """The bot's side of answering: asks the server's :class:`~knowledge.Assistant`, records the
    answer in the server's store, builds the reply (notices, embed, buttons) and serves the buttons
    afterwards. Every call names the server (the interaction's or message's guild)."""

    def __init__(self, bot: AnsweringBot) -> None:
        self.bot = bot
        self._red_flags = bot.config.notices.compiled_red_flags()
        # Sources of /ask autocomplete suggestions, each given the asker's server; curated
        # questions add theirs here.
        self.suggesters: list[Suggester] = [self._title_suggestions]

    # -- asking -------------------------------------------------------------------------------

    def is_red_flag(self, text: str) -> bool:
        """Whether ``text`` matches a red-flag pattern (see ``notices.red_flags``)."""
        return any(pattern.search(text) for pattern in self._red_flags)

    def confident(self, answer: Answer) -> bool:
        """Good enough to post unprompted (help channels, forum posts)."""
        return answer.answered and answer.confidence >= self.bot.config.answers.auto_min_confidence

    @staticmethod
    def question(text: str) -> Question:
        """A member's words as a question: mentions out, cleaned; raises QuestionError when empty."""
        return Question.parse(without_mentions(text) or text)

    async def ask(self, question: str | Question, *, guild_id: int | None, context: str = "") -> Answer:
        """Only the answer, from the server's assistant in a worker thread (raises QuestionError
        for an empty question)."""
        k = self.bot.config.answers.passages
        if not isinstance(question, Question):
            question = self.question(question)
        asked = question

        def answer() -> Answer:
            # In the worker thread too: a server not loaded yet is loaded here, off the event loop.
            return self.bot.server(guild_id).assistant.ask(asked, context=context, k=k)

        return await asyncio.to_thread(answer)

    async def reply(
        self,
        answer: Answer,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        asked: str | None = None,
        context: str = "",
    ) -> Reply:
        """Record ``answer`` and build its reply. ``asked`` is the member's own words, checked for
        red flags (the answer's question may have been shortened)."""
        store = self.bot.server(guild_id).store
        # Not deduplicated: Sources page n must be the passage the embed cites as [n], even when a
        # curated answer's source is also a retrieved passage.
        passage_ids = [hit.passage_id for hit in answer.sources()]
        day = discord.utils.utcnow().date().isoformat()

        def remember() -> tuple[str | None, bool]:
            # Best effort: a member is answered (with every notice) even when nothing can be
            # recorded; the reply then has no buttons, since they would find no answer on record.
            try:
                answer_id = store.record_answer(
                    answer.question,
                    passage_ids,
                    # A moderators' curated answer answers the question even when retrieval declined.
                    answer.answered or answer.curated is not None,
                    user_id=user_id,
                    channel_id=channel_id,
                    context=context,
                )
            except StoreUnavailable:
                # Not knowing whether it was shown today, show the medical notice, and do not
                # keep the member waiting for a second failure.
                return None, True
            try:
                first_today = store.mark_notice_shown(user_id, day)
            except StoreUnavailable:
                first_today = True
            return answer_id, first_today

        answer_id, first_today = await asyncio.to_thread(remember)
        notices = self.bot.config.notices
        red_flag = self.is_red_flag(asked or answer.question)
        lines = []
        if red_flag:
            lines.append(notices.red_flag_message)
        lines += [render.escape(n) for n in answer.notices]
        if first_today:
            lines.append(notices.medical)
        embed = render.answer_embed(answer, answer_id=answer_id or "")
        if answer_id is None:
            embed.set_footer(text=NOT_RECORDED)
        return Reply(
            answer=answer,
            answer_id=answer_id,
            guild_id=guild_id,
            content=render.content_within(lines),
            embed=embed,
            view=answer_view(answer_id, sources=bool(passage_ids)) if answer_id else None,
            red_flag=red_flag,
        )

    async def sent(self, reply: Reply, message_id: int) -> None:
        """Remember the message showing ``reply``: replying to it asks a follow-up."""
        if reply.answer_id is None:
            return
        store = self.bot.server(reply.guild_id).store
        # Logged by the store; a reply to this message is then a new question, not a follow-up.
        with contextlib.suppress(StoreUnavailable):
            await asyncio.to_thread(store.set_message, reply.answer_id, message_id)

    def suggestions(self, current: str, *, guild_id: int | None) -> list[str]:
        """Autocomplete for questions in a server: every suggester's matches, in order, without
        repeats."""
        state = self.bot.server(guild_id)
        seen: dict[str, None] = {}
        for suggest in self.suggesters:
            for text in suggest(state, current):
                seen.setdefault(text, None)
        return list(seen)

    @staticmethod
    def _title_suggestions(state: ServerState, current: str) -> list[str]:
        titles = [doc.title for doc in state.kb.documents.values()]
        return fuzzy_filter(current, titles)

    # -- buttons ------------------------------------------------------------------------------

    @staticmethod
    def hits_of(state: ServerState, passage_ids: tuple[str, ...]) -> list[Hit]:
        """The passages still in the server's knowledge base, in order, as citable hits."""
        kb = state.kb
        return [hit for pid in passage_ids if (hit := kb.hit(pid)) is not None]

    async def show_sources(self, interaction: discord.Interaction, answer_id: str) -> None:
        """The Sources button: the answer's passages in full, numbered as the answer cites them.
        An answer of another server is not found."""
        state = self.bot.server(interaction.guild_id)
        record = await asyncio.to_thread(state.store.answer, answer_id)
        hits = self.hits_of(state, record.passage_ids) if record else []
        if not hits:
            await interaction.response.send_message(
                "Those sources are no longer in the knowledge base; ask again for a fresh answer.",
                ephemeral=True,
            )
            return
        paginator = Paginator(render.passage_pages(hits), owner_id=interaction.user.id)
        await paginator.send(interaction, ephemeral=True)

    async def vote(self, interaction: discord.Interaction, answer_id: str, vote: int) -> None:
        """The 👍/👎 buttons: record the vote; 👎 asks why. An answer of another server is not
        on record here."""
        store = self.bot.server(interaction.guild_id).store
        try:
            if await asyncio.to_thread(store.answer, answer_id) is None:
                await interaction.response.send_message("That answer is no longer on record.", ephemeral=True)
                return
            await asyncio.to_thread(store.set_feedback, answer_id, interaction.user.id, vote)
        except StoreUnavailable:
            await interaction.response.send_message(VOTES_UNAVAILABLE, ephemeral=True)
            return
        logger.info("feedback %+d on answer %s", vote, answer_id)
        if vote > 0:
            await interaction.response.send_message("Thanks, glad it helped! 👍", ephemeral=True)
        else:
            await interaction.response.send_modal(ReasonModal(answer_id, interaction.user.id))

    async def save_reason(self, interaction: discord.Interaction, answer_id: str, reason: str | None) -> None:
        """The 👎 modal: record why the answer did not help."""
        store = self.bot.server(interaction.guild_id).store
        try:
            recorded = await asyncio.to_thread(store.set_feedback, answer_id, interaction.user.id, -1, reason)
        except StoreUnavailable:
            await interaction.response.send_message(VOTES_UNAVAILABLE, ephemeral=True)
            return
        if not recorded:
            await interaction.response.send_message("That answer is no longer on record.", ephemeral=True)
            return
        await interaction.response.send_message(
            "Thanks, noted. Moderators review answers marked not helpful.", ephemeral=True
        )
