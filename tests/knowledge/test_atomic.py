"""Atomic writes of the state folder's files: no temporary file left, the previous version kept."""

from __future__ import annotations

import pytest

from knowledge.atomic import StateWriteError, atomic_write_text


def test_atomic_write_leaves_no_temp_file_and_keeps_a_backup(tmp_path):
    target = tmp_path / "x.yaml"
    atomic_write_text(target, "one\n")
    atomic_write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert (tmp_path / "x.yaml.bak").read_text() == "one\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.yaml", "x.yaml.bak"]


def test_atomic_write_into_a_missing_unwritable_place_raises_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StateWriteError, match="could not write"):
        atomic_write_text(blocker / "curated.yaml", "x")
