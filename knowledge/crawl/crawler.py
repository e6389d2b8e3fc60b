"""Crawling a documentation site into a folder of pages the document loader reads.

A crawl starts at a URL, takes the pages its sitemaps list and follows links within the same host
and path prefix, as robots.txt allows. Each page is stored as a file in the site's folder, whose
``citebot.yaml`` (:mod:`knowledge.crawl.manifest`) gives every file its address, so answers cite
the page (and the section, where the heading has an id). A crawl of a site crawled before sends
the stored validators: a page the server says is unchanged (304) is not downloaded, and a page
gone from the site (404/410, or no longer listed or linked) is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..errors import CrawlError, StateWriteError
from ..inventory import INVENTORY_FILE, INVENTORY_HEADER
from .fetch import REDIRECTS, Fetcher, Response, Skipped
from .links import page_links
from .manifest import Manifest, PageRecord
from .robots import read_robots, read_sitemaps
from .safety import AddressPolicy
from .scope import Site

logger = logging.getLogger(__name__)

# Media types stored, and the file suffix each is stored with.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MARKDOWN_TYPES = frozenset({"text/markdown", "text/x-markdown"})
TEXT_TYPES = frozenset({"text/plain"})
GONE = frozenset({404, 410})


def user_agent() -> str:
    """``citebot/<version>``: how citebot names itself to the sites it crawls (and in robots.txt)."""
    try:
        version = metadata.version("citebot")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"citebot/{version}"


@dataclass(frozen=True)
class CrawlSettings:
    """How politely and how far a crawl goes, and which addresses it may reach."""

    requests_per_second: float = 3.0
    concurrency: int = 3
    timeout: float = 15.0  # seconds for one request, body included
    max_page_bytes: int = 2 * 1024 * 1024
    max_pages: int = 500
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    user_agent: str = field(default_factory=user_agent)


@dataclass
class CrawlReport:
    """What a crawl did: pages added, updated (changed since the last crawl), unchanged and
    removed (gone from the site), pages skipped counted by reason, and requests made."""

    site: str
    folder: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    bodies: int = 0  # page bodies downloaded (a 304 downloads none)
    requests: int = 0
    queued: int = 0  # pages found so far (for progress notes)

    @property
    def pages(self) -> int:
        """Pages the site folder holds after the crawl."""
        return len(self.added) + len(self.updated) + len(self.unchanged)

    @property
    def changed(self) -> bool:
        """Whether the crawl changed the stored pages (the index must be rebuilt)."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """``12 pages added, 0 updated, 40 unchanged, 2 removed; 5 skipped (2 disallowed by
        robots.txt, 1 too large, ...)``."""
        text = (
            f"{len(self.added)} pages added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed"
        )
        total = sum(self.skipped.values())
        if total:
            reasons = ", ".join(f"{n} {reason}" for reason, n in self.skipped.most_common())
            text += f"; {total} skipped ({reasons})"
        return text


Progress = Callable[[CrawlReport], None]


# Why a page may not be fetched this time although it is still there: its stored copy is kept.
# Anything else (disallowed by robots.txt now, a duplicate, too large, 404) drops a stored page.
PASSING = frozenset(
    {"timed out", "could not be fetched", "too many redirects", "over the page limit", "address refused"}
)


def _passing(reason: str) -> bool:
    """Whether ``reason`` is a passing failure (a network problem, a server error, the page limit)."""
    if reason.startswith("HTTP "):
        status = int(reason.split()[1])
        return status >= 500 or status == 429
    return reason in PASSING


def _suffix_for(content_type: str, url: str) -> str:
    if content_type in HTML_TYPES:
        return ".html"
    if content_type in MARKDOWN_TYPES or url.lower().endswith((".md", ".markdown")):
        return ".md"
    return ".txt"


def _accepted(content_type: str) -> bool:
    return content_type in HTML_TYPES | MARKDOWN_TYPES | TEXT_TYPES


class _Crawl:
    """One crawl's state: the queue of pages, what was found, the old and new manifests."""

    def __init__(self, site: Site, folder: Path, settings: CrawlSettings, progress: Progress | None) -> None:
        self.site = site
        self.folder = folder
        self.settings = settings
        self.progress = progress
        self.old = Manifest.read(folder, site.root)
        self.new = Manifest(site.root)
        self.kept: dict[str, PageRecord] = {}  # known pages not fetched this time (errors), kept
        self.report = CrawlReport(site.root, folder)
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.seen: set[str] = set()
        self.files_taken = set(self.old.files())
        self.digests: dict[str, str] = {}  # stored page bodies' hashes -> their address
        self.cap_reached = False
        self.start_problem: str | None = None
        self.failure: Exception | None = None

    def enqueue(self, url: str) -> None:
        if url not in self.seen and self.site.contains(url):
            self.seen.add(url)
            self.queue.put_nowait(url)
            self.report.queued += 1

    def record_for(self, url: str) -> PageRecord | None:
        record = self.old.pages.get(url)
        return record if record is not None and (self.folder / record.file).is_file() else None

    def file_for(self, url: str, suffix: str) -> str:
        record = self.old.pages.get(url)
        if record is not None and record.file.endswith(suffix):
            return record.file
        stem = self.site.file_stem(url)
        name, number = stem + suffix, 1
        while name in self.files_taken:
            number += 1
            name = f"{stem}-{number}{suffix}"
        self.files_taken.add(name)
        return name

    async def worker(self, fetcher: Fetcher, robots_allows: Callable[[str], bool]) -> None:
        while True:
            url = await self.queue.get()
            try:
                if self.failure is None:
                    await self.visit(fetcher, robots_allows, url)
            except _Gone:
                pass  # not kept: dropped when the crawl finishes
            except (Skipped, CrawlError) as exc:
                reason = exc.reason if isinstance(exc, Skipped) else "address refused"
                logger.info("skipped %s: %s", url, exc)
                self.report.skipped[reason] += 1
                if url == self.site.start:
                    self.start_problem = str(exc)
                record = self.old.pages.get(url)
                if record is not None and _passing(reason):  # the stored copy stays until it is gone
                    self.kept[url] = record
            except Exception as exc:  # a page that cannot be written stops the crawl (after the queue drains)
                self.failure = exc
            finally:
                self.queue.task_done()
                if self.progress is not None:
                    self.progress(self.report)

    async def visit(self, fetcher: Fetcher, robots_allows: Callable[[str], bool], url: str) -> None:
        if not robots_allows(url):
            raise Skipped("disallowed by robots.txt", url)
        if self.report.pages >= self.settings.max_pages:
            self.cap_reached = True
            raise Skipped("over the page limit", url)
        record = self.record_for(url)
        alias = self.old.aliases.get(url) if record is None else None
        known = record or alias
        headers = known.conditional_headers() if known else None
        response = await fetcher.get(url, headers, accept=_accepted, follow=False)
        if response.status in REDIRECTS:
            # The target is crawled as a page of its own (once, however many pages lead to it),
            # with its own validators.
            self.enqueue(response.url)
            return
        if response.status == 304 and record is not None:
            self.keep_unchanged(response, record)
            return
        if response.status == 304 and alias is not None:
            self.new.aliases[url] = alias
            raise Skipped("duplicate", url)
        if response.status in GONE:
            raise Skipped("not found", url) if record is None else _Gone()
        if response.status != 200:
            raise Skipped(f"HTTP {response.status}", url)
        self.report.bodies += 1
        if self.report.pages >= self.settings.max_pages:
            self.cap_reached = True
            raise Skipped("over the page limit", url)
        self.store(response, record)

    def keep_unchanged(self, response: Response, record: PageRecord) -> None:
        etag = response.etag or record.etag
        modified = response.last_modified or record.last_modified
        self.new.pages[record.url] = PageRecord(record.url, record.file, etag, modified)
        self.report.unchanged.append(record.url)
        try:
            stored = (self.folder / record.file).read_bytes()
        except OSError:
            return
        self.digests.setdefault(hashlib.sha256(stored).hexdigest(), record.url)
        if record.file.endswith(".html"):
            for link in page_links(stored, record.url):
                self.enqueue(link)

    def store(self, response: Response, record: PageRecord | None) -> None:
        if not response.body.strip():
            raise Skipped("empty", response.url)
        digest = hashlib.sha256(response.body).hexdigest()
        original = self.digests.setdefault(digest, response.url)
        if original != response.url:  # the same page under another address: kept as an alias
            self.new.aliases[response.url] = PageRecord(
                response.url, "", response.etag, response.last_modified, same_as=original
            )
            raise Skipped("duplicate", response.url)
        suffix = _suffix_for(response.content_type, response.url)
        file = (
            record.file
            if record is not None and record.file.endswith(suffix)
            else self.file_for(response.url, suffix)
        )
        path = self.folder / file
        try:
            same = path.is_file() and path.read_bytes() == response.body
        except OSError:
            same = False
        if not same:
            try:
                atomic_write_bytes(path, response.body, backup=False)
            except OSError as exc:
                raise StateWriteError(path, exc) from exc
        self.new.pages[response.url] = PageRecord(response.url, file, response.etag, response.last_modified)
        if same:
            self.report.unchanged.append(response.url)
        elif record is not None or response.url in self.old.pages:
            self.report.updated.append(response.url)
        else:
            self.report.added.append(response.url)
        if suffix == ".html":
            for link in page_links(response.body, response.url):
                self.enqueue(link)

    def finish(self) -> None:
        """Drop the pages gone from the site and write the new manifest. Pages not reached
        because the page limit stopped the crawl are kept, as are pages that failed this time."""
        for url, record in self.kept.items():
            self.new.pages.setdefault(url, record)
        if self.cap_reached:
            for url, record in self.old.pages.items():
                if url not in self.seen:
                    self.new.pages.setdefault(url, record)
        kept_files = self.new.files()
        for url, record in self.old.pages.items():
            if record.file not in kept_files:  # gone, or now stored under another name
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / record.file).unlink()
            if url not in self.new.pages:
                self.report.removed.append(url)
        try:
            self.new.write(self.folder)
        except OSError as exc:
            raise StateWriteError(self.folder, exc) from exc


