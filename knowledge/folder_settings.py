"""The settings file beside a folder's documents (``citebot.yaml``): the ``base_url`` of published
reST pages, and in a crawled site's folder the ``crawl`` manifest naming each page's address."""

from __future__ import annotations

import functools
import logging
import stat
from pathlib import Path
from typing import Any

import yaml

from . import safe_yaml

logger = logging.getLogger(__name__)

# Per-folder settings beside the documents (reST has no front matter): ``base_url`` of the
# published pages, so citations link to ``base_url + page.html#section``; in a crawled site's
# folder, the ``crawl`` section lists each page's address and file (see knowledge.crawl).
FOLDER_SETTINGS = "citebot.yaml"
CRAWL_SETTINGS = "crawl"


def folder_settings(folder: Path, root: Path | None = None) -> dict[str, Any]:
    """The ``citebot.yaml`` settings that apply in ``folder``: the nearest one at or above it (up
    to ``root``), with the folder it was found in under ``"folder"``; empty when there is none."""
    folder = folder.resolve()
    stop = root.resolve() if root is not None else None
    for candidate in (folder, *folder.parents):
        settings_file = candidate / FOLDER_SETTINGS
        try:
            found = settings_file.stat()
        except OSError:
            found = None
        if found is not None and stat.S_ISREG(found.st_mode):
            loaded = _read_settings(settings_file, found.st_mtime_ns, found.st_size)
            return {**loaded, "folder": candidate} if loaded is not None else {}
        if stop is None or candidate == stop or not candidate.is_relative_to(stop):
            break
    return {}


@functools.lru_cache(maxsize=64)
def _read_settings(settings_file: Path, mtime_ns: int, size: int) -> dict[str, Any] | None:
    """The mapping in ``settings_file``, or None (warned) when it is not one. Cached by the file's
    modification time and size: every file of a folder asks for its settings, and a crawled site's
    settings list all its pages. Callers must not change what is returned."""
    try:
        loaded = safe_yaml.safe_load(settings_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        logger.warning("%s: ignored, not readable YAML (%s)", settings_file, exc)
        return None
    if not isinstance(loaded, dict):
        logger.warning("%s: ignored, it should hold 'base_url: https://...'", settings_file)
        return None
    return loaded


def crawled_url(path: Path, settings: dict[str, Any]) -> str:
    """The address a crawled page was fetched from: the ``crawl`` section of the site folder's
    settings (written by :mod:`knowledge.crawl`) lists ``pages`` as ``{url, file}``; empty when
    ``path`` is not one of them."""
    folder = settings.get("folder")
    if folder is None or CRAWL_SETTINGS not in settings:
        return ""
    settings_file = Path(folder) / FOLDER_SETTINGS
    try:
        found = settings_file.stat()
        rel = path.resolve().relative_to(folder).as_posix()
    except (OSError, ValueError):
        return ""
    return _crawled_pages(settings_file, found.st_mtime_ns, found.st_size).get(rel, "")


@functools.lru_cache(maxsize=16)
def _crawled_pages(settings_file: Path, mtime_ns: int, size: int) -> dict[str, str]:
    """``{file: url}`` of a crawled site's settings, built once per version of the file."""
    crawl = (_read_settings(settings_file, mtime_ns, size) or {}).get(CRAWL_SETTINGS)
    pages = crawl.get("pages") if isinstance(crawl, dict) else None
    return {
        str(page["file"]): str(page["url"])
        for page in pages or ()
        if isinstance(page, dict) and isinstance(page.get("file"), str) and isinstance(page.get("url"), str)
    }


def page_url(path: Path, settings: dict[str, Any]) -> str:
    """The published address of the reST page ``path`` under ``settings["base_url"]``:
    ``https://docs.example.org/en/latest/`` + ``guide/faq.rst`` -> ``.../guide/faq.html``."""
    base = settings.get("base_url")
    if not isinstance(base, str) or not base.strip():
        return ""
    base = base.strip()
    rel = path.resolve().relative_to(settings["folder"]).with_suffix(".html").as_posix()
    return (base if base.endswith("/") else base + "/") + rel
