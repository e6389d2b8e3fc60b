"""Tables written as rows a member can read, whatever markup they came from (reST grid, simple and
list tables through knowledge.rst; Markdown pipe tables and MyST list tables through knowledge.myst).

A table's markup (``| a | b |``, ``+---+``) shows raw in an answer, and a row quoted alone loses
what its cells mean. Each row becomes one list item, so the chunker splits sentences between rows
and an answer can quote one row; a table with a header names each cell by its column:
"- Option: `--count`; Meaning: how many times". Without a header the cells are joined with dashes:
"- `--count` — how many times".
"""

from __future__ import annotations

from collections.abc import Sequence


def _clean(cell: str) -> str:
    return " ".join(cell.split())


def table_rows(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The rows of a table as list items, each cell named by its column's header when there is one;
    empty cells are left out, and so are rows with nothing in them. ``""`` for a table with no text."""
    names = [_clean(name) for name in header]
    lines = []
    for row in rows:
        cells = [_clean(cell) for cell in row]
        if not any(cells):
            continue
        if any(names):
            named = (
                f"{names[i]}: {cell}" if i < len(names) and names[i] else cell
                for i, cell in enumerate(cells)
                if cell
            )
            lines.append("- " + "; ".join(named))
        else:
            lines.append("- " + " — ".join(cell for cell in cells if cell))
    if not lines and any(names):  # a header alone still says what the table is about
        lines.append("- " + " — ".join(name for name in names if name))
    return "\n".join(lines)
