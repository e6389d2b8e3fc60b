"""The analyzer: the tokens and stems that both the index and the answer judge use."""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from knowledge.text import SKLEARN_STOP_WORDS, analyze, is_link_definition, token_spans, tokens


def test_stop_word_file_is_scikit_learns_list():
    assert frozenset(ENGLISH_STOP_WORDS) == SKLEARN_STOP_WORDS


def test_analyze_stems_folds_and_drops_stop_words():
    assert analyze("The Antibodies of the ＩｇＡ") == ["antibodi", "iga"]
    assert analyze("gut-to-breast") == ["gut", "breast"]


def test_token_spans_point_into_the_original_text():
    text = "Secretory IgA, in milk."
    assert [text[s:e] for s, e, _ in token_spans(text)] == ["Secretory", "IgA", "in", "milk"]


def test_the_address_of_a_markdown_link_definition_is_not_words_of_the_document():
    text = (
        "It follows [MultiMarkdown][].\n\n"
        '[MultiMarkdown]: https://fletcherpenney.net/multimarkdown/#metadata "MMD"\n'
    )
    assert "metadata" not in tokens(text) and "fletcherpenney" not in tokens(text)
    assert tokens(text).count("multimarkdown") == 2  # the label is a word, written twice
    assert [tok for _, _, tok in token_spans(text)] == tokens(text)
    assert "usage" not in tokens("See [the docs](usage.md).\n[x]: usage.md")


def test_a_link_definition_is_told_from_a_sentence():
    assert is_link_definition("[php]: http://www.michelf.com/projects/php-markdown/extra/#table")
    assert is_link_definition("[a]: https://a.example\n   [b]: <https://b.example> 'B'")
    assert not is_link_definition("[php]: see the PHP documentation for tables")
    assert not is_link_definition("Tables follow [PHP Markdown Extra][php].")
