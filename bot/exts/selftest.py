"""``/kb test``: moderators keep golden questions, and every change to what the bot knows is
checked against them.

After ``/kb add``, ``/kb remove``, ``/kb reload``, curated-answer and glossary changes (the
``knowledge_changed(guild_id, what)`` event) and at start, the server's golden questions are asked
again in a worker thread. Questions that answered as expected at the last check and no longer do
are reported in the moderator channel (when it is in that server), naming the change, and listed
in ``/review`` until they pass again.
"""

from __future__ import annotations

import asyncio
import io
import logging
import weakref
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from knowledge.errors import NotFoundError, QuestionError, StateWriteError
from knowledge.golden import (
    CURATED,
    DECLINED,
    DOCUMENT,
    Expectation,
    GoldenReport,
    GoldenSet,
    expectation_now,
    parse_expectation,
    what_answered,
)
from knowledge.golden import FILE_NAME as GOLDEN_FILE

from .. import render
from ..checks import moderator_only
from ..completion import completions
from ..ui.errors import report_error
from ..ui.golden import KeepAsTestButton, list_pages, report_pages, review_text, worse_text
from ..ui.paginator import Paginator
from ..utils import Refused, read_text_file, refused_as, send_private, who, write_failed_note

if TYPE_CHECKING:
    from knowledge import Answer, KnowledgeBase
    from knowledge.tenancy import ServerState

    from ..core import CitebotCore

logger = logging.getLogger(__name__)

# What a moderator reads when a golden question is kept (tests match these, not copied prose).
GOLDEN_ADDED = "Added golden question **#{id}**"
GOLDEN_KEPT = "Kept golden question **#{id}**"
GOLDEN_UPDATED = "Updated golden question **#{id}**"

MAX_IMPORT_BYTES = 512 * 1024
KEEP_MENU_NAME = "Keep as test question"


