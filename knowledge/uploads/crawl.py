"""Crawling a site into a server's uploads, kept for every process when the state is shared."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UploadError
from ..interfaces import SharedUploads
from .sync import UploadMirror, crawling

if TYPE_CHECKING:
    from ..crawl import CrawlReport, CrawlSettings
    from ..crawl.crawler import Progress as CrawlProgress


@dataclass(frozen=True)
class SiteCrawler:
    """Crawls sites into one server's uploads folder (None: no server, refused)."""

    uploads: Path | None
    shared: SharedUploads | None = None

    def crawl(
        self, url: str, settings: CrawlSettings | None = None, progress: CrawlProgress | None = None
    ) -> CrawlReport:
        """Crawl the site ``url`` into this server's uploads (see
        :func:`~knowledge.crawl.crawl_site_blocking`), and keep it for every process with the
        shared uploads: the folder is brought up to date first, so the crawl asks with the shared
        manifest's validators, and what it stored is shared afterwards (:meth:`UploadMirror.share_site`).
        Raises :class:`~knowledge.errors.CrawlError` or :class:`StateWriteError`."""
        from ..crawl import Site, crawl_site_blocking  # the HTTP client is only needed to crawl

        if self.uploads is None:
            raise UploadError("Sites can only be added in a server.")
        mirror = UploadMirror(self.uploads, self.shared)
        mirror.sync()
        with crawling(self.uploads, Site.from_url(url).folder_name()):
            report = crawl_site_blocking(url, self.uploads, settings, progress)
            mirror.share_site(report.folder)
        return report
