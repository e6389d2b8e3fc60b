"""A server's own settings: its help channels, forum channels, solved-thread channels, moderator roles,
its forums' "solved" tags and moderator channel.

A server's admins set them with ``/settings``; the operator's config gives the defaults. Each
setting is either the server's own (a list, possibly empty; a channel or none) or left to the
default: :meth:`ServerSettings.over` says which wins. They are kept as ``settings.yaml`` in the
server's folder (a row of the database with ``database_url``), like the glossary, so a change made
through one bot process is served by the others, and a hand edit is picked up.

Reading never waits: the bot checks a member's roles and a message's channel on its event loop,
so :meth:`SettingsFile.current` serves what was loaded and only picks up a hand edit when no
change is being written meanwhile. Ids are Discord's (snowflakes); which server they belong to is
for the caller to check, as only it knows the server's channels and roles.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .yaml_state import (
    StateFileError,
    YamlState,
    YamlStateFile,
    dump_yaml,
    line_of,
    mapping_value,
    now,
    parse_yaml,
    sequence_items,
    timestamp,
)

logger = logging.getLogger(__name__)

FILE_NAME = "settings.yaml"
FORMAT_VERSION = 1
# Discord ids are unsigned 64-bit integers; anything else in the file is a typing mistake.
_MAX_ID = 2**64 - 1
ID_LISTS = ("help_channels", "forum_channels", "solved_channels", "moderator_roles", "solved_tags")
CHANNEL = "moderator_channel"
_KNOWN_KEYS = {"version", *ID_LISTS, CHANNEL, "changed", "changed_by"}


@dataclass(frozen=True)
class ServerSettings:
    """The settings of one server. None in a list field, or ``own_moderator_channel`` False, means
    "not set here": the operator's default applies (see :meth:`over`)."""

    help_channels: frozenset[int] | None = None
    """Channels where the bot answers plain questions when confident."""
    forum_channels: frozenset[int] | None = None
    """Forums whose new posts the bot answers when confident."""
    solved_channels: frozenset[int] | None = None
    """Forums and channels whose threads may be marked solved and kept (knowledge/solved.py)."""
    moderator_roles: frozenset[int] | None = None
    """Roles that count as moderators (besides members who can manage messages)."""
    solved_tags: frozenset[int] | None = None
    """Forum tags (by id) that mark a post solved when applied, in a forum of ``solved_channels``."""
    moderator_channel: int | None = None
    """Where moderator alerts go; with ``own_moderator_channel``, None means nowhere."""
    own_moderator_channel: bool = False
    """Whether ``moderator_channel`` is this server's choice (else the default applies)."""
    changed: str = ""
    changed_by: str = ""

    def over(self, defaults: ServerSettings) -> ServerSettings:
        """These settings where set here, ``defaults`` for the rest: what is in force."""
        own = self.own_moderator_channel
        return ServerSettings(
            help_channels=_first(self.help_channels, defaults.help_channels),
            forum_channels=_first(self.forum_channels, defaults.forum_channels),
            solved_channels=_first(self.solved_channels, defaults.solved_channels),
            moderator_roles=_first(self.moderator_roles, defaults.moderator_roles),
            solved_tags=_first(self.solved_tags, defaults.solved_tags),
            moderator_channel=self.moderator_channel if own else defaults.moderator_channel,
            own_moderator_channel=True,
            changed=self.changed,
            changed_by=self.changed_by,
        )

    def own(self) -> list[str]:
        """The names of the settings set here (the rest follow the defaults)."""
        names = [name for name in ID_LISTS if getattr(self, name) is not None]
        return [*names, CHANNEL] if self.own_moderator_channel else names

    def same_as(self, other: ServerSettings) -> bool:
        """Whether both say the same, whoever changed them when."""
        return replace(self, changed="", changed_by="") == replace(other, changed="", changed_by="")

    def to_yaml(self) -> dict[str, Any]:
        """The settings as written in ``settings.yaml``: only those set here."""
        data: dict[str, Any] = {"version": FORMAT_VERSION}
        for name in ID_LISTS:
            value = getattr(self, name)
            if value is not None:
                data[name] = sorted(value)
        if self.own_moderator_channel:
            data[CHANNEL] = self.moderator_channel
        if self.changed:
            data["changed"], data["changed_by"] = self.changed, self.changed_by
        return data


def _first(own: frozenset[int] | None, default: frozenset[int] | None) -> frozenset[int]:
    if own is not None:
        return own
    return default or frozenset()


def _snowflake(value: Any, path: Path | str, line: int | None, key: str) -> int:
    # Hand editors may quote ids ('123...'), as Discord's "Copy ID" gives text.
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_ID:
        raise StateFileError(path, f"{key}: expected a Discord id, got {value!r}", line=line)
    return value


