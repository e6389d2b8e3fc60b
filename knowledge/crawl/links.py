"""The links of an HTML page, read with the standard library's tolerant HTML parser."""

from __future__ import annotations

import contextlib
from html.parser import HTMLParser

from .scope import normalise


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base = ""
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and not self.base:
            self.base = dict(attrs).get("href") or ""
        elif tag in ("a", "area"):
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def page_links(body: bytes, url: str) -> list[str]:
    """The normalised addresses ``body`` (an HTML page fetched from ``url``) links to, honouring
    ``<base href>``; fragments dropped, duplicates removed, in page order."""
    parser = _LinkParser()
    # The parser is tolerant; should a page still upset it, the links read so far are kept.
    with contextlib.suppress(Exception):
        parser.feed(body.decode("utf-8", "replace"))
        parser.close()
    base = normalise(parser.base, url) if parser.base else url
    found = (normalise(href, base or url) for href in parser.hrefs)
    return list(dict.fromkeys(link for link in found if link))
