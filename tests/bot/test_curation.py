"""Moderators' curated answers and glossary, driven through simcord against the real bot."""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass

import discord
import pytest
import yaml
from bot_helpers import embed_text
from simcord import assert_error
from simcord.actors import MemberActor
from simcord.builders import ChannelHandle, GuildHandle, RoleHandle

from bot.checks import MODERATORS_ONLY, NotModerator
from bot.exts._curating import SAVED, UPDATED
from bot.render import CURATED_HEADER
from bot.utils import Refused
from knowledge import atomic
from knowledge.retriever import search

CURATED = f"**{CURATED_HEADER}**"

MODERATOR_COMMANDS = {
    "faq add",
    "faq list",
    "faq show",
    "faq export",
    "faq import",
    "kb add",
    "kb reload",
    "kb stats",
    "glossary add",
    "glossary list",
    "review",
}
IBUPROFEN = "Is it safe to take ibuprofen while breastfeeding?"
IBUPROFEN_ANSWER = "Yes: **ibuprofen** is compatible with breastfeeding at usual doses. Ask your pharmacist."


@dataclass
class Server:
    guild: GuildHandle
    channel: ChannelHandle
    mod: MemberActor
    alice: MemberActor
    mods: RoleHandle


def server(env) -> Server:
    guild = env.create_guild()
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    return Server(
        guild=guild,
        channel=guild.create_text_channel("help"),
        mod=guild.add_member(env.create_user("mod"), roles=[mods]),
        alice=guild.add_member(env.create_user("alice")),
        mods=mods,
    )


def server_files(state_dir, s: Server):
    """The folder of one server's curated answers and glossary."""
    return state_dir / "servers" / str(s.guild.id)


def modal_values(shown) -> dict[str, str]:
    """The prefilled values of a modal the bot showed, by custom id."""
    values = {}
    for row in shown.modal["components"]:
        for component in row.get("components", [row.get("component", row)]):
            if "custom_id" in component:
                values[component["custom_id"]] = component.get("value") or ""
    return values


def last_message(result):
    """The bot's last message for an interaction (after a defer, the first follow-up fills the
    deferred response, as on Discord)."""
    return result.followups[-1] if result.followups else result.response


def text_of(result) -> str:
    messages = [result.response, *result.followups] if result.response else result.followups
    parts = []
    for message in messages:
        parts.append(message.content or "")
        parts += [embed_text(e) for e in message.embeds]
    return "\n".join(parts)


async def add_curated(s: Server, question: str, answer: str, phrasings: str = "", sources: str = ""):
    shown = await s.mod.slash(s.channel, "faq add")
    assert shown.modal is not None
    return await s.mod.submit_modal(
        shown,
        {
            "curate:question": question,
            "curate:answer": answer,
            "curate:phrasings": phrasings,
            "curate:sources": sources,
        },
    )


# -- who can use the moderator commands ---------------------------------------------------------------


async def test_plain_members_neither_see_nor_run_moderator_commands(simcord_env):
    s = server(simcord_env)
    assert set(s.mod.available_commands(s.channel)) >= MODERATOR_COMMANDS
    assert not MODERATOR_COMMANDS & set(s.alice.available_commands(s.channel))
    assert "ask" in s.alice.available_commands(s.channel)


async def test_an_admin_override_still_hits_the_server_side_check(simcord_env):
    s = server(simcord_env)
    # A server admin lets alice use /faq and the context menu in the integration settings...
    for command in await simcord_env.bot.tree.fetch_commands():
        if command.name in ("faq", "Save as curated answer"):
            s.guild.set_command_permissions(command, {s.alice: True})
    assert "faq list" in s.alice.available_commands(s.channel)

    # ...but she is not a moderator, so the bot still refuses.
    result = await s.alice.slash(s.channel, "faq add")
    assert result.modal is None
    assert result.response.ephemeral
    assert result.response.content == MODERATORS_ONLY
    assert_error(simcord_env, NotModerator)
    posted = await s.alice.send(s.channel, "How does IgA reach milk?")
    menu = await s.alice.context_menu(s.channel, "Save as curated answer", posted)
    assert menu.modal is None and menu.response.content == MODERATORS_ONLY
    assert_error(simcord_env, NotModerator)
    assert len(simcord_env.bot.server(s.guild.id).assistant.curated) == 0


# -- curated answers -----------------------------------------------------------------------------------


