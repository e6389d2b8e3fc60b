"""The API objects a MyST page's directive fences document (```` ```{py:function} name ````,
``:::{confval} key``…), found in its source and placed in the text :mod:`knowledge.myst` wrote,
where each such fence became its signature as a code span over its body."""

from __future__ import annotations

import re
from typing import Any

from .rst import API_DIRECTIVES
from .rst_api import ApiRecorder, api_marker, names_an_object

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
