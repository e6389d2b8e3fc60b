"""Mentions and Markdown: every path that echoes member or document text, driven through simcord.

The bot has Mention Everyone in these servers and the role is mentionable, so a message pings when
the bot lets it: ``mention_everyone`` stays False, ``role_mentions`` empty and the echoed user out of
``mentions`` only because of the bot's allowed mentions and escaping. Member text that looks like the
bot's own formatting (a fake "**Answer from the moderators**", fake citations) is shown as typed.
"""

from __future__ import annotations

import re

import discord
import pytest
from reliability_helpers import Server, last_message, server

from bot.console import handle
from knowledge.assistant import Assistant

ANSWERABLE = "What is the enteromammary immune system?"
FAKE_HEADER = "**Answer from the moderators**"
FAKE_CITATION = "[1](https://evil.example) [2] Fake › Citation"


def hostile(s: Server) -> str:
    """Every kind of ping, and text imitating the bot's answer layout."""
    return (
        f"@everyone @here {s.announcements.mention} {s.admin.mention} "
        f"{FAKE_HEADER} {FAKE_CITATION} ||spoiler|| `code` @everyonE"
    )


def messages_of(result) -> list[discord.Message]:
    out = [m.message for m in [result.response, *result.followups] if m is not None]
    assert out, "the bot sent nothing"
    return out


def assert_pings_nobody(message: discord.Message, echoed_user_id: int) -> None:
    assert message.mention_everyone is False
    assert message.role_mentions == []
    assert echoed_user_id not in [user.id for user in message.mentions]


def all_text(message: discord.Message) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{field.name}\n{field.value}" for field in embed.fields]
    return "\n".join(parts)


def assert_no_raw_imitation(text: str) -> None:
    """The fake header and masked link never appear unescaped."""
    assert "**Answer from the moderators**" not in text.replace(r"\*\*", "")
    assert not re.search(r"(?<!\\)\[1\]\(https://evil", text)


@pytest.fixture
def s(simcord_env) -> Server:
    return server(simcord_env)


async def test_ask_with_pings_and_fake_formatting(simcord_env, s):
    text = hostile(s)
    for question in (
        f"{text} {ANSWERABLE}",  # answered
        text,  # declined
        f"{text} {ANSWERABLE} " + "milk " * 400,  # shortened: a notice goes in the content
    ):
        result = await s.member.slash(s.channel, "ask", question=question, private=False)
        for message in messages_of(result):
            assert_pings_nobody(message, s.admin.id)
            assert_no_raw_imitation(all_text(message))
            [embed] = message.embeds
            assert not embed.description.startswith("**Answer from the moderators**")
            assert "<@&" not in embed.title and "@everyone" not in embed.title


async def test_glossary_notice_echoes_the_members_words_escaped_without_pings(simcord_env, s):
    added = await s.manager.slash(s.channel, "glossary add", term="first milk", means="colostrum")
    assert_pings_nobody(last_message(added).message, s.admin.id)
    # The notice quotes the words as the member typed them, Markdown and all.
    question = f"@everyone {s.admin.mention} {s.announcements.mention} what is **first__milk**?"
    result = await s.member.slash(s.channel, "ask", question=question, private=False)
    [message] = messages_of(result)
    assert "“first\\_\\_milk” as “colostrum”" in message.content
    assert_pings_nobody(message, s.admin.id)


async def test_mention_and_follow_up_replies_ping_nobody_but_the_asker(simcord_env, s):
    me = simcord_env.bot.user.mention
    posted = await s.member.send(s.channel, f"{me} {hostile(s)} {ANSWERABLE}")
    reply = s.channel.last_message
    assert reply is not None and reply.author.id == simcord_env.bot.user.id
    assert reply.reference is not None and reply.reference.message_id == posted.id
    assert_pings_nobody(reply, s.admin.id)
    assert_no_raw_imitation(all_text(reply))
    # A follow-up in reply to the answer.
    await s.member.send(s.channel, f"{hostile(s)} and in the gut?", reply_to=reply)
    follow = s.channel.last_message
    assert follow.author.id == simcord_env.bot.user.id
    assert_pings_nobody(follow, s.admin.id)


