"""The built-in article asked in members' everyday words (tests/knowledge/everyday_questions.yaml):
the tune and test halves side by side, and the seed set for comparison. Only the tune half's failures
are listed, so that settings are chosen without looking at the test half. Run:
python bench/everyday_eval.py"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/everyday_eval.py` from a checkout
    sys.path.insert(0, str(ROOT))

from knowledge import KnowledgeBase  # noqa: E402
from knowledge.assistant import Assistant  # noqa: E402
from knowledge.evaluation import SetReport, load_question_set, run_question_set  # noqa: E402

EVERYDAY = ROOT / "tests" / "knowledge" / "everyday_questions.yaml"
SEED = ROOT / "tests" / "knowledge" / "seed_questions.yaml"
RESULTS = Path(__file__).with_name("results") / "everyday_eval.md"


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({count / total if total else 0:.0%})"


def _row(name: str, report: SetReport) -> str:
    answerable, off_topic = len(report.answerable), len(report.off_topic)
    return (
        f"| {name} | {_share(report.right, answerable)} | {_share(report.wrongly_declined, answerable)} "
        f"| {_share(report.wrong_section, answerable)} | {_share(report.off_topic_answered, off_topic)} |"
    )


def main() -> None:
    everyday, seed = load_question_set(EVERYDAY), load_question_set(SEED)
    with tempfile.TemporaryDirectory() as state:
        # As `citebot eval` asks: the assistant, here with an empty glossary and no curated answers.
        ask = Assistant.with_state(KnowledgeBase.default(state_dir=state), state).ask
        tune = run_question_set(ask, everyday, half="tune")
        test = run_question_set(ask, everyday, half="test")
        seed_report = run_question_set(ask, seed)
    source = [o for o in (*tune.answerable, *test.answerable) if "source" in o.question.sections]
    lines = [
        f"Built-in article in members' words, {EVERYDAY.relative_to(ROOT)} — {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}. "
        "Reproduce: `python bench/everyday_eval.py` (or `citebot eval FILE --half tune`).",
        "",
        "Settings are chosen on the tune half only; the test half is the figure to report. An answer "
        "counts as answered from the section of the passage its lead sentence quotes.",
        "",
        "| set | answered from a right section | wrongly declined | answered from a wrong section "
        "| off-topic answered |",
        "|---|---|---|---|---|",
        _row("everyday, tune half", tune),
        _row("everyday, test half", test),
        _row(f"seed set ({SEED.name})", seed_report),
        "",
        "Questions about the source (`section: source`: authors, journal, year, DOI) answered from the "
        "article's front matter: "
        f"{_share(sum(o.right for o in source), len(source))} (both halves).",
        "",
        "Failures of the tune half:",
        *(
            f"- {o.question.question} — {o.describe()}"
            + (" (off-topic)" if o.question.off_topic else f" (expected: {', '.join(o.question.sections)})")
            for o in tune.failures
        ),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
