"""A server's knowledge base with uploads: the shared base, never copied, plus its own documents.

Every server reads the operator's base; a server that uploads documents answers from the base and
its uploads together. Indexing both together would give each such server a whole copy of the
base's index, passages, lookups and meaning vectors (tens of MiB per server over a large base,
``bench/server_memory.py``). Instead :class:`OverlayKnowledgeBase` refers to the base's
:class:`~knowledge.kb.KnowledgeBase` (shared by every server, only read) and holds a knowledge base
of its own documents alone, so a server's memory grows with its uploads only.

Scores are those of one index over both, up to one approximation:

- **idf is exact**: the own index is fitted over the base (``SparseIndex.fit(..., over=...)``), so
  its idf counts both indexes' rows and document frequencies; the base's columns are rescaled per
  query term by idf_combined / idf_base (:class:`~knowledge.overlay_index.OverlayIndex`).
- **the own passages' length normalisation is exact** (the average length of both indexes' rows).
- **the base passages keep the base's average length**: their saturation was computed with the
  base's average, and recomputing it would mean copying the base's weights. Uploads a fraction the
  size of the base move that average little; ``tests/knowledge/test_overlay.py`` measures the
  decisions against indexing everything together.
- Lookups join the two without copying: documents, passages, topics, the documents' glossaries
  (the base's meaning first, as the first document's wins), the everyday-words bridge, two-part
  words, quoted symbols, typo correction (the closer word of the two; ties to the base's).

Rows are numbered as one index built from the base's passages and then the own would number them,
so ties and every row-aligned array (reference lists, documents, meaning similarities) line up.
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar, overload

import numpy as np

from .bridge import Bridge
from .glossary import DocumentGlossary
from .kb import KnowledgeBase, Topic
from .models import Document, Hit, Passage
from .overlay_index import OverlayIndex
from .semantic.index import FusionSettings, SemanticIndex


class Joined(Mapping[str, Document]):
    """Two mappings with distinct keys as one, the first's keys first (nothing is copied)."""

    def __init__(self, first: Mapping[str, Document], second: Mapping[str, Document]) -> None:
        self.first, self.second = first, second

    def __getitem__(self, key: str) -> Document:
        found = self.first.get(key)
        return found if found is not None else self.second[key]

    def __contains__(self, key: object) -> bool:
        return key in self.first or key in self.second

    def __iter__(self) -> Iterator[str]:
        yield from self.first
        yield from self.second

    def __len__(self) -> int:
        return len(self.first) + len(self.second)


T = TypeVar("T")


class Rows(Sequence[T]):
    """Two sequences as one, the first's items first (nothing is copied): the passages of base and
    own, and whatever else is listed for both parts."""

    def __init__(self, first: Sequence[T], second: Sequence[T]) -> None:
        self.first, self.second = first, second

    @overload
    def __getitem__(self, row: int) -> T: ...
    @overload
    def __getitem__(self, row: slice) -> list[T]: ...

    def __getitem__(self, row: int | slice) -> T | list[T]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        split = len(self.first)
        if not 0 <= row < split + len(self.second):
            raise IndexError(row)
        return self.first[row] if row < split else self.second[row - split]

    def __iter__(self) -> Iterator[T]:
        yield from self.first
        yield from self.second

    def __len__(self) -> int:
        return len(self.first) + len(self.second)


class Quoting(Mapping[str, np.ndarray]):
    """The symbols either knowledge base quotes, each with the rows quoting it."""

    def __init__(self, base: Mapping[str, np.ndarray], own: Mapping[str, np.ndarray], offset: int) -> None:
        self.base, self.own, self.offset = base, own, offset

    def __getitem__(self, symbol: str) -> np.ndarray:
        if symbol not in self:
            raise KeyError(symbol)
        none = np.empty(0, dtype=np.int64)
        return np.concatenate([self.base.get(symbol, none), self.own.get(symbol, none) + self.offset])

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.base or symbol in self.own

    def __iter__(self) -> Iterator[str]:
        yield from self.base
        yield from (symbol for symbol in self.own if symbol not in self.base)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class BridgeEntries(Mapping[str, dict[str, float]]):
    """Two bridges' entries as one: a word's terms from both (the higher credit for a term both
    reach)."""

    def __init__(self, base: Mapping[str, dict[str, float]], own: Mapping[str, dict[str, float]]) -> None:
        self.base, self.own = base, own

    def __getitem__(self, key: str) -> dict[str, float]:
        first, second = self.base.get(key), self.own.get(key)
        if first is None or second is None:
            found = first if first is not None else second
            if found is None:
                raise KeyError(key)
            return found
        merged = dict(first)
        for term, credit in second.items():
            merged[term] = max(credit, merged.get(term, 0.0))
        return merged

    def __iter__(self) -> Iterator[str]:
        yield from self.base
        yield from (key for key in self.own if key not in self.base)

    def __len__(self) -> int:
        return len(self.base) + sum(1 for key in self.own if key not in self.base)


class Either:
    """Membership in either of two sets, without copying them into one."""

    def __init__(self, first: frozenset[str], second: frozenset[str]) -> None:
        self.first, self.second = first, second

    def __contains__(self, item: object) -> bool:
        return item in self.first or item in self.second

    def __iter__(self) -> Iterator[str]:
        yield from self.first
        yield from (item for item in self.second if item not in self.first)


def joined_bridge(base: Bridge, own: Bridge) -> Bridge:
    """The bridge of both knowledge bases' terms: ``own``'s is restricted to the own index's terms,
    the base's to the base's."""
    return Bridge(
        BridgeEntries(base.entries, own.entries),  # type: ignore[arg-type]  # read as a mapping only
        base.stem,
        base.light or own.light,
        Either(base.known_light, own.known_light),  # type: ignore[arg-type]  # read with `in` only
        base.near_stop or own.near_stop,
    )


