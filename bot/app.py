"""Building and running the Discord bot.

``create_bot()`` needs no token and no network: it returns a configured ``commands.Bot`` whose
``setup_hook`` (run at login) loads the knowledge base, opens the state store, loads the extensions
listed in :data:`bot.exts.EXTENSIONS`, registers the persistent answer buttons and syncs the slash
commands. ``run_bot(config)`` adds the token from the environment and connects.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from knowledge import AnswerSettings, KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.curated import CuratedStore
from knowledge.glossary import Glossary
from knowledge.store import Store
from knowledge.uploads import KnowledgeSources

from .answering import ReplyService
from .checks import CooldownBuckets
from .config import Config, load_config
from .exts import EXTENSIONS
from .ui.answer import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from .exts.errors import ErrorHandler

logger = logging.getLogger(__name__)

TOKEN_ENV = "DISCORD_TOKEN"


def answer_settings(config: Config) -> AnswerSettings:
    """The judge's settings from the ``answers`` section of the config (defaults where unset)."""
    answers = config.answers
    defaults = AnswerSettings()
    return replace(
        defaults,
        min_confidence=defaults.min_confidence if answers.min_confidence is None else answers.min_confidence,
        max_sentences=answers.max_sentences,
    )


class CitebotTree(app_commands.CommandTree):
    """Sends every application-command error to the one error handler."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Hand ``error`` to :meth:`CitebotBot.report_error`."""
        await cast("CitebotBot", self.client).report_error(interaction, error)


def build_intents(config: Config) -> discord.Intents:
    """The gateway intents: the defaults, plus message content when the config needs it."""
    intents = discord.Intents.default()  # guilds, guild messages, no privileged intents
    intents.message_content = config.wants_message_content
    return intents


class CitebotBot(commands.Bot):
    """citebot on Discord: its config, the :class:`~knowledge.Assistant` that answers (set up at
    login), the state store and the :class:`~bot.answering.ReplyService` the extensions reply through.

    Extensions talk to each other through bot events, not by looking each other up:
    ``knowledge_reloaded(kb)`` after ``/kb`` rebuilt the index, ``stale_answer_action(interaction,
    action, answer_id)`` when a moderator-channel notice's button is clicked.
    """

    def __init__(self, config: Config, *, kb: KnowledgeBase | None = None) -> None:
        super().__init__(
            # Prefix commands are unused; a mention prefix keeps them from ever matching plain text.
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=build_intents(config),
            # Bot-wide: never @everyone/@here or role pings, whatever text ends up in a message.
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False),
            tree_cls=CitebotTree,
        )
        self.config = config
        self._initial_kb = kb
        self.assistant: Assistant | None = None
        self.store: Store | None = None
        self.answers = ReplyService(self)
        self.ask_cooldowns = CooldownBuckets(config.cooldown.rate, config.cooldown.per)
        # Set by the ``bot.exts.errors`` extension while it is loaded.
        self.error_handler: ErrorHandler | None = None

    def __repr__(self) -> str:
        return f"<CitebotBot config={self.config.source or 'defaults'}>"

    # -- start and stop -----------------------------------------------------------------------

    def _load_kb(self) -> KnowledgeBase:
        config = self.config
        # The knowledge folder (built-in when none is set) plus documents moderators uploaded.
        semantic = config.retrieval.options()
        kb = KnowledgeSources.resolve(config.knowledge_dir, config.state_dir, semantic).load()
        for error in kb.errors:
            logger.warning("knowledge base: %s", error)
        return kb

    async def setup_hook(self) -> None:
        """At login: load the knowledge base, build the assistant with the config's answer
        settings, open the store, load the extensions and sync the commands."""
        kb = self._initial_kb or await asyncio.to_thread(self._load_kb)
        # Curated answers and the glossary live in the state folder beside the store.
        self.assistant = await asyncio.to_thread(
            Assistant.with_state, kb, self.config.state_dir, settings=answer_settings(self.config)
        )
        self.store = await asyncio.to_thread(Store.in_folder, self.config.state_dir)
        logger.info(
            "knowledge base: %d documents, %d passages; state in %s",
            len(kb.documents),
            len(kb.passages),
            self.config.state_dir,
        )
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        if self.intents.message_content:
            logger.info(
                "message content intent on: help channels and forum posts are answered when confident"
            )
        else:
            logger.info("message content intent off: slash commands and @mentions only")
        await self.tree.sync()

    async def close(self) -> None:
        """Disconnect, then close the state store."""
        await super().close()
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- the moderators' state ----------------------------------------------------------------

    @property
    def curated(self) -> CuratedStore:
        """The curated answers being served (from the state folder); available once started."""
        if self.assistant is None or self.assistant.curated is None:
            raise RuntimeError("the bot has not loaded its state yet")
        return self.assistant.curated

    @property
    def glossary(self) -> Glossary:
        """The glossary questions are rewritten with (from the state folder); available once started."""
        if self.assistant is None or self.assistant.glossary is None:
            raise RuntimeError("the bot has not loaded its state yet")
        return self.assistant.glossary

    # -- errors -------------------------------------------------------------------------------

    async def report_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """The one place errors from commands, buttons and modals go (see ``bot.exts.errors``)."""
        if self.error_handler is not None:
            await self.error_handler.handle(interaction, error)
        else:
            logger.error("unhandled error in an interaction", exc_info=error)


def create_bot(config: Config | None = None, *, kb: KnowledgeBase | None = None) -> CitebotBot:
    """A ready bot; without a config, the one named by ``$CITEBOT_CONFIG`` or the defaults."""
    return CitebotBot(config if config is not None else load_config(), kb=kb)


def run_bot(config: Config) -> None:
    """Connect to Discord with the token from ``$DISCORD_TOKEN`` and run until stopped."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"error: set {TOKEN_ENV} to the bot token (see README, Running on Discord)", file=sys.stderr)
        raise SystemExit(2)
    bot = create_bot(config)
    root = logging.getLogger()
    if root.handlers:
        # The CLI configured logging; a service still wants the start-up lines (mode, counts).
        for name in ("bot", "discord", "knowledge"):
            if logging.getLogger(name).getEffectiveLevel() > logging.INFO:
                logging.getLogger(name).setLevel(logging.INFO)
        bot.run(token, log_handler=None)
    else:
        # discord.py's handler: INFO to stderr, coloured on a terminal. The token is never logged.
        bot.run(token, root_logger=True)
