"""Posts as members type them on Discord: custom emoji, calls for help, asking for the source."""

from __future__ import annotations

import dataclasses

import discord
import pytest
from bot_helpers import ANSWERABLE, OFF_TOPIC, embed_text, forum_post, server

from bot import create_bot
from bot.chatter import ABOUT_REPLY, is_about_the_bot
from bot.config import DEFAULT_MEDICAL_NOTICE
from bot.exts.conversation import NO_SOURCE_REPLY, NOTHING_FOUND_REPLY, QUOTED_UNREAD_REPLY, SOURCES_OF_REPLY
from bot.utils import Refused
from knowledge import QuestionError

PEPE = "<:pepe:1234567890123456>"
HEART = "<a:heart:1234567890123457>"


async def test_a_custom_emoji_in_a_question_does_not_change_its_answer(simcord_env):
    s = server(simcord_env)
    plain = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    with_emoji = await s.bob.slash(s.channel, "ask", question=f"{ANSWERABLE} {PEPE}")
    assert with_emoji.response.embeds[0].description == plain.response.embeds[0].description
    assert "pepe" not in (with_emoji.response.content or "")  # no "does not mention: pepe"

    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE} {HEART}")
    [embed] = s.channel.last_message.embeds
    assert embed.description == plain.response.embeds[0].description


async def test_thanks_with_a_custom_emoji_gets_a_reaction_not_an_answer(simcord_env):
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    answer = s.channel.last_message
    thanks = await s.alice.send(s.channel, f"thanks {HEART}", reply_to=answer)
    emoji_only = await s.alice.send(s.channel, PEPE, reply_to=answer)

    assert s.channel.last_message.id == emoji_only.id, "no answer to either"
    shown = next(m for m in s.channel.history() if m.id == thanks.id)
    assert [str(r.emoji) for r in shown.reactions] == ["👍"]


@pytest.mark.parametrize(
    "text", ["can someone help me", "can anyone help?", "I need some help pls", "help me please 😭"]
)
def test_a_call_for_help_that_names_nothing_is_not_a_question_for_the_documents(text):
    assert is_about_the_bot(text)


@pytest.mark.parametrize(
    "text", ["can you help me with latching?", "need help with mastitis", "does skin contact help the gut?"]
)
def test_help_with_something_is_a_question(text):
    assert not is_about_the_bot(text)


async def test_a_call_for_help_is_told_how_to_ask_or_left_to_people(simcord_env, config, builtin_kb):
    # Each was answered with "… skin contact that help “train” the infant immune system".
    s = server(simcord_env, channel="ask-here")
    config = dataclasses.replace(config, help_channels=frozenset({s.channel.id}))
    await simcord_env.restart_bot(create_bot(config, kb=builtin_kb))

    asked = await s.alice.slash(s.channel, "ask", question="can anyone help?")
    assert asked.response.ephemeral and asked.response.content == ABOUT_REPLY

    await s.alice.send(s.channel, f"{s.guild.me.mention} I need some help")
    assert s.channel.last_message.content == ABOUT_REPLY and not s.channel.last_message.embeds

    plea = await s.bob.send(s.channel, "can someone help me")
    assert s.channel.last_message.id == plea.id, "a help channel leaves a call for help to people"


MILK = b"""---
title: Storing expressed breast milk
---
# Storing expressed breast milk

## Fridge

Freshly expressed breast milk keeps for up to four days in a refrigerator at 4 degrees Celsius.
"""
FRIDGE = "How long does expressed breast milk keep in the refrigerator?"


def moderated(env):
    guild = env.create_guild()
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    channel = guild.create_text_channel("help")
    return (
        channel,
        guild.add_member(env.create_user("mod"), roles=[mods]),
        guild.add_member(env.create_user("ann")),
    )


def last(result):
    return result.followups[-1] if result.followups else result.response


@pytest.mark.parametrize("typed", ["Milk storage.md", "milk-storage.md", "storing expressed breast milk"])
async def test_a_moderator_removes_an_upload_by_the_name_they_sent_or_its_title(simcord_env, typed):
    # Typed instead of picking the suggestion: "Not removed: “milk.md” is not an uploaded document".
    channel, mod, ann = moderated(simcord_env)
    await mod.slash(channel, "kb add", file=("Milk storage.md", MILK))
    assert "four days" in (await ann.slash(channel, "ask", question=FRIDGE)).response.embeds[0].description

    removed = await mod.slash(channel, "kb remove", document=typed)
    assert last(removed).content.startswith("Removed `Milk-storage.md`.")
    gone = await ann.slash(channel, "ask", question=FRIDGE)
    assert gone.response.embeds[0].title.startswith("No answer found")


