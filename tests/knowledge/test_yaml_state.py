"""What curated answers and the glossary share as hand-editable YAML state files: hand edits picked
up, broken edits reported while the last good state keeps serving, failed writes kept until flushed."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from knowledge import atomic
from knowledge.atomic import StateWriteError
from knowledge.curated import CuratedStore
from knowledge.glossary import Glossary
from knowledge.yaml_state import StateFileError, YamlState


@dataclass(frozen=True)
class Kind:
    open: Callable[[Path], YamlState]
    add: Callable[[YamlState, int], object]
    shown: Callable[[YamlState], list[str]]  # what a member or moderator sees, after a refresh
    name: str
    text: Callable[[int], str]  # the text of entry ``n`` as it appears in the file


def _curated_shown(store: CuratedStore) -> list[str]:
    store.refresh()
    return [a.answer for a in store.list()]


KINDS = {
    "curated": Kind(
        CuratedStore.in_state_dir,
        lambda store, n: store.add(f"Question {n}?", f"Answer {n}.", author="mod"),
        _curated_shown,
        "curated.yaml",
        lambda n: f"Answer {n}.",
    ),
    "glossary": Kind(
        Glossary.in_state_dir,
        lambda glossary, n: glossary.add(f"term{n}", f"meaning {n}", author="mod"),
        lambda glossary: [e.means for e in glossary.entries()],
        "glossary.yaml",
        lambda n: f"meaning {n}",
    ),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request) -> Kind:
    return KINDS[request.param]


def hand_edit(path: Path, text: str, stamp: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))  # a different mtime, as a later edit would give


def test_a_missing_file_is_an_empty_state_and_the_first_change_creates_it(kind, tmp_path):
    state = kind.open(tmp_path)
    assert len(state) == 0 and state.load_error is None and not state.pending
    assert not state.path.exists()
    kind.add(state, 1)
    assert state.path.name == kind.name and kind.text(1) in state.path.read_text()
    assert kind.shown(kind.open(tmp_path)) == [kind.text(1)]


def test_hand_edits_are_picked_up_and_a_broken_one_keeps_the_last_good_state(kind, tmp_path):
    state = kind.open(tmp_path)
    kind.add(state, 1)
    good = state.path.read_text()

    hand_edit(state.path, good.replace(kind.text(1), kind.text(7)), 1)
    assert kind.shown(state) == [kind.text(7)]
    assert state.refresh() is None

    hand_edit(state.path, good + "  - [unclosed\n", 2)
    error = state.refresh()
    assert isinstance(error, StateFileError) and state.load_error is error
    assert str(error).startswith(f"{kind.name}, line ")
    assert kind.shown(state) == [kind.text(7)]  # still serving the last good state

    hand_edit(state.path, good, 3)
    assert state.refresh() is None and state.load_error is None
    assert kind.shown(state) == [kind.text(1)]


def test_a_failed_write_is_served_kept_pending_and_written_by_flush(kind, tmp_path, monkeypatch):
    state = kind.open(tmp_path)
    kind.add(state, 1)
    real_write = atomic._write_temp

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write_temp", disk_full)
    with pytest.raises(StateWriteError, match=rf"{kind.name}: No space left on device"):
        kind.add(state, 2)
    assert state.pending
    assert kind.shown(state) == [kind.text(1), kind.text(2)]  # served from memory
    assert kind.shown(kind.open(tmp_path)) == [kind.text(1)]  # the file holds the last write
    # A hand edit meanwhile does not drop the pending change.
    hand_edit(state.path, state.path.read_text().replace(kind.text(1), kind.text(9)), 4)
    assert kind.shown(state) == [kind.text(1), kind.text(2)]
    with pytest.raises(StateWriteError):
        state.flush()
    assert state.pending

    monkeypatch.setattr(atomic, "_write_temp", real_write)
    state.flush()
    assert not state.pending
    assert kind.shown(kind.open(tmp_path)) == [kind.text(1), kind.text(2)]


def test_every_write_keeps_the_previous_version_as_bak(kind, tmp_path):
    state = kind.open(tmp_path)
    kind.add(state, 1)
    kind.add(state, 2)
    backup = state.path.with_name(kind.name + ".bak").read_text()
    assert kind.text(1) in backup and kind.text(2) not in backup


def test_an_unreadable_file_at_start_is_reported_not_raised(kind, tmp_path):
    tmp_path.joinpath(kind.name).write_bytes(b"\xff\xfe not utf-8")
    state = kind.open(tmp_path)
    assert state.load_error is not None and "cannot read the file" in str(state.load_error)
    assert len(state) == 0
