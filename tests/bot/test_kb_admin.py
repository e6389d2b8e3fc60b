"""/kb: uploads, removal, reloads that never leave members without answers, and statistics."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import threading

import discord
import pytest
from PIL import Image
from simcord import assert_error

from bot import create_bot
from bot.checks import MODERATORS_ONLY, NotModerator
from bot.utils import Refused
from knowledge.uploads import KnowledgeLoader

NEW_DOC = b"""---
title: Storing expressed breast milk
source: Lactation handbook (2024)
---
# Storing expressed breast milk

## Fridge

Freshly expressed breast milk keeps for up to four days in a refrigerator at 4 degrees Celsius.

## Freezer

Frozen breast milk is best used within six months; thaw it slowly in the refrigerator.
"""
NEW_QUESTION = "How long does expressed breast milk keep in the refrigerator?"


def server(env):
    guild = env.create_guild()
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    channel = guild.create_text_channel("help")
    mod = guild.add_member(env.create_user("mod"), roles=[mods])
    alice = guild.add_member(env.create_user("alice"))
    return guild, channel, mod, alice


def last_message(result):
    return result.followups[-1] if result.followups else result.response


def uploads(state_dir, guild):
    """The files uploaded in one server (its own folder in the state folder)."""
    folder = state_dir / "servers" / str(guild.id) / "knowledge"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_a_moderator_adds_a_document_and_members_get_answers_from_it(simcord_env, state_dir):
    guild, channel, mod, alice = server(simcord_env)
    before = await alice.slash(channel, "ask", question=NEW_QUESTION)
    assert before.response.embeds[0].title.startswith("No answer found")

    added = await mod.slash(channel, "kb add", file=("Milk storage.md", NEW_DOC))
    text = last_message(added).content
    assert text.startswith("Added `Milk-storage.md`: “Storing expressed breast milk”.")
    assert "The index now has 2 documents" in text
    # The upload lives in the server's own folder in the state folder.
    assert uploads(state_dir, guild) == ["Milk-storage.md"]

    after = await alice.slash(channel, "ask", question=NEW_QUESTION)
    description = after.response.embeds[0].description
    assert "four days" in description
    assert "[1] Fridge · Lactation handbook 2024" in description

    choices = await mod.autocomplete(channel, "kb remove", "document", "storing")
    assert [c["value"] for c in choices] == ["uploads/milk-storage"]
    removed = await mod.slash(channel, "kb remove", document="uploads/milk-storage")
    assert last_message(removed).content.startswith("Removed `Milk-storage.md`.")
    assert uploads(state_dir, guild) == []
    removed_folder = state_dir / "servers" / str(guild.id) / "removed"
    assert len(list(removed_folder.iterdir())) == 1
    gone = await alice.slash(channel, "ask", question=NEW_QUESTION)
    assert gone.response.embeds[0].title.startswith("No answer found")


async def test_the_built_in_article_cannot_be_removed(simcord_env):
    guild, channel, mod, _ = server(simcord_env)
    doc_id = next(iter(simcord_env.bot.server(guild.id).kb.documents))
    result = await mod.slash(channel, "kb remove", document=doc_id)
    assert "is not an uploaded document" in last_message(result).content
    assert_error(simcord_env, Refused, contains="is not an uploaded document")
    assert doc_id in simcord_env.bot.server(guild.id).kb.documents


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("paper.pdf", b"just some text, not a PDF", "is named .pdf but is not a PDF"),
        ("notes.md", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "holds image/png data"),
        ("notes.md", "caf\u00e9".encode("latin-1") + b" au lait", "is not UTF-8 text"),
        ("script.exe", b"MZ\x90\x00", "is not a supported file type"),
        ("notes.md", b"---\ntitle: [unclosed\n---\nbody", "invalid YAML front matter"),
        ("corpus.jsonl", b'{"_id": "1", "text": "ok"}\nnot json\n', "invalid JSON"),
        ("big.txt", b"milk " * 500_000, "is 2.4 MB; the limit is 2.0 MB"),
    ],
)
async def test_a_bad_upload_gives_a_clear_error_and_changes_nothing(
    simcord_env, state_dir, name, data, message
):
    guild, channel, mod, _ = server(simcord_env)
    kb = simcord_env.bot.server(guild.id).kb
    result = await mod.slash(channel, "kb add", file=(name, data))
    text = last_message(result).content
    assert message in text and ("Not added" in text or "Nothing was added" in text)
    assert last_message(result).ephemeral
    # Refusals reach the one error handler; nothing else went wrong.
    assert all(isinstance(getattr(e, "original", e), Refused) for e in simcord_env.errors)
    assert simcord_env.bot.server(guild.id).kb is kb
    assert uploads(state_dir, guild) == []


async def test_a_file_name_never_becomes_a_path(simcord_env, state_dir, tmp_path):
    guild, channel, mod, _ = server(simcord_env)
    await mod.slash(channel, "kb add", file=("../../../escape.md", NEW_DOC))
    assert uploads(state_dir, guild) == ["escape.md"]
    assert not (tmp_path / "escape.md").exists() and not (state_dir.parent.parent / "escape.md").exists()


async def test_questions_asked_during_a_reload_are_answered_by_the_old_index(simcord_env, monkeypatch):
    guild, channel, _mod, alice = server(simcord_env)
    old_kb = simcord_env.bot.server(guild.id).kb
    building, release = threading.Event(), threading.Event()
    real_load = KnowledgeLoader.load_base

    def slow_load(self):
        building.set()
        release.wait(10)
        kb = real_load(self)
        kb.fingerprint = "changed on disk"  # as if the operator had edited the knowledge folder
        return kb

    monkeypatch.setattr(KnowledgeLoader, "load_base", slow_load)
    cog = simcord_env.bot.get_cog("KnowledgeAdmin")
    reload = asyncio.create_task(cog.reload(guild.id))
    await asyncio.to_thread(building.wait, 10)

    answered = await alice.slash(channel, "ask", question="What is the enteromammary immune system?")
    assert "**enteromammary**" in answered.response.embeds[0].description
    assert simcord_env.bot.server(guild.id).kb is old_kb  # still the old one while the new one builds

    release.set()
    new_kb, _ = await reload
    assert simcord_env.bot.server(guild.id).kb is new_kb is not old_kb
    again = await alice.slash(channel, "ask", question="What is the enteromammary immune system?")
    assert "**enteromammary**" in again.response.embeds[0].description


async def test_a_failed_reload_keeps_the_old_index_and_says_why(simcord_env, monkeypatch):
    guild, channel, mod, alice = server(simcord_env)
    old_kb = simcord_env.bot.server(guild.id).kb

    def broken(self):
        raise MemoryError("the index did not fit")

    monkeypatch.setattr(KnowledgeLoader, "load_base", broken)
    result = await mod.slash(channel, "kb reload")
    text = last_message(result).content
    assert (
        "The rebuild failed, so the previous index is still answering: MemoryError: the index did not fit"
        in text
    )
    assert simcord_env.bot.server(guild.id).kb is old_kb
    answered = await alice.slash(channel, "ask", question="What is the enteromammary immune system?")
    assert "**enteromammary**" in answered.response.embeds[0].description


async def test_stats_count_questions_and_answers(simcord_env):
    _, channel, mod, alice = server(simcord_env)
    await alice.slash(channel, "ask", question="What is the enteromammary immune system?")
    await alice.slash(channel, "ask", question="What is the capital of France?")
    await mod.slash(channel, "ask", question="What is the capital of France?")
    result = await mod.slash(channel, "kb stats")
    [embed] = result.response.embeds
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Documents"] == "1"
    assert fields["Questions asked"] == "3"
    assert fields["Answered"] == "1 (33%)"
    assert fields["Top declined"] == "2× What is the capital of France?"
    assert fields["Answering with"].startswith("lexical only")  # this bot has no meaning model


async def test_stats_show_questions_per_day_as_a_chart(simcord_env):
    _, channel, mod, alice = server(simcord_env)
    await alice.slash(channel, "ask", question="What is the enteromammary immune system?")
    await mod.slash(channel, "ask", question="What is the capital of France?")
    result = await mod.slash(channel, "kb stats")
    message = last_message(result)
    assert message.ephemeral
    [embed] = message.embeds
    assert embed.image.url == "attachment://stats.png"
    [attachment] = message.attachments
    assert attachment.filename == "stats.png"
    data = await attachment.read()
    assert data.startswith(b"\x89PNG") and len(data) < 100_000
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decodes every pixel: a truncated or corrupt file raises here
        assert image.format == "PNG" and image.size == (800, 300)
        assert len(image.getcolors(maxcolors=100_000) or ()) > 2  # drawn, not a blank canvas
    # The numbers are still there next to the picture.
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Questions asked"] == "2" and fields["Answered"] == "1 (50%)"


async def test_stats_of_a_server_without_questions_say_so_without_a_chart(simcord_env):
    _, channel, mod, _ = server(simcord_env)
    result = await mod.slash(channel, "kb stats")
    message = last_message(result)
    [embed] = message.embeds
    assert embed.description == "No questions in the last 30 days yet, so there is no chart."
    assert message.attachments == [] and not embed.image.url
    assert {f.name: f.value for f in embed.fields}["Questions asked"] == "0"


async def test_the_upload_limit_comes_from_the_config(simcord_env, state_dir):
    guild, channel, mod, _ = server(simcord_env)
    bot = simcord_env.bot
    bot.config = dataclasses.replace(bot.config, max_upload_mb=0.25)
    result = await mod.slash(channel, "kb add", file=("notes.txt", b"milk " * 60_000))
    assert last_message(result).content == "“notes.txt” is 292 KB; the limit is 256 KB. Nothing was added."
    assert uploads(state_dir, guild) == []


async def test_members_cannot_upload(simcord_env):
    guild, channel, _, alice = server(simcord_env)
    for command in await simcord_env.bot.tree.fetch_commands():
        if command.name == "kb":
            guild.set_command_permissions(command, {alice: True})
    result = await alice.slash(channel, "kb add", file=("Milk storage.md", NEW_DOC))
    assert result.response.content == MODERATORS_ONLY
    assert_error(simcord_env, NotModerator)
    assert len(simcord_env.bot.server(guild.id).kb.documents) == 1


async def test_the_configured_answer_settings_hold_before_and_after_a_reload(simcord_env, config, builtin_kb):
    strict = dataclasses.replace(config.answers, min_confidence=1.0, max_sentences=1)
    await simcord_env.restart_bot(create_bot(dataclasses.replace(config, answers=strict), kb=builtin_kb))
    _, channel, mod, _alice = server(simcord_env)  # moderators have no /ask cooldown
    borderline = "How do IgG antibodies reach the fetus?"  # answered at the default bar
    sure = "What is the enteromammary immune system?"

    async def shown(question):
        embed = (await mod.slash(channel, "ask", question=question)).response.embeds[0]
        return embed.title.startswith("No answer found"), embed.description.split("\n\n**Sources**")[0]

    assert (await shown(borderline))[0]
    declined, body = await shown(sure)
    assert not declined and body.count("[") == 1  # one sentence, one citation mark

    reloaded = await mod.slash(channel, "kb reload")
    assert "The index now has" in last_message(reloaded).content
    assert (await shown(borderline))[0]
    assert await shown(sure) == (declined, body)


def test_the_bot_starts_without_loading_the_chart_library():
    # matplotlib takes a while to import: only the first /kb stats pays for it, not every start.
    import subprocess
    import sys
    from pathlib import Path

    code = "import sys, bot.app, bot.cli; print(sorted(m for m in sys.modules if m.startswith('matplotlib')))"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
