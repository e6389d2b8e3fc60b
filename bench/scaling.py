"""How the index scales: synthetic SciFact-shaped corpora of 10k, 100k and 1M passages.

    python bench/scaling.py [--sizes 10000,100000,1000000] [--queries 300]

Passages are drawn word by word from SciFact's word frequencies (stop words included, as written),
with lengths drawn from the lengths of citebot's SciFact passages; queries are real SciFact claims.
Each engine is built in its own child process, one after the other, so peak memory is that of one
build (peak RSS minus the RSS after reading the texts). Latency: one query per call, top 10,
tokenisation included. Then citebot's latency is tabled against the summed length of the query's
postings, to show that query cost follows postings rather than corpus size.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import beir
import numpy as np
import psutil
import report

WORK = Path(tempfile.gettempdir()) / "citebot-scaling"
SEED = 13


# -- the synthetic corpus ------------------------------------------------------------------------


def scifact_shape() -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """SciFact's words with their probabilities, citebot's passage lengths (in words), and the
    SciFact claims (train and test) to use as queries."""
    from knowledge import Document, KnowledgeBase
    from knowledge.text import tokens

    train, test = beir.load("scifact", "train"), beir.load("scifact", "test")
    kb = KnowledgeBase.from_documents(Document(i, t, x) for i, (t, x) in test.corpus.items())
    counts: Counter[str] = Counter()
    lengths = []
    for passage in kb.passages:
        words = tokens(f"{kb.documents[passage.doc_id].title} {passage.text}")
        counts.update(words)
        lengths.append(len(words))
    vocab = list(counts)
    freq = np.array([counts[w] for w in vocab], dtype=np.float64)
    return (
        vocab,
        freq / freq.sum(),
        np.array(lengths),
        list(train.queries.values()) + list(test.queries.values()),
    )


def write_corpus(size: int, path: Path) -> None:
    vocab, probs, lengths, _ = scifact_shape()
    rng = np.random.default_rng(SEED + size)
    words = np.array(vocab, dtype=object)
    with open(path, "w", encoding="utf-8") as fh:
        for start in range(0, size, 50_000):
            n = min(50_000, size - start)
            lens = rng.choice(lengths, size=n)
            ids = rng.choice(len(vocab), size=int(lens.sum()), p=probs)
            bounds = np.concatenate(([0], np.cumsum(lens)))
            fh.write("".join(" ".join(words[ids[a:b]]) + "\n" for a, b in itertools.pairwise(bounds)))


# -- one engine in a child process -----------------------------------------------------------------


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def child(engine: str, corpus: Path, queries_file: Path, out: Path) -> dict:
    # Import first, read second, so the baseline holds the libraries and the texts.
    if engine == "citebot":
        import sklearn.feature_extraction.text  # noqa: F401  (imported by fit; not build memory)

        from knowledge.index import SparseIndex
    else:
        import bm25s
        import Stemmer
    with open(corpus, encoding="utf-8") as fh:
        texts = [line.rstrip("\n") for line in fh]
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    base = rss_mb()
    shutil.rmtree(out, ignore_errors=True)
    if engine == "citebot":
        start = time.perf_counter()
        index = SparseIndex().fit(texts)
        build_s = time.perf_counter() - start
        peak = peak_rss_mb() - base
        del texts
        index.save(out)
        del index
        start = time.perf_counter()
        index = SparseIndex.load(out)
        load_s = time.perf_counter() - start
        index.search(queries[0], 10)  # first use builds the typo buckets lazily: not a query cost

        def search(q: str) -> None:
            index.search(q, 10)

        lengths = np.diff(index.matrix_.indptr)

        def postings(q: str) -> int:
            return int(sum(lengths[index.vocabulary_[t.term]] for t in index.query_terms(q)))

    else:
        stemmer = Stemmer.Stemmer("english")
        start = time.perf_counter()
        retriever = bm25s.BM25()
        retriever.index(
            bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False
        )
        build_s = time.perf_counter() - start
        peak = peak_rss_mb() - base
        del texts
        retriever.save(out)
        del retriever
        start = time.perf_counter()
        retriever = bm25s.BM25.load(out)
        load_s = time.perf_counter() - start

        def search(q: str) -> None:
            tokens = bm25s.tokenize(q, stopwords="en", stemmer=stemmer, show_progress=False)
            if tokens.vocab:
                retriever.retrieve(tokens, k=10, show_progress=False, n_threads=1)

        def postings(q: str) -> int:
            return 0

    for q in queries[:20]:  # warm-up (numba compilation for bm25s)
        search(q)
    _, times = report.latencies(search, queries)
    result = {
        "engine": engine,
        "build_s": build_s,
        "peak_mb": peak,
        "disk_mb": folder_mb(out),
        "load_s": load_s,
        **report.latency_summary(times),
        "times": times.tolist(),
        "postings": [postings(q) for q in queries],
    }
    shutil.rmtree(out, ignore_errors=True)
    return result


def run_child(engine: str, corpus: Path, queries_file: Path) -> dict:
    out = WORK / f"index-{engine}"
    cmd = [sys.executable, __file__, "--child", engine, str(corpus), str(queries_file), str(out)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


# -- the report ------------------------------------------------------------------------------------


def postings_table(results: dict[int, dict]) -> str:
    """citebot's median latency per bucket of summed postings, for each corpus size."""
    edges = [0, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10**9]
    sizes = sorted(results)
    rows = []
    for lo, hi in itertools.pairwise(edges):
        row: list = [f"{lo:,}-{hi:,}" if hi < 10**9 else f">= {lo:,}"]
        any_value = False
        for size in sizes:
            post = np.array(results[size]["postings"])
            times = np.array(results[size]["times"]) * 1000
            sel = (post >= lo) & (post < hi)
            row.append(f"{np.median(times[sel]):.2f} ({sel.sum()})" if sel.any() else "")
            any_value |= bool(sel.any())
        if any_value:
            rows.append(row)
    return report.table(["summed postings", *[f"{s:,} passages: p50 ms (queries)" for s in sizes]], rows)


