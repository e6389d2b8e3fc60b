"""The passage index: ranking, agreement with reference BM25, persistence, typos, empty cases."""

from __future__ import annotations

import json

import bm25s
import numpy as np
import pytest

from knowledge.index import IndexFormatError, IndexSettings, NotFittedError, SparseIndex, top_k_groups
from knowledge.retriever import search, search_documents
from knowledge.text import analyze

CORPUS = [
    "Immunoglobulin A in breast milk\nSecretory IgA protects the infant gut from pathogens.",
    "The enteromammary immune system\nLymphocytes primed in the gut home to the mammary gland.",
    "Vitamin D and bone health\nSunlight exposure raises vitamin D levels in adults.",
    "Fish oil supplements\nOmega-3 fatty acids from fish oil and heart disease risk.",
    "Colostrum\nThe first milk is rich in antibodies and immune cells for the newborn.",
]


@pytest.fixture
def index() -> SparseIndex:
    return SparseIndex().fit(CORPUS)


def test_the_passage_about_the_question_ranks_first(index: SparseIndex) -> None:
    rows, scores = index.search("vitamin D from sunlight", k=3)
    assert rows[0] == 2
    assert list(scores) == sorted(scores, reverse=True)
    rows, _ = index.search("antibodies in the first milk", k=5)
    assert rows[0] == 4


def test_a_rare_term_outranks_a_common_one(index: SparseIndex) -> None:
    # "mammary" is in one passage, "milk" in two: the passage with the rarer word wins.
    rows, _ = index.search("mammary milk", k=2)
    assert rows[0] == 1


def test_score_returns_every_matching_row_and_only_those(index: SparseIndex) -> None:
    rows, scores = index.score("milk gut")
    assert sorted(rows.tolist()) == [0, 1, 4]
    assert np.all(scores > 0)


def test_extra_terms_expand_a_query_at_their_own_weight(index: SparseIndex) -> None:
    # "newborn" is not in the query, but a bridged term reaches the colostrum passage, down-weighted.
    rows, scores = index.score("baby", {"newborn": 0.5})
    assert rows.tolist() == [4]
    _, full = index.score("newborn")
    assert scores[0] == pytest.approx(0.5 * full[0])
    # a term the query already holds keeps its own weight; terms outside the vocabulary are ignored
    assert index.score("newborn", {"newborn": 0.5, "qwzx": 1.0})[1].tolist() == full.tolist()
    assert index.search("baby", k=3, extra={"newborn": 0.5})[0].tolist() == [4]


def test_search_limits_to_k_and_breaks_ties_by_row(index: SparseIndex) -> None:
    rows, _ = index.search("immune", k=1)
    assert len(rows) == 1
    tied = SparseIndex().fit(["alpha beta", "alpha beta", "alpha beta"])
    rows, scores = tied.search("alpha", k=2)
    assert rows.tolist() == [0, 1]
    assert scores[0] == scores[1]


def _random_corpus(rng: np.random.Generator, n_docs: int, letters: int = 8) -> list[str]:
    words = [f"word{chr(97 + i)}{chr(97 + j)}" for i in range(letters) for j in range(letters)]
    return [" ".join(rng.choice(words, size=rng.integers(3, 40))) for _ in range(n_docs)]