async def test_a_curated_answer_wins_over_retrieval(simcord_env, state_dir):
    s = server(simcord_env)
    saved = await add_curated(s, IBUPROFEN, IBUPROFEN_ANSWER, phrasings="Can I use ibuprofen when nursing?")
    assert SAVED.format(id=1) in saved.response.content
    assert saved.response.ephemeral

    result = await s.alice.slash(s.channel, "ask", question="can i take ibuprofen while i'm breastfeeding")
    [embed] = result.response.embeds
    assert embed.description.startswith(CURATED + "\n" + IBUPROFEN_ANSWER)
    assert "curated" not in (result.response.content or "")
    # The file on disk holds it, with its author and history.
    data = yaml.safe_load((server_files(state_dir, s) / "curated.yaml").read_text())
    [entry] = data["answers"]
    assert entry["question"] == IBUPROFEN and entry["author"].startswith("mod (")
    assert entry["history"][0]["action"] == "created"

    # A question that is only close (pregnancy, not breastfeeding) does not get it.
    other = await s.alice.slash(s.channel, "ask", question="Is it safe to take ibuprofen while pregnant?")
    assert CURATED_HEADER not in other.response.embeds[0].description


async def test_a_curated_answer_about_a_medicine_is_not_contradicted_by_the_reply(simcord_env):
    s = server(simcord_env)
    saved = await add_curated(s, IBUPROFEN, IBUPROFEN_ANSWER)
    # The confirmation says what was linked: nothing, rather than "Sources: None".
    fields = {f.name: f.value for f in saved.response.embeds[0].fields}
    assert fields["Sources"] == "No document passages linked"

    result = await s.alice.slash(s.channel, "ask", question="can i take ibuprofen while breastfeeding")
    message = result.response
    [embed] = message.embeds
    assert embed.description == CURATED + "\n" + IBUPROFEN_ANSWER
    # No "The knowledge base does not mention: ibuprofen." above it, no empty Sources under it.
    assert "does not mention" not in (message.content or "")
    assert "Sources" not in embed.description
    labels = [c["label"] for row in message.components for c in row["components"]]
    assert "Sources" not in labels and "👍" in labels


async def test_a_curated_answer_counts_as_answered(simcord_env):
    s = server(simcord_env)
    await add_curated(s, IBUPROFEN, IBUPROFEN_ANSWER)
    await s.alice.slash(s.channel, "ask", question=IBUPROFEN)  # retrieval alone would decline this
    stats = await s.mod.slash(s.channel, "kb stats")
    fields = {f.name: f.value for f in stats.response.embeds[0].fields}
    assert fields["Answered"] == "1 (100%)" and fields["Curated answers"] == "1"
    queue = await s.mod.slash(s.channel, "review")
    assert last_message(queue).content.startswith("The review queue is empty")
    suggestions = await s.alice.autocomplete(s.channel, "ask", "question", "ibuprofen")
    assert IBUPROFEN in [c["value"] for c in suggestions]


async def test_curated_answer_keeps_retrieved_sources_after_it(simcord_env, builtin_kb):
    s = server(simcord_env)
    [passage] = [p for p in builtin_kb.passages if p.section == ("Summary",)][:1]
    await add_curated(
        s, "What is the enteromammary immune system?", "The gut-to-breast immune link.", sources=passage.id
    )
    result = await s.alice.slash(s.channel, "ask", question="what is the enteromammary immune system")
    description = result.response.embeds[0].description
    assert description.startswith(CURATED + "\nThe gut-to-breast immune link. [1]")
    sources = description.split("**Sources**", 1)[1]
    assert sources.strip().startswith("[1] [Summary · Guillen-Morales 2025](")
    assert "[2]" in description  # the retrieved evidence follows, numbered after it

    # Sources page n is the passage cited as [n], and there are no others.
    cited = dict(re.findall(r"^\[(\d+)\] \[(.+?)\]\(", sources, flags=re.M))
    assert list(cited) == ["1", "2"]
    pages = await s.alice.click(result.response, label="Sources")
    page = last_message(pages)
    for number in sorted(cited, key=int):
        [embed] = page.embeds
        assert embed.title == f"Sources [{number}] {cited[number]}"
        assert embed.fields[0].value.startswith(f"[{number}] The enteromammary and mammary immune systems")
        if int(number) < len(cited):
            page = last_message(await s.alice.click(page, label="Next"))


