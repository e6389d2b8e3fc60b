"""The explainer stage: what an answer tells the member besides its sentences, as notice codes
(knowledge/explainer.py, knowledge/notices.py); the words are the renderers'."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.curated import CuratedStore
from knowledge.notices import Code, Notice, phrase


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KnowledgeBase:
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


def codes(answer) -> list[Code]:
    return [notice.code for notice in answer.notices]


def test_a_decline_names_what_the_documents_never_mention(kb):
    answer = Assistant(kb).ask("can i take ibuprofen while breastfeeding")
    assert not answer.answered
    assert answer.notices == (Notice(Code.NOT_MENTIONED, words=("ibuprofen",)),)


def test_an_answer_says_how_words_were_read_and_what_it_leaves_out(kb):
    read = Assistant(kb).ask("do germs in my gut change the antibodys in my milk")
    assert read.answered and Code.READ_AS in codes(read)
    partial = Assistant(kb).ask("what is mastitis and how do I treat it?")
    assert partial.answered and Notice(Code.NOT_COVERED, words=("treat",)) in partial.notices


@pytest.mark.parametrize(
    "question",
    [
        "are there good bacteria on my nipples that help the baby?? sounds gross but asking",
        "please, what is the meaning of enteromammary? my english is not so good, sorry",
        "i read that my milk has antibodies against the germs in my gut. is that actually true?",
        "does cuddling my baby skin to skin help his immune system or is that a myth",
    ],
)
def test_what_is_said_around_the_question_is_not_named_as_left_out(kb, question):
    # the words of a sentence that asks nothing, or of "is that actually true?", are no part of the
    # question the answer could leave out
    answer = Assistant(kb).ask(question)
    assert answer.answered
    assert not {Code.NOT_COVERED, Code.NOT_MENTIONED} & set(codes(answer)), answer.notices


def test_a_wall_of_letters_is_not_named_back(kb):
    answer = Assistant(kb).ask("x" * 5000)
    assert not answer.answered
    assert all(len(word) <= 30 for notice in answer.notices for word in notice.words), answer.notices
    assert all(len(phrase(notice)) < 200 for notice in answer.notices)


def test_a_part_left_out_is_said_of_the_answer_not_of_the_knowledge_base():
    # the knowledge base may cover it elsewhere; the quoted sentences do not
    assert phrase(Notice(Code.NOT_COVERED, words=("treat",))) == "This answer does not cover: treat."


def test_nothing_is_said_against_a_curated_answer(kb, tmp_path):
    store = CuratedStore(tmp_path / "curated.yaml")
    store.add("Can I take ibuprofen while breastfeeding?", "Usually yes; ask your pharmacist.", author="mod")
    answer = Assistant(kb, curated=store).ask("can i take ibuprofen while breastfeeding")
    assert answer.curated is not None and Code.NOT_MENTIONED not in codes(answer)


def test_every_code_is_phrased_for_members():
    for code in Code:
        text = phrase(
            Notice(code, words=("x",), pairs=(("a", "b"),), source="the glossary", length=2, kept=1)
        )
        assert text and text.endswith(".") and "{" not in text


def test_a_follow_up_names_only_its_own_words_as_read_otherwise(kb):
    # After "how does my milk protect my baby from germs", "and for babies?" was told
    # 'Read “baby” as “child”, “babies” as “child”': "baby" is no word of the follow-up.
    answer = Assistant(kb).ask("and for babies?", context="how does my milk protect my baby from germs")
    assert answer.answered
    [read] = [notice for notice in answer.notices if notice.code == Code.READ_AS]
    assert [word for word, _ in read.pairs] == ["babies"]


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("do the bacteria on my nipple actually do anything good for baby", "good"),
        ("difference between the antibodies baby gets in the womb and the ones from breastmilk?", "ones"),
        ("what's secretory IgA and where does it come from", "come"),
    ],
)
def test_a_notice_names_no_word_that_only_says_how_it_is_asked(kb, question, named):
    # Each was told "The knowledge base does not mention: good." or "This answer does not cover: come."
    answer = Assistant(kb).ask(question)
    assert answer.answered
    assert all(named not in notice.words for notice in answer.notices), answer.notices


@pytest.mark.parametrize(
    ("question", "named", "not_named"),
    [
        ("how do the enteromammary and mammary immune systems fit together", None, "fit"),
        ("does my baby's immune system get anything from the milk", "baby", None),
    ],
)
def test_the_read_as_notice_names_what_a_member_meant_not_light_verbs(question, named, not_named):
    answer = Assistant(KnowledgeBase.default()).ask(question)
    said = " ".join(phrase(n) for n in answer.notices if n.code is Code.READ_AS)
    if named:
        assert f"“{named}”" in said
    if not_named:
        assert f"“{not_named}”" not in said  # was 'Read “fit” as “shape”'