# 60 documents over 64 words: postings are dense (accumulated in a buffer); 400 documents over
# 676 words: postings are sparse (sorted and summed). Both paths must give BM25's scores.
@pytest.mark.parametrize(
    ("k1", "b", "n_docs", "letters"),
    [(1.2, 0.75, 60, 8), (0.9, 0.4, 60, 8), (2.0, 1.0, 60, 8), (1.2, 0.75, 400, 26)],
)
def test_scores_equal_bm25s_lucene_scores(k1: float, b: float, n_docs: int, letters: int) -> None:
    rng = np.random.default_rng(7)
    corpus = _random_corpus(rng, n_docs, letters)
    ours = SparseIndex(IndexSettings(k1=k1, b=b, typo_distance=0)).fit(corpus)
    reference = bm25s.BM25(method="lucene", k1=k1, b=b)
    reference.index([analyze(text) for text in corpus], show_progress=False)
    for query in ("wordaa wordbc", "wordhh", "wordab wordab wordcd wordef"):
        expected = reference.get_scores(analyze(" ".join(dict.fromkeys(query.split()))))
        rows, scores = ours.score(" ".join(dict.fromkeys(query.split())))
        got = np.zeros(len(corpus))
        got[rows] = scores
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_large_queries_accumulated_column_by_column_score_the_same(monkeypatch) -> None:
    import knowledge.postings as postings_module

    corpus = _random_corpus(np.random.default_rng(3), 200)
    index = SparseIndex().fit(corpus)
    expected = index.score("wordaa wordbc wordhh wordab")
    monkeypatch.setattr(postings_module, "_BINCOUNT_MAX_POSTINGS", 0)
    rows, scores = index.score("wordaa wordbc wordhh wordab")
    assert rows.tolist() == expected[0].tolist()
    np.testing.assert_allclose(scores, expected[1], rtol=1e-6)


def test_query_terms_carry_idf_and_corrections(index: SparseIndex) -> None:
    terms = index.query_terms("enteromamary imune system of the infant")
    by_token = {t.token: t for t in terms}
    assert by_token["enteromamary"].term == "enteromammari"
    assert by_token["enteromamary"].corrected is True
    assert by_token["imune"].term == "immun"
    assert by_token["infant"].corrected is False
    assert "the" not in by_token and "of" not in by_token
    # "immune" is in two passages, "infant" in one: the rarer word weighs more.
    assert by_token["infant"].weight > by_token["imune"].weight


def test_term_weight_is_the_idf_a_query_word_carries(index: SparseIndex) -> None:
    [infant] = index.query_terms("infant")
    assert index.term_weight(infant.term) == infant.weight
    # "immun" is in two passages, "infant" in one: the rarer term weighs more.
    assert index.term_weight("infant") > index.term_weight("immun") > 0
    assert index.term_weight("xylophon") is None  # never seen
    assert index.term_weight("the") is None  # stop words are not indexed
    assert index.term_weight("imune") is None  # no typo correction: terms are looked up as given


def test_term_with_prefix_finds_a_stems_longer_forms(index: SparseIndex) -> None:
    assert index.term_with_prefix("mammar") == "mammari"
    assert index.term_with_prefix("immun") == "immun"  # a term is its own first completion
    assert index.term_with_prefix("immuno") == "immunoglobulin"
    assert index.term_with_prefix("zeb") is None


def test_a_misspelled_question_finds_the_passage(index: SparseIndex) -> None:
    rows, _ = index.search("enteromamary imune system", k=1)
    assert rows[0] == 1


def test_unknown_words_far_from_every_word_are_dropped(index: SparseIndex) -> None:
    assert index.query_terms("xylophone quasar") == []
    rows, scores = index.search("xylophone quasar")
    assert len(rows) == 0 and len(scores) == 0


def test_short_words_are_not_corrected(index: SparseIndex) -> None:
    assert index.query_terms("igb") == []  # "iga" is one letter away, but three letters is too short
    assert index.query_terms("mulk") == []  # four letters: "milk" is near, but so are many words


def test_corrections_keep_digits_so_codes_are_not_swapped() -> None:
    index = SparseIndex().fit(["HOXB7 and interleukin6 expression", "immune response"])
    assert index.query_terms("hoxb4") == []  # a different gene, not a typo of HOXB7
    assert index.query_terms("interleukin8") == []
    [typo] = index.query_terms("interleukn6")
    assert typo.term == "interleukin6" and typo.corrected


def test_typo_correction_can_be_turned_off() -> None:
    index = SparseIndex(IndexSettings(typo_distance=0)).fit(CORPUS)
    assert index.query_terms("imune") == []


