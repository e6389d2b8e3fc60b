"""``/kb add url:``: moderators crawl a docs website into their server's knowledge; internal
addresses are refused from Discord unless the operator allowed the host."""

from __future__ import annotations

import dataclasses
import sys

import discord
import pytest
from simcord import assert_error
from site_server import docs_site, serve

from bot.checks import MODERATORS_ONLY, NotModerator
from bot.config import CrawlConfig
from bot.utils import Refused

QUESTION = "How long does expressed breast milk keep in the refrigerator?"


def server(env, name="A"):
    guild = env.create_guild(name)
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    channel = guild.create_text_channel("help")
    mod = guild.add_member(env.create_user(f"mod-{name}"), roles=[mods])
    alice = guild.add_member(env.create_user(f"alice-{name}"))
    return guild, channel, mod, alice


def last_message(result):
    return result.followups[-1] if result.followups else result.response


def crawl_config(env, **changes):
    """Crawl settings for the fixture site: quick, a small size cap (its huge page) and timeout
    (its slow page); ``allow_hosts`` as given."""
    settings = CrawlConfig(requests_per_second=100, timeout=0.5, max_page_mb=0.2, **changes)
    env.bot.config = dataclasses.replace(env.bot.config, crawl=settings)


@pytest.fixture
def site():
    with serve(docs_site()) as served:
        yield served


@pytest.mark.simcord(settle_timeout=30)
async def test_a_moderator_adds_a_site_and_only_that_server_answers_from_it(simcord_env, site, state_dir):
    a_guild, a_channel, a_mod, a_alice = server(simcord_env, "A")
    _, b_channel, _, b_alice = server(simcord_env, "B")
    crawl_config(simcord_env, allow_hosts=frozenset({"127.0.0.1"}))

    added = await a_mod.slash(a_channel, "kb add", url=f"{site.base}/docs/")
    text = last_message(added).content
    assert text.startswith(f"Crawled <{site.base}/docs/>: ")
    assert "pages added" in text and "1 disallowed by robots.txt" in text and "1 too large" in text
    assert "1 redirected off the site" in text and "1 timed out" in text
    assert "The index now has" in text
    assert "/docs/private/secret.html" not in site.paths()

    answer = await a_alice.slash(a_channel, "ask", question=QUESTION)
    description = answer.response.embeds[0].description
    assert "four days" in description
    assert f"{site.base}/docs/install.html#fridge" in description

    # The pages are in server A's uploads only; server B never sees them.
    uploads = state_dir / "servers" / str(a_guild.id) / "knowledge"
    [folder] = [p for p in uploads.iterdir()]
    assert (folder / "install.html").is_file()
    other = await b_alice.slash(b_channel, "ask", question=QUESTION)
    assert other.response.embeds[0].title.startswith("No answer found")

    # Crawling again changes nothing: no page is downloaded, the index is not rebuilt.
    before = len(site.requests)
    again = await a_mod.slash(a_channel, "kb add", url=f"{site.base}/docs/")
    assert "0 pages added, 0 updated" in last_message(again).content
    assert "Nothing changed, so the index stays as it is." in last_message(again).content
    stored = {path for path, headers in site.requests[before:] if headers.get("if-none-match")}
    assert "/docs/install.html" in stored
    assert all(h["x-answered"] == "304" for p, h in site.requests[before:] if p in stored)

    # /kb remove offers the site as one choice and removes it whole.
    choices = await a_mod.autocomplete(a_channel, "kb remove", "document", "site")
    assert [c["name"].split(" (")[0] for c in choices] == [f"🌐 site {site.base}/docs/"]
    removed = await a_mod.slash(a_channel, "kb remove", document=choices[0]["value"])
    assert last_message(removed).content.startswith(f"Removed the site <{site.base}/docs/> (")
    assert not folder.exists()
    gone = await a_alice.slash(a_channel, "ask", question=QUESTION)
    assert gone.response.embeds[0].title.startswith("No answer found")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{port}/docs/", "127.0.0.1 is a loopback address"),
        ("http://[::1]:{port}/docs/", "::1 is a loopback address"),
        ("http://10.1.2.3/docs/", "10.1.2.3 is a private address"),
        ("http://169.254.169.254/latest/", "169.254.169.254 is a link-local address"),
        ("http://[::ffff:127.0.0.1]:{port}/", "::ffff:127.0.0.1 is a loopback address"),
        ("http://localhost:{port}/docs/", "localhost resolves to 127.0.0.1 (a loopback address)"),
        # Unicode spellings the HTTP client reads as the same addresses
        ("http://１２７.０.０.１:{port}/docs/", "127.0.0.1 is a loopback address"),
        ("http://127。0。0。1:{port}/docs/", "127.0.0.1 is a loopback address"),
        ("http://①②⑦.⓪.⓪.①:{port}/docs/", "127.0.0.1 is a loopback address"),
        ("http://１６９.２５４.１６９.２５４/latest/", "169.254.169.254 is a link-local address"),
        ("http://１０.0.0.5/docs/", "10.0.0.5 is a private address"),
        ("http://０.０.０.０:{port}/docs/", "0.0.0.0 is an unspecified address"),
    ],
)
@pytest.mark.simcord(settle_timeout=15)
async def test_internal_addresses_are_refused_with_a_clear_message(simcord_env, site, state_dir, url, reason):
    guild, channel, mod, _ = server(simcord_env)
    crawl_config(simcord_env)
    kb = simcord_env.bot.server(guild.id).kb
    result = await mod.slash(channel, "kb add", url=url.format(port=site.base.rsplit(":", 1)[1]))
    text = last_message(result).content
    assert text.startswith("Not added: ") and reason in text
    assert "citebot does not crawl internal addresses" in text
    assert last_message(result).ephemeral
    assert_error(simcord_env, Refused, contains="internal addresses")
    assert site.requests == []
    assert simcord_env.bot.server(guild.id).kb is kb
    assert not (state_dir / "servers" / str(guild.id) / "knowledge").exists()


