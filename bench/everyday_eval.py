"""The built-in article asked in members' everyday words: tests/knowledge/everyday_questions.yaml,
tests/knowledge/everyday_questions_fresh.yaml, everyday_questions_third.yaml and
everyday_questions_fourth.yaml (each written later, by other hands, before any tuning on it), their
tune and test halves side by side, lexical and with the meaning channel, and the seed set for
comparison. Only the tune halves' failures are listed, so that settings are chosen without looking at
the test halves. Run: python bench/everyday_eval.py"""

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

from bench.docs_eval import CACHE, test_model  # noqa: E402
from knowledge import KnowledgeBase  # noqa: E402
from knowledge.assistant import Assistant  # noqa: E402
from knowledge.evaluation import SetReport, load_question_set, run_question_set  # noqa: E402
from knowledge.semantic import SemanticOptions, attach  # noqa: E402

SETS = {
    "everyday": ROOT / "tests" / "knowledge" / "everyday_questions.yaml",
    "everyday, fresh": ROOT / "tests" / "knowledge" / "everyday_questions_fresh.yaml",
    "everyday, third": ROOT / "tests" / "knowledge" / "everyday_questions_third.yaml",
    "everyday, fourth": ROOT / "tests" / "knowledge" / "everyday_questions_fourth.yaml",
}
SEED = ROOT / "tests" / "knowledge" / "seed_questions.yaml"
RESULTS = Path(__file__).with_name("results") / "everyday_eval.md"
LEXICAL, MEANING = "lexical", "lexical + meaning"


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({count / total if total else 0:.0%})"


def _row(config: str, name: str, report: SetReport) -> str:
    answerable, off_topic = len(report.answerable), len(report.off_topic)
    return (
        f"| {config} | {name} | {_share(report.right, answerable)} "
        f"| {_share(report.wrongly_declined, answerable)} | {_share(report.wrong_section, answerable)} "
        f"| {_share(report.off_topic_answered, off_topic)} |"
    )


def _assistant(state: str, model: Path | None) -> Assistant:
    # As `citebot eval` asks: the assistant, here with an empty glossary and no curated answers.
    kb = KnowledgeBase.default(state_dir=state)
    if model is None:
        kb.semantic = None
    else:
        attach(kb, SemanticOptions(mode="on", model_path=model), state_dir=CACHE)
        if kb.semantic is None:
            raise SystemExit("the meaning channel could not be had from the test model")
    return Assistant.with_state(kb, state)


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder only: never reach the hub
    model = test_model()
    configurations: dict[str, Path | None] = {LEXICAL: None}
    if model is not None:
        configurations[MEANING] = model
    rows, failures, source = [], [], []
    seed = load_question_set(SEED)
    for config, config_model in configurations.items():
        with tempfile.TemporaryDirectory() as state:
            ask = _assistant(state, config_model).ask
            for name, path in SETS.items():
                questions = load_question_set(path)
                for half in ("tune", "test"):
                    report = run_question_set(ask, questions, half=half)
                    rows.append(_row(config, f"{name}, {half} half", report))
                    source += [o for o in report.answerable if "source" in o.question.sections]
                    if half == "tune":
                        failures += [(config, name, o) for o in report.failures]
            rows.append(_row(config, f"seed set ({SEED.name})", run_question_set(ask, seed)))
    lines = [
        f"Built-in article in members' words — {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {date.today()}. Reproduce: `python bench/everyday_eval.py` "
        "(or `citebot eval FILE --half test`, with `retrieval: {semantic: on, model_path: …}` in the "
        "config for the meaning rows).",
        "",
        "Settings are chosen on the tune halves only; the test halves are the figures to report. An "
        "answer counts as answered from the section of the passage its lead sentence quotes. "
        f"{SETS['everyday, fresh'].name} was written after the settings were chosen on the first set, "
        f"{SETS['everyday, third'].name} after they were chosen on the first two, "
        f"{SETS['everyday, fourth'].name} after they were chosen on the first three (its tune half then "
        "showed three questions about the source that were not read as such), each from the article "
        "alone. Configurations: "
        + ", ".join(configurations)
        + ("" if model is not None else " (the test model is not installed)")
        + ".",
        "",
        "| configuration | set | answered from a right section | wrongly declined "
        "| answered from a wrong section | off-topic answered |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "Questions about the source (`section: source`: authors, journal, year, DOI) answered from the "
        f"article's front matter: {_share(sum(o.right for o in source), len(source))} (both halves, "
        "every configuration).",
        "",
        "Failures of the tune halves:",
        *(
            f"- {config}, {name}: {o.question.question} — {o.describe()}"
            + (" (off-topic)" if o.question.off_topic else f" (expected: {', '.join(o.question.sections)})")
            for config, name, o in failures
        ),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
