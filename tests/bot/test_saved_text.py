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

    logged = await alice.slash(channel, "ask", question="how do I log night feeds?")
    shown = logged.response.embeds[0].description
    assert "```\nfeeds log --night\nfeeds show\n```" in shown
