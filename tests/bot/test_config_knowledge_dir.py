"""``knowledge_dir`` in the config: the filesystem root and system folders are refused at start,
naming the file, the line and the key, before any folder is walked."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("/", "/ is the root of the filesystem"),
        ("/proc", "/proc is a system folder"),
        ("/proc/1/root", "/proc/1/root is a system folder"),
        ("/etc", "/etc is a system folder"),
        ("/usr", "/usr is a system folder"),
        ("/usr/..", "/usr/.. is the root of the filesystem"),
    ],
)
def test_the_root_and_system_folders_are_refused(tmp_path, value, why):
    file = tmp_path / "citebot.yaml"
    file.write_text(f"guilds: [1]\nknowledge_dir: {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    assert str(caught.value) == (
        f"{file}:2: knowledge_dir: {why}; point it at the folder holding your documents"
    )


def test_a_link_to_the_root_is_refused_and_a_folder_of_documents_is_not(tmp_path, monkeypatch):
    (tmp_path / "all").symlink_to("/")
    file = tmp_path / "citebot.yaml"
    file.write_text("knowledge_dir: $HERE/all\n", encoding="utf-8")
    monkeypatch.setenv("HERE", str(tmp_path))
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    assert str(caught.value).endswith(
        f"knowledge_dir: {tmp_path}/all (a link to /) is the root of the filesystem; "
        "point it at the folder holding your documents"
    )
    file.write_text("knowledge_dir: docs\n", encoding="utf-8")
    assert load_config(file).knowledge_dir == tmp_path / "docs"
