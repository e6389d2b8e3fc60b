"""A server with uploads: the shared base is referred to, never copied, and answers are those of
indexing everything together."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.evaluation import load_question_set
from knowledge.index import idf
from knowledge.overlay import OverlayKnowledgeBase
from knowledge.retriever import search
from knowledge.uploads import KnowledgeLoader

DATA = Path(__file__).resolve().parents[1] / "data"
DOCS_SETS = sorted(p.parent.name for p in DATA.glob("*-docs/questions.yaml"))
EVERYDAY = Path(__file__).with_name("everyday_questions.yaml")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return KnowledgeBase.default(state_dir=tmp_path_factory.mktemp("state"))


def _server(base: KnowledgeBase, tmp: Path, files: dict[str, str]) -> KnowledgeBase:
    uploads = tmp / "servers" / "1" / "knowledge"
    uploads.mkdir(parents=True)
    for name, text in files.items():
        (uploads / name).write_text(text, encoding="utf-8")
    return KnowledgeLoader(tmp / "base", tmp, uploads).load(base)


FRIDGE = "# Fridge notes\n\n## Keeping milk\n\nExpressed milk keeps four days in the fridge at 4 degrees.\n"
ZEBRA = "# Zebrafish\n\n## Husbandry\n\nZebrafish larvae need warm water; zebrafish breed weekly.\n"


def test_the_base_is_referred_to_not_copied(base: KnowledgeBase, tmp_path: Path) -> None:
    kb = _server(base, tmp_path, {"fridge.md": FRIDGE})
    assert isinstance(kb, OverlayKnowledgeBase)
    assert kb.base is base
    assert kb.index.base is base.index
    assert kb.index.base.matrix_.data is base.index.matrix_.data  # the same buffer, not a copy
    assert kb.documents.first is base.documents and kb.passages.first is base.passages
    # What the server holds of its own: its uploads' passages and an index of them alone.
    assert kb.own.index.n_rows == len(kb.own.passages) < len(base.passages) + len(kb.own.passages)
    assert set(kb.own.documents) == {"uploads/fridge"}
    assert len(kb.passages) == len(base.passages) + len(kb.own.passages)
    assert kb.index.n_rows == len(kb.passages)


def test_a_server_without_uploads_answers_from_the_base_itself(base: KnowledgeBase, tmp_path: Path) -> None:
    uploads = tmp_path / "servers" / "2" / "knowledge"
    assert KnowledgeLoader(tmp_path / "base", tmp_path, uploads).load(base) is base


def test_an_uploaded_word_rare_in_the_base_gets_the_idf_of_both(base: KnowledgeBase, tmp_path: Path) -> None:
    kb = _server(base, tmp_path, {"zebra.md": ZEBRA, "fridge.md": FRIDGE})
    together = KnowledgeBase.from_documents([*base.documents.values(), *kb.own.documents.values()])
    n = len(together.passages)
    for term in ("zebrafish", "fridg", "milk", "antibodi"):
        df = int(together.index.document_frequencies([term])[0])
        assert df > 0
        assert kb.index.term_weight(term) == pytest.approx(float(idf(df, n)), rel=1e-6)
        assert kb.index.term_weight(term) == pytest.approx(together.index.term_weight(term), rel=1e-6)
    # "zebrafish" is only uploaded: as rare among all rows as in one index built of everything.
    assert kb.index.term_weight("zebrafish") > kb.index.term_weight("milk")


def test_idf_is_exact_and_own_rows_score_as_in_one_index(base: KnowledgeBase, tmp_path: Path) -> None:
    kb = _server(base, tmp_path, {"zebra.md": ZEBRA, "fridge.md": FRIDGE})
    together = KnowledgeBase.from_documents([*base.documents.values(), *kb.own.documents.values()])
    query = "how long does milk keep in the fridge"
    rows, scores = kb.index.score(query)
    rows_all, scores_all = together.index.score(query)
    assert rows.tolist() == rows_all.tolist()  # the same rows, numbered the same
    own = rows >= kb.offset  # the uploads' rows: exact (the average length of both)
    np.testing.assert_allclose(scores[own], scores_all[own], rtol=1e-5)
    # The base's rows keep the base's average length: close, not equal.
    np.testing.assert_allclose(scores[~own], scores_all[~own], rtol=0.25)
    assert [h.passage_id for h in search(kb, query, 3)] == [h.passage_id for h in search(together, query, 3)]


def test_lookups_see_the_base_and_the_uploads(base: KnowledgeBase, tmp_path: Path) -> None:
    kb = _server(base, tmp_path, {"zebra.md": ZEBRA})
    own_passage = kb.own.passages[0]
    base_passage = base.passages[0]
    assert kb.passage(own_passage.id) is own_passage and kb.passage(base_passage.id) is base_passage
    assert kb.hit(own_passage.id).doc_id == "uploads/zebra"
    assert kb.row_of(own_passage.id) == len(base.passages)
    assert [t.doc_id for t in kb.topics()] == [*base.documents, "uploads/zebra"]
    assert kb.doc_passages("uploads/zebra") == list(kb.own.passages)
    assert kb.doc_passages(base_passage.doc_id) == base.doc_passages(base_passage.doc_id)
    assert kb.unknown_words("zebrafish antibodies quokka") == ["quokka"]
    assert kb.unknown_words("zebrafsh") == []  # a typo of an uploaded word is corrected
    assert "zebrafish" in kb.index.vocabulary_ and "antibodi" in kb.index.vocabulary_
    assert kb.surface("zebrafish") == "zebrafish"


def test_an_upload_does_not_reach_another_server(base: KnowledgeBase, tmp_path: Path) -> None:
    a = _server(base, tmp_path / "a", {"zebra.md": ZEBRA})
    b = _server(base, tmp_path / "b", {"fridge.md": FRIDGE})
    assert a.base is b.base is base
    assert not any(h.doc_id == "uploads/zebra" for h in search(b, "zebrafish husbandry", 10))
    assert search(a, "zebrafish husbandry", 1)[0].doc_id == "uploads/zebra"
    assert "zebrafish" not in b.index.vocabulary_ and "zebrafish" not in base.index.vocabulary_


# -- the same answers as indexing everything together ---------------------------------------------


def _decision(assistant: Assistant, question: str) -> tuple[bool, tuple[str, ...]]:
    answer = assistant.ask(question)
    return answer.answered, tuple(h.passage_id for h in answer.sources()) if answer.answered else ()


def _questions(folder: Path) -> list[str]:
    questions = load_question_set(folder / "questions.yaml")
    everyday = load_question_set(EVERYDAY).half("test")
    return [q.question for q in (*questions.answerable, *questions.off_topic, *everyday.answerable)]


@pytest.mark.parametrize("docs_set", DOCS_SETS)
def test_answers_match_indexing_everything_together(
    base: KnowledgeBase, tmp_path: Path, docs_set: str
) -> None:
    """A docs set uploaded over the built-in article: answered or declined, and the passages cited,
    as when the base and the uploads are indexed together (the path before the overlay). The base is
    a fraction of the uploads here, the hardest case for the base's rows keeping the base's average
    length; see bench/results/overlay_answers.md for the questions that differ."""
    uploads = tmp_path / "servers" / "1" / "knowledge"
    shutil.copytree(DATA / docs_set / "docs", uploads)
    loader = KnowledgeLoader(tmp_path / "base", tmp_path, uploads)
    overlay = loader.load(base)
    uploaded, errors = loader.uploaded_documents()
    together = KnowledgeBase.from_documents([*base.documents.values(), *uploaded], errors=errors)
    assert [p.id for p in overlay.passages] == [p.id for p in together.passages]
    questions = _questions(DATA / docs_set)
    old, new = Assistant(together), Assistant(overlay)
    decided_alike = sum(_decision(old, q)[0] == _decision(new, q)[0] for q in questions)
    cited_alike = sum(_decision(old, q) == _decision(new, q) for q in questions)
    assert decided_alike >= 0.98 * len(questions)
    assert cited_alike >= 0.95 * len(questions)


def test_documents_of_both_with_a_glossary(base: KnowledgeBase, tmp_path: Path) -> None:
    glossary = "---\nglossary:\n  zf: zebrafish\n---\n" + ZEBRA
    kb = _server(base, tmp_path, {"zebra.md": glossary})
    assert kb.glossary.expand("do zf breed").text == "do zebrafish breed"
