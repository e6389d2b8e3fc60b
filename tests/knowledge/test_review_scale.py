"""The review queue at scale: grouping through an index of question words gives the groups that
comparing every question with every group gave, and one member cannot fill the queue."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.curated import CuratedStore
from knowledge.matching import question_terms, similarity
from knowledge.review import MAX_PER_MEMBER, ReviewGroup, ReviewQueue, curated_matches, group_similar
from knowledge.store import ReviewItem, Store
from knowledge.text import STOP_WORDS

ARTICLE = Path(__file__).parents[2] / "knowledge" / "corpus" / "maternal-infant-immune-system.md"

# Rewordings, stems that extend one another ("breastfeeding" / "breastfed"), near misses ("while
# pregnant"), questions with no content words at all, and questions sharing only common words.
QUESTIONS = [
    "How long can breast milk stay in the fridge?",
    "how long can breast milk stay in the fridge",
    "How long may breast milk stay in a fridge?",
    "How long can breast milk stay in the freezer?",
    "Can I freeze breast milk?",
    "Is it safe to freeze breastmilk?",
    "What is colostrum?",
    "what's colostrum",
    "Why is colostrum yellow?",
    "Does breastfeeding protect my baby from infections?",
    "Does breastfeeding protect babies against infection?",
    "Does breastfed milk protect babies from infections?",
    "Does breastfeeding protect me from infections while pregnant?",
    "What is secretory IgA?",
    "What does secretory IgA do?",
    "Is IgA in milk?",
    "IgA in breast milk",
    "What is it?",
    "Tell me more",
    "what is it",
    "How often should I breastfeed?",
    "How often should I breastfeed at night?",
    "How many times a day should a newborn feed?",
    "Do antibodies cross the placenta?",
    "Can antibodies cross the placenta before birth?",
    "Which antibodies cross the placenta?",
    "What is the enteromammary immune system?",
    "What is the enteromammary system?",
    "How does the mother's gut shape the antibodies in her milk?",
    "How does the gut shape antibodies in milk?",
    "Are vaccines during pregnancy safe?",
    "Do vaccines during pregnancy protect the baby?",
    "Do vaccines in pregnancy protect newborns?",
    "What are human milk oligosaccharides?",
    "What do oligosaccharides feed?",
    "human milk oligosaccharides",
    "When does the baby's immune system mature?",
    "When does an infant's immune system mature?",
    "immune system maturation in infants",
    "Does formula contain antibodies?",
    "Does formula milk contain any antibodies?",
    "not breastfeeding and infections",
    "breastfeeding and infections",
    "Can I drink coffee while breastfeeding?",
    "Can I drink alcohol while breastfeeding?",
    "Can I drink alcohol while pregnant?",
    "What is passive immunity?",
    "passive immunity",
    "How long does passive immunity last?",
    "How long does passive immunity last after birth?",
]

# The groups (positions in QUESTIONS) that comparing each question with every group gave, written
# down from that implementation before grouping went through the index.
GROUPS_BEFORE = {
    0.6: [
        [0, 1, 2, 3], [4, 5, 16], [6, 7, 8], [9, 10, 11, 12, 42], [13, 14], [15], [17, 19], [18], [20, 21],
        [22], [23, 24, 25], [26, 27], [28, 29], [30], [31, 32], [33, 35], [34], [36, 37, 38], [39, 40],
        [41], [43, 44], [45], [46, 47, 48], [49],
    ],
    0.4: [
        [0, 1, 2, 3, 4, 11, 16], [5], [6, 7, 8], [9, 10, 12, 31, 41, 42], [13, 14, 15], [17, 19], [18],
        [20, 21, 43, 44], [22], [23, 24, 25], [26, 27, 36, 37, 38, 46, 47], [28, 29, 40], [30, 32],
        [33, 34, 35], [39], [45], [48, 49],
    ],
    0.8: [
        [0, 1, 2, 3], [4], [5], [6, 7], [8], [9, 10, 11], [12], [13, 14], [15, 16], [17, 19], [18],
        [20, 21], [22], [23, 25], [24], [26], [27], [28, 29], [30], [31], [32], [33, 35], [34], [36],
        [37, 38], [39, 40], [41, 42], [43], [44], [45], [46, 47], [48, 49],
    ],
}


def items(questions: list[str]) -> list[ReviewItem]:
    return [ReviewItem(str(n), q, float(n), True, 0, (), ()) for n, q in enumerate(questions)]


def positions(groups: list[ReviewGroup]) -> list[list[int]]:
    return [[int(answer_id) for answer_id in group.answer_ids] for group in groups]


def every_group_compared(queue: list[ReviewItem], threshold: float) -> list[list[int]]:
    """The grouping as it was: each question compared with every earlier group in turn."""
    groups: list[tuple[frozenset[str], list[int]]] = []
    for item in queue:
        terms = question_terms(item.question)
        for group_terms, members in groups:
            if terms == group_terms or similarity(terms, group_terms) >= threshold:
                members.append(int(item.answer_id))
                break
        else:
            groups.append((terms, [int(item.answer_id)]))
    return [members for _, members in groups]


def made_up_questions(count: int, seed: int) -> list[str]:
    """Questions of the article's words, a quarter of them an earlier one reworded."""
    rng = random.Random(seed)
    words = sorted(set(re.findall(r"[a-z]{3,}", ARTICLE.read_text(encoding="utf-8").lower())) - STOP_WORDS)
    asked: list[str] = []
    for _ in range(count):
        if asked and rng.random() < 0.25:
            earlier = rng.choice(asked).split()
            rng.shuffle(earlier)
            asked.append(" ".join(earlier[: rng.randint(1, len(earlier))]))
        else:
            asked.append(" ".join(rng.sample(words, rng.randint(1, 5))))
    return asked


