"""BEIR data loading and retrieval metrics shared by the benchmark scripts."""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/<script>.py` from a checkout
    sys.path.insert(0, str(ROOT))


def data_dir() -> Path:
    """``$CITEBOT_DATA_DIR``, else the shared data folder next to the checkout."""
    override = os.environ.get("CITEBOT_DATA_DIR")
    return Path(override) if override else ROOT.parent / "shared" / "data"


@dataclass
class Dataset:
    name: str
    corpus: dict[str, tuple[str, str]]  # doc id -> (title, text)
    queries: dict[str, str]  # query id -> text, only queries judged in the split
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> relevance
    split: str


def load(name: str, split: str = "test") -> Dataset:
    folder = data_dir() / name
    corpus: dict[str, tuple[str, str]] = {}
    with open(folder / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            corpus[str(row["_id"])] = (row.get("title") or "", row.get("text") or "")
    qrels: dict[str, dict[str, int]] = {}
    with open(folder / "qrels" / f"{split}.tsv", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)
        for qid, did, score in reader:
            if int(score) > 0:
                qrels.setdefault(qid, {})[did] = int(score)
    queries: dict[str, str] = {}
    with open(folder / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if str(row["_id"]) in qrels:
                queries[str(row["_id"])] = row["text"]
    qrels = {q: rel for q, rel in qrels.items() if q in queries}
    return Dataset(name, corpus, queries, qrels, split)


Run = dict[str, dict[str, float]]


def evaluate(qrels: dict[str, dict[str, int]], run: Run) -> dict[str, float]:
    """Mean nDCG@10 (linear gains, as BEIR/pytrec_eval) and Recall@100 with ranx. Queries with no
    result count as zero."""
    from ranx import Qrels
    from ranx import Run as RanxRun
    from ranx import evaluate as ranx_evaluate

    filled = {q: (run.get(q) or {"__none__": 0.0}) for q in qrels}
    scores = ranx_evaluate(Qrels(qrels), RanxRun(filled), ["ndcg@10", "recall@100"])
    return {"ndcg@10": float(scores["ndcg@10"]), "recall@100": float(scores["recall@100"])}


def ndcg_per_query(qrels: dict[str, dict[str, int]], run: Run) -> dict[str, float]:
    """nDCG@10 of every judged query (zero when nothing was retrieved), for paired comparisons."""
    from ranx import Qrels
    from ranx import Run as RanxRun
    from ranx import evaluate as ranx_evaluate

    filled = {q: (run.get(q) or {"__none__": 0.0}) for q in qrels}
    ranx_qrels = Qrels(qrels)
    scores = ranx_evaluate(ranx_qrels, RanxRun(filled), "ndcg@10", return_mean=False)
    return dict(zip(ranx_qrels.keys(), (float(s) for s in scores), strict=True))


def ndcg_at_10_by_hand(relevance: dict[str, int], ranked: list[str]) -> float:
    """nDCG@10 from its definition, to cross-check the library on a few queries."""
    dcg = sum(relevance.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(relevance.values(), reverse=True)[:10]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def cross_check(qrels: dict[str, dict[str, int]], run: Run, n: int = 5) -> None:
    """Compare ranx's per-query nDCG@10 with the hand computation; raise if they disagree."""
    from ranx import Qrels
    from ranx import Run as RanxRun
    from ranx import evaluate as ranx_evaluate

    picked = [q for q in qrels if run.get(q)][:n]
    sub_qrels = {q: qrels[q] for q in picked}
    sub_run = {q: run[q] for q in picked}
    per_query = ranx_evaluate(Qrels(sub_qrels), RanxRun(sub_run), "ndcg@10", return_mean=False)
    for q, got in zip(Qrels(sub_qrels).keys(), per_query, strict=True):
        # Sort as ranx does: score descending, then doc id descending on ties.
        ranked = [d for d, _ in sorted(run[q].items(), key=lambda kv: (kv[1], kv[0]), reverse=True)]
        expected = ndcg_at_10_by_hand(qrels[q], ranked)
        if not math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9):
            raise AssertionError(f"nDCG@10 for query {q}: ranx {got:.6f}, by hand {expected:.6f}")
