"""Documents as people write and save them, read as they meant them: hard-wrapped lines, legacy
encodings, accents."""

from __future__ import annotations

import discord

WRAPPED_DOC = b"""# Night feeds

Babies who wake at night for a feed in the first months are not hungry because of
a lack of milk; frequent night feeds are normal and help keep up the milk supply
while prolactin levels are highest.

To log feeds, run:

```
feeds log --night
feeds show
```
"""


def server(env):
    guild = env.create_guild()
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    channel = guild.create_text_channel("help")
    mod = guild.add_member(env.create_user("mod"), roles=[mods])
    alice = guild.add_member(env.create_user("alice"))
    return channel, mod, alice


def last_message(result):
    return result.followups[-1] if result.followups else result.response


async def test_a_hard_wrapped_sentence_reaches_the_answer_whole_and_code_keeps_its_lines(simcord_env):
    channel, mod, alice = server(simcord_env)
    added = await mod.slash(channel, "kb add", file=("night-feeds.md", WRAPPED_DOC))
    assert last_message(added).content.startswith("Added")

    asked = await alice.slash(channel, "ask", question="are frequent night feeds normal for babies?")
    answer = asked.response.embeds[0].description.split("**Sources**")[0]
    assert "first months are not hungry because of a lack of milk; frequent" in answer.replace("**", "")
    assert "\n" not in answer.split(" [1]")[0], "a line break inside the quoted sentence"

    # The Sources page shows the paragraph as one too, and the code as it is.
    page = (await alice.click(asked.response, label="Sources")).response
    shown = page.embeds[0].description
    assert "a lack of milk; frequent night feeds are normal and help keep up the milk supply while" in shown
    assert "```\nfeeds log --night\nfeeds show\n```" in shown

    logged = await alice.slash(channel, "ask", question="how do I log night feeds?")
    shown = logged.response.embeds[0].description
    assert "```\nfeeds log --night\nfeeds show\n```" in shown


CAFE_DOC = (
    "# Café au lait for nursing mothers\n\nA café au lait holds about half the caffeine of a filter "
    "coffee; déjà vu from the night feeds is common, and one cup a day is fine while breastfeeding.\n"
)


async def test_an_upload_saved_in_windows_1252_is_read_right_and_found_without_accents(simcord_env):
    channel, mod, alice = server(simcord_env)
    added = await mod.slash(channel, "kb add", file=("cafe.md", CAFE_DOC.encode("cp1252")))
    confirmation = last_message(added).content
    assert confirmation.startswith("Added `cafe.md`: “Café au lait for nursing mothers”.")
    assert "It is not UTF-8: read as Windows-1252 (Western European)." in confirmation

    # A member types no accents; the answer quotes the document as written.
    asked = await alice.slash(channel, "ask", question="how much caffeine is in a cafe au lait?")
    answer = asked.response.embeds[0].description
    assert "A **café** **au** **lait** holds about half the **caffeine**" in answer
    assert "déjà vu from the night feeds" in answer
    assert "[1] Café au lait for nursing mothers" in answer


BROKEN_RST = b"""Pumping at work
===============

.. note::

A pump with a double kit halves the time a session takes; most workplaces must give a private room.
"""


async def test_an_upload_with_broken_rest_markup_is_added_and_the_moderator_told_where(simcord_env):
    channel, mod, alice = server(simcord_env)
    added = await mod.slash(channel, "kb add", file=("pumping.rst", BROKEN_RST))
    confirmation = last_message(added).content
    assert confirmation.startswith("Added `pumping.rst`: “Pumping at work”.")
    # The note directive lost its indented body: said, with the line, not silently read.
    assert (
        'Its markup has 1 error, read as well as possible: line 4: Content block expected for the "note"'
        in (confirmation.replace("\\", ""))
    )
    asked = await alice.slash(
        channel, "ask", question="how long does a pumping session take with a double kit?"
    )
    assert "double kit halves the time" in asked.response.embeds[0].description.replace("**", "")
