"""/kb test and the Keep as test question menu: moderators keep golden questions, and every change to what
the bot knows is checked against them, with what got worse reported in the moderator channel and
/review, naming the change."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import discord
import pytest
import yaml
from bot_helpers import embed_text
from simcord import assert_error
from simcord.actors import MemberActor
from simcord.builders import ChannelHandle, GuildHandle

from bot import create_bot
from bot.__main__ import main
from bot.checks import MODERATORS_ONLY, NotModerator
from bot.exts.selftest import GOLDEN_ADDED, GOLDEN_KEPT, GOLDEN_UPDATED, KEEP_MENU_NAME
from bot.ui.golden import KeepAsTestButton
from bot.utils import Refused

ENTEROMAMMARY = "What is the enteromammary immune system?"
FRANCE = "What is the capital of France?"
ARTICLE = "The enteromammary and mammary immune systems are parts of the maternal-infant immune system"
# An upload that answers the golden question better than the built-in article's section does.
GUT_GLOSSARY = b"""---
title: Gut and milk glossary
---
# Gut and milk glossary

## Enteromammary

What is the enteromammary immune system? The enteromammary immune system is the gut-to-breast route
of the immune system: the enteromammary immune system links the gut and the breast: the immune system
of the enteromammary route.
"""
FRIDGE_DOC = b"""---
title: Storing expressed breast milk
---
# Storing expressed breast milk

## Fridge

