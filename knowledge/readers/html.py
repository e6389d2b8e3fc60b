"""HTML pages (``.html``, ``.htm``): their visible text, headings kept as Markdown headings. A
crawled page links to its address and each section to its heading's anchor there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..folder_settings import crawled_url, folder_settings
from ..models import Document
from ..nesting import html_too_deep
from .base import H1, DocumentError, Read, Reader, SourceFile, title_from_stem

# Laying out HTML costs time in proportion to nesting depth times size (Beautiful Soup walks a
# block's whole subtree to insert after it): 400,000 nested <div>s would take hours. Real pages
# nest a few dozen levels.
MAX_HTML_DEPTH = 256


def parse_html(raw: bytes, path: Path, doc_id: str, url: str = "") -> Document:
    """Visible text of an HTML page, with its headings kept as Markdown headings. With ``url`` (the
    page's address) the document links to it and each section to its heading's anchor there."""
    from bs4 import BeautifulSoup

    if html_too_deep(raw, MAX_HTML_DEPTH):  # before Beautiful Soup builds every element
        limit = MAX_HTML_DEPTH
        raise DocumentError(path, f"the HTML is nested more than {limit} levels deep; the limit is {limit}")
    soup = BeautifulSoup(raw, "html.parser")
    depth = _html_depth(soup)
    if depth > MAX_HTML_DEPTH:
        raise DocumentError(path, f"the HTML is nested {depth} levels deep; the limit is {MAX_HTML_DEPTH}")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    # Edits stay inside each element (clear, insert at 0, append): inserting beside an element or
    # removing it makes Beautiful Soup scan all its siblings, quadratic on a page of 100,000 <p>s.
    for tag in soup(["script", "style", "noscript", "template", "head", "nav", "footer"]):
        tag.clear()
    headings: list[tuple[str, str]] = []  # (the heading line as written in the text, its anchor)
    for heading in soup.find_all(re.compile(r"^h[1-6]$")):
        level = int(heading.name[1])
        anchor = _heading_anchor(heading)
        text = heading.get_text(" ", strip=True)
        heading.clear()
        heading.append(f"\n\n{'#' * level} {text}\n\n")
        headings.append((re.sub(r"\s+", " ", f"{'#' * level} {text}").strip(), anchor))
    for item in soup.find_all("li"):
        item.insert(0, "\n- ")
    for block in soup.find_all(["p", "div", "br", "tr", "ul", "ol", "pre", "blockquote", "section"]):
        block.append("\n\n")
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in soup.get_text().split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not title:
        heading = H1.search(text)
        title = heading.group(1) if heading else title_from_stem(path)
    meta: dict[str, Any] = {"path": str(path), "format": "html"}
    if url:
        meta["url"] = url
        meta["anchors"] = _anchor_offsets(text, headings)
    return Document(doc_id, title, text, meta)


def _heading_anchor(heading: Any) -> str:
    """The id a link can jump to for ``heading``: its own ``id``, an anchor inside it (``<a id>``,
    ``<a name>``, Sphinx's ``<a class="headerlink" href="#...">``), else the id of the section it
    opens; empty when there is none."""
    if heading.get("id"):
        return str(heading["id"])
    for link in heading.find_all("a"):
        if link.get("id") or link.get("name"):
            return str(link.get("id") or link.get("name"))
        href = str(link.get("href") or "")
        if href.startswith("#") and len(href) > 1:
            return href[1:]
    parent = heading.parent
    if parent is not None and parent.get("id") and parent.name in {"section", "div", "article"}:
        first = parent.find(re.compile(r"^h[1-6]$"))
        if first is heading:
            return str(parent["id"])
    return ""


def _anchor_offsets(text: str, headings: list[tuple[str, str]]) -> list[list[Any]]:
    """``[[offset, anchor], ...]`` of the headings in ``text`` (found in order), as
    :meth:`Document.link_at` reads them; a heading without an id ends the previous one's section."""
    anchors: list[list[Any]] = []
    position = 0
    for line, anchor in headings:
        found = re.compile(rf"^{re.escape(line)}[ \t]*$", re.M).search(text, position)
        if found is None:
            continue
        anchors.append([found.start(), anchor])
        position = found.end()
    return anchors


def _html_depth(soup: Any) -> int:
    """The deepest element nesting (text inside does not count), found without recursion (deep
    trees would overflow it)."""
    deepest, stack = 0, [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        contents = getattr(node, "contents", None)
        if contents is not None:  # an element, not text
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in contents)
    return deepest


def read_html(file: SourceFile) -> Read:
    """An HTML page, from its bytes (a page names its own encoding)."""
    url = crawled_url(file.path, folder_settings(file.path.parent, file.folder)) if file.folder else ""
    return [parse_html(file.raw, file.path, file.doc_id, url)], []


READER = Reader("html", (".html", ".htm"), read_html, content="markup")
