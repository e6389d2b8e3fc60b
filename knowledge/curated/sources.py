"""The passages behind curated answers: noticing when they change and finding their new versions.

A :class:`~knowledge.curated.records.SourceLink` holds a passage id and content hash. After the
documents are reloaded, a link whose passage is gone or has other text is a changed source; its
successor is the same section's new version, else the passage most like the old excerpt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..retriever import search
from .records import CuratedAnswer, SourceLink

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..models import Passage


def source_present(kb: KnowledgeBase, source: SourceLink) -> bool:
    """Whether ``kb`` holds the linked passage with the same text."""
    passage = kb.passage(source.passage_id)
    return passage is not None and passage.content_hash == source.content_hash


def changed_sources(entry: CuratedAnswer, kb: KnowledgeBase) -> list[str]:
    """The passage ids of ``entry``'s sources that changed or vanished in ``kb``."""
    return [s.passage_id for s in entry.sources if not source_present(kb, s)]


def current_sources(entry: CuratedAnswer, kb: KnowledgeBase) -> list[SourceLink]:
    """``entry``'s sources in ``kb``: unchanged ones as they are, changed ones replaced by the
    same section's new version (else the passage most like the old excerpt), vanished ones
    without a successor left out."""
    links: list[SourceLink] = []
    for source in entry.sources:
        if source_present(kb, source):
            found: SourceLink | None = source
        else:
            passage = _successor(kb, source)
            found = SourceLink.of(passage) if passage is not None else None
        if found is not None and all(link.passage_id != found.passage_id for link in links):
            links.append(found)
    return links


def _successor(kb: KnowledgeBase, source: SourceLink) -> Passage | None:
    prefix = source.passage_id.rsplit("-", 1)[0]
    same_section = [p for p in kb.passages if p.id.rsplit("-", 1)[0] == prefix]
    if len(same_section) == 1:
        return same_section[0]
    doc_id = source.passage_id.split("#", 1)[0]
    query = source.excerpt or " ".join(prefix.split("#", 1)[-1].split("-"))
    hits = search(kb, query, k=5) if query.strip() else []
    for hit in hits:
        if hit.doc_id == doc_id:
            return kb.passage(hit.passage_id)
    return kb.passage(hits[0].passage_id) if hits else None