Freshly expressed breast milk keeps for up to four days in a refrigerator at 4 degrees Celsius.
"""


@dataclass
class Side:
    guild: GuildHandle
    channel: ChannelHandle
    moderators: ChannelHandle
    mod: MemberActor
    alice: MemberActor
    mods: object


def side(env, name: str = "A", *, report_here: bool = True) -> Side:
    guild = env.create_guild(name)
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    s = Side(
        guild=guild,
        channel=guild.create_text_channel("help"),
        moderators=guild.create_text_channel("moderators"),
        mod=guild.add_member(env.create_user(f"mod-{name}"), roles=[mods]),
        alice=guild.add_member(env.create_user(f"alice-{name}")),
        mods=mods,
    )
    if report_here:
        env.bot.config = dataclasses.replace(env.bot.config, moderator_channel=s.moderators.id)
    return s


def last(result):
    return result.followups[-1] if result.followups else result.response


def shown(result) -> str:
    messages = [m for m in (result.response, *result.followups) if m is not None]
    return "\n".join((m.content or "") + "\n" + "\n".join(embed_text(e) for e in m.embeds) for m in messages)


def reports(s: Side) -> list[str]:
    return [m.content for m in s.moderators.history(viewer=s.mod) if "golden question" in (m.content or "")]


async def keep_as_test(s: Side, question: str = ENTEROMAMMARY):
    asked = await s.mod.slash(s.channel, "ask", question=question)
    return await s.mod.context_menu(s.channel, KEEP_MENU_NAME, asked.response)


async def test_a_moderator_keeps_an_answer_as_a_golden_question(simcord_env, state_dir):
    s = side(simcord_env)
    kept = await keep_as_test(s)
    assert kept.response.ephemeral
    assert kept.response.content.startswith(GOLDEN_KEPT.format(id=1) + f" “{ENTEROMAMMARY}”")
    assert "section Enteromammary immune system of “The enteromammary" in kept.response.content

    stored = yaml.safe_load((state_dir / "servers" / str(s.guild.id) / "golden.yaml").read_text())
    assert stored["answerable"][0]["question"] == ENTEROMAMMARY
    assert stored["answerable"][0]["section"] == ["Enteromammary immune system"]

    # A declined answer is kept as "must be declined".
    declined = await keep_as_test(s, FRANCE)
    assert "must keep being answered by declined" in declined.response.content
    listed = shown(await s.mod.slash(s.channel, "kb test list"))
    assert f"#1** “{ENTEROMAMMARY}” → section Enteromammary immune system" in listed
    assert f"#2** “{FRANCE}” → declined ✅" in listed


async def test_an_upload_that_takes_a_question_to_another_section_is_reported_naming_it(simcord_env):
    s = side(simcord_env)
    await keep_as_test(s)
    added = await s.mod.slash(s.channel, "kb add", file=("gut-glossary.md", GUT_GLOSSARY))
    assert "Added `gut-glossary.md`" in last(added).content

    [report] = reports(s)
    assert report.startswith(
        f"🧪 after /kb add gut-glossary.md by <@{s.mod.id}>: 1 golden question got worse:"
    )
    assert (
        f"#1 “{ENTEROMAMMARY}”: was {ARTICLE} › Enteromammary immune system, "
        "now Gut and milk glossary › Enteromammary"
    ) in report

    # /review lists it with the change, until it passes again; /kb test run shows the full report.
    review = shown(await s.mod.slash(s.channel, "review"))
    assert "Golden questions that got worse (1)" in review
    assert f"after /kb add gut-glossary.md by <@{s.mod.id}>" in review
    run = await s.mod.slash(s.channel, "kb test run")
    assert last(run).ephemeral
    assert "**0** of **1** golden question(s) answer as expected" in shown(run)

    removed = await s.mod.slash(s.channel, "kb remove", document="uploads/gut-glossary")
    assert last(removed).content.startswith("Removed")
    assert len(reports(s)) == 1  # getting better is not reported
    assert "Golden questions that got worse" not in shown(await s.mod.slash(s.channel, "review"))


async def test_a_glossary_edit_that_makes_a_question_decline_is_reported(simcord_env):
    s = side(simcord_env)
    await keep_as_test(s)
    await s.mod.slash(s.channel, "glossary add", term="enteromammary", means="capital france")
    [report] = reports(s)
    assert report.startswith(f"🧪 after /glossary add enteromammary by <@{s.mod.id}>: 1 golden question")
    assert report.endswith("now declined\n`/kb test run` shows the full report.")


async def test_a_curated_answer_no_longer_matching_is_reported(simcord_env):
    s = side(simcord_env)
    question = "Is ibuprofen safe while breastfeeding?"
    shown_modal = await s.mod.slash(s.channel, "faq add")
    await s.mod.submit_modal(
        shown_modal,
        {"curate:question": question, "curate:answer": "Yes.", "curate:phrasings": "", "curate:sources": ""},
    )
    kept = await keep_as_test(s, question)
    assert "answered by curated answer #1" in kept.response.content
    removing = await s.mod.slash(s.channel, "faq remove", id=1)
    await s.mod.click(removing.response, label="Delete")
    [report] = reports(s)
    assert report.startswith(f"🧪 after curated answer #1 deleted by <@{s.mod.id}>")
    assert "was curated answer #1, now declined" in report


async def test_nothing_is_reported_when_nothing_got_worse(simcord_env):
    s = side(simcord_env)
    await keep_as_test(s)
    await keep_as_test(s, FRANCE)
    await s.mod.slash(s.channel, "kb add", file=("fridge.md", FRIDGE_DOC))
    await s.mod.slash(s.channel, "kb reload")
    await s.mod.slash(s.channel, "glossary add", term="first milk", means="colostrum")
    assert reports(s) == []
    run = shown(await s.mod.slash(s.channel, "kb test run"))
    assert "**2** of **2** golden question(s) answer as expected" in run


async def test_members_see_no_keep_as_test_and_cannot_keep_tests(simcord_env, state_dir):
    s = side(simcord_env)
    asked = await s.alice.slash(s.channel, "ask", question=ENTEROMAMMARY)
    labels = [c["label"] for row in asked.response.components for c in row["components"]]
    assert "Keep as test" not in labels, "no moderator button under members' answers"
    assert not any(c.startswith("kb test") for c in s.alice.available_commands(s.channel))
    [menu] = [c for c in await simcord_env.bot.tree.fetch_commands() if c.name == KEEP_MENU_NAME]
    assert menu.default_member_permissions == discord.Permissions(manage_messages=True)

    # A server admin opens the menu to everyone: the bot still refuses a member...
    s.guild.set_command_permissions(menu, {s.guild.default_role: True})
    refused = await s.alice.context_menu(s.channel, KEEP_MENU_NAME, asked.response)
    assert refused.response.ephemeral and refused.response.content == MODERATORS_ONLY
    assert_error(simcord_env, NotModerator)
    # ...and a moderator demoted since.
    simcord_env.backend.remove_member_role(s.guild.id, s.mod.id, s.mods.id)
    await simcord_env.settle()
    again = await s.mod.context_menu(s.channel, KEEP_MENU_NAME, asked.response)
    assert again.response.content == MODERATORS_ONLY
    assert_error(simcord_env, NotModerator)
    assert not (state_dir / "servers" / str(s.guild.id) / "golden.yaml").exists()


async def test_the_menu_keeps_only_the_bots_answers(simcord_env):
    a = side(simcord_env, "A")
    posted = await a.alice.send(a.channel, ENTEROMAMMARY)
    mine = await a.mod.context_menu(a.channel, KEEP_MENU_NAME, posted)
    assert mine.response.content == "That message is not one of my answers in this server."
    listed = shown(await a.mod.slash(a.channel, "kb test list"))
    assert "No golden questions yet" in listed


async def test_add_with_suggestions_export_and_import(simcord_env):
    s = side(simcord_env)
    choices = await s.mod.autocomplete(s.channel, "kb test add", "expect", "enteromammary")
    [section] = [c for c in choices if c["name"].startswith("Section: Enteromammary immune system — ")]
    assert section["value"] == "section:maternal-infant-immune-system#Enteromammary immune system"
    value = section["value"]
    added = await s.mod.slash(
        s.channel, "kb test add", question="How does the gut talk to the breast?", expect=value
    )
    assert GOLDEN_ADDED.format(id=1) in added.response.content
    declined = await s.mod.slash(s.channel, "kb test add", question=FRANCE, expect="declined")
    assert "✅ It is answered that way now" in declined.response.content

    unknown = await s.mod.slash(s.channel, "kb test add", question=FRANCE, expect="curated:7")
    assert "Not added: there is no curated answer #7" in unknown.response.content
    assert_error(simcord_env, Refused)

    exported = await s.mod.slash(s.channel, "kb test export")
    data = yaml.safe_load(await exported.response.attachments[0].read())
    assert [q["question"] for q in data["off_topic"]] == [FRANCE]

    removed = await s.mod.slash(s.channel, "kb test remove", id=2)
    assert removed.response.content.startswith(f"Removed golden question #2 “{FRANCE}”")
    imported = await s.mod.slash(
        s.channel, "kb test import", file=("golden.yaml", yaml.safe_dump(data).encode())
    )
    assert "Imported: 1 new, 0 updated, 1 unchanged. 2 of 2 pass now." in last(imported).content

    broken = await s.mod.slash(
        s.channel, "kb test import", file=("mine.yaml", b"answerable:\n  - question: Why?\n")
    )
    assert "Nothing imported: mine.yaml, line 2" in last(broken).content
    assert_error(simcord_env, Refused)


async def test_server_b_never_sees_server_as_golden_questions(simcord_env):
    a = side(simcord_env, "A")
    b = side(simcord_env, "B", report_here=False)
    await keep_as_test(a)
    listed = shown(await b.mod.slash(b.channel, "kb test list"))
    assert "No golden questions yet" in listed and ENTEROMAMMARY not in listed
    assert await b.mod.autocomplete(b.channel, "kb test remove", "id", "") == []
    gone = await b.mod.slash(b.channel, "kb test remove", id=1)
    assert "There is no golden question #1" in gone.response.content
    assert_error(simcord_env, Refused)
    exported = await b.mod.slash(b.channel, "kb test export")
    assert ENTEROMAMMARY not in (await exported.response.attachments[0].read()).decode()

    # B's upload does not touch A's questions; A's report goes to A's channel only.
    await b.mod.slash(b.channel, "kb add", file=("gut-glossary.md", GUT_GLOSSARY))
    assert reports(a) == [] and reports(b) == []
    await a.mod.slash(a.channel, "kb add", file=("gut-glossary.md", GUT_GLOSSARY))
    assert len(reports(a)) == 1 and reports(b) == []


def test_citebot_eval_runs_a_servers_golden_questions(tmp_path, capsys):
    state = tmp_path / "state"
    folder = state / "servers" / "42"
    folder.mkdir(parents=True)
    (folder / "golden.yaml").write_text(
        f"answerable:\n  - question: {ENTEROMAMMARY}\n    section: [Enteromammary immune system]\n"
        f"off_topic:\n  - {FRANCE}\n"
    )
    assert main(["eval", "--state-dir", str(state), "--server", "42"]) == 0
    out = capsys.readouterr().out
    assert "golden questions: 2, passing: 2, failing: 0" in out

    (folder / "knowledge").mkdir()
    (folder / "knowledge" / "gut-glossary.md").write_bytes(GUT_GLOSSARY)
    assert main(["eval", "--state-dir", str(state), "--server", "42"]) == 1
    out = capsys.readouterr().out
    assert "failing: 1" in out and "Gut and milk glossary › Enteromammary" in out


@pytest.mark.parametrize("text", ["answerable: [oops\n", "answerable:\n  - question: Why?\n"])
def test_citebot_eval_reports_a_broken_golden_file(tmp_path, capsys, text):
    folder = tmp_path / "servers" / "42"
    folder.mkdir(parents=True)
    (folder / "golden.yaml").write_text(text)
    assert main(["eval", "--state-dir", str(tmp_path), "--server", "42"]) == 2
    assert "golden.yaml, line" in capsys.readouterr().err


async def test_a_change_made_while_the_bot_was_down_is_reported_at_start(simcord_env, state_dir, builtin_kb):
    s = side(simcord_env)
    asked = await s.mod.slash(s.channel, "ask", question=ENTEROMAMMARY)
    await s.mod.context_menu(s.channel, KEEP_MENU_NAME, asked.response)
    # An answer posted before answers lost their Keep as test button.
    record = simcord_env.bot.server(s.guild.id).store.answer_for_message(asked.response.id)
    older = discord.ui.View(timeout=None)
    older.add_item(KeepAsTestButton(record.id))
    sent = await simcord_env.bot.get_channel(s.channel.id).send("an older answer", view=older)
    [old_answer] = [m for m in s.channel.history(viewer=s.mod) if m.id == sent.id]
    uploads = state_dir / "servers" / str(s.guild.id) / "knowledge"
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "gut-glossary.md").write_bytes(GUT_GLOSSARY)

    await simcord_env.restart_bot(create_bot(simcord_env.bot.config, kb=builtin_kb))
    await simcord_env.settle()
    [report] = reports(s)
    assert report.startswith("🧪 at start: 1 golden question got worse:")

    # The menu on an answer given before the restart still works, and so does an older answer's
    # Keep as test button (for moderators only).
    again = await s.mod.context_menu(s.channel, KEEP_MENU_NAME, asked.response)
    assert again.response.content.startswith(GOLDEN_UPDATED.format(id=1) + f" “{ENTEROMAMMARY}”")
    assert "Gut and milk glossary" in again.response.content
    clicked = await s.mod.click(old_answer, label="Keep as test")
    assert clicked.response.content.startswith(GOLDEN_UPDATED.format(id=1) + f" “{ENTEROMAMMARY}”")
    refused = await s.alice.click(old_answer, label="Keep as test")
    assert refused.response.content == MODERATORS_ONLY


async def test_a_shared_folder_reloaded_from_one_server_is_checked_in_the_others(simcord_env, tmp_path):
    folder = tmp_path / "operator-kb"
    folder.mkdir()
    storage = "# Milk storage\n\n## Fridge\n\nExpressed breast milk keeps for up to four days in a fridge.\n"
    (folder / "storage.md").write_text(storage)
    config = dataclasses.replace(simcord_env.bot.config, knowledge_dir=folder)
    await simcord_env.restart_bot(create_bot(config))
    a = side(simcord_env, "A", report_here=False)
    b = side(simcord_env, "B")
    kept = await keep_as_test(b, "How long does expressed breast milk keep in a refrigerator?")
    assert "section Fridge of “Milk storage”" in kept.response.content

    (folder / "storage.md").write_text("# Milk storage\n\n## Freezer\n\nFrozen milk keeps six months.\n")
    await a.mod.slash(a.channel, "kb reload")
    [report] = reports(b)
    assert report.startswith("🧪 after the shared knowledge folder was reloaded: 1 golden question got worse")
    assert f"<@{a.mod.id}>" not in report  # nothing of server A shows in B


async def test_the_full_report_is_private_and_paged_with_failures_first(simcord_env):
    s = side(simcord_env)
    questions = [f"What is the capital of country number {n}?" for n in range(11)]
    text = yaml.safe_dump(
        {
            "answerable": [{"question": ENTEROMAMMARY, "section": ["Summary"]}],
            "off_topic": questions,
        }
    ).encode()
    await s.mod.slash(s.channel, "kb test import", file=("golden.yaml", text))
    run = last(await s.mod.slash(s.channel, "kb test run"))
    assert run.ephemeral
    assert "**11** of **12** golden question(s) answer as expected" in run.embeds[0].description
    labels = [c["label"] for row in run.components for c in row["components"]]
    assert labels == ["Previous", "1/3", "Next"]
    second = await s.mod.click(run, label="Next")
    first_line = second.response.embeds[0].description.splitlines()[0]
    assert first_line.startswith(f"❌ **#1** “{ENTEROMAMMARY}”: expected section Summary, got ")
