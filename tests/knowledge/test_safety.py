"""Red flags: how people really describe a baby or a breast that needs care now, the notice each sign
gets, and near misses."""

from __future__ import annotations

import re

import pytest
import re2

from knowledge import Assistant, KnowledgeBase
from knowledge.glossary import Glossary
from knowledge.safety import (
    DEFAULT_RED_FLAG_MESSAGE,
    SIGNS,
    PatternError,
    RedFlags,
    compile_red_flag,
)
from knowledge.temperatures import body_temperatures

RED_FLAGS = RedFlags()
NOTICE = {sign.name: sign.message for sign in SIGNS}


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("My newborn has a fever, is that the immune system fighting?", "baby-fever"),
        ("my baby has a fever and is breathing fast", "baby-breathing"),  # the more urgent sign
        ("baby has a temperature of 39 and won't feed", "baby-fever"),
        ("baby has a temp of 38.5", "baby-fever"),
        ("my 3 week old is 100.4F what do i do", "baby-fever"),
        ("LO is 101 °F since this morning", "baby-fever"),
        ("my infant feels hot to the touch", "baby-fever"),
        ("baby seems feverish and sleepy", "baby-fever"),
        ("my baby is breathing weird", "baby-breathing"),
        ("the baby is floppy and won’t wake up", "baby-unresponsive"),
        ("baby's lips are turning blue", "baby-blue"),
        ("newborn with blue lips", "baby-blue"),
        ("my 2 month old wont feed since yesterday", "baby-not-feeding"),
        ("Baby not feeding and very sleepy", "baby-not-feeding"),
        ("my breast is red and hot and I have a fever, help", "breast-infection"),
        ("my boob is red and hot and I have a fever", "breast-infection"),
        ("Boob swollen, red streaks and chills", "breast-red-streaks"),
        ("breast is hot to the touch and I have a temp of 39", "breast-infection"),
        ("I have mastitis and a 38.5C fever", "breast-infection"),
        # the posts
        ("my breast is red and swollen and I have a temperature", "breast-infection"),
        ("boob red-hot and sore, feeling flu-like", "breast-infection"),
        ("baby has had no wet nappy since yesterday", "baby-dehydration"),
        ("my five day old is very yellow and sleepy", "baby-jaundice"),
        # a mother in crisis (NHS, NICE CG192)
        ("feeling really low and having thoughts of hurting myself since the baby came", "mother-crisis"),
        ("sometimes I feel like I might hurt my baby when he screams", "mother-crisis"),
        ("i don't want to be here anymore, everyone would be better off without me", "mother-crisis"),
        ("I've been hearing voices since the birth", "mother-crisis"),
        ("baby has a fever and I'm having suicidal thoughts", "mother-crisis"),  # the more urgent sign
        ("lump in my breast that isnt going away after 3 weeks, not painful", "breast-lump"),
        ("my boob has had a hard lump for weeks and it's getting bigger", "breast-lump"),
        # a mother's own body after birth (NHS, RCOG, NICE NG133)
        ("5 days pp and soaking a pad every hour, is that normal while bf?", "mother-bleeding"),
        ("passed a clot the size of a golf ball after feeding", "mother-bleeding"),
        ("2 weeks after my c-section my left calf is swollen and hot", "mother-clot"),
        ("baby is 10 days old and I suddenly can't catch my breath, chest hurts", "mother-clot"),
        ("1 week pp, a headache paracetamol won't touch and my vision is blurry", "mother-preeclampsia"),
    ],
)
def test_warning_signs_get_their_own_notice(text, sign):
    flag = RED_FLAGS.check(text)
    assert flag is not None and flag.sign == sign, text
    assert flag.message == NOTICE[sign] and RED_FLAGS.matches(text)


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
        "blocked duct, lump in my breast but no fever, what helps",  # a symptom said to be absent
        "can breast milk be heated to 40C for the baby",  # the temperature of a thing
        "will ibuprofen hurt my baby",  # a medicine's harm, not a thought of harming
        "does it hurt the baby if i eat spicy food",
        "is it normal to feel sad after birth",
        "the lump went away after one feed",
        "lump in my breast since this morning, my 5 month old fed on that side",  # the baby's age
        "how long does bleeding last after birth?",
        "my nipples are cracked and bleeding more and more, what helps",  # a nipple, not a haemorrhage
        "I get leg cramps at night since the birth",
        "tired headache after a night of cluster feeding, is coffee ok while bf",
        # a docs server's words, and a parent's, that only look like a mother's signs
        "FileNotFoundError: the template does not exist",
        "i get an error that the file does not exist",
        "the PDF delivered to members is blurry",
        "my baby loves to hear the voice of his dad",
        "chestfeeding hurts a bit at the start, normal?",
        "at the end things got better with the latch",
    ],
)
def test_near_misses_are_not(text):
    assert RED_FLAGS.check(text) is None, text


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("a temp of 38", [(38.0, False)]),
        ("38.2 °C this evening", [(38.2, False)]),
        ("babys temp is 38,4 under the arm", [(38.4, False)]),
        ("LO 100.4F rectal, 7 wks old", [(100.4, True)]),
        ("temp 101 on my 2 month old", [(101.0, True)]),
        ("100.8 degrees F", [(100.8, True)]),
        ("is 37.5 a fever", [(37.5, False)]),
        ("born at 38 weeks, weighs 4.2 kg, drinks 100 ml", []),
        ("bath water is 38 degrees; the fridge is 5C", []),
    ],
)
def test_temperatures_are_read_with_their_unit(text, read):
    assert [(t.value, t.fahrenheit) for t in body_temperatures(text)] == read


