"""The records of a curated answer: the answer itself, the passages it relies on, its history."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models import Hit, Passage

EXCERPT_CHARS = 240
STATUSES = ("active", "stale", "retired")


@dataclass(frozen=True)
class SourceLink:
    """A passage a curated answer relies on. ``excerpt`` helps find it again if its text changes."""

    passage_id: str
    content_hash: str
    excerpt: str = ""

    @classmethod
    def of(cls, passage: Passage) -> SourceLink:
        """A link to ``passage`` as it is now (its id, content hash and opening words)."""
        return cls(passage.id, passage.content_hash, " ".join(passage.text.split())[:EXCERPT_CHARS])

    def to_yaml(self) -> dict[str, str]:
        """The link as written in ``curated.yaml``."""
        out = {"passage": self.passage_id, "hash": self.content_hash}
        if self.excerpt:
            out["excerpt"] = self.excerpt
        return out


@dataclass(frozen=True)
class Revision:
    """One step of an answer's history: who did what, when, and the text it then had."""

    at: str
    by: str
    action: str
    question: str = ""
    answer: str = ""
    note: str = ""

    def to_yaml(self) -> dict[str, str]:
        """The step as written in ``curated.yaml`` (empty fields left out)."""
        out = {"at": self.at, "by": self.by, "action": self.action}
        for key in ("question", "answer", "note"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


@dataclass
class CuratedAnswer:
    """A moderators' answer to a question (and its alternative phrasings), with the passages it
    relies on, its author, timestamps, status (``active``, ``stale`` or ``retired``) and history."""

    id: int
    question: str
    answer: str
    phrasings: list[str] = field(default_factory=list)
    sources: list[SourceLink] = field(default_factory=list)
    author: str = ""
    created: str = ""
    updated: str = ""
    status: str = "active"
    stale_reason: str = ""
    history: list[Revision] = field(default_factory=list)
    # The sources as passages of the current knowledge base, filled in on the copy that goes into
    # an Answer (never stored: passages are looked up again at every question).
    hits: list[Hit] = field(default_factory=list, compare=False, repr=False)

    @property
    def text(self) -> str:
        """The answer's Markdown (the name an :class:`~knowledge.models.Answer` reads)."""
        return self.answer

    @property
    def served(self) -> bool:
        """Stale answers are still served (moderators wrote them) until someone retires them."""
        return self.status != "retired"

    @property
    def revision(self) -> str:
        """A short fingerprint of everything stored about the answer: it changes with every
        change, made here or by hand, so a form opened on an older revision can be refused."""
        return revision_of(self.to_yaml())

    def questions(self) -> list[str]:
        """The question and its alternative phrasings, the question first."""
        return [self.question, *self.phrasings]

    def to_summary(self) -> dict[str, Any]:
        """Id, question and text, for an answer's JSON form."""
        return {"id": self.id, "question": self.question, "text": self.answer}

    def to_yaml(self) -> dict[str, Any]:
        """The answer as written in ``curated.yaml`` (without :attr:`hits`)."""
        out: dict[str, Any] = {"id": self.id, "question": self.question}
        if self.phrasings:
            out["phrasings"] = list(self.phrasings)
        out["answer"] = self.answer
        out["sources"] = [s.to_yaml() for s in self.sources]
        out.update(author=self.author, created=self.created, updated=self.updated, status=self.status)
        if self.stale_reason:
            out["stale_reason"] = self.stale_reason
        out["history"] = [r.to_yaml() for r in self.history]
        return out


def revision_of(stored: Any) -> str:
    """12 hex digits identifying an entry's stored form (its YAML mapping)."""
    text = json.dumps(stored, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
