"""A server's own settings (help channels, moderator roles…): what is set overrides the defaults
and nothing else, the file can be edited by hand, and with PostgreSQL a change made through one
bot process is served by the others."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.database import open_store
from knowledge.errors import StateFileBroken
from knowledge.server_settings import FILE_NAME, ServerSettings, SettingsFile, parse_settings
from knowledge.tenancy import Servers, server_dir
from knowledge.uploads import KnowledgeSources

DEFAULTS = ServerSettings(
    help_channels=frozenset({11}),
    forum_channels=frozenset({12}),
    moderator_roles=frozenset({13}),
    moderator_channel=14,
    own_moderator_channel=True,
)
WAIT_S = 30


def test_what_a_server_sets_replaces_the_default_and_the_rest_follows_it(tmp_path):
    settings = SettingsFile(tmp_path / FILE_NAME)
    assert settings.current().over(DEFAULTS) == DEFAULTS.over(DEFAULTS)  # nothing of its own yet

    settings.update(lambda own: ServerSettings(help_channels=frozenset({21})), author="admin (1)")
    settings.update(
        lambda own: ServerSettings(
            help_channels=own.help_channels, moderator_channel=None, own_moderator_channel=True
        ),
        author="admin (1)",
    )
    in_force = settings.current().over(DEFAULTS)
    assert in_force.help_channels == {21}  # its own list replaces the default's, not added to it
    assert in_force.moderator_channel is None  # its own choice: no moderator channel
    assert (in_force.forum_channels, in_force.moderator_roles) == ({12}, {13})  # the defaults

    # Read again (a restart): the same, and the file says only what the server set.
    again = SettingsFile(tmp_path / FILE_NAME).current()
    assert again.own() == ["help_channels", "moderator_channel"] and again.changed_by == "admin (1)"
    text = (tmp_path / FILE_NAME).read_text()
    assert "moderator_roles" not in text and "moderator_channel: null" in text

    # An empty list is the server's own too: no help channels, whatever the default says.
    settings.update(lambda own: ServerSettings(help_channels=frozenset()), author="admin (1)")
    assert SettingsFile(tmp_path / FILE_NAME).current().over(DEFAULTS).help_channels == frozenset()


def test_a_hand_edit_is_served_and_a_broken_one_keeps_the_last_good_settings(tmp_path):
    path = tmp_path / FILE_NAME
    settings = SettingsFile(path)
    path.write_text("help_channels: ['123456789012345678']\nmoderator_roles: [42]\n")
    assert settings.current().help_channels == {123456789012345678}
    assert settings.current().moderator_roles == {42}

    path.write_text("help_channels: [123, abc]\n")
    assert settings.current().help_channels == {123456789012345678}  # still the last good ones
    assert "line 1: help_channels[1]: expected a Discord id, got 'abc'" in str(settings.load_error)
    with pytest.raises(StateFileBroken):  # a change would overwrite the operator's edit
        settings.update(lambda own: ServerSettings(help_channels=frozenset({7})), author="admin")
    assert path.read_text() == "help_channels: [123, abc]\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("help_channel: [1]\n", "line 1: unknown setting 'help_channel'"),
        ("forum_channels: 12\n", "line 1: forum_channels: expected a list of Discord ids"),
        ("moderator_channel: -3\n", "line 1: moderator_channel: expected a Discord id, got -3"),
        (
            "version: 1\nmoderator_roles:\n  - 5\n  - true\n",
            "line 4: moderator_roles[1]: expected a Discord id",
        ),
        ("- 1\n", "line 1: the file must hold settings"),
    ],
)
def test_mistakes_in_the_file_name_the_line_and_the_setting(text, problem):
    with pytest.raises(ValueError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parse_settings(text, FILE_NAME)


class Process:
    """One bot process: its own state folder, the shared database."""

    def __init__(self, url: str, folder: Path, base: KnowledgeBase) -> None:
        self.store = open_store(folder, url)
        self.servers = Servers(KnowledgeSources.resolve(base.source, folder), self.store, base=base)
        self.heard = threading.Event()

    def watch(self) -> None:
        def apply(guild_id: int, what: str) -> None:
            self.servers.apply_change(guild_id, what)
            if what == FILE_NAME:
                self.heard.set()

        assert self.store.watch(apply)


@pytest.fixture
def base(tmp_path) -> KnowledgeBase:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "milk.md").write_text("# Breast milk\n\nColostrum is the first milk.\n")
    return KnowledgeBase.from_folder(folder, state_dir=tmp_path / "cache")


def test_a_change_in_one_process_is_served_by_the_others(database_url, tmp_path, base):
    one, other = Process(database_url, tmp_path / "a", base), Process(database_url, tmp_path / "b", base)
    try:
        served = other.servers.own_settings.get(7)  # read before the change
        other.watch()
        one.servers.own_settings.get(7).update(
            lambda own: ServerSettings(help_channels=frozenset({70})), author="admin"
        )
        assert other.heard.wait(WAIT_S)
        assert served.current().help_channels == {70}
        assert other.servers.own_settings.get(8).current().own() == []  # another server: nothing
        assert not list(tmp_path.rglob(FILE_NAME))  # kept in the database, not in a folder

        # A process that never read server 9's settings gets them when another sets them.
        other.heard.clear()
        one.servers.own_settings.get(9).update(
            lambda own: ServerSettings(moderator_roles=frozenset({90})), author="a"
        )
        assert other.heard.wait(WAIT_S)
        assert other.servers.own_settings.loaded(9).current().moderator_roles == {90}

        # A new process reads every server's settings at start.
        third = Process(database_url, tmp_path / "c", base)
        try:
            assert sorted(third.servers.load_settings()) == [7, 9]
            assert third.servers.own_settings.loaded(7).current().help_channels == {70}
        finally:
            third.store.close()
    finally:
        one.store.close()
        other.store.close()


def test_with_the_state_folder_the_settings_are_a_file_in_the_servers_folder(tmp_path, base):
    store = open_store(tmp_path / "state", None)
    try:
        servers = Servers(KnowledgeSources.resolve(base.source, tmp_path / "state"), store, base=base)
        servers.own_settings.get(7).update(
            lambda own: ServerSettings(forum_channels=frozenset({5})), author="a"
        )
        assert (server_dir(tmp_path / "state", 7) / FILE_NAME).is_file()
        restarted = Servers(KnowledgeSources.resolve(base.source, tmp_path / "state"), store, base=base)
        assert restarted.load_settings() == {7: restarted.own_settings.loaded(7).current()}
        assert restarted.own_settings.loaded(7).current().forum_channels == {5}
    finally:
        store.close()
