"""Crawling a documentation site (served on 127.0.0.1 by tests/site_server.py) into pages that are
indexed and cited with their address."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_server import Page, docs_site, html, serve

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.crawl import AddressPolicy, CrawlSettings, address_refusal, crawl_site_blocking
from knowledge.crawl.scope import normalise
from knowledge.documents import load_folder
from knowledge.errors import CrawlError

# The operator's command line may crawl loopback; a small timeout and size cap for the slow and
# huge pages; no pacing, so the tests take no longer than they must.
OPERATOR = CrawlSettings(
    requests_per_second=0, timeout=0.5, max_page_bytes=200_000, policy=AddressPolicy(public_only=False)
)


@pytest.fixture
def site():
    pages = docs_site()
    pages["/docs/slow.html"] = Page(html("Slow", "<p>Too slow.</p>"), delay=2.0)
    with serve(pages) as served:
        yield served


def crawl(site, into: Path, settings: CrawlSettings = OPERATOR):
    return crawl_site_blocking(site.base + "/docs/", into, settings)


def test_a_crawl_stores_the_site_pages_and_counts_what_it_skipped(site, tmp_path):
    report = crawl(site, tmp_path)
    folder = tmp_path / "127.0.0.1-{}-docs".format(site.base.rsplit(":", 1)[1])
    assert report.folder == folder
    stored = {url.removeprefix(f"{site.base}/docs/") for url in report.added}
    # Pages from the sitemap index (weaning is linked from nowhere) and from links, the loop once.
    assert {"install.html", "weaning.html", "loop-a.html", "loop-b.html", "notes.md"} <= stored
    assert report.skipped == {
        "disallowed by robots.txt": 1,
        "redirected off the site": 1,
        "too large": 1,
        "timed out": 1,
        "not a web page or text": 1,
        "duplicate": 1,  # /docs/ and /docs/index.html are the same page, stored once
    }
    assert len({"", "index.html"} & stored) == 1
    assert "1 disallowed by robots.txt" in report.summary() and "1 too large" in report.summary()
    # The disallowed page, pages outside /docs/ and the sitemap's foreign entry are never requested.
    paths = site.paths()
    assert "/docs/private/secret.html" not in paths
    assert not any(p.startswith(("/elsewhere", "/other")) for p in paths)
    # Each page is requested once, however many links lead to it (and through the redirect).
    assert paths.count("/docs/install.html") == 1 and paths.count("/docs/loop-a.html") == 1
    assert all(headers["user-agent"].startswith("citebot/") for _, headers in site.requests)
    names = sorted(p.name for p in folder.iterdir())
    assert "citebot.yaml" in names
    assert not any(n.startswith(("huge", "slow", "logo", "secret")) for n in names)


def test_an_answer_about_a_crawled_page_cites_its_address_and_section(site, tmp_path):
    crawl(site, tmp_path)
    docs, errors = load_folder(tmp_path)
    assert errors == []
    answer = Assistant(KnowledgeBase.from_documents(docs)).ask(
        "How long does expressed breast milk keep in the refrigerator?"
    )
    assert answer.answered and "four days" in answer.sentences[0].text
    [(_, hit), *_] = answer.cited()
    assert hit.link == f"{site.base}/docs/install.html#fridge"
    assert hit.title == "Storing expressed milk"
    markdown = next(doc for doc in docs if doc.title == "Notes")
    assert markdown.link == f"{site.base}/docs/notes.md"


def test_a_second_crawl_asks_whether_pages_changed_and_downloads_none(site, tmp_path):
    first = crawl(site, tmp_path)
    settings_file = first.folder / "citebot.yaml"
    written = settings_file.stat().st_mtime_ns
    before = len(site.requests)
    second = crawl(site, tmp_path)
    assert second.bodies == 0 and second.added == second.updated == second.removed == []
    assert sorted(second.unchanged) == sorted(first.added)
    assert not second.changed
    again = {path: headers for path, headers in site.requests[before:]}
    for url in first.added:
        path = url.removeprefix(site.base)
        assert again[path]["if-none-match"].startswith('"') and again[path]["x-answered"] == "304"
        assert again[path]["if-modified-since"] == "Fri, 20 Nov 2026 10:00:00 GMT"
    # The duplicate address is asked too, and answers 304: no page body at all is downloaded.
    assert again["/docs/"]["x-answered"] == again["/docs/index.html"]["x-answered"] == "304"
    assert second.skipped["duplicate"] == 1
    assert settings_file.stat().st_mtime_ns == written  # nothing changed, so the index stays valid


def test_a_re_crawl_updates_changed_pages_and_drops_pages_gone_from_the_site(site, tmp_path):
    first = crawl(site, tmp_path)
    changed = html("Storing expressed milk", "<h2 id='fridge'>Fridge</h2><p>Now three days.</p>")
    site.pages["/docs/install.html"] = Page(changed)
    del site.pages["/docs/weaning.html"]
    site.pages["/docs/sitemap-pages.xml"] = Page(
        site.pages["/docs/sitemap-pages.xml"].body.replace(b"weaning", b"install"), "application/xml"
    )
    second = crawl(site, tmp_path)
    assert second.updated == [f"{site.base}/docs/install.html"]
    assert second.removed == [f"{site.base}/docs/weaning.html"]
    assert not (first.folder / "weaning.html").exists()
    assert "three days" in (first.folder / "install.html").read_text()
    docs, _ = load_folder(tmp_path)
    assert "Weaning" not in {doc.title for doc in docs}


def test_a_full_disk_stops_a_re_crawl_with_a_clear_error_and_keeps_the_last_good_pages(
    site, tmp_path, monkeypatch
):
    import errno

    import knowledge.crawl.crawler as crawler
    from knowledge.atomic import StateWriteError

    first = crawl(site, tmp_path)
    manifest = {p.name: p.read_bytes() for p in first.folder.iterdir() if p.is_file()}
    site.pages["/docs/install.html"] = Page(html("Storing expressed milk", "<p>Now three days.</p>"))

    def full(path, data, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(crawler, "atomic_write_bytes", full)
    with pytest.raises(StateWriteError) as raised:
        crawl(site, tmp_path)
    assert "install.html" in str(raised.value) and "No space left" in str(raised.value)
    # Nothing of the last good crawl is lost: every file, the manifest included, is as it was.
    assert {p.name: p.read_bytes() for p in first.folder.iterdir() if p.is_file()} == manifest
    docs, _ = load_folder(tmp_path)
    assert "Weaning" in {doc.title for doc in docs}


def test_the_page_limit_stops_the_crawl_and_keeps_the_pages_it_did_not_reach(site, tmp_path):
    crawl(site, tmp_path)
    capped = crawl_site_blocking(site.base + "/docs/", tmp_path, CrawlSettings(
        requests_per_second=0, timeout=0.5, max_page_bytes=200_000, max_pages=2,
        policy=AddressPolicy(public_only=False), concurrency=1,
    ))
    assert capped.pages == 2 and capped.skipped["over the page limit"] >= 1
    assert capped.removed == []  # not reaching a page is not the page being gone
    docs, _ = load_folder(tmp_path)
    assert {"Storing expressed milk", "Weaning", "Notes"} <= {doc.title for doc in docs}


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "224.0.0.1",
        "240.0.0.1", "100.64.0.1", "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1",
        "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    ],
)
def test_internal_addresses_are_refused(address):
    assert address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_refusal(address) == ""


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/docs/",
        "http://[::1]:{port}/docs/",
        "http://[::ffff:127.0.0.1]:{port}/docs/",
        "http://localhost:{port}/docs/",  # a name: refused on the address it resolves to
        "http://10.0.0.1/docs/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_a_crawl_from_discord_never_connects_to_an_internal_address(site, tmp_path, url):
    port = site.base.rsplit(":", 1)[1]
    with pytest.raises(CrawlError, match="does not crawl internal addresses"):
        crawl_site_blocking(url.format(port=port), tmp_path, CrawlSettings(timeout=0.5))
    assert site.requests == []
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_an_internal_address_is_refused_however_it_is_written():
    # Every request, each redirect hop included, is checked like this before it is made.
    policy = AddressPolicy()
    with pytest.raises(CrawlError, match="loopback"):
        policy.check_url("http://127.0.0.1/admin")
    assert normalise("http://[::ffff:7f00:1]/") == "http://[::ffff:7f00:1]/"
    with pytest.raises(CrawlError, match="loopback"):
        policy.check_url("http://[::ffff:7f00:1]/")


def test_the_operator_can_allow_an_internal_host(site, tmp_path):
    policy = AddressPolicy(allow_hosts=frozenset({"127.0.0.1"}))
    allowed = CrawlSettings(requests_per_second=0, timeout=0.5, policy=policy)
    report = crawl(site, tmp_path, allowed)
    assert len(report.added) >= 5


@pytest.mark.parametrize(
    "url", ["ftp://example.org/docs/", "file:///etc/passwd", "not a url", "javascript:alert(1)"]
)
def test_only_web_addresses_are_crawled(tmp_path, url):
    with pytest.raises(CrawlError, match="http"):
        crawl_site_blocking(url, tmp_path, OPERATOR)


def test_a_site_that_does_not_answer_is_an_error_and_writes_nothing(tmp_path):
    with serve({}) as empty, pytest.raises(CrawlError, match="no page of"):
        crawl_site_blocking(empty.base + "/docs/", tmp_path, OPERATOR)
    assert list(tmp_path.iterdir()) == []


def test_a_page_that_fails_for_a_moment_is_kept_and_one_now_disallowed_is_dropped(site, tmp_path):
    first = crawl(site, tmp_path)
    site.pages["/docs/install.html"] = Page(status=503)
    site.pages["/robots.txt"] = Page(
        site.pages["/robots.txt"].body.replace(b"Disallow: /docs/private/", b"Disallow: /docs/weaning"),
        "text/plain",
    )
    second = crawl(site, tmp_path)
    assert second.skipped["HTTP 503"] == 1 and second.skipped["disallowed by robots.txt"] == 1
    assert (first.folder / "install.html").is_file()  # the server's error passes; the page stays
    assert second.removed == [f"{site.base}/docs/weaning.html"]
    assert not (first.folder / "weaning.html").exists()


def test_a_huge_page_is_abandoned_as_it_streams_in_so_memory_stays_bounded(tmp_path):
    import tracemalloc

    pages = {
        "/docs/": Page(html("Home", '<p>Home page text.</p><a href="huge.html">huge</a>')),
        "/docs/huge.html": Page(stream_bytes=200 * 1024 * 1024),  # no Content-Length: only reading tells
    }
    settings = CrawlSettings(requests_per_second=0, max_page_bytes=1024 * 1024, policy=OPERATOR.policy)
    with serve(pages) as site:
        tracemalloc.start()
        try:
            report = crawl_site_blocking(site.base + "/docs/", tmp_path, settings)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert report.skipped == {"too large": 1} and len(report.added) == 1
    assert peak < 16 * 1024 * 1024  # a few times the 1 MB cap, not the 200 MB page
