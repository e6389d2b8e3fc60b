"""YAML alias bombs and deep nesting: what reading one cost before (``yaml.safe_load`` with libyaml,
then a field turned into text, as the state files did) and what refusing it costs now
(:mod:`knowledge.safe_yaml`); and what the new loader costs on an ordinary curated.yaml.

Run: python bench/yaml_bombs.py [--answers 500]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import report
import yaml

from knowledge import safe_yaml
from knowledge.curated import CuratedAnswer, Revision
from knowledge.curated.yaml_format import dump_curated

C_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def laughs(levels: int, width: int = 9) -> str:
    lines = ['l0: &l0 "lol"']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nanswer: *l{levels - 1}\n"


def old_way(text: str) -> int:
    """Load as before and turn the field into text, as the curated format did with a history step."""
    return len(str(yaml.load(text, Loader=C_LOADER)["answer"]))


def refused_in(text: str) -> float:
    started = time.perf_counter()
    try:
        safe_yaml.load(text)
    except safe_yaml.RefusedYAML:
        return time.perf_counter() - started
    raise AssertionError("not refused")


def bombs() -> list[tuple]:
    rows = []
    for levels in (6, 7, 8, 9):
        text = laughs(levels)
        expanded, seconds = report.timed(lambda text=text: old_way(text))
        peak = report.peak_traced_mb(lambda text=text: old_way(text))
        rows.append(
            (
                f"{levels} levels of 9",
                len(text.encode()),
                expanded,
                f"{seconds:.2f} s, {peak:,.0f} MiB",
                f"{refused_in(text) * 1e6:.0f} µs",
            )
        )
    return rows


def deep(depth: int) -> tuple:
    text = "[" * depth + "]" * depth
    code = "import sys, yaml; yaml.load(sys.stdin.read(), Loader=yaml.CSafeLoader)"
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], input=text.encode(), capture_output=True, timeout=300
        )
        before = f"{time.perf_counter() - started:.2f} s" + (
            "" if done.returncode == 0 else f", process killed (exit {done.returncode})"
        )
    except subprocess.TimeoutExpired:
        before = "over 300 s"
    return (f"{depth:,} nested lists", len(text), before, f"{refused_in(text) * 1e6:.0f} µs")


def ordinary(answers: int) -> tuple[str, list[tuple]]:
    entries = [
        CuratedAnswer(
            id=i,
            question=f"How do I store milk number {i}?",
            answer=f"In the fridge for up to four days.\n\n- label it {i}\n- use the oldest first",
            phrasings=[f"storing milk {i}?", f"milk in the fridge {i}?"],
            author="mod (123456789012345678)",
            created="2026-01-01T10:00:00+00:00",
            updated="2026-01-02T10:00:00+00:00",
            history=[Revision("2026-01-01T10:00:00+00:00", "mod", "created", note="from a question")] * 3,
        )
        for i in range(1, answers + 1)
    ]
    text = dump_curated(entries)
    loaders = {
        "before: libyaml (CSafeLoader)": lambda: yaml.load(text, Loader=C_LOADER),
        "now: libyaml parser, guarded composer (safe_yaml)": lambda: safe_yaml.load(text),
        "pure-Python SafeLoader (front matter before)": lambda: yaml.load(text, Loader=yaml.SafeLoader),
    }
    rows = []
    for name, load in loaders.items():
        times = [report.timed(load)[1] for _ in range(5)]
        rows.append((name, f"{statistics.median(times) * 1000:.0f} ms"))
    return f"curated.yaml of {answers} answers, {len(text.encode()) / 1024:,.0f} KB", rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=500)
    args = parser.parse_args()
    file, loads = ordinary(args.answers)
    columns = [
        "document",
        "bytes",
        "characters once expanded",
        "before: time, peak memory",
        "now: refused in",
    ]
    text = "\n\n".join(
        [
            report.header("YAML alias bombs and deep nesting", "python bench/yaml_bombs.py"),
            "Alias bombs (a field turned into text, as the curated format did with a history step):",
            report.table(columns, bombs()),
            "Deep nesting (libyaml's composer, before; a child process, as it may crash):",
            report.table(
                ["document", "bytes", "before", "now: refused in"], [deep(d) for d in (1_000, 100_000)]
            ),
            f"An ordinary file, {file} (median of 5 loads):",
            report.table(["loader", "time"], loads),
        ]
    )
    print(text)
    report.write("yaml_bombs.md", text)


if __name__ == "__main__":
    main()