def test_a_fever_is_38_celsius_or_100_4_fahrenheit_and_up():
    assert RED_FLAGS.check("my newborn is 38.0C") is not None
    assert RED_FLAGS.check("my newborn is 37.9C") is None
    assert RED_FLAGS.check("my newborn is 100.4 °F") is not None
    assert RED_FLAGS.check("my newborn is 100.3 °F") is None
    # a fever word does not count against a normal reading: "is 37.5 a fever for a baby?"
    assert RED_FLAGS.check("is 37.5 a fever for my baby?") is None


def test_any_of_several_texts_counts_and_the_most_urgent_sign_wins():
    # The member's own words or the glossary's rewrite of them: either is enough.
    assert RED_FLAGS.check("my bubba is poorly", "my baby has a fever").sign == "baby-fever"
    assert RED_FLAGS.check("my baby has a fever", "my baby's lips are blue").sign == "baby-blue"
    assert RED_FLAGS.check("", None, "   ") is None


def test_an_operators_patterns_and_message_replace_the_signs():
    flags = RedFlags((r"\burgent\b",), "Call someone now.")
    assert flags.check("URGENT question").message == "Call someone now."
    assert not flags.matches("my baby has a fever")
    assert RedFlags((r"\burgent\b",)).check("urgent").message == DEFAULT_RED_FLAG_MESSAGE
    assert not RedFlags(()).matches("my baby has a fever"), "an empty list turns red flags off"
    # A message alone keeps the signs, in the operator's words.
    assert RedFlags(message="Ring the ward.").check("my baby has a fever").message == "Ring the ward."


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


def test_an_operators_pattern_re2_cannot_run_is_refused_with_the_reason():
    with pytest.raises(PatternError, match=r"invalid perl operator: \(\?=.*no lookarounds"):
        RedFlags((r"(?=.*\bfever\b)\bbaby\b",))
    with pytest.raises(PatternError, match="backreferences"):
        RedFlags((r"(\w+) \1",))


def test_the_signs_read_long_text_without_backtracking():
    # RE2 throughout: a long post without a sign is read in one pass, and a sign at its end is seen.
    text = "baby " + "a " * 20_000 + "9" * 5_000 + " 38.5 " * 2_000
    assert RED_FLAGS.check(text.replace("baby", "mum")) is None
    assert RED_FLAGS.check(text + " and floppy").sign == "baby-unresponsive"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


def test_the_assistant_puts_the_red_flag_on_the_answer(kb):
    answer = Assistant(kb).ask("my baby has a fever and is breathing fast")
    assert answer.safety == NOTICE["baby-breathing"]
    assert answer.to_dict()["notices"][0] == answer.safety and answer.to_dict()["red_flag"]
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