def cost_per_posting(results: dict[int, dict]) -> str:
    lines = []
    for size in sorted(results):
        post = np.array(results[size]["postings"], dtype=np.float64)
        times = np.array(results[size]["times"]) * 1000
        slope, intercept = np.polyfit(post, times, 1)
        lines.append(
            f"- {size:,} passages: latency ~= {intercept:.3f} ms + {slope * 1e6:.1f} ms per million postings "
            f"(correlation {np.corrcoef(post, times)[0, 1]:.2f})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=300, help="SciFact claims to time (max 1109)")
    parser.add_argument("--engines", default="citebot,bm25s")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, corpus, queries_file, out = args.child
        print(json.dumps(child(engine, Path(corpus), Path(queries_file), Path(out))))
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    queries = scifact_shape()[3]
    rng = np.random.default_rng(SEED)
    picked = [queries[i] for i in rng.permutation(len(queries))[: args.queries]]
    queries_file = WORK / "queries.json"
    queries_file.write_text(json.dumps(picked), encoding="utf-8")
    rows, citebot = [], {}
    for size in [int(s) for s in args.sizes.split(",")]:
        corpus = WORK / f"corpus-{size}.txt"
        start = time.perf_counter()
        write_corpus(size, corpus)
        print(
            f"  {size:,} passages generated in {time.perf_counter() - start:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        for engine in args.engines.split(","):
            r = run_child(engine, corpus, queries_file)
            print(
                f"  {size:,} {engine}: build {r['build_s']:.1f} s, p50 {r['p50_ms']:.2f} ms",
                file=sys.stderr,
                flush=True,
            )
            rows.append([f"{size:,}", engine, r["build_s"], r["peak_mb"], r["disk_mb"], r["load_s"],
                         r["p50_ms"], r["p99_ms"], r["qps"]])  # fmt: skip
            if engine == "citebot":
                citebot[size] = r
        corpus.unlink()
    columns = [
        "passages",
        "engine",
        "build s",
        "peak MiB",
        "disk MiB",
        "load s",
        "p50 ms",
        "p99 ms",
        "queries/s",
    ]
    parts = [
        report.header("Index scaling", "python bench/scaling.py"),
        f"Synthetic passages shaped like SciFact (word frequencies and passage lengths); {len(picked)} "
        "SciFact claims as queries, one per call, top 10. peak MiB: peak RSS of the build minus the RSS "
        "with the texts loaded.",
        report.table(columns, rows),
    ]
    if citebot:
        parts += [
            "### citebot latency against the summed postings of the query's terms",
            postings_table(citebot),
            cost_per_posting(citebot),
        ]
    text = "\n\n".join(parts)
    print(text)
    report.write("scaling.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
