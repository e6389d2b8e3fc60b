"""From a member's question to a ready-to-send reply, shared by ``/ask``, mentions and help channels.

Each post is read once (:meth:`ReplyService.read`: the Assistant's analysis, red flags included)
before anything that can fail, then answered from that reading. Analysis, retrieval and the store run
in worker threads so the event loop stays responsive; the reply gets its notices (a red-flag warning
first, the daily medical notice) and the persistent answer buttons. Recording the answer is best
effort: a member who describes warning signs always gets the red-flag message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import discord

from knowledge import Answer, Hit, Question, QuestionError
from knowledge.analysis import Analysis
from knowledge.notices import phrase
from knowledge.question import asks_something, content_words
from knowledge.safety import RedFlag
from knowledge.source_questions import is_source_question, is_summary_request
from knowledge.store import StoreUnavailable

from . import render
from .completion import completions
from .ui.answer import ReasonModal, answer_view
from .ui.paginator import Paginator

if TYPE_CHECKING:
    from knowledge.tenancy import ServerState

    from .config import Config

logger = logging.getLogger(__name__)

# A question others asked is suggested only once it was answered this often: one member's own
# wording (perhaps private, perhaps personal) is not offered to everyone.
FREQUENT_MIN_ANSWERED = 3
FREQUENT_REFRESH_SECONDS = 300.0
# Words of the documents a post must name to be answered unprompted when it does not ask in so many
# words: a problem report ("TemplateNotFound with FileSystemLoader in a package") names several.
UNPROMPTED_MIN_WORDS = 3


class AnsweringBot(Protocol):
    """What the reply service reads from the bot (:class:`bot.core.CitebotCore` has it), so that
    this module needs nothing from ``bot.app``."""

    config: Config

    def server(self, guild_id: int | None) -> ServerState:
        """The state of one server (None: direct messages)."""

    def loaded_server(self, guild_id: int | None) -> ServerState | None:
        """The state of one server if it is loaded already, without loading it."""


NOT_RECORDED = "This answer could not be recorded, so it has no buttons; votes can't be taken right now."
VOTES_UNAVAILABLE = "Thanks! Votes can't be recorded right now, sorry; please try again later."

_LINK = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")
# A server's own emoji as Discord sends them, ``<:name:id>`` or animated ``<a:name:id>``: their
# names ("pepe", "heart") and ids are no words of a question, and turned "thanks <:heart:…>" into one.
_CUSTOM_EMOJI = re.compile(r"<a?:\w{1,32}:\d+>")


def has_custom_emoji(text: str) -> bool:
    """Whether ``text`` holds a custom emoji's markup."""
    return _CUSTOM_EMOJI.search(text) is not None


def without_emoji(text: str) -> str:
    """``text`` without the markup of custom emoji (Unicode emoji are left as they are)."""
    return " ".join(_CUSTOM_EMOJI.sub(" ", text).split())


def without_mentions(text: str) -> str:
    """A member's question without mention or custom emoji markup: pings and emoji are not part of
    what is asked."""
    return without_emoji(_MENTION.sub(" ", text))


def fuzzy_filter(current: str, texts: Iterable[str], limit: int = render.CHOICES_MAX) -> list[str]:
    """``texts`` that contain every word typed so far (case-insensitive), prefix matches first."""
    words = current.casefold().split()
    matches = [t for t in texts if all(w in t.casefold() for w in words)]
    typed = current.casefold().strip()
    matches.sort(key=lambda t: (not t.casefold().startswith(typed), len(t)))
    return matches[:limit]