async def test_a_passage_the_moderators_cite_and_the_answer_quotes_is_one_source(simcord_env, builtin_kb):
    s = server(simcord_env)
    [passage] = [p for p in builtin_kb.passages if p.section == ("Enteromammary immune system",)][:1]
    await add_curated(
        s, "What is the enteromammary immune system?", "The gut-to-breast immune link.", sources=passage.id
    )
    result = await s.alice.slash(s.channel, "ask", question="what is the enteromammary immune system")
    description = result.response.embeds[0].description
    assert description.startswith(CURATED + "\nThe gut-to-breast immune link. [1]")
    answer, sources = description.split("**Sources**", 1)
    assert "**enteromammary**" in answer and "[2]" not in description  # the quote cites it as [1] too
    assert sources.strip().startswith("[1] [Enteromammary immune system · Guillen-Morales 2025](")


async def test_edit_show_list_and_remove(simcord_env):
    s = server(simcord_env)
    await add_curated(s, IBUPROFEN, IBUPROFEN_ANSWER)
    shown = await s.mod.slash(s.channel, "faq edit", id=1)
    assert modal_values(shown)["curate:question"] == IBUPROFEN
    assert modal_values(shown)["curate:answer"] == IBUPROFEN_ANSWER
    edited = await s.mod.submit_modal(
        shown, {"curate:question": IBUPROFEN, "curate:answer": "Yes, at usual doses."}
    )
    assert UPDATED.format(id=1) in edited.response.content

    detail = await s.mod.slash(s.channel, "faq show", id=1)
    text = text_of(detail)
    assert "Yes, at usual doses." in text and "created by mod" in text and "edited by mod" in text

    listing = await s.mod.slash(s.channel, "faq list")
    assert (
        "**#1** Is it safe to take ibuprofen while breastfeeding?" in listing.response.embeds[0].description
    )

    choices = await s.mod.autocomplete(s.channel, "faq remove", "id", "ibuprofen")
    assert [c["value"] for c in choices] == [1]
    asked = await s.mod.slash(s.channel, "faq remove", id=1)
    assert "Delete curated answer #1?" in asked.response.content
    done = await s.mod.click(asked.response, label="Delete")
    assert done.response.content == "Deleted curated answer #1."
    assert len(simcord_env.bot.server(s.guild.id).assistant.curated) == 0
    missing = await s.mod.slash(s.channel, "faq show", id=1)
    assert "There is no curated answer #1" in missing.response.content
    assert_error(simcord_env, Refused, contains="There is no curated answer #1")


async def test_the_largest_curated_answer_fits_discords_limits(simcord_env):
    s = server(simcord_env)
    store = simcord_env.bot.server(s.guild.id).assistant.curated
    store.add(
        "x" * 300,
        "Long answer. " * 269,  # 3,497 characters, the most a curated answer holds
        author="m" * 200,
        phrasings=[f"phrasing {n} " + "y" * 280 for n in range(20)],
    )
    for _ in range(6):
        store.edit(1, by="mod", answer="Edited. " * 437)
    shown = await s.mod.slash(s.channel, "faq show", id=1)
    [embed] = shown.response.embeds
    assert len(embed) <= 6000 and embed.description.endswith("…")
    listing = await s.mod.slash(s.channel, "faq list")
    assert "**#1**" in listing.response.embeds[0].description
    answer = await s.alice.slash(s.channel, "ask", question="x" * 300)
    assert answer.response.embeds[0].description.startswith(CURATED)


async def test_an_unconfirmed_removal_expires_and_changes_nothing(simcord_env):
    s = server(simcord_env)
    await add_curated(s, IBUPROFEN, IBUPROFEN_ANSWER)
    asked = await s.mod.slash(s.channel, "faq remove", id=1)
    assert asked.response.ephemeral  # only the moderator who asked can see, let alone click

    await simcord_env.advance_time(301)
    buttons = [c for row in asked.response.components for c in row["components"]]
    assert [b["label"] for b in buttons] == ["Delete", "Cancel"]
    assert all(b["disabled"] for b in buttons)
    assert simcord_env.bot.server(s.guild.id).assistant.curated.get(1) is not None


async def test_save_as_curated_answer_from_a_bot_answer(simcord_env):
    s = server(simcord_env)
    question = "How does the mother's intestine influence the antibodies in breast milk?"
    asked = await s.alice.slash(s.channel, "ask", question=question)

    shown = await s.mod.context_menu(s.channel, "Save as curated answer", asked.response)
    values = modal_values(shown)
    assert values["curate:question"] == question
    best = search(simcord_env.bot.server(s.guild.id).assistant.kb, question, k=1)[0]
    assert values["curate:sources"] == best.passage_id
    assert values["curate:answer"]  # prefilled with the answer's sentences, to edit

    saved = await s.mod.submit_modal(
        shown, {**values, "curate:answer": "Immune cells primed in the gut travel to the breast."}
    )
    assert SAVED.format(id=1) + " from https://discord.com/channels/" in saved.response.content

    again = await s.alice.slash(
        s.channel, "ask", question="how does the intestine of the mother influence breast milk antibodies"
    )
    description = again.response.embeds[0].description
    assert description.startswith(CURATED + "\nImmune cells primed in the gut")


