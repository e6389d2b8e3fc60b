"""Admonition boxes in Markdown docs (Python-Markdown's and MkDocs' ``!!! note "Title"``, the
collapsible ``??? note`` of pymdownx.details, and the content tabs ``=== "Python"`` of
pymdownx.tabbed) read as the text they show.

The box's header line is markup, not text: left in, it shows as ``!!! note "Important"`` in an answer
and its body, indented four spaces, reads as code to Discord. The box becomes its title and body,
dedented, as a reST admonition does (knowledge.rst): "Important: Python-Markdown expects a Unicode
string ...". Fenced code blocks are left alone, so a page that shows the syntax keeps showing it.
"""

from __future__ import annotations

import re

from .code import fenced_blocks

_HEADER = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?:!!!|\?\?\?\+?)[ \t]+(?P<kind>[\w-]+)(?:[ \t]+[\w-]+)*"
    r"(?:[ \t]+\"(?P<title>[^\"\n]*)\")?|===\+?[ \t]+\"(?P<tab>[^\"\n]*)\")[ \t]*$"
)
_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|```|~~~|\||>)")


def _body_lines(lines: list[str], start: int, indent: str) -> tuple[list[str], int]:
    """The lines of the box opened at ``lines[start - 1]``: blank ones and those indented four
    columns (or a tab) past the header, dedented; and the index of the first line after them."""
    deeper = (indent + "    ", indent + "\t")
    body, end = [], start
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line.startswith(deeper):
            break
        width = 1 if line.startswith(indent + "\t") else 4
        body.append(line[len(indent) + width :] if line.strip() else "")
        end += 1
    while body and not body[-1]:  # trailing blank lines belong after the box
        body.pop()
        end -= 1
    return body, end


def unfold_admonitions(text: str) -> str:
    """``text`` with every admonition box outside fenced code written as its label and body."""
    if "!!!" not in text and "???" not in text and "===" not in text:
        return text
    fences = fenced_blocks(text)
    lines = text.split("\n")
    out: list[str] = []
    offset, i = 0, 0
    while i < len(lines):
        line = lines[i]
        header = _HEADER.match(line)
        in_code = any(start <= offset < end for start, end in fences)
        if header is None or in_code:
            out.append(line)
            offset += len(line) + 1
            i += 1
            continue
        body, end = _body_lines(lines, i + 1, header["indent"])
        body = unfold_admonitions("\n".join(body)).split("\n") if body else []  # boxes inside boxes
        title = header["title"] if header["tab"] is None else header["tab"]
        label = header["kind"].replace("-", " ").capitalize() if title is None else title.strip()
        first = body[0] if body else ""
        if label and first and not _BLOCK_START.match(first):
            out.append(f"{header['indent']}{label}: {first.strip()}")
            body = body[1:]
        elif label:
            out.append(f"{header['indent']}{label}:")
        out.extend(header["indent"] + b if b else "" for b in body)
        offset += sum(len(x) + 1 for x in lines[i:end])
        i = end
    return "\n".join(out)


def admonition_depth(text: str) -> int:
    """How deeply admonition boxes nest in ``text`` (0: none), in one pass and without unfolding
    them: :func:`unfold_admonitions` copies a box's body once per level. Boxes shown inside fenced
    code count too; the count is never lower than what unfolding would meet."""
    if "!!!" not in text and "???" not in text and "===" not in text:
        return 0
    open_indents: list[str] = []  # the indent of each open box's header line
    deepest = 0
    for line in text.split("\n"):
        if not line.strip():
            continue  # blank lines belong to the box they are in
        while open_indents and not line.startswith((open_indents[-1] + "    ", open_indents[-1] + "\t")):
            open_indents.pop()
        header = _HEADER.match(line)
        if header is not None:
            open_indents.append(header["indent"])
            deepest = max(deepest, len(open_indents))
    return deepest
