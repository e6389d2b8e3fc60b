"""Fetching pages politely and within bounds: one aiohttp session per crawl, a steady request
rate, a small fixed number of requests at once, a size cap read as a stream (a huge page is
abandoned after the cap, never held whole), a timeout per request, and redirects followed one hop
at a time, only within the site."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from ..errors import CrawlError
from .safety import REFUSED, AddressPolicy, SafeResolver, SocketGuard
from .scope import normalise

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024


class Skipped(Exception):
    """A page not fetched; ``reason`` is how the crawl's summary counts it ("too large")."""

    def __init__(self, reason: str, url: str, detail: str = "") -> None:
        self.reason = reason
        self.url = url
        super().__init__(f"{url}: {reason}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True)
class Response:
    """What one request got: the final address (after redirects), the status, the media type,
    the validators for the next crawl, and the body (empty for a 304)."""

    url: str
    status: int
    content_type: str
    body: bytes
    etag: str = ""
    last_modified: str = ""


class Pacer:
    """Spaces request starts at least ``1 / rate`` seconds apart across all concurrent tasks."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    def slow_to(self, rate: float) -> None:
        """Never go faster than ``rate`` requests per second (a robots.txt ``Crawl-delay``)."""
        if rate > 0:
            self.interval = max(self.interval, 1.0 / rate)

    async def wait(self) -> None:
        """Return when the next request may start."""
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class Fetcher:
    """An HTTP client for one crawl (an async context manager). Every connection goes to an
    address ``policy`` allows (see :mod:`knowledge.crawl.safety`); redirects are followed only
    when ``in_site`` accepts the target."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        user_agent: str,
        in_site: Callable[[str], bool],
        rate: float,
        concurrency: int,
        timeout: float,
        max_bytes: int,
    ) -> None:
        self.policy = policy
        self.user_agent = user_agent
        self.in_site = in_site
        self.pacer = Pacer(rate)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_bytes = max_bytes
        self.concurrency = concurrency
        self.requests = 0
        self.guard = SocketGuard(policy)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        # Names resolve only to allowed addresses, and every socket is checked again as it is
        # made (literal addresses skip the resolver); no DNS cache, so no answer is reused.
        connector = aiohttp.TCPConnector(
            resolver=SafeResolver(self.policy, guard=self.guard),
            use_dns_cache=False,
            limit=self.concurrency,
            socket_factory=self.guard,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.user_agent},
            timeout=self.timeout,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        accept: Callable[[str], bool] | None = None,
        *,
        follow: bool = True,
        within: Callable[[str], bool] | None = None,
    ) -> Response:
        """GET ``url``, following redirects within the site (with ``follow``; else a redirect
        within the site is returned, its target in ``url``; ``within`` replaces the site's bounds
        for this request, e.g. the whole host for robots.txt). Raises :class:`Skipped` for a page
        too large, too slow, redirected off the site or unreachable, or (with ``accept``) of a
        media type it refuses, its body never read; and
        :class:`~knowledge.errors.CrawlError` for an address the policy refuses."""
        assert self._session is not None, "use the Fetcher in an async with block"
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            checked = self.policy.check_url(current)  # the URL requested is the one checked
            await self.pacer.wait()
            self.requests += 1
            try:
                async with self._session.get(checked, headers=headers, allow_redirects=False) as resp:
                    if resp.status in REDIRECTS:
                        target = normalise(resp.headers.get("Location", ""), current)
                        if not target or not (within or self.in_site)(target):
                            raise Skipped("redirected off the site", url, target)
                        if not follow:
                            return Response(target, resp.status, "", b"")
                        current = target
                        continue
                    if resp.status == 200 and accept is not None and not accept(resp.content_type):
                        raise Skipped("not a web page or text", url, resp.content_type)
                    body = b"" if resp.status == 304 else await self._read(resp, url)
                    return Response(
                        url=current,
                        status=resp.status,
                        content_type=resp.content_type,
                        body=body,
                        etag=resp.headers.get("ETag", ""),
                        last_modified=resp.headers.get("Last-Modified", ""),
                    )
            except TimeoutError:
                raise Skipped("timed out", url) from None
            except aiohttp.ClientError as exc:
                if self.guard.refused:  # the socket guard refused the address: say so, not "unreachable"
                    raise CrawlError(f"{self.guard.refused[-1]}; {REFUSED}") from None
                raise Skipped("could not be fetched", url, f"{type(exc).__name__}: {exc}") from None
        raise Skipped("too many redirects", url)

    async def _read(self, resp: aiohttp.ClientResponse, url: str) -> bytes:
        """The body, read in chunks and abandoned past ``max_bytes`` (also when the server's
        Content-Length says so up front)."""
        if resp.content_length is not None and resp.content_length > self.max_bytes:
            raise Skipped("too large", url, f"{resp.content_length} bytes")
        if resp.status >= 400:
            return b""  # an error page is never stored: its text is not the site's
        chunks, size = [], 0
        async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_bytes:
                raise Skipped("too large", url, f"over {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
