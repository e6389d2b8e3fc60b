"""``/kb``: moderators add and remove their server's documents (files, or a docs website crawled
into the server's uploads), rebuild the index and see their server's statistics.

Uploads go to the server's own folder (never into the operator's knowledge folder) and only that
server's uploads can be removed. A rebuild runs in a worker thread and the new knowledge base
replaces the server's in one assignment: questions asked meanwhile are answered by the old one,
and if the rebuild fails the old one stays and the moderator is told why.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import io
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from knowledge import KnowledgeBase
from knowledge.crawl import CrawlReport, Site
from knowledge.decoding import encoding_name
from knowledge.errors import StateWriteError
from knowledge.review import QuestionStats, question_stats
from knowledge.semantic import channels_line
from knowledge.uploads import crawled_site_address, human_size

from .. import render
from ..checks import MODERATORS, moderator_only
from ..completion import completions
from ..curation_render import stats_embed
from ..stats_chart import CHART_FILE, render_daily_chart
from ..utils import announce_change, refused_as, send_private

if TYPE_CHECKING:
    from knowledge.tenancy import ServerState

    from ..core import CitebotCore

logger = logging.getLogger(__name__)

# A long crawl's progress note is refreshed at most this often, in seconds.
PROGRESS_EVERY = 5.0
# The /kb stats chart shows this many days, today included.
CHART_DAYS = 30


class ReloadError(RuntimeError):
    """The new knowledge base could not be built; the old one is still answering."""


class KnowledgeAdmin(commands.Cog):
    """``/kb``: add, remove and reload documents; statistics. A finished reload is announced with the
    ``knowledge_reloaded`` event (listeners get the server's id and its new :class:`KnowledgeBase`)."""

    kb_group = app_commands.Group(
        name="kb",
        description="Manage the knowledge base's documents",
        guild_only=True,
        default_permissions=MODERATORS,
    )

    def __init__(self, bot: CitebotCore) -> None:
        self.bot = bot
        self._reload_lock = asyncio.Lock()
        self._crawls: set[tuple[int | None, str]] = set()  # (server, site folder) being crawled

    @property
    def max_bytes(self) -> int:
        """The largest upload accepted, in bytes."""
        return self.bot.config.max_upload_bytes

    # -- reloading ----------------------------------------------------------------------------

    async def reload(self, guild_id: int | None, *, announce: bool = True) -> tuple[KnowledgeBase, float]:
        """Build the knowledge folder and the server's uploads again off the event loop and swap
        them in; returns the server's new knowledge base and the seconds it took. Raises
        :class:`ReloadError` and keeps the old one on failure. ``announce``: tell the other bot
        processes to reload too (False when storing the change told them already)."""

        def check(old: KnowledgeBase, new: KnowledgeBase) -> None:
            if not new.passages and old.passages:
                problems = "; ".join(str(e) for e in new.errors[:3]) or "no documents were found"
                raise ReloadError(f"the new knowledge base would be empty ({problems})")

        async with self._reload_lock:
            started = time.perf_counter()
            try:
                new = await self.bot.reload_knowledge(guild_id, check, announce=announce)
            except ReloadError:
                raise
            except Exception as exc:  # any failure leaves the old index answering
                logger.exception("reloading the knowledge base failed; the previous one stays in use")
                raise ReloadError(f"{type(exc).__name__}: {exc}") from exc
            elapsed = time.perf_counter() - started
            logger.info(
                "knowledge base reloaded: %d documents, %d passages in %.1fs",
                len(new.documents),
                len(new.passages),
                elapsed,
            )
        self.bot.dispatch("knowledge_reloaded", guild_id, new)
        return new, elapsed

    async def _reload_and_report(
        self, interaction: discord.Interaction, done: str, *, announce: bool = True
    ) -> None:
        try:
            kb, elapsed = await self.reload(interaction.guild_id, announce=announce)
        except ReloadError as exc:
            await send_private(
                interaction,
                f"{done}\n⚠️ The rebuild failed, so the previous index is still answering: "
                f"{render.escape(str(exc))}",
            )
            return
        lines = [
            done,
            f"The index now has {len(kb.documents)} documents and {len(kb.passages)} passages "
            f"(rebuilt in {elapsed:.1f}s).",
        ]
        if kb.errors:
            lines.append("Problems: " + "; ".join(render.escape(str(e)) for e in kb.errors[:5]))
        await send_private(interaction, render.join_within(lines, render.CONTENT_LIMIT))

    # -- commands -----------------------------------------------------------------------------

    @kb_group.command(name="add", description="Add a document (md, txt, html, pdf, jsonl) or a docs website")
    @app_commands.describe(
        file="The document to add",
        url="Or a docs website to crawl (its sitemap and links under that address); again to update it",
    )
    @moderator_only()
    async def kb_add(
        self, interaction: discord.Interaction, file: discord.Attachment | None = None, url: str | None = None
    ) -> None:
        """``/kb add``: check an uploaded document, store it in this server's uploads and reindex;
        or crawl a docs website into them (see :meth:`add_site`)."""
        if (file is None) == (url is None):
            await send_private(interaction, "Give a file or a url to add (one of them). Nothing was added.")
            return
        if url is not None:
            await self.add_site(interaction, url)
            return
        assert file is not None
        limit = self.max_bytes
        if file.size > limit:
            await send_private(
                interaction,
                f"“{render.escape(file.filename)}” is {human_size(file.size)}; "
                f"the limit is {human_size(limit)}. Nothing was added.",
            )
            return
        sources = self.bot.server(interaction.guild_id).sources
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        with refused_as("Not added: {}"):
            try:
                path, docs, replaced = await asyncio.to_thread(
                    sources.folder.add, file.filename, data, max_bytes=limit
                )
            except StateWriteError as exc:  # nothing was added: name the folder, not only the file
                await send_private(
                    interaction,
                    f"Not added: the uploads folder cannot be written ({render.escape(str(exc))}).",
                )
                return
        titles = ", ".join(f"“{render.escape(d.title)}”" for d in docs[:3]) + (" …" if len(docs) > 3 else "")
        verb = "Replaced" if replaced else "Added"
        logger.info("%s %s by %s", verb.lower(), path, interaction.user.id)
        encoding = next((str(d.meta["encoding"]) for d in docs if d.meta.get("encoding")), "")
        # Said, so that a file that reads wrong is known to be the encoding's fault, and fixable.
        read_as = f" It is not UTF-8: read as {encoding_name(encoding)}." if encoding else ""
        # Markup errors (a reST directive without its body): the file is read as well as it can be,
        # and the moderator learns where to mend it.
        problems = [str(p) for d in docs for p in d.meta.get("problems", ())]
        mend = (
            f" Its markup has {len(problems)} error{'s' if len(problems) > 1 else ''}, read as well as "
            f"possible: {render.escape('; '.join(problems[:2]))}{' …' if len(problems) > 2 else ''}."
            if problems
            else ""
        )
        # Storing the upload told the other bot processes already: once is enough.
        await self._reload_and_report(
            interaction, f"{verb} `{render.escape(path.name)}`: {titles}.{read_as}{mend}", announce=False
        )
        announce_change(interaction, f"/kb add {render.escape(path.name)}")

    async def add_site(self, interaction: discord.Interaction, url: str) -> None:
        """Crawl the site ``url`` into this server's uploads (a worker thread with its own event
        loop: the bot's loop never waits on the site or on parsing pages), with a progress note for
        long crawls, then reindex. Internal addresses are refused unless the operator allowed the
        host (``crawl.allow_hosts``)."""
        settings = self.bot.config.crawl.settings(from_discord=True)
        sources = self.bot.server(interaction.guild_id).sources
        with refused_as("Not added: {}"):
            site = Site.from_url(url)
            settings.policy.check_url(site.start)
        if sources.uploads is None:
            await send_private(interaction, "Sites can only be added in a server.")
            return
        running = (interaction.guild_id, site.folder_name())
        if running in self._crawls:
            busy = f"{_link(site.root)} is being crawled already; the result will follow."
            await send_private(interaction, busy)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        note = _CrawlNote(interaction, site.root)
        self._crawls.add(running)
        with refused_as("Not added: {}"):
            try:
                report = await asyncio.to_thread(sources.crawler.crawl, site.start, settings, note.update)
            except StateWriteError as exc:
                await send_private(
                    interaction,
                    f"Not added: the uploads folder cannot be written ({render.escape(str(exc))}).",
                )
                return
            finally:
                self._crawls.discard(running)
                await note.finish()
        logger.info("crawled %s by %s: %s", site.root, interaction.user.id, report.summary())
        done = f"Crawled {_link(site.root)}: {report.summary()}."
        if not report.changed:
            await send_private(interaction, done + " Nothing changed, so the index stays as it is.")
            return
        await self._reload_and_report(interaction, done, announce=False)  # sharing the site told the others
        announce_change(interaction, f"/kb add {render.escape(site.root)}")

    @kb_group.command(name="remove", description="Remove a document uploaded in this server")
    @app_commands.describe(document="The document to remove")
    @moderator_only()
    async def kb_remove(self, interaction: discord.Interaction, document: str) -> None:
        """``/kb remove``: remove one of this server's uploaded documents and reindex. A crawled
        site is removed whole (chosen as ``site:<folder>``, or by any of its pages): one page alone
        would come back with the next crawl."""
        state = self.bot.server(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        site = await asyncio.to_thread(_site_address, state, document)
        with refused_as("Not removed: {}"):
            path, held = await asyncio.to_thread(state.sources.folder.remove, state.kb, document)
        if site:
            done = f"Removed the site {_link(site)} ({held} pages)."
        else:
            extra = f" (it held {held} documents)" if held > 1 else ""
            done = f"Removed `{render.escape(path.name)}`{extra}."
        await self._reload_and_report(interaction, done, announce=False)  # the removal told the others
        announce_change(interaction, f"/kb remove {render.escape(path.name)}")

    @kb_remove.autocomplete("document")
    async def _document_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        state = self.bot.server(interaction.guild_id)
        # The server's uploads are listed from its folder: in a worker thread, off the event loop.
        return await asyncio.to_thread(_removable_choices, state, current)

    @kb_group.command(name="reload", description="Rebuild the index from the knowledge folder and uploads")
    @moderator_only()
    async def kb_reload(self, interaction: discord.Interaction) -> None:
        """``/kb reload``: rebuild this server's index in the background."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._reload_and_report(interaction, "Reloaded the knowledge folder.")
        announce_change(interaction, "/kb reload")

    @kb_group.command(name="stats", description="Documents, passages and how questions have been answered")
    @moderator_only()
    async def kb_stats(self, interaction: discord.Interaction) -> None:
        """``/kb stats``: this server's documents, passages and how its questions were answered,
        with a chart of the last days' questions."""
        state = self.bot.server(interaction.guild_id)
        # Drawing the chart (and importing matplotlib the first time) can outlast Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)

        def read() -> tuple[QuestionStats, list[tuple[dt.date, int, int]]]:
            return question_stats(state.store), state.store.daily_counts(CHART_DAYS)

        stats, days = await asyncio.to_thread(read)
        assistant = state.assistant
        embed = stats_embed(
            stats,
            documents=len(assistant.kb.documents),
            passages=len(assistant.kb.passages),
            curated=len(assistant.curated) if assistant.curated is not None else 0,
            glossary=len(assistant.glossary) if assistant.glossary is not None else 0,
            channels=channels_line(assistant.kb, told="the bot's log"),
        )
        files = []
        if not any(answered or declined for _, answered, declined in days):
            embed.description = f"No questions in the last {CHART_DAYS} days yet, so there is no chart."
        else:
            try:
                png = await asyncio.to_thread(render_daily_chart, days)
            except Exception:  # the numbers are worth sending without their picture
                logger.exception("the /kb stats chart could not be drawn")
                embed.description = "The chart could not be drawn this time; the numbers are below."
            else:
                files.append(discord.File(io.BytesIO(png), filename=CHART_FILE))
                embed.set_image(url=f"attachment://{CHART_FILE}")
        await interaction.edit_original_response(
            embed=embed, attachments=files, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: CitebotCore) -> None:
    """Load the extension."""
    await bot.add_cog(KnowledgeAdmin(bot))


def _link(url: str) -> str:
    """A site's address as a link without a preview (``<https://...>``), or escaped text when it
    is not a plain web address."""
    return f"<{url}>" if render.is_url(url) else render.escape(url)


def _site_address(state: ServerState, document: str) -> str:
    """The address of the crawled site ``/kb remove`` would remove for ``document``, or ""."""
    folder = state.sources.folder.site_folder_of(state.kb, document)
    return crawled_site_address(folder) if folder is not None else ""


class _CrawlNote:
    """The progress note of a long crawl: the deferred reply is edited with the pages done so far,
    at most every :data:`PROGRESS_EVERY` seconds. :meth:`update` is called in the crawl's thread
    and hands the edit to the bot's event loop."""

    def __init__(self, interaction: discord.Interaction, site: str) -> None:
        self.interaction = interaction
        self.site = site
        self.loop = asyncio.get_running_loop()
        self.context = contextvars.copy_context()
        self.edits: set[asyncio.Task[None]] = set()
        self.edited = False
        self.started: float | None = None  # read in the crawl's thread, by its clock
        self.shown = 0.0
        self.stopped = False

    def update(self, report: CrawlReport) -> None:
        """Called after each page, in the crawl's thread: show the count when it is time."""
        now = time.monotonic()
        if self.started is None:
            self.started = self.shown = now
        if self.stopped or now - self.shown < PROGRESS_EVERY:
            return
        self.shown = now
        done = report.pages + sum(report.skipped.values())
        text = (
            f"⏳ Crawling {_link(self.site)}: {done} of {report.queued} pages found so far "
            f"({int(now - self.started)}s)…"
        )
        # The edit runs on the bot's loop in the command's context (not the crawl thread's).
        self.loop.call_soon_threadsafe(self._start_edit, text, context=self.context)

    def _start_edit(self, text: str) -> None:
        task = self.loop.create_task(self._edit(text))
        self.edits.add(task)
        task.add_done_callback(self.edits.discard)

    async def _edit(self, text: str) -> None:
        if self.stopped:
            return
        try:
            await self.interaction.edit_original_response(content=text)
            self.edited = True
        except discord.HTTPException as exc:  # a lost note must not stop the crawl
            logger.info("could not show the crawl's progress: %s", exc)

    async def finish(self) -> None:
        """Stop the notes; one shown is replaced by a last line, so no stale count stays."""
        self.stopped = True
        await asyncio.gather(*self.edits, return_exceptions=True)
        if self.edited:
            self.stopped = False
            await self._edit(f"Crawled {_link(self.site)}.")
            self.stopped = True


def _removable_choices(state: ServerState, current: str) -> list[app_commands.Choice[str]]:
    """The ``/kb remove`` choices matching ``current``: a crawled site as one choice (not page by
    page), then the server's own uploads (listed once per knowledge base; only those matching are
    looked for on disk)."""
    words = current.casefold().split()
    kb, choices = state.kb, []
    for site in state.sources.folder.sites(kb):
        label = f"🌐 site {site.address} ({site.pages} pages)"
        if all(w in label.casefold() for w in words) and len(site.choice) <= 100:
            choices.append(app_commands.Choice(name=render.choice_name(label), value=site.choice))
    for doc in completions(kb).uploads:
        if len(choices) >= render.CHOICES_MAX:
            break
        if state.sources.folder.site_folder_of(kb, doc.id) is not None:
            continue
        label = f"{doc.title} ({doc.id})"
        if not (all(w in label.casefold() for w in words) and len(doc.id) <= 100):
            continue
        if state.sources.folder.file_of(kb, doc.id) is not None:
            choices.append(app_commands.Choice(name=render.choice_name(label), value=doc.id))
    return choices[: render.CHOICES_MAX]
