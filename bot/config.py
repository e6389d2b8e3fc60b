"""The bot's configuration: one YAML file read with ``yaml.safe_load`` into frozen dataclasses.

Every key is optional; a missing file section takes the defaults below. Mistakes are reported at
start, naming the file, the key and (where YAML knows it) the line. The Discord token never goes
in this file or in these objects: it is read from ``DISCORD_TOKEN`` when the bot connects.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge import default_state_dir

CONFIG_ENV = "CITEBOT_CONFIG"

DEFAULT_MEDICAL_NOTICE = (
    "ℹ️ citebot shares what its sources say; it is not medical advice. "
    "For a health concern, talk to a clinician or a lactation consultant."
)
DEFAULT_RED_FLAG_MESSAGE = (
    "⚠️ Fever or trouble breathing in a baby, or a red, hot breast with fever, needs care now: "
    "contact a clinician or lactation consultant right away (emergency services if it is severe)."
)
# Order-independent (lookaheads), case-insensitive: "my newborn has a fever" and
# "fever in a 3 week old baby" both match.
DEFAULT_RED_FLAGS: tuple[str, ...] = (
    r"(?is)^(?=.*\b(?:new-?borns?|bab(?:y|ies)|infants?|neonat\w*)\b)"
    r"(?=.*\b(?:fevers?|feverish|high temperature|breath\w*|gasp\w*|wheez\w*|blue lips|turning blue)\b)",
    r"(?is)^(?=.*\bbreasts?\b)(?=.*\b(?:red|redness|hot|swollen)\b)(?=.*\b(?:fevers?|feverish|chills)\b)",
)


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file, line and key."""


@dataclass(frozen=True)
class AnswerConfig:
    """How answers are given."""

    private: bool = False
    """``/ask`` answers only the asker (ephemeral) unless the member chooses otherwise."""
    reply_in_thread: bool = False
    """Answer mentions and help-channel questions in a new thread instead of inline."""
    min_confidence: float | None = None
    """Share of the question the best sentence must cover to answer; None keeps the calibrated 0.45."""
    auto_min_confidence: float = 0.75
    """Stricter bar for unprompted answers in help and forum channels: quiet unless confident."""
    max_sentences: int = 3
    passages: int = 5


@dataclass(frozen=True)
class NoticeConfig:
    medical: str = DEFAULT_MEDICAL_NOTICE
    """Shown once per member per day."""
    red_flag_message: str = DEFAULT_RED_FLAG_MESSAGE
    red_flags: tuple[str, ...] = DEFAULT_RED_FLAGS
    """Regular expressions; a question matching any gets ``red_flag_message`` before the answer."""

    def compiled_red_flags(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in self.red_flags)


@dataclass(frozen=True)
class CooldownConfig:
    """``rate`` uses of ``/ask`` per ``per`` seconds for each member (moderators are exempt)."""

    rate: int = 3
    per: float = 60.0


@dataclass(frozen=True)
class Config:
    knowledge_dir: Path | None = None
    """Folder of documents; None uses the built-in knowledge base."""
    state_dir: Path = field(default_factory=default_state_dir)
    help_channels: frozenset[int] = frozenset()
    forum_channels: frozenset[int] = frozenset()
    moderator_roles: frozenset[int] = frozenset()
    moderator_channel: int | None = None
    max_upload_mb: float = 2.0
    """Largest document ``/kb add`` accepts, in megabytes."""
    message_content: bool | None = None
    """Request the privileged message-content intent; None: only when help or forum channels are set."""
    answers: AnswerConfig = field(default_factory=AnswerConfig)
    notices: NoticeConfig = field(default_factory=NoticeConfig)
    cooldown: CooldownConfig = field(default_factory=CooldownConfig)
    source: Path | None = None
    """The file this configuration was read from, for messages."""

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def wants_message_content(self) -> bool:
        if self.message_content is not None:
            return self.message_content
        return bool(self.help_channels or self.forum_channels)


# -- loading -----------------------------------------------------------------------------------

_SECTIONS: dict[str, type] = {"answers": AnswerConfig, "notices": NoticeConfig, "cooldown": CooldownConfig}
_TOP_KEYS = (
    "knowledge_dir",
    "state_dir",
    "message_content",
    "help_channels",
    "forum_channels",
    "moderator_roles",
    "moderator_channel",
    "max_upload_mb",
    *_SECTIONS,
)
_SECTION_KEYS = {
    "answers": (
        "private",
        "reply_in_thread",
        "min_confidence",
        "auto_min_confidence",
        "max_sentences",
        "passages",
    ),
    "notices": ("medical", "red_flag_message", "red_flags"),
    "cooldown": ("rate", "per"),
}


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the configuration from ``path``, else ``$CITEBOT_CONFIG``, else use the defaults."""
    if path is None:
        path = os.environ.get(CONFIG_ENV) or None
    if path is None:
        return Config()
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: the config file does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the config file ({exc.strerror})") from None
    return parse_config(text, source=file)


def parse_config(text: str, *, source: Path | None = None) -> Config:
    """Build a :class:`Config` from YAML text; relative paths are taken from the file's folder."""
    where = str(source) if source else "<config>"
    try:
        data = yaml.safe_load(text)
        lines = _key_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{at}: invalid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: the config must be a mapping of keys to values, not {_kind(data)}")
    return _Builder(where, lines, source.parent if source else Path.cwd()).build(data)


