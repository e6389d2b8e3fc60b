"""The ``retrieval`` config section: which retrieval channels citebot uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config, ConfigError, parse_config


def test_the_semantic_channel_is_automatic_by_default():
    assert Config().retrieval.semantic == "auto"
    assert Config().retrieval.options().mode == "auto"


@pytest.mark.parametrize(
    ("written", "mode"), [("auto", "auto"), ("on", "on"), ("off", "off"), ('"on"', "on")]
)
def test_semantic_takes_auto_on_or_off_as_written(written, mode):
    # YAML reads a bare on/off as true/false; they still mean on/off.
    assert parse_config(f"retrieval:\n  semantic: {written}\n").retrieval.semantic == mode


def test_another_value_is_refused_with_the_key_and_line():
    with pytest.raises(ConfigError, match=r"<config>:3: retrieval.semantic: expected one of auto, on, off"):
        parse_config("retrieval:\n  model_path: models\n  semantic: sometimes\n")


def test_model_path_is_taken_from_the_config_file_folder(tmp_path):
    config = parse_config("retrieval:\n  model_path: models/minilm\n", source=tmp_path / "citebot.yaml")
    assert config.retrieval.model_path == (tmp_path / "models" / "minilm").resolve()
    assert config.retrieval.options().model_path == config.retrieval.model_path
    assert isinstance(config.retrieval.model_path, Path)