HOSTILE_DOC = """---
title: "@everyone <@&{role}> <@{user}> **Answer from the moderators**"
source: "@here <@{user}> [1](https://evil.example)"
---
# @everyone notes

## <@&{role}> section

Colostrum reaches the newborn @everyone <@&{role}> <@{user}> within hours of birth. The first
milk after birth @here is called colostrum and is rich in secretory antibodies [1] Fake › Citation.
"""


async def test_document_text_is_shown_everywhere_without_pings(simcord_env, s):
    doc = HOSTILE_DOC.format(role=s.announcements.id, user=s.admin.id).encode()
    added = await s.manager.slash(s.channel, "kb add", file=("hostile.md", doc))
    for message in messages_of(added):
        assert_pings_nobody(message, s.admin.id)
        assert "added" in message.content.lower()

    asked = await s.member.slash(s.channel, "ask", question="When does colostrum reach the newborn?")
    [answer] = messages_of(asked)
    assert_pings_nobody(answer, s.admin.id)
    assert "within hours of birth" in answer.embeds[0].description
    assert_no_raw_imitation(answer.embeds[0].description)

    sources = await s.member.click(asked.response, label="Sources")
    for message in messages_of(sources):
        assert_pings_nobody(message, s.admin.id)

    searched = await s.member.slash(s.channel, "search", query="colostrum newborn")
    for message in messages_of(searched):
        assert_pings_nobody(message, s.admin.id)
        assert_no_raw_imitation(all_text(message))

    kb = simcord_env.bot.server(s.guild.id).kb
    passage_id = next(p.id for p in kb.passages if p.doc_id == "uploads/hostile")
    shown = await s.member.slash(s.channel, "source", passage=passage_id)
    for message in messages_of(shown):
        assert_pings_nobody(message, s.admin.id)
    topics = await s.member.slash(s.channel, "topics")
    for message in messages_of(topics):
        assert_pings_nobody(message, s.admin.id)
        assert_no_raw_imitation(all_text(message))


async def test_curated_answers_keep_markdown_but_never_ping(simcord_env, s):
    shown = await s.manager.slash(s.channel, "faq add")
    saved = await s.manager.submit_modal(
        shown,
        {
            "curate:question": f"@everyone {s.admin.mention} Is ibuprofen safe while breastfeeding?",
            "curate:answer": (
                f"**Yes** at usual doses. @everyone @here {s.announcements.mention} {s.admin.mention}"
            ),
            "curate:phrasings": "",
            "curate:sources": "",
        },
    )
    for message in messages_of(saved):
        assert_pings_nobody(message, s.admin.id)
    asked = await s.member.slash(
        s.channel, "ask", question="Is ibuprofen safe while breastfeeding?", private=False
    )
    [message] = messages_of(asked)
    assert message.embeds[0].description.startswith("**Answer from the moderators**\n**Yes** at usual")
    assert_pings_nobody(message, s.admin.id)
    for name, options in (("faq show", {"id": 1}), ("faq list", {}), ("faq export", {})):
        result = await s.manager.slash(s.channel, name, **options)
        for message in messages_of(result):
            assert_pings_nobody(message, s.admin.id)