def joined_glossary(base: DocumentGlossary, own: DocumentGlossary) -> DocumentGlossary:
    """The documents' glossaries of both; for a term both define, the base's meaning (the first
    document's wins, and the base's documents come first)."""
    if not base.entries or not own.entries:
        return base if base.entries else own
    return DocumentGlossary(ChainMap(base.entries, own.entries))  # type: ignore[arg-type]


class OverlayMeaning:
    """The meaning channel over both: the base's passage vectors (shared) and the own passages'."""

    def __init__(self, base: SemanticIndex, own: SemanticIndex, offset: int) -> None:
        self.base, self.own, self.offset = base, own, offset

    @property
    def settings(self) -> FusionSettings:
        """How its similarities are fused with BM25: the base's."""
        return self.base.settings

    def similarities(self, query: str) -> np.ndarray:
        """The question's similarity to every passage, the base's rows first."""
        vector = self.base.query_vector(query)  # one cache of question vectors for every server
        return np.concatenate([self.base.vectors @ vector, self.own.vectors @ vector])

    def best_similarity(self, query: str, hits: Sequence[Hit], top: int = 3) -> float:
        """The highest similarity of ``query`` with the passages of its ``top`` hits."""
        vector = self.base.query_vector(query)
        found = [
            float(index.vectors[index._row[h.passage_id]] @ vector)
            for h in hits[:top]
            for index in (self.base, self.own)
            if h.passage_id in index._row
        ]
        return max(found, default=0.0)

    def text_similarity(self, a: str, b: str) -> float:
        """How similar in meaning two texts are."""
        return self.base.text_similarity(a, b)


class OverlayKnowledgeBase(KnowledgeBase):
    """``base`` (shared, only read) plus ``own``, a knowledge base of one server's documents fitted
    over it (:meth:`KnowledgeBase.from_documents` with ``over=base``), seen as one."""

    def __init__(self, base: KnowledgeBase, own: KnowledgeBase) -> None:
        # Not KnowledgeBase.__init__: each attribute is a view of the two, never a copy of the base's.
        self.base, self.own = base, own
        self.offset = len(base.passages)
        self.index = OverlayIndex(base.index, own.index)  # type: ignore[assignment]
        self.documents = Joined(base.documents, own.documents)  # type: ignore[assignment]
        self.passages = Rows[Passage](base.passages, own.passages)  # type: ignore[assignment]
        self.glossary = joined_glossary(base.glossary, own.glossary)
        self.bridge = joined_bridge(base.bridge, own.bridge)
        self.errors = [*base.errors, *own.errors]
        self.source, self.fingerprint = base.source, own.fingerprint
        self.has_references = base.has_references or own.has_references
        self.rarest_weight = math.log(1 + (max(len(self.passages), 1) - 0.5) / 1.5)
        self.semantic = None
        if isinstance(base.semantic, SemanticIndex) and isinstance(own.semantic, SemanticIndex):
            self.semantic = OverlayMeaning(base.semantic, own.semantic, self.offset)

    # Row-aligned arrays, joined when asked (a search's worth of memory, freed after it).

    @property
    def references(self) -> np.ndarray:  # type: ignore[override]
        """Which rows are reference lists."""
        return np.concatenate([self.base.references, self.own.references])

    @property
    def row_doc(self) -> np.ndarray:  # type: ignore[override]
        """Each row's document, an index into :attr:`doc_ids`."""
        return np.concatenate([self.base.row_doc, self.own.row_doc + len(self.base.documents)])

    @property
    def doc_ids(self) -> list[str]:  # type: ignore[override]
        """The documents' ids, the base's first."""
        return [*self.base.doc_ids, *self.own.doc_ids]

    # Lookups: the base's, then the own's.

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with that id, or None."""
        found = self.base.passage(passage_id)
        return found if found is not None else self.own.passage(passage_id)

    def row_of(self, passage_id: str) -> int | None:
        """The row of the passage with that id, or None."""
        row = self.base.row_of(passage_id)
        if row is not None:
            return row
        row = self.own.row_of(passage_id)
        return None if row is None else row + self.offset

    def hit(self, passage_id: str) -> Hit | None:
        """The passage with that id as a citable hit (score 0), or None."""
        row = self.row_of(passage_id)
        return self.hit_at(row, 0.0) if row is not None else None

    def hit_at(self, row: int, score: float) -> Hit:
        """The passage of row ``row`` as a hit scored ``score``."""
        if row < self.offset:
            return self.base.hit_at(row, score)
        return self.own.hit_at(row - self.offset, score)

    def topics(self) -> list[Topic]:
        """The documents, the base's first, with their passage counts."""
        return [*self.base.topics(), *self.own.topics()]

    def doc_passages(self, doc_id: str) -> list[Passage]:
        """The passages of one document, in order."""
        part = self.base if doc_id in self.base.documents else self.own
        return part.doc_passages(doc_id)

    def surface(self, term: str) -> str:
        """The word as the documents most often write it for an index ``term``."""
        return (self.base if term in self.base.index.vocabulary_ else self.own).surface(term)

    def compounds(self) -> Mapping[str, str]:
        """Joined words the documents hyphenate: the base's, then the own's."""
        return ChainMap(self.base.compounds(), self.own.compounds())  # type: ignore[arg-type]

    def quoting(self) -> Mapping[str, np.ndarray]:  # type: ignore[override]
        """Each syntax symbol the documents quote as code of its own, and the rows quoting it."""
        return Quoting(self.base.quoting(), self.own.quoting(), self.offset)
