"""Which URLs belong to a crawled site, and one spelling for each so a page is fetched once."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from ..errors import CrawlError
from .safety import SCHEMES, client_url

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise(url: str, base: str | None = None) -> str:
    """``url`` (resolved against ``base``) as one canonical spelling: scheme and host in lower
    case, the default port dropped, ``.``/``..`` segments resolved, an empty path as ``/``, the
    fragment dropped; "" for what cannot be a web page (``mailto:``, ``javascript:``, a bad port)."""
    try:
        joined = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(joined)
        # The host and port as the HTTP client will read them ("１２７.０.０.１" is 127.0.0.1), so
        # the address policy and the site's bounds judge what is requested.
        client = client_url(joined)
        port = client.explicit_port
    except (ValueError, CrawlError):
        return ""
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not client.raw_host:
        return ""
    host = client.raw_host.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    if "/." in path or path.startswith("."):
        trailing = path.endswith("/") or path.endswith("/.") or path.endswith("/..")
        path = posixpath.normpath(path)
        path = "/" if path in (".", "/", "//") else path.lstrip("/")
        path = "/" + path + ("/" if trailing and not path.endswith("/") else "")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


@dataclass(frozen=True)
class Site:
    """A docs site: one host (http or https) and the path prefix below which pages belong to it."""

    start: str
    host: str  # host[:port] as in a normalised URL
    prefix: str  # ends with "/"

    @classmethod
    def from_url(cls, url: str) -> Site:
        """The site ``url`` opens: its host, and the folder of its path (``/docs/intro.html`` and
        ``/docs/`` both give ``/docs/``). Raises :class:`CrawlError` for what is not a web address."""
        client_url(url)  # a host that cannot be read is refused with its reason
        start = normalise(url)
        if not start:
            raise CrawlError(f"{url!r} is not an http:// or https:// address")
        parts = urlsplit(start)
        prefix = parts.path[: parts.path.rfind("/") + 1] or "/"
        return cls(start, parts.netloc, prefix)

    def contains(self, url: str) -> bool:
        """Whether the normalised ``url`` is a page of this site."""
        parts = urlsplit(url)
        return parts.scheme in SCHEMES and parts.netloc == self.host and parts.path.startswith(self.prefix)

    def on_host(self, url: str) -> bool:
        """Whether the normalised ``url`` is on the site's host (robots.txt and sitemaps may lie
        outside the path prefix)."""
        parts = urlsplit(url)
        return parts.scheme in SCHEMES and parts.netloc == self.host

    @property
    def root(self) -> str:
        """The site's address: scheme, host and prefix."""
        return urlunsplit((urlsplit(self.start).scheme, self.host, self.prefix, "", ""))

    def folder_name(self) -> str:
        """A folder name for the site's pages: ``docs.example.org-guide``."""
        raw = f"{self.host}{self.prefix}".rstrip("/")
        return re.sub(r"[^\w.-]+", "-", raw.lower()).strip("-.")[:100] or "site"

    def file_stem(self, url: str) -> str:
        """A readable file name (without suffix) for a page of the site, from its path below the
        prefix and its query: ``/docs/guide/install.html`` -> ``guide-install``."""
        parts = urlsplit(url)
        rel = parts.path[len(self.prefix) :] if parts.path.startswith(self.prefix) else parts.path
        rel = re.sub(r"\.(html?|md|markdown|txt|php|aspx?)$", "", rel.strip("/"), flags=re.I)
        if parts.query:
            rel += "-" + parts.query
        stem = re.sub(r"[^\w.-]+", "-", rel.lower()).strip("-.")
        return re.sub(r"-{2,}", "-", stem)[:80].strip("-.") or "index"
