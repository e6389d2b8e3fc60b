"""The analyzer: the tokens and stems that both the index and the answer judge use."""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from knowledge.text import SKLEARN_STOP_WORDS, analyze, token_spans


def test_stop_word_file_is_scikit_learns_list():
    assert frozenset(ENGLISH_STOP_WORDS) == SKLEARN_STOP_WORDS


def test_analyze_stems_folds_and_drops_stop_words():
    assert analyze("The Antibodies of the ＩｇＡ") == ["antibodi", "iga"]
    assert analyze("gut-to-breast") == ["gut", "breast"]


def test_token_spans_point_into_the_original_text():
    text = "Secretory IgA, in milk."
    assert [text[s:e] for s, e, _ in token_spans(text)] == ["Secretory", "IgA", "in", "milk"]
