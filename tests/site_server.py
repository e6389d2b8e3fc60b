"""A documentation site served on 127.0.0.1 for the crawl tests: a thread running the standard
library's HTTP server, recording every request it gets, answering conditional requests with 304."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODIFIED = "Fri, 20 Nov 2026 10:00:00 GMT"


@dataclass
class Page:
    """One address of the site: what it answers."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str = ""  # for redirects
    delay: float = 0.0  # seconds before answering
    stream_bytes: int = 0  # a body this large, sent in chunks with no Content-Length
    validators: bool = True  # ETag and Last-Modified


@dataclass
class Site:
    """The pages by path, and the requests received (path, headers)."""

    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""

    def paths(self) -> list[str]:
        """The paths requested, in order."""
        return [path for path, _ in self.requests]

    def bodies_sent(self) -> int:
        """Requests answered with a page body (200)."""
        return sum(1 for _, headers in self.requests if headers.get("x-answered") == "200")


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            site.requests.append((self.path, headers))
            page = site.pages.get(self.path)
            if page is None:
                self._answer(headers, 404, b"not found", "text/plain")
                return
            if page.delay:
                time.sleep(page.delay)
            if page.location:
                self.send_response(page.status)
                self.send_header("Location", page.location.replace("{base}", site.base))
                self.send_header("Content-Length", "0")
                self.end_headers()
                headers["x-answered"] = str(page.status)
                return
            if page.stream_bytes:
                self.send_response(200)
                self.send_header("Content-Type", page.content_type)
                self.end_headers()
                headers["x-answered"] = "200"
                chunk = b"<p>" + b"milk " * 2000 + b"</p>"
                sent = 0
                try:
                    while sent < page.stream_bytes:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except OSError:
                    pass  # the crawler hung up, as it should
                self.close_connection = True
                return
            body = page.body.replace(b"{base}", site.base.encode())
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if page.validators and headers.get("if-none-match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                headers["x-answered"] = "304"
                return
            extra = {"ETag": etag, "Last-Modified": MODIFIED} if page.validators else {}
            self._answer(headers, page.status, body, page.content_type, extra)

        def _answer(
            self,
            headers: dict[str, str],
            status: int,
            body: bytes,
            content_type: str,
            extra: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            headers["x-answered"] = str(status)
            with suppress(OSError):
                self.wfile.write(body)

    return Handler


@contextmanager
def serve(pages: dict[str, Page]) -> Iterator[Site]:
    """Serve ``pages`` on 127.0.0.1 (a free port) while the block runs; ``{base}`` in a body or a
    redirect becomes ``http://127.0.0.1:PORT``."""
    site = Site(dict(pages))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def html(title: str, body: str) -> bytes:
    """A small HTML page."""
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def docs_site() -> dict[str, Page]:
    """The fixture site under /docs/: a sitemap index, robots.txt disallowing /docs/private/, a
    page with heading ids, a link loop, a redirect off the site and one within it, a huge page, a
    slow page, an image and a Markdown file."""
    index = html(
        "Milk docs",
        '<h1>Milk docs</h1><p>Guides about <a href="install.html#top">storing milk</a>.</p>'
        '<a href="loop-a.html">loop</a> <a href="private/secret.html">secret</a> <a href="away">away</a>'
        ' <a href="moved">moved</a> <a href="huge.html">huge</a> <a href="slow.html">slow</a>'
        ' <a href="logo.png">logo</a> <a href="notes.md">notes</a> <a href="mailto:x@example.org">mail</a>'
        ' <a href="/elsewhere/page.html">outside the prefix</a> <a href="./install.html">again</a>',
    )
    storing = html(
        "Storing expressed milk",
        '<h1 id="top">Storing expressed milk</h1><p>How to keep milk you expressed.</p>'
        '<h2 id="fridge">Fridge</h2><p>Freshly expressed breast milk keeps for up to four days in a '
        "refrigerator at 4 degrees Celsius.</p>"
        '<h2 id="freezer">Freezer</h2><p>Frozen breast milk is best used within six months.</p>'
        '<pre><code>thaw --slowly</code></pre><a href="index.html">home</a>',
    )
    return {
        "/robots.txt": Page(
            b"User-agent: *\nDisallow: /docs/private/\nSitemap: {base}/docs/sitemap.xml\n", "text/plain"
        ),
        "/docs/sitemap.xml": Page(
            b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sitemap><loc>{base}/docs/sitemap-pages.xml</loc></sitemap></sitemapindex>",
            "application/xml",
        ),
        "/docs/sitemap-pages.xml": Page(
            b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>{base}/docs/index.html</loc></url><url><loc>{base}/docs/install.html</loc></url>"
            b"<url><loc>{base}/docs/weaning.html</loc></url><url><loc>{base}/other/x.html</loc></url>"
            b"</urlset>",
            "application/xml",
        ),
        "/docs/": Page(index),
        "/docs/index.html": Page(index),
        "/docs/install.html": Page(storing),
        "/docs/weaning.html": Page(
            html("Weaning", "<h1>Weaning</h1><p>Weaning usually starts at around six months of age.</p>")
        ),
        "/docs/loop-a.html": Page(html("Loop A", '<p>Loop A page text.</p><a href="loop-b.html">b</a>')),
        "/docs/loop-b.html": Page(html("Loop B", '<p>Loop B page text.</p><a href="loop-a.html#x">a</a>')),
        "/docs/private/secret.html": Page(html("Secret", "<p>Never to be crawled.</p>")),
        "/docs/away": Page(status=302, location="http://example.invalid/phish"),
        "/docs/moved": Page(status=301, location="{base}/docs/install.html"),
        "/docs/huge.html": Page(stream_bytes=50 * 1024 * 1024),
        "/docs/slow.html": Page(html("Slow", "<p>Too slow.</p>"), delay=3.0),
        "/docs/logo.png": Page(b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000, "image/png"),
        "/docs/notes.md": Page(
            b"# Notes\n\nColostrum is the first milk, rich in antibodies.\n", "text/markdown; charset=utf-8"
        ),
    }