@pytest.fixture(scope="module")
def seed_kb(tmp_path_factory) -> KnowledgeBase:
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


@pytest.mark.parametrize("threshold", sorted(GROUPS_BEFORE))
def test_grouping_gives_the_groups_it_gave_before(threshold):
    assert positions(group_similar(items(QUESTIONS), threshold)) == GROUPS_BEFORE[threshold]


@pytest.mark.parametrize(("threshold", "seed"), [(0.6, 1), (0.6, 2), (0.3, 3), (0.9, 4), (0.0, 5), (1.5, 6)])
def test_grouping_agrees_with_comparing_every_group(threshold, seed):
    queue = items(made_up_questions(400, seed) + QUESTIONS)
    grouped = positions(group_similar(queue, threshold))
    assert grouped == every_group_compared(queue, threshold)
    assert len(grouped) > 1 or threshold <= 0


def test_questions_a_curated_answer_matches_are_found_as_one_by_one(tmp_path, seed_kb):
    curated = CuratedStore(tmp_path / "curated.yaml")
    for question in QUESTIONS[::5]:
        curated.add(question, "An answer.", author="mod", phrasings=[question.lower() + " exactly"])
    asked = QUESTIONS + made_up_questions(300, 7)
    one_by_one = {q for q in asked if curated.match(q, seed_kb) is not None}
    assert curated_matches(asked, curated, seed_kb) == one_by_one
    assert curated_matches(asked, curated, None) == {q for q in asked if curated.match(q) is not None}
    assert QUESTIONS[0] in one_by_one and len(one_by_one) < len(asked)


def test_one_member_cannot_fill_the_queue(tmp_path):
    database = Store.in_folder(tmp_path)
    try:
        server = database.server(2)
        other = server.record_answer("Is IgA in milk?", [], False, user_id=8)
        flood = [server.record_answer(f"question number {n}", [], False, user_id=7) for n in range(50)]
        console = [server.record_answer(f"console question {n}", [], False) for n in range(30)]
        queue = ReviewQueue(server)
        shown = [item.answer_id for item in queue.items()]
        # The other member's question stays, with the flooding member's newest questions only.
        assert shown == [other, *flood[-MAX_PER_MEMBER:], *console]
        assert {g.key for g in queue.groups()} >= {other, flood[-1]}
        # Dropped from the queue, not from the store: the statistics still count them.
        assert server.answer_totals() == (81, 0)
        # Dismissing the newest lets the next older one back in.
        queue.dismiss([flood[-1]])
        assert [i.answer_id for i in queue.items()] == [other, *flood[-MAX_PER_MEMBER - 1 : -1], *console]
        # Another server's queue is bounded on its own.
        assert database.server(3).review_items(10, per_member=1) == []
    finally:
        database.close()
