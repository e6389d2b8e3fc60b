"""/ask, driven through simcord against the real built-in knowledge base."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re

import discord
import pytest
from bot_helpers import ANSWERABLE, OFF_TOPIC, deferred, embed_text, server
from discord import app_commands
from simcord import assert_error

from bot import create_bot
from bot.answering import ReplyService
from bot.app import CitebotBot
from bot.config import CooldownConfig
from bot.exts.errors import SLOW_DOWN
from bot.render import DECLINED_TITLE
from knowledge import Assistant, QuestionError
from knowledge.store import ServerStore


async def test_member_asks_and_gets_a_cited_answer(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)

    assert deferred(simcord_env), "/ask must defer before retrieval"
    response = result.response
    assert not response.ephemeral
    [embed] = response.embeds
    assert embed.title == ANSWERABLE
    # Best sentence with the matched terms in bold, then a numbered short label (section, first
    # author and year) linked to the DOI; the full reference is on the Sources pages.
    assert "**enteromammary**" in embed.description
    assert "[1]" in embed.description
    sources = embed.description.split("**Sources**", 1)[1]
    assert sources.strip().startswith(
        "[1] [Enteromammary immune system · Guillen-Morales 2025](https://doi.org/10.3390/hygiene5040046)"
    )
    assert "The enteromammary and mammary immune systems" not in sources
    labels = [c["label"] for row in response.components for c in row["components"]]
    assert labels == ["Sources", "👍", "👎"], "moderators keep a test with the message menu"


def watch_order(monkeypatch, env, targets: list[tuple[type, str]]) -> list[tuple[str, bool]]:
    """Wrap each ``(class, method)`` to record, at every call, whether the bot had already sent
    its "thinking…" acknowledgement to Discord (in simcord's request log)."""
    calls: list[tuple[str, bool]] = []
    for cls, name in targets:
        static = isinstance(inspect.getattr_static(cls, name), staticmethod)
        original = getattr(cls, name)

        @functools.wraps(original)
        def wrapper(*args, _original=original, _name=f"{cls.__name__}.{name}", **kwargs):
            calls.append((_name, deferred(env)))
            return _original(*args, **kwargs)

        monkeypatch.setattr(cls, name, staticmethod(wrapper) if static else wrapper)
    return calls


async def test_ask_is_acknowledged_before_any_work_on_it_starts(simcord_env, monkeypatch):
    # With many questions arriving at once, anything done before the acknowledgement delays every
    # later member's "thinking…", which Discord wants within 3 seconds. Observed as an order in
    # simcord's request log, never timed.
    s = server(simcord_env)
    calls = watch_order(
        monkeypatch,
        simcord_env,
        [(ReplyService, name) for name in ("read", "question", "ask", "reply")]
        + [(CitebotBot, "server"), (CitebotBot, "loaded_server"), (Assistant, "analyse"), (Assistant, "ask")]
        + [(ServerStore, name) for name in ("record_answer", "mark_notice_shown", "set_message")],
    )
    result = await s.alice.slash(s.channel, "ask", question="my baby has a fever, what is colostrum?")

    assert result.response.embeds and result.response.content.startswith("⚠️ A temperature of 38 °C")
    called = {name for name, _ in calls}
    assert {"ReplyService.read", "Assistant.analyse", "Assistant.ask"} <= called
    assert {"CitebotBot.server", "ServerStore.record_answer"} <= called
    early = [name for name, acknowledged in calls if not acknowledged]
    assert early == [], f"ran before the acknowledgement: {early}"


async def test_sources_button_shows_full_passages_only_to_the_clicker(simcord_env, builtin_kb):
    s = server(simcord_env)
    asked = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)

    shown = await s.bob.click(asked.response, label="Sources")

    assert shown.response.ephemeral
    first = shown.response.embeds[0]
    passage_id = first.footer.text.removeprefix("Passage id: ")
    passage = builtin_kb.passage(passage_id)
    assert passage is not None and passage.section == ("Enteromammary immune system",)
    assert "gut-to-breast immune link" in first.description  # the whole passage, not a sentence
    assert first.fields[0].name == "Citation" and "Guillen-Morales" in first.fields[0].value
    # Invisible to everyone else in the channel.
    assert all(m.id != shown.response.id for m in s.channel.history(viewer=s.alice))


async def test_off_topic_question_is_declined_plainly(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=OFF_TOPIC)

    [embed] = result.response.embeds
    assert embed.title == DECLINED_TITLE
    assert "**Sources**" not in embed.description
    labels = [c["label"] for row in result.response.components for c in row["components"]]
    assert "Ask the moderators" in labels and "👍" not in labels


async def test_a_decline_names_what_the_knowledge_base_never_mentions(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question="can i take ibuprofen while breastfeeding")

    assert result.response.embeds[0].title.startswith("No answer found")
    assert "The knowledge base does not mention: ibuprofen." in result.response.content


async def test_private_answer_is_ephemeral(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=ANSWERABLE, private=True)
    assert result.response.ephemeral
    assert "**enteromammary**" in result.response.embeds[0].description


async def test_mentions_inside_a_question_ping_nobody(simcord_env):
    s = server(simcord_env)
    role = s.guild.create_role("Parents", mentionable=True)
    question = f"@everyone @here {role.mention} {s.bob.mention} {ANSWERABLE}"

    result = await s.alice.slash(s.channel, "ask", question=question)

    message = result.response.message
    assert "**enteromammary**" in message.embeds[0].description  # the pings are not the question
    assert message.mention_everyone is False
    assert message.role_mentions == []
    assert message.mentions == []
    assert "@everyone" not in embed_text(message.embeds[0]).replace("@\u200beveryone", "")


