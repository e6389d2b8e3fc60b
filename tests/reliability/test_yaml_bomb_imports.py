"""A moderator imports or uploads a YAML alias bomb ("billion laughs"): /faq import, /kb test
import and /kb add refuse it with the file, the line and what was refused, in one short private
message, and nothing changes: the curated answers, golden questions and documents stay as they
were. The validation runs in a worker thread, so the event loop (every server) never waits on it."""

from __future__ import annotations

import threading

import discord
from simcord import assert_error
from yaml_bomb_helpers import bomb_text

from bot.utils import Refused
from knowledge.curated import CuratedStore
from knowledge.golden import Expectation

REFUSAL = (
    "line 1: YAML refused: anchors and aliases are not accepted (found &l0); write each value out in full"
)
BOMB = bomb_text("answers:\n- question: Can I?\n  answer: Yes.\n  history:\n  - answer: {value}\n")


def server(env):
    guild = env.create_guild()
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    channel = guild.create_text_channel("help")
    return guild, channel, guild.add_member(env.create_user("mod"), roles=[mods])


def last_message(result):
    return result.followups[-1] if result.followups else result.response


async def test_faq_import_of_a_bomb_is_refused_and_the_curated_answers_stay(simcord_env):
    guild, channel, mod = server(simcord_env)
    curated = simcord_env.bot.server(guild.id).curated
    curated.add("What is colostrum?", "The first milk.", author="mod")
    before = curated.path.read_text(encoding="utf-8")

    result = await mod.slash(channel, "faq import", file=("bomb.yaml", BOMB.encode()))
    message = last_message(result)
    assert message.content == f"Nothing imported: bomb.yaml, {REFUSAL}"
    assert message.ephemeral and not message.components  # no Import button to press
    assert_error(simcord_env, Refused, contains="bomb.yaml, line 1")
    assert [(a.id, a.answer) for a in curated.list()] == [(1, "The first milk.")]
    assert curated.path.read_text(encoding="utf-8") == before


async def test_faq_import_reads_the_file_in_a_worker_thread(simcord_env, monkeypatch):
    _guild, channel, mod = server(simcord_env)
    threads: list[threading.Thread] = []
    real_plan = CuratedStore.plan_import

    def plan_import(self, *args, **kwargs):
        threads.append(threading.current_thread())
        return real_plan(self, *args, **kwargs)

    monkeypatch.setattr(CuratedStore, "plan_import", plan_import)
    text = b"answers:\n- question: What is colostrum?\n  answer: The first milk.\n"
    result = await mod.slash(channel, "faq import", file=("mine.yaml", text))
    assert "1 new, 0 updated, 0 unchanged" in last_message(result).content
    assert threads and threads[0] is not threading.main_thread()  # the event loop's thread


async def test_faq_import_of_a_huge_field_names_its_line_and_quotes_nothing(simcord_env):
    guild, channel, mod = server(simcord_env)
    text = "answers:\n- question: Can I?\n  answer: Yes.\n  author: " + "x" * 900_000 + "\n"
    result = await mod.slash(channel, "faq import", file=("big.yaml", text.encode()))
    assert last_message(result).content == (
        "Nothing imported: big.yaml, line 4, entry 1 (id 1): 'author' is 900000 characters; the limit is 200"
    )
    assert_error(simcord_env, Refused)
    assert len(simcord_env.bot.server(guild.id).curated) == 0


async def test_kb_test_import_of_a_bomb_is_refused_and_the_golden_questions_stay(simcord_env):
    guild, channel, mod = server(simcord_env)
    cog = simcord_env.bot.get_cog("SelfTest")
    golden = cog.golden(simcord_env.bot.server(guild.id))
    golden.add("What is the enteromammary immune system?", Expectation.declined(), author="mod")
    before = golden.path.read_text(encoding="utf-8")

    bomb = bomb_text("answerable:\n- question: How does IgA reach milk?\n  section: {value}\n")
    result = await mod.slash(channel, "kb test import", file=("golden.yaml", bomb.encode()))
    assert last_message(result).content == f"Nothing imported: golden.yaml, {REFUSAL}"
    assert_error(simcord_env, Refused, contains="golden.yaml, line 1")
    assert [q.question for q in golden.list()] == ["What is the enteromammary immune system?"]
    assert golden.path.read_text(encoding="utf-8") == before


async def test_an_upload_whose_front_matter_is_a_bomb_is_refused_briefly(simcord_env, state_dir):
    guild, channel, mod = server(simcord_env)
    kb = simcord_env.bot.server(guild.id).kb
    notes = "---\n" + bomb_text("title: {value}\n") + "---\n# Notes\n\nColostrum is the first milk.\n"
    result = await mod.slash(channel, "kb add", file=("notes.md", notes.encode()))
    text = last_message(result).content
    assert "notes.md:2: YAML front matter refused: anchors and aliases are not accepted (found &l0)" in text
    assert "nothing was added" in text.lower() and len(text) < 400
    assert all(isinstance(getattr(e, "original", e), Refused) for e in simcord_env.errors)
    simcord_env.errors.clear()
    assert simcord_env.bot.server(guild.id).kb is kb
    assert not (state_dir / "servers" / str(guild.id) / "knowledge").exists()
