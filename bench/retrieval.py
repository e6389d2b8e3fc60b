"""Retrieval quality and speed on SciFact and NFCorpus: citebot against bm25s, rank_bm25 and TF-IDF.

    python bench/retrieval.py [--datasets scifact,nfcorpus] [--skip rank_bm25]

Every retriever is built and queried in this one process, one query per call, so latencies are
comparable side by side. citebot indexes each BEIR document as a ``knowledge.Document`` through
``KnowledgeBase.from_documents`` (chunked into passages, a document scores as its best passage).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable

import beir
import numpy as np
import psutil
import report

from knowledge.retriever import search_documents

K = 100  # retrieved per query: Recall@100 needs 100


class Retriever:
    name = ""

    def build(self, corpus: dict[str, tuple[str, str]]) -> None:
        raise NotImplementedError

    def query(self, text: str) -> dict[str, float]:
        raise NotImplementedError


class Citebot(Retriever):
    name = "citebot (KnowledgeBase)"

    def __init__(self, settings=None, chunk_chars: int | None = None, label: str = "") -> None:
        self.settings, self.chunk_chars = settings, chunk_chars
        if label:
            self.name = label

    def build(self, corpus):
        from knowledge import Document, KnowledgeBase

        docs = [Document(doc_id, title, text) for doc_id, (title, text) in corpus.items()]
        kwargs = {"chunk_chars": self.chunk_chars} if self.chunk_chars else {}
        self.kb = KnowledgeBase.from_documents(docs, settings=self.settings, **kwargs)

    def query(self, text):
        return dict(search_documents(self.kb, text, K))


class Bm25s(Retriever):
    name = "bm25s + PyStemmer"

    def build(self, corpus):
        import bm25s
        import Stemmer

        self.bm25s, self.stemmer = bm25s, Stemmer.Stemmer("english")
        self.ids = list(corpus)
        texts = [f"{title} {text}" for title, text in corpus.values()]
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)

    def query(self, text):
        tokens = self.bm25s.tokenize(text, stopwords="en", stemmer=self.stemmer, show_progress=False)
        if not tokens.vocab:
            return {}
        k = min(K, len(self.ids))
        docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return {self.ids[d]: float(s) for d, s in zip(docs[0], scores[0], strict=True) if s > 0}


class RankBm25(Retriever):
    name = "rank_bm25 BM25Okapi"

    def build(self, corpus):
        import bm25s
        import Stemmer
        from rank_bm25 import BM25Okapi

        self.stemmer = Stemmer.Stemmer("english")
        self.tokenize = lambda texts: bm25s.tokenize(
            texts, stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False
        )
        self.ids = np.array(list(corpus))
        self.model = BM25Okapi(self.tokenize([f"{t} {x}" for t, x in corpus.values()]))

    def query(self, text):
        scores = self.model.get_scores(self.tokenize([text])[0])
        top = np.argsort(-scores)[:K]
        return {self.ids[i]: float(scores[i]) for i in top if scores[i] > 0}


class Tfidf(Retriever):
    name = "TfidfVectorizer() defaults"

    def build(self, corpus):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.ids = np.array(list(corpus))
        self.vectorizer = TfidfVectorizer()
        self.matrix = self.vectorizer.fit_transform([f"{t} {x}" for t, x in corpus.values()]).T.tocsr()

    def query(self, text):
        q = self.vectorizer.transform([text])
        scores = (q @ self.matrix).toarray().ravel()
        n = min(K, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return {self.ids[i]: float(scores[i]) for i in top if scores[i] > 0}


RETRIEVERS: dict[str, Callable[[], Retriever]] = {
    "citebot": Citebot,
    "bm25s": Bm25s,
    "rank_bm25": RankBm25,
    "tfidf": Tfidf,
}


def measure(make: Callable[[], Retriever], data: beir.Dataset, *, memory: bool = True) -> dict:
    """Build, query every judged query once (timed one by one), evaluate."""
    retriever = make()
    gc.collect()
    _, build_s = report.timed(lambda: retriever.build(data.corpus))
    qids = list(data.queries)
    results, times = report.latencies(retriever.query, [data.queries[q] for q in qids])
    run = {q: r for q, r in zip(qids, results, strict=True) if r}
    beir.cross_check(data.qrels, run)
    row = {"name": retriever.name, "build_s": build_s, **beir.evaluate(data.qrels, run)}
    row.update(report.latency_summary(times))
    if memory:
        # A second build under tracemalloc (it slows allocation, so it is not the timed one).
        row["peak_mb"] = report.peak_traced_mb(lambda: make().build(data.corpus))
    return row


COLUMNS = ["retriever", "nDCG@10", "Recall@100", "build s", "p50 ms", "p99 ms", "queries/s", "peak MiB"]


def as_row(r: dict) -> list:
    return [
        r["name"], r["ndcg@10"], r["recall@100"], r["build_s"], r["p50_ms"], r["p99_ms"], r["qps"],
        r.get("peak_mb", float("nan")),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="scifact,nfcorpus")
    parser.add_argument("--skip", default="", help="comma-separated retrievers to leave out")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    sections = [report.header("Retrieval benchmark", "python bench/retrieval.py")]
    for name in args.datasets.split(","):
        data = beir.load(name, "test")
        rows = []
        for key, make in RETRIEVERS.items():
            if key in skip:
                continue
            rows.append(measure(make, data))
            print(f"  {name}: {rows[-1]['name']} done", file=sys.stderr)
        title = (
            f"## {name} (test: {len(data.queries)} queries, {len(data.corpus):,} documents)\n\n"
            "Latency is one query per call, top 100, tokenisation included."
        )
        sections.append(title + "\n\n" + report.table(COLUMNS, [as_row(r) for r in rows]))
    rss = psutil.Process().memory_info().rss / 2**20
    sections.append(
        "peak MiB: heap allocated while building the index (tracemalloc, a separate build). "
        f"Process RSS at the end: {rss:,.0f} MiB.\nnDCG@10 and Recall@100 by ranx, nDCG@10 "
        "cross-checked against a hand computation on 5 queries per retriever."
    )
    text = "\n\n".join(sections)
    print(text)
    report.write("retrieval.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
