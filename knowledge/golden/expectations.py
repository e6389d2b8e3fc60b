"""What must answer a golden question (:class:`Expectation`): a section, a document, a curated
answer or a decline; what an answer did, and an expectation as a moderator types it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..chunking import plain_heading
from ..errors import QuestionError
from ..models import Answer

SECTION, DOCUMENT, CURATED, DECLINED = "section", "document", "curated", "declined"


@dataclass(frozen=True)
class Expectation:
    """What must answer a golden question: a section (headings, perhaps of one document), a
    document, a curated answer, or nothing (the question must be declined)."""

    kind: str
    sections: tuple[str, ...] = ()
    document: str | None = None
    curated: int | None = None

    @classmethod
    def section(cls, sections: Iterable[str], document: str | None = None) -> Expectation:
        """Answered from a passage under one of ``sections`` (in ``document`` when given)."""
        return cls(SECTION, tuple(sections), document or None)

    @classmethod
    def in_document(cls, document: str) -> Expectation:
        """Answered from any passage of ``document`` (its id or title)."""
        return cls(DOCUMENT, (), document)

    @classmethod
    def curated_answer(cls, answer_id: int) -> Expectation:
        """The moderators' curated answer ``answer_id`` matches."""
        return cls(CURATED, curated=int(answer_id))

    @classmethod
    def declined(cls) -> Expectation:
        """Declined: nothing in the knowledge base answers it."""
        return cls(DECLINED)

    def describe(self) -> str:
        """In words, as reports print it: ``section Dosage (in drug-x)``, ``curated answer #3``."""
        if self.kind == CURATED:
            return f"curated answer #{self.curated}"
        if self.kind == DECLINED:
            return "declined"
        if self.kind == DOCUMENT:
            return f"document {self.document}"
        where = f" (in {self.document})" if self.document else ""
        return "section " + " or ".join(self.sections) + where

    def met_by(self, answer: Answer) -> bool:
        """Whether ``answer`` is what this expectation asks for."""
        if self.kind == CURATED:
            return answer.curated is not None and answer.curated.id == self.curated
        if self.kind == DECLINED:
            return not answer.answered and answer.curated is None
        top = answer.hits[0] if answer.answered and answer.hits else None
        if top is None:
            return False
        if self.document and self.document not in (top.doc_id, top.title):
            return False
        return self.kind == DOCUMENT or under(top.section, self.sections)

    def to_yaml(self) -> dict[str, Any]:
        """The keys this expectation adds to a question's entry."""
        if self.kind == CURATED:
            return {"curated": self.curated}
        out: dict[str, Any] = {}
        if self.kind == SECTION:
            out["section"] = list(self.sections)
        if self.document:
            out["document"] = self.document
        return out


def under(section: str, headings: Iterable[str]) -> bool:
    """Whether a hit's ``section`` (its heading path: "Dosage" or "Drug X › Dosage") stands under
    one of ``headings``: any heading on the path counts, named as its page writes it ("What
    *attrs* Is Not") or as it is cited ("What attrs Is Not"). Golden questions and ``citebot
    eval`` judge sections alike."""
    path = {part.strip() for part in section.split("›")} | {section}
    return any(plain_heading(heading.strip()) in path for heading in headings)


def what_answered(answer: Answer) -> str:
    """What answered, in words: ``curated answer #3``, ``Title › Section`` or ``declined``."""
    if answer.curated is not None:
        return f"curated answer #{answer.curated.id}"
    if answer.answered and answer.hits:
        top = answer.hits[0]
        return " › ".join(part for part in (top.title, top.section) if part)
    return "declined"


def expectation_now(answer: Answer) -> Expectation:
    """The expectation that ``answer`` meets as it is: its curated answer, else its top passage's
    section (in its document), else declined. What "Keep as test" stores."""
    if answer.curated is not None:
        return Expectation.curated_answer(answer.curated.id)
    if answer.answered and answer.hits:
        top = answer.hits[0]
        if top.section:
            return Expectation.section([top.section], top.doc_id)
        return Expectation.in_document(top.doc_id)
    return Expectation.declined()


def parse_expectation(text: str) -> Expectation:
    """An expectation as typed in ``/kb test add`` or picked from its suggestions:
    ``declined``, ``curated:3`` (or ``#3``, ``3``), ``document:<id>``, ``section:<doc id>#<heading
    path>`` or ``section:<heading>``. Raises QuestionError for anything else."""
    value = text.strip()
    lowered = value.casefold()
    if lowered in ("declined", "decline", "off-topic", "off_topic", "offtopic"):
        return Expectation.declined()
    kind, _, rest = value.partition(":")
    rest = rest.strip()
    number = value.lstrip("#")
    if number.isdigit():
        return Expectation.curated_answer(int(number))
    if kind.strip().casefold() == CURATED and rest.lstrip("#").isdigit() and int(rest.lstrip("#")) > 0:
        return Expectation.curated_answer(int(rest.lstrip("#")))
    if kind.strip().casefold() == DOCUMENT and rest:
        return Expectation.in_document(rest)
    if kind.strip().casefold() == SECTION and rest:
        document, sep, path = rest.partition("#")
        return Expectation.section([path.strip()], document.strip()) if sep else Expectation.section([rest])
    raise QuestionError(
        f"“{value}” is not something that can answer: pick a section or document from the "
        "suggestions, or write `curated:3` or `declined`."
    )
