"""A lexical passage index: BM25 weights precomputed into a sparse matrix, queried by postings.

Each passage's text is analysed (``knowledge.text.analyze``: NFKC + casefold, stop words, Snowball
stems) by scikit-learn's ``CountVectorizer``. Term weights -- BM25 saturation, length
normalisation and idf -- are computed once at fit time and stored column-wise (CSC), so a query is
the sum of its terms' columns and costs as much as those columns' postings, not the corpus size.
"""

from __future__ import annotations

import bisect
import json
import logging
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .postings import Postings
from .text import STOP_WORDS, analyze, stem, tokens
from .top_k import top_k, top_k_groups

if TYPE_CHECKING:
    import scipy.sparse as sp

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
_ARRAYS = "index.npz"
# Above this many postings per query, columns are added into a float32 buffer one by one rather
# than by a single bincount (measured crossover on 10k-1M passages).
_BINCOUNT_MAX_POSTINGS = 50_000
_META = "index.json"


class IndexFormatError(ValueError):
    """A saved index is missing, truncated, corrupt or of another format version."""


class NotFittedError(RuntimeError):
    """The index was used before :meth:`SparseIndex.fit` or :meth:`SparseIndex.load`."""


@dataclass(frozen=True)
class IndexSettings:
    """How passages are weighted. Defaults chosen by measurement on SciFact train, never on a
    test split (``bench/variants.py``, table in ``bench/results/variants.md``).

    ``weighting``: ``"bm25"`` (saturating tf, length-normalised) or ``"tfidf"`` (sublinear tf,
    cosine-normalised; 0.034 nDCG@10 worse on SciFact train). ``k1``/``b``: BM25 saturation and
    length normalisation; k1 0.9-1.5 x b 0.4-0.9 are all within noise on SciFact train, k1 = 2
    is worse, so the usual 1.2/0.75 stay. ``typo_distance``: the largest edit distance for typo
    correction of query words (0 turns it off; one edit below 8 letters); words shorter than
    ``typo_min_length`` are never corrected (four-letter "corrections" were mostly wrong:
    port -> post, ompf -> ompj).

    ``heading_weight``: how much a second field, each passage's heading path, adds on top of the
    passage text (which holds the headings too), BM25-weighted on its own so a long passage does
    not drown its heading: a question naming a section ("how do i make tables") finds the passages
    under "Tables" before a long one that says "make" twice. Per-field BM25 summed (as BM25F does
    with separate saturation); rows without a heading (SciFact) are unchanged. Chosen on the tune
    halves of tests/data/*-docs with the seed set: 0.2 puts one Jinja question under a wrong
    section, 0.3-0.45 agree on the documentation sets, 0.45 loses one seed top-3.
    """

    weighting: str = "bm25"
    k1: float = 1.2
    b: float = 0.75
    typo_distance: int = 2
    typo_min_length: int = 5
    heading_weight: float = 0.3

    def __post_init__(self) -> None:
        if self.weighting not in ("bm25", "tfidf"):
            raise ValueError(f"weighting must be 'bm25' or 'tfidf', not {self.weighting!r}")
        if self.k1 < 0 or not 0 <= self.b <= 1:
            raise ValueError("k1 must be >= 0 and b within [0, 1]")
        if self.heading_weight < 0:
            raise ValueError("heading_weight must be >= 0")


class QueryTerm(NamedTuple):
    """One query word as the index understood it."""

    token: str  # the word as typed, lower-cased
    term: str  # the vocabulary term (stem) used, after typo correction
    weight: float  # the term's idf
    corrected: bool  # True when typo tolerance replaced the word


def _idf(df: np.ndarray, n_rows: int) -> np.ndarray:
    # Lucene's BM25 idf: always positive, so every matching row gains score.
    return np.log1p((n_rows - df + 0.5) / (df + 0.5))


class _SurfaceRecorder:
    """The analyzer handed to CountVectorizer: stems as usual, and counts the surface forms seen so
    typo correction can compare what users type with words as written."""

    def __init__(self) -> None:
        self.surfaces: Counter[str] = Counter()

    def __call__(self, text: str) -> list[str]:
        words = [t for t in tokens(text) if t not in STOP_WORDS]
        self.surfaces.update(words)
        return [stem(w) for w in words]