async def test_a_name_that_is_no_upload_still_removes_nothing(simcord_env):
    channel, mod, ann = moderated(simcord_env)
    await mod.slash(channel, "kb add", file=("milk.md", MILK))
    for typed in ("other.md", "maternal-infant-immune-system.md"):
        refused = await mod.slash(channel, "kb remove", document=typed)
        assert (
            last(refused).content
            == f"Not removed: “{typed}” is not an uploaded document; only uploads can be removed here."
        )
    assert "four days" in (await ann.slash(channel, "ask", question=FRIDGE)).response.embeds[0].description
    assert all(isinstance(getattr(e, "original", e), Refused) for e in simcord_env.errors)


async def test_source_in_reply_to_an_answer_gives_that_answers_citations(simcord_env):
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    answer = s.channel.last_message
    await s.alice.send(s.channel, "source?", reply_to=answer)
    reply = s.channel.last_message
    # It was told "The documents say no more about it than that answer".
    assert reply.content.startswith(f"{SOURCES_OF_REPLY}\n[1] The enteromammary and mammary immune systems")
    assert "Enteromammary immune system" in reply.content
    assert (
        "Hygiene. 2025;5(46)" in reply.content and "<https://doi.org/10.3390/hygiene5040046>" in reply.content
    )
    assert not reply.embeds


async def test_a_follow_up_to_a_decline_is_not_told_the_documents_say_no_more(simcord_env):
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} {OFF_TOPIC}")
    declined = s.channel.last_message
    assert declined.embeds[0].title.startswith("No answer found")
    await s.alice.send(s.channel, "why?", reply_to=declined)
    assert s.channel.last_message.content == NOTHING_FOUND_REPLY
    await s.alice.send(s.channel, "source?", reply_to=declined)
    assert s.channel.last_message.content == NO_SOURCE_REPLY


async def _help_channel(env, config, kb):
    s = server(env, channel="ask-here")
    config = dataclasses.replace(config, help_channels=frozenset({s.channel.id}), message_content=True)
    await env.restart_bot(create_bot(config, kb=kb))
    return s


@pytest.mark.parametrize("asked", ["source?", "where is this from", "who wrote the article?"])
async def test_a_help_channel_leaves_asking_a_member_for_their_source_to_them(
    simcord_env, config, builtin_kb, asked
):
    # Each got "“The enteromammary and mammary immune systems …” was written by Guillen-Morales …".
    s = await _help_channel(simcord_env, config, builtin_kb)
    await s.alice.send(s.channel, "I read that what you eat changes the antibodies in your milk")
    post = await s.bob.send(s.channel, asked)
    assert s.channel.last_message.id == post.id
    # Naming what it asks about, it is a question for the documents.
    await s.bob.send(s.channel, "who is the author of the enteromammary article?")
    assert s.channel.last_message.author.id == s.guild.me.id


async def test_a_help_channel_leaves_replies_between_members_alone_but_not_warning_signs(
    simcord_env, config, builtin_kb
):
    s = await _help_channel(simcord_env, config, builtin_kb)
    claim = await s.alice.send(s.channel, "IgA gets into milk from the gut, I think")
    reply = await s.bob.send(s.channel, f"yes: {ANSWERABLE}", reply_to=claim)
    assert s.channel.last_message.id == reply.id
    await s.bob.send(s.channel, "my breast is red and hot and I have a fever of 39", reply_to=claim)
    warning = s.channel.last_message
    assert warning.author.id == s.guild.me.id and warning.content.startswith("⚠️") and not warning.embeds
    # Not a reply, the same question is answered.
    await s.bob.send(s.channel, ANSWERABLE)
    assert "**Sources**" in s.channel.last_message.embeds[0].description


def review_text(result) -> str:
    message = last(result)
    return "\n".join(embed_text(e) for e in message.embeds) + (message.content or "")