def _key_lines(text: str) -> dict[str, int]:
    """``{"answers.private": 12, ...}``: the 1-based line of every key, for error messages."""
    lines: dict[str, int] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)

    def walk(node: Any, name: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{name}.{key.value}" if name else str(key.value)
                lines.setdefault(child, key.start_mark.line + 1)
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines.setdefault(f"{name}[{i}]", item.start_mark.line + 1)

    walk(root, "")
    return lines


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a mapping", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


class _Builder:
    def __init__(self, where: str, lines: dict[str, int], base: Path) -> None:
        self.where, self.lines, self.base = where, lines, base

    def fail(self, key: str, message: str) -> ConfigError:
        line = self.lines.get(key) or self.lines.get(key.split("[", 1)[0])
        at = f"{self.where}:{line}" if line else self.where
        return ConfigError(f"{at}: {key}: {message}")

    def check_keys(self, data: Mapping[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
        for key in data:
            if key in allowed:
                continue
            name = f"{prefix}{key}"
            if str(key).lower() in {"token", "discord_token", "bot_token"}:
                raise self.fail(name, "the token never goes in the config file; set DISCORD_TOKEN instead")
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
            raise self.fail(name, f"unknown key{hint}; known keys: {', '.join(allowed)}")

    # value readers ---------------------------------------------------------------------------

    def boolean(self, key: str, value: Any, *, optional: bool = False) -> bool | None:
        if value is None and optional:
            return None
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def number(
        self, key: str, value: Any, *, low: float, high: float | None = None, optional: bool = False
    ) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {value!r}")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.fail(key, f"must be {bound}, got {value!r}")
        return float(value)

    def integer(self, key: str, value: Any, *, low: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected a whole number, got {value!r}")
        if value < low:
            raise self.fail(key, f"must be at least {low}, got {value!r}")
        return value

    def snowflake(self, key: str, value: Any) -> int:
        # Ids are often quoted in YAML so editors don't mangle them; accept both.
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(
                key, f"expected a Discord id (a number such as 123456789012345678), got {value!r}"
            )
        return value

    def snowflakes(self, key: str, value: Any) -> frozenset[int]:
        if value is None:
            return frozenset()
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of Discord ids, got {_kind(value)}")
        return frozenset(self.snowflake(f"{key}[{i}]", v) for i, v in enumerate(value))

    def text(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected non-empty text, got {value!r}")
        if len(value) > 1000:
            raise self.fail(key, f"must be at most 1000 characters (it is {len(value)})")
        return value.strip()

    def path(self, key: str, value: Any) -> Path | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a folder path, got {value!r}")
        folder = Path(os.path.expandvars(value)).expanduser()
        return folder if folder.is_absolute() else (self.base / folder).resolve()

    def patterns(self, key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of regular expressions, got {_kind(value)}")
        out = []
        for i, pattern in enumerate(value):
            name = f"{key}[{i}]"
            if not isinstance(pattern, str) or not pattern:
                raise self.fail(name, f"expected a regular expression, got {pattern!r}")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.fail(name, f"invalid regular expression: {exc}") from None
            out.append(pattern)
        return tuple(out)

    def section(self, data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        value = data.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(name, f"expected a mapping of keys, got {_kind(value)}")
        self.check_keys(value, _SECTION_KEYS[name], prefix=f"{name}.")
        return value

    # the whole file --------------------------------------------------------------------------

    def build(self, data: Mapping[str, Any]) -> Config:
        self.check_keys(data, _TOP_KEYS)
        kwargs: dict[str, Any] = {"source": Path(self.where) if self.where != "<config>" else None}
        if "knowledge_dir" in data:
            kwargs["knowledge_dir"] = self.path("knowledge_dir", data["knowledge_dir"])
        if data.get("state_dir") is not None:
            kwargs["state_dir"] = self.path("state_dir", data["state_dir"])
        if "message_content" in data:
            kwargs["message_content"] = self.boolean(
                "message_content", data["message_content"], optional=True
            )
        for key in ("help_channels", "forum_channels", "moderator_roles"):
            if key in data:
                kwargs[key] = self.snowflakes(key, data[key])
        if data.get("moderator_channel") is not None:
            kwargs["moderator_channel"] = self.snowflake("moderator_channel", data["moderator_channel"])
        if "max_upload_mb" in data:
            kwargs["max_upload_mb"] = self.number("max_upload_mb", data["max_upload_mb"], low=0.01, high=25.0)

        answers = self.section(data, "answers")
        a: dict[str, Any] = {}
        for key in ("private", "reply_in_thread"):
            if key in answers:
                a[key] = self.boolean(f"answers.{key}", answers[key])
        if "min_confidence" in answers:
            a["min_confidence"] = self.number(
                "answers.min_confidence", answers["min_confidence"], low=0.0, high=1.0, optional=True
            )
        if "auto_min_confidence" in answers:
            a["auto_min_confidence"] = self.number(
                "answers.auto_min_confidence", answers["auto_min_confidence"], low=0.0, high=1.0
            )
        if "max_sentences" in answers:
            a["max_sentences"] = self.integer("answers.max_sentences", answers["max_sentences"], low=1)
        if "passages" in answers:
            a["passages"] = self.integer("answers.passages", answers["passages"], low=1)
        kwargs["answers"] = AnswerConfig(**a)

        notices = self.section(data, "notices")
        n: dict[str, Any] = {}
        for key in ("medical", "red_flag_message"):
            if key in notices:
                n[key] = self.text(f"notices.{key}", notices[key])
        if "red_flags" in notices:
            n["red_flags"] = self.patterns("notices.red_flags", notices["red_flags"])
        kwargs["notices"] = NoticeConfig(**n)

        cooldown = self.section(data, "cooldown")
        c: dict[str, Any] = {}
        if "rate" in cooldown:
            c["rate"] = self.integer("cooldown.rate", cooldown["rate"], low=1)
        if "per" in cooldown:
            c["per"] = self.number("cooldown.per", cooldown["per"], low=0.0)
        kwargs["cooldown"] = CooldownConfig(**c)
        return Config(**kwargs)
