"""One question through the stages, as data: what ``citebot ask --explain`` prints and a moderator
sees under "Why?" — the analysis, each passage's score per channel, the Decider's features and the
rule that decided, and the notices' codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis import Analysis, Terms
    from .decider import Verdict
    from .kb import KnowledgeBase
    from .models import Answer, Hit


@dataclass(frozen=True)
class Trace:
    """A question's :class:`~knowledge.analysis.Analysis`, the Decider's
    :class:`~knowledge.decider.Verdict` (None for an answer about a whole document: its source or
    its summary) and the answer."""

    analysis: Analysis
    verdict: Verdict | None
    answer: Answer

    def to_dict(self, kb: KnowledgeBase) -> dict[str, Any]:
        """Every stage's part, JSON-ready; ``kb`` is the knowledge base that answered."""
        analysis, verdict = self.analysis, self.verdict
        judged = verdict.terms if verdict is not None and verdict.terms is not None else analysis.terms
        return {
            "question": analysis.text,
            "analysis": {
                "rewritten": analysis.expanded,
                "searched": analysis.terms.query,
                "kind": analysis.kind,
                "asks_amount": analysis.asks_amount,
                "red_flag": analysis.red_flag.sign if analysis.red_flag is not None else None,
                "asking_sentence": analysis.focus.query if analysis.focus is not None else None,
                "words": _words(judged),
                "symbols": list(judged.symbols),
            },
            "passages": _passages(kb, judged, self.answer.hits),
            "decision": _decision(verdict, self.answer.kind),
            "notices": [str(notice.code) for notice in self.answer.notices],
        }


def _words(terms: Terms) -> list[dict[str, Any]]:
    return [
        {
            "word": word.word,
            "weight": round(word.weight, 3),
            "terms": {term: round(credit, 3) for term, credit in word.terms},
            "bridged": word.bridged,
            "light": word.light,
            "known": bool(word.terms),
        }
        for word in terms.weights.words
    ]


def _passages(kb: KnowledgeBase, terms: Terms, hits: tuple[Hit, ...]) -> list[dict[str, Any]]:
    """Each hit with its score per channel: BM25 (with the bridged terms) and, with the meaning
    channel, its similarity to the question."""
    rows, scores = kb.index.score(terms.query, dict(terms.extra))
    lexical = dict(zip(rows.tolist(), scores.tolist(), strict=True))
    similarities = kb.semantic.similarities(terms.query) if kb.semantic is not None else None
    shown = []
    for hit in hits:
        row = kb.row_of(hit.passage_id)
        similarity = float(similarities[row]) if similarities is not None and row is not None else None
        shown.append(
            {
                "passage": hit.passage_id,
                "section": hit.section,
                "score": round(hit.score, 4),
                "bm25": round(lexical.get(row, 0.0), 4) if row is not None else None,
                "similarity": round(similarity, 4) if similarity is not None else None,
            }
        )
    return shown


def _decision(verdict: Verdict | None, kind: str) -> dict[str, Any]:
    if verdict is None:
        return {"rule": f"about the whole document ({kind})", "answered": True}
    return {
        "rule": verdict.rule,
        "answered": verdict.answered,
        "focused": verdict.focused,
        "features": dict(verdict.features),
        "curated": verdict.curated.answer.id if verdict.curated is not None else None,
    }