async def test_a_thumbs_down_reaction_on_an_answer_reaches_the_review_queue(simcord_env):
    channel, mod, ann = moderated(simcord_env)
    asked = await ann.slash(channel, "ask", question=ANSWERABLE)
    assert "The review queue is empty" in review_text(await mod.slash(channel, "review"))

    await ann.react(asked.response, "👎🏽")
    queued = review_text(await mod.slash(channel, "review"))
    assert ANSWERABLE in queued and "👎 1×" in queued

    # Taking the reaction back takes the vote back.
    await ann.unreact(asked.response, "👎🏽")
    assert "The review queue is empty" in review_text(await mod.slash(channel, "review"))
    # Changing one's mind with the other reaction replaces the vote, as the buttons do.
    await ann.react(asked.response, "👎")
    await ann.react(asked.response, "👍")
    assert "The review queue is empty" in review_text(await mod.slash(channel, "review"))
    await ann.unreact(asked.response, "👎")  # the 👍 given since stays
    stats = last(await mod.slash(channel, "kb stats")).embeds[0]
    assert {f.name: f.value for f in stats.fields}["Feedback"] == "👍 1 · 👎 0"


async def test_reactions_on_other_messages_are_no_votes(simcord_env):
    channel, mod, ann = moderated(simcord_env)
    own = await ann.send(channel, "what do you all think?")
    await mod.react(own, "👎")
    await ann.send(channel, f"{channel.guild.me.mention} hi")  # the bot's reply, not an answer
    await mod.react(channel.last_message, "👎")
    stats = last(await mod.slash(channel, "kb stats")).embeds[0]
    assert {f.name: f.value for f in stats.fields}["Feedback"] == "👍 0 · 👎 0"


@pytest.mark.parametrize(
    ("title", "body"), [("Help!!", "can someone help me"), ("source?", "where is that information from")]
)
async def test_a_forum_post_for_people_is_left_to_them(simcord_env, config, builtin_kb, title, body):
    # "Help!!" was answered with the sentence about skin contact that helps train the immune system,
    # "source?" with who wrote the built-in article.
    s = server(simcord_env)
    forum = s.guild.create_forum_channel("questions")
    config = dataclasses.replace(config, forum_channels=frozenset({forum.id}), message_content=True)
    await simcord_env.restart_bot(create_bot(config, kb=builtin_kb))
    post = await forum_post(simcord_env, forum, s.alice, title, body)
    assert [m.author.id for m in post.history()] == [s.alice.id]
    asked = await forum_post(simcord_env, forum, s.bob, "Gut and milk", ANSWERABLE)
    assert asked.last_message.author.id == s.guild.me.id


async def test_a_forum_posts_title_and_body_read_as_one_post(simcord_env, config, builtin_kb):
    s = server(simcord_env)
    forum = s.guild.create_forum_channel("questions")
    config = dataclasses.replace(config, forum_channels=frozenset({forum.id}), message_content=True)
    await simcord_env.restart_bot(create_bot(config, kb=builtin_kb))
    post = await forum_post(simcord_env, forum, s.alice, ANSWERABLE, "🙂")
    [embed] = post.last_message.embeds
    assert embed.title == f"{ANSWERABLE} 🙂"  # was "What is the enteromammary immune system? . 🙂"


async def test_the_medical_notice_waits_for_an_answer_rather_than_a_decline(simcord_env):
    # It went with "No answer found", and the day's first real answer came without it.
    s = server(simcord_env)
    declined = await s.alice.slash(s.channel, "ask", question=OFF_TOPIC)
    assert declined.response.embeds[0].title.startswith("No answer found")
    assert DEFAULT_MEDICAL_NOTICE not in (declined.response.content or "")
    answered = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert DEFAULT_MEDICAL_NOTICE in answered.response.content
    again = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert DEFAULT_MEDICAL_NOTICE not in (again.response.content or "")


async def test_source_with_a_number_shows_that_source_of_the_latest_answer(simcord_env):
    # "/source 1" after an answer citing [1] was told "No passage has that id".
    s = server(simcord_env)
    await s.alice.slash(s.channel, "ask", question="What do macrophages do in the breast?")
    asked = await s.alice.slash(s.channel, "ask", question="how does my milk protect my baby from germs")
    cited = asked.response.embeds[0].description.split("**Sources**")[1]
    assert "[2] [Maternal-infant immune system" in cited
    for typed in ("2", "[2]"):
        shown = await s.bob.slash(s.channel, "source", passage=typed)
        assert shown.response.embeds[0].title.startswith("Source [2] Maternal-infant immune system"), typed
        await simcord_env.advance_time(61)
    missing = await s.bob.slash(s.channel, "source", passage="7")
    assert missing.response.content.startswith("No passage has that id") and missing.response.ephemeral