class _Gone(Skipped):
    """A page stored before that the site now says is gone: removed, not counted as skipped."""

    def __init__(self) -> None:
        super().__init__("gone", "")


async def crawl_site(
    url: str, into: Path, settings: CrawlSettings | None = None, progress: Progress | None = None
) -> CrawlReport:
    """Crawl the site ``url`` opens into its own folder under ``into`` (created when needed) and
    return what was done. Raises :class:`~knowledge.errors.CrawlError` (a refused address, a site
    that does not answer: nothing changed) or :class:`~knowledge.errors.StateWriteError`.

    ``progress`` is called (in the crawl's event loop) after every page."""
    settings = settings or CrawlSettings()
    site = Site.from_url(url)
    settings.policy.check_url(site.start)
    folder = into / site.folder_name()
    crawl = _Crawl(site, folder, settings, progress)
    # Folders this crawl creates, removed again when it stores nothing.
    created = [f for f in (folder, *folder.parents) if not f.exists() and f.is_relative_to(into.parent)]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateWriteError(folder, exc) from exc
    fetcher = Fetcher(
        settings.policy,
        user_agent=settings.user_agent,
        in_site=site.contains,
        rate=settings.requests_per_second,
        concurrency=settings.concurrency,
        timeout=settings.timeout,
        max_bytes=settings.max_page_bytes,
    )
    try:
        async with fetcher:
            robots = await read_robots(fetcher, site, settings.user_agent)
            if robots.crawl_delay:
                fetcher.pacer.slow_to(1.0 / robots.crawl_delay)
            crawl.enqueue(site.start)
            for page in await read_sitemaps(fetcher, site, robots):
                crawl.enqueue(page)
            workers = [
                asyncio.create_task(crawl.worker(fetcher, robots.allows)) for _ in range(settings.concurrency)
            ]
            try:
                await crawl.queue.join()
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
            if crawl.failure is None and crawl.new.pages:
                await _fetch_inventory(fetcher, site, folder, robots.allows)
    except BaseException:
        _remove_if_empty(created)
        raise
    if crawl.failure is not None:
        raise crawl.failure
    crawl.report.requests = fetcher.requests
    if not crawl.new.pages and not crawl.old.pages:
        _remove_if_empty(created)
        problem = crawl.start_problem or crawl.report.summary()
        raise CrawlError(f"no page of {site.root} could be stored: {problem}")
    crawl.finish()
    logger.info("crawled %s: %s", site.root, crawl.report.summary())
    return crawl.report


