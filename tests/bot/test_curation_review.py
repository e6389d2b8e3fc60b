"""/review: declined and 👎 questions grouped with Write answer / Dismiss, glossary suggestions,
and curated answers whose sources changed (in /review and in the moderator channel)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import discord
import pytest
from bot_helpers import embed_text

from bot import create_bot
from bot.checks import MODERATORS_ONLY
from bot.config import Config, CooldownConfig
from bot.exts._curating import SAVED, UPDATED
from bot.render import CURATED_HEADER
from knowledge.curated import SourceLink

CURATED = f"**{CURATED_HEADER}**"

FRIDGE = "How long can breast milk stay in the fridge?"
ARTICLE = """---
title: Milk storage
---
# Milk storage

## Fridge

Expressed breast milk keeps for up to four days in a refrigerator.

## Freezer

Frozen breast milk is best used within six months.
"""


def server(env):
    guild = env.create_guild()
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    channel = guild.create_text_channel("help")
    mod = guild.add_member(env.create_user("mod"), roles=[mods])
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    return guild, channel, mod, alice, bob


def review_message(result):
    return result.followups[-1] if result.followups else result.response


async def test_declined_questions_are_grouped_and_can_be_dismissed(simcord_env):
    _, channel, mod, alice, bob = server(simcord_env)
    await alice.slash(channel, "ask", question=FRIDGE)
    await bob.slash(channel, "ask", question="how long can breast milk stay in the fridge")
    await bob.slash(channel, "ask", question="Can my jugs make too much milk?")

    shown = await mod.slash(channel, "review")
    message = review_message(shown)
    assert message.ephemeral
    summary, first = message.embeds
    assert "**2** question group(s) waiting" in summary.description
    assert "**jugs** (1×)" in summary.description  # a glossary suggestion
    assert first.title == FRIDGE
    assert first.description.startswith("Asked 2× · declined 2×")

    dismissed = await mod.click(message, label="Dismiss")
    assert dismissed.response.content.startswith(f"Dismissed “{FRIDGE}” (2 question(s))")
    assert dismissed.response.embeds[0].title == "Can my jugs make too much milk?"

    again = review_message(await mod.slash(channel, "review"))
    assert "**1** question group(s) waiting" in again.embeds[0].description


async def test_review_suggests_only_words_a_glossary_entry_would_help_with(simcord_env):
    _, channel, mod, alice, bob = server(simcord_env)
    await alice.slash(channel, "ask", question="my baby is 39 days old, actualy can I give her calpol?")
    await bob.slash(channel, "ask", question="Is calpol safe for a baby of 39 days?")
    summary = review_message(await mod.slash(channel, "review")).embeds[0].description
    assert "**calpol** (2×)" in summary
    for useless in ("**baby**", "**39**", "**actualy**"):
        assert useless not in summary  # read as "infant" already, a number, a misspelling


async def test_downvoted_answers_are_queued_with_the_reason(simcord_env):
    _, channel, mod, alice, _ = server(simcord_env)
    asked = await alice.slash(channel, "ask", question="What is the enteromammary immune system?")
    why = await alice.click(asked.response, label="👎")
    await alice.submit_modal(why, {"citebot:why:reason": "Too technical for me"})
    message = review_message(await mod.slash(channel, "review"))
    group = message.embeds[1]
    assert group.title == "What is the enteromammary immune system?"
    assert "👎 1×" in group.description
    assert "Too technical for me" in embed_text(group)


async def test_write_answer_from_the_queue_saves_a_curated_answer(simcord_env):
    _, channel, mod, alice, _ = server(simcord_env)
    await alice.slash(channel, "ask", question=FRIDGE)
    message = review_message(await mod.slash(channel, "review"))

    shown = await mod.click(message, label="Write answer")
    assert shown.modal is not None
    saved = await mod.submit_modal(
        shown, {"curate:question": FRIDGE, "curate:answer": "Up to four days at 4 °C.", "curate:sources": ""}
    )
    assert SAVED.format(id=1) in saved.response.content

    later = await alice.slash(channel, "ask", question="how long can breast milk stay in the fridge?")
    assert later.response.embeds[0].description.startswith(CURATED + "\nUp to four days")
    empty = review_message(await mod.slash(channel, "review"))
    assert empty.content.startswith("The review queue is empty")


async def test_members_cannot_open_the_review_queue(simcord_env):
    _, channel, _, alice, _ = server(simcord_env)
    assert "review" not in alice.available_commands(channel)


# -- sources that changed ------------------------------------------------------------------------------


class TestChangedSources:
    """A knowledge folder of its own, edited between reloads."""

    @pytest.fixture
    def knowledge_dir(self, tmp_path: Path) -> Path:
        folder = tmp_path / "kb"
        folder.mkdir()
        (folder / "milk-storage.md").write_text(ARTICLE, encoding="utf-8")
        return folder

    @pytest.fixture
    def simcord_bot(self, state_dir: Path, knowledge_dir: Path):
        return create_bot(
            Config(
                state_dir=state_dir, knowledge_dir=knowledge_dir, cooldown=CooldownConfig(rate=100, per=1.0)
            )
        )

    async def test_changed_sources_are_flagged_in_the_moderator_channel_and_kept(
        self, simcord_env, knowledge_dir
    ):
        guild, channel, mod, alice, _ = server(simcord_env)
        mod_channel = guild.create_text_channel("moderators")
        bot = simcord_env.bot
        bot.config = dataclasses.replace(bot.config, moderator_channel=mod_channel.id)
        kb = bot.server(guild.id).assistant.kb
        [fridge] = [
            p for p in kb.passages if p.section == ("Milk storage", "Fridge") or "Fridge" in p.section
        ]
        bot.server(guild.id).assistant.curated.add(
            "How long does milk keep in the fridge?",
            "Four days.",
            author="mod",
            sources=[SourceLink.of(fridge)],
        )

        (knowledge_dir / "milk-storage.md").write_text(ARTICLE.replace("four days", "three to four days"))
        reloaded = await mod.slash(channel, "kb reload")
        assert "The index now has 1 documents" in review_message(reloaded).content

        [notice] = [m for m in mod_channel.history(viewer=mod) if m.embeds]
        assert notice.embeds[0].title == "Sources changed: #1 How long does milk keep in the fridge?"
        assert fridge.id in notice.embeds[0].description
        assert bot.server(guild.id).assistant.curated.get(1).status == "stale"

        # /review lists it too, first.
        queue = review_message(await mod.slash(channel, "review"))
        assert "**1** curated answer(s) with changed sources" in queue.embeds[0].description

        # A member cannot use the channel's buttons; a moderator keeps it, re-linked to the new text.
        refused = await alice.click(notice, label="Keep")
        assert refused.response.content == MODERATORS_ONLY
        kept = await mod.click(notice, label="Keep")
        assert kept.response.content.startswith("Kept curated answer #1")
        entry = bot.server(guild.id).assistant.curated.get(1)
        [new_fridge] = [p for p in bot.server(guild.id).assistant.kb.passages if "Fridge" in p.section]
        assert entry.status == "active" and [s.passage_id for s in entry.sources] == [new_fridge.id]
        assert new_fridge.id != fridge.id

    async def test_edit_from_the_moderator_channel_reviews_the_answer(self, simcord_env, knowledge_dir):
        guild, channel, mod, _, _ = server(simcord_env)
        mod_channel = guild.create_text_channel("moderators")
        bot = simcord_env.bot
        bot.config = dataclasses.replace(bot.config, moderator_channel=mod_channel.id)
        [fridge] = [p for p in bot.server(guild.id).assistant.kb.passages if "Fridge" in p.section]
        bot.server(guild.id).assistant.curated.add(
            "How long does milk keep in the fridge?",
            "Four days.",
            author="mod",
            sources=[SourceLink.of(fridge)],
        )
        (knowledge_dir / "milk-storage.md").write_text(ARTICLE.replace("four days", "three to four days"))
        await mod.slash(channel, "kb reload")
        [notice] = [m for m in mod_channel.history(viewer=mod) if m.embeds]

        shown = await mod.click(notice, label="Edit")
        assert shown.modal["title"] == "Edit curated answer #1"
        [new_fridge] = [p for p in bot.server(guild.id).assistant.kb.passages if "Fridge" in p.section]
        prefilled = str(shown.modal)
        assert new_fridge.id in prefilled and fridge.id not in prefilled  # the passage as it is now
        saved = await mod.submit_modal(
            shown,
            {
                "curate:question": "How long does milk keep in the fridge?",
                "curate:answer": "Three to four days.",
                "curate:sources": new_fridge.id,
            },
        )
        assert UPDATED.format(id=1) in saved.response.content
        entry = bot.server(guild.id).assistant.curated.get(1)
        assert entry.answer == "Three to four days." and entry.status == "active"
        assert [s.passage_id for s in entry.sources] == [new_fridge.id]
        assert [r.action for r in entry.history] == ["created", "flagged", "edited", "relinked"]

    async def test_retire_stops_serving_a_flagged_answer(self, simcord_env, knowledge_dir):
        guild, channel, mod, alice, _ = server(simcord_env)
        bot = simcord_env.bot
        [freezer] = [p for p in bot.server(guild.id).assistant.kb.passages if "Freezer" in p.section]
        bot.server(guild.id).assistant.curated.add(
            "Can I freeze breast milk?",
            "Yes, for six months.",
            author="mod",
            sources=[SourceLink.of(freezer)],
        )
        (knowledge_dir / "milk-storage.md").write_text(ARTICLE.split("## Freezer")[0])
        await mod.slash(channel, "kb reload")

        message = review_message(await mod.slash(channel, "review"))
        assert message.embeds[1].title == "Sources changed: #1 Can I freeze breast milk?"
        retired = await mod.click(message, label="Retire")
        assert "Retired curated answer #1" in retired.response.content
        answer = await alice.slash(channel, "ask", question="Can I freeze breast milk?")
        assert CURATED_HEADER not in answer.response.embeds[0].description