@pytest.mark.simcord(settle_timeout=15)
async def test_a_bad_address_gives_a_clear_error(simcord_env):
    _guild, channel, mod, _ = server(simcord_env)
    result = await mod.slash(channel, "kb add", url="file:///etc/passwd")
    assert last_message(result).content.startswith("Not added: 'file:///etc/passwd' is not an http")
    assert_error(simcord_env, Refused)
    neither = await mod.slash(channel, "kb add")
    assert neither.response.content == "Give a file or a url to add (one of them). Nothing was added."


async def test_members_cannot_crawl(simcord_env, site):
    guild, channel, _, alice = server(simcord_env)
    for command in await simcord_env.bot.tree.fetch_commands():
        if command.name == "kb":
            guild.set_command_permissions(command, {alice: True})
    crawl_config(simcord_env, allow_hosts=frozenset({"127.0.0.1"}))
    result = await alice.slash(channel, "kb add", url=f"{site.base}/docs/")
    assert result.response.content == MODERATORS_ONLY
    assert_error(simcord_env, NotModerator)
    assert site.requests == []


@pytest.mark.simcord(settle_timeout=30)
async def test_a_long_crawl_shows_its_progress(simcord_env, site, monkeypatch):
    # A note after every page (the extension as the bot loaded it).
    monkeypatch.setattr(sys.modules["bot.exts.kb_admin"], "PROGRESS_EVERY", 0.0)
    _, channel, mod, _ = server(simcord_env)
    crawl_config(simcord_env, allow_hosts=frozenset({"127.0.0.1"}))
    added = await mod.slash(channel, "kb add", url=f"{site.base}/docs/")
    notes = [
        request.json["content"]
        for request in simcord_env.http_requests
        if request.method == "PATCH" and "@original" in request.path
    ]
    assert notes, "the deferred reply was edited with the crawl's progress"
    assert f"⏳ Crawling <{site.base}/docs/>: " in notes[0] and "pages found so far" in notes[0]
    assert notes[-1] == f"Crawled <{site.base}/docs/>."  # no stale count stays
    assert last_message(added).content.startswith(f"Crawled <{site.base}/docs/>: ")
