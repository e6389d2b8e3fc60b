"""The settings in force in a server: its own (``/settings``) where set, else the config's.

The config's ``help_channels``, ``forum_channels``, ``moderator_roles`` and ``moderator_channel``
are the defaults for every server without its own. Discord ids are unique across servers, so a
default naming another server's channel or role simply never matches here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from knowledge.errors import CitebotError
from knowledge.server_settings import ServerSettings
from knowledge.tenancy import Servers

from .config import Config

logger = logging.getLogger(__name__)


class WrongServer(CitebotError):
    """A channel or role named in ``/settings`` that is not the server's own (or @everyone)."""


def config_defaults(config: Config) -> ServerSettings:
    """The config's settings, the default of every server."""
    return ServerSettings(
        help_channels=config.help_channels,
        forum_channels=config.forum_channels,
        moderator_roles=config.moderator_roles,
        moderator_channel=config.moderator_channel,
        own_moderator_channel=True,
    )


def in_force(config: Config, servers: Servers | None, guild_id: int | None) -> ServerSettings:
    """What applies in server ``guild_id`` (None, direct messages: the config's). Reads nothing
    that is not read already unless the server was never asked about (then its small file or row),
    so it may run on the event loop."""
    defaults = config_defaults(config)
    if guild_id is None or servers is None:
        return defaults
    return servers.own_settings.get(guild_id).current().over(defaults)


def report_loaded(own: Mapping[int, ServerSettings], *, message_content: bool) -> None:
    """Log, at start, how many servers have settings of their own, and warn when some chose help
    channels or forums the bot cannot read without the Message Content intent."""
    logger.info("%d server(s) have settings of their own", len(own))
    unread = sorted(g for g, s in own.items() if s.help_channels or s.forum_channels)
    if unread and not message_content:
        logger.warning(
            "server(s) %s chose help channels or forums with /settings, but the message content "
            "intent is off, so only @mentions are answered there; set message_content: true",
            ", ".join(map(str, unread)),
        )
