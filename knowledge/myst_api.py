"""The API objects a MyST page's directive fences document (```` ```{py:function} name ````,
``:::{confval} key``…), found in its source and placed in the text :mod:`knowledge.myst` wrote,
where each such fence became its signature as a code span over its body."""

from __future__ import annotations

import re
from typing import Any

from .rst import API_DIRECTIVES
from .rst_api import ApiRecorder, api_marker, names_an_object

# A "#" heading line.
_HEADING = re.compile(r"^#{1,6}[ \t]+[^\n]*?[ \t]*$", re.M)
# A directive fence's opening line: its marker (``` or :::, three or more), name and argument.
_FENCE = re.compile(
    r"^[ \t]*(?P<marker>`{3,}|:{3,})\{(?P<name>[A-Za-z][\w:+.-]*)\}[ \t]*(?P<arg>[^\n]*)$", re.M
)


def myst_objects(source: str, text: str) -> list[list[Any]]:
    """``[offset, role, full name, anchor, body]`` of each object the directive fences of the MyST
    ``source`` document, with its offset in ``text``, the page as read (an object whose signature
    is not found there is left out). Fences nested in a class's fence are its members."""
    recorder = ApiRecorder()
    closes: list[tuple[int, int]] = []  # (where a class's fence ends in source, scope depth before it)
    position = 0
    for fence in _FENCE.finditer(source):
        while closes and closes[-1][0] <= fence.start():
            del recorder.scope[closes.pop()[1] :]
        short = fence.group("name").lower().rsplit(":", 1)[-1]
        if short in {"eval-rst", "eval-rest"}:
            position = _eval_rst_objects(source, fence, text, position, recorder)
            continue
        body = short in API_DIRECTIVES
        argument = fence.group("arg").strip()
        marker = api_marker(short, argument, body) if body or names_an_object(short) else None
        if marker is None:
            continue
        if body:
            found = text.find(_code_span(argument), position)
            if found < 0:
                continue
            position = found
        depth = len(recorder.scope)
        recorder.record(marker, position)
        if marker["role"] not in {"module", "currentmodule"} and len(recorder.scope) > depth:
            # a class: its members are the fences before its close
            closes.append((_fence_end(source, fence), depth))
    return recorder.objects


def _eval_rst_objects(
    source: str, fence: re.Match[str], text: str, position: int, recorder: ApiRecorder
) -> int:
    """Record the objects an ``{eval-rst}`` block's reST documents (autodoc has no MyST form), at
    their offsets where :mod:`knowledge.myst` wrote the block's text; where that text starts (else
    ``position``), from which the next fence's text is looked for."""
    from .rst import rst_to_text

    closing = _fence_end(source, fence)
    body = source[fence.end() : source.rfind("\n", fence.end(), closing) + 1].strip("\n")
    parsed = rst_to_text(body, "<eval-rst>")
    written = parsed.text.strip()
    # Bare autodoc writes nothing: its objects stand at the start of the section the block is in.
    where = text.find(written, position) if written else _section_start(source, fence, text, position)
    if where < 0:
        return position
    lead = len(parsed.text) - len(parsed.text.lstrip())
    for offset, *rest in parsed.objects:
        recorder.objects.append([where + max(offset - lead, 0), *rest])
    return where


def _section_start(source: str, fence: re.Match[str], text: str, position: int) -> int:
    """Where in ``text`` the body of the section holding ``fence`` starts: after the last heading
    before it (found as the page wrote it), else ``position``."""
    headings = _HEADING.findall(source, 0, fence.start())
    found = text.find(headings[-1], position) if headings else -1
    if found < 0:
        return position
    after = found + len(headings[-1])
    return after + len(text[after:]) - len(text[after:].lstrip())


def _fence_end(source: str, fence: re.Match[str]) -> int:
    """Where the fence opened by ``fence`` closes: a line of as many of its marker characters or
    more (fences inside it use fewer); the end of ``source`` when it never does."""
    marker = fence.group("marker")
    close = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.M)
    found = close.search(source, fence.end())
    return found.end() if found else len(source)


def _code_span(code: str) -> str:
    ticks = "``" if "`" in code else "`"
    return f"{ticks}{code}{ticks}"
