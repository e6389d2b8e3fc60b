"""What developers paste into a question, read for the words that say what it is about: a link to
the documentation ("https://…/templates/#whitespace-control what does the minus do") is the page and
section it names, and a traceback's frame lines (``File "app.py", line 5, in <module>``) are where
the error passed, not what it is. Left as they are, a link's "https", "com" and "stable" and a
frame's "py", "usr" and "lib" read as the subject of the question: words the documents never use
or name only in passing."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

# A web address as members paste it, up to a space or a closing bracket or quote around it.
_LINK = re.compile(r"<?\bhttps?://[^\s<>\"'`]+>?", re.IGNORECASE)
# A frame of a Python traceback, and the line that opens one.
_FRAME = re.compile(r"\bFile \"[^\"\n]*\", line \d+(?:, in [^\s\"]+)?")
_TRACEBACK = re.compile(r"\bTraceback \(most recent call last\):?")
# A page's name without the suffix its site gives it.
_PAGE_SUFFIX = re.compile(r"\.(?:html?|php|aspx?|md|rst|txt)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_+.%]+")


def searchable(text: str) -> str:
    """``text`` with each link read as the words of its page and section and a traceback's frame
    lines left out; ``text`` itself when nothing else would be left."""
    read = _TRACEBACK.sub(" ", _FRAME.sub(" ", _LINK.sub(lambda found: _link_words(found.group()), text)))
    read = " ".join(read.split())
    return read if any(ch.isalnum() for ch in read) else text


def _link_words(link: str) -> str:
    """The words a link to a documentation page names: its last path part and its fragment
    (``…/en/stable/templates/#whitespace-control`` -> "templates whitespace control")."""
    try:
        parts = urlsplit(link.strip("<>").rstrip(".,;:!?)"))
    except ValueError:  # not an address after all ("http://[" opens an IPv6 host never closed)
        return " "
    page = next((part for part in reversed(unquote(parts.path).split("/")) if part), "")
    page = _PAGE_SUFFIX.sub("", page)
    if page.lower() in {"index", "default", "home", "latest", "stable"}:
        page = ""
    words = " ".join(_SEPARATORS.sub(" ", piece) for piece in (page, unquote(parts.fragment)))
    return f" {' '.join(words.split())} "
