"""Answers in conversation: @mentions, replies to the bot's answers, help channels and forum posts.

- An @mention with a question is always answered (or plainly declined), inline or in a new thread.
- A reply to one of the bot's answers, or any message in a thread the bot started, is a follow-up:
  the earlier question counts with the new one.
  Chatter there, or after a mention ("thanks!", "ok", "lol", an emoji), gets no answer: a 👍 for
  thanks at most.
- In configured help channels, and on each new post in configured forum channels, the bot speaks
  only when it is confident; otherwise it stays quiet and leaves the question to people.
- On every path a question describing warning signs gets the red-flag message, checked first, even
  when the bot would otherwise stay quiet, the member is over the rate limit or answering fails.
- Every way of asking shares the member's ``/ask`` rate limit in the server (moderators are exempt).
  Over it, a mention or follow-up gets no answer and one short "slow down" note per cooldown window;
  help channels and forum posts stay silent. A question the bot stays quiet on does not count.

Mentions and replies that ping the bot carry their text even without the privileged
message-content intent; help channels and forum bodies need it (forum titles don't).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from knowledge import Answer, QuestionError
from knowledge.question import content_words
from knowledge.safety import most_urgent
from knowledge.source_questions import is_source_question
from knowledge.store import AnswerRecord

from .. import render
from ..answering import Reply, has_custom_emoji, without_emoji
from ..chatter import (
    ABOUT_REPLY,
    MISSED_REPLY,
    follow_up_context,
    is_about_the_bot,
    is_chatter,
    is_greeting,
    is_missed,
    is_thanks,
)
from ..checks import use_token
from ..cooldowns import member_key
from ..utils import tell_cannot_reply
from .errors import user_message

if TYPE_CHECKING:
    from ..core import CitebotCore

logger = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 100
# Said to a bare mention and to a greeting: how to ask, in words that fit any server's documents.
EMPTY_MENTION_REPLY = (
    "Ask me a question after the mention, like “@{name} how does … work?”, or use `/ask`; "
    "`/topics` lists the documents I answer from."
)
GREETING_REPLY = "Hi! " + EMPTY_MENTION_REPLY
# Said to a follow-up that names nothing new ("why?", "tell me more").
NOTHING_NEW_REPLY = (
    "The documents say no more about it than that answer; its **Sources** button shows the passages "
    "in full. Ask about something more specific to go further."
)
# Said to "@citebot can you answer this?" in reply to a message whose words Discord does not send.
QUOTED_UNREAD_REPLY = (
    "I can't read the message you replied to here; put the question in words after the mention, "
    "or use `/ask`."
)
# Said to it after a decline: there was no answer to say more about.
NOTHING_FOUND_REPLY = (
    "I found no answer to that in the documents, so I can't say more. Asking in other words may find "
    "one; **Ask the moderators** under it tells this server's moderators."
)
# Said to "source?" in reply to an answer: that answer's own citations.
SOURCES_OF_REPLY = "That answer comes from:"
SOURCES_BUTTON_NOTE = "Its **Sources** button shows each passage in full."
NO_SOURCE_REPLY = (
    "I found no answer to that in the documents, so there is no source to give; **Sources** under it "
    "lists the closest passages."
)
NO_PASSAGE_REPLY = "That answer was written by this server's moderators and cites no document."
GONE_SOURCES_REPLY = (
    "That answer's sources are no longer in the knowledge base; ask again for a fresh answer."
)

# Words a question about where something comes from uses, naming nothing of the documents.
_SOURCE_WORDS = frozenset(
    re.split(
        r"\s+",
        "source sources wrote write written writer author authors doi published publish link links "
        "read original cite cited citation reference references ref refs",
    )
)


# A message that opens with a member's or a role's mention is addressed to them.
_ADDRESSED = re.compile(r"\s*<@[!&]?\d+>")


def _asks_whose_source(text: str) -> bool:
    """Whether ``text`` asks where something comes from without naming any of it ("source?",
    "where is this from", "who wrote the article?"): asked unprompted, of what someone said."""
    return is_source_question(text) and not set(content_words(text)) - _SOURCE_WORDS


class Conversation(commands.Cog):
    """Answers @mentions, follow-ups and questions in help channels and forum posts."""

    def __init__(self, bot: CitebotCore) -> None:
        self.bot = bot
        # Forum posts created since start whose opening message hasn't arrived yet.
        self._new_posts: set[int] = set()

    # -- events -------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """Note new forum posts, whose opening message may arrive after the thread."""
        forums = self.bot.settings(thread.guild.id).forum_channels
        if thread.parent_id in forums and thread.owner_id != self.bot.user.id:
            self._new_posts.add(thread.id)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer a message that asks the bot, follows up on an answer or asks in a help channel;
        when the channel refuses the reply, the member is told privately."""
        if message.author.bot or message.guild is None or self.bot.user is None:
            return
        try:
            await self._on_message(message)
        except discord.Forbidden as exc:
            await tell_cannot_reply(message, exc, new_thread=self.bot.config.answers.reply_in_thread)

    async def _on_message(self, message: discord.Message) -> None:
        channel = message.channel
        settings = self.bot.settings(message.guild.id)
        in_forum = isinstance(channel, discord.Thread) and channel.parent_id in settings.forum_channels
        if in_forum and self._is_forum_starter(message, channel):
            await self._answer_forum_post(message, channel)
            return
        text = self._strip_mention(message.content)
        if not text and has_custom_emoji(message.content):
            return  # a custom emoji alone, as a reply or after a mention, is chatter as "👍" is
        mentioned = self.bot.user in message.mentions
        try:
            previous = await self._previous_turn(message)
        except Exception:
            logger.exception("could not look up the answer this message follows up on")
            previous = None
            # A mention is answered below anyway; a follow-up in the bot's thread still gets the warning.
            if text and not mentioned and self._in_own_thread(channel):
                read = await self.bot.answers.read(text, guild_id=message.guild.id, load=False)
                if read.notice:
                    await self._red_flag_only(message, read.notice)
                    return
        if mentioned and previous is None and message.reference is not None and self._points_back(text):
            # "@citebot can you answer this?" in reply to a member's question asks the bot about it.
            quoted = await self._quoted(message)
            if quoted:
                await self._answer(message, quoted, auto=False)
                return
            if quoted is not None:  # a member's message whose words the bot is not sent
                await message.reply(QUOTED_UNREAD_REPLY, allowed_mentions=discord.AllowedMentions.none())
                return
        if previous is not None and self._to_someone_else(message):
            # "@bob you should read this" in reply to an answer shares it with bob: his to answer.
            await self._red_flag_only_if_any(message, text)
            return
        if previous is not None and is_missed(text):
            # "you're wrong" to an answer is feedback: the same answer again would not help.
            await message.reply(MISSED_REPLY, allowed_mentions=discord.AllowedMentions.none())
            return
        if (mentioned or previous is not None) and is_about_the_bot(text):
            await message.reply(ABOUT_REPLY, allowed_mentions=discord.AllowedMentions.none())
            return
        if mentioned and is_greeting(text):
            # "@citebot hi" greets: it is told how to ask, not that "hi" is not in the knowledge base.
            await message.reply(
                GREETING_REPLY.format(name=self.bot.user.display_name),
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        if (previous is not None or mentioned) and text and (is_chatter(text) or is_greeting(text)):
            # "thanks!" to the bot is not a question: a 👍 says it was seen, anything else waits.
            if is_thanks(text):
                await message.add_reaction("👍")
            return
        if previous is not None and text and not content_words(text):
            # "source?" asks where that answer comes from; "why?", "tell me more", with nothing of
            # their own to look up, would get the same answer (or decline) again.
            reply = self._sources_of(previous) if is_source_question(text) else self._nothing_new(previous)
            await message.reply(reply, allowed_mentions=discord.AllowedMentions.none())
            return
        if previous is not None and text:
            context = follow_up_context(previous.context, previous.question)
            await self._answer(message, text, context=context, auto=False)
        elif mentioned:
            if not text:
                await message.reply(
                    EMPTY_MENTION_REPLY.format(name=self.bot.user.display_name),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
                return
            await self._answer(message, text, auto=False)
        elif channel.id in settings.help_channels and text and not self._for_people(text):
            if message.reference is not None:
                # A reply to another member ("source?" to their claim) is theirs to answer; only
                # warning signs in it are never left unsaid.
                await self._red_flag_only_if_any(message, text)
                return
            await self._answer(message, text, auto=True)

    # -- helpers ------------------------------------------------------------------------------

    def _to_someone_else(self, message: discord.Message) -> bool:
        """Whether ``message`` opens by naming another member or a role ("@bob you should read
        this"), and names the bot nowhere (a reply to the bot's answer notifies the bot without
        naming it in the text)."""
        me = self.bot.user.id
        if re.search(rf"<@!?{me}>", message.content):
            return False
        return _ADDRESSED.match(message.content) is not None

    @staticmethod
    def _points_back(text: str) -> bool:
        """Whether a mention's own words name nothing to look up ("is this true?", "^", "can you
        answer this?"), so that it asks about the message it replies to."""
        return not content_words(text) and not is_thanks(text) and not is_greeting(text)

    async def _quoted(self, message: discord.Message) -> str | None:
        """The words of the member's message ``message`` replies to: None when it replies to no
        member's message, "" when its words are not sent to the bot (without the message content
        intent, Discord sends them only for messages that mention it)."""
        ref = message.reference
        quoted = ref.resolved if ref is not None else None
        if not isinstance(quoted, discord.Message) and ref is not None and ref.message_id is not None:
            try:
                quoted = await message.channel.fetch_message(ref.message_id)
            except discord.HTTPException:
                return None
        if not isinstance(quoted, discord.Message) or quoted.author.bot:
            return None
        return self._strip_mention(quoted.content)

    def _sources_of(self, previous: AnswerRecord) -> str:
        """Where the answer ``previous`` comes from, for a "source?" in reply to it: the full
        citations it cites, numbered as it numbers them."""
        if not previous.answered:
            return NO_SOURCE_REPLY
        state = self.bot.server(previous.guild_id)
        hits = self.bot.answers.hits_of(state, previous.passage_ids)
        if not hits:  # the moderators' own words, or passages since removed
            return NO_PASSAGE_REPLY if not previous.passage_ids else GONE_SOURCES_REPLY
        cited = [render.citation_line(n, hit) for n, hit in enumerate(hits, 1)]
        return render.join_within([SOURCES_OF_REPLY, *cited, SOURCES_BUTTON_NOTE], render.CONTENT_LIMIT)

    @staticmethod
    def _nothing_new(previous: AnswerRecord) -> str:
        """What a follow-up naming nothing new ("why?") is told: the documents say no more, or,
        after a decline, that they had nothing to say."""
        return NOTHING_NEW_REPLY if previous.answered else NOTHING_FOUND_REPLY

    @staticmethod
    def _for_people(text: str) -> bool:
        """Whether a help channel's post is meant for the people there, not a question for the
        documents: "thank you so much, that helped" or "can someone help me?" (though "help" may
        well be a word of the documents), a greeting, "what can you do?", or "source?" and "who
        wrote this?" asked of what someone said."""
        return is_chatter(text) or is_greeting(text) or is_about_the_bot(text) or _asks_whose_source(text)

    def _strip_mention(self, content: str) -> str:
        """The message without the bot's mention and custom emoji: "thanks <:heart:…>" is chatter."""
        me = self.bot.user.id
        return without_emoji(re.sub(rf"<@!?{me}>", " ", content))

    def _is_forum_starter(self, message: discord.Message, thread: discord.Thread) -> bool:
        # On Discord the opening message of a forum post has the thread's id.
        if message.id == thread.id or (thread.id in self._new_posts and message.author.id == thread.owner_id):
            self._new_posts.discard(thread.id)
            return True
        return False

    async def _previous_turn(self, message: discord.Message) -> AnswerRecord | None:
        """The answer this message follows up on: the one it replies to, or the last one in a
        thread the bot started."""
        store = self.bot.server(message.guild.id).store
        ref = message.reference
        if ref is not None and ref.message_id is not None:
            record = await asyncio.to_thread(store.answer_for_message, ref.message_id)
            if record is not None:
                return record
        channel = message.channel
        if self._in_own_thread(channel):
            return await asyncio.to_thread(store.last_answer_in, channel.id)
        return None

    def _in_own_thread(self, channel: discord.abc.Messageable) -> bool:
        return isinstance(channel, discord.Thread) and channel.owner_id == self.bot.user.id

    async def _answer(self, message: discord.Message, text: str, *, context: str = "", auto: bool) -> None:
        service = self.bot.answers
        # First, read once: whatever fails next, its red-flag message goes out.
        read = await service.read(text, guild_id=message.guild.id, context=context)
        red_flag = read.notice
        if await self._over_limit(message, red_flag=red_flag, quiet=auto):
            return
        try:
            answer = await service.ask(read, guild_id=message.guild.id)
            if auto and not service.confident(answer):
                logger.debug(
                    "help channel question not confident enough (%.2f); staying quiet", answer.confidence
                )
                self._refund(message)
                if red_flag:
                    await self._red_flag_only(message, red_flag)
                return
            await self._send(message, answer, asked=read.text, context=context, red_flag=red_flag)
        except QuestionError as exc:
            # Nothing to look up ("🍼❓"): quiet in a help channel, said to a member who asked the bot.
            self._refund(message)
            if not auto:
                await message.reply(str(exc), allowed_mentions=discord.AllowedMentions.none())
        except discord.Forbidden:
            if red_flag:  # no thread, say; an inline reply may still be allowed
                await self._red_flag_only(message, red_flag)
            raise
        except Exception:
            logger.exception("answering a message failed")
            if red_flag:
                await self._red_flag_only(message, red_flag, sorry=not auto)
            elif not auto:
                await message.reply(
                    "Sorry, something went wrong on my side; please try again later.",
                    allowed_mentions=discord.AllowedMentions.none(),
                )

    async def _over_limit(self, message: discord.Message, *, red_flag: str, quiet: bool) -> bool:
        """Use one of the member's asking tokens; when none is left, send the red-flag message (if
        any: ``red_flag``) and, unless ``quiet``, the first "slow down" note of the window, and say True."""
        buckets = self.bot.ask_cooldowns
        now = message.created_at.timestamp()
        try:
            moderators = self.bot.settings(message.guild.id).moderator_roles
            use_token(buckets, message.author, message.guild.id, now, moderators)
        except app_commands.CommandOnCooldown as exc:
            logger.debug("member %s over the rate limit; no answer", message.author.id)
            told = quiet or not buckets.first_refusal(member_key(message.guild.id, message.author.id), now)
            if red_flag:
                # Warning signs are never held back; only the answer waits.
                note = "" if told else f"\n\n{user_message(exc)}"
                await message.reply(red_flag + note, allowed_mentions=discord.AllowedMentions.none())
            elif not told:
                await message.reply(user_message(exc), allowed_mentions=discord.AllowedMentions.none())
            return True
        return False

    def _refund(self, message: discord.Message) -> None:
        """Give back the token of a question the bot stayed quiet on."""
        key = member_key(message.guild.id, message.author.id)
        self.bot.ask_cooldowns.refund(key, message.created_at.timestamp())

    async def _red_flag_only_if_any(self, message: discord.Message, text: str) -> None:
        """The red-flag message for a post the bot otherwise leaves alone, when it shows one."""
        read = await self.bot.answers.read(text, guild_id=message.guild.id)
        if read.notice:
            await self._red_flag_only(message, read.notice)

    async def _red_flag_only(self, message: discord.Message, notice: str, *, sorry: bool = False) -> None:
        """The red-flag ``notice`` on its own, when there is no answer to send with it."""
        text = notice
        if sorry:
            text += "\n\nSorry, I could not look up an answer just now."
        await message.reply(text, allowed_mentions=discord.AllowedMentions.none())

    async def _answer_forum_post(self, message: discord.Message, thread: discord.Thread) -> None:
        service = self.bot.answers
        body = self._strip_mention(message.content)
        # The title is often the question; without the message-content intent it is all there is.
        # Joined as sentences: a title that ends a sentence already gets no ". " ("…immune system? .").
        title = thread.name.strip()
        joined = f"{title} {body}" if title.endswith((".", "?", "!", ":", "…")) else f"{title}. {body}"
        candidates = dict.fromkeys(q for q in (body, joined if body else "", thread.name) if q)
        # First, each read once: whatever fails next, the most urgent red flag any shows goes out.
        readings = [await service.read(q, guild_id=message.guild.id) for q in candidates]
        flag = most_urgent(read.red_flag for read in readings)
        red_flag = flag.message if flag else ""
        if await self._over_limit(message, red_flag=red_flag, quiet=True):
            return
        try:
            # "Help!!" or "source?" opens a post for people; its warning signs were read above.
            for read in (read for read in readings if not self._for_people(read.text)):
                try:
                    answer = await service.ask(read, guild_id=message.guild.id)
                except QuestionError:  # a title of emoji alone: nothing to look up in it
                    continue
                if service.confident(answer):
                    await self._send(message, answer, asked=read.text, in_thread=False, red_flag=red_flag)
                    return
        except discord.Forbidden:
            raise
        except Exception:
            logger.exception("answering forum post %s failed", thread.id)
        self._refund(message)
        if red_flag:
            await self._red_flag_only(message, red_flag)
        logger.debug("forum post %s: no confident answer; staying quiet", thread.id)

    async def _send(
        self,
        message: discord.Message,
        answer: Answer,
        *,
        asked: str,
        context: str = "",
        in_thread: bool | None = None,
        red_flag: str = "",
    ) -> None:
        channel = message.channel
        if in_thread is None:
            in_thread = self.bot.config.answers.reply_in_thread and isinstance(channel, discord.TextChannel)
        target: discord.abc.Messageable = channel
        if in_thread:
            name = render.shorten(asked, THREAD_NAME_LIMIT) or "Question"
            target = await message.create_thread(name=name, auto_archive_duration=1440)
        reply: Reply = await self.bot.answers.reply(
            answer,
            user_id=message.author.id,
            guild_id=message.guild.id if message.guild else None,
            channel_id=target.id,
            context=context,
            red_flag=red_flag,
        )
        if in_thread:
            sent = await target.send(**reply.send_kwargs())
        else:
            sent = await message.reply(**reply.send_kwargs())
        await self.bot.answers.sent(reply, sent.id)


async def setup(bot: CitebotCore) -> None:
    """Load the extension."""
    await bot.add_cog(Conversation(bot))
