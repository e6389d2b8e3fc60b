"""Crawling a documentation site: a generated 500-page site served on 127.0.0.1 by the standard
library's static file server (Last-Modified and If-Modified-Since, as many static hosts do).

Measures the first crawl (robots.txt, sitemap, every page fetched, links followed, files and
manifest written), its peak Python memory (tracemalloc, a separate run), a second crawl with
nothing changed (every page asked with If-Modified-Since: the count of page bodies downloaded
must be 0), and indexing the crawled pages. Unpaced by default (the crawler's own cost; the
configured rate adds 1/rate seconds a request). Run: python bench/crawl.py [--pages 500] [--rate 0]
"""

from __future__ import annotations

import argparse
import functools
import platform
import sys
import tempfile
import threading
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import peak_traced_mb, table, timed
from knowledge import KnowledgeBase
from knowledge.crawl import AddressPolicy, CrawlSettings, crawl_site_blocking
from knowledge.documents import load_folder

RESULTS = Path(__file__).with_name("results") / "crawl.md"
TOPICS = ("storing", "thawing", "warming", "cleaning", "pumping", "latching", "weaning", "travel")


def make_site(root: Path, pages: int) -> None:
    """``/docs/index.html`` and ``pages - 1`` more pages, each with three sections (headings with
    ids) and links to the next three pages and back to the index (loops everywhere); a sitemap
    listing them all; robots.txt naming it."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    names = ["index.html"] + [f"guide-{n:04d}.html" for n in range(1, pages)]
    for number, name in enumerate(names):
        topic = TOPICS[number % len(TOPICS)]
        links = " ".join(
            f'<a href="{names[(number + step) % pages]}#s2">next {step}</a>' for step in (1, 2, 3)
        )
        sections = "".join(
            f'<h2 id="s{s}">{topic.title()} step {s}</h2><p>'
            + f"Guide {number} on {topic}: step {s} keeps expressed milk safe for the baby. " * 12
            + "</p>"
            for s in (1, 2, 3)
        )
        body = (
            f"<!doctype html><html><head><title>Guide {number}: {topic}</title></head><body>"
            f'<nav><a href="index.html">home</a></nav><h1 id="top">Guide {number}</h1>{sections}'
            f"<pre><code>milk --{topic} {number}</code></pre>{links}</body></html>"
        )
        (docs / name).write_text(body, encoding="utf-8")
    entries = "".join(f"<url><loc>{{base}}/docs/{name}</loc></url>" for name in names)
    sitemap = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    (docs / "sitemap.xml").write_text(sitemap, encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\nSitemap: {base}/docs/sitemap.xml\n")


class QuietHandler(SimpleHTTPRequestHandler):
    """The static file server, counting the bodies it sends and saying nothing."""

    bodies = 0

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):
        result = super().send_head()  # None when no body follows (a 304, an error)
        if result is not None and self.path.startswith("/docs/") and not self.path.endswith(".xml"):
            type(self).bodies += 1
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--rate", type=float, default=0.0, help="requests per second (0: unpaced)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        make_site(root, args.pages)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
        server.daemon_threads = True
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for name in ("robots.txt", "docs/sitemap.xml"):  # the server's address, known only now
            path = root / name
            path.write_text(path.read_text().replace("{base}", base))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        settings = CrawlSettings(
            requests_per_second=args.rate, max_pages=args.pages, policy=AddressPolicy(public_only=False)
        )
        into = Path(tmp) / "crawled"
        url = f"{base}/docs/"
        first, first_s = timed(lambda: crawl_site_blocking(url, into, settings))
        sent_first = QuietHandler.bodies
        second, second_s = timed(lambda: crawl_site_blocking(url, into, settings))
        sent_second = QuietHandler.bodies - sent_first
        (docs, errors), load_s = timed(lambda: load_folder(into))
        kb, index_s = timed(lambda: KnowledgeBase.from_documents(docs))
        peak = peak_traced_mb(lambda: crawl_site_blocking(url, Path(tmp) / "again", settings))
        server.shutdown()
    rate = f"{args.rate:g}/s" if args.rate else "unpaced"
    rows = [
        ("pages stored by the first crawl", first.pages),
        ("first crawl: requests", first.requests),
        ("first crawl, s", first_s),
        ("first crawl, pages/s", first.pages / first_s),
        ("first crawl: peak Python memory (tracemalloc), MiB", peak),
        ("second crawl (nothing changed), s", second_s),
        ("second crawl: pages unchanged", len(second.unchanged)),
        ("second crawl: page bodies downloaded (crawler's count)", second.bodies),
        ("second crawl: page bodies sent (server's count)", sent_second),
        ("loading the crawled pages (HTML reader), s", load_s),
        ("indexing them: documents, passages", f"{len(kb.documents)}, {len(kb.passages)}"),
        ("indexing them, s", index_s),
        ("load errors", len(errors)),
    ]
    machine = f"{platform.machine()}, Python {platform.python_version()}, {date.today()}"
    text = (
        "# Crawling a documentation site\n\n"
        f"`python bench/crawl.py --pages {args.pages} --rate {args.rate:g}`: "
        f"a generated {args.pages}-page site on 127.0.0.1 (static files, Last-Modified), "
        f"{rate}, {settings.concurrency} requests at once; {machine}.\n\n"
        + table(("measure", "value"), rows)
        + "\n"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
