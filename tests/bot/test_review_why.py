"""/review's **Why?**: how the server's assistant answers a waiting question now, stage by stage
(the analysis, each passage's scores, the Decider's features and rule), shown to the moderator
alone; never for a member, a demoted moderator or another server's question; a click once the
review expired says so."""

from __future__ import annotations

import re

import discord
from simcord import assert_error

from bot.checks import MODERATORS_ONLY, NotModerator
from bot.exts.review import NOT_ON_RECORD, REVIEW_EXPIRED
from bot.ui.curation import ReviewPage, ReviewView

FRIDGE = "How long can breast milk stay in the fridge?"
JUGS = "Can my jugs make too much milk?"
ANSWERABLE = "What is the enteromammary immune system?"
_BLOCK = re.compile(r"\A```\n(?P<body>.*?)\n```(?P<notes>.*)\Z", re.DOTALL)


def server(env, name: str = "A"):
    guild = env.create_guild(name)
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    channel = guild.create_text_channel("help")
    mod = guild.add_member(env.create_user(f"mod-{name}"), roles=[mods])
    alice = guild.add_member(env.create_user(f"alice-{name}"))
    return guild, mods, channel, mod, alice


def last(result):
    return result.followups[-1] if result.followups else result.response


def labels(message) -> list[str]:
    return [c.get("label") for row in message.components for c in row["components"]]


def why(result) -> tuple[str, str, discord.Embed]:
    """The code block's text and the notes under it, of a Why? reply."""
    message = last(result)
    assert message.ephemeral
    [embed] = message.embeds
    found = _BLOCK.match(embed.description)
    assert found, embed.description
    return found["body"], found["notes"], embed


def explained(env, guild_id: int, question: str):
    """What ``citebot ask --explain`` shows of ``question`` with this server's assistant."""
    assistant = env.bot.server(guild_id).assistant
    return assistant.trace(question, k=env.bot.config.answers.passages).to_dict(assistant.kb)


def decision_rule(body: str) -> str:
    [rule] = re.findall(r"^decision: (?:answered|declined) by rule (\S+)$", body, re.MULTILINE)
    return rule


def passage_ids(body: str) -> list[str]:
    return re.findall(r"^  \d+\. .*\((\S+)\)$", body, re.MULTILINE)


async def test_why_shows_the_rule_and_the_passages_of_each_declined_question(simcord_env):
    guild, _, channel, mod, alice = server(simcord_env)
    await alice.slash(channel, "ask", question=FRIDGE)
    await alice.slash(channel, "ask", question=JUGS)

    review = last(await mod.slash(channel, "review"))
    rules = []
    for n, question in enumerate((FRIDGE, JUGS)):
        if n:
            review = last(await mod.click(review, label="▶"))
        assert "Why?" in labels(review)
        body, notes, embed = why(await mod.click(review, label="Why?"))
        expected = explained(simcord_env, guild.id, question)
        assert question in embed.title and notes == ""
        assert decision_rule(body) == expected["decision"]["rule"]
        assert passage_ids(body) == [p["passage"] for p in expected["passages"]]
        assert passage_ids(body), "passages close to the question are shown though it was declined"
        for feature in expected["decision"]["features"]:
            assert re.search(rf"^  {feature}: ", body, re.MULTILINE)
        rules.append(decision_rule(body))
    # "fridge" is a word the documents never use; "jugs" is the subject of its question.
    assert rules == ["below-bar", "unknown-subject"]


async def test_why_explains_a_downvoted_answer_as_answered_now(simcord_env):
    guild, _, channel, mod, alice = server(simcord_env)
    asked = await alice.slash(channel, "ask", question=ANSWERABLE)
    reason = await alice.click(asked.response, label="👎")
    await alice.submit_modal(reason, {"citebot:why:reason": "Too technical"})

    review = last(await mod.slash(channel, "review"))
    body, _, _ = why(await mod.click(review, label="Why?"))
    expected = explained(simcord_env, guild.id, ANSWERABLE)
    assert expected["decision"]["answered"]
    assert re.search(r"^decision: answered by rule ", body, re.MULTILINE)
    assert decision_rule(body) == expected["decision"]["rule"]


