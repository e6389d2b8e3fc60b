"""YAML documents built to expand ("billion laughs") or to nest deeply, for the tests of every path
that reads YAML: a valid document with one value made of anchors and aliases, and where the first
anchor is."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import strategies as st

# A name YAML accepts for an anchor.
_ANCHOR = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)


@dataclass(frozen=True)
class Bomb:
    """A document and the 1-based line of its first anchor (or of the nesting that goes too deep)."""

    text: str
    line: int


def laughs(levels: int = 9, width: int = 9) -> tuple[list[str], str]:
    """The classic: ``levels`` anchored lists each holding ``width`` aliases of the one before, as
    top-level keys, and the alias of the last (``width**(levels-1)`` times "lol" once expanded)."""
    lines = ['l0: &l0 "lol"']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return lines, f"*l{levels - 1}"


def bomb_text(template: str, levels: int = 9, width: int = 9) -> str:
    """``template`` (with ``{value}``) whose value is the classic bomb."""
    header, value = laughs(levels, width)
    return "\n".join(header) + "\n" + template.replace("{value}", value)


def _where(text: str, mark: str) -> Bomb:
    return Bomb(text, text[: text.index(mark)].count("\n") + 1)


@st.composite
def alias_documents(draw: st.DrawFn, template: str) -> Bomb:
    """``template`` — a valid YAML mapping with one ``{value}`` — with anchors and aliases in it: a
    chain of lists of varying depth and width defined as extra top-level keys (the bomb), a flow
    list repeating one anchored value, or a merge key."""
    levels, width = draw(st.integers(1, 7)), draw(st.integers(1, 9))
    names = draw(st.lists(_ANCHOR, min_size=levels, max_size=levels, unique=True))
    text = draw(st.text("lo", min_size=1, max_size=5))
    style = draw(st.sampled_from(["chain", "flow", "merge"]))
    if style == "flow":
        value = f"[&{names[0]} {text}" + f", *{names[0]}" * width + "]"
        return _where(template.replace("{value}", value), "&")
    header = [f"x_{names[0]}: &{names[0]} {text}"]
    for before, name in itertools.pairwise(names):
        header.append(f"x_{name}: &{name} [" + ", ".join([f"*{before}"] * width) + "]")
    value = f"*{names[-1]}"
    if style == "merge":
        header.append(f"x_base: &base {{k: {value}}}")
        value = "{<<: *base}"
    return _where("\n".join(header) + "\n" + template.replace("{value}", value), "&")


@st.composite
def deep_documents(draw: st.DrawFn, template: str) -> Bomb:
    """``template`` with its value nested in more flow lists than are accepted (41 to 300)."""
    depth = draw(st.integers(41, 300))
    return _where(template.replace("{value}", "[" * depth + "x" + "]" * depth), "[")


# A line of plain text, as the formats store it (no leading or trailing spaces, single spaces).
words = st.from_regex(r"[A-Za-z][A-Za-z0-9,.?!']{0,11}( [A-Za-z0-9,.?!']{1,12}){0,6}", fullmatch=True)
