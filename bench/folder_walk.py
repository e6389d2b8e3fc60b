"""The knowledge folder walk at scale: a folder of two documents among 200,000 files that are not
documents, with a `.git` folder and a `node_modules` folder beside them.

Measures the first load (walk, read, index, save), a later start (the walk that checks the folder
for changes, then the saved index loaded) and the change check alone, and counts the warnings
logged. Run: python bench/folder_walk.py [--files 200000] [--label after]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge import KnowledgeBase
from knowledge.kb import folder_fingerprint

RESULTS = Path(__file__).with_name("results") / "folder_walk.md"
DOC = "# Storage\n\nExpressed milk keeps four days in a refrigerator and six months in a freezer.\n"
PER_FOLDER = 1_000


def make_folder(root: Path, files: int) -> None:
    """``files`` empty files, three quarters ``.png`` and the rest ``.json``, a thousand a folder;
    two documents; 20,000 files under ``.git`` and 10,000 under ``node_modules``."""
    for name in ("a.md", "guides/b.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(DOC, encoding="utf-8")
    others = files - 2
    for number in range(others):
        folder = root / "assets" / f"{number // PER_FOLDER:04d}"
        if number % PER_FOLDER == 0:
            folder.mkdir(parents=True)
        suffix = ".png" if number < others * 3 // 4 else ".json"
        (folder / f"{number}{suffix}").touch()
    for hidden, count in ((".git/objects", 20_000), ("node_modules", 10_000)):
        for number in range(count):
            folder = root / hidden / f"{number // PER_FOLDER:02d}"
            if number % PER_FOLDER == 0:
                folder.mkdir(parents=True)
            (folder / f"{number}.md").touch()


class Counting(logging.Handler):
    """Counts the warnings logged."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.longest = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        message = record.getMessage()
        if "skipped" in message:
            self.longest = message


def timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--label", default="after", help="the results section to write (before/after)")
    args = parser.parse_args()
    counting = Counting()
    logging.getLogger("knowledge").addHandler(counting)
    with tempfile.TemporaryDirectory() as tmp:
        root, state = Path(tmp) / "knowledge", Path(tmp) / "state"
        made, _ = timed(lambda: make_folder(root, args.files))
        print(f"made {args.files:,} files in {made:.1f} s", file=sys.stderr)
        first, kb = timed(lambda: KnowledgeBase.from_folder(root, state_dir=state))
        warnings, counting.count = counting.count, 0
        again = [timed(lambda: KnowledgeBase.from_folder(root, state_dir=state))[0] for _ in range(args.runs)]
        later = sorted(again)
        check = sorted(timed(lambda: folder_fingerprint(root, None, 800))[0] for _ in range(args.runs))
    rows = [
        ("first load: walk, read, index, save", f"{first:.2f}"),
        ("warnings logged by the first load", f"{warnings:,}"),
        (f"later start, median of {args.runs}", f"{statistics.median(later):.2f}"),
        (f"change check alone, median of {args.runs}", f"{statistics.median(check):.2f}"),
        ("documents loaded", f"{len(kb.documents)}"),
    ]
    section = [
        f"## {args.label}",
        "",
        f"{args.files:,} files ({PER_FOLDER:,} a folder) + 30,000 under `.git` and `node_modules`; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {date.today()}",
        "",
        "| measure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
        f"Warning: `{re.sub(r'/[^:]*knowledge', '<folder>', counting.longest)}`" if counting.longest else "",
    ]
    text = "\n".join(section).rstrip() + "\n"
    print(text)
    write_section(args.label, text)


def write_section(label: str, text: str) -> None:
    """Replace the ``## label`` section of the results file, keeping the others."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# The knowledge folder walk\n\n"
    sections = re.split(r"(?m)^(?=## )", old)
    kept = [s for s in sections if not s.startswith(f"## {label}\n")]
    head, rest = kept[0], sorted([*kept[1:], text + "\n"], key=lambda s: not s.startswith("## before"))
    RESULTS.write_text(head + "".join(rest), encoding="utf-8")


if __name__ == "__main__":
    main()
