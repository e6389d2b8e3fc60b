"""``citebot index --url``: the operator crawls a docs site into the state folder, as a shared
site folder or (``--server``) into one server's uploads."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from site_server import Page, docs_site, html, serve

from bot.cli import main
from knowledge.database import open_store
from knowledge.tenancy import Servers
from knowledge.uploads import KnowledgeSources

QUESTION = "How long does expressed breast milk keep in the refrigerator?"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def citebot(capsys, monkeypatch, tmp_path):
    """Run the command line in this process (as ``citebot ARGS --state-dir STATE``), with a config
    whose crawl section makes the fixture site quick to crawl."""
    config = tmp_path / "citebot.yaml"
    config.write_text("crawl:\n  requests_per_second: 100\n  timeout: 5\n", encoding="utf-8")
    monkeypatch.setenv("CITEBOT_CONFIG", str(config))

    def run(*args: str, state_dir) -> Run:
        code = main([*args, "--state-dir", str(state_dir)])
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


@pytest.fixture
def site():
    pages = docs_site()
    pages["/docs/slow.html"] = Page(html("Slow", "<p>Slow but within the timeout.</p>"), delay=0.2)
    pages["/docs/huge.html"] = Page(html("Not huge", "<p>Small enough.</p>"))
    with serve(pages) as served:
        yield served


def test_the_operator_crawls_a_site_and_answers_cite_its_pages(citebot, site, tmp_path):
    state = tmp_path / "state"
    out = citebot("index", "--url", f"{site.base}/docs/", state_dir=state)
    assert out.returncode == 0, out.stderr
    assert f"crawled {site.base}/docs/: " in out.stdout
    assert "1 disallowed by robots.txt" in out.stdout and "1 redirected off the site" in out.stdout
    assert f"crawled sites: {state / 'sites'}" in out.stdout
    assert "no problems found" in out.stdout
    # The operator's crawl of loopback is allowed, and the pages are shared knowledge.
    answer = citebot("ask", QUESTION, state_dir=state)
    assert "four days" in answer.stdout
    assert f"{site.base}/docs/install.html#fridge" in answer.stdout

    again = citebot("index", "--url", f"{site.base}/docs/", state_dir=state)
    assert "0 pages added, 0 updated" in again.stdout and "unchanged, 0 removed" in again.stdout


def test_with_a_server_the_site_goes_to_that_servers_uploads(citebot, site, tmp_path):
    state = tmp_path / "state"
    out = citebot("index", "--url", f"{site.base}/docs/", "--server", "42", state_dir=state)
    assert out.returncode == 0, out.stderr
    assert f"uploaded documents of server 42: {state / 'servers' / '42' / 'knowledge'}" in out.stdout
    assert not (state / "sites").exists()  # not part of the shared knowledge
    own = citebot("ask", QUESTION, "--server", "42", state_dir=state)
    assert f"{site.base}/docs/install.html#fridge" in own.stdout


def test_with_the_state_in_a_database_the_servers_site_is_shared_with_the_bot_processes(
    citebot, site, tmp_path, database_url, monkeypatch
):
    monkeypatch.setenv("CITEBOT_DATABASE_URL", database_url)
    out = citebot("index", "--url", f"{site.base}/docs/", "--server", "42", state_dir=tmp_path / "state")
    assert out.returncode == 0, out.stderr
    store = open_store(tmp_path / "bot", database_url)  # a bot process elsewhere, with none of the files
    try:
        state = Servers(KnowledgeSources.resolve(None, tmp_path / "bot"), store).get(42)
        [listed] = state.sources.folder.sites(state.kb)
        assert listed.address == f"{site.base}/docs/"
        answer = state.assistant.ask(QUESTION)
        assert answer.answered and answer.cited()[0][1].link == f"{site.base}/docs/install.html#fridge"
    finally:
        store.close()
    # Asked from the command line again, the server still answers from the site.
    own = citebot("ask", QUESTION, "--server", "42", state_dir=tmp_path / "state")
    assert f"{site.base}/docs/install.html#fridge" in own.stdout


def test_a_site_that_cannot_be_crawled_is_a_clear_error(citebot, tmp_path):
    out = citebot("index", "--url", "ftp://example.org/docs/", state_dir=tmp_path / "state")
    assert out.returncode == 1
    refused = "error: 'ftp://example.org/docs/' is not an http:// or https:// address"
    assert out.stderr.strip().endswith(refused)
    check = citebot("index", "--check", "--url", "https://example.org/", state_dir=tmp_path / "state")
    assert check.returncode == 1 and "cannot be combined with --url" in check.stderr
