"""citebot's Discord layer: ``create_bot()`` builds the bot, ``citebot run`` connects it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_bot

__all__ = ["create_bot"]


def __getattr__(name: str) -> Any:
    # Imported on first use so the command-line tools (ask, chat, index) don't load discord.py.
    if name == "create_bot":
        from .app import create_bot

        return create_bot
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
