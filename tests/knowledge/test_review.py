"""The review queue and question statistics over a real SQLite store."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase
from knowledge.curated import CuratedStore
from knowledge.glossary import Glossary
from knowledge.review import ReviewQueue, question_stats
from knowledge.store import ServerStore, Store


@pytest.fixture
def store(tmp_path):
    database = Store.in_folder(tmp_path)
    yield database.server(2)
    database.close()


@pytest.fixture(scope="module")
def seed_kb(tmp_path_factory) -> KnowledgeBase:
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


def ask(store: ServerStore, question: str, answered: bool, passages=("doc#a-1",)) -> str:
    return store.record_answer(question, list(passages), answered, user_id=1, channel_id=3)


def test_declined_and_downvoted_questions_are_queued_oldest_first_and_grouped(store):
    first = ask(store, "How long can breast milk stay in the fridge?", False)
    ask(store, "What is the enteromammary immune system?", True)  # answered, no vote: not queued
    bad = ask(store, "What is secretory IgA?", True)
    store.set_feedback(bad, user_id=7, vote=-1, reason="too technical")
    ask(store, "how long can breast milk stay in the fridge", False)
    ask(store, "How long may breast milk stay in a fridge?", False)

    groups = ReviewQueue(store).groups()
    assert [(g.question, g.count) for g in groups] == [
        ("How long can breast milk stay in the fridge?", 3),
        ("What is secretory IgA?", 1),
    ]
    assert groups[0].key == first and groups[0].declined == 3
    assert groups[1].downvotes == 1 and groups[1].reasons == ["too technical"]


def test_dismissed_questions_leave_the_queue(store):
    ids = [ask(store, "How long can breast milk stay in the fridge?", False) for _ in range(2)]
    later = ask(store, "Can I freeze breast milk?", False)
    queue = ReviewQueue(store)
    assert queue.dismiss(ids, user_id=9) == 2
    assert [g.question for g in queue.groups()] == ["Can I freeze breast milk?"]
    assert queue.dismiss(ids) == 0
    assert queue.groups()[0].key == later


def test_a_curated_answer_resolves_matching_questions(store, tmp_path):
    ask(store, "What is colostrum?", False)
    ask(store, "Can I freeze breast milk?", False)
    curated = CuratedStore(tmp_path / "curated.yaml")
    curated.add("What is colostrum?", "The first milk.", author="mod")
    assert [g.question for g in ReviewQueue(store).groups(curated=curated)] == ["Can I freeze breast milk?"]


def test_glossary_suggestions_are_unknown_words_of_declined_questions(store, seed_kb, tmp_path):
    ask(store, "Does my tummy send antibodies to my boobs?", False)
    ask(store, "Why is my tummy sore?", False)
    ask(store, "What is secretory IgA?", True)
    glossary = Glossary(tmp_path / "glossary.yaml")
    suggestions = ReviewQueue(store).glossary_suggestions(seed_kb, glossary)
    assert (suggestions[0].word, suggestions[0].count) == ("tummy", 2)
    assert suggestions[0].example == "Does my tummy send antibodies to my boobs?"
    words = {s.word for s in suggestions}
    assert not words & {"antibodies", "secretory", "iga"}  # the knowledge base's own words
    assert not words & {"boobs", "sore", "send"}  # read as "breast" already; light words
    glossary.add("tummy", "gut", author="mod")
    assert "tummy" not in [s.word for s in ReviewQueue(store).glossary_suggestions(seed_kb, glossary)]


def test_glossary_suggestions_leave_out_numbers_misspellings_and_words_already_read(store, seed_kb, tmp_path):
    # Words an entry would not help with: "39" (a number), "actualy" and "recieve" (misspelt
    # English words), "thier" (a slip of a stop word), "baby" (the bridge already reads it).
    for question in (
        "my baby is 39 days old and actualy has a rash, does mastitis cause it?",
        "will my baby recieve thier paracetamol thru my milk?",
        "baby has a rash from paracetamol?",
    ):
        ask(store, question, False)
    words = [s.word for s in ReviewQueue(store).glossary_suggestions(seed_kb, Glossary(tmp_path / "g.yaml"))]
    assert not {"39", "actualy", "recieve", "thier", "baby"} & set(words)
    assert words[0] == "paracetamol"  # unknown to the article and to the bridge: worth an entry
    assert "rash" in words


def test_question_stats(store):
    for _ in range(3):
        ask(store, "What is colostrum?", True)
    ask(store, "what is colostrum?", True)
    ask(store, "Can I freeze breast milk?", False)
    store.set_feedback(ask(store, "What is IgA?", True), 5, 1)
    stats = question_stats(store)
    assert (stats.asked, stats.answered, stats.declined, stats.helpful) == (6, 5, 1, 1)
    assert stats.top_questions[0] == ("What is colostrum?", 4)
    assert stats.top_declined == [("Can I freeze breast milk?", 1)]
    assert stats.answered_rate == pytest.approx(5 / 6)
