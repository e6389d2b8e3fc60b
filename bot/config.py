"""The bot's configuration: one YAML file read with the safe loader (``knowledge.safe_yaml``:
anchors allowed, their expansion capped) into frozen dataclasses.

Every key is optional; a missing section takes the defaults below. Each key is declared once, as a
field whose :func:`setting` metadata says how its value is read and checked. Mistakes are reported
at start with the file, key and line. The Discord token is read from ``DISCORD_TOKEN`` only.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from knowledge import default_state_dir, safe_yaml, safety
from knowledge.database import DATABASE_URL_ENV, is_postgres_url, redact_url
from knowledge.documents import refused_folder
from knowledge.safe_yaml import quote
from knowledge.semantic import MODES as SEMANTIC_MODES
from knowledge.semantic import SemanticOptions

if TYPE_CHECKING:
    from knowledge.crawl import CrawlSettings

CONFIG_ENV = "CITEBOT_CONFIG"

DEFAULT_MEDICAL_NOTICE = (
    "ℹ️ citebot shares what its sources say; it is not medical advice. "
    "For a health concern, talk to a clinician or a lactation consultant."
)
# The red-flag signs live with the check, in the knowledge library; ``notices`` overrides them.
DEFAULT_RED_FLAG_MESSAGE = safety.DEFAULT_RED_FLAG_MESSAGE


def default_database_url() -> str | None:
    """``$CITEBOT_DATABASE_URL`` when set (a URL with a password is better kept out of the file)."""
    return os.environ.get(DATABASE_URL_ENV, "").strip() or None


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file, line and key."""


def setting(
    default: Any = MISSING,
    *,
    read: str,
    nullable: bool = False,
    default_factory: Any = MISSING,
    **limits: Any,
) -> Any:
    """A config key: the dataclass field with its default, how its YAML value is read (the name of
    a ``_Reader`` method, given ``limits`` such as ``low``/``high``), and whether ``null`` is allowed
    (it then keeps the default)."""
    metadata = {"read": read, "nullable": nullable, "limits": limits}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def section(cls: type) -> Any:
    """A config section: a mapping of its own keys, read into the dataclass ``cls``."""
    return field(default_factory=cls, metadata={"read": "section", "nullable": True, "limits": {}})


@dataclass(frozen=True)
class AnswerConfig:
    """How answers are given."""

    private: bool = setting(False, read="boolean")
    """``/ask`` answers only the asker (ephemeral) unless the member chooses otherwise."""
    reply_in_thread: bool = setting(False, read="boolean")
    """Answer mentions and help-channel questions in a new thread instead of inline."""
    min_confidence: float | None = setting(None, read="number", nullable=True, low=0.0, high=1.0)
    """Share of the question the best sentence must cover to answer; None keeps the calibrated 0.45."""
    auto_min_confidence: float = setting(0.75, read="number", low=0.0, high=1.0)
    """Stricter bar for unprompted answers in help and forum channels: quiet unless confident."""
    max_sentences: int = setting(3, read="integer", low=1)
    """At most this many sentences in an answer."""
    passages: int = setting(5, read="integer", low=1)
    """Passages retrieved per question (the sources shown)."""
    calibrated: bool = setting(False, read="boolean")
    """Decide with the fitted model (knowledge/data/decider.json) instead of the coverage bar."""


@dataclass(frozen=True)
class NoticeConfig:
    """What the bot says besides the answer."""

    medical: str = setting(DEFAULT_MEDICAL_NOTICE, read="text")
    """Shown once per member per day."""
    red_flag_message: str | None = setting(None, read="text", nullable=True)
    """Said first to every red-flagged question; None: each built-in sign's own notice (and
    ``DEFAULT_RED_FLAG_MESSAGE`` for the patterns of ``red_flags``)."""
    red_flags: tuple[str, ...] | None = setting(None, read="patterns", nullable=True)
    """Regular expressions that replace the built-in signs (``knowledge.safety.SIGNS``): a question
    matching any is red-flagged; None keeps the signs, an empty list turns red flags off."""

    def compiled_red_flags(self) -> tuple[safety.Matcher, ...]:
        """``red_flags`` compiled, case-insensitive, with RE2 (none when the built-in signs are used)."""
        return tuple(safety.compile_red_flag(p) for p in self.red_flags or ())

    def red_flag_check(self) -> safety.RedFlags:
        """``red_flags`` and ``red_flag_message`` as the knowledge library's check."""
        return safety.RedFlags(self.red_flags, self.red_flag_message)


