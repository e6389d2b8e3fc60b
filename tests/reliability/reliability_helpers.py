"""Shared setup for the reliability tests: a server with every kind of member, hostile strings."""

from __future__ import annotations

from dataclasses import dataclass, replace

import discord
from simcord.actors import MemberActor
from simcord.builders import ChannelHandle, GuildHandle, RoleHandle


@dataclass
class Server:
    guild: GuildHandle
    channel: ChannelHandle
    staff: RoleHandle
    announcements: RoleHandle
    member: MemberActor
    moderator: MemberActor
    manager: MemberActor
    admin: MemberActor


def server(env) -> Server:
    """A guild with a plain member, a member with the configured moderator role (no permissions),
    a member who can manage messages and an administrator, and a mentionable role. simcord gives
    the bot every permission but administrator (Mention Everyone included), so only the bot's own
    allowed mentions and escaping keep its messages from pinging."""
    guild = env.create_guild()
    staff = guild.create_role("Staff")  # the configured moderator role: no permissions at all
    managers = guild.create_role("Helpers", permissions=discord.Permissions(manage_messages=True))
    admins = guild.create_role("Admins", permissions=discord.Permissions(administrator=True))
    announcements = guild.create_role("Announcements", mentionable=True)
    # The configured moderator role only exists now; the checks read the config at every use.
    env.bot.config = replace(env.bot.config, moderator_roles=frozenset({staff.id}))
    return Server(
        guild=guild,
        channel=guild.create_text_channel("help"),
        staff=staff,
        announcements=announcements,
        member=guild.add_member(env.create_user("alice")),
        moderator=guild.add_member(env.create_user("stafford"), roles=[staff]),
        manager=guild.add_member(env.create_user("helper"), roles=[managers]),
        admin=guild.add_member(env.create_user("owner"), roles=[admins]),
    )


def last_message(result):
    return result.followups[-1] if result.followups else result.response


def make_pdf(pages: list[str], *, title: str = "") -> bytes:
    """A small valid PDF with one line of text per page (pypdf extracts it)."""
    objects: list[bytes] = []
    count = len(pages)
    font_id = 3 + 2 * count
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    for i, text in enumerate(pages):
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1", "replace")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    info = None
    if title:
        objects.append(f"<< /Title ({title}) >>".encode())
        info = len(objects)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R"
    trailer += f" /Info {info} 0 R >>\n" if info else " >>\n"
    out += trailer.encode() + b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