class SelfTest(commands.Cog):
    """Golden questions: ``/kb test add|list|remove|run|export|import``, the moderators' message
    menu **Keep as test question** (and the **Keep as test** button of older answers,
    ``keep_as_test`` event), and the check after every ``knowledge_changed`` event."""

    def __init__(self, bot: CitebotCore) -> None:
        self.bot = bot
        self.group = GoldenCommands(self)
        self._sets: dict[int, GoldenSet] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        # The knowledge base each server's questions were last checked on: a reload of the shared
        # folder from one server replaces the others' too, and they are checked then.
        self._checked_on: dict[int, weakref.ref[KnowledgeBase]] = {}
        self._startup: asyncio.Task | None = None
        # Only moderators see it (default_permissions) and may use it (checked at every use).
        menu = app_commands.ContextMenu(name=KEEP_MENU_NAME, callback=self.keep_message_as_test)
        self.keep_menu = moderator_only()(menu)

    async def cog_load(self) -> None:
        kb = self.bot.tree.get_command("kb")
        if not isinstance(kb, app_commands.Group):
            raise RuntimeError("bot.exts.selftest needs the /kb commands (bot.exts.kb_admin) loaded first")
        kb.add_command(self.group)
        self.bot.tree.add_command(self.keep_menu)
        self.bot.add_dynamic_items(KeepAsTestButton)  # on answers posted before the message menu
        self._startup = asyncio.create_task(self._check_after_start())

    async def cog_unload(self) -> None:
        kb = self.bot.tree.get_command("kb")
        if isinstance(kb, app_commands.Group):
            kb.remove_command(self.group.name)
        self.bot.tree.remove_command(self.keep_menu.name, type=self.keep_menu.type)
        self.bot.remove_dynamic_items(KeepAsTestButton)
        if self._startup is not None:
            self._startup.cancel()

    # -- a server's golden questions ------------------------------------------------------------

    def golden(self, state: ServerState) -> GoldenSet:
        """The golden questions of one server (read on first use; call it in a worker thread)."""
        if state.guild_id is None or state.folder is None:
            raise Refused(NotFoundError("Golden questions belong to a server; use this in one."))
        found = self._sets.get(state.guild_id)
        if found is None:
            found = self._sets.setdefault(state.guild_id, GoldenSet(state.state_file(GOLDEN_FILE)))
        return found

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def check(self, state: ServerState, cause: str) -> GoldenReport | None:
        """Ask the server's golden questions again (off the event loop), remember the outcome and
        report what got worse after ``cause``; None when the server has none."""
        if state.guild_id is None:
            return None
        async with self._lock(state.guild_id):
            golden = await asyncio.to_thread(self.golden, state)
            self._checked_on[state.guild_id] = weakref.ref(state.kb)
            if not len(golden):
                return None
            report = await asyncio.to_thread(golden.run, state.assistant.ask, cause=cause)
        if report.regressions:
            logger.info(
                "server %s: %d golden question(s) got worse %s",
                state.guild_id,
                len(report.regressions),
                cause,
            )
            await self.notify(state, worse_text(cause, report.regressions))
        return report

    async def notify(self, state: ServerState, text: str) -> None:
        """Post ``text`` in the moderator channel when it is in the server concerned (other
        servers see it in ``/review``)."""
        channel_id = self.bot.settings(state.guild_id).moderator_channel
        if channel_id is None:
            return
        channel = self.bot.get_channel(channel_id)
        if channel is None or getattr(getattr(channel, "guild", None), "id", None) != state.guild_id:
            return
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            logger.warning("could not post the golden questions' report in the moderator channel: %s", exc)

    # -- events ---------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_knowledge_changed(self, guild_id: int | None, what: str) -> None:
        """A moderator changed what a server's bot knows: check its golden questions."""
        if guild_id is not None:
            try:
                await self.check(self.bot.server(guild_id), f"after {what}")
            except Exception:
                logger.exception("checking server %s's golden questions failed", guild_id)
        # The shared knowledge folder, reloaded from one server, changes every other server's answers.
        for state in self.bot.servers_loaded():
            checked = self._checked_on.get(state.guild_id)
            if state.guild_id == guild_id or (checked is not None and checked() is state.kb):
                continue
            try:
                await self.check(state, "after the shared knowledge folder was reloaded")
            except Exception:
                logger.exception("checking server %s's golden questions failed", state.guild_id)

    @commands.Cog.listener()
    async def on_keep_as_test(self, interaction: discord.Interaction, answer_id: str) -> None:
        """A moderator clicked **Keep as test** under an answer (checked by the button)."""
        try:
            await self.keep_as_test(interaction, answer_id)
        except Exception as error:
            await report_error(interaction, error)

    @commands.Cog.listener()
    async def on_review_opened(self, interaction: discord.Interaction, state: ServerState) -> None:
        """``/review`` was shown: add the golden questions that got worse, if any."""
        try:
            worse = await asyncio.to_thread(lambda: self.golden(state).worse())
            if worse:
                await interaction.followup.send(
                    review_text(worse), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
        except Exception:
            logger.exception("listing server %s's golden questions in /review failed", state.guild_id)

    async def _check_after_start(self) -> None:
        # Documents may have changed while the bot was down.
        await self.bot.wait_until_ready()
        for state in await self.bot.wait_for_servers():
            try:
                await self.check(state, "at start")
            except Exception:
                logger.exception("checking server %s's golden questions at start failed", state.guild_id)

    async def keep_message_as_test(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The menu on one of the bot's answers: keep its question (see :meth:`keep_as_test`). Only
        an answer given in this server is found."""
        store = self.bot.server(interaction.guild_id).store
        record = await asyncio.to_thread(store.answer_for_message, message.id)
        if record is None:
            await send_private(interaction, "That message is not one of my answers in this server.")
            return
        await self.keep_as_test(interaction, record.id)

    async def keep_as_test(self, interaction: discord.Interaction, answer_id: str) -> None:
        """Store the answer's question with what answers it now: its curated answer, else its top
        section, else "declined"."""
        state = self.bot.server(interaction.guild_id)
        record = await asyncio.to_thread(state.store.answer, answer_id)
        if record is None:  # gone, or an answer of another server
            await send_private(interaction, "That answer is no longer on record.")
            return
        if not record.question:
            await send_private(
                interaction, "Not kept: its asker chose that their questions not be kept (`/privacy`)."
            )
            return
        # Asked alone, as every check asks it (a follow-up's earlier question is not kept).
        answer = await asyncio.to_thread(state.assistant.ask, record.question)
        expect = expectation_now(answer)
        note = ""
        async with self._lock(state.guild_id):
            golden = await asyncio.to_thread(self.golden, state)
            with refused_as("Not kept: {}"):
                try:
                    kept, replaced = await asyncio.to_thread(
                        golden.add,
                        record.question,
                        expect,
                        author=who(interaction.user),
                        passed_now=what_answered(answer),
                    )
                except StateWriteError as exc:
                    kept, replaced = exc.done, False
                    note = "\n" + write_failed_note(exc)
        done = (GOLDEN_UPDATED if replaced else GOLDEN_KEPT).format(id=kept.id)
        await send_private(
            interaction,
            f"{done} “{render.escape(kept.question)}”: it must keep being "
            f"answered by {render.escape(_shown(expect, state.kb))}. Every change is checked against it."
            + note,
        )

    # -- /kb test -------------------------------------------------------------------------------

    async def add_question(self, interaction: discord.Interaction, question: str, expect: str) -> None:
        """``/kb test add``: check the expectation exists, ask the question now, store it."""
        state = self.bot.server(interaction.guild_id)
        with refused_as("Not added: {}"):
            expectation = parse_expectation(expect)
            await asyncio.to_thread(_require_known, expectation, state)
        answer = await asyncio.to_thread(_ask, state, question)
        met = expectation.met_by(answer)
        note = ""
        async with self._lock(state.guild_id):
            golden = await asyncio.to_thread(self.golden, state)
            with refused_as("Not added: {}", brief=True):
                try:
                    kept, replaced = await asyncio.to_thread(
                        golden.add,
                        question,
                        expectation,
                        author=who(interaction.user),
                        passed_now=what_answered(answer) if met else None,
                    )
                except StateWriteError as exc:
                    kept, replaced = exc.done, False
                    note = "\n" + write_failed_note(exc)
        lines = [
            f"{(GOLDEN_UPDATED if replaced else GOLDEN_ADDED).format(id=kept.id)} "
            f"“{render.escape(kept.question)}”: must be answered by "
            f"{render.escape(_shown(expectation, state.kb))}."
        ]
        if met:
            lines.append("✅ It is answered that way now; every change is checked against it.")
        else:
            got = what_answered(answer)
            lines.append(
                f"⚠️ Right now it is answered by {render.escape(got)}, so it fails; it shows in "
                "`/kb test run`, and is reported as worse only after it has passed once."
            )
        await send_private(interaction, "\n".join(lines) + note)

    async def expect_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggestions for ``expect``: declined, the server's curated answers, documents and
        sections, those containing every word typed (the first 25 found)."""
        state = self.bot.server(interaction.guild_id)
        # In a worker thread: the curated answers are read from their file.
        options = await asyncio.to_thread(_expect_choices, state, current)
        return [app_commands.Choice(name=render.choice_name(name), value=value) for name, value in options]

    async def list_questions(self, interaction: discord.Interaction) -> None:
        """``/kb test list``."""
        state = self.bot.server(interaction.guild_id)
        golden = await asyncio.to_thread(self.golden, state)
        items = await asyncio.to_thread(lambda: [(g, golden.last(g.id)) for g in golden.list()])
        pages = list_pages(items)
        if golden.load_error is not None:
            pages[0].description = (
                f"⚠️ {render.escape(str(golden.load_error))}. Until it is fixed, the last good version is "
                f"checked.\n\n{pages[0].description}"
            )
        await Paginator(pages, owner_id=interaction.user.id).send(interaction, ephemeral=True)

    async def remove_question(self, interaction: discord.Interaction, id: int) -> None:
        """``/kb test remove``."""
        state = self.bot.server(interaction.guild_id)
        golden = await asyncio.to_thread(self.golden, state)
        note = ""
        with refused_as("{} `/kb test list` shows them."):
            try:
                removed = await asyncio.to_thread(golden.remove, id)
            except StateWriteError as exc:
                removed, note = exc.done, " " + write_failed_note(exc)
        await send_private(
            interaction, f"Removed golden question #{removed.id} “{render.escape(removed.question)}”.{note}"
        )

    async def id_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """Suggestions for a golden question's number."""
        golden = self.golden(self.bot.server(interaction.guild_id))
        words = current.casefold().split()
        labels = [(f"#{g.id} {g.question}", g.id) for g in golden.list()]
        return [
            app_commands.Choice(name=render.choice_name(label), value=gid)
            for label, gid in labels
            if all(w in label.casefold() for w in words)
        ][: render.CHOICES_MAX]

    async def report(self, interaction: discord.Interaction) -> None:
        """``/kb test run``: the full report, privately and paged (the baseline is not changed)."""
        state = self.bot.server(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        golden = await asyncio.to_thread(self.golden, state)
        if not len(golden):
            await send_private(interaction, "No golden questions yet: `/kb test add` or **Keep as test**.")
            return
        report = await asyncio.to_thread(golden.check, state.assistant.ask)
        await Paginator(report_pages(report), owner_id=interaction.user.id).send(interaction, ephemeral=True)

    async def export(self, interaction: discord.Interaction) -> None:
        """``/kb test export``: the questions as ``golden.yaml``."""
        golden = await asyncio.to_thread(self.golden, self.bot.server(interaction.guild_id))
        text = await asyncio.to_thread(golden.export_yaml)
        await send_private(
            interaction,
            f"{len(golden)} golden question(s). `/kb test import` reads this file back; "
            "`citebot eval` runs it from the shell.",
            file=discord.File(io.BytesIO(text.encode("utf-8")), filename="golden.yaml"),
        )

    async def import_file(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """``/kb test import``: merge a file of golden questions, then check them."""
        state = self.bot.server(interaction.guild_id)
        text = await read_text_file(interaction, file, limit=MAX_IMPORT_BYTES)
        if text is None:
            return
        note = ""
        async with self._lock(state.guild_id):
            golden = await asyncio.to_thread(self.golden, state)
            with refused_as("Nothing imported: {}"):
                try:
                    added, updated, unchanged = await asyncio.to_thread(
                        golden.import_yaml, text, file.filename, author=who(interaction.user)
                    )
                except StateWriteError as exc:
                    added, updated, unchanged = exc.done or (0, 0, 0)
                    note = "\n" + write_failed_note(exc)
        report = await self.check(state, f"/kb test import by {interaction.user.mention}")
        passing = f" {report.passed} of {len(report.results)} pass now." if report is not None else ""
        await send_private(
            interaction, f"Imported: {added} new, {updated} updated, {unchanged} unchanged.{passing}{note}"
        )


class GoldenCommands(app_commands.Group):
    """``/kb test ...``: a subgroup of ``/kb`` (which is for moderators), each command checked too."""

    def __init__(self, cog: SelfTest) -> None:
        super().__init__(name="test", description="Golden questions checked after every change")
        self.cog = cog

    @app_commands.command(name="add", description="Keep a question that must keep its answer")
    @app_commands.describe(
        question="The question as members ask it",
        expect="What must answer it: a section, a document, a curated answer, or declined",
    )
    @moderator_only()
    async def add_(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 300], expect: str
    ) -> None:
        """``/kb test add``: keep a question and what must answer it."""
        await self.cog.add_question(interaction, question, expect)

    @add_.autocomplete("expect")
    async def _expect(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.cog.expect_choices(interaction, current)

    @app_commands.command(name="list", description="The golden questions and how the last check went")
    @moderator_only()
    async def list_(self, interaction: discord.Interaction) -> None:
        """``/kb test list``: the golden questions and their last check."""
        await self.cog.list_questions(interaction)

    @app_commands.command(name="remove", description="Stop checking a golden question")
    @app_commands.describe(id="The golden question's number")
    @moderator_only()
    async def remove_(self, interaction: discord.Interaction, id: int) -> None:
        """``/kb test remove``: stop checking a golden question."""
        await self.cog.remove_question(interaction, id)

    @remove_.autocomplete("id")
    async def _id(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        return await self.cog.id_choices(interaction, current)

    @app_commands.command(name="run", description="Ask every golden question now: the full report")
    @moderator_only()
    async def run_(self, interaction: discord.Interaction) -> None:
        """``/kb test run``: ask every golden question now and show the report."""
        await self.cog.report(interaction)

    @app_commands.command(name="export", description="Download the golden questions as YAML")
    @moderator_only()
    async def export_(self, interaction: discord.Interaction) -> None:
        """``/kb test export``: the golden questions as a YAML file."""
        await self.cog.export(interaction)

    @app_commands.command(name="import", description="Add golden questions from a YAML file")
    @app_commands.describe(file="A file written by /kb test export (the citebot eval format)")
    @moderator_only()
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """``/kb test import``: add golden questions from a YAML file."""
        await self.cog.import_file(interaction, file)


def _ask(state: ServerState, question: str) -> Answer:
    try:
        return state.assistant.ask(question)
    except QuestionError as exc:
        raise Refused(exc, "Not added: {}") from exc


def _expect_choices(state: ServerState, current: str) -> list[tuple[str, str]]:
    """The first 25 expectations (as shown, value) containing every word of ``current``: declined,
    the server's curated answers, then its documents and sections (from the knowledge base's
    autocomplete index)."""
    words = current.casefold().split()
    own = [("Declined (must not be answered)", DECLINED)]
    if state.curated is not None:
        own += [(f"Curated answer #{e.id}: {e.question}", f"{CURATED}:{e.id}") for e in state.curated.list()]
    found = [(name, value) for name, value in own if all(w in name.casefold() for w in words)]
    found = found[: render.CHOICES_MAX]
    kb = state.kb
    indexed = completions(kb)
    for i in indexed.expectation_index.search(current, render.CHOICES_MAX - len(found)):
        expectation = indexed.expectation(kb, i)
        found.append((expectation.name, expectation.value))
    return found


def _shown(expect: Expectation, kb: KnowledgeBase) -> str:
    """An expectation as moderators read it, with a document's title rather than its id."""
    doc = kb.documents.get(expect.document) if expect.document else None
    if doc is None:
        return expect.describe()
    if expect.kind == DOCUMENT:
        return f"document “{doc.title}”"
    return "section " + " or ".join(expect.sections) + f" of “{doc.title}”"


def _require_known(expect: Expectation, state: ServerState) -> None:
    """Refuse an expectation naming a curated answer, document or section this server lacks."""
    kb = state.kb
    if expect.kind == CURATED:
        if state.curated is None or state.curated.get(expect.curated or 0) is None:
            raise NotFoundError(f"there is no curated answer #{expect.curated} (`/faq list` shows them)")
        return
    if expect.document and not any(expect.document in (d.id, d.title) for d in kb.documents.values()):
        raise NotFoundError(f"there is no document “{expect.document}” (`/topics` lists them)")
    if expect.sections:
        paths = {p.section_title for p in kb.passages if not expect.document or expect.document == p.doc_id}
        headings = paths | {part.strip() for path in paths for part in path.split("›")}
        if not any(section in headings for section in expect.sections):
            raise NotFoundError(
                f"there is no section “{' › '.join(expect.sections)}”; pick one from the suggestions"
            )


async def setup(bot: CitebotCore) -> None:
    """Load the extension."""
    await bot.add_cog(SelfTest(bot))
