"""Every retrieval variant tried for citebot's defaults, on SciFact train, SciFact test and NFCorpus.

    python bench/variants.py [--only default,k1=0.9/b=0.4,...]

Defaults are chosen on SciFact **train** only; the test columns are reported, never used to choose.
Each variant goes through ``KnowledgeBase.from_documents`` as citebot indexes documents; the ideas
that are not (or not yet) engine settings are applied here on top of the engine's own index so
they can be judged before anyone builds them in.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import beir
import numpy as np
import report

from knowledge import Document, KnowledgeBase
from knowledge import index as engine
from knowledge.index import IndexSettings, SparseIndex, top_k, top_k_groups
from knowledge.kb import _index_text

K = 100
Scorer = Callable[[str], tuple[np.ndarray, np.ndarray]]  # query -> (rows, scores) over passages


@contextlib.contextmanager
def patched(obj: object, **attrs: object) -> Iterator[None]:
    """Swap module attributes (the analyzer's parts) for one variant, then put them back."""
    saved = {name: getattr(obj, name) for name in attrs}
    for name, value in attrs.items():
        setattr(obj, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(obj, name, value)


@dataclass
class Variant:
    name: str
    idea: str
    settings: IndexSettings | None = None
    chunk_chars: int | None = None
    title_repeat: int = 1
    # Extra analyzer changes, applied while building and querying.
    patches: dict[str, object] = field(default_factory=dict)
    # Wraps the knowledge base's own passage scorer (PRF, fusion with another channel, ...).
    rescorer: Callable[[KnowledgeBase, list[str]], Scorer] | None = None


def build(variant: Variant, corpus: dict[str, tuple[str, str]]) -> tuple[KnowledgeBase, Scorer, float]:
    docs = [
        Document(doc_id, title, "\n".join([title] * (variant.title_repeat - 1) + [text]))
        for doc_id, (title, text) in corpus.items()
    ]
    kwargs = {"chunk_chars": variant.chunk_chars} if variant.chunk_chars else {}
    start = time.perf_counter()
    kb = KnowledgeBase.from_documents(docs, settings=variant.settings, **kwargs)
    if variant.rescorer is None:
        scorer = kb.index.score
    else:
        texts = [_index_text(kb.documents[p.doc_id], p) for p in kb.passages]
        scorer = variant.rescorer(kb, texts)
    return kb, scorer, time.perf_counter() - start


def evaluate(data: beir.Dataset, built) -> tuple[dict[str, float], float]:
    """Per-query nDCG@10 and the median milliseconds to score and rank one query."""
    kb, scorer, _ = built
    run, times = {}, []
    for qid, text in data.queries.items():
        start = time.perf_counter()
        rows, scores = scorer(text)
        docs, best = top_k_groups(rows, scores, kb.row_doc, K)
        times.append(time.perf_counter() - start)
        if len(docs):
            run[qid] = {kb.doc_ids[d]: float(s) for d, s in zip(docs.tolist(), best.tolist(), strict=True)}
    return beir.ndcg_per_query(data.qrels, run), float(np.median(times) * 1000)


def paired_delta(per_query: dict[str, float], baseline: dict[str, float]) -> str:
    """Mean difference from the default with its paired standard error: differences within about
    two standard errors are noise."""
    diff = np.array([per_query[q] - baseline[q] for q in baseline])
    return f"{diff.mean():+.4f} ± {diff.std(ddof=1) / np.sqrt(len(diff)):.4f}"


# -- rescorers: ideas measured on top of the engine's index ---------------------------------------


def rm3(fb_docs: int, fb_terms: int, weight: float):
    """RM3-style pseudo-relevance feedback: expand the query with the heaviest terms of the top
    passages, interpolated with the original query."""

    def make(kb: KnowledgeBase, texts: list[str]) -> Scorer:
        ix = kb.index
        rows_matrix = ix.matrix_.tocsc().tocsr()

        def score(query: str):
            rows, scores = ix.score(query)
            if not len(rows):
                return rows, scores
            top, top_scores = top_k(rows, scores, fb_docs)
            sub = rows_matrix[top]
            sub = sub.multiply(1 / np.maximum(np.asarray(sub.sum(axis=1)), 1e-9)).tocsr()
            term_w = np.asarray(sub.multiply((top_scores / top_scores.sum())[:, None]).sum(axis=0)).ravel()
            cand = np.flatnonzero(term_w)
            n = min(fb_terms, len(cand))
            best = cand[np.argpartition(-term_w[cand], n - 1)[:n]]
            q = Counter(ix.vocabulary_[t.term] for t in ix.query_terms(query))
            total = sum(q.values())
            weights: Counter[int] = Counter({c: (1 - weight) * v / total for c, v in q.items()})
            for c, w in zip(best.tolist(), (term_w[best] / term_w[best].sum()).tolist(), strict=True):
                weights[c] += weight * w
            return ix.score_columns(
                np.fromiter(weights, dtype=np.int64), np.fromiter(weights.values(), dtype=np.float32)
            )

        return score

    return make


def fuse(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], weight: float):
    rows = np.concatenate([a[0], b[0]])
    scores = np.concatenate([a[1].astype(np.float64), weight * b[1].astype(np.float64)])
    uniq, inverse = np.unique(rows, return_inverse=True)
    return uniq, np.bincount(inverse, weights=scores)


def document_context(alpha: float):
    """Passage score + alpha x the whole document's BM25 score (evidence elsewhere in the document)."""

    def make(kb: KnowledgeBase, texts: list[str]) -> Scorer:
        docs = list(kb.documents.values())
        doc_index = SparseIndex(kb.index.settings).fit([f"{d.title}\n{d.text}" for d in docs])
        row_doc = kb.row_doc

        def score(query: str):
            rows, scores = kb.index.score(query)
            d_rows, d_scores = doc_index.score(query)
            per_doc = np.zeros(len(docs), dtype=np.float32)
            per_doc[d_rows] = d_scores
            return rows, scores + alpha * per_doc[row_doc[rows]]

        return score

    return make


def char_ngrams(weight: float, n: int = 4):
    """Fuse with a character n-gram TF-IDF channel (cosine), each channel scaled to its best score."""

    def make(kb: KnowledgeBase, texts: list[str]) -> Scorer:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(n, n), sublinear_tf=True, min_df=2, dtype=np.float32
        )
        chars = vec.fit_transform(texts).T.tocsr()

        def score(query: str):
            rows, scores = kb.index.score(query)
            c = (vec.transform([query]) @ chars).tocoo()
            if not len(rows) or not c.nnz:
                return rows, scores
            return fuse((rows, scores / scores.max()), (c.col, c.data / c.data.max()), weight)

        return score

    return make


