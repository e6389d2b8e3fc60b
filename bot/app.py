"""Building and running the Discord bot.

``create_bot()`` needs no token and no network: it returns a configured ``commands.Bot`` whose
``setup_hook`` (run at login) loads the knowledge base, opens the state store, loads the extensions
listed in :data:`bot.exts.EXTENSIONS` (each registers its commands, persistent buttons and form
recoveries itself) and syncs the slash commands. ``run_bot(config)`` adds the token from the
environment and connects. What the extensions see of the bot is :class:`bot.core.CitebotCore`;
nothing here imports an extension or a view.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from dataclasses import replace
from typing import cast

import discord
from discord.ext import commands

from knowledge import AnswerSettings, KnowledgeBase
from knowledge.atomic import remove_abandoned_temp_files
from knowledge.database import open_store
from knowledge.store import StateStore, StoreError
from knowledge.tenancy import Servers, ServerState, adopt_single_pool, shard_filter

from . import completion, render
from .config import Config, load_config
from .core import CitebotCore
from .exts import EXTENSIONS
from .server_settings import report_loaded
from .utils import send_private, submitted_values

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
        calibrated=answers.calibrated,
    )


class CitebotBot(CitebotCore):
    """The running bot: at login it opens the state and loads the extensions (:meth:`setup_hook`),
    at the end it closes the state; it answers forms shown before a restart, and leaves servers
    outside the config's allowlist. What extensions use of it is :class:`bot.core.CitebotCore`."""

    #: Why the bot stopped by itself (its shards held by another process once the database was back).
    stopped_by: StoreError | None = None

    def __repr__(self) -> str:
        return f"<CitebotBot config={self.config.source or 'defaults'}>"

    # -- start and stop -----------------------------------------------------------------------

    def _open_state(self) -> tuple[StateStore, Servers]:
        """Open the store, load the shared knowledge base (its passage vectors read from the
        database when another process encoded them) and move single-pool files of an older citebot
        to their server."""
        remove_abandoned_temp_files(self.config.state_dir)
        # A database out of reach does not stop the start: the store connects in the background.
        store = open_store(self.config.state_dir, self.config.database_url, wait=False)
        try:
            sources = self.sources.with_vectors(store.shared_vectors())
            kb = self._initial_kb or sources.loader.load_base()
            for error in kb.errors:
                logger.warning("knowledge base: %s", error)
            if self.config.shards is not None and self.config.shard_count:
                store.hold_shards(
                    self.config.shards, self.config.shard_count, on_refused=self._shards_refused
                )
            adopt_single_pool(self.config.state_dir, store, self.config.guilds)
            servers = Servers(
                sources,
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

    def _shards_refused(self, error: StoreError) -> None:
        """The database came back after a start without it, and another process holds one of this
        process's shards by now: stop, as a start with the database would have (called from the
        store's thread)."""
        self.stopped_by = error
        self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self.close()))

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
        """A form shown before a restart: keep what was typed when an extension knows the form (a
        👎 reason, a curated answer: see :meth:`~bot.core.CitebotCore.add_form_recovery`), else tell
        the member to open it again, quoting their text."""
        custom_id = (interaction.data or {}).get("custom_id", "")
        values = submitted_values(interaction.data or {})
        logger.info("a form shown before a restart was submitted (%s)", custom_id)
        try:
            if not await self.recover_form(interaction, custom_id, values):
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
        if self._store is not None and not self._store.connected:
            store += " (out of reach: answering from the documents, connecting in the background)"
        logger.info(
            "ready: %s, %d server(s), state in %s",
            f"shards {','.join(map(str, shards))} of {self.shard_count}" if shards else "no sharding",
            len(self.guilds),
            store,
        )
        for guild in list(self.guilds):
            await self._leave_if_not_allowed(guild)


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
    if bot.stopped_by is not None:
        raise bot.stopped_by
