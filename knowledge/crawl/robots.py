"""What a site asks of crawlers (robots.txt, read by :mod:`urllib.robotparser`) and the pages it
lists (sitemap.xml, sitemap indexes followed)."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from ..errors import CrawlError
from .fetch import Fetcher, Skipped
from .scope import Site, normalise

logger = logging.getLogger(__name__)

# A sitemap index may list sitemaps, which may be indexes again: followed this deep, this many.
MAX_SITEMAP_DEPTH = 2
MAX_SITEMAPS = 50


@dataclass
class Robots:
    """A site's robots.txt as it applies to ``user_agent``: which pages may be fetched, the
    ``Crawl-delay`` asked for and the sitemaps it names."""

    user_agent: str
    parser: RobotFileParser = field(default_factory=RobotFileParser)
    sitemaps: list[str] = field(default_factory=list)

    def allows(self, url: str) -> bool:
        """Whether robots.txt lets citebot fetch ``url``."""
        return self.parser.can_fetch(self.user_agent, url)

    @property
    def crawl_delay(self) -> float | None:
        """Seconds the site asks between requests, if it says."""
        delay = self.parser.crawl_delay(self.user_agent)
        return float(delay) if delay is not None else None


async def read_robots(fetcher: Fetcher, site: Site, user_agent: str) -> Robots:
    """The site's ``/robots.txt``: missing (or an error page) allows everything, as crawlers
    agree; 401 or 403 disallows everything, as :class:`RobotFileParser` does."""
    scheme, host = urlsplit(site.start)[:2]
    url = urlunsplit((scheme, host, "/robots.txt", "", ""))
    robots = Robots(user_agent)
    robots.parser.set_url(url)
    try:
        response = await fetcher.get(url, within=site.on_host)
    except Skipped as exc:
        logger.info("robots.txt not read (%s); everything allowed", exc)
        robots.parser.allow_all = True
        return robots
    if response.status in (401, 403):
        robots.parser.disallow_all = True
    elif response.status >= 400:
        robots.parser.allow_all = True
    else:
        lines = response.body.decode("utf-8", "replace").splitlines()
        robots.parser.parse(lines)
        robots.sitemaps = [u for u in (normalise(s) for s in robots.parser.site_maps() or ()) if u]
    return robots


def parse_sitemap(body: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, sitemap URLs) listed in a sitemap or sitemap index. A document type
    declaration is refused (sitemaps have none; entities are how XML bombs work)."""
    if b"<!DOCTYPE" in body[:4096].upper() or b"<!ENTITY" in body.upper():
        raise ValueError("a sitemap with a document type declaration")
    root = ET.fromstring(body)
    pages, sitemaps = [], []
    for element in root.iter():
        if not element.tag.endswith("loc") or not element.text:
            continue
        parent_kind = "sitemap" if root.tag.endswith("sitemapindex") else "url"
        (sitemaps if parent_kind == "sitemap" else pages).append(element.text.strip())
    return pages, sitemaps


async def read_sitemaps(fetcher: Fetcher, site: Site, robots: Robots) -> list[str]:
    """The site's pages listed in its sitemaps: those robots.txt names, else ``sitemap.xml`` in
    the site's folder and at the host's root; only pages of ``site``, in the order listed."""
    scheme = urlsplit(site.start).scheme
    candidates = robots.sitemaps or [
        urlunsplit((scheme, site.host, site.prefix + "sitemap.xml", "", "")),
        urlunsplit((scheme, site.host, "/sitemap.xml", "", "")),
    ]
    pages: dict[str, None] = {}
    seen: set[str] = set()
    pending = [(url, 0) for url in dict.fromkeys(candidates)]
    while pending and len(seen) < MAX_SITEMAPS:
        url, depth = pending.pop(0)
        if url in seen:
            continue
        seen.add(url)
        if not site.on_host(url):
            logger.info("sitemap %s is on another host: not read", url)
            continue
        try:
            response = await fetcher.get(url, within=site.on_host)
            if response.status != 200:
                continue
            listed, nested = parse_sitemap(response.body)
        except (Skipped, CrawlError, ValueError, ET.ParseError) as exc:
            logger.info("sitemap %s not read: %s", url, exc)
            continue
        for page in listed:
            normal = normalise(page)
            if normal and site.contains(normal):
                pages[normal] = None
        if depth < MAX_SITEMAP_DEPTH:
            pending.extend((u, depth + 1) for u in (normalise(n) for n in nested) if u)
        if robots.sitemaps == [] and pages:
            break  # the site's folder had one: the host's root need not be read
    return list(pages)
