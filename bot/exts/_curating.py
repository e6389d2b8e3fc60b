"""Saving a moderator's draft as a curated answer: shared by ``/faq``, the context menu and
``/review`` (Write answer, Edit)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from knowledge.curated import CuratedAnswer, CuratedStore, SourceLink
from knowledge.errors import EditConflict, NotFoundError, StateWriteError
from knowledge.models import Hit

from .. import render
from ..checks import ensure_moderator
from ..curation_render import curated_embed
from ..ui.curation import CurateDraft
from ..utils import Refused, announce_change, refused_as, send_private, who, write_failed_note

if TYPE_CHECKING:
    from knowledge import KnowledgeBase
    from knowledge.tenancy import ServerState

    from ..core import CitebotCore

logger = logging.getLogger(__name__)

# What a moderator reads when a curated answer is kept (tests match these, not copied prose).
SAVED = "Saved curated answer **#{id}**"
UPDATED = "Updated curated answer **#{id}**"


def moderated(bot: CitebotCore, interaction: discord.Interaction) -> tuple[ServerState, CuratedStore]:
    """The server an interaction came from and its curated answers: a moderator's command only
    ever acts on the server it was used in (never in direct messages, which have none)."""
    state = bot.server(interaction.guild_id)
    if state.curated is None:
        raise Refused(NotFoundError("Curated answers belong to a server; use this in one."))
    return state, state.curated


def source_links(kb: KnowledgeBase, passage_ids: tuple[str, ...]) -> tuple[list[SourceLink], list[str]]:
    """Links to the passages named in a draft, and the ids the knowledge base does not know."""
    links, unknown = [], []
    for pid in dict.fromkeys(passage_ids):
        passage = kb.passage(pid)
        if passage is None:
            unknown.append(pid)
        else:
            links.append(SourceLink.of(passage))
    return links, unknown


def source_hits(kb: KnowledgeBase, entry: CuratedAnswer) -> list[Hit]:
    """The passages a curated answer cites, as the server's knowledge base holds them now."""
    return [hit for s in entry.sources if (hit := kb.hit(s.passage_id)) is not None]


async def save_draft(
    bot: CitebotCore,
    interaction: discord.Interaction,
    draft: CurateDraft,
    *,
    answer_id: int | None = None,
    revision: str | None = None,
    origin: str = "",
) -> CuratedAnswer | None:
    """Save ``draft`` as a new curated answer of the interaction's server, or as an edit of its
    ``answer_id`` opened at ``revision``, and tell the moderator privately; returns the entry
    saved, or None when the answer changed since the form was opened (the moderator is shown the
    newer text and their own, nothing is saved). An invalid draft, a missing answer or a state
    file with a hand-edit mistake is refused through the error handler; a change that could not be
    written to disk is saved in memory and the reply says so."""
    ensure_moderator(interaction)
    state, store = moderated(bot, interaction)
    links, unknown = source_links(state.kb, draft.sources)
    author = who(interaction.user)
    note = ""
    with refused_as("Not saved: {}", brief=True):
        try:
            if answer_id is None:
                entry = await asyncio.to_thread(
                    store.add,
                    draft.question,
                    draft.answer,
                    author=author,
                    phrasings=draft.phrasings,
                    sources=links,
                )
            else:
                entry = await asyncio.to_thread(
                    store.edit,
                    answer_id,
                    by=author,
                    question=draft.question,
                    answer=draft.answer,
                    phrasings=draft.phrasings,
                    sources=links,
                    revision=revision,
                )
        except EditConflict as exc:
            await _tell_conflict(state, interaction, exc, draft)
            return None
        except StateWriteError as exc:
            entry = exc.done
            note = write_failed_note(exc)
    verb = "Saved" if answer_id is None else "Updated"
    done = (SAVED if answer_id is None else UPDATED).format(id=entry.id)
    lines = [f"{done}{origin}. Questions like it now get this answer first."]
    if unknown:
        lines.append("Unknown passage ids left out: " + ", ".join(f"`{render.escape(p)}`" for p in unknown))
    if note:
        lines.append(note)
    logger.info("curated answer %d %s by %s", entry.id, verb.lower(), interaction.user.id)
    announce_change(interaction, f"curated answer #{entry.id} {verb.lower()}")
    embed = curated_embed(entry, source_hits(state.kb, entry))
    await send_private(interaction, "\n".join(lines), embed=embed)
    return entry


async def _tell_conflict(
    state: ServerState, interaction: discord.Interaction, conflict: EditConflict, draft: CurateDraft
) -> None:
    """The answer changed since the form was opened: show its newer text, and the moderator's
    own so it is not lost."""
    current: CuratedAnswer = conflict.current  # type: ignore[assignment]
    yours = render.shorten(f"{draft.question}\n{draft.answer}", 1200)
    text = (
        f"Not saved: {render.escape(str(conflict))}. The answer as it is now is below; open "
        f"`/faq edit {current.id}` to change it. What you wrote:\n>>> {render.escape(yours)}"
    )
    logger.info("curated answer %d: an edit on an older revision was refused", current.id)
    embed = curated_embed(current, source_hits(state.kb, current))
    await send_private(interaction, render.shorten(text, render.CONTENT_LIMIT), embed=embed)
