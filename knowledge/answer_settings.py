"""How the Decider decides (:class:`AnswerSettings`): the bars, weights and meaning thresholds,
each with how it was chosen. A module of its own at the bottom of the graph, read by the analysis
(word weights) and the Decider (bars) alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerSettings:
    """How the Decider decides: ``min_confidence`` is the coverage the best sentence needs for an
    answer, ``max_sentences`` how many sentences an answer quotes, ``context_weight`` how much a
    follow-up's earlier question counts in retrieval.

    ``min_confidence`` was calibrated on tests/knowledge/seed_questions.yaml: the best sentence of
    every answerable question there covers at least 0.56 of the question, and no off-topic one
    (the immune system of fish, mastitis in cows, a cat's gut microbiome) covers more than 0.34;
    the threshold sits between, nearer the off-topic side, since a wrong answer costs more.

    ``unknown_weight`` is what a question word the knowledge base has never seen (and the
    everyday-words bridge cannot reach) weighs, as a share of its rarest term's weight, and
    ``light_weight`` the same for a light one, a word English uses mostly as a verb or adverb
    ("eat", "start", "end up"; knowledge.thesaurus.Bridge.light_in), which says less about the topic
    than a thing does;
    ``expansion_weight`` how much a bridged term counts in retrieval, times its bridge credit;
    ``bridge_credit`` scales the bridge's credits (knowledge.thesaurus.RELATION_WEIGHTS) in coverage.
    Chosen on the tune half of tests/knowledge/everyday_questions.yaml with the seed set: a lower
    ``unknown_weight`` answers more everyday questions but also off-topic ones (0.6: 33/41 right,
    5/23 off-topic and 3/30 seed off-topic answered); 0.95 with credit 0.9 answers 27/41 and 1/23
    off-topic, declines the whole seed off-topic list, and kept "can my boobs make too much milk?"
    declined (before the article's glossary read "boobs" as breast). With three-word phrases
    bridged ("white blood cells"), ``light_weight`` 0.6 answers 35/41 with 1/23 off-topic and no
    seed question lost; 0.45 is the same, 0.3 answers a third off-topic question and two of the
    seed set's; with the article's glossary, 0.6 and 0.5 answer 36/41, 0.4 one more but also a
    seed off-topic question. ``bridged_only_confidence`` is the coverage a question needs when
    none of its words is the documents' own, every one reached through the bridge at partial
    credit ("what vaccines should my baby get": vaccines -> immunity, baby -> infant, 0.72);
    0.75 and 0.8 change nothing on the tune half or the seed set, with or without the semantic
    channel. ``expansion_weight`` 0.3-0.5 are alike on the tune half; 0.8 puts one question under
    a wrong section.

    With the meaning channel: a best passage at least ``meaning_sure`` similar to the question
    lowers the bar to ``meaning_sure_confidence``; below ``meaning_unsure`` the question is declined
    unless its words are covered at ``meaning_unsure_confidence`` or more (a caption is far in
    meaning from "what is the photo at the top of the page?", yet names every word of it; 0.5-0.8
    answer it and its tune-half twin with nothing else changed on the tune half and the seed set,
    0.8 is the safest). Chosen on the tune half of tests/knowledge/everyday_questions.yaml and on
    SciFact answerability: every off-topic question of the tune half is under 0.45 similar to its
    best passage, most answerable ones over 0.5; 0.45 answered one more tune question than 0.5 but
    one off-topic seed question too, and on SciFact answered held-out claims at a precision
    (0.433) barely above chance (0.41); 0.5 gives 0.444 at recall 0.90 (lexical: 0.493 at 0.61);
    results in bench/results/hybrid_answers.md. Similarity cannot lower the words' bar further:
    near misses ("how often" for "how long should I breastfeed") are 0.89 similar. On real docs an
    off-topic question naming the project ("deploy a flask app to heroku") is 0.54-0.58 similar to
    a page; 0.55 declines it but loses an everyday tune question, so the sets disagree and these
    stay. ``curated_veto``: a curated answer matched on words is not served when the question is
    less similar than this to the phrasing that matched (every paraphrase in
    tests/knowledge/curated_paraphrases.yaml is 0.75 or more).

    ``calibrated``: the coverage bar is replaced by the fitted model of ``knowledge/data/decider.json``
    (:mod:`knowledge.calibration`, refitted by ``tools/fit_decider.py``). Off by default: on the
    test halves it answers fewer questions wrongly but also fewer rightly (bench/README.md)."""

    min_confidence: float = 0.45
    max_sentences: int = 3
    context_weight: float = 0.35
    unknown_weight: float = 0.95
    light_weight: float = 0.6
    bridged_only_confidence: float = 0.75
    expansion_weight: float = 0.5
    bridge_credit: float = 0.9
    meaning_sure: float = 0.5
    meaning_sure_confidence: float = 0.1
    meaning_unsure: float = 0.2
    meaning_unsure_confidence: float = 0.8
    curated_veto: float = 0.6
    calibrated: bool = False