@pytest.mark.parametrize(
    ("question", "told"), [("   ", "Please type a question"), ("🍼🤱❓❓", "Please ask in words")]
)
async def test_a_question_with_nothing_to_look_up_gets_a_short_private_reply(simcord_env, question, told):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=question)
    assert result.response.ephemeral
    assert told in result.response.content
    assert not deferred(simcord_env)
    assert_error(simcord_env, QuestionError)


async def test_very_long_question_is_answered_within_discord_limits(simcord_env):
    s = server(simcord_env)
    question = ANSWERABLE + " " + "mammary immune cells " * 300  # ~6,300 characters
    result = await s.alice.slash(s.channel, "ask", question=question[:6000])

    response = result.response
    assert "only the first 1,000 were used" in response.content
    assert len(response.content) <= 2000
    [embed] = response.embeds
    assert len(embed.title) <= 256 and len(embed.description) <= 4096


async def test_ask_autocompletes_topics_never_the_document_title(simcord_env, builtin_kb):
    s = server(simcord_env)
    choices = await s.alice.autocomplete(s.channel, "ask", "question", "mammary")
    [title] = [doc.title for doc in builtin_kb.documents.values()]
    values = [c["value"] for c in choices]
    assert title not in values
    assert values == ["The mammary immune system", "Enteromammary immune system"]
    assert all(len(c["name"]) <= 100 for c in choices)
    assert await s.alice.autocomplete(s.channel, "ask", "question", "sourdough") == []


async def test_ask_autocompletes_questions_asked_and_answered_often_first(simcord_env):
    s = server(simcord_env)
    moderators = s.guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    mod = s.guild.add_member(simcord_env.create_user("mod"), roles=[moderators])  # no cooldown
    often = "What does the mammary immune system do?"
    for _ in range(3):
        await mod.slash(s.channel, "ask", question=often)
    await mod.slash(s.channel, "ask", question="What is the mammary immune system made of?")  # once only
    for _ in range(3):
        await mod.slash(s.channel, "ask", question="my baby has a fever, mammary?")  # a red flag

    choices = [c["value"] for c in await s.alice.autocomplete(s.channel, "ask", "question", "mammary")]
    assert choices == [often, "The mammary immune system", "Enteromammary immune system"]


@pytest.fixture
def simcord_bot(config, builtin_kb):
    # One question per 30 seconds, so the second /ask is refused.
    return create_bot(dataclasses.replace(config, cooldown=CooldownConfig(rate=1, per=30)), kb=builtin_kb)


async def test_cooldown_refuses_politely_then_lets_the_member_ask_again(simcord_env):
    s = server(simcord_env)
    first = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert first.response.embeds

    refused = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert refused.response.ephemeral
    assert refused.response.content.startswith(SLOW_DOWN)
    assert not refused.response.embeds
    assert_error(simcord_env, app_commands.CommandOnCooldown)

    # Another member is not affected.
    other = await s.bob.slash(s.channel, "ask", question=ANSWERABLE)
    assert other.response.embeds

    await simcord_env.advance_time(31)
    again = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert again.response.embeds and not again.response.ephemeral


async def test_question_autocomplete_reads_the_store_off_the_event_loop(simcord_env, monkeypatch):
    # Frequent questions come from SQLite and a server may load on first use: neither may hold up
    # the event loop between keystrokes.
    import threading

    from bot.answering import ReplyService

    loop_thread = threading.current_thread()
    threads = []
    original = ReplyService.suggestions

    def recorded(self, current, *, guild_id):
        threads.append(threading.current_thread())
        return original(self, current, guild_id=guild_id)

    monkeypatch.setattr(ReplyService, "suggestions", recorded)
    s = server(simcord_env)
    choices = await s.alice.autocomplete(s.channel, "ask", "question", "mammary")
    assert choices and threads and all(t is not loop_thread for t in threads)


async def test_citations_are_numbered_from_1_as_the_member_reads_them_and_sources_shows_those(
    simcord_env, builtin_kb
):
    # Answered from three passages, none of them the best-ranked one.
    s = server(simcord_env)
    result = await s.alice.slash(
        s.channel, "ask", question="how does what i eat end up protecting my baby thru breastmilk?"
    )
    answer, sources = result.response.embeds[0].description.split("**Sources**", 1)
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer)]
    first_seen = list(dict.fromkeys(numbers))
    assert len(first_seen) >= 3
    assert first_seen == list(range(1, len(first_seen) + 1))  # [1], [2], [3]: never a gap
    listed = re.findall(r"^\[(\d+)\] \[(.+?)\]\(", sources, flags=re.M)
    assert [int(n) for n, _ in listed] == first_seen

    # The Sources button pages through exactly those, in that order, and no other passage.
    page = (await s.alice.click(result.response, label="Sources")).response
    for index, (number, label) in enumerate(listed):
        [embed] = page.embeds
        assert embed.title == f"Sources [{number}] {label}"
        if index + 1 < len(listed):
            page = (await s.alice.click(page, label="Next")).response
    buttons = {c["label"]: c for row in page.components for c in row["components"] if "label" in c}
    assert buttons["Next"].get("disabled"), "the last cited passage is the last page"


@pytest.mark.parametrize("asked", ["help", "what can you do?", "hi"])
async def test_asking_what_the_bot_does_gets_how_it_works_privately_not_a_passage(simcord_env, asked):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=asked)
    response = result.response
    assert response.ephemeral and not response.embeds
    assert "`/ask`" in response.content and "`/topics`" in response.content