async def test_save_as_curated_answer_from_a_members_message(simcord_env):
    s = server(simcord_env)
    posted = await s.alice.send(s.channel, "what is secretory IgA in breast milk?")
    shown = await s.mod.context_menu(s.channel, "Save as curated answer", posted)
    values = modal_values(shown)
    assert values["curate:question"] == "what is secretory IgA in breast milk?"
    assert simcord_env.bot.server(s.guild.id).assistant.kb.passage(values["curate:sources"]) is not None
    await s.mod.submit_modal(shown, {**values, "curate:answer": "The main antibody of milk."})
    entry = simcord_env.bot.server(s.guild.id).assistant.curated.get(1)
    assert (
        entry.answer == "The main antibody of milk."
        and entry.sources[0].passage_id == values["curate:sources"]
    )


async def test_export_then_import_round_trips(simcord_env):
    s = server(simcord_env)
    await add_curated(s, IBUPROFEN, IBUPROFEN_ANSWER, phrasings="Can I use ibuprofen when nursing?")
    await add_curated(s, "What is colostrum?", "The first milk.\n\n- rich in antibodies")
    exported = await s.mod.slash(s.channel, "faq export")
    [attachment] = exported.response.attachments
    assert attachment.filename == "curated.yaml"
    data = await attachment.read()
    curated = simcord_env.bot.server(s.guild.id).curated
    before = [(a.question, a.answer, a.phrasings) for a in curated.list()]

    for answer_id in (1, 2):
        removing = await s.mod.slash(s.channel, "faq remove", id=answer_id)
        await s.mod.click(removing.response, label="Delete")
    assert len(simcord_env.bot.server(s.guild.id).assistant.curated) == 0

    dry_run = await s.mod.slash(s.channel, "faq import", file=("curated.yaml", data))
    message = last_message(dry_run)
    assert "2 new, 0 updated, 0 unchanged" in message.content
    assert len(curated) == 0  # nothing changes before the confirm
    confirmed = await s.mod.click(message, label="Import")
    assert "Imported: 2 new" in confirmed.response.content
    after = [(a.question, a.answer, a.phrasings) for a in curated.list()]
    assert after == before

    again = await s.mod.slash(s.channel, "faq import", file=("curated.yaml", data))
    assert "Nothing to import: 0 new, 0 updated, 2 unchanged" in last_message(again).content


async def test_the_import_preview_warns_of_passages_the_knowledge_base_lacks(simcord_env):
    s = server(simcord_env)
    data = (
        b"answers:\n- question: Can I breastfeed with a cold?\n  answer: yes\n"
        b"  sources:\n  - passage: milk#no-such-section-abc123\n"
    )
    dry_run = await s.mod.slash(s.channel, "faq import", file=("mine.yaml", data))
    message = last_message(dry_run)
    warning = "#1 names passage milk#no-such-section-abc123, which is not in the knowledge base"
    assert warning in message.content
    assert "+ #1 Can I breastfeed with a cold?" in message.content
    confirmed = await s.mod.click(message, label="Import")
    assert "Imported: 1 new" in confirmed.response.content
    assert simcord_env.bot.server(s.guild.id).curated.get(1).answer == "yes"

    empty = await s.mod.slash(s.channel, "faq import", file=("empty.yaml", b""))
    assert last_message(empty).content == "Nothing to import: `empty.yaml` holds no curated answers."


async def test_importing_a_broken_file_says_where_and_changes_nothing(simcord_env):
    s = server(simcord_env)
    await add_curated(s, IBUPROFEN, IBUPROFEN_ANSWER)
    broken = b"version: 1\nanswers:\n- id: 1\n  question: x\n  answer: [unclosed\n"
    result = await s.mod.slash(s.channel, "faq import", file=("mine.yaml", broken))
    text = last_message(result).content
    assert text.startswith("Nothing imported: mine.yaml, line")
    assert_error(simcord_env, Refused, contains="mine.yaml, line")
    assert simcord_env.bot.server(s.guild.id).assistant.curated.get(1).answer == IBUPROFEN_ANSWER


