"""Red flags: how people really describe a baby or a breast that needs care now, and near misses."""

from __future__ import annotations

import re

import pytest
import re2

from knowledge import Assistant, KnowledgeBase
from knowledge.glossary import Glossary
from knowledge.safety import (
    DEFAULT_RED_FLAG_MESSAGE,
    DEFAULT_RED_FLAGS,
    PatternError,
    RedFlags,
    compile_red_flag,
)

RED_FLAGS = RedFlags()


@pytest.mark.parametrize(
    "text",
    [
        "My newborn has a fever, is that the immune system fighting?",
        "my baby has a fever and is breathing fast",
        "baby has a temperature of 39 and won't feed",
        "baby has a temp of 38.5",
        "my 3 week old is 100.4F what do i do",
        "LO is 101 °F since this morning",
        "my infant feels hot to the touch",
        "baby seems feverish and sleepy",
        "my baby is breathing weird",
        "the baby is floppy and won’t wake up",
        "baby's lips are turning blue",
        "newborn with blue lips",
        "my 2 month old wont feed since yesterday",
        "Baby not feeding and very sleepy",
        "my breast is red and hot and I have a fever, help",
        "my boob is red and hot and I have a fever",
        "Boob swollen, red streaks and chills",
        "breast is hot to the touch and I have a temp of 39",
        "I have mastitis and a 38.5C fever",
    ],
)
def test_warning_signs_are_red_flags(text):
    assert RED_FLAGS.matches(text), text


@pytest.mark.parametrize(
    "text",
    [
        "I have a fever blister on my lip, can I still breastfeed?",  # a cold sore
        "my fever went down yesterday, is my milk still fine?",  # an adult's fever, no warning sign
        "What does breastfeeding give the baby?",
        "Is it normal that my breast feels full in the morning?",
        "My baby was born at 38 weeks, how long is colostrum produced?",
        "What is the enteromammary immune system?",
        "my temperature is 37.2, is that ok while nursing?",
        "How do antibodies get into milk during lactation?",
    ],
)
def test_near_misses_are_not(text):
    assert not RED_FLAGS.matches(text), text


def test_any_of_several_texts_counts():
    # The member's own words or the glossary's rewrite of them: either is enough.
    assert RED_FLAGS.matches("my bubba is poorly", "my baby has a fever")
    assert not RED_FLAGS.matches("", None, "   ")


def test_custom_patterns_and_message():
    flags = RedFlags((r"\burgent\b",), "Call someone now.")
    assert flags.matches("URGENT question") and not flags.matches("my baby has a fever")
    assert flags.message == "Call someone now."
    assert RED_FLAGS.message == DEFAULT_RED_FLAG_MESSAGE


def test_a_broken_pattern_fails_at_construction():
    with pytest.raises(re.error):
        RedFlags((r"(unclosed",))


CATASTROPHIC = r"(?i)^(\w+\s?)+\b(fever|rash)\b"


def test_an_operators_pattern_runs_with_re2_in_linear_time():
    # Under Python's re this pattern backtracks exponentially on a question that does not match.
    assert isinstance(compile_red_flag(CATASTROPHIC), type(re2.compile("x")))
    flags = RedFlags((CATASTROPHIC,))
    assert not flags.matches("my little one is cranky now!")  # 28 characters, no match
    assert flags.matches("Baby has a RASH on the legs")


def test_the_defaults_keep_their_lookaheads_on_python_re():
    assert all(isinstance(compile_red_flag(p), re.Pattern) for p in DEFAULT_RED_FLAGS)


def test_an_operators_pattern_re2_cannot_run_is_refused_with_the_reason():
    with pytest.raises(PatternError, match=r"invalid perl operator: \(\?=.*no lookarounds"):
        RedFlags((r"(?=.*\bfever\b)\bbaby\b",))
    with pytest.raises(PatternError, match="backreferences"):
        RedFlags((r"(\w+) \1",))


def test_default_patterns_stay_fast_on_long_text():
    # Lookaheads over a long message without a match must not backtrack badly.
    text = "baby " + "a " * 20_000 + "9" * 5_000
    assert not any(re.search(p, text) for p in DEFAULT_RED_FLAGS[1:])
    assert RED_FLAGS.matches(text + " fever")


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


def test_the_assistant_puts_the_red_flag_on_the_answer(kb):
    answer = Assistant(kb).ask("my baby has a fever and is breathing fast")
    assert answer.safety == DEFAULT_RED_FLAG_MESSAGE
    assert answer.to_dict()["notices"][0] == DEFAULT_RED_FLAG_MESSAGE and answer.to_dict()["red_flag"]
    plain = Assistant(kb).ask("What is the enteromammary immune system?")
    assert plain.safety == "" and plain.to_dict()["notices"] == [] and not plain.to_dict()["red_flag"]


def test_the_assistant_checks_the_glossary_rewrite(kb, tmp_path):
    glossary = Glossary(tmp_path / "glossary.yaml")
    glossary.add("jug", "breast", author="mod")
    flags = RedFlags((r"\bbreast\b.*\bfever\b",), "See someone now.")
    assistant = Assistant(kb, glossary=glossary, red_flags=flags)
    assert assistant.ask("my jug hurts and I have a fever").safety == "See someone now."
    assert assistant.is_red_flag("my jug hurts and I have a fever")
    assert not Assistant(kb, red_flags=flags).is_red_flag("my jug hurts and I have a fever")
    # the built-in article's own glossary reads "boob" as breast for every server
    assert Assistant(kb, red_flags=flags).is_red_flag("my boob hurts and I have a fever")