@dataclass(frozen=True)
class CooldownConfig:
    """``rate`` questions per ``per`` seconds for each member in a server, however they ask (`/ask`,
    mentions, help channels, forum posts, follow-ups), and as many lookups; moderators are exempt."""

    rate: int = setting(3, read="integer", low=1)
    per: float = setting(60.0, read="number", low=0.0, high=86_400.0)


@dataclass(frozen=True)
class RetrievalConfig:
    """How passages are found: BM25 always; the meaning (semantic) channel by default (``auto`` and
    ``on``: its model is fetched once, or read from ``model_path``; when it cannot be had, one
    warning and lexical answers) or never (``off``: the model is never looked for)."""

    semantic: str = setting("auto", read="choice", options=SEMANTIC_MODES)
    """``auto``, ``on`` or ``off``."""
    model_path: Path | None = setting(None, read="path", nullable=True)
    """A local folder with the pinned model (offline servers); None fetches it from the hub once
    into the hub's cache, and reads it from there after."""

    def options(self) -> SemanticOptions:
        """These settings as :func:`knowledge.semantic.attach` takes them."""
        return SemanticOptions(mode=self.semantic, model_path=self.model_path)


@dataclass(frozen=True)
class CrawlConfig:
    """How sites are crawled (``citebot index --url``, ``/kb add url:``): politely, within bounds,
    and from Discord never to an internal address."""

    requests_per_second: float = setting(3.0, read="number", low=0.1, high=100.0)
    """Requests started per second, at most (a robots.txt ``Crawl-delay`` slows it further)."""
    concurrency: int = setting(3, read="integer", low=1, high=16)
    """Requests in flight at once."""
    timeout: float = setting(15.0, read="number", low=0.1, high=300.0)
    """Seconds one request may take, body included; a slower page is abandoned and counted."""
    max_page_mb: float = setting(2.0, read="number", low=0.01, high=25.0)
    """A larger page is abandoned after this many megabytes and counted."""
    max_pages: int = setting(500, read="integer", low=1, high=100_000)
    """Pages one crawl stores at most."""
    allow_hosts: frozenset[str] = setting(frozenset(), read="hosts", nullable=True)
    """Hosts (names or IP addresses) ``/kb add url:`` may crawl although they are internal, such
    as a docs server on the operator's network. Anything else internal is refused from Discord."""

    def settings(self, *, from_discord: bool) -> CrawlSettings:
        """These settings as the crawler takes them; only crawls started from Discord are held to
        public addresses (the operator's command line may crawl anything it can reach)."""
        from knowledge.crawl import AddressPolicy, CrawlSettings  # the HTTP client: only to crawl

        return CrawlSettings(
            requests_per_second=self.requests_per_second,
            concurrency=self.concurrency,
            timeout=self.timeout,
            max_page_bytes=int(self.max_page_mb * 1024 * 1024),
            max_pages=self.max_pages,
            policy=AddressPolicy(public_only=from_discord, allow_hosts=self.allow_hosts),
        )


