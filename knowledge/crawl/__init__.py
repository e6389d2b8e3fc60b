"""Indexing a documentation website: crawl it politely into a folder of pages the document loader
reads, each cited with its address.

- :mod:`.scope` — which URLs belong to the site, one spelling per page;
- :mod:`.safety` — which addresses may be connected to (no internal addresses from Discord);
- :mod:`.fetch` — the HTTP client: rate, concurrency, size cap, timeouts, redirects;
- :mod:`.robots` — robots.txt and sitemaps;
- :mod:`.links` — the links of a page;
- :mod:`.manifest` — the site folder's list of pages and their validators;
- :mod:`.crawler` — the crawl itself (:func:`crawl_site`).
"""

from .crawler import CrawlReport, CrawlSettings, crawl_site, crawl_site_blocking, user_agent
from .safety import AddressPolicy, address_refusal
from .scope import Site

__all__ = [
    "AddressPolicy",
    "CrawlReport",
    "CrawlSettings",
    "Site",
    "address_refusal",
    "crawl_site",
    "crawl_site_blocking",
    "user_agent",
]