async def test_a_full_disk_is_reported_and_the_answer_still_served(simcord_env, monkeypatch):
    s = server(simcord_env)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write_temp", disk_full)
    saved = await add_curated(s, IBUPROFEN, IBUPROFEN_ANSWER)
    assert "could not be saved to disk" in saved.response.content
    assert "No space left on device" in saved.response.content
    answer = await s.alice.slash(s.channel, "ask", question=IBUPROFEN)
    assert CURATED_HEADER in answer.response.embeds[0].description
    monkeypatch.undo()
    await add_curated(s, "What is colostrum?", "The first milk.")
    assert not simcord_env.bot.server(s.guild.id).assistant.curated.pending


async def test_a_broken_hand_edit_is_reported_and_the_last_good_answers_stay(simcord_env, state_dir):
    s = server(simcord_env)
    await add_curated(s, IBUPROFEN, IBUPROFEN_ANSWER)
    path = server_files(state_dir, s) / "curated.yaml"
    text = path.read_text()
    path.write_text(text.replace("status: active", "status: [oops"))
    broken_line = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "[oops" in line)

    listing = await s.mod.slash(s.channel, "faq list")
    description = listing.response.embeds[0].description
    assert description.startswith("⚠️ curated.yaml, line ")
    assert int(description.split("line ", 1)[1].split(":", 1)[0]) in (broken_line, broken_line + 1)
    assert "the last good version is used" in description
    assert "**#1** Is it safe to take ibuprofen" in description

    answer = await s.alice.slash(s.channel, "ask", question=IBUPROFEN)
    assert CURATED_HEADER in answer.response.embeds[0].description
    queue = await s.mod.slash(s.channel, "review")
    assert "⚠️ curated.yaml, line" in last_message(queue).content


# -- the glossary --------------------------------------------------------------------------------------


async def test_glossary_expansion_changes_the_answer(simcord_env, state_dir):
    s = server(simcord_env)
    question = "How does the belly of the mother send immune cells to the jugs?"
    before = await s.alice.slash(s.channel, "ask", question=question)
    assert before.response.embeds[0].title.startswith("No answer found")

    added = await s.mod.slash(s.channel, "glossary add", term="belly", means="gut")
    assert "searched as “gut”" in added.response.content
    await s.mod.slash(s.channel, "glossary add", term="jugs", means="mammary glands")
    listing = await s.mod.slash(s.channel, "glossary list")
    assert "**jugs** → mammary glands" in listing.response.embeds[0].description

    after = await s.alice.slash(s.channel, "ask", question=question)
    [embed] = after.response.embeds
    assert embed.title == question  # the member's words are kept
    assert "**Sources**" in embed.description
    assert "Read “belly” as “gut”" in after.response.content
    assert "belly" in (server_files(state_dir, s) / "glossary.yaml").read_text()

    removed = await s.mod.slash(s.channel, "glossary remove", term="belly")
    assert "Removed “belly”" in removed.response.content


async def test_removing_a_term_that_is_not_in_the_glossary_says_so_privately(simcord_env):
    s = server(simcord_env)
    missing = await s.mod.slash(s.channel, "glossary remove", term="tummy")
    assert missing.response.ephemeral
    assert missing.response.content == "“tummy” is not in the glossary. `/glossary list` shows it."
    assert_error(simcord_env, Refused, contains="not in the glossary")


async def test_a_term_that_means_itself_is_refused_in_plain_words(simcord_env):
    s = server(simcord_env)
    refused = await s.mod.slash(s.channel, "glossary add", term="Colostrum", means="colostrum")
    assert refused.response.ephemeral
    assert refused.response.content == "Not added: a term cannot mean itself."
    assert_error(simcord_env, Refused, contains="cannot mean itself")
    assert len(simcord_env.bot.server(s.guild.id).assistant.glossary) == 0


async def test_context_menu_is_removed_when_the_extension_unloads(simcord_env):
    bot = simcord_env.bot
    assert any(
        c.name == "Save as curated answer" for c in bot.tree.get_commands(type=discord.AppCommandType.message)
    )
    await bot.unload_extension("bot.exts.review")
    await bot.unload_extension("bot.exts.curation")
    assert not any(
        c.name == "Save as curated answer" for c in bot.tree.get_commands(type=discord.AppCommandType.message)
    )
    await bot.load_extension("bot.exts.curation")
    await bot.load_extension("bot.exts.review")
    assert any(
        c.name == "Save as curated answer" for c in bot.tree.get_commands(type=discord.AppCommandType.message)
    )


@pytest.fixture(autouse=True)
def _no_cooldown(config, monkeypatch):
    """Members here ask more than the default three questions a minute."""
    from bot.config import CooldownConfig

    object.__setattr__(config, "cooldown", CooldownConfig(rate=100, per=1.0))
