"""Secrets: the Discord token from ``DISCORD_TOKEN`` appears in no log line, repr or error message.

``citebot run`` is started for real with a fake token; it fails (no network here; with one, Discord
refuses the fake token), and everything it wrote (stdout, stderr, at INFO and at DEBUG) is searched
for the token and for its secret part alone.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import create_bot
from bot.app import run_bot
from bot.config import Config, ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEx.s3cr3t-T0ken_value-for-the-tests"
SECRET_PART = TOKEN.rsplit(".", 1)[1]


def assert_no_token(text: str) -> None:
    assert TOKEN not in text
    assert SECRET_PART not in text


def run_citebot(args: list[str], state_dir: Path, *, code: str | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "CITEBOT_STATE_DIR": str(state_dir),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CITEBOT_CONFIG", None)
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "bot", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_citebot_run_never_prints_the_token_when_it_fails(tmp_path, verbose):
    result = run_citebot([*verbose, "run"], tmp_path / "state")
    assert result.returncode != 0  # it could not connect
    output = result.stdout + result.stderr
    assert "Traceback" in output or "error" in output.lower()  # it did say why it stopped
    assert_no_token(output)


def test_debug_logging_of_a_failed_login_never_shows_the_token(tmp_path):
    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n"
        "from pathlib import Path\n"
        "from bot.app import run_bot\n"
        "from bot.config import Config\n"
        f"run_bot(Config(state_dir=Path({str(tmp_path / 'state')!r})))\n"
    )
    result = run_citebot([], tmp_path, code=code)
    assert result.returncode != 0
    assert "DEBUG" in result.stderr  # debug logging really was on
    assert_no_token(result.stdout + result.stderr)


def test_the_default_command_with_a_token_runs_the_bot_and_keeps_it_quiet(tmp_path):
    result = run_citebot([], tmp_path / "state")  # no subcommand: DISCORD_TOKEN set -> run
    assert result.returncode != 0
    assert_no_token(result.stdout + result.stderr)


async def test_reprs_and_logs_of_a_running_bot_hold_no_token(simcord_env, state_dir, monkeypatch, caplog):
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    bot = simcord_env.bot
    config = bot.config
    texts = [repr(bot), str(bot), repr(config), str(config), repr(vars(config))]
    texts.append(repr(bot.server(None).assistant))
    texts += [repr(create_bot(Config(state_dir=state_dir))), repr(load_config())]
    for text in texts:
        assert_no_token(text)
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("help")
    alice = guild.add_member(simcord_env.create_user("alice"))
    await alice.slash(channel, "ask", question="What is the enteromammary immune system?")
    assert_no_token(caplog.text)
    # The config object has no place for a token at all.
    assert not any("token" in name.lower() for name in vars(config))


@pytest.mark.parametrize("key", ["token", "discord_token", "bot_token", "Token"])
def test_a_token_in_the_config_file_is_refused_without_echoing_it(tmp_path, key):
    path = tmp_path / "citebot.yaml"
    path.write_text(f"{key}: {TOKEN}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert "DISCORD_TOKEN" in message and f"{path}:1" in message
    assert_no_token(message)


def test_config_errors_do_not_echo_a_token_pasted_into_a_section(tmp_path):
    with pytest.raises(ConfigError) as raised:
        parse_config(f"answers:\n  token: {TOKEN}\n")
    assert_no_token(str(raised.value))


def test_run_bot_without_a_token_says_how_to_set_it(monkeypatch, capsys, state_dir):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    with pytest.raises(SystemExit) as raised:
        run_bot(Config(state_dir=state_dir))
    assert raised.value.code == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err
