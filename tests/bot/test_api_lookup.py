"""/lookup: an API object of the documentation by name, with autocomplete; found in the server whose
documents name it only."""

from __future__ import annotations

import discord
import pytest
from sphinx_site import SITE, write_crawled_site

from bot import create_bot
from bot.config import Config

API_RST = b"""\
Widgets
=======

.. py:function:: frobnicate(widget, *, force=False)

   Turns the ``widget`` inside out. It cannot be undone.
"""


@pytest.fixture
def simcord_bot(state_dir, tmp_path):
    # The operator's docs: a crawled Sphinx site with its objects.inv, as every server reads them.
    write_crawled_site(tmp_path / "docs" / "discordpy")
    return create_bot(Config(state_dir=state_dir, knowledge_dir=tmp_path / "docs"))


def moderated(env, name: str):
    guild = env.create_guild(name)
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    channel = guild.create_text_channel("help")
    return guild, channel, guild.add_member(env.create_user(f"mod-{name}"), roles=[mods])


async def test_lookup_autocompletes_names_and_answers_with_the_description_and_link(simcord_env):
    guild, channel, _ = moderated(simcord_env, "A")
    alice = guild.add_member(simcord_env.create_user("alice"))

    choices = await alice.autocomplete(channel, "lookup", "name", "sen")
    assert [c["name"] for c in choices] == [
        "discord.Webhook.send — method",
        "discord.abc.Messageable.send — method",
    ]
    result = await alice.slash(channel, "lookup", name=choices[1]["value"])
    reply = result.followups[-1] if result.followups else result.response
    assert not reply.ephemeral  # a lookup is shared with the channel, as rtfm's is
    [embed] = reply.embeds
    assert embed.title == "discord.abc.Messageable.send"
    assert embed.url == SITE + "api.html#discord.abc.Messageable.send"
    assert embed.description.splitlines() == [
        "*method*",
        "Sends a message to the destination with the content given.",
        "Documented in API Reference › API Reference › Abstract Base Classes",
    ]

    # The end of a name finds every object so named; the others are listed under the first.
    both = await alice.slash(channel, "lookup", name="send")
    [embed] = (both.followups[-1] if both.followups else both.response).embeds
    assert embed.title == "discord.Webhook.send"
    assert embed.fields[0].value == "`discord.abc.Messageable.send` · method"

    # A misspelt name is not found: close names are suggested to the asker alone.
    typo = await alice.slash(channel, "lookup", name="Mesageable")
    assert typo.response.ephemeral
    assert typo.response.content == (
        "Nothing in the documentation is named **Mesageable**. Close names: `discord.abc.Messageable` (class)"
    )


async def test_a_servers_uploaded_objects_are_found_in_that_server_only(simcord_env):
    _, a_channel, a_mod = moderated(simcord_env, "A")
    _, b_channel, b_mod = moderated(simcord_env, "B")
    await a_mod.slash(a_channel, "kb add", file=("widgets.rst", API_RST))

    found = await a_mod.slash(a_channel, "lookup", name="frobnicate")
    [embed] = (found.followups[-1] if found.followups else found.response).embeds
    assert embed.title == "frobnicate"
    assert "Turns the `widget` inside out." in embed.description  # its code shown as code
    assert "Documented in Widgets" in embed.description
    assert [c["value"] for c in await a_mod.autocomplete(a_channel, "lookup", "name", "frob")] == [
        "frobnicate"
    ]

    assert await b_mod.autocomplete(b_channel, "lookup", "name", "frob") == []
    missing = await b_mod.slash(b_channel, "lookup", name="frobnicate")
    shown = missing.followups[-1] if missing.followups else missing.response
    assert shown.content == "Nothing in the documentation is named **frobnicate**. Try `/search`."
    assert not shown.embeds
    # Both still find the shared documentation's objects.
    shared = await b_mod.slash(b_channel, "lookup", name="Client.run")
    assert (shared.followups[-1] if shared.followups else shared.response).embeds[
        0
    ].title == "discord.Client.run"
