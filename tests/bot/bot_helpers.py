"""Small helpers shared by the bot tests (setting up a guild, reading an answer's buttons)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord
from simcord.actors import MemberActor
from simcord.builders import ChannelHandle, GuildHandle

ANSWERABLE = "What is the enteromammary immune system?"
OFF_TOPIC = "What is the capital of France?"


@dataclass
class Server:
    guild: GuildHandle
    channel: ChannelHandle
    alice: MemberActor
    bob: MemberActor


def server(env, channel: str = "general") -> Server:
    guild = env.create_guild()
    return Server(
        guild=guild,
        channel=guild.create_text_channel(channel),
        alice=guild.add_member(env.create_user("alice")),
        bob=guild.add_member(env.create_user("bob")),
    )


def answer_id_of(message) -> str:
    """The answer id carried by the message's Sources/vote buttons."""
    components = message.components
    text = repr(components if isinstance(components, list) else [c.to_dict() for c in components])
    found = re.search(r"citebot:vote:([0-9a-f]{12}):up", text)
    assert found, f"no answer buttons on {message!r}"
    return found.group(1)


def deferred(env) -> bool:
    """Whether the bot sent a deferred ("thinking…") response (callback type 5)."""
    return any(
        entry.method == "POST" and "/callback" in entry.path and (entry.json or {}).get("type") == 5
        for entry in env.http_requests
    )


def embed_text(embed: discord.Embed) -> str:
    parts = [embed.title or "", embed.description or ""]
    parts += [f"{f.name}\n{f.value}" for f in embed.fields]
    if embed.footer and embed.footer.text:
        parts.append(embed.footer.text)
    return "\n".join(parts)


_MASKED_LINK = re.compile(r"\[([^\]]*)\]\(<?https?://[^)\s]+>?\)")


def visible_text(message) -> str:
    """A message as members read it: masked links as their text, no Markdown markers (bold,
    escapes, the small print's ``-# ``)."""
    text = (message.content or "") + "\n" + "\n".join(embed_text(e) for e in message.embeds)
    text = _MASKED_LINK.sub(r"\1", text)
    text = re.sub(r"^-# ", "", text, flags=re.MULTILINE)
    return re.sub(r"\\(.)", r"\1", text.replace("**", ""))


async def forum_post(env, forum: ChannelHandle, author: MemberActor, title: str, body: str) -> ChannelHandle:
    """A member opens a forum post: the thread appears, then its opening message."""
    thread = env.backend.create_thread(forum.id, title, author.id, broadcast=False)
    env.backend.announce_thread_create(thread)
    handle = next(t for t in forum.threads if t.id == thread.id)
    await author.send(handle, body)
    return handle
