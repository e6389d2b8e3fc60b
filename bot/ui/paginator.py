"""Pages of embeds with Previous/Next buttons that only the person who asked can turn."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord

from .errors import report_error

logger = logging.getLogger(__name__)


class Paginator(discord.ui.View):
    """Shows ``pages`` one at a time. Buttons are disabled when the view times out; a member other
    than ``owner_id`` who clicks is told, privately, that the pages are not theirs to turn."""

    def __init__(self, pages: Sequence[discord.Embed], *, owner_id: int, timeout: float = 180.0) -> None:
        super().__init__(timeout=timeout)
        if not pages:
            raise ValueError("a paginator needs at least one page")
        self.pages = list(pages)
        self.owner_id = owner_id
        self.index = 0
        self.message: discord.Message | discord.InteractionMessage | discord.WebhookMessage | None = None
        self._update()

    @property
    def needed(self) -> bool:
        """Whether there is more than one page (else no buttons)."""
        return len(self.pages) > 1

    def _update(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1
        self.counter.label = f"{self.index + 1}/{len(self.pages)}"

    def kwargs(self) -> dict[str, Any]:
        """Send arguments for the current page (no view when there is a single page)."""
        out: dict[str, Any] = {"embed": self.pages[self.index]}
        if self.needed:
            out["view"] = self
        return out

    async def send(self, interaction: discord.Interaction, *, ephemeral: bool) -> None:
        """Answer ``interaction`` with the first page (as a follow-up if it was deferred)."""
        allowed = discord.AllowedMentions.none()
        if interaction.response.is_done():
            self.message = await interaction.followup.send(
                **self.kwargs(), ephemeral=ephemeral, allowed_mentions=allowed, wait=True
            )
        else:
            await interaction.response.send_message(
                **self.kwargs(), ephemeral=ephemeral, allowed_mentions=allowed
            )
            if self.needed:
                self.message = await interaction.original_response()
        if not self.needed:
            self.stop()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "Only the person who asked can turn these pages; run the command yourself to browse.",
            ephemeral=True,
        )
        return False

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        self.index = max(0, min(index, len(self.pages) - 1))
        self._update()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Show the previous page."""
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="1/1", style=discord.ButtonStyle.secondary, disabled=True)
    async def counter(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The page counter; clicking it does nothing."""
        pass  # a page counter, never clickable

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Show the next page."""
        await self._show(interaction, self.index + 1)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException as exc:
                # The message may be gone or the interaction token expired; nothing to disable.
                logger.debug("could not disable paginator buttons: %s", exc)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)
