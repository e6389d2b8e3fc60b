"""Fixtures for driving the real bot with simcord (tests/bot, tests/reliability): a fresh bot and
state folder per test over the real built-in knowledge base (built once per session)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# The meaning channel is on by default and citebot would fetch its model from the hub on first use;
# tests never reach a network (the semantic tests load the model from a local folder).
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from postgres import TEST_URL_ENV, find_initdb, fresh_database, local_cluster

from bot import create_bot
from bot.config import Config
from knowledge import KnowledgeBase
from knowledge.database import open_store
from knowledge.semantic import forget_model
from knowledge.store import StateStore

# Property tests have no time limit per example (hypothesis's default is 200 ms): a test that can
# fail on a slow or busy machine is a wall-clock limit in disguise. Their size limits stay.
settings.register_profile("citebot", deadline=None)
settings.load_profile("citebot")

# How long simcord waits for the bot to finish what an action started (work in worker threads runs
# in real time). A guard against a hung bot, never a measure of speed: simcord's default of 5 s, or
# a test's own 15 s, fails a correct bot on a machine busy with other work.
SETTLE_TIMEOUT_S = 300


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every simcord test at least ``SETTLE_TIMEOUT_S`` to settle."""
    for item in items:
        marker = item.get_closest_marker("simcord")
        options = dict(marker.kwargs) if marker is not None else {}
        options["settle_timeout"] = max(options.get("settle_timeout", 0), SETTLE_TIMEOUT_S)
        item.add_marker(pytest.mark.simcord(**options), append=False)


@pytest.fixture(autouse=True)
def _model_looked_for_afresh() -> Iterator[None]:
    # Where the model is (or why it is not) is remembered per process: each test looks again.
    yield
    forget_model()


@pytest.fixture(scope="session")
def builtin_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("kb-cache"))


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv("CITEBOT_STATE_DIR", str(folder))
    monkeypatch.delenv("CITEBOT_CONFIG", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    return folder


@pytest.fixture
def config(state_dir: Path) -> Config:
    return Config(state_dir=state_dir)


@pytest.fixture
def simcord_bot(config: Config, builtin_kb: KnowledgeBase):
    bot = create_bot(config, kb=builtin_kb)
    yield bot
    # simcord detaches the bot without closing it: its store (a database's pool and change
    # listener) would otherwise outlive the test and its database.
    bot.close_state()


# -- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server for the tests (see tests/postgres.py). Without one the test is
    skipped, but under CI (``$CI`` set) it fails: CI must test the PostgreSQL backend."""
    url = os.environ.get(TEST_URL_ENV)
    if url:
        yield url
        return
    initdb = find_initdb()
    if initdb is None:
        message = f"no PostgreSQL server: set {TEST_URL_ENV} or install PostgreSQL (initdb not found)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with local_cluster(initdb) as started:
        yield started


@pytest.fixture
def database_url(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database for one test."""
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def open_state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], StateStore]]:
    """Opens the state store of one test, once per backend: the SQLite file in a fresh state folder,
    and a fresh PostgreSQL database; each call opens the same one again (as a restart, or a
    second bot process, would)."""
    url = request.getfixturevalue("database_url") if request.param == "postgresql" else None
    opened: list[StateStore] = []

    def opener() -> StateStore:
        opened.append(open_store(tmp_path / "state", url))
        return opened[-1]

    yield opener
    for store in opened:
        store.close()