class SparseIndex:
    """BM25 over passages. ``SparseIndex(settings).fit(texts)``, then :meth:`search`/:meth:`score`.

    Parameters
    ----------
    settings : IndexSettings, optional
        How passages are weighted; the defaults when omitted.

    Attributes
    ----------
    settings : IndexSettings
        The settings the index was built (or saved) with.
    matrix_ : Postings of shape (n_rows, n_terms), float32
        Each row's precomputed weight for each term (BM25 or tf-idf, idf included), stored
        column-wise so a query reads only its terms' postings (``matrix_.tocsc()`` for SciPy).
    idf_ : numpy.ndarray of shape (n_terms,), float32
        Each term's inverse document frequency (Lucene's BM25 idf, always positive).
    terms_ : list of str
        The vocabulary: stemmed terms in sorted order; ``terms_[j]`` is column ``j``.
    vocabulary_ : dict of str to int
        Each term's column, the inverse of ``terms_``.
    surfaces_ : list of str
        The words as written in the texts (before stemming), most frequent first; typo
        correction compares query words with these.

    Attributes ending in ``_`` exist once :meth:`fit` or :meth:`load` has run; read them for
    diagnostics, and prefer :meth:`term_weight` and :meth:`term_with_prefix` to look terms up.
    """

    def __init__(self, settings: IndexSettings | None = None) -> None:
        self.settings = settings or IndexSettings()

    # -- building -------------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], headings: Sequence[str] | None = None) -> SparseIndex:
        """Index one text per passage (row ``i`` is ``texts[i]``), and with ``headings`` (one per
        text, "" for none) each passage's heading as a second field weighted by
        ``settings.heading_weight``. Returns ``self``."""
        # Imported here, not at module level: scikit-learn takes about a second to import, and a
        # loaded index answers without it (a cold `citebot ask` must answer in under a second).
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import CountVectorizer

        recorder = _SurfaceRecorder()
        n_rows = len(texts)
        if n_rows:
            vectorizer = CountVectorizer(analyzer=recorder, dtype=np.float32)
            try:
                counts = vectorizer.fit_transform(texts).tocsr()
                terms = list(vectorizer.get_feature_names_out())
            except ValueError:  # nothing but stop words in every text
                counts, terms = sp.csr_matrix((n_rows, 0), dtype=np.float32), []
        else:
            counts, terms = sp.csr_matrix((0, 0), dtype=np.float32), []
        counts.sort_indices()
        df = np.bincount(counts.indices, minlength=len(terms)).astype(np.float64)
        self.idf_ = _idf(df, n_rows).astype(np.float32)
        weighted = self._weigh(counts)
        if headings is not None and self.settings.heading_weight > 0 and terms and any(headings):
            weighted = weighted + self.settings.heading_weight * self._weigh_field(headings, terms)
        self.matrix_ = Postings.of(weighted)
        self.terms_ = terms
        self.vocabulary_ = {t: i for i, t in enumerate(terms)}
        # Surface forms, most frequent first: typo correction prefers common words on ties.
        ordered = sorted(recorder.surfaces.items(), key=lambda kv: (-kv[1], kv[0]))
        self.surfaces_ = [w for w, _ in ordered]
        self._reset_caches()
        logger.debug("indexed %d passages, %d terms", n_rows, len(terms))
        return self

    def _weigh(self, counts: sp.csr_matrix, among_present: bool = False) -> sp.csr_matrix:
        s = self.settings
        weighted = counts.astype(np.float32, copy=True)
        tf = weighted.data
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        if s.weighting == "bm25":
            lengths = np.asarray(counts.sum(axis=1)).ravel()
            if among_present:  # a field most rows lack: its average length is that of the rows having it
                lengths_seen = lengths[lengths > 0]
                avg = lengths_seen.mean() if len(lengths_seen) else 1.0
            else:
                avg = lengths.mean() if len(lengths) and lengths.mean() > 0 else 1.0
            norm = s.k1 * (1 - s.b + s.b * lengths / avg)
            # Lucene's form (no k1 + 1 factor, as bm25s "lucene"): a term adds at most its idf.
            tf[:] = tf / (tf + norm[rows])
            tf *= self.idf_[counts.indices]
        else:
            tf[:] = (1 + np.log(tf)) * self.idf_[counts.indices]
            sq = np.bincount(rows, weights=tf.astype(np.float64) ** 2, minlength=counts.shape[0])
            tf /= np.sqrt(np.maximum(sq, 1e-12))[rows]
        return weighted

    def _weigh_field(self, texts: Sequence[str], terms: list[str]) -> sp.csr_matrix:
        """A second field's weights over the same vocabulary and idf (its words are in the
        passage text too), length-normalised among the rows that have the field."""
        from sklearn.feature_extraction.text import CountVectorizer

        vocabulary = {term: column for column, term in enumerate(terms)}
        vectorizer = CountVectorizer(analyzer=analyze, vocabulary=vocabulary, dtype=np.float32)
        counts = vectorizer.transform(texts).tocsr()
        counts.sort_indices()
        return self._weigh(counts, among_present=True)

    def _reset_caches(self) -> None:
        self._buckets: dict[tuple[str, int], list[str]] | None = None
        self._corrections: dict[str, str | None] = {}

    # -- properties -----------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "matrix_"):
            raise NotFittedError(
                "this SparseIndex is not fitted yet: call fit(texts) or SparseIndex.load(folder)"
            )

    @property
    def n_rows(self) -> int:
        """How many texts (passages) the index holds."""
        self._check_fitted()
        return self.matrix_.shape[0]

    @property
    def vocabulary_size(self) -> int:
        """How many distinct terms the index holds."""
        self._check_fitted()
        return len(self.terms_)

    # -- terms ----------------------------------------------------------------------------------

    def term_weight(self, term: str) -> float | None:
        """The idf of a vocabulary ``term`` (a stem, as :func:`knowledge.text.stem` gives it), or
        None when the index has never seen it. Rarer terms weigh more."""
        self._check_fitted()
        column = self.vocabulary_.get(term)
        return None if column is None else float(self.idf_[column])

    def term_with_prefix(self, prefix: str) -> str | None:
        """The first vocabulary term, in sorted order, that starts with ``prefix`` (``prefix``
        itself when it is a term), or None. Finds a stem's longer forms ("breastfe" ->
        "breastfeed")."""
        self._check_fitted()
        at = bisect.bisect_left(self.terms_, prefix)
        return self.terms_[at] if at < len(self.terms_) and self.terms_[at].startswith(prefix) else None

    # -- queries --------------------------------------------------------------------------------

    def query_terms(self, query: str) -> list[QueryTerm]:
        """The query's words that the index knows (after typo correction), once each, in order."""
        self._check_fitted()
        out: list[QueryTerm] = []
        for token in dict.fromkeys(tokens(query)):
            if token in STOP_WORDS:
                continue
            term, corrected = stem(token), False
            if term not in self.vocabulary_:
                fixed = self._correct(token)
                if fixed is None:
                    continue
                term, corrected = stem(fixed), True
                if term not in self.vocabulary_:
                    continue
            out.append(QueryTerm(token, term, float(self.idf_[self.vocabulary_[term]]), corrected))
        return out

    def score(self, query: str, extra: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and scores of every row sharing a term with ``query`` (row ids ascending).

        ``extra`` adds vocabulary terms with their own weights (a query expansion: the terms an
        everyday word was bridged to, down-weighted); a term the query already holds keeps weight 1,
        and terms outside the vocabulary are ignored."""
        self._check_fitted()
        cols: dict[int, float] = dict(Counter(self.vocabulary_[qt.term] for qt in self.query_terms(query)))
        for term, weight in (extra or {}).items():
            column = self.vocabulary_.get(term)
            if column is not None and weight > 0 and column not in cols:
                cols[column] = weight
        return self._score_columns(
            np.fromiter(cols, dtype=np.int64, count=len(cols)),
            np.fromiter(cols.values(), dtype=np.float32, count=len(cols)),
        )

    def _score_columns(self, cols: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        empty = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        if not len(cols):
            return empty
        m = self.matrix_
        starts, ends = m.indptr[cols], m.indptr[cols + 1]
        if len(cols) == 1:
            rows = m.indices[starts[0] : ends[0]].astype(np.int64)
            return rows, m.data[starts[0] : ends[0]] * weights[0]
        total = int((ends - starts).sum())
        if total == 0:
            return empty
        spans = list(zip(starts.tolist(), ends.tolist(), weights.tolist(), strict=True))
        if total * 5 < m.shape[0]:
            # Few postings: sort them and sum runs of equal rows. Cost follows the postings, not the
            # corpus. Each column is already sorted, and a stable (merge) sort exploits those runs:
            # 2-3x faster than np.unique.
            rows = np.concatenate([m.indices[a:b] for a, b, _ in spans])
            data = np.concatenate([m.data[a:b] * w if w != 1 else m.data[a:b] for a, b, w in spans])
            order = np.argsort(rows, kind="stable")
            rows, data = rows[order], data[order]
            starts = np.concatenate(([0], np.flatnonzero(rows[1:] != rows[:-1]) + 1))
            return rows[starts].astype(np.int64), np.add.reduceat(data, starts)
        # Many postings (a fifth of the rows or more): a dense accumulator beats sorting. Up to
        # ~50k postings one bincount call is cheapest; beyond, adding each column into a float32
        # buffer is 2-3x faster (a column holds a row once, so fancy-index += is exact). Scores
        # are positive, so the nonzero test can run on the buffer's integer view, which is faster.
        if total < _BINCOUNT_MAX_POSTINGS:
            rows = np.concatenate([m.indices[a:b] for a, b, _ in spans])
            data = np.concatenate([m.data[a:b] * w if w != 1 else m.data[a:b] for a, b, w in spans])
            acc = np.bincount(rows, weights=data, minlength=m.shape[0]).astype(np.float32)
        else:
            acc = np.zeros(m.shape[0], dtype=np.float32)
            for a, b, w in spans:
                acc[m.indices[a:b]] += m.data[a:b] * w if w != 1 else m.data[a:b]
        hit = np.flatnonzero(acc.view(np.int32))
        return hit, acc[hit]

    def search(
        self, query: str, k: int = 10, extra: Mapping[str, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best rows and their scores, best first (ties: lower row first); ``extra`` as
        in :meth:`score`."""
        rows, scores = self.score(query, extra)
        return top_k(rows, scores, k)

    # -- typo tolerance -------------------------------------------------------------------------

    def _max_distance(self, word: str) -> int:
        s = self.settings
        if len(word) < s.typo_min_length:
            return 0
        return min(s.typo_distance, 1 if len(word) < 8 else 2)

    def _correct(self, word: str) -> str | None:
        """The closest surface form seen at fit time within a small edit distance, or None.

        Candidates share the first letter and are within the distance in length, which bounds the
        cost on large vocabularies; most typos keep the first letter. A correction keeps the word's
        digits: codes and quantities ("hoxb4", "krt17", "400mg") are one character from other
        codes that mean something else."""
        if word in self._corrections:
            return self._corrections[word]
        limit = self._max_distance(word)
        digits = _digits(word)
        best: tuple[int, str] | None = None
        if limit:
            buckets = self._surface_buckets()
            for length in range(len(word) - limit, len(word) + limit + 1):
                candidates = buckets.get((word[0], length))
                if not candidates:
                    continue
                near = process.extract(
                    word, candidates, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
                )
                found = next((c for c in near if _digits(c[0]) == digits), None)
                if found is None:
                    continue
                # Ties go to the more frequent surface (lower position in frequency order).
                rank = (found[1], self._surface_rank[found[0]])
                if best is None or rank < best[0]:
                    best = (rank, found[0])
        result = best[1] if best else None
        if len(self._corrections) < 10_000:
            self._corrections[word] = result
        return result

    def _surface_buckets(self) -> dict[tuple[str, int], list[str]]:
        if self._buckets is None:
            buckets: dict[tuple[str, int], list[str]] = {}
            for word in self.surfaces_:
                buckets.setdefault((word[0], len(word)), []).append(word)
            self._buckets = buckets
            self._surface_rank = {w: i for i, w in enumerate(self.surfaces_)}
        return self._buckets

    # -- persistence ----------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write plain arrays (``index.npz``, no pickle) and settings (``index.json``) to ``folder``."""
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        m = self.matrix_
        np.savez(
            folder / _ARRAYS,
            data=m.data,
            indices=m.indices,
            indptr=m.indptr,
            idf=self.idf_,
            terms=_pack_words(self.terms_),
            surfaces=_pack_words(self.surfaces_),
            allow_pickle=False,
        )
        meta = {
            "format": FORMAT_VERSION,
            "n_rows": int(m.shape[0]),
            "n_terms": len(self.terms_),
            "n_surfaces": len(self.surfaces_),
            "nnz": int(m.nnz),
            "settings": asdict(self.settings),
        }
        (folder / _META).write_text(json.dumps(meta, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> SparseIndex:
        """Read an index written by :meth:`save`; :class:`IndexFormatError` if it is unusable."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IndexFormatError(f"cannot read {folder / _META}: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
            raise IndexFormatError(f"{folder / _META}: not a citebot index of format {FORMAT_VERSION}")
        try:
            known = {f.name for f in fields(IndexSettings)}
            settings = IndexSettings(**{k: v for k, v in meta["settings"].items() if k in known})
            n_rows, n_terms, nnz = int(meta["n_rows"]), int(meta["n_terms"]), int(meta["nnz"])
            with np.load(folder / _ARRAYS, allow_pickle=False) as arrays:
                data, indices, indptr = arrays["data"], arrays["indices"], arrays["indptr"]
                idf = arrays["idf"]
                terms = _unpack_words(arrays["terms"])
                surfaces = _unpack_words(arrays["surfaces"])
        except (OSError, EOFError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
            raise IndexFormatError(f"cannot read {folder / _ARRAYS}: {exc}") from exc
        problems = []
        if len(terms) != n_terms or len(idf) != n_terms or len(indptr) != n_terms + 1:
            problems.append("vocabulary size does not match")
        if len(surfaces) != int(meta.get("n_surfaces", len(surfaces))):
            problems.append("surface forms are incomplete")
        if len(data) != nnz or len(indices) != nnz or (len(indptr) and int(indptr[-1]) != nnz):
            problems.append("postings are truncated")
        if nnz and (int(indices.min()) < 0 or int(indices.max()) >= n_rows):
            problems.append("row ids out of range")
        if len(indptr) and (indptr[0] != 0 or np.any(np.diff(indptr) < 0)):
            problems.append("column pointers are corrupt")
        if problems:
            raise IndexFormatError(f"the index in {folder} is corrupt: {', '.join(problems)}")
        index = cls(settings)
        index.matrix_ = Postings(data, indices, indptr, (n_rows, n_terms))
        index.idf_ = idf
        index.terms_ = terms
        index.vocabulary_ = {t: i for i, t in enumerate(terms)}
        index.surfaces_ = surfaces
        index._reset_caches()
        return index


def _digits(word: str) -> str:
    return "".join(ch for ch in word if ch.isdigit())


def _pack_words(words: Sequence[str]) -> np.ndarray:
    # Words never contain a newline (they are \w+ tokens), so one UTF-8 blob is compact and fast.
    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)


def _unpack_words(blob: np.ndarray) -> list[str]:
    if blob.dtype != np.uint8 or blob.ndim != 1:
        raise ValueError("word list has the wrong type")
    text = blob.tobytes().decode("utf-8")
    return text.split("\n") if text else []


__all__ = [
    "IndexFormatError",
    "IndexSettings",
    "NotFittedError",
    "QueryTerm",
    "SparseIndex",
    "top_k",
    "top_k_groups",
]
