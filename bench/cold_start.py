"""Cold start of `citebot ask` on the built-in knowledge base: a new process per question.

The first run builds and saves the index; later runs load it. Target: under 1 s from a cold start
on a 2-core machine. Run: python bench/cold_start.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import report


def timed_ask(question: str, state_dir: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"} | {"CITEBOT_STATE_DIR": state_dir}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "ask", question], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    question = "How does the mother's gut shape the antibodies in her milk?"
    with tempfile.TemporaryDirectory() as state:
        first = timed_ask(question, state)
        cached = sorted(timed_ask(question, state) for _ in range(args.runs))
    rows = [
        ("first run (builds and saves the index)", first),
        (f"later runs, median of {args.runs}", statistics.median(cached)),
        (f"later runs, slowest of {args.runs}", cached[-1]),
    ]
    text = "\n".join(
        [
            report.header("`citebot ask` cold start, built-in corpus", "python bench/cold_start.py"),
            report.table(["run", "seconds"], [(name, f"{seconds:.2f}") for name, seconds in rows]),
        ]
    )
    print(text)
    report.write("cold_start.md", text)


if __name__ == "__main__":
    main()