@dataclass(frozen=True)
class Asked:
    """A member's post read once, before anything that can fail: its ``analysis`` (None when it
    could not be made: nothing to look up, see ``error``, or the server failing) and the red flag
    it shows, if any."""

    text: str  # the member's words without mentions
    analysis: Analysis | None
    red_flag: RedFlag | None = None
    error: QuestionError | None = None
    context: str = ""  # the earlier question of a follow-up

    @property
    def notice(self) -> str:
        """The red-flag notice to send first ("" for none)."""
        return self.red_flag.message if self.red_flag else ""


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
        self._red_flags = bot.config.notices.red_flag_check()
        # First sources of /ask autocomplete suggestions, each given the asker's server: curated
        # questions add theirs here. Then come questions asked and answered often in that server,
        # then the knowledge base's section names.
        self.suggesters: list[Suggester] = []
        # Per server: when its frequent questions were last read, and what they were.
        self._frequent: dict[int | None, tuple[float, list[str]]] = {}

    # -- asking -------------------------------------------------------------------------------

    async def read(self, text: str, *, guild_id: int | None, context: str = "", load: bool = True) -> Asked:
        """``text`` (a member's post) read once by the server's assistant, in a worker thread:
        cleaned, rewritten by the glossaries, checked for red flags. Never raises, so the red-flag
        message is certain: when the analysis cannot be made (the server failing to load, or not
        loaded and ``load`` is False, for a post that gets no answer anyway) the member's own
        words are checked alone. ``context`` is the earlier question of a follow-up."""
        words = without_mentions(text) or text

        def read() -> Asked:
            try:
                state = self.bot.server(guild_id) if load else self.bot.loaded_server(guild_id)
                if state is not None:
                    analysis = state.assistant.analyse(words, context=context)
                    return Asked(words, analysis, analysis.red_flag, context=context)
            except QuestionError as exc:
                return Asked(words, None, error=exc, context=context)
            except Exception:
                logger.exception("a question could not be analysed; checking its words for red flags alone")
            return Asked(words, None, self._red_flags.check(words), context=context)

        return await asyncio.to_thread(read)

    def confident(self, answer: Answer) -> bool:
        """Good enough to post unprompted (help channels, forum posts): answered at
        ``answers.auto_min_confidence`` or more, to a post that asks something or names at least
        :data:`UNPROMPTED_MIN_WORDS` things, links aside. "thanks, that worked!", "same error here"
        or "works now" cover their one word of the documents fully, and are nobody's question."""
        if not (answer.answered and answer.confidence >= self.bot.config.answers.auto_min_confidence):
            return False
        text = _LINK.sub(" ", answer.question)  # a shared link ("docs are here: https://…") asks nothing
        return (
            asks_something(text)
            or is_summary_request(text)
            or is_source_question(text)
            or len(content_words(text)) >= UNPROMPTED_MIN_WORDS
        )

    @staticmethod
    def question(text: str) -> Question:
        """A member's words as a question: mentions out, cleaned; raises QuestionError when empty,
        or mentions alone ("@here" asks nothing)."""
        return Question.parse(without_mentions(text))

    async def ask(self, asked: Asked, *, guild_id: int | None) -> Answer:
        """Only the answer to a post :meth:`read` before, from the server's assistant in a worker
        thread. Raises the reading's QuestionError for a post with nothing to look up."""
        if asked.error is not None:
            raise asked.error
        k = self.bot.config.answers.passages

        def answer() -> Answer:
            assistant = self.bot.server(guild_id).assistant
            # A reading that failed is tried again here, so its error reaches the caller.
            if asked.analysis is not None:
                return assistant.ask(asked.analysis, k=k)
            return assistant.ask(asked.text, context=asked.context, k=k)

        return await asyncio.to_thread(answer)

    async def reply(
        self,
        answer: Answer,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        context: str = "",
        red_flag: str = "",
    ) -> Reply:
        """Record ``answer`` and build its reply, led by ``red_flag`` (the notice of the post's
        reading, when it was read on its own: a forum post's title may flag what the question
        answered does not) or else the answer's own. When the store fails the reply still goes out,
        without buttons and with the medical notice (which goes with answers and warnings, not
        with a plain decline)."""
        store = self.bot.server(guild_id).store
        # Sources page n is the passage the reply cites as [n] (Answer.sources numbers them once).
        passage_ids = [hit.passage_id for hit in answer.sources()]
        day = discord.utils.utcnow().date().isoformat()

        answered = answer.served  # the moderators' curated answer answers it even when the passages do not

        def remember() -> tuple[str | None, bool]:
            # Best effort: a member is answered (with every notice) even when nothing can be
            # recorded; the reply then has no buttons, since they would find no answer on record.
            try:
                answer_id = store.record_answer(
                    answer.question,
                    passage_ids,
                    answered,
                    user_id=user_id,
                    channel_id=channel_id,
                    context=context,
                )
            except StoreUnavailable:
                # Not knowing whether it was shown today, show the medical notice, and do not
                # keep the member waiting for a second failure.
                return None, advises
            if not advises:
                # The notice goes with what the documents say or a warning: a plain decline says
                # nothing to heed, and would use up the day's notice before the answer it belongs with.
                return answer_id, False
            try:
                first_today = store.mark_notice_shown(user_id, day)
            except StoreUnavailable:
                first_today = True
            return answer_id, first_today

        red_flag = red_flag or answer.safety
        advises = answered or bool(red_flag)
        answer_id, first_today = await asyncio.to_thread(remember)
        notices = self.bot.config.notices
        lines = []
        if red_flag:
            lines.append(red_flag)
        lines += [render.escape(phrase(n)) for n in answer.notices]
        if first_today:
            lines.append(render.small_print(notices.medical))
        embed = render.answer_embed(answer, answer_id=answer_id or "")
        if answer_id is None:
            embed.set_footer(text=NOT_RECORDED)
        return Reply(
            answer=answer,
            answer_id=answer_id,
            guild_id=guild_id,
            content=render.content_within(lines),
            embed=embed,
            view=answer_view(
                answer_id,
                sources=bool(passage_ids),
                # In a server, a decline's asker can pass the question to its moderators.
                declined=not answered and guild_id is not None,
            )
            if answer_id
            else None,
            red_flag=bool(red_flag),
        )

    async def sent(self, reply: Reply, message_id: int) -> None:
        """Remember the message showing ``reply``: replying to it asks a follow-up (best effort:
        the member already has the answer)."""
        if reply.answer_id is None:
            return
        store = self.bot.server(reply.guild_id).store
        # Logged by the store; a reply to this message is then a new question, not a follow-up.
        with contextlib.suppress(StoreUnavailable):
            await asyncio.to_thread(store.set_message, reply.answer_id, message_id)

    def suggestions(self, current: str, *, guild_id: int | None) -> list[str]:
        """Autocomplete for questions in a server: the registered suggesters' matches (curated
        questions), then questions members there asked and got answered often, then section names;
        in order, no repeats."""
        state = self.bot.server(guild_id)
        seen: dict[str, None] = {}
        for suggest in (*self.suggesters, self._frequent_suggestions, _section_suggestions):
            for text in suggest(state, current):
                seen.setdefault(text, None)
        return list(seen)

    def frequent_questions(self, state: ServerState) -> list[str]:
        """A server's questions answered at least ``FREQUENT_MIN_ANSWERED`` times, most answered
        first, red flags left out; read from its store at most every few minutes."""
        now = time.monotonic()
        read_at, questions = self._frequent.get(state.guild_id, (float("-inf"), []))
        if now - read_at < FREQUENT_REFRESH_SECONDS:
            return questions
        try:
            asked = state.store.most_asked(200)
            declined = {q.casefold(): n for q, n in state.store.most_asked(200, declined_only=True)}
        except StoreUnavailable:
            return questions
        answered = [(n - declined.get(q.casefold(), 0), q) for q, n in asked]
        flagged = state.assistant.is_red_flag
        often = [(n, q) for n, q in answered if n >= FREQUENT_MIN_ANSWERED and not flagged(q)]
        questions = [q for _, q in sorted(often, key=lambda item: -item[0])]
        self._frequent[state.guild_id] = (now, questions)
        return questions

    def _frequent_suggestions(self, state: ServerState, current: str) -> list[str]:
        words = current.casefold().split()
        # Most answered first, whatever is typed: the order is the point of this list.
        matches = [q for q in self.frequent_questions(state) if all(w in q.casefold() for w in words)]
        return matches[: render.CHOICES_MAX]

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

    async def vote_by_reaction(
        self, guild_id: int, message_id: int, user_id: int, vote: int, *, removed: bool = False
    ) -> bool:
        """A 👍/👎 reaction on the answer ``message_id`` shows: the member's vote, as the buttons
        record it (👎 without a reason), or, ``removed``, that vote taken back. False when the
        message shows no answer of this server or the store cannot be reached now (a reaction
        has nobody to tell)."""
        store = self.bot.server(guild_id).store

        def record() -> bool:
            answer = store.answer_for_message(message_id)
            if answer is None:
                return False
            if removed:
                return store.withdraw_feedback(answer.id, user_id, vote)
            return store.set_feedback(answer.id, user_id, vote)

        try:
            recorded = await asyncio.to_thread(record)
        except StoreUnavailable:
            logger.warning("a reaction vote on message %s could not be recorded", message_id)
            return False
        if recorded:
            logger.info("feedback %+d by reaction on message %s%s", vote, message_id, " withdrawn" * removed)
        return recorded

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


def _section_suggestions(state: ServerState, current: str) -> list[str]:
    """Section names of the server's knowledge matching ``current``: topics to ask about, never a
    whole document title (from the knowledge base's autocomplete index)."""
    indexed = completions(state.kb)
    return [indexed.section_names[i] for i in indexed.sections.search(current)]
