"""Autocomplete for a server with uploads: the base's suggestion indexes, shared, plus its uploads'.

A server with uploads reads an :class:`~knowledge.overlay.OverlayKnowledgeBase`. Indexing all of
its passages would give each such server its own copy of an index of the whole base; instead
:class:`OverlaySuggestions` joins the base's :class:`~knowledge.suggestions.KnowledgeSuggestions`
(built once, shared by every server) and one of the server's own documents alone, so a server's
memory grows with its uploads only.

Every search answers as one :class:`KnowledgeSuggestions` over the overlay would: each part gives
its best matches with what ranks them (:meth:`SuggestionIndex.ranked_search`), placed where one
list of both parts' texts would hold them, and the two are merged by those keys.

What one index over both would offer differently from the two side by side, and is made the same:

- a section name in both parts is offered once, where the base has it (the first place it
  appears, as the joined list would keep it);
- a section name that is a document title of the other part is not offered (never a document
  title as a topic): the base's section named as an upload, the upload's section named as a
  base document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .kb import KnowledgeBase
from .models import Document
from .overlay import OverlayKnowledgeBase, Rows
from .suggestions import SHOWN, ExpectationChoice, KnowledgeSuggestions, SuggestionIndex


@dataclass(frozen=True)
class Part:
    """One part's index, where its texts stand in the joined list, and those never offered."""

    index: SuggestionIndex
    place: Callable[[int], int]  # a text's index in the part -> its index in the joined list
    hidden: frozenset[int] = frozenset()


class JoinedIndex:
    """Two suggestion indexes searched as one over both lists of texts (same ``shortest_first``)."""

    def __init__(self, first: Part, second: Part) -> None:
        self.parts = (first, second)

    def __len__(self) -> int:
        return sum(len(part.index) - len(part.hidden) for part in self.parts)

    def search(self, current: str, limit: int = SHOWN) -> list[int]:
        """Indexes (in the joined list) of the texts containing every word of ``current``, best
        first, as :meth:`SuggestionIndex.search` over the joined list gives them."""
        if limit <= 0:
            return []
        found = []
        for part in self.parts:
            # The best ``limit`` offered are among the best ``limit`` + hidden ones.
            for group, length, i in part.index.ranked_search(current, limit + len(part.hidden)):
                if i not in part.hidden:
                    found.append((group, length, part.place(i)))
        found.sort()
        return [i for _, _, i in found[:limit]]


class PassageRows:
    """The overlay's row of each passage suggestion: the base's, then the own's shifted past them."""

    def __init__(self, base: KnowledgeSuggestions, own: KnowledgeSuggestions, offset: int) -> None:
        self.base, self.own, self.offset = base.passage_rows, own.passage_rows, offset

    def __getitem__(self, i: int) -> int:
        if i < len(self.base):
            return int(self.base[i])
        return int(self.own[i - len(self.base)]) + self.offset

    def __len__(self) -> int:
        return len(self.base) + len(self.own)


class OverlaySuggestions:
    """What can be suggested from an :class:`OverlayKnowledgeBase`, as :class:`KnowledgeSuggestions`
    over it would suggest it, from the base's suggestions (``base``, shared) and its own
    documents' (``own``)."""

    def __init__(
        self, kb: OverlayKnowledgeBase, base: KnowledgeSuggestions, own: KnowledgeSuggestions
    ) -> None:
        if base.max_chars != own.max_chars:
            raise ValueError("the base's and the uploads' suggestions must fit the same length")
        self.base, self.own = base, own
        self.max_chars = own.max_chars
        shift = len(base.section_names)
        self.section_names: Sequence[str] = Rows[str](base.section_names, own.section_names)
        self.sections = JoinedIndex(
            Part(base.sections, _same, _base_sections_hidden(base, own)),
            Part(own.sections, lambda i: i + shift, _own_sections_hidden(base, own)),
        )
        passages = len(base.passage_rows)
        self.passage_rows = PassageRows(base, own, kb.offset)
        self.passages = JoinedIndex(Part(base.passages, _same), Part(own.passages, lambda i: i + passages))
        # Expectations are the documents, then the sections: the base's documents, the own's, the
        # base's sections, the own's sections.
        self._base_documents, self._own_documents = len(kb.base.documents), len(kb.own.documents)
        self._base_expectations = len(base.expectation_index)
        self.expectation_index = JoinedIndex(
            Part(base.expectation_index, self._base_expectation_place),
            Part(own.expectation_index, self._own_expectation_place),
        )
        self.uploads: list[Document] = [*base.uploads, *own.uploads]

    def expectation(self, kb: KnowledgeBase, i: int) -> ExpectationChoice:
        """Expectation number ``i`` of :attr:`expectation_index` (``kb``: the overlay this was
        built from)."""
        if not isinstance(kb, OverlayKnowledgeBase):
            raise TypeError("the expectations of a server with uploads are read from its overlay")
        documents = self._base_documents + self._own_documents
        if i < self._base_documents:
            return self.base.expectation(kb.base, i)
        if i < documents:
            return self.own.expectation(kb.own, i - self._base_documents)
        section = i - documents  # among every section
        base_sections = self._base_expectations - self._base_documents
        if section < base_sections:
            return self.base.expectation(kb.base, self._base_documents + section)
        return self.own.expectation(kb.own, self._own_documents + section - base_sections)

    def _base_expectation_place(self, i: int) -> int:
        return i if i < self._base_documents else i + self._own_documents

    def _own_expectation_place(self, i: int) -> int:
        if i < self._own_documents:
            return self._base_documents + i
        return self._base_expectations + i


def _same(i: int) -> int:
    return i


def _base_sections_hidden(base: KnowledgeSuggestions, own: KnowledgeSuggestions) -> frozenset[int]:
    """The base's section names that are an uploaded document's title."""
    by_casefold = base.sections_by_casefold
    return frozenset(i for title in own.titles for i in by_casefold.get(title, ()))


def _own_sections_hidden(base: KnowledgeSuggestions, own: KnowledgeSuggestions) -> frozenset[int]:
    """The own section names the base offers already, or that are a base document's title."""
    by_casefold = base.sections_by_casefold
    return frozenset(
        i
        for i, name in enumerate(own.section_names)
        if name.casefold() in base.titles
        or any(base.section_names[j] == name for j in by_casefold.get(name.casefold(), ()))
    )
