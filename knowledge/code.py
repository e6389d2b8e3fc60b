"""Where code is in Markdown-ish text: fenced blocks and inline code spans.

Code is quoted as written: it is never split into sentences and never gets marks inside, since
Discord shows ``**`` inside code as literal asterisks.
"""

from __future__ import annotations

import re

_FENCE_LINE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*$", re.M)
# An inline code span: a run of backticks, then text (not across a blank line), then the same run.
_INLINE = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n)[^`]|`(?!\1))+?)(?<!`)\1(?!`)")


def fenced_blocks(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each fenced code block in ``text[start:end]``, fences included; a block
    left open runs to ``end``."""
    end = len(text) if end is None else end
    blocks: list[tuple[int, int]] = []
    opening: re.Match[str] | None = None
    for line in _FENCE_LINE.finditer(text, start, end):
        if opening is None:
            opening = line
        elif _closes(line, opening):
            blocks.append((opening.start(), line.end()))
            opening = None
    if opening is not None:
        blocks.append((opening.start(), end))
    return blocks


def _closes(line: re.Match[str], opening: re.Match[str]) -> bool:
    """A closing fence: the opening's character, at least as many, and nothing else on the line."""
    fence = line.group(1)
    same = fence[0] == opening.group(1)[0] and len(fence) >= len(opening.group(1))
    return same and line.group().strip() == fence


def code_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every stretch of code in ``text[start:end]``, in order: fenced blocks and
    inline code spans (backticks included)."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for block_start, block_end in [*fenced_blocks(text, start, end), (end, end)]:
        spans += [m.span() for m in _INLINE.finditer(text, pos, block_start)]
        if block_end > block_start:
            spans.append((block_start, block_end))
        pos = block_end
    return spans


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` overlaps one of ``spans`` (sorted, as :func:`code_spans` gives)."""
    return any(s < end and start < e for s, e in spans)


def block_language(block: str) -> str | None:
    """The language of a fenced block (``""`` when it names none); None when ``block`` is not one
    whole fenced block."""
    stripped = block.strip()
    spans = fenced_blocks(stripped)
    if len(spans) != 1 or spans[0] != (0, len(stripped)):
        return None
    return _FENCE_LINE.match(stripped).group(2)  # type: ignore[union-attr]
