"""``/kb add`` and ``/kb remove`` with the state in PostgreSQL: a document or a crawled site added
through one bot process is served by every other, its removal reaches them too, and each change
is announced to them once."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

import discord
import pytest
from site_server import Page, html, serve

from bot.config import Config, CrawlConfig
from knowledge import KnowledgeBase
from knowledge.database import open_store
from knowledge.store import KNOWLEDGE_CHANGED, StateStore
from knowledge.tenancy import Servers
from knowledge.uploads import KnowledgeSources

QUESTION = "How long does breast milk keep in the fridge?"
WAIT_S = 300  # a guard against a change that never arrives, not a measure of speed (well under 1 s)
DOCUMENT = b"# Storing expressed breast milk\n\nExpressed breast milk keeps for four days in a fridge.\n"
SITE = {
    "/docs/": Page(html("Milk docs", '<h1>Milk docs</h1><p>Guides.</p><a href="fridge.html">fridge</a>')),
    "/docs/fridge.html": Page(
        html("Fridge", '<h1 id="fridge">Fridge</h1><p>Breast milk keeps for four days in a fridge.</p>')
    ),
}


@pytest.fixture
def config(state_dir, database_url) -> Config:
    return Config(state_dir=state_dir, database_url=database_url)


@pytest.fixture
def other_store(database_url, tmp_path):
    """The store of another bot process on the same database."""
    store = open_store(tmp_path / "other", database_url)
    yield store
    store.close()


@pytest.fixture
def other(other_store, tmp_path, builtin_kb: KnowledgeBase) -> Servers:
    """The servers of another bot process, with its own state folder."""
    return Servers(KnowledgeSources.resolve(None, tmp_path / "other"), other_store, base=builtin_kb)


def server(env):
    guild = env.create_guild()
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    channel = guild.create_text_channel("help")
    mod = guild.add_member(env.create_user("mod"), roles=[mods])
    return guild, channel, mod


def last_message(result):
    return result.followups[-1] if result.followups else result.response


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds (a change made elsewhere is loaded in the background)."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the change never reached the bot"
        await asyncio.sleep(0.05)


def announced(store: StateStore, guild) -> int:
    """How many changes of the server's state were announced to the other processes so far."""
    return store.change_counters().get(guild.id, 0)


async def test_an_upload_and_its_removal_are_announced_to_the_other_processes_once(simcord_env, other_store):
    guild, channel, mod = server(simcord_env)
    added = await mod.slash(channel, "kb add", file=("Milk storage.md", DOCUMENT))
    assert "The index now has" in last_message(added).content
    assert announced(other_store, guild) == 1
    removed = await mod.slash(channel, "kb remove", document="uploads/milk-storage")
    assert last_message(removed).content.startswith("Removed `Milk-storage.md`.")
    assert announced(other_store, guild) == 2


@pytest.mark.simcord(settle_timeout=30)
async def test_a_site_added_through_one_process_is_answered_and_removed_by_another(simcord_env, other):
    guild, channel, mod = server(simcord_env)
    settings = CrawlConfig(requests_per_second=100, allow_hosts=frozenset({"127.0.0.1"}))
    simcord_env.bot.config = dataclasses.replace(simcord_env.bot.config, crawl=settings)
    theirs = other.get(guild.id)
    with serve(SITE) as site:
        added = await mod.slash(channel, "kb add", url=f"{site.base}/docs/")
    assert "2 pages added" in last_message(added).content
    assert announced(other.store, guild) == 1

    # The other process, told of the change, serves the site and lists it for /kb remove.
    other.apply_change(guild.id, KNOWLEDGE_CHANGED)
    other.wait_for_reindexing()
    answer = theirs.assistant.ask(QUESTION)
    assert answer.answered and answer.cited()[0][1].link == f"{site.base}/docs/fridge.html#fridge"
    [listed] = theirs.sources.folder.sites(theirs.kb)
    assert listed.address == f"{site.base}/docs/"

    # Removed there, the site is gone from this process once it hears of it.
    theirs.sources.folder.remove(theirs.kb, listed.choice)
    assert announced(other.store, guild) == 2
    mine = simcord_env.bot.server(guild.id)
    await until(lambda: not any(doc.id.startswith("uploads/") for doc in mine.kb.documents.values()))
    choices = await mod.autocomplete(channel, "kb remove", "document", "site")
    assert choices == []
    gone = await mod.slash(channel, "ask", question=QUESTION)
    assert gone.response.embeds[0].title.startswith("No answer found")
