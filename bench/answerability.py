"""Answerability at scale: does citebot answer the questions its documents answer and decline the
others? A BEIR corpus is indexed without the relevant documents of about half the test queries
(a seeded, fixed choice); every test query is then asked through the public API
(``KnowledgeBase.from_documents`` and ``Assistant.ask``). A query is answerable when at least one of its
relevant documents is still in. Reported: precision and recall of answering, and the ROC AUC of
``Answer.confidence`` separating answerable from unanswerable queries (scikit-learn). SciFact is the
set to tune on; NFCorpus is reported only. Run: python bench/answerability.py"""

from __future__ import annotations

import os
import platform
import random
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from beir import Dataset, load
from sklearn.metrics import roc_auc_score

from knowledge import Assistant, Document, KnowledgeBase

RESULTS = Path(__file__).with_name("results") / "answerability.md"
SEED = 20261127
DATASETS = ("scifact", "nfcorpus")


@dataclass
class Result:
    """How one corpus went: counts of answerable and answered queries, and the confidence AUC."""

    name: str
    queries: int
    documents: int
    removed: int
    answerable: int
    answered: int
    answered_answerable: int
    answered_relevant: int
    auc: float
    seconds: float

    @property
    def precision(self) -> float:
        return self.answered_answerable / self.answered if self.answered else 0.0

    @property
    def recall(self) -> float:
        return self.answered_answerable / self.answerable if self.answerable else 0.0


def held_out(data: Dataset, seed: int = SEED) -> set[str]:
    """The queries (about half, chosen with ``seed``) whose relevant documents leave the corpus."""
    queries = sorted(data.queries)
    return set(random.Random(seed).sample(queries, len(queries) // 2))


def run(name: str) -> Result:
    data = load(name, "test")
    removed_docs = {doc for query in held_out(data) for doc in data.qrels[query]}
    docs = [Document(doc_id, *fields) for doc_id, fields in data.corpus.items() if doc_id not in removed_docs]
    started = time.perf_counter()
    assistant = Assistant(KnowledgeBase.from_documents(docs))
    labels, scores = [], []
    answered = answered_answerable = answered_relevant = 0
    for query_id, text in sorted(data.queries.items()):
        relevant = set(data.qrels[query_id]) - removed_docs
        answer = assistant.ask(text)
        labels.append(bool(relevant))
        scores.append(answer.confidence)
        if answer.answered:
            answered += 1
            answered_answerable += bool(relevant)
            answered_relevant += bool(answer.hits) and answer.hits[0].doc_id in relevant
    return Result(
        name=name,
        queries=len(labels),
        documents=len(docs),
        removed=len(removed_docs),
        answerable=sum(labels),
        answered=answered,
        answered_answerable=answered_answerable,
        answered_relevant=answered_relevant,
        auc=float(roc_auc_score(labels, scores)),
        seconds=time.perf_counter() - started,
    )


def main() -> None:
    results = [run(name) for name in DATASETS]
    lines = [
        f"Answerability — {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{date.today()}. Reproduce: `python bench/answerability.py`",
        "",
        f"BEIR test queries; the relevant documents of half of them (seed {SEED}) are left out of the "
        "knowledge base, so those queries are unanswerable. A query is answerable when at least one "
        "relevant document is in. Precision: answered queries that are answerable; recall: answerable "
        "queries answered; AUC: `Answer.confidence` ranking answerable above unanswerable (0.5 is chance). "
        "Tune on SciFact only; NFCorpus is reported, never tuned on.",
        "",
        "| corpus (test) | queries | answerable | docs in (left out) | answered | precision | recall "
        "| top citation relevant | confidence AUC | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {r.name} | {r.queries} | {r.answerable} | {r.documents:,} ({r.removed:,}) | {r.answered} "
            f"| {r.precision:.3f} | {r.recall:.3f} | {r.answered_relevant}/{r.answered_answerable} "
            f"| {r.auc:.3f} | {r.seconds:.1f} |"
            for r in results
        ),
        "",
        "Top citation relevant: answered answerable queries whose first cited passage is from one of "
        "their relevant documents. Answering at random would give a precision equal to the answerable "
        "share (answerable / queries). Seconds: building the index and answering every query. NFCorpus "
        "queries share many relevant documents, so leaving out those of half the queries removes most "
        "of the corpus and most queries become unanswerable.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
