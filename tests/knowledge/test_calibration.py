"""The Decider's calibrated rule (knowledge/calibration.py, knowledge/data/decider.json): loaded from
JSON, used in place of the coverage bar when asked for, and refused clearly when the file is broken."""

from __future__ import annotations

import pytest

from knowledge import AnswerSettings, KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.calibration import DEFAULT_PATH, LEXICAL, MEANING, Calibration, CalibrationError, Model
from knowledge.decider import LIKELY_RIGHT, UNKNOWN_SUBJECT, UNLIKELY_RIGHT


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> Assistant:
    kb = KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))
    return Assistant(kb, settings=AnswerSettings(calibrated=True))


def test_the_shipped_calibration_has_both_models_and_reads_the_evidence_sensibly():
    calibration = Calibration.load()
    for meaning in (False, True):
        model = calibration.model(meaning)
        assert model is not None and 0 < model.threshold < 1
        weak = {"coverage": 0.2, "unknown_share": 0.5}
        strong = {"coverage": 1.0, "rules_answer": 1.0, "similarity": 0.7}
        # More of the question covered, nothing unknown: more likely right.
        assert model.probability(strong) > model.threshold > model.probability(weak)
    assert set(calibration.models) == {LEXICAL, MEANING}


def test_the_calibrated_decider_answers_and_declines_by_its_model(calibrated):
    answered = calibrated.trace("How do antibodies get into milk during lactation?")
    assert answered.answer.answered and answered.verdict.rule == LIKELY_RIGHT
    assert answered.verdict.features["probability"] >= answered.verdict.features["threshold"]
    declined = calibrated.trace("how do i fix a flat bike tyre")
    assert not declined.answer.answered
    assert declined.verdict.rule in (UNLIKELY_RIGHT, UNKNOWN_SUBJECT)
    # The hard rules stay: a question mostly about what the documents never name is declined first.
    assert calibrated.trace("can i take ibuprofen while breastfeeding").verdict.rule == UNKNOWN_SUBJECT


def test_a_broken_calibration_file_is_refused_with_its_path(tmp_path):
    broken = tmp_path / "decider.json"
    broken.write_text('{"models": {"lexical": {"features": ["coverage"], "coef": []}}}', encoding="utf-8")
    with pytest.raises(CalibrationError, match=r"decider\.json"):
        Calibration.load(broken)
    assert DEFAULT_PATH.is_file()


def test_a_calibration_saves_and_loads_as_json(tmp_path):
    model = Model(("coverage",), (4.0,), -2.0, 0.5)
    Calibration({LEXICAL: model}).save(tmp_path / "c.json", notes=["test"])
    loaded = Calibration.load(tmp_path / "c.json")
    assert loaded.model(False) == model and loaded.model(True) is None
    assert loaded.model(False).probability({"coverage": 1.0}) == pytest.approx(1 / (1 + 2.718281828 ** -2))
