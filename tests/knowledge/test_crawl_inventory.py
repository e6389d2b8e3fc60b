"""A crawl stores the site's Sphinx object inventory beside its pages, so /lookup finds its objects
linked to their anchors on the site."""

from __future__ import annotations

from site_server import Page, html, serve
from sphinx_site import API_PAGE, inventory_bytes

from knowledge import KnowledgeBase
from knowledge.apiref import ApiIndex
from knowledge.crawl import AddressPolicy, CrawlSettings, crawl_site_blocking

OPERATOR = CrawlSettings(requests_per_second=0, timeout=2.0, policy=AddressPolicy(public_only=False))


def test_a_crawled_sites_objects_are_looked_up_and_linked_to_the_site(tmp_path):
    pages = {
        "/docs/": Page(html("Docs", '<h1>Docs</h1><p>See the <a href="api.html">API reference</a>.</p>')),
        "/docs/api.html": Page(API_PAGE),
        "/docs/objects.inv": Page(inventory_bytes(), content_type="application/octet-stream"),
    }
    with serve(pages) as site:
        report = crawl_site_blocking(site.base + "/docs/", tmp_path, OPERATOR)
        assert (report.folder / "objects.inv").read_bytes() == inventory_bytes()
        assert report.skipped == {}, "the inventory is not a page and is not counted as one"

        index = ApiIndex.of(KnowledgeBase.from_folder(tmp_path, cache=False))
        result = index.lookup("Client.run")
        assert result.found
        shown = index.describe(result.matches[0].obj)
        assert shown.link == f"{site.base}/docs/api.html#discord.Client.run"
        assert shown.summary == "A blocking call that abstracts away the event loop initialisation from you."

        # The site no longer publishes one: the stored copy goes with it.
        site.pages["/docs/objects.inv"] = Page(b"gone", status=404)
        crawl_site_blocking(site.base + "/docs/", tmp_path, OPERATOR)
        assert not (report.folder / "objects.inv").exists()