@dataclass(frozen=True)
class Config:
    """The whole configuration; the keys of the YAML file are these fields (but ``source``)."""

    knowledge_dir: Path | None = setting(None, read="knowledge_folder", nullable=True)
    """Folder of documents; None uses the built-in knowledge base. Not the filesystem root or a
    system folder."""
    state_dir: Path = setting(read="path", nullable=True, default_factory=default_state_dir)
    """Folder of the bot's state: the SQLite store, curated answers, glossary, uploads."""
    guilds: frozenset[int] = setting(frozenset(), read="snowflakes", nullable=True)
    """Servers the bot may be in; it leaves any other. Empty: any server that adds it."""
    message_content: bool | None = setting(None, read="boolean", nullable=True)
    """Request the privileged message-content intent; None: only when help or forum channels are set
    here (channels servers set with ``/settings`` need True: the intent is chosen at start)."""
    help_channels: frozenset[int] = setting(frozenset(), read="snowflakes", nullable=True)
    """Channels where questions are answered unprompted when the bot is confident (the default of
    every server without its own, see ``/settings``; likewise the next three)."""
    forum_channels: frozenset[int] = setting(frozenset(), read="snowflakes", nullable=True)
    """Forums whose new posts are answered when the bot is confident."""
    moderator_roles: frozenset[int] = setting(frozenset(), read="snowflakes", nullable=True)
    """Roles that count as moderators (besides members who can manage messages)."""
    moderator_channel: int | None = setting(None, read="snowflake", nullable=True)
    """Where curated answers whose sources changed are announced."""
    database_url: str | None = setting(
        read="database_url", nullable=True, default_factory=default_database_url
    )
    """``postgresql://…``: keep the state (stored answers, curated answers, glossary, uploads) in
    PostgreSQL, shared by several bot processes; default ``$CITEBOT_DATABASE_URL``, else None: the
    SQLite file and YAML files in ``state_dir``."""
    shards: tuple[int, ...] | None = setting(None, read="shard_ids", nullable=True)
    """The Discord shards this process runs (``0-3`` or a list); None: one process, no sharding."""
    shard_count: int | None = setting(None, read="integer", nullable=True, low=1)
    """How many shards the whole bot has (every process's ``shard_count`` is the same)."""
    max_upload_mb: float = setting(2.0, read="number", low=0.01, high=25.0)
    """Largest document ``/kb add`` accepts, in megabytes."""
    answers: AnswerConfig = section(AnswerConfig)
    notices: NoticeConfig = section(NoticeConfig)
    cooldown: CooldownConfig = section(CooldownConfig)
    retrieval: RetrievalConfig = section(RetrievalConfig)
    crawl: CrawlConfig = section(CrawlConfig)
    source: Path | None = field(default=None, metadata={"read": None})
    """The file this configuration was read from, for messages; not a key of the file."""

    @property
    def max_upload_bytes(self) -> int:
        """``max_upload_mb`` in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def wants_message_content(self) -> bool:
        """Whether to ask for the message-content intent: as configured, else when help or forum
        channels need it."""
        if self.message_content is not None:
            return self.message_content
        return bool(self.help_channels or self.forum_channels)


def parse_shards(value: Any) -> tuple[int, ...]:
    """Shard ids from ``"0-3"``, ``"0,2,5"``, ``4`` or a list of ids; ValueError says what is wrong."""
    if isinstance(value, bool):
        raise ValueError(f"expected shard ids such as 0-3, got {quote(value)}")
    if isinstance(value, int):
        value = [value]
    if isinstance(value, str):
        ids: list[int] = []
        for part in value.replace(" ", "").split(","):
            low, dash, high = part.partition("-")
            if not low.isdigit() or (dash and not high.isdigit()):
                raise ValueError(f"expected shard ids such as 0-3 or 0,2,5, got {quote(value)}")
            ids += range(int(low), int(high) + 1) if dash else [int(low)]
        value = ids
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected shard ids such as 0-3, got {quote(value)}")
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in value):
        raise ValueError(f"shard ids are whole numbers from 0, got {quote(value)}")
    return tuple(sorted(set(value)))


def config_keys(cls: type) -> tuple[str, ...]:
    """The keys a config section (or the top level, :class:`Config`) accepts, in declared order."""
    return tuple(f.name for f in fields(cls) if f.metadata.get("read"))


# -- loading -----------------------------------------------------------------------------------

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
        # The operator's own file: anchors are allowed, what they expand to is capped.
        data, root = safe_yaml.load(text, allow_aliases=True)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        raise ConfigError(f"{at}: {safe_yaml.problem(exc)[0]}") from None
    lines = _key_lines(root)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: the config must be a mapping of keys to values, not {_kind(data)}")
    return _Reader(where, lines, source.parent if source else Path.cwd()).section("", data, Config)


def _key_lines(root: yaml.Node | None) -> dict[str, int]:
    """``{"answers.private": 12, ...}``: the 1-based line of every key, for error messages."""
    lines: dict[str, int] = {}

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


class _Reader:
    """Reads values of the YAML file into config fields; each method checks one kind of value."""

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

    def boolean(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {quote(value)}")
        return value

    def number(self, key: str, value: Any, *, low: float, high: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {quote(value)}")
        if not math.isfinite(value):
            raise self.fail(key, f"expected a finite number, got {quote(value)}")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.fail(key, f"must be {bound}, got {quote(value)}")
        return float(value)

    def choice(self, key: str, value: Any, *, options: tuple[str, ...]) -> str:
        # YAML 1.1 reads a bare on/off as true/false; take them as the words written.
        if isinstance(value, bool) and {"on", "off"} <= set(options):
            value = "on" if value else "off"
        if value not in options:
            raise self.fail(key, f"expected one of {', '.join(options)}, got {quote(value)}")
        return value

    def integer(self, key: str, value: Any, *, low: int, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected a whole number, got {quote(value)}")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.fail(key, f"must be {bound}, got {quote(value)}")
        return value

    def hosts(self, key: str, value: Any) -> frozenset[str]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of host names or IP addresses, got {_kind(value)}")
        out = set()
        for i, host in enumerate(value):
            if not isinstance(host, str) or not re.fullmatch(r"\[?[\w.:-]+\]?", host.strip()):
                problem = f"expected a host name or IP address (no scheme, no path), got {quote(host)}"
                raise self.fail(f"{key}[{i}]", problem)
            out.add(host.strip().lower())
        return frozenset(out)

    def snowflake(self, key: str, value: Any) -> int:
        # Ids are often quoted in YAML so editors don't mangle them; accept both.
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(
                key, f"expected a Discord id (a number such as 123456789012345678), got {quote(value)}"
            )
        return value

    def snowflakes(self, key: str, value: Any) -> frozenset[int]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of Discord ids, got {_kind(value)}")
        return frozenset(self.snowflake(f"{key}[{i}]", v) for i, v in enumerate(value))

    def text(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected non-empty text, got {quote(value)}")
        if len(value) > 1000:
            raise self.fail(key, f"must be at most 1000 characters (it is {len(value)})")
        return value.strip()

    def path(self, key: str, value: Any) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a folder path, got {quote(value)}")
        folder = Path(os.path.expandvars(value)).expanduser()
        return folder if folder.is_absolute() else (self.base / folder).resolve()

    def database_url(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not is_postgres_url(value.strip()):
            shown = redact_url(value) if isinstance(value, str) else repr(value)
            raise self.fail(key, f"expected a postgresql:// URL, got {shown}")
        return value.strip()

    def shard_ids(self, key: str, value: Any) -> tuple[int, ...]:
        try:
            return parse_shards(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def knowledge_folder(self, key: str, value: Any) -> Path:
        folder = self.path(key, value)
        refused = refused_folder(folder)
        if refused is not None:
            raise self.fail(key, refused)
        return folder

    def patterns(self, key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of regular expressions, got {_kind(value)}")
        out = []
        for i, pattern in enumerate(value):
            name = f"{key}[{i}]"
            if not isinstance(pattern, str) or not pattern:
                raise self.fail(name, f"expected a regular expression, got {quote(pattern)}")
            try:
                safety.compile_red_flag(pattern)
            except safety.PatternError as exc:
                raise self.fail(name, str(exc)) from None
            except re.error as exc:
                raise self.fail(name, f"invalid regular expression: {exc}") from None
            out.append(pattern)
        return tuple(out)

    # a section, and the whole file (the section named "") ---------------------------------------

    def section(self, name: str, value: Any, cls: type) -> Any:
        """Read a mapping into the dataclass ``cls``: unknown keys are refused, each key is read
        as its field declares, and missing (or null, where allowed) keys keep their defaults."""
        if not isinstance(value, Mapping):
            raise self.fail(name, f"expected a mapping of keys, got {_kind(value)}")
        prefix = f"{name}." if name else ""
        self.check_keys(value, config_keys(cls), prefix=prefix)
        kwargs: dict[str, Any] = {}
        for spec in fields(cls):
            read = spec.metadata.get("read")
            if not read or spec.name not in value:
                continue
            item = value[spec.name]
            if item is None and spec.metadata["nullable"]:
                continue
            key = f"{prefix}{spec.name}"
            if read == "section":
                kwargs[spec.name] = self.section(key, item, spec.default_factory)
            else:
                kwargs[spec.name] = getattr(self, read)(key, item, **spec.metadata["limits"])
        if cls is Config:
            kwargs["source"] = Path(self.where) if self.where != "<config>" else None
            check_shards(kwargs.get("shards"), kwargs.get("shard_count"), self.fail)
        return cls(**kwargs)


def with_shards(config: Config, shards: str | None, shard_count: int | None) -> Config:
    """``config`` with the shards given on the command line (None keeps the config's)."""
    ids = config.shards
    count = shard_count if shard_count is not None else config.shard_count
    if shards is not None:
        try:
            ids = parse_shards(shards)
        except ValueError as exc:
            raise ConfigError(f"--shards: {exc}") from None
    if count is not None and count < 1:
        raise ConfigError(f"--shard-count: must be at least 1, got {count}")

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"--{key.replace('_', '-')}: {message}")

    check_shards(ids, count, fail)
    return replace(config, shards=ids, shard_count=count)


def check_shards(shards: tuple[int, ...] | None, count: int | None, fail: Any) -> None:
    """Shards need their total and fit in it; ``fail(key, message)`` makes the error to raise."""
    if shards is not None and count is None:
        raise fail("shards", "needs shard_count, the number of shards of the whole bot")
    if shards is not None and count is not None and max(shards) >= count:
        raise fail("shards", f"shard ids run from 0 to shard_count - 1 ({count - 1}), got {max(shards)}")