async def _fetch_inventory(
    fetcher: Fetcher, site: Site, folder: Path, robots_allows: Callable[[str], bool]
) -> None:
    """Store the site's Sphinx object inventory (``objects.inv`` at its root) beside its pages, so
    its classes and functions can be looked up (:mod:`knowledge.apiref`); one the site no longer
    has is removed. A site without one costs one request."""
    url = site.root + INVENTORY_FILE
    if not robots_allows(url):
        return
    try:
        response = await fetcher.get(url)
    except (Skipped, CrawlError) as exc:
        logger.info("no object inventory stored from %s: %s", url, exc)
        return
    path = folder / INVENTORY_FILE
    inventory = response.status == 200 and response.body.startswith(INVENTORY_HEADER)
    if response.status in GONE:
        path.unlink(missing_ok=True)
    elif inventory and not _holds(path, response.body):
        try:
            atomic_write_bytes(path, response.body, backup=False)
        except OSError as exc:
            raise StateWriteError(path, exc) from exc


def _holds(path: Path, body: bytes) -> bool:
    """Whether the file ``path`` holds ``body`` already (left as it is, so the site is unchanged)."""
    try:
        return path.read_bytes() == body
    except OSError:
        return False


def crawl_site_blocking(
    url: str, into: Path, settings: CrawlSettings | None = None, progress: Progress | None = None
) -> CrawlReport:
    """:func:`crawl_site` in an event loop of its own, for callers without one (the command line,
    or a worker thread so the bot's loop never waits on page parsing). The loop runs in a fresh
    context: the caller's context variables (a worker thread inherits its caller's) are no part
    of the crawl."""
    return contextvars.Context().run(asyncio.run, crawl_site(url, into, settings, progress))


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) that are empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            if not any(os.scandir(folder)):
                folder.rmdir()
