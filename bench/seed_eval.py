"""The built-in article's question set: section accuracy of the answers, and how well citebot
declines off-topic questions. Run: python bench/seed_eval.py"""

from __future__ import annotations

import os
import platform
import tempfile
from datetime import date
from pathlib import Path

import yaml

from knowledge import KnowledgeBase
from knowledge.evaluation import evaluate

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "tests" / "knowledge" / "seed_questions.yaml"
RESULTS = Path(__file__).with_name("results") / "seed_eval.md"


def main() -> None:
    questions = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as state:
        report = evaluate(
            KnowledgeBase.default(state_dir=state), questions["answerable"], questions["off_topic"]
        )
    lines = [
        f"Built-in article, {QUESTIONS.relative_to(ROOT)} — {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {date.today()}. Reproduce: `python bench/seed_eval.py`",
        "",
        "| measure | value |",
        "|---|---|",
        *(
            f"| {name} | {count}/{total} ({count / total if total else 0:.0%}) |"
            for name, count, total in (
                ("answerable questions answered", report.answered, report.answerable),
                ("top-1 section right", report.top1, report.answerable),
                ("top-3 sections include the right one", report.top3, report.answerable),
                ("off-topic questions declined", report.declined, report.off_topic),
            )
        ),
        "",
        "Answered from another section first, declined, or answered though off-topic:",
        *(f"- {question}" for question in report.misses),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