@pytest.mark.parametrize("asked", ["can you answer this?", "is this true?", "^", ""])
async def test_a_mention_in_reply_to_a_members_question_answers_that_question(
    simcord_env, config, builtin_kb, asked
):
    # Each was told "No answer found … Nothing in it matches your question's words" or how to ask.
    s = server(simcord_env)
    # The words of a message that does not mention the bot come only with the message content intent.
    await simcord_env.restart_bot(
        create_bot(dataclasses.replace(config, message_content=True), kb=builtin_kb)
    )
    question = await s.alice.send(s.channel, "how does IgA end up in breast milk?")
    await s.bob.send(s.channel, f"{s.guild.me.mention} {asked}", reply_to=question)
    [embed] = s.channel.last_message.embeds
    assert embed.title == "how does IgA end up in breast milk?"
    assert "**Sources**" in embed.description


async def test_a_mention_that_asks_its_own_question_in_a_reply_is_answered_as_asked(simcord_env):
    s = server(simcord_env)
    other = await s.alice.send(s.channel, "how does IgA end up in breast milk?")
    await s.bob.send(s.channel, f"{s.guild.me.mention} what do macrophages do?", reply_to=other)
    assert s.channel.last_message.embeds[0].title == "what do macrophages do?"
    thanks = await s.bob.send(s.channel, f"{s.guild.me.mention} thanks!", reply_to=other)
    assert s.channel.last_message.id == thanks.id


async def test_without_the_message_content_intent_a_mention_pointing_back_is_told_to_ask_in_words(
    simcord_env,
):
    s = server(simcord_env)
    question = await s.alice.send(s.channel, "how does IgA end up in breast milk?")
    await s.bob.send(s.channel, f"{s.guild.me.mention} can you answer this?", reply_to=question)
    assert s.channel.last_message.content == QUOTED_UNREAD_REPLY


async def test_an_answer_quoting_a_list_item_shows_no_stray_backslash(simcord_env):
    # "… migrate to the mammary glands.\n\\\n- This allows …": a lone "\" line above the item.
    s = server(simcord_env)
    asked = await s.alice.slash(s.channel, "ask", question="How does IgA get into breast milk?")
    description = asked.response.embeds[0].description
    assert "mammary glands.\n\n\\- This allows maternal exposure" in description
    assert not any(line.strip() == "\\" for line in description.splitlines())


async def test_asking_for_the_doi_gets_a_link_that_still_works(simcord_env):
    # "https://**doi**.org/10.3390/hygiene5040046": the word asked for was bolded inside the address.
    s = server(simcord_env)
    asked = await s.alice.slash(s.channel, "ask", question="is there a doi for this")
    description = asked.response.embeds[0].description
    assert "**DOI**: 10.3390/hygiene5040046 — https://doi.org/10.3390/hygiene5040046 [1]" in description


async def test_sharing_an_answer_with_another_member_is_left_to_them(simcord_env):
    # "@bob you should read this" in reply to an answer got "This answer does not cover: read.",
    # used up the member's questions, and the next share was told to slow down.
    s = server(simcord_env)
    await s.alice.send(s.channel, f"{s.guild.me.mention} {ANSWERABLE}")
    answer = s.channel.last_message
    for text in ("you should read this", "does this answer your question?", "see, told you the gut matters"):
        shared = await s.alice.send(s.channel, f"{s.bob.mention} {text}", reply_to=answer)
        assert s.channel.last_message.id == shared.id, text
    # Naming the bot too, it is a follow-up for the bot; warning signs are never left unsaid.
    await s.alice.send(
        s.channel, f"{s.bob.mention} {s.guild.me.mention} and when is it most active?", reply_to=answer
    )
    assert s.channel.last_message.embeds
    await s.alice.send(
        s.channel, f"{s.bob.mention} my breast is red and hot and I have a fever of 39", reply_to=answer
    )
    assert s.channel.last_message.content.startswith("⚠️ A red, painful breast")


@pytest.mark.parametrize("asked", ["@here", "<@&123456789012345678>", "@everyone <:pepe:1234567890123456>"])
async def test_asking_only_mentions_is_told_privately_to_ask_in_words(simcord_env, asked):
    # It got a public "No answer found … Nothing in it matches your question's words".
    s = server(simcord_env)
    refused = await s.alice.slash(s.channel, "ask", question=asked)
    assert refused.response.ephemeral and not refused.response.embeds
    assert refused.response.content.startswith("Please type a question")
    assert all(isinstance(getattr(e, "original", e), QuestionError) for e in simcord_env.errors)