def test_save_and_load_give_the_same_results(index: SparseIndex, tmp_path) -> None:
    index.save(tmp_path / "ix")
    loaded = SparseIndex.load(tmp_path / "ix")
    assert loaded.n_rows == index.n_rows == len(CORPUS)
    assert loaded.vocabulary_size == index.vocabulary_size
    assert loaded.settings == index.settings
    for query in ("immune milk", "enteromamary imune", "fish heart", "the"):
        a_rows, a_scores = index.search(query, k=5)
        b_rows, b_scores = loaded.search(query, k=5)
        assert a_rows.tolist() == b_rows.tolist()
        np.testing.assert_array_equal(a_scores, b_scores)
    assert loaded.query_terms("imune gut") == index.query_terms("imune gut")


def test_term_lookups_are_the_same_after_save_and_load(index: SparseIndex, tmp_path) -> None:
    index.save(tmp_path / "ix")
    loaded = SparseIndex.load(tmp_path / "ix")
    for term in ("immun", "infant", "mammari", "xylophon"):
        assert loaded.term_weight(term) == index.term_weight(term)
    for prefix in ("mammar", "immuno", "ent", "zeb"):
        assert loaded.term_with_prefix(prefix) == index.term_with_prefix(prefix)


def test_saved_files_hold_no_pickle(index: SparseIndex, tmp_path) -> None:
    index.save(tmp_path)
    with np.load(tmp_path / "index.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)


def test_missing_index_raises_index_format_error(tmp_path) -> None:
    with pytest.raises(IndexFormatError):
        SparseIndex.load(tmp_path / "nowhere")


def test_truncated_arrays_raise_index_format_error(index: SparseIndex, tmp_path) -> None:
    index.save(tmp_path)
    blob = (tmp_path / "index.npz").read_bytes()
    (tmp_path / "index.npz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(IndexFormatError):
        SparseIndex.load(tmp_path)


def test_garbage_arrays_raise_index_format_error(index: SparseIndex, tmp_path) -> None:
    index.save(tmp_path)
    (tmp_path / "index.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(IndexFormatError, match="cannot read"):
        SparseIndex.load(tmp_path)


def test_inconsistent_metadata_raises_index_format_error(index: SparseIndex, tmp_path) -> None:
    index.save(tmp_path)
    meta = json.loads((tmp_path / "index.json").read_text())
    meta["nnz"] += 5
    (tmp_path / "index.json").write_text(json.dumps(meta))
    with pytest.raises(IndexFormatError, match="corrupt"):
        SparseIndex.load(tmp_path)
    (tmp_path / "index.json").write_text("{")
    with pytest.raises(IndexFormatError):
        SparseIndex.load(tmp_path)


def test_empty_corpus_gives_empty_results(tmp_path) -> None:
    index = SparseIndex().fit([])
    assert index.n_rows == 0 and index.vocabulary_size == 0
    rows, scores = index.search("anything")
    assert len(rows) == 0 and len(scores) == 0
    index.save(tmp_path)
    assert SparseIndex.load(tmp_path).search("anything")[0].size == 0


def test_corpus_of_stop_words_only_gives_empty_results() -> None:
    index = SparseIndex().fit(["the and of", "is it"])
    assert index.n_rows == 2
    assert index.search("the")[0].size == 0


def test_all_stop_word_query_gives_empty_results(index: SparseIndex) -> None:
    rows, scores = index.search("what is the and of it")
    assert len(rows) == 0 and len(scores) == 0
    assert index.query_terms("") == []


def test_using_the_index_before_fit_is_a_clear_error() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        SparseIndex().search("milk")
    with pytest.raises(NotFittedError, match="fit"):
        SparseIndex().term_weight("milk")


def test_sublinear_tfidf_weighting_ranks_too() -> None:
    index = SparseIndex(IndexSettings(weighting="tfidf")).fit(CORPUS)
    assert index.search("vitamin D from sunlight", k=1)[0][0] == 2


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        IndexSettings(weighting="magic")
    with pytest.raises(ValueError):
        IndexSettings(b=1.5)


def test_top_k_groups_scores_each_group_by_its_best_row() -> None:
    rows = np.array([0, 1, 2, 3, 4, 5])
    scores = np.array([0.5, 2.0, 1.0, 0.1, 3.0, 2.0], dtype=np.float32)
    groups = np.array([0, 0, 1, 1, 2, 3])  # rows 0-1 are document 0, rows 2-3 document 1, ...
    best, best_scores = top_k_groups(rows, scores, groups, k=3)
    assert best.tolist() == [2, 0, 3]  # 3.0, then 2.0 twice: the lower group first
    assert best_scores.tolist() == [3.0, 2.0, 2.0]
    shuffled = np.array([5, 3, 0, 4, 2, 1])
    again, _ = top_k_groups(shuffled, scores[shuffled], groups, k=3)
    assert again.tolist() == [2, 0, 3]
    assert top_k_groups(rows[:0], scores[:0], groups, k=3)[0].size == 0


def test_search_documents_through_the_knowledge_base_ranks_documents() -> None:
    from knowledge import Document, KnowledgeBase

    long_text = " ".join(["Vitamin D comes from sunlight."] * 60 + ["Breast milk carries IgA antibodies."])
    kb = KnowledgeBase.from_documents(
        [Document("d1", "Sunlight", long_text), Document("d2", "Milk", "Milk and IgA antibodies.")]
    )
    found = search_documents(kb, "IgA antibodies in milk", k=5)
    assert [doc for doc, _ in found] == ["d2", "d1"]
    assert found[0][1] >= found[1][1] > 0


def test_a_question_naming_a_section_finds_the_passages_under_its_heading() -> None:
    from knowledge import Document, KnowledgeBase

    text = (
        "# Setup\n\nMake sure the script is on your path; if it is not, make a symbolic link to it "
        "and check that the file is executable. Some systems need a restart before the change is "
        "seen. Other systems keep scripts in another folder, which you add to the path yourself.\n\n"
        "# Tables\n\nThe extension adds the ability to create tables, written with pipes and dashes. "
        "Each row of a table is one line; the second line holds the dashes under the header cells, "
        "and colons in it set the alignment of each column of cells.\n\n"
        "# Footnotes\n\nFootnotes are written with a caret and a label in brackets.\n\n"
        "# Abbreviations\n\nAn abbreviation is defined once and marked wherever it is used.\n\n"
        "# Table of Contents\n\nThe contents list is built from the headings of the document.\n\n"
        "# Links\n\nLinks are written with the text in brackets and the address in parentheses.\n"
    )
    docs = [Document("guide", "Guide", text)]
    flat = KnowledgeBase.from_documents(docs, settings=IndexSettings(heading_weight=0.0))
    fielded = KnowledgeBase.from_documents(docs)
    assert search(flat, "how do i make tables", k=1)[0].section == "Setup"  # "make" twice outweighs
    assert search(fielded, "how do i make tables", k=1)[0].section == "Tables"


def test_a_heading_field_leaves_passages_without_headings_as_they_were() -> None:
    texts = ["alpha beta gamma", "beta gamma delta", "gamma delta alpha"]
    plain = SparseIndex(IndexSettings(heading_weight=0.0)).fit(texts)
    assert (plain.matrix_.tocsc() != SparseIndex().fit(texts, ["", "", ""]).matrix_.tocsc()).nnz == 0
    fielded = SparseIndex().fit(texts, ["", "delta", ""]).matrix_.tocsc().tocsr()
    unchanged = plain.matrix_.tocsc().tocsr()
    for row in (0, 2):
        assert (fielded[row] != unchanged[row]).nnz == 0
    assert fielded[1].sum() > unchanged[1].sum()
    with pytest.raises(ValueError):
        IndexSettings(heading_weight=-1)