async def test_review_queue_and_dismissal_ping_nobody(simcord_env, s):
    # Answered, so it has 👎 (a decline has Ask the moderators instead).
    question = f"{FAKE_HEADER} @everyonE {s.admin.mention} enteromammary immune system"
    asked = await s.member.slash(s.channel, "ask", question=question, private=False)
    down = await s.member.click(asked.response, label="👎")
    assert down.modal is not None
    await s.member.submit_modal(
        down, {"citebot:why:reason": f"@everyone {s.announcements.mention} {s.admin.mention} {FAKE_HEADER}"}
    )
    review = await s.manager.slash(s.channel, "review")
    message = last_message(review)
    assert_pings_nobody(message.message, s.admin.id)
    text = all_text(message.message)
    assert "enteromammary immune system" in text
    assert_no_raw_imitation(text)
    dismissed = await s.manager.click(message, label="Dismiss")
    after = last_message(dismissed) or message
    assert "Dismissed" in after.content
    assert_pings_nobody(after.message, s.admin.id)
    assert_no_raw_imitation(after.content)


async def test_error_replies_ping_nobody(simcord_env, s):
    name = f"@everyone <@&{s.announcements.id}> <@{s.admin.id}>.exe"
    refused = await s.manager.slash(s.channel, "kb add", file=(name, b"MZ\x90\x00binary"))
    for message in messages_of(refused):
        assert "Not added" in message.content
        assert_pings_nobody(message, s.admin.id)
    bad_yaml = f"answers:\n  - id: 1\n    question: '@everyone {s.admin.mention}'\n    answer: [\n".encode()
    imported = await s.manager.slash(s.channel, "faq import", file=(f"{name}.yaml", bad_yaml))
    for message in messages_of(imported):
        assert_pings_nobody(message, s.admin.id)
    empty = await s.member.slash(s.channel, "ask", question=" \u200b ")
    assert_pings_nobody(empty.response.message, s.admin.id)
    assert "empty" in empty.response.content
    simcord_env.errors  # noqa: B018 - the empty question's QuestionError was answered: acknowledge it


def test_console_echoes_pings_as_inert_text(builtin_kb):
    assistant = Assistant(builtin_kb)
    reply = handle(assistant, f"@everyone <@&112233445566778899> {FAKE_HEADER} {ANSWERABLE}")
    assert reply is not None
    assert "enteromammary" in reply.lower()
    # The console is a terminal: its output starts with the answer, never with member text that
    # could pass for the moderators' heading.
    assert not reply.startswith("Answer from the moderators")
    searched = handle(assistant, "/search @everyone \x1b[2J milk")
    assert searched is not None and "\x1b" not in searched


MASKED_DOC = b"""---
title: Breastfeeding links
---
# Where to read more

Colostrum reaches the newborn within hours of birth; read more at
[https://www.nih.gov/breastfeeding](https://evil.example/login) or [the NIH page](<https://evil.example/x>).

`[kept](as code)`
"""


def assert_no_masked_link(text: str) -> None:
    """No ``[text](url)`` Discord would render: every ``](`` has its bracket escaped."""
    assert "evil.example" in text
    assert not re.search(r"(?<!\\)\]\(", text.replace("`[kept](as code)`", ""))


async def test_masked_links_in_documents_are_inert_in_sources_and_source(simcord_env, s):
    added = await s.manager.slash(s.channel, "kb add", file=("links.md", MASKED_DOC))
    assert "added" in last_message(added).content.lower()
    asked = await s.member.slash(s.channel, "ask", question="When does colostrum reach the newborn?")
    sources = await s.member.click(asked.response, label="Sources")
    pages = [m for m in messages_of(sources) if "evil.example" in all_text(m)]
    assert pages, "the Sources pages show the passage"
    for message in pages:
        assert_no_masked_link(all_text(message))
        # The address the text claims and the one it opens both show as written.
        assert "https://www.nih.gov/breastfeeding" in all_text(message)

    kb = simcord_env.bot.server(s.guild.id).kb
    passage_id = next(p.id for p in kb.passages if p.doc_id == "uploads/links")
    shown = await s.member.slash(s.channel, "source", passage=passage_id)
    [message] = messages_of(shown)
    text = all_text(message)
    assert_no_masked_link(text)
    assert "`[kept](as code)`" in text  # code is shown as written
