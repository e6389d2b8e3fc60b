"""Deeply nested uploads: time and peak memory of `/kb add`'s check on hostile files, refused on
their nesting depth before any parser builds a tree, and on the deepest and largest files still
accepted.

Each case runs in a fresh process (`check_upload`, the check every upload goes through): once for
the time and the process's peak resident memory above what it held before the check, once under
tracemalloc for the peak Python allocation. `--unguarded` also runs the hostile files with the
depth scans switched off, as before they existed (minutes, and gigabytes).
Run: python bench/deep_uploads.py [--unguarded]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import report

from knowledge.documents import MAX_ADMONITION_DEPTH, MAX_RST_DEPTH

MB = 1024 * 1024


def _indented_lines(unit: str, step: int, size: int, tail: str = "") -> str:
    """Lines of ``unit``, each indented ``step`` more than the one before, up to ``size`` bytes."""
    lines, total, level = [], 0, 0
    while total < size:
        line = " " * (step * level) + unit
        lines.append(line)
        total += len(line)
        level += 1
    return "".join(lines) + " " * (step * level) + tail


def _nested_sections(levels: int, size: int) -> str:
    """Indented blocks ``levels`` deep, then paragraphs at the deepest level up to ``size``."""
    head = "".join(" " * i + f"Level {i} of the guide.\n\n" for i in range(levels))
    para = " " * levels + "Expressed milk keeps for four days in the fridge.\n\n"
    return head + para * ((size - len(head)) // len(para))


def _wide_html(size: int) -> str:
    unit = "<section><h2>Storage</h2><p>Expressed milk keeps for <b>four</b> days.</p></section>"
    return "<html><body>" + unit * (size // len(unit))


def _boxes(levels: int, size: int) -> str:
    head = "".join("    " * i + f'!!! note "Level {i}"\n' for i in range(levels))
    para = "    " * levels + "Expressed milk keeps for four days in the fridge.\n"
    return "# Boxes\n\n" + head + para * ((size - len(head)) // len(para))


# name: (what it is, file name, content maker, expected to be refused)
CASES: dict[str, tuple[str, str, Callable[[], str], bool]] = {
    "rst-quotes": (
        "reST, each line indented one more (1,700 block quotes)",
        "deep.rst",
        lambda: _indented_lines("text\n\n", 1, int(1.45 * MB)),
        True,
    ),
    "rst-directives": (
        "reST, `.. note::` in `.. note::` (about 1,000 levels)",
        "notes.rst",
        lambda: _indented_lines(".. note::\n\n", 3, int(1.5 * MB), "text\n"),
        True,
    ),
    "rst-lists": ("reST, `- - - ... item` on one line (900,000)", "lists.rst", lambda: "- " * 900_000, True),
    "html-divs": ("HTML, 400,000 nested `<div>`s", "deep.html", lambda: "<div>" * 400_000 + "text", True),
    "md-boxes": (
        "Markdown, admonition in admonition (865 levels)",
        "boxes.md",
        lambda: _indented_lines("!!! note\n", 4, int(1.5 * MB), "text\n"),
        True,
    ),
    "rst-flat": ("reST, 1.9 MB of paragraphs", "flat.rst", lambda: _nested_sections(0, int(1.9 * MB)), False),
    "rst-at-limit": (
        f"reST nested {MAX_RST_DEPTH} levels (the limit), 1.9 MB",
        "fine.rst",
        lambda: _nested_sections(MAX_RST_DEPTH, int(1.9 * MB)),
        False,
    ),
    "html-wide": ("HTML, 1.9 MB of sections in a row", "wide.html", lambda: _wide_html(int(1.9 * MB)), False),
    "md-at-limit": (
        f"Markdown boxes nested {MAX_ADMONITION_DEPTH} levels (the limit), 1.9 MB",
        "fine.md",
        lambda: _boxes(MAX_ADMONITION_DEPTH, int(1.9 * MB)),
        False,
    ),
}  # fmt: skip


def _unguard() -> None:
    """The loader as it was before the depth scans: every file goes to its parser."""
    import knowledge.documents as documents

    documents.rst_depth = lambda text: 0
    documents.html_too_deep = lambda raw, limit: False
    documents.admonition_depth = lambda text: 0


def run_case(name: str, measure: str, unguarded: bool) -> dict[str, object]:
    """One case in this process: its outcome and the measure asked for."""
    from knowledge.uploads import UploadError, check_upload

    if unguarded:
        _unguard()
    _, filename, make, _ = CASES[name]
    data = make().encode()
    if measure == "memory":
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        check_upload(filename, data)
        outcome = "accepted"
    except UploadError as exc:
        outcome = "refused: " + str(exc).split(";")[0]
    except RecursionError:
        outcome = "RecursionError"
    seconds = time.perf_counter() - started
    result: dict[str, object] = {"outcome": outcome, "bytes": len(data)}
    if measure == "memory":
        result["traced_mb"] = tracemalloc.get_traced_memory()[1] / MB
    else:
        result["seconds"] = seconds
        result["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    return result


def in_child(name: str, measure: str, unguarded: bool) -> dict[str, object]:
    command = [sys.executable, __file__, "--case", name, "--measure", measure]
    done = subprocess.run(command + (["--unguarded"] if unguarded else []), capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unguarded", action="store_true", help="also run the hostile files unguarded")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=["time", "memory"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.measure, args.unguarded)))
        return
    runs = [(name, False) for name in CASES]
    if args.unguarded:
        runs += [(name, True) for name, case in CASES.items() if case[3]]
    rows = []
    for name, unguarded in runs:
        timed = in_child(name, "time", unguarded)
        traced = in_child(name, "memory", unguarded)
        what = CASES[name][0] + (" — **unguarded**" if unguarded else "")
        rows.append(
            (
                what,
                f"{timed['bytes'] / MB:.2f} MB",
                timed["outcome"],
                f"{timed['seconds']:.2f}",
                f"{traced['traced_mb']:.1f}",
                f"{timed['rss_growth_mb']:.0f}",
            )
        )
        print(rows[-1], file=sys.stderr)
    columns = ["upload", "size", "outcome", "seconds", "peak traced MiB", "peak RSS growth MiB"]
    text = report.header("Deeply nested uploads", "python bench/deep_uploads.py --unguarded")
    text += "\n" + report.table(columns, rows) + "\n"
    print(text)
    report.write("deep_uploads.md", text)


if __name__ == "__main__":
    main()
