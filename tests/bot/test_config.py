"""The YAML config: defaults, environment variables, and errors that name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from bot_helpers import ANSWERABLE, server

from bot import create_bot
from bot.config import Config, ConfigError, load_config, parse_config
from bot.core import build_intents

REPO = Path(__file__).resolve().parents[2]


def test_no_file_means_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("CITEBOT_CONFIG", raising=False)
    monkeypatch.delenv("CITEBOT_STATE_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    config = load_config()
    assert config.knowledge_dir is None
    assert config.state_dir == tmp_path / "xdg" / "citebot"
    assert config.help_channels == frozenset() and not config.wants_message_content
    assert config.answers.private is False and config.cooldown.rate >= 1
    assert config.notices.red_flags is None and config.notices.red_flag_message is None  # the signs

    monkeypatch.delenv("XDG_STATE_HOME")
    assert load_config().state_dir == Path.home() / ".local" / "state" / "citebot"
    monkeypatch.setenv("CITEBOT_STATE_DIR", str(tmp_path / "state"))
    assert load_config().state_dir == tmp_path / "state"


def test_the_example_config_is_valid_and_documents_every_key():
    example = REPO / "config.example.yaml"
    config = load_config(example)
    assert config.source == example
    # The example shows the defaults, so copying it changes nothing until it is edited.
    defaults = Config(state_dir=config.state_dir, source=example)
    assert config == defaults
    text = example.read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running on Discord", 1)[1]
    keys = [
        "knowledge_dir", "state_dir", "guilds", "message_content", "help_channels", "forum_channels",
        "moderator_roles", "moderator_channel", "answers.private", "answers.reply_in_thread",
        "answers.min_confidence", "answers.auto_min_confidence", "answers.max_sentences", "answers.passages",
        "answers.calibrated", "notices.medical", "notices.red_flag_message", "notices.red_flags",
        "cooldown.rate", "cooldown.per",
        "crawl.requests_per_second", "crawl.concurrency", "crawl.timeout", "crawl.max_page_mb",
        "crawl.max_pages", "crawl.allow_hosts",
    ]  # fmt: skip
    for key in keys:
        assert f"{key.rsplit('.', 1)[-1]}:" in text, f"config.example.yaml lacks {key}"
        assert f"`{key}`" in section, f"README doesn't document {key}"


def test_citebot_config_names_the_file(monkeypatch, tmp_path):
    file = tmp_path / "citebot.yaml"
    file.write_text(
        "help_channels: [123456789012345678, '223456789012345678']\n"
        "knowledge_dir: docs\n"
        "answers:\n  private: true\n  reply_in_thread: true\n"
        "cooldown: {rate: 2, per: 10}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CITEBOT_CONFIG", str(file))
    config = load_config()
    assert config.help_channels == {123456789012345678, 223456789012345678}
    assert config.knowledge_dir == tmp_path / "docs"  # relative to the config file
    assert config.answers.private and config.answers.reply_in_thread
    assert (config.cooldown.rate, config.cooldown.per) == (2, 10.0)
    assert config.wants_message_content  # help channels need message content
    assert build_intents(config).message_content


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help_chanels: [1]\n", "citebot.yaml:1: help_chanels: unknown key (did you mean help_channels?)"),
        (
            "answers:\n  private: maybe\n",
            "citebot.yaml:2: answers.private: expected true or false, got 'maybe'",
        ),
        ("cooldown:\n  rate: 0\n", "citebot.yaml:2: cooldown.rate: must be at least 1, got 0"),
        (
            "answers:\n  min_confidence: 2\n",
            "citebot.yaml:2: answers.min_confidence: must be between 0.0 and 1.0",
        ),
        (
            "answers:\n  min_confidence: .nan\n",
            "citebot.yaml:2: answers.min_confidence: expected a finite number, got nan",
        ),
        ("cooldown:\n  per: .inf\n", "citebot.yaml:2: cooldown.per: expected a finite number, got inf"),
        ("cooldown:\n  per: 1000000\n", "citebot.yaml:2: cooldown.per: must be between 0.0 and 86400.0"),
        ("max_upload_mb: -.inf\n", "citebot.yaml:1: max_upload_mb: expected a finite number, got -inf"),
        ("moderator_roles: [abc]\n", "citebot.yaml:1: moderator_roles[0]: expected a Discord id"),
        ("help_channels: 12345\n", "citebot.yaml:1: help_channels: expected a list of Discord ids"),
        (
            "notices:\n  red_flags: ['(unclosed']\n",
            "citebot.yaml:2: notices.red_flags[0]: invalid regular expression",
        ),
        (
            "notices:\n  red_flags: ['(?=.*fever)baby']\n",
            "citebot.yaml:2: notices.red_flags[0]: invalid regular expression: invalid perl operator: (?= "
            "(red flags run with RE2, in linear time: no lookarounds",
        ),
        ("answers: [1, 2]\n", "citebot.yaml:1: answers: expected a mapping of keys, got a list"),
        (
            "token: abc.def\n",
            "citebot.yaml:1: token: the token never goes in the config file; set DISCORD_TOKEN",
        ),
        ("- just\n- a list\n", "citebot.yaml: the config must be a mapping"),
        ("answers:\n  private: true\n   passages: 3\n", "citebot.yaml:3:"),
        ("help_channels: [1, 2\n", "invalid YAML"),
        ("crawl:\n  concurrency: 64\n", "citebot.yaml:2: crawl.concurrency: must be between 1 and 16"),
        (
            "crawl:\n  allow_hosts: ['http://10.0.0.5/docs']\n",
            "citebot.yaml:2: crawl.allow_hosts[0]: expected a host name or IP address (no scheme, no path)",
        ),
        ("crawl:\n  allow_hosts: 10.0.0.5\n", "crawl.allow_hosts: expected a list of host names"),
    ],
)
def test_invalid_config_is_a_clear_error(tmp_path, text, expected):
    file = tmp_path / "citebot.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    message = str(caught.value)
    assert message.startswith(str(tmp_path)), message
    assert expected in message, message


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_invalid_config_stops_the_cli_before_connecting(tmp_path, monkeypatch, capsys):
    from bot.__main__ import main

    file = tmp_path / "citebot.yaml"
    file.write_text("cooldown:\n  per: soon\n", encoding="utf-8")
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    assert main(["run", "--config", str(file)]) == 2
    err = capsys.readouterr().err
    assert "citebot.yaml:2: cooldown.per: expected a number" in err
    assert "not-a-real-token" not in err


def test_the_token_is_never_part_of_the_config_or_the_bot(monkeypatch, tmp_path):
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token-value")
    config = Config(state_dir=tmp_path)
    bot = create_bot(config)
    assert "secret-token-value" not in repr(config)
    assert "secret-token-value" not in repr(bot)
    assert bot.http.token is None  # read only by run_bot, when connecting


def test_run_bot_without_a_token_says_what_to_set(monkeypatch, tmp_path, capsys):
    from bot.app import run_bot

    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    with pytest.raises(SystemExit) as stopped:
        run_bot(Config(state_dir=tmp_path))
    assert stopped.value.code == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err


def test_parse_config_without_a_file():
    assert parse_config("").answers.passages == 5
    with pytest.raises(ConfigError, match=r"<config>:1: nope: unknown key"):
        parse_config("nope: 1")


@pytest.fixture
def simcord_bot(state_dir):
    # No arguments at all: the default configuration, the built-in knowledge base, state from
    # $CITEBOT_STATE_DIR (set by the state_dir fixture).
    return create_bot()


async def test_create_bot_with_no_arguments_is_ready(simcord_env, state_dir):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)
    assert "**enteromammary**" in result.response.embeds[0].description
    assert (state_dir / "citebot.sqlite3").exists()


def test_the_database_and_shards_are_read_and_checked(monkeypatch, tmp_path):
    monkeypatch.delenv("CITEBOT_DATABASE_URL", raising=False)
    assert Config().database_url is None and Config().shards is None
    config = parse_config("database_url: postgresql://bot@db/citebot\nshards: 0-3\nshard_count: 8\n")
    assert config.database_url == "postgresql://bot@db/citebot"
    assert config.shards == (0, 1, 2, 3) and config.shard_count == 8
    assert parse_config("shards: [5, 2]\nshard_count: 6\n").shards == (2, 5)
    monkeypatch.setenv("CITEBOT_DATABASE_URL", "postgresql://bot:s3cret@db/citebot")
    assert load_config(None).database_url == "postgresql://bot:s3cret@db/citebot"
    with pytest.raises(ConfigError) as caught:
        parse_config("database_url: mysql://bot:s3cret@db/citebot\n")
    assert "postgresql://" in str(caught.value) and "s3cret" not in str(caught.value)
    with pytest.raises(ConfigError, match="needs shard_count"):
        parse_config("shards: 0-3\n")
    with pytest.raises(ConfigError, match="shard ids run from 0 to shard_count - 1"):
        parse_config("shards: 0-3\nshard_count: 2\n")


def test_the_calibrated_decider_is_chosen_in_the_config():
    from bot.app import answer_settings
    from knowledge import KnowledgeBase
    from knowledge.assistant import Assistant

    assert answer_settings(parse_config("")).calibrated is False
    settings = answer_settings(parse_config("answers:\n  calibrated: true\n"))
    assert settings.calibrated is True
    assert Assistant(KnowledgeBase.from_documents([]), settings=settings).decider.calibration is not None
    with pytest.raises(ConfigError, match="calibrated"):
        parse_config("answers:\n  calibrated: maybe\n")
