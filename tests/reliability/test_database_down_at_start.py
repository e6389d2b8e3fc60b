"""Starting while PostgreSQL is down: the bot and ``citebot ask`` start anyway, answer from the
documents with every safety notice, refuse moderators' changes clearly, and connect when the
database is back, serving what it held before from then on."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import discord
import pytest
from postgres import allow_connections
from simcord import assert_error
from test_store_faults import ANSWERABLE, RED_FLAG, RED_FLAG_NOTICE

from bot import create_bot
from bot.answering import NOT_RECORDED
from bot.config import Config
from bot.exts._curating import SAVED
from bot.utils import Refused
from knowledge.curated import CuratedStore
from knowledge.database import open_store

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 300  # a guard against a bot that never connects, not a measure of speed
GUILD = 1_100_000_000_000_000_001  # known before the bot starts, so its state can be stored first
STORED = ("How long does expressed milk keep in the fridge?", "Four days at the back of the fridge.")
CURATED_ANSWERABLE = (
    ANSWERABLE,
    "Immune cells primed in the gut travel to the breast: our server's summary.",
)
NEW = ("Can I take ibuprofen while breastfeeding?", "Ask your pharmacist.")
NOT_SAVED = "Not saved: the database cannot be reached, so this change was saved nowhere"


def store_curated(database_url: str, folder: Path, guild_id: int, curated: tuple[str, str] = STORED) -> None:
    """A moderator's curated answer saved through another process before this one starts."""
    store = open_store(folder, database_url)
    try:
        CuratedStore(store.server(guild_id).state_file(Path("curated.yaml"))).add(*curated, author="mod")
    finally:
        store.close()


@pytest.fixture
def config(state_dir, database_url) -> Config:
    return Config(state_dir=state_dir, database_url=database_url)


@pytest.fixture
def simcord_bot(config, builtin_kb, database_url, tmp_path):
    store_curated(database_url, tmp_path / "other-process", GUILD)
    allow_connections(database_url, False)  # down before the bot logs in
    try:
        bot = create_bot(config, kb=builtin_kb)
        yield bot
        bot.close_state()
    finally:
        allow_connections(database_url, True)


def embeds_text(message) -> str:
    return str([embed.to_dict() for embed in message.embeds])


async def curate(moderator, channel, question: str, answer: str):
    shown = await moderator.slash(channel, "faq add")
    saved = await moderator.submit_modal(shown, {"curate:question": question, "curate:answer": answer})
    return saved.followups[-1] if saved.followups else saved.response


@pytest.mark.simcord(settle_timeout=WAIT_S)
async def test_the_bot_starts_without_its_database_and_connects_when_it_returns(
    simcord_env, config, database_url
):
    bot = simcord_env.bot
    store = bot.server(None).store.store
    assert not store.connected
    guild = simcord_env.create_guild("Milk", id=GUILD)
    channel = guild.create_text_channel("help")
    helpers = guild.create_role("Helpers", permissions=discord.Permissions(manage_messages=True))
    moderator = guild.add_member(simcord_env.create_user("helper"), roles=[helpers])
    alice = guild.add_member(simcord_env.create_user("alice"))
    bob = guild.add_member(simcord_env.create_user("bob"))

    r = await alice.slash(channel, "ask", question=RED_FLAG)
    assert RED_FLAG_NOTICE in r.response.content
    assert config.notices.medical in r.response.content
    assert r.response.embeds and not r.response.components
    assert r.response.embeds[0].footer.text == NOT_RECORDED
    refused = await curate(moderator, channel, *NEW)
    assert refused.ephemeral and NOT_SAVED in refused.content
    assert_error(simcord_env, Refused, contains="saved nowhere")

    allow_connections(database_url, True)
    assert await asyncio.to_thread(store.wait_connected, WAIT_S)

    saved = await curate(moderator, channel, *NEW)
    assert SAVED.format(id=2) in saved.content  # after the one stored before start, not over it
    asked = await bob.slash(channel, "ask", question=STORED[0])
    assert STORED[1] in embeds_text(asked.response)
    assert asked.response.components  # recorded again: it has its vote buttons
    new = await moderator.slash(channel, "ask", question=NEW[0])
    assert NEW[1] in embeds_text(new.response)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def citebot_ask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "CITEBOT_CONFIG")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "ask", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=WAIT_S,
    )


def test_citebot_ask_answers_from_the_documents_while_the_database_is_down(database_url, tmp_path):
    store_curated(database_url, tmp_path / "bot", 5, CURATED_ANSWERABLE)
    state = {"CITEBOT_STATE_DIR": str(tmp_path / "state")}
    down = f"postgresql://citebot:s3cret@127.0.0.1:{closed_port()}/citebot?connect_timeout=2"

    out = citebot_ask("--server", "5", ANSWERABLE, env=state | {"CITEBOT_DATABASE_URL": down})
    assert out.returncode == 0, out.stderr
    assert "cannot connect to the database postgresql://citebot:***@127.0.0.1" in out.stderr
    assert "starting without it" in out.stderr and "s3cret" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr
    assert "Sources:" in out.stdout and CURATED_ANSWERABLE[1] not in out.stdout  # the documents' answer

    warned = citebot_ask(RED_FLAG, env=state | {"CITEBOT_DATABASE_URL": down})
    assert warned.returncode == 0, warned.stderr
    assert RED_FLAG_NOTICE in warned.stdout

    up = citebot_ask("--server", "5", ANSWERABLE, env=state | {"CITEBOT_DATABASE_URL": database_url})
    assert up.returncode == 0, up.stderr
    assert CURATED_ANSWERABLE[1] in up.stdout and "starting without it" not in up.stderr
