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
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from knowledge import AnswerSettings, KnowledgeBase
from knowledge.atomic import remove_abandoned_temp_files
from knowledge.database import open_store
from knowledge.server_settings import ServerSettings, SettingsFile
from knowledge.store import StateStore
from knowledge.tenancy import Servers, ServerState, adopt_single_pool, shard_filter
from knowledge.uploads import KnowledgeSources

from . import completion, render
from .answering import ReplyService
from .checks import CooldownBuckets
from .config import Config, load_config
from .exts import EXTENSIONS
from .server_settings import in_force, report_loaded
from .ui.answer import DYNAMIC_ITEMS, REASON_INPUT_ID, REASON_MODAL
from .ui.curation import curate_target, draft_of
from .utils import send_private, submitted_values

if TYPE_CHECKING:
    from .exts.errors import ErrorHandler

logger = logging.getLogger(__name__)

TOKEN_ENV = "DISCORD_TOKEN"
FORM_EXPIRED = "This form expired when the bot restarted, so nothing was saved; please open it again."


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
    """Sends every application-command error to the one error handler, and ignores servers that
    are not on the config's allowlist."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse commands from a server outside the allowlist (the bot is leaving it)."""
        bot = cast("CitebotBot", self.client)
        if bot.allowed(interaction.guild_id):
            return True
        logger.warning("ignored a command from server %s, which is not in guilds", interaction.guild_id)
        return False

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Hand ``error`` to :meth:`CitebotBot.report_error`."""
        await cast("CitebotBot", self.client).report_error(interaction, error)


def build_intents(config: Config) -> discord.Intents:
    """The gateway intents: the defaults, plus message content when the config needs it."""
    intents = discord.Intents.default()  # guilds, guild messages, no privileged intents
    intents.message_content = config.wants_message_content
    return intents


class CitebotBot(commands.Bot):
    """citebot on Discord: its config, each server's state (set up at login) and the
    :class:`~bot.answering.ReplyService` the extensions reply through.

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
        self.answers = ReplyService(self)
        # One bucket per member per server for every way of asking; another for the public lookups.
        self.ask_cooldowns = CooldownBuckets(config.cooldown.rate, config.cooldown.per)
        self.lookup_cooldowns = CooldownBuckets(config.cooldown.rate, config.cooldown.per)
        # Set by the ``bot.exts.errors`` extension while it is loaded.
        self.error_handler: ErrorHandler | None = None

    def __repr__(self) -> str:
        return f"<CitebotBot config={self.config.source or 'defaults'}>"

    # -- start and stop -----------------------------------------------------------------------

    @property
    def sources(self) -> KnowledgeSources:
        """The shared knowledge folder (built-in when none is set) and the state folder."""
        return KnowledgeSources.resolve(
            self.config.knowledge_dir, self.config.state_dir, semantic=self.config.retrieval.options()
        )

    def _open_state(self) -> tuple[StateStore, Servers]:
        """Load the shared knowledge base, open the store and move single-pool files of an older
        citebot to their server."""
        remove_abandoned_temp_files(self.config.state_dir)
        kb = self._initial_kb or self.sources.load_base()
        for error in kb.errors:
            logger.warning("knowledge base: %s", error)
        store = open_store(self.config.state_dir, self.config.database_url)
        try:
            if self.config.shards is not None and self.config.shard_count:
                store.hold_shards(self.config.shards, self.config.shard_count)
            adopt_single_pool(self.config.state_dir, store, self.config.guilds)
            servers = Servers(
                self.sources,
                store,
                base=kb,
                settings=answer_settings(self.config),
                red_flags=self.config.notices.red_flag_check(),
                owns=shard_filter(self.config.shards, self.config.shard_count),
            )
            if servers.watch():
                logger.info("listening for changes made through the other bot processes")
            # Before any event: the moderator check and help channels read them on the event loop.
            report_loaded(servers.load_settings(), message_content=self.intents.message_content)
        except BaseException:
            store.close()
            raise
        logger.info(
            "knowledge base: %d documents, %d passages; state in %s",
            len(kb.documents),
            len(kb.passages),
            store.describe() if self.config.database_url else self.config.state_dir,
        )
        return store, servers

    async def _load_servers(self, servers: Servers) -> list[ServerState]:
        started = time.perf_counter()

        def load() -> list[ServerState]:
            states = servers.load_known()
            # Autocomplete's indexes (of the shared base, and of each server with uploads) are
            # built here, after start: members can ask meanwhile, only suggestions wait for them.
            completion.prepare([servers.base, *(state.kb for state in states)])
            return states

        loaded = await asyncio.to_thread(load)
        logger.info("%d server(s) with state loaded in %.1fs", len(loaded), time.perf_counter() - started)
        return loaded

    async def setup_hook(self) -> None:
        """At login: load the shared knowledge base, open the store, load the extensions and sync
        the commands. The servers with state are loaded in the background meanwhile (a server
        asked before its turn is loaded at once)."""
        self._store, self._servers = await asyncio.to_thread(self._open_state)
        self._warm_up = asyncio.create_task(self._load_servers(self._servers))
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
        if self._warm_up is not None:
            self._warm_up.cancel()
        await super().close()
        await asyncio.to_thread(self.close_state)

    def close_state(self) -> None:
        """Stop re-indexing in the background and close the state store (its connections and its
        change listener); again, it does nothing. Blocks: call it off the event loop."""
        if self._servers is not None:
            self._servers.close()
        if self._store is not None:
            self._store.close()
            self._store = None

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
        """Wait until the servers with state are loaded (see :meth:`setup_hook`); their states."""
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

    def dispatch(self, event_name: str, /, *args: object, **kwargs: object) -> None:
        """Messages and new threads in a server outside the allowlist are not handled (the bot is
        leaving it); a form submitted that this process never showed is answered (see
        :meth:`answer_expired_form`); every other event goes on as usual."""
        if event_name in ("message", "thread_create") and args:
            guild = getattr(args[0], "guild", None)
            if guild is not None and not self.allowed(guild.id):
                return
        if event_name == "interaction" and args and self._expired_form(args[0]):
            self.loop.create_task(self.answer_expired_form(cast(discord.Interaction, args[0])))
        super().dispatch(event_name, *args, **kwargs)

    def _expired_form(self, interaction: object) -> bool:
        """Whether ``interaction`` submits a form no open modal of this process waits for (it was
        shown before a restart). discord.py drops those silently; it hands a known one to its modal
        just before this event, and only forgets it afterwards, so the check is exact here."""
        if getattr(interaction, "type", None) is not discord.InteractionType.modal_submit:
            return False
        custom_id = (getattr(interaction, "data", None) or {}).get("custom_id", "")
        modals = getattr(getattr(self._connection, "_view_store", None), "_modals", None)
        return modals is not None and custom_id not in modals

    async def answer_expired_form(self, interaction: discord.Interaction) -> None:
        """A form shown before a restart: keep what was typed when the form says what it was for
        (a 👎 reason, a curated answer), else tell the member to open it again, quoting their text."""
        from .exts._curating import save_draft  # the cogs' helper; imported late, as extensions are

        custom_id = (interaction.data or {}).get("custom_id", "")
        values = submitted_values(interaction.data or {})
        logger.info("a form shown before a restart was submitted (%s)", custom_id)
        try:
            reason = REASON_MODAL.fullmatch(custom_id)
            target = curate_target(custom_id)
            if reason is not None and int(reason["user_id"]) == interaction.user.id:
                text = values.get(REASON_INPUT_ID, "").strip() or None
                await self.answers.save_reason(interaction, reason["answer_id"], text)
            elif target is not None and self.allowed(interaction.guild_id):
                answer_id, revision = target
                await save_draft(self, interaction, draft_of(values), answer_id=answer_id, revision=revision)
            else:
                typed = render.shorten("\n".join(v for v in values.values() if v.strip()), 1500)
                quoted = f" What you typed:\n>>> {render.escape(typed)}" if typed else ""
                await send_private(interaction, FORM_EXPIRED + quoted)
        except Exception as error:
            await self.report_error(interaction, error)

    async def _leave_if_not_allowed(self, guild: discord.Guild) -> None:
        if self.allowed(guild.id):
            return
        logger.warning("leaving server %s (%s): it is not in the config's guilds", guild.id, guild.name)
        try:
            await guild.leave()
        except discord.HTTPException as exc:
            logger.warning("could not leave server %s: %s", guild.id, exc)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Leave a server that is not on the allowlist as soon as someone adds the bot."""
        await self._leave_if_not_allowed(guild)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Leave a server outside the allowlist when it becomes available (at start, or when the
        gateway announces a server as available rather than joined)."""
        await self._leave_if_not_allowed(guild)

    async def on_ready(self) -> None:
        """Say what this process serves (its shards, servers and where the state is), then leave
        the servers outside the allowlist (added while the bot was down)."""
        shards = getattr(self, "shard_ids", None)
        store = self._store.describe() if self._store is not None else "not open"
        logger.info(
            "ready: %s, %d server(s), state in %s",
            f"shards {','.join(map(str, shards))} of {self.shard_count}" if shards else "no sharding",
            len(self.guilds),
            store,
        )
        for guild in list(self.guilds):
            await self._leave_if_not_allowed(guild)

    # -- errors -------------------------------------------------------------------------------

    async def report_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """The one place errors from commands, buttons and modals go (see ``bot.exts.errors``)."""
        if self.error_handler is not None:
            await self.error_handler.handle(interaction, error)
        else:
            logger.error("unhandled error in an interaction", exc_info=error)


class ShardedCitebotBot(CitebotBot, commands.AutoShardedBot):
    """citebot running some of the bot's Discord shards (the config's ``shards`` of
    ``shard_count``) in this process; the other processes run the rest over the same database."""


def create_bot(config: Config | None = None, *, kb: KnowledgeBase | None = None) -> CitebotBot:
    """A ready bot; without a config, the one named by ``$CITEBOT_CONFIG`` or the defaults. With
    ``shards`` configured, it runs those shards (discord.py's AutoShardedBot)."""
    config = config if config is not None else load_config()
    if config.shards is not None:
        return ShardedCitebotBot(config, kb=kb)
    return CitebotBot(config, kb=kb)


def run_bot(config: Config) -> None:
    """Connect to Discord with the token from ``$DISCORD_TOKEN`` and run until stopped."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"error: set {TOKEN_ENV} to the bot token (see README, Running on Discord)", file=sys.stderr)
        raise SystemExit(2)
    if config.shards is not None and not config.database_url:
        logger.warning(
            "running shards %s without a database_url: this process's state is its own, not shared "
            "with the processes running the other shards",
            ",".join(map(str, config.shards)),
        )
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
