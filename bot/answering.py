"""From a member's question to a ready-to-send reply, shared by ``/ask``, mentions and help channels.

Retrieval and the store run in a worker thread so the event loop stays responsive; the reply gets
its notices (a red-flag warning first, the daily medical notice) and the persistent answer buttons.
Red flags are checked before anything that can fail, and recording the answer is best effort: a
member who describes warning signs always gets the red-flag message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import discord

from knowledge import Answer, Hit, Question

from . import render
from .ui.answer import ReasonModal, answer_view
from .ui.paginator import Paginator

if TYPE_CHECKING:
    from knowledge.assistant import Assistant
    from knowledge.store import Store

    from .config import Config

logger = logging.getLogger(__name__)

# A question others asked is suggested only once it was answered this often: one member's own
# wording (perhaps private, perhaps personal) is not offered to everyone.
FREQUENT_MIN_ANSWERED = 3
FREQUENT_REFRESH_SECONDS = 300.0


class AnsweringBot(Protocol):
    """What the reply service reads from the bot (:class:`bot.app.CitebotBot` has it), so that
    this module needs nothing from ``bot.app``."""

    config: Config
    assistant: Assistant | None
    store: Store | None


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
    answer_id: str
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
        if self.view is not None:  # no buttons when the answer could not be recorded
            kwargs["view"] = self.view
        return kwargs


class ReplyService:
    """The bot's side of answering: asks the :class:`~knowledge.Assistant`, records the answer in
    the store, builds the reply (notices, embed, buttons) and serves the buttons afterwards."""

    def __init__(self, bot: AnsweringBot) -> None:
        self.bot = bot
        self._red_flags = bot.config.notices.red_flag_check()
        # First sources of /ask autocomplete suggestions: curated questions add theirs here. Then
        # come questions asked and answered often, then the knowledge base's section names.
        self.suggesters: list[Callable[[str], Iterable[str]]] = []
        self._frequent: list[str] = []
        self._frequent_at = float("-inf")

    # -- asking -------------------------------------------------------------------------------

    def is_red_flag(self, *texts: str | None) -> bool:
        """Whether any of ``texts`` (a member's words), or its glossary rewrite, matches a red-flag
        pattern (``notices.red_flags``). Never raises: it runs before anything that can fail."""
        rewrites: list[str] = []
        glossary = getattr(self.bot.assistant, "glossary", None)
        for text in texts:
            if text and glossary is not None:
                try:
                    rewrites.append(glossary.expand(text).text)
                except Exception:
                    logger.exception("the glossary could not rewrite a question for the red-flag check")
        return self._red_flags.matches(*texts, *rewrites)

    @property
    def red_flag_message(self) -> str:
        """What a red-flagged question gets before anything else (``notices.red_flag_message``)."""
        return self._red_flags.message

    def confident(self, answer: Answer) -> bool:
        """Good enough to post unprompted (help channels, forum posts)."""
        return answer.answered and answer.confidence >= self.bot.config.answers.auto_min_confidence

    @staticmethod
    def question(text: str) -> Question:
        """A member's words as a question: mentions out, cleaned; raises QuestionError when empty."""
        return Question.parse(without_mentions(text) or text)

    async def ask(self, question: str | Question, *, context: str = "") -> Answer:
        """Only the answer, from the assistant in a worker thread (raises QuestionError for an
        empty question)."""
        k = self.bot.config.answers.passages
        if not isinstance(question, Question):
            question = self.question(question)
        return await asyncio.to_thread(self.bot.assistant.ask, question, context=context, k=k)

    async def reply(
        self,
        answer: Answer,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        asked: str | None = None,
        context: str = "",
        red_flag: bool | None = None,
    ) -> Reply:
        """Record ``answer`` and build its reply. ``asked`` is the member's own words, checked for
        red flags (the answer's question may have been shortened) unless ``red_flag`` says already.
        When the store fails the reply still goes out, without buttons and with the medical notice."""
        store = self.bot.store
        # Not deduplicated: Sources page n must be the passage the embed cites as [n], even when a
        # curated answer's source is also a retrieved passage.
        passage_ids = [hit.passage_id for hit in answer.sources()]
        day = discord.utils.utcnow().date().isoformat()

        def remember() -> tuple[str, bool]:
            answer_id = store.record_answer(
                answer.question,
                passage_ids,
                # A moderators' curated answer answers the question even when retrieval declined.
                answer.answered or answer.curated is not None,
                user_id=user_id,
                guild_id=guild_id,
                channel_id=channel_id,
                context=context,
            )
            return answer_id, store.mark_notice_shown(user_id, day)

        if red_flag is None:
            red_flag = self.is_red_flag(asked, answer.question)
        try:
            answer_id, first_today = await asyncio.to_thread(remember)
        except Exception:
            logger.exception("could not record an answer; replying without buttons")
            answer_id, first_today = "", True
        notices = self.bot.config.notices
        lines = []
        if red_flag:
            lines.append(self.red_flag_message)
        lines += [render.escape(n) for n in answer.notices]
        if first_today:
            lines.append(notices.medical)
        return Reply(
            answer=answer,
            answer_id=answer_id,
            content=render.content_within(lines),
            embed=render.answer_embed(answer, answer_id=answer_id),
            view=answer_view(answer_id, sources=bool(passage_ids)) if answer_id else None,
            red_flag=red_flag,
        )

    async def sent(self, reply: Reply, message_id: int) -> None:
        """Remember the message showing ``reply``: replying to it asks a follow-up (best effort:
        the member already has the answer)."""
        if not reply.answer_id:
            return
        try:
            await asyncio.to_thread(self.bot.store.set_message, reply.answer_id, message_id)
        except Exception:
            logger.exception("could not remember the message of answer %s", reply.answer_id)

    def suggestions(self, current: str) -> list[str]:
        """Autocomplete for questions: the registered suggesters' matches (curated questions), then
        questions members asked and got answered often, then section names; in order, no repeats."""
        seen: dict[str, None] = {}
        for suggest in (*self.suggesters, self._frequent_suggestions, self._section_suggestions):
            for text in suggest(current):
                seen.setdefault(text, None)
        return list(seen)

    def frequent_questions(self) -> list[str]:
        """Questions answered at least ``FREQUENT_MIN_ANSWERED`` times, most answered first, red
        flags left out; read from the store at most every few minutes."""
        now = time.monotonic()
        store = self.bot.store
        if store is None or now - self._frequent_at < FREQUENT_REFRESH_SECONDS:
            return self._frequent
        self._frequent_at = now
        try:
            asked = store.most_asked(200)
            declined = {q.casefold(): n for q, n in store.most_asked(200, declined_only=True)}
        except Exception:
            logger.exception("could not read the most asked questions for autocomplete")
            return self._frequent
        answered = [(n - declined.get(q.casefold(), 0), q) for q, n in asked]
        often = [(n, q) for n, q in answered if n >= FREQUENT_MIN_ANSWERED and not self.is_red_flag(q)]
        self._frequent = [q for _, q in sorted(often, key=lambda item: -item[0])]
        return self._frequent

    def _frequent_suggestions(self, current: str) -> list[str]:
        words = current.casefold().split()
        # Most answered first, whatever is typed: the order is the point of this list.
        matches = [q for q in self.frequent_questions() if all(w in q.casefold() for w in words)]
        return matches[: render.CHOICES_MAX]

    def _section_suggestions(self, current: str) -> list[str]:
        kb = self.bot.assistant.kb
        titles = {doc.title.casefold() for doc in kb.documents.values()}
        # The innermost heading of each passage: a topic to ask about, never a whole document title.
        names = dict.fromkeys(p.section[-1] for p in kb.passages if p.section)
        return fuzzy_filter(current, [n for n in names if n.casefold() not in titles])

    # -- buttons ------------------------------------------------------------------------------

    def hits_of(self, passage_ids: tuple[str, ...]) -> list[Hit]:
        """The passages still in the knowledge base, in order, as citable hits."""
        kb = self.bot.assistant.kb
        return [hit for pid in passage_ids if (hit := kb.hit(pid)) is not None]

    async def show_sources(self, interaction: discord.Interaction, answer_id: str) -> None:
        """The Sources button: the answer's passages in full, numbered as the answer cites them."""
        record = await asyncio.to_thread(self.bot.store.answer, answer_id)
        hits = self.hits_of(record.passage_ids) if record else []
        if not hits:
            await interaction.response.send_message(
                "Those sources are no longer in the knowledge base; ask again for a fresh answer.",
                ephemeral=True,
            )
            return
        paginator = Paginator(render.passage_pages(hits), owner_id=interaction.user.id)
        await paginator.send(interaction, ephemeral=True)

    async def vote(self, interaction: discord.Interaction, answer_id: str, vote: int) -> None:
        """The 👍/👎 buttons: record the vote; 👎 asks why."""
        store = self.bot.store
        if await asyncio.to_thread(store.answer, answer_id) is None:
            await interaction.response.send_message("That answer is no longer on record.", ephemeral=True)
            return
        await asyncio.to_thread(store.set_feedback, answer_id, interaction.user.id, vote)
        logger.info("feedback %+d on answer %s", vote, answer_id)
        if vote > 0:
            await interaction.response.send_message("Thanks, glad it helped! 👍", ephemeral=True)
        else:
            await interaction.response.send_modal(ReasonModal(answer_id, interaction.user.id))

    async def save_reason(self, interaction: discord.Interaction, answer_id: str, reason: str | None) -> None:
        """The 👎 modal: record why the answer did not help."""
        await asyncio.to_thread(self.bot.store.set_feedback, answer_id, interaction.user.id, -1, reason)
        await interaction.response.send_message(
            "Thanks, noted. Moderators review answers marked not helpful.", ephemeral=True
        )
