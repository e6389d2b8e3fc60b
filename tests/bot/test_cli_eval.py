"""`citebot eval` as an operator runs it on their own documents: the report, the exit codes for
thresholds, a broken question set named with its line, and one half of a set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DOCUMENT = """---
title: Growing tomatoes on a balcony
authors: [A Gardener]
year: 2024
---

# Growing tomatoes on a balcony

## Watering

Tomato plants in pots need watering every morning in summer. Water the soil, not the leaves, so the
leaves stay dry and free of blight.

## Feeding

Feed tomato plants with a potassium-rich fertiliser once a week after the first flowers open. Too much
nitrogen gives leaves instead of fruit.
"""

QUESTIONS = """\
# tomato questions
answerable:
  - {question: "How often should I water tomato plants in pots?", section: [Watering], half: tune}
  - {question: "Which fertiliser do tomato plants need?", section: [Watering], half: test}
  - {question: "Who wrote this guide?", section: [source], half: test}
off_topic:
  - "What is the capital of France?"
  - {question: "How do I fix a flat bicycle tyre?", half: tune}
"""


def citebot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "CITEBOT_CONFIG")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "tomatoes.md").write_text(DOCUMENT, encoding="utf-8")
    (tmp_path / "questions.yaml").write_text(QUESTIONS, encoding="utf-8")
    return tmp_path


def run_eval(folder: Path, *args: str, file: str = "questions.yaml") -> subprocess.CompletedProcess:
    return citebot("eval", file, "--knowledge", "docs", "--state-dir", "state", *args, cwd=folder)


def test_eval_reports_the_rates_and_every_failure(folder):
    out = run_eval(folder)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "question set: questions.yaml" in lines
    assert "answerable questions: 3" in lines
    assert "  answered from a right section: 2/3 (67%)" in lines
    assert "  wrongly declined: 0/3 (0%)" in lines
    assert "  answered from a wrong section: 1/3 (33%)" in lines
    assert "off-topic questions: 2" in lines
    assert "  off-topic answered: 0/2 (0%)" in lines
    # Only the question answered from another section than the one listed is a failure; the
    # `source` question counts as right because it was answered from the document's front matter.
    assert "failures: 1" in lines
    assert lines[-1] == (
        '  - "Which fertiliser do tomato plants need?": answered from Feeding (expected: Watering)'
    )


def test_eval_lists_declined_questions_and_answered_off_topic_ones(folder):
    (folder / "questions.yaml").write_text(
        "answerable:\n"
        '  - {question: "How do I fix a flat bicycle tyre?", section: [Watering]}\n'
        "off_topic:\n"
        '  - "How often should I water tomato plants in pots?"\n',
        encoding="utf-8",
    )
    out = run_eval(folder)
    assert out.returncode == 0, out.stderr
    assert '  - "How do I fix a flat bicycle tyre?": declined (expected: Watering)' in out.stdout
    assert '  - "How often should I water tomato plants in pots?": answered from Watering (off-topic)' in (
        out.stdout
    )
    assert "  off-topic answered: 1/1 (100%)" in out.stdout


def test_eval_exits_zero_when_the_thresholds_are_met(folder):
    out = run_eval(folder, "--min-right", "0.6", "--max-off-topic", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "threshold missed" not in out.stdout


def test_eval_exits_one_and_says_which_threshold_was_missed(folder):
    out = run_eval(folder, "--min-right", "0.85", "--max-off-topic", "0.1")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "threshold missed: answered from a right section 67% < 85%" in out.stdout
    assert "off-topic answered" not in out.stdout.split("threshold missed", 1)[1]


def test_eval_rejects_a_threshold_that_is_not_a_fraction(folder):
    out = run_eval(folder, "--min-right", "85")
    assert out.returncode == 2
    assert "expected a fraction between 0 and 1" in out.stderr


def test_eval_half_runs_only_that_half(folder):
    tune = run_eval(folder, "--half", "tune")
    assert tune.returncode == 0, tune.stderr
    assert "question set: questions.yaml (tune half)" in tune.stdout
    assert "answerable questions: 1" in tune.stdout and "off-topic questions: 1" in tune.stdout
    assert "failures: 0" in tune.stdout
    test = run_eval(folder, "--half", "test", "--min-right", "0.85")
    assert test.returncode == 1
    assert "answerable questions: 2" in test.stdout and "off-topic questions: 0" in test.stdout
    assert "answered from a right section: 1/2 (50%)" in test.stdout


def test_eval_says_when_a_half_has_no_questions(folder):
    (folder / "unsplit.yaml").write_text(
        'answerable:\n  - {question: "How often should I water tomato plants?", section: [Watering]}\n',
        encoding="utf-8",
    )
    out = run_eval(folder, "--half", "test", file="unsplit.yaml")
    assert out.returncode == 2
    assert "error: unsplit.yaml: no questions in the test half" in out.stderr


def test_eval_names_the_file_and_line_of_broken_yaml(folder):
    (folder / "broken.yaml").write_text(
        "answerable:\n"
        '  - {question: "How often should I water tomato plants?", section: [Watering]}\n'
        '  - {question: "Which fertiliser?", section: [Feeding]\n'
        "off_topic: []\n",
        encoding="utf-8",
    )
    out = run_eval(folder, file="broken.yaml")
    assert out.returncode == 2
    assert out.stdout == ""
    assert "error: broken.yaml:4: invalid YAML" in out.stderr


def test_eval_names_the_line_of_a_question_without_section(folder):
    (folder / "incomplete.yaml").write_text(
        "answerable:\n"
        '  - {question: "How often should I water tomato plants?", section: [Watering]}\n'
        '  - {question: "Which fertiliser?", half: tune}\n',
        encoding="utf-8",
    )
    out = run_eval(folder, file="incomplete.yaml")
    assert out.returncode == 2
    assert "error: incomplete.yaml:3: an answerable question needs `section`" in out.stderr


def test_eval_reports_a_missing_file(folder):
    out = run_eval(folder, file="nowhere.yaml")
    assert out.returncode == 2
    assert "error: nowhere.yaml: cannot read the question set" in out.stderr