def word_bigrams(weight: float):
    """Fuse with a BM25 channel over adjacent stem pairs (phrases)."""

    def pairs(text: str) -> str:
        stems = engine_analyze(text)
        return " ".join(f"{a}qq{b}" for a, b in itertools.pairwise(stems))

    def make(kb: KnowledgeBase, texts: list[str]) -> Scorer:
        with patched(engine, stem=lambda w: w):
            bigrams = SparseIndex(IndexSettings(typo_distance=0)).fit([pairs(t) for t in texts])

        def score(query: str):
            rows, scores = kb.index.score(query)
            with patched(engine, stem=lambda w: w):
                b_rows, b_scores = bigrams.score(pairs(query))
            return fuse((rows, scores), (b_rows, b_scores), weight)

        return score

    return make


def reweighted(transform: Callable[[np.ndarray, np.ndarray], np.ndarray]):
    """Change the stored weights column by column: transform(data, idf_per_posting) -> data."""

    def make(kb: KnowledgeBase, texts: list[str]) -> Scorer:
        ix = kb.index
        lengths = np.diff(ix.matrix_.indptr)
        ix.matrix_.data = transform(ix.matrix_.data, np.repeat(ix.idf_, lengths)).astype(np.float32)
        return ix.score

    return make


def engine_analyze(text: str) -> list[str]:
    from knowledge.text import analyze

    return analyze(text)


def _bm25s_stop_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def _porter() -> Callable[[str], str]:
    import Stemmer

    return Stemmer.Stemmer("porter").stemWord


def _one_char_tokens(text: str) -> list[str]:
    from knowledge.text import normalize

    return re.findall(r"[^\W_]+", normalize(text))


