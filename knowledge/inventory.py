"""Sphinx object inventories (``objects.inv``) beside a knowledge base's documents, read with
sphobjinv: the API objects a documentation site publishes, each with the address of its anchor.

An inventory is looked for in the folders of the knowledge base's documents and up to two folders
above them (a Sphinx build keeps it at the root of its HTML pages; a crawl stores it in the site's
folder), never above a folder with its own ``citebot.yaml``, the knowledge folder itself or a state
folder: a server's uploads are only ever seen by that server's knowledge base. Inventories come
from the web, so one is read within limits: its compressed size, and what it decompresses to.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from .documents import STATE_MARKER
from .folder_settings import CRAWL_SETTINGS, FOLDER_SETTINGS, folder_settings
from .models import Document

logger = logging.getLogger(__name__)

INVENTORY_FILE = "objects.inv"
INVENTORY_HEADER = b"# Sphinx inventory version 2"
MAX_INVENTORY_BYTES = 8 * 1024 * 1024
# What an inventory may decompress to: Python's own (~20,000 objects) is about 2 MB.
MAX_PLAIN_BYTES = 64 * 1024 * 1024
_HEADER_LINES = 4
# Entries that are not API objects: section labels, pages, glossary terms.
_NOT_API = {("std", "label"), ("std", "doc"), ("std", "term")}
_ROLES = {"cmdoption": "option", "option": "option"}
_LEVELS_UP = 2


@dataclass(frozen=True)
class InventoryEntry:
    """One object of an inventory: its name and role, the document holding it (None when no page
    of the knowledge base is its page) and the address of its anchor ("" when the inventory's site
    is not known)."""

    name: str
    role: str
    doc: Document | None
    link: str


def inventory_files(documents: Iterable[Document], root: Path | None = None) -> list[Path]:
    """The ``objects.inv`` files beside ``documents`` (see the module's description); ``root`` is
    the knowledge folder, never looked above."""
    folders: set[Path] = set()
    for parent in {Path(str(doc.meta["path"])).parent for doc in documents if doc.meta.get("path")}:
        for level, folder in enumerate((parent, *parent.parents)):
            if level > _LEVELS_UP or (folder / STATE_MARKER).exists():
                break
            folders.add(folder)
            if folder == root or (folder / FOLDER_SETTINGS).is_file():
                break
    return sorted(f / INVENTORY_FILE for f in folders if (f / INVENTORY_FILE).is_file())


def read_inventory(path: Path) -> list[tuple[str, str, str, str]]:
    """``(domain, role, name, uri)`` of each entry of the inventory ``path`` (the uri with its
    ``$`` expanded); empty, with a warning, when it is too large or not an inventory."""
    try:
        size = path.stat().st_size
        if size > MAX_INVENTORY_BYTES:
            logger.warning("%s: not read, %d bytes is over the %d limit", path, size, MAX_INVENTORY_BYTES)
            return []
        raw = path.read_bytes()
    except OSError as exc:
        logger.warning("%s: not readable (%s)", path, exc)
        return []
    plain = _plaintext(raw)
    if plain is None:
        logger.warning("%s: not a Sphinx inventory (version 2), or it decompresses to too much", path)
        return []
    import sphobjinv  # imported when an inventory is read: it takes most of a second

    try:
        inventory = sphobjinv.Inventory(plaintext=plain)
    except Exception as exc:  # sphobjinv raises several kinds for a damaged file
        logger.warning("%s: not a readable inventory (%s: %s)", path, exc.__class__.__name__, exc)
        return []
    return [(o.domain, o.role, o.name, o.uri_expanded) for o in inventory.objects]


def _plaintext(raw: bytes) -> bytes | None:
    """The plain text of a zlib-compressed inventory, its four header lines kept; None when it is
    not one or decompresses past :data:`MAX_PLAIN_BYTES` (a zip bomb stops there)."""
    if not raw.startswith(INVENTORY_HEADER):
        return None
    lines = raw.split(b"\n", _HEADER_LINES)
    if len(lines) <= _HEADER_LINES:
        return None
    inflate = zlib.decompressobj()
    try:
        body = inflate.decompress(lines[_HEADER_LINES], MAX_PLAIN_BYTES)
    except zlib.error:
        return None
    if inflate.unconsumed_tail:
        return None
    return b"\n".join(lines[:_HEADER_LINES]) + b"\n" + body


def inventory_entries(path: Path, documents: Iterable[Document]) -> list[InventoryEntry]:
    """The API objects of the inventory ``path``, each tied to its page among ``documents`` (the
    file beside the inventory, or the crawled page at its address) and linked to its anchor on
    the site the inventory's folder was crawled from or published at (its ``citebot.yaml``)."""
    folder = path.parent
    settings = folder_settings(folder, folder)
    crawl = settings.get(CRAWL_SETTINGS)
    site = crawl.get("site") if isinstance(crawl, dict) else settings.get("base_url")
    base = site.strip() if isinstance(site, str) and site.strip() else ""
    if base and not base.endswith("/"):
        base += "/"
    by_path: dict[Path, Document] = {}
    by_url: dict[str, Document] = {}
    for doc in documents:
        if doc.meta.get("path"):
            by_path[Path(str(doc.meta["path"]))] = doc
        if doc.meta.get("url"):
            by_url[str(doc.meta["url"]).partition("#")[0]] = doc
    resolved = folder.resolve()
    entries = []
    for domain, role, name, uri in read_inventory(path):
        if (domain, role) in _NOT_API:
            continue
        page = uri.partition("#")[0]
        doc = by_url.get(urljoin(base, page)) if base else None
        if doc is None and page:
            doc = by_path.get(folder / page) or by_path.get(resolved / page)
        link = urljoin(base, uri) if base else ""
        if not link and doc is not None and doc.link and "#" in uri:
            link = doc.link.partition("#")[0] + "#" + uri.partition("#")[2]
        entries.append(InventoryEntry(name, _ROLES.get(role, role), doc, link))
    return entries
