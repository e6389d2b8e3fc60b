"""A crawled site's manifest: the ``crawl`` section of the site folder's ``citebot.yaml``, listing
each page's address, its file, and the validators (ETag, Last-Modified) the next crawl sends so
unchanged pages are not downloaded again. The document loader reads the same list to cite each
page with its address (:func:`knowledge.documents.crawled_url`)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import safe_yaml
from ..atomic import atomic_write_text
from ..folder_settings import CRAWL_SETTINGS, FOLDER_SETTINGS

logger = logging.getLogger(__name__)

HEADER = (
    "# Written by citebot's crawler (citebot index --url, /kb add url:); the next crawl of the site\n"
    "# rewrites it. Each page: its address, the file holding it, and what the next crawl sends to\n"
    "# ask whether it changed.\n"
)


@dataclass
class PageRecord:
    """One crawled page: its address, the file it is stored in (relative to the site folder) and
    its validators. An alias (an address serving the same page as another, such as ``guide/`` and
    ``guide/index.html``) has no file but ``same_as``, the address stored."""

    url: str
    file: str
    etag: str = ""
    last_modified: str = ""
    same_as: str = ""

    def conditional_headers(self) -> dict[str, str]:
        """The headers that ask the server to answer 304 when the page is unchanged."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass
class Manifest:
    """The pages of one crawled site, by address."""

    site: str
    pages: dict[str, PageRecord] = field(default_factory=dict)
    aliases: dict[str, PageRecord] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path, site: str) -> Manifest:
        """The manifest in ``folder`` (empty when there is none, or it is not readable: the next
        crawl then fetches every page again, which loses nothing)."""
        path = folder / FOLDER_SETTINGS
        manifest = cls(site)
        if not path.is_file():
            return manifest
        try:
            data = safe_yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            logger.warning("%s: not readable (%s); every page will be fetched again", path, exc)
            return manifest
        crawl = data.get(CRAWL_SETTINGS) if isinstance(data, dict) else None
        lists = (("pages", manifest.pages, "file"), ("aliases", manifest.aliases, "same_as"))
        for key, target, need in lists:
            entries = crawl.get(key) if isinstance(crawl, dict) else None
            for entry in entries if isinstance(entries, list) else ():
                if not (isinstance(entry, dict) and isinstance(entry.get("url"), str) and entry.get(need)):
                    continue  # a hand-edited entry that makes no sense: the page is fetched again
                values = {k: str(entry.get(k) or "") for k in ("file", "etag", "last_modified", "same_as")}
                target[entry["url"]] = PageRecord(entry["url"], **values)
        return manifest

    def files(self) -> set[str]:
        """The files the pages are stored in."""
        return {record.file for record in self.pages.values()}

    def write(self, folder: Path) -> None:
        """Write the manifest to ``folder``'s ``citebot.yaml``, atomically (not at all when it is
        unchanged)."""

        def entry(record: PageRecord) -> dict[str, str]:
            return {k: v for k, v in asdict(record).items() if v}

        crawl: dict[str, Any] = {"site": self.site}
        crawl["pages"] = [entry(r) for r in sorted(self.pages.values(), key=lambda r: r.file)]
        if self.aliases:
            crawl["aliases"] = [entry(r) for _, r in sorted(self.aliases.items())]
        text = yaml.safe_dump(
            {CRAWL_SETTINGS: crawl},
            allow_unicode=True,
            sort_keys=False,
            width=1000,
        )
        path = folder / FOLDER_SETTINGS
        try:
            if path.read_text(encoding="utf-8") == HEADER + text:
                return  # unchanged: leaving the file as it is keeps the saved index valid
        except (OSError, UnicodeDecodeError):
            pass
        atomic_write_text(path, HEADER + text, backup=False)
