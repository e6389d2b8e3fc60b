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
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .postings import Postings
from .text import STOP_WORDS, analyze, stem, tokens
from .top_k import top_k, top_k_groups
from .typos import Correction, TypoCorrector

if TYPE_CHECKING:
    import scipy.sparse as sp

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: the rows' lengths (Lengths)
_ARRAYS = "index.npz"
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


class Lengths(NamedTuple):
    """How long an index's rows are, in terms: what BM25's length normalisation averages. The
    heading field's average is over the rows that have a heading."""

    rows: int
    total: float
    heading_rows: int
    heading_total: float

    def __add__(self, other: object) -> Lengths:
        if not isinstance(other, Lengths):
            return NotImplemented
        return Lengths(*(a + b for a, b in zip(self, other, strict=True)))


NO_LENGTHS = Lengths(0, 0.0, 0, 0.0)


def idf(df: np.ndarray | float, n_rows: int) -> np.ndarray:
    """Lucene's BM25 idf of terms in ``df`` of ``n_rows`` rows: always positive, so every matching
    row gains score."""
    return np.log1p((n_rows - np.asarray(df, dtype=np.float64) + 0.5) / (np.asarray(df) + 0.5))


def known_terms(
    query: str,
    vocabulary: Container[str],
    correct: Callable[[str], str | None],
    weight: Callable[[str], float | None],
) -> list[QueryTerm]:
    """The words of ``query`` in ``vocabulary`` (after typo correction by ``correct``), once each, in
    order, with their ``weight``."""
    out: list[QueryTerm] = []
    for token in dict.fromkeys(tokens(query)):
        if token in STOP_WORDS:
            continue
        term, corrected = stem(token), False
        if term not in vocabulary:
            fixed = correct(token)
            if fixed is None:
                continue
            term, corrected = stem(fixed), True
            if term not in vocabulary:
                continue
        out.append(QueryTerm(token, term, float(weight(term) or 0.0), corrected))
    return out


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
    lengths_ : Lengths
        How long the rows are (BM25's average length is ``total / rows``).

    Attributes ending in ``_`` exist once :meth:`fit` or :meth:`load` has run; read them for
    diagnostics, and prefer :meth:`term_weight` and :meth:`term_with_prefix` to look terms up.
    """

    def __init__(self, settings: IndexSettings | None = None) -> None:
        self.settings = settings or IndexSettings()

    # -- building -------------------------------------------------------------------------------

    def fit(
        self, texts: Sequence[str], headings: Sequence[str] | None = None, *, over: SparseIndex | None = None
    ) -> SparseIndex:
        """Index one text per passage (row ``i`` is ``texts[i]``), and with ``headings`` (one per
        text, "" for none) each passage's heading as a second field weighted by
        ``settings.heading_weight``. Returns ``self``.

        ``over``: the index these rows are searched together with (:mod:`knowledge.overlay`): the
        idf counts both indexes' rows and document frequencies, and the average lengths both
        indexes' rows, so these rows are weighted as if indexed together with ``over``'s."""
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
        prior = NO_LENGTHS if over is None else over.lengths_
        if over is not None:
            df += over.document_frequencies(terms)
        self.idf_ = idf(df, n_rows + prior.rows).astype(np.float32)
        text_lengths = np.asarray(counts.sum(axis=1)).ravel()
        average = (prior.total + text_lengths.sum()) / max(prior.rows + n_rows, 1)
        weighted = self._weigh(counts, text_lengths, average)
        heading_lengths = np.zeros(0)
        if headings is not None and self.settings.heading_weight > 0 and terms and any(headings):
            field, heading_lengths = self._weigh_field(headings, terms, prior)
            weighted = weighted + self.settings.heading_weight * field
        seen = heading_lengths[heading_lengths > 0]
        self.lengths_ = Lengths(n_rows, float(text_lengths.sum()), len(seen), float(seen.sum()))
        self.matrix_ = Postings.of(weighted)
        self.terms_ = terms
        self.vocabulary_ = {t: i for i, t in enumerate(terms)}
        # Surface forms, most frequent first: typo correction prefers common words on ties.
        ordered = sorted(recorder.surfaces.items(), key=lambda kv: (-kv[1], kv[0]))
        self.surfaces_ = [w for w, _ in ordered]
        self._reset_caches()
        logger.debug("indexed %d passages, %d terms", n_rows, len(terms))
        return self

    def _weigh(self, counts: sp.csr_matrix, lengths: np.ndarray, avg: float) -> sp.csr_matrix:
        s = self.settings
        weighted = counts.astype(np.float32, copy=True)
        tf = weighted.data
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        if s.weighting == "bm25":
            avg = avg if avg > 0 else 1.0
            norm = s.k1 * (1 - s.b + s.b * lengths / avg)
            # Lucene's form (no k1 + 1 factor, as bm25s "lucene"): a term adds at most its idf.
            tf[:] = tf / (tf + norm[rows])
            tf *= self.idf_[counts.indices]
        else:
            tf[:] = (1 + np.log(tf)) * self.idf_[counts.indices]
            sq = np.bincount(rows, weights=tf.astype(np.float64) ** 2, minlength=counts.shape[0])
            tf /= np.sqrt(np.maximum(sq, 1e-12))[rows]
        return weighted

    def _weigh_field(
        self, texts: Sequence[str], terms: list[str], prior: Lengths
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """A second field's weights over the same vocabulary and idf (its words are in the
        passage text too), length-normalised among the rows that have the field (here and in
        ``prior``); and each row's length in that field."""
        from sklearn.feature_extraction.text import CountVectorizer

        vocabulary = {term: column for column, term in enumerate(terms)}
        vectorizer = CountVectorizer(analyzer=analyze, vocabulary=vocabulary, dtype=np.float32)
        counts = vectorizer.transform(texts).tocsr()
        counts.sort_indices()
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        seen = lengths[lengths > 0]
        avg = (prior.heading_total + seen.sum()) / max(prior.heading_rows + len(seen), 1)
        return self._weigh(counts, lengths, avg), lengths

    def _reset_caches(self) -> None:
        s = self.settings
        self._typos = TypoCorrector(self.surfaces_, s.typo_distance, s.typo_min_length)

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

    def document_frequencies(self, terms: Sequence[str]) -> np.ndarray:
        """How many rows hold each of ``terms`` (0 for a term the index has never seen)."""
        self._check_fitted()
        indptr = self.matrix_.indptr
        columns = [self.vocabulary_.get(term) for term in terms]
        return np.array([0 if c is None else indptr[c + 1] - indptr[c] for c in columns], dtype=np.float64)

    def rows_of(self, term: str) -> np.ndarray:
        """The rows holding ``term`` (in their text, headings or title), ascending."""
        self._check_fitted()
        column = self.vocabulary_.get(term)
        if column is None:
            return np.empty(0, dtype=np.int64)
        m = self.matrix_
        return m.indices[m.indptr[column] : m.indptr[column + 1]].astype(np.int64)

    # -- queries --------------------------------------------------------------------------------

    def query_terms(self, query: str) -> list[QueryTerm]:
        """The query's words that the index knows (after typo correction), once each, in order."""
        self._check_fitted()
        return known_terms(query, self.vocabulary_, self._correct, self.term_weight)

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
        return self.score_columns(
            np.fromiter(cols, dtype=np.int64, count=len(cols)),
            np.fromiter(cols.values(), dtype=np.float32, count=len(cols)),
        )

    def score_columns(self, cols: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row ids (ascending) and scores of every row holding one of the columns ``cols``, each
        column's weights times its ``weights``."""
        return self.matrix_.score_columns(cols, weights)

    def search(
        self, query: str, k: int = 10, extra: Mapping[str, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best rows and their scores, best first (ties: lower row first); ``extra`` as
        in :meth:`score`."""
        rows, scores = self.score(query, extra)
        return top_k(rows, scores, k)

    # -- typo tolerance -------------------------------------------------------------------------

    def correction(self, word: str) -> Correction | None:
        """The closest word the texts write within typo distance of ``word``, or None."""
        return self._typos.correct(word)

    def _correct(self, word: str) -> str | None:
        found = self._typos.correct(word)
        return found.word if found is not None else None

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
            "lengths": list(self.lengths_),
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
            rows, total, heading_rows, heading_total = meta["lengths"]
            lengths = Lengths(int(rows), float(total), int(heading_rows), float(heading_total))
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
        index.lengths_ = lengths
        index._reset_caches()
        return index


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
    "Lengths",
    "NotFittedError",
    "QueryTerm",
    "SparseIndex",
    "top_k",
    "top_k_groups",
]
