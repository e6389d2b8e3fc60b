"""How deeply a document nests, measured before any parser builds its tree.

A parser's work and memory can grow with nesting depth times size: docutils copies an indented
block's lines at every level (a 1.5 MB reST file nested 1,700 levels deep took half a gigabyte
before it failed), and Beautiful Soup builds every element of 400,000 nested ``<div>``s before
anyone can count them. These scans read the text once, keep only a stack of open levels, and let
the loader refuse a file before the parser starts.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from html.parser import HTMLParser

# Beautiful Soup's html.parser builder closes these at once (bs4's DEFAULT_EMPTY_ELEMENT_TAGS),
# so they never hold anything and add no depth.
_VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "menuitem", "meta",
    "param", "source", "track", "wbr", "basefont", "bgsound", "command", "frame", "image", "isindex",
    "nextid", "spacer",
})  # fmt: skip

# What opens a nested body on the same line in reST: a bullet, an enumerator, a directive, a
# footnote or citation, a field name, an option, a line block. Each counts one level; a marker
# that turns out to be prose only makes the count higher than docutils' (never lower).
_RST_MARKER = re.compile(
    r"(?:[-*+\u2022\u2023\u2043]"
    r"|\(?(?:\d+|#|[A-Za-z]|[ivxlcdmIVXLCDM]+)[.)]"
    r"|\.\.[ \t]+(?:[^\s:]+(?::[^\s:]+)*::|\[[^\]\n]+\])"
    r"|:[^:\s](?:[^:\n\\]|\\.)*:"
    r"|--?\w[\w-]*"
    r"|\|)"
    r"(?:[ \t]+|$)"
)


def rst_depth(text: str, limit: int | None = None) -> int:
    """The deepest nesting of reST body elements in ``text``: indented blocks (block quotes, list
    and definition bodies, directive content) and markers opening a body on the same line
    (``- - item``). An upper bound on docutils' own nesting, in one pass over the lines; with
    ``limit``, the scan stops at the first level past it (a line of a million list markers is
    refused after reading ``limit + 1`` of them)."""
    # The content column of each open level (the document's is 0), as machine integers: a line of
    # a million list markers opens a million levels.
    columns = array("q", [0])
    deepest = 0
    for raw in text.splitlines():
        line = raw.expandtabs(8) if "\t" in raw else raw
        body = line.lstrip(" ")
        if not body:
            continue
        column = len(line) - len(body)
        while columns[-1] > column:
            columns.pop()
        if columns[-1] < column:
            columns.append(column)  # indented past the enclosing level: a block inside it
        position = column
        while marker := _RST_MARKER.match(line, position):
            if marker.end() == position or (limit is not None and len(columns) > limit + 1):
                break
            position = marker.end()
            columns.append(position)
        deepest = max(deepest, len(columns) - 1)
        if limit is not None and deepest > limit:
            return deepest
    return deepest


class _TooDeep(Exception):
    """Raised inside the HTML scan to stop reading once the limit is passed."""


class _DepthScan(HTMLParser):
    """Follows element nesting as Beautiful Soup's html.parser builder does: every start tag opens
    an element except the void ones and ``<x/>``; an end tag closes up to the most recent open
    element of its name and is ignored when none is open."""

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.open: list[str] = []
        self.counts: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_ELEMENTS:
            return
        self.open.append(tag)
        self.counts[tag] += 1
        if len(self.open) > self.limit:
            raise _TooDeep

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return  # opened and closed at once

    def handle_endtag(self, tag: str) -> None:
        if not self.counts[tag]:
            return
        while True:  # each pop undoes one push: linear over the whole page
            name = self.open.pop()
            self.counts[name] -= 1
            if name == tag:
                return


def html_too_deep(raw: bytes | str, limit: int) -> bool:
    """Whether elements in the HTML page ``raw`` nest more than ``limit`` deep. Reads the tags
    only, keeps no more than ``limit`` open names and stops as soon as the limit is passed."""
    # Tags are ASCII in every encoding Beautiful Soup would detect here but UTF-16, whose pages
    # the check after parsing still catches.
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if text.count("<") <= limit:
        return False  # too few tags to nest that deep
    scan = _DepthScan(limit)
    try:
        scan.feed(text)
        scan.close()
    except _TooDeep:
        return True
    return False
