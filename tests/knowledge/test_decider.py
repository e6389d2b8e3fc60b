"""The Decider, the one place that answers or declines: each rule on passages made for it. A question
that names a section of the documentation ("how do i make tables" and "Tables") is answered from
under that heading even when its verb is not the section's ("create")."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.analysis import Terms
from knowledge.decider import BELOW_BAR, NAMED_SECTION, UNKNOWN_SUBJECT, AnswerSettings, Decider, Verdict
from knowledge.evidence import QuestionWeights, QuestionWord, names_heading
from knowledge.models import Hit, Passage
from knowledge.retriever import Retrieval
from knowledge.text import analyze


def judge(
    hits: Sequence[Hit],
    passages: Sequence[Passage],
    weights: QuestionWeights,
    settings: AnswerSettings,
    asked: frozenset[str] = frozenset(),
    similarity: float | None = None,
) -> Verdict:
    terms = Terms(query="", weights=weights, stems=asked)
    return Decider(settings).judge(terms, Retrieval(tuple(hits), tuple(passages), similarity))


TEXT = "The extension adds the ability to create tables in documents."


def _under(section: tuple[str, ...], title: str = "Extensions") -> tuple[list[Hit], list[Passage]]:
    passage = Passage("doc#tables-0", "doc", section, TEXT, 0, len(TEXT))
    hit = Hit("doc", passage.id, title, " › ".join(section), TEXT, 1.0)
    return [hit], [passage]


# "make" is a word the documents use, but not in the sentence that answers; it weighs more than
# "tables", so the sentence covers less than the usual bar of the question.
MAKE_TABLES = QuestionWeights(
    (QuestionWord("make", 1.4, (("make", 1.0),)), QuestionWord("tables", 1.0, (("tabl", 1.0),)))
)
ASKED = frozenset(analyze("how do i make tables"))


def test_a_question_naming_the_heading_is_answered_from_under_it() -> None:
    hits, passages = _under(("Extensions", "Tables"))
    verdict = judge(hits, passages, MAKE_TABLES, AnswerSettings(), ASKED)
    assert verdict.answered and verdict.rule == NAMED_SECTION
    assert verdict.confidence < AnswerSettings().min_confidence
    assert "create tables" in verdict.sentences[0].text
    # A page whose first heading is its title ("Tables", then "Syntax") is named by its title.
    assert judge(*_under(("Syntax",), title="Tables"), MAKE_TABLES, AnswerSettings(), ASKED).answered


def test_the_same_sentence_under_another_heading_is_declined() -> None:
    hits, passages = _under(("Extensions", "Setup"))
    declined = judge(hits, passages, MAKE_TABLES, AnswerSettings(), ASKED)
    assert not declined.answered and declined.rule == BELOW_BAR
    # Without the question's own words, no heading is named: the usual bar.
    assert not judge(*_under(("Extensions", "Tables")), MAKE_TABLES, AnswerSettings()).answered


def test_a_word_the_knowledge_base_does_not_know_keeps_it_declined() -> None:
    jekyll = QuestionWeights((*MAKE_TABLES.words, QuestionWord("jekyll", 0.3)))
    asked = frozenset(analyze("how do i make tables in jekyll"))
    assert not judge(*_under(("Extensions", "Tables")), jekyll, AnswerSettings(), asked).answered
    # ... and when that word is most of the question, it decides the decline whatever else is covered.
    fish = QuestionWeights((QuestionWord("tables", 1.0, (("tabl", 1.0),)), QuestionWord("fish", 2.0)))
    verdict = judge(
        *_under(("Extensions", "Tables")), fish, AnswerSettings(), frozenset(analyze("fish tables"))
    )
    assert not verdict.answered and verdict.rule == UNKNOWN_SUBJECT


def test_every_word_of_one_heading_must_be_asked() -> None:
    assert names_heading(("Definition Lists", "Summary"), analyze("how do i write a definition list"))
    assert names_heading(("Installation",), analyze("how do i install it"))  # one stem: "instal"
    assert not names_heading(("Table of Contents",), analyze("how do i make tables"))
    assert not names_heading((), analyze("tables"))


def test_meaning_moves_the_bar_both_ways() -> None:
    # "make tables" under a heading the question does not name: covered below the usual bar.
    hits, passages = _under(("Extensions", "Setup"))
    settings = AnswerSettings()
    assert not judge(hits, passages, MAKE_TABLES, settings).answered
    # Clearly about the question in meaning: the bar drops, and the words covered answer it.
    sure = judge(hits, passages, MAKE_TABLES, settings, similarity=settings.meaning_sure)
    assert sure.answered and sure.features["bar"] == settings.meaning_sure_confidence
    # Far from it in meaning: even full coverage of the words must reach the raised bar.
    tables = QuestionWeights((QuestionWord("tables", 1.0, (("tabl", 1.0),)),))
    assert judge(hits, passages, tables, settings).answered
    far = judge(hits, passages, tables, AnswerSettings(meaning_unsure_confidence=1.01), similarity=0.0)
    assert not far.answered and far.rule == BELOW_BAR and far.features["similarity"] == 0.0


def test_every_word_only_bridged_needs_the_higher_bar() -> None:
    hits, passages = _under(("Extensions", "Setup"))
    bridged = QuestionWeights((QuestionWord("charts", 1.0, (("tabl", 0.72),), bridged=True),))
    verdict = judge(hits, passages, bridged, AnswerSettings())
    assert not verdict.answered
    assert verdict.features["bar"] == AnswerSettings().bridged_only_confidence
    assert verdict.features["coverage"] == 0.72


def test_a_question_about_how_things_relate_leads_from_the_passage_about_all_of_them() -> None:
    one = "Pump straight into the fridge."
    both = (
        "Pump straight into the fridge. Label each bag. Thaw bags overnight. "
        "The freezer keeps bags for months."
    )
    passages = [
        Passage("a#0", "a", ("Tips",), one, 0, len(one)),
        Passage("b#0", "b", ("Routine",), both, 0, len(both)),
    ]
    hits = [Hit(p.doc_id, p.id, p.doc_id, p.section[0], p.text, 1.0 - i / 10) for i, p in enumerate(passages)]
    weights = QuestionWeights(tuple(QuestionWord(w, 1.0, ((w, 1.0),)) for w in ("pump", "fridg", "freezer")))
    retrieval = Retrieval(tuple(hits), tuple(passages))
    asked = Decider().judge(Terms(query="", weights=weights), retrieval)
    related = Decider().judge(Terms(query="", weights=weights, relation=True), retrieval)
    # Asked plainly, the best-ranked passage whose sentence covers as much leads ...
    assert asked.lead.doc_id == "a"
    # ... asked how they fit together, the passage that speaks of all of them does.
    assert related.answered and related.lead.doc_id == "b"
    assert related.sentences[0].passage_id == "b#0"


def test_relational_questions_are_recognised() -> None:
    from knowledge.question import asks_relation

    for question in (
        "how do the gut-to-breast pathway and the breast's own immune system fit together?",
        "whats the difference between the mammary and enteromammary immune system",
        "immunity before birth vs after birth",
        "how does mastitis relate to the breast immune system",
    ):
        assert asks_relation(question), question
    assert not asks_relation("how do antibodies get into milk")
