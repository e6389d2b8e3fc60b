"""Hard-wrapped lines joined back into the sentences they are.

Markdown files are often wrapped at 72-80 columns; Markdown reads a line break inside a paragraph as
a space, but a chat shows it as a break in mid-sentence. Only such soft breaks are joined: a blank
line, a hard break (two trailing spaces or a backslash), a line ending in a colon (it introduces
what follows), a line that starts a block of its own (list item, heading, quote, table row,
definition, fence) and anything in a fenced code block keep their line.
"""

from __future__ import annotations

import re

from .code import fenced_blocks

# A line that starts a block of its own, so the break before it is kept: a list item, heading,
# quote, table row, definition (":   text"), HTML tag, fence or setext/rule underline.
_BLOCK_START = re.compile(r"[ \t]*(?:[-*+•][ \t]|\d{1,9}[.)][ \t]|#|>|\||:[ \t]|<|```|~~~|(=+|-+)[ \t]*$)")
# A line that is a block of its own, so the break after it is kept: a heading, a table row, a fence.
_BLOCK_LINE = re.compile(r"[ \t]*(?:#|\||```|~~~)|.*[ \t]\|[ \t]")


def soft_breaks(text: str) -> list[int]:
    """Offsets of the line breaks in ``text`` that Markdown reads as spaces (see the module)."""
    code = fenced_blocks(text) if "```" in text or "~~~" in text else []
    found = []
    for match in re.finditer("\n", text):
        at = match.start()
        if any(start <= at < end for start, end in code):
            continue
        line_start = text.rfind("\n", 0, at) + 1
        line = text[line_start:at]
        next_end = text.find("\n", at + 1)
        following = text[at + 1 : next_end if next_end >= 0 else len(text)]
        if not line.strip() or not following.strip():
            continue  # a blank line: a new paragraph
        # A hard break; or a line that introduces what follows ("Options:"), as an answer quoting
        # a list or a definition under it sets them out.
        if line.endswith(("  ", "\\", ":")) or _BLOCK_LINE.match(line) or _BLOCK_START.match(following):
            continue
        if " | " in following:  # a table row without its leading bar
            continue
        found.append(at)
    return found


def unwrap(text: str) -> tuple[str, list[int]]:
    """``text`` with each soft line break (and the spaces around it) made one space, and where each
    offset of ``text`` is in the result (``len(text) + 1`` entries), so spans can follow."""
    breaks = soft_breaks(text) if "\n" in text else []
    if not breaks:
        return text, list(range(len(text) + 1))
    out: list[str] = []
    where: list[int] = []
    pos = 0
    for at in breaks:
        start = at
        while start > pos and text[start - 1] in " \t":
            start -= 1
        end = at + 1
        while end < len(text) and text[end] in " \t":
            end += 1
        for i in range(pos, start):
            where.append(len(out))
            out.append(text[i])
        joined = len(out)
        out.append(" ")
        where += [joined] * (end - start)
        pos = end
    for i in range(pos, len(text)):
        where.append(len(out))
        out.append(text[i])
    where.append(len(out))
    return "".join(out), where
