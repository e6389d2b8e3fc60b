"""The bot as extensions and views see it: :class:`CitebotCore`.

Extensions, views and checks type against this class, never against :mod:`bot.app` (which starts,
runs and stops the bot and loads the extensions), so the import graph has one direction: the bot's
core is below every extension and view, and nothing here imports one of them. What extensions add
to the bot they register themselves when they load: their commands, their dynamic items
(``add_dynamic_items``) and what to do with a form of theirs submitted after a restart
(:meth:`CitebotCore.add_form_recovery`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, cast

import discord
from discord import app_commands
from discord.ext import commands

from knowledge import KnowledgeBase
from knowledge.server_settings import ServerSettings, SettingsFile
from knowledge.store import StateStore
from knowledge.tenancy import Servers, ServerState
from knowledge.uploads import KnowledgeSources

from . import completion
from .answering import ReplyService
from .config import Config
from .cooldowns import CooldownBuckets
from .server_settings import in_force

logger = logging.getLogger(__name__)

# A form submitted that this process never showed (it was shown before a restart): the custom id,
# the values typed by input id. Returns whether it saved them; False hands the form on.
FormRecovery = Callable[[discord.Interaction, str, dict[str, str]], Awaitable[bool]]


class ErrorReporter(Protocol):
    """The one error handler (the ``bot.exts.errors`` extension sets it while loaded)."""

    async def handle(self, interaction: discord.Interaction, error: Exception) -> None:
        """Answer ``error`` raised while handling ``interaction``."""


class CitebotTree(app_commands.CommandTree):
    """Sends every application-command error to the one error handler, and ignores servers that
    are not on the config's allowlist."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse commands from a server outside the allowlist (the bot is leaving it)."""
        bot = cast("CitebotCore", self.client)
        if bot.allowed(interaction.guild_id):
            return True
        logger.warning("ignored a command from server %s, which is not in guilds", interaction.guild_id)
        return False

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Hand ``error`` to :meth:`CitebotCore.report_error`."""
        await cast("CitebotCore", self.client).report_error(interaction, error)


def build_intents(config: Config) -> discord.Intents:
    """The gateway intents: the defaults, plus message content when the config needs it."""
    intents = discord.Intents.default()  # guilds, guild messages, no privileged intents
    intents.message_content = config.wants_message_content
    return intents


class CitebotCore(commands.Bot):
    """citebot on Discord: its config, each server's state (opened at login by
    :class:`bot.app.CitebotBot`) and the :class:`~bot.answering.ReplyService` the extensions reply
    through.

    A server's curated answers, glossary, uploads and stored answers are reached only through
    :meth:`server` with the guild of the interaction or message at hand, so nothing a cog does in
    one server can reach another's. Extensions talk to each other through bot events, not by
    looking each other up: ``knowledge_reloaded(guild_id, kb)`` after ``/kb`` rebuilt a server's
    index, ``knowledge_changed(guild_id, what)`` after any moderator change to what a server's bot
    knows (documents, curated answers, glossary; see :func:`bot.utils.announce_change`),
    ``stale_answer_action(interaction, action, answer_id)`` when a moderator-channel notice's
    button is clicked, ``keep_as_test(interaction, answer_id)`` for an older answer's **Keep as
    test**, ``ask_moderators(interaction, answer_id)`` for a decline's **Ask the moderators** and
    ``review_opened(interaction, state)`` after ``/review`` was shown.
    """

    def __init__(self, config: Config, *, kb: KnowledgeBase | None = None) -> None:
        sharding: dict[str, object] = {}
        if isinstance(self, discord.AutoShardedClient) and config.shards is not None:
            sharding = {"shard_ids": list(config.shards), "shard_count": config.shard_count}
        super().__init__(
            **sharding,
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
        self._servers: Servers | None = None
        self._store: StateStore | None = None
        self._warm_up: asyncio.Task | None = None
        self._form_recoveries: list[FormRecovery] = []
        self.answers = ReplyService(self)
        # One bucket per member per server for every way of asking; another for the public lookups.
        self.ask_cooldowns = CooldownBuckets(config.cooldown.rate, config.cooldown.per)
        self.lookup_cooldowns = CooldownBuckets(config.cooldown.rate, config.cooldown.per)
        # Set by the ``bot.exts.errors`` extension while it is loaded.
        self.error_handler: ErrorReporter | None = None

    @property
    def sources(self) -> KnowledgeSources:
        """The shared knowledge folder (built-in when none is set) and the state folder."""
        return KnowledgeSources.resolve(
            self.config.knowledge_dir, self.config.state_dir, semantic=self.config.retrieval.options()
        )

    # -- servers ------------------------------------------------------------------------------

    def server(self, guild_id: int | None) -> ServerState:
        """The state of the server an interaction or message came from (None: a direct message,
        which gets the shared knowledge only); available once started. The only way to reach
        curated answers, the glossary, uploads and stored answers."""
        if self._servers is None:
            raise RuntimeError("the bot has not loaded its state yet")
        return self._servers.get(guild_id)

    def settings(self, guild_id: int | None) -> ServerSettings:
        """The help and forum channels, moderator roles and moderator channel in force in a
        server: its own (``/settings``) where set, else the config's."""
        return in_force(self.config, self._servers, guild_id)

    def own_settings(self, guild_id: int) -> SettingsFile:
        """A server's own settings, to change them (``/settings``)."""
        if self._servers is None:
            raise RuntimeError("the bot has not loaded its state yet")
        return self._servers.own_settings.get(guild_id)

    def loaded_server(self, guild_id: int | None) -> ServerState | None:
        """The state of a server if it is loaded already, without loading it (for checks on the
        event loop, where loading a server's files must not happen)."""
        return self._servers.loaded_state(guild_id) if self._servers is not None else None

    def servers_loaded(self) -> list[ServerState]:
        """The states of the servers loaded so far, for checks that run without an interaction
        (each result still belongs to one server)."""
        return self._servers.loaded() if self._servers is not None else []

    async def wait_for_servers(self) -> list[ServerState]:
        """Wait until the servers with state are loaded (at login, in the background); their states."""
        if self._warm_up is not None:
            try:
                await asyncio.shield(self._warm_up)
            except Exception:
                logger.exception("loading the servers' state failed; each is loaded when first used")
        return self.servers_loaded()

    async def reload_knowledge(
        self,
        guild_id: int | None,
        check: Callable[[KnowledgeBase, KnowledgeBase], None] | None = None,
        *,
        announce: bool = True,
    ) -> KnowledgeBase:
        """Load the shared knowledge folder and ``guild_id``'s uploads again in a worker thread;
        ``check(old, new)`` may raise to keep the old one. Returns the server's new knowledge base.
        With ``announce``, the other bot processes are told to reload it too (not needed after an
        upload or removal: storing it told them already)."""
        servers = self._servers
        if servers is None:
            raise RuntimeError("the bot has not loaded its state yet")
        old = servers.get(guild_id).kb

        def build() -> tuple[KnowledgeBase, KnowledgeBase]:
            base, kb = servers.build(guild_id)
            completion.prepare([kb])  # indexed for autocomplete before it answers
            return base, kb

        base, kb = await asyncio.to_thread(build)
        if check is not None:
            check(old, kb)

        def install() -> None:
            servers.install(guild_id, base, kb, announce=announce)
            # A changed base changed every loaded server's knowledge base: index them all now.
            completion.prepare(state.kb for state in [servers.get(guild_id), *servers.loaded()])

        await asyncio.to_thread(install)
        return kb

    def allowed(self, guild_id: int | None) -> bool:
        """Whether the bot may serve ``guild_id`` (direct messages always; servers unless an
        allowlist is configured without them)."""
        guilds = self.config.guilds
        return guild_id is None or not guilds or guild_id in guilds

    # -- what extensions register -------------------------------------------------------------

    def add_form_recovery(self, recovery: FormRecovery) -> None:
        """Have ``recovery`` try every form submitted after a restart (an extension adds its own
        when it loads, with the dynamic items it handles)."""
        self._form_recoveries.append(recovery)

    def remove_form_recovery(self, recovery: FormRecovery) -> None:
        """Undo :meth:`add_form_recovery` (when the extension unloads)."""
        if recovery in self._form_recoveries:
            self._form_recoveries.remove(recovery)

    async def recover_form(
        self, interaction: discord.Interaction, custom_id: str, values: dict[str, str]
    ) -> bool:
        """Hand a form submitted after a restart to the recoveries the extensions added, in the
        order added; whether one saved it."""
        for recovery in list(self._form_recoveries):
            if await recovery(interaction, custom_id, values):
                return True
        return False

    # -- errors -------------------------------------------------------------------------------

    async def report_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """The one place errors from commands, buttons and modals go (see ``bot.exts.errors``)."""
        if self.error_handler is not None:
            await self.error_handler.handle(interaction, error)
        else:
            logger.error("unhandled error in an interaction", exc_info=error)