def parse_settings(text: str, path: Path | str) -> ServerSettings:
    """Validate a ``settings.yaml`` text; raises :class:`StateFileError` naming line and key."""
    data, root = parse_yaml(text, path)
    if data is None:
        return ServerSettings()
    if not isinstance(data, dict):
        raise StateFileError(path, "the file must hold settings such as 'help_channels: [id, ...]'", line=1)
    for key in data:
        if key not in _KNOWN_KEYS:
            known = ", ".join(sorted(_KNOWN_KEYS - {"version"}))
            raise StateFileError(
                path, f"unknown setting {key!r} (known: {known})", line=line_of(mapping_value(root, str(key)))
            )
    values: dict[str, Any] = {}
    for name in ID_LISTS:
        if name not in data:
            continue
        node = mapping_value(root, name)
        items = data[name] if data[name] is not None else []
        if not isinstance(items, list):
            raise StateFileError(path, f"{name}: expected a list of Discord ids", line=line_of(node))
        nodes = sequence_items(node)
        values[name] = frozenset(
            _snowflake(item, path, line_of(nodes[i]) if i < len(nodes) else line_of(node), f"{name}[{i}]")
            for i, item in enumerate(items)
        )
    if CHANNEL in data:
        channel = data[CHANNEL]
        line = line_of(mapping_value(root, CHANNEL))
        values[CHANNEL] = None if channel is None else _snowflake(channel, path, line, CHANNEL)
        values["own_moderator_channel"] = True
    return ServerSettings(
        **values, changed=timestamp(data.get("changed")), changed_by=str(data.get("changed_by") or "")
    )


def dump_settings(settings: ServerSettings) -> str:
    """``settings`` as the text of ``settings.yaml``, with a header for hand editors."""
    header = (
        "# citebot settings of this server (/settings). Editable by hand. A setting left out uses\n"
        "# the bot's config; moderator_channel: null means no moderator channel.\n"
    )
    return header + dump_yaml(settings.to_yaml())


class SettingsFile(YamlState[ServerSettings]):
    """One server's settings, served from memory and kept in ``settings.yaml`` (or its row)."""

    label = "server settings"

    def __init__(self, path: Path | str | YamlStateFile) -> None:
        self._settings = ServerSettings()
        super().__init__(path)

    def _parse(self, text: str, path: Path | str) -> list[ServerSettings]:
        return [parse_settings(text, path)]

    def _set(self, items: Iterable[ServerSettings]) -> None:
        self._settings = next(iter(items), ServerSettings())

    def _dump(self) -> str:
        return dump_settings(self._settings)

    def __len__(self) -> int:
        return len(self._settings.own())

    def current(self) -> ServerSettings:
        """The settings being served. A hand edit is picked up first, unless a change is being
        written right now: a reader on the event loop must never wait for a write."""
        if self.file.changed_on_disk() and self.file.lock.acquire(blocking=False):
            try:
                self.refresh()
            finally:
                self.file.lock.release()
        return self._settings

    def update(self, change: Callable[[ServerSettings], ServerSettings], *, author: str) -> ServerSettings:
        """Apply ``change`` to the stored settings and save the result, stamped with ``author``.
        ``change`` may raise (a CitebotError saying why) to change nothing. A change that changes
        nothing is not written. Raises StateFileBroken while a hand edit has a mistake,
        EditConflict when another bot process saved first, StateWriteError when the folder cannot
        be written (the change is in use all the same), ChangeNotSaved when the database is out
        of reach (nothing changed)."""
        with self.file.lock:
            self._begin_change()
            before = self._settings
            after = change(before)
            if after.same_as(before):
                return before
            self._settings = replace(after, changed=now(), changed_by=author)
            self._save(self._settings)
            logger.info("%s: %s changed by %s", self.path, ", ".join(self._changed(before)), author)
            return self._settings

    def _changed(self, before: ServerSettings) -> list[str]:
        names = [f.name for f in fields(ServerSettings) if f.name not in ("changed", "changed_by")]
        return [name for name in names if getattr(before, name) != getattr(self._settings, name)]


class SettingsBook:
    """Every server's :class:`SettingsFile`, opened on first use and kept; thread-safe.
    ``open_file(guild_id)`` says where a server's file (or row) is."""

    def __init__(self, open_file: Callable[[int], YamlStateFile]) -> None:
        self._open_file = open_file
        self._lock = threading.Lock()
        self._files: dict[int, SettingsFile] = {}

    def get(self, guild_id: int) -> SettingsFile:
        """Server ``guild_id``'s settings, read on first use."""
        with self._lock:
            found = self._files.get(guild_id)
        if found is not None:
            return found
        opened = SettingsFile(self._open_file(guild_id))
        with self._lock:
            return self._files.setdefault(guild_id, opened)

    def loaded(self, guild_id: int) -> SettingsFile | None:
        """Server ``guild_id``'s settings if they were read already; never reads anything."""
        with self._lock:
            return self._files.get(guild_id)