async def test_why_is_for_moderators_only(simcord_env):
    guild, mods, channel, mod, alice = server(simcord_env)
    await alice.slash(channel, "ask", question=FRIDGE)
    assert "review" not in alice.available_commands(channel)

    review = last(await mod.slash(channel, "review"))
    simcord_env.backend.remove_member_role(guild.id, mod.id, mods.id)
    await simcord_env.settle()
    refused = await mod.click(review, label="Why?")
    assert refused.response.ephemeral and refused.response.content == MODERATORS_ONLY
    assert not refused.response.embeds and not refused.followups
    assert_error(simcord_env, NotModerator)


async def test_another_servers_question_is_never_explained(simcord_env):
    a_guild, _, a_channel, _, a_alice = server(simcord_env, "A")
    _, _, b_channel, b_mod, b_alice = server(simcord_env, "B")
    secret = "My secret question about sourdough starters?"
    await a_alice.slash(a_channel, "ask", question=secret)
    await b_alice.slash(b_channel, "ask", question=JUGS)

    review = last(await b_mod.slash(b_channel, "review"))
    body, _, embed = why(await b_mod.click(review, label="Why?"))
    assert JUGS in embed.title and "sourdough" not in body

    # A review page in B carrying A's question, as a forged view would: not found in B.
    [a_item] = simcord_env.bot.server(a_guild.id).store.review_items(10)
    cog = simcord_env.bot.get_cog("Review")
    page = ReviewPage(discord.Embed(title="forged"), "group", a_item.answer_id)
    view = ReviewView(b_mod.id, [page], cog._on_review_action)
    sent = await simcord_env.bot.get_channel(b_channel.id).send("forged", view=view)
    view.sent(sent)  # as /review keeps its own messages' views
    [forged] = [m for m in b_channel.history(viewer=b_mod) if m.content == "forged"]
    refused = await b_mod.click(forged, label="Why?")
    shown = last(refused)
    assert shown.content == NOT_ON_RECORD and not shown.embeds


async def test_a_click_after_the_review_expired_says_so(simcord_env):
    _, _, channel, mod, alice = server(simcord_env)
    await alice.slash(channel, "ask", question=FRIDGE)
    review = last(await mod.slash(channel, "review"))

    await simcord_env.advance_time(901)
    expired = await mod.click(review, label="Why?")
    assert expired.response.ephemeral and expired.response.content == REVIEW_EXPIRED


async def test_a_long_question_keeps_its_passages_and_decision_within_discords_limit(simcord_env):
    guild, _, channel, mod, alice = server(simcord_env)
    # Near the longest question kept (1,000 characters), ~150 words each on a line of its own, and
    # the member's backticks and mention echoed in the code block.
    question = "@everyone ```breast milk fridge``` " + " ".join(f"zorb{n}" for n in range(125))
    assert len(question) < 1_000
    await alice.slash(channel, "ask", question=question)

    review = last(await mod.slash(channel, "review"))
    result = await mod.click(review, label="Why?")
    body, notes, embed = why(result)
    assert len(embed.description) <= 4096
    asked = simcord_env.bot.server(guild.id).store.review_items(1)[0].question
    expected = explained(simcord_env, guild.id, asked)
    assert decision_rule(body) == expected["decision"]["rule"]
    assert passage_ids(body) == [p["passage"] for p in expected["passages"]]
    shown_words = re.findall(r"^  word '", body, re.MULTILINE)
    total = len(expected["analysis"]["words"])
    assert 0 < len(shown_words) < total
    assert f"{total - len(shown_words)} of the question's {total} words" in notes
    assert body.count("```") == 0 and "@everyone" not in body
    [sent] = [r.json for r in simcord_env.http_requests if r.method == "POST" and "/webhooks/" in r.path][-1:]
    assert sent["allowed_mentions"] == {"parse": []}