def variants() -> list[Variant]:
    out = [
        Variant(
            "default",
            "BM25 k1=1.2 b=0.75, Snowball, sklearn stop words, typos of 5+ letters, 800-char passages",
        )
    ]
    for k1, b in [(0.9, 0.4), (0.9, 0.75), (1.2, 0.4), (1.2, 0.9), (1.5, 0.75), (2.0, 0.75)]:
        out.append(
            Variant(f"k1={k1} b={b}", "BM25 saturation / length normalisation", IndexSettings(k1=k1, b=b))
        )
    out += [
        Variant("tfidf", "sublinear tf x idf, cosine-normalised", IndexSettings(weighting="tfidf")),
        Variant("typo off", "no typo correction of unknown query words", IndexSettings(typo_distance=0)),
        Variant("typo 1 edit", "at most one edit, whatever the length", IndexSettings(typo_distance=1)),
        Variant("typo from 4 letters", "words of 4 letters corrected too", IndexSettings(typo_min_length=4)),
        Variant("no stemming", "surface forms", patches={"stem": lambda w: w}),
        Variant("Porter stems", "PyStemmer porter instead of Snowball english", patches={"stem": _porter()}),
        Variant(
            "bm25s stop words", "bm25s's short English stop list", patches={"STOP_WORDS": _bm25s_stop_words()}
        ),
        Variant("1-letter tokens", "keep one-letter words (vitamin D)", patches={"tokens": _one_char_tokens}),
        Variant("title x2", "title counted twice", title_repeat=2),
        Variant("title x3", "title counted three times", title_repeat=3),
        Variant("passages 1200", "chunk_chars=1200", chunk_chars=1200),
        Variant("passages 1500", "chunk_chars=1500", chunk_chars=1500),
        Variant("passages 3000", "chunk_chars=3000 (most abstracts whole)", chunk_chars=3000),
        Variant("idf^1.25", "sharper idf", rescorer=reweighted(lambda d, idf: d * idf**0.25)),
        Variant(
            "BM25+ d=0.25", "lower-bounded tf (BM25+)", rescorer=reweighted(lambda d, idf: d + 0.25 * idf)
        ),
        Variant("RM3 3/40/0.2", "PRF: 3 passages, 40 terms, weight 0.2", rescorer=rm3(3, 40, 0.2)),
        Variant("RM3 10/10/0.5", "PRF: Anserini's defaults", rescorer=rm3(10, 10, 0.5)),
        Variant("doc context 0.5", "passage + 0.5 x document BM25", rescorer=document_context(0.5)),
        Variant("doc context 1.0", "passage + 1.0 x document BM25", rescorer=document_context(1.0)),
        Variant("bigrams 0.2", "fused with a stem-bigram BM25 channel", rescorer=word_bigrams(0.2)),
        Variant("char 4-grams 0.3", "fused with char 4-gram TF-IDF", rescorer=char_ngrams(0.3)),
        Variant(
            "passages 1500 + doc context 1.0",
            "the two train winners together",
            chunk_chars=1500,
            rescorer=document_context(1.0),
        ),
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated variant names")
    args = parser.parse_args(argv)
    wanted = set(filter(None, args.only.split(",")))
    scifact_train, scifact_test = beir.load("scifact", "train"), beir.load("scifact", "test")
    nfcorpus = beir.load("nfcorpus", "test")
    rows, baseline = [], None
    for variant in variants():
        if wanted and variant.name not in wanted and variant.name != "default":
            continue
        with patched(engine, **variant.patches):
            built = build(variant, scifact_train.corpus)
            train, _ = evaluate(scifact_train, built)
            test, p50 = evaluate(scifact_test, built)
            nf, _ = evaluate(nfcorpus, build(variant, nfcorpus.corpus))
        baseline = baseline or train
        mean = [float(np.mean(list(scores.values()))) for scores in (train, test, nf)]
        rows.append(
            [variant.name, variant.idea, mean[0], paired_delta(train, baseline), *mean[1:], p50, built[2]]
        )
        print(f"  {variant.name}: train {mean[0]:.4f}", file=sys.stderr, flush=True)
    columns = [
        "variant", "what", "SciFact train", "train Δ vs default ± SE", "SciFact test", "NFCorpus test",
        "p50 ms", "build s",
    ]  # fmt: skip
    text = "\n\n".join(
        [
            report.header("Retrieval variants (nDCG@10)", "python bench/variants.py"),
            "Chosen on SciFact train only (809 queries); the test columns are never used to choose. "
            "train Δ: paired difference from the default with its standard error; a difference within "
            "about two standard errors is noise. p50: one SciFact test query scored and ranked into "
            "documents. build: the SciFact corpus through KnowledgeBase.from_documents.",
            report.table(columns, rows),
        ]
    )
    print(text)
    if not wanted:  # a partial run does not replace the full table
        report.write("variants.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
