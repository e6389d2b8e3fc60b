"""The evidence judge: from retrieved passages to the sentences that answer, or a decline.

It is given everything it judges (the hits, their passages, the question's term weights) and
calls nothing back: :class:`knowledge.assistant.Assistant` gathers them and builds the answer.

The decision to answer or decline is made on *coverage*: the share of the question's content (idf
weighted) that the best sentence of the top passages contains. Raw retrieval scores are not
comparable across questions or corpora; coverage is, which is why the threshold below could be
calibrated once on the questions in tests/knowledge/seed_questions.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .chunking import sentence_spans
from .code import block_language, code_spans, inside
from .models import Hit, Passage, Sentence
from .text import STOP_WORDS, analyze, is_identifier, stem, token_spans

if TYPE_CHECKING:
    from .index import QueryTerm

@dataclass(frozen=True)
class AnswerSettings:
    """How the judge decides: ``min_confidence`` is the coverage the best sentence needs for an
    answer, ``max_sentences`` how many sentences an answer quotes, ``context_weight`` how much a
    follow-up's earlier question counts in retrieval.

    ``min_confidence`` was calibrated on tests/knowledge/seed_questions.yaml: the best sentence of
    every answerable question there covers at least 0.56 of the question, and no off-topic one
    (the immune system of fish, mastitis in cows, a cat's gut microbiome) covers more than 0.34;
    the threshold sits between, nearer the off-topic side, since a wrong answer costs more."""

    min_confidence: float = 0.45
    max_sentences: int = 3
    context_weight: float = 0.35


@dataclass(frozen=True)
class QuestionWeights:
    """What a question asks about: each content word as an index term (None when the knowledge
    base has never seen it) with its weight.

    Weights are idf, floored at half the rarest term's: in a small knowledge base the words of the
    title stand in every passage and their idf is near zero, yet a question about them is on topic.
    A word the index has never seen weighs as much as its rarest term: "how does the immune system
    of a fish work" is mostly about fish, and the knowledge base knows nothing of fish.
    """

    words: tuple[tuple[str | None, float], ...]

    @classmethod
    def of(cls, words: Sequence[str], known: Iterable[QueryTerm], rarest_weight: float) -> QuestionWeights:
        """Weights for the content ``words`` of a question, given the index terms ``known`` for
        them (``SparseIndex.query_terms``) and the index's ``rarest_weight``."""
        by_token = {qt.token: qt for qt in known}
        floor = 0.5 * rarest_weight
        weighted = []
        for word in words:
            qt = by_token.get(word)
            if qt is None and is_identifier(word):
                continue  # an identifier the index lacks whole: its parts stand for it
            if qt is None:
                weighted.append((None, rarest_weight))
            else:
                weighted.append((qt.term, max(qt.weight, floor) * (0.85 if qt.corrected else 1.0)))
        return cls(tuple(weighted))

    @property
    def terms(self) -> set[str]:
        """The index terms the question asks about."""
        return {term for term, _ in self.words if term}

    def coverage(self, terms: set[str] | frozenset[str]) -> float:
        """The share of the question's weight that ``terms`` contain."""
        total = sum(weight for _, weight in self.words)
        found = sum(weight for term, weight in self.words if term in terms)
        return found / total if total else 0.0


def _marks(text: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
    # Never inside code: Discord shows ** within `code` as two asterisks.
    code = code_spans(text) if "`" in text or "~~~" in text else []
    return tuple(
        (s, e)
        for s, e, tok in token_spans(text)
        if tok not in STOP_WORDS and stem(tok) in terms and not (code and inside(code, s, e))
    )


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def best_sentences(
    hits: Sequence[Hit], passages: Sequence[Passage | None], question: QuestionWeights, limit: int
) -> tuple[list[Sentence], float]:
    """The 1..limit sentences of the top passages that cover most of the question, and the best
    single sentence's coverage (how well the answer's lead sentence answers). ``passages[i]`` is
    the passage of ``hits[i]`` (None when unknown).

    A sentence counts its section heading with it, so a list item under "The mammary immune
    system" is about that system. A sentence from a lower-ranked passage must bring a term the
    chosen ones lack; otherwise the answer would repeat itself.
    """
    wanted = question.terms
    candidates = []
    for rank, (hit, passage) in enumerate(zip(hits[:3], passages[:3], strict=False)):
        heading = set(analyze(" ".join(passage.section))) if passage else set()
        # Under an FAQ question the body answers it even in other words ("Why is my bot offline?"
        # -> "Check the token."): its sentences stand on the heading's terms alone.
        faq = bool(passage and passage.section and passage.section[-1].rstrip().endswith("?"))
        for order, (start, end) in enumerate(sentence_spans(hit.text)):
            raw = hit.text[start:end]
            bullet = _BULLET.match(raw)
            body = raw[bullet.end() :] if bullet else raw
            found = {stem(tok) for _, _, tok in token_spans(body)} & wanted
            if not found and not (faq and heading & wanted):
                continue
            cov = question.coverage(found | (heading & wanted))
            candidates.append((cov * (1.0 - 0.1 * rank), cov, rank, order, body, found, hit))
    if not candidates:
        return [], 0.0
    candidates.sort(key=lambda c: (-c[0], c[2], c[3]))
    best = candidates[0][0]
    chosen, covered = [], set()
    for score, _cov, rank, order, body, found, hit in candidates:
        if len(chosen) == limit or score < 0.5 * best:
            break
        if chosen and not (found - covered):
            continue
        chosen.append((rank, order, body, hit))
        covered |= found
    chosen.sort(key=lambda c: (c[0], c[1]))
    sentences = []
    for rank, order, body, hit in chosen:
        text = _with_list(body, hit.text, order)
        sentences.append(
            Sentence(text=text, source=rank + 1, passage_id=hit.passage_id, marks=_marks(text, wanted))
        )
    return sentences, max(c[1] for c in candidates)


def _with_list(body: str, passage: str, order: int, limit: int = 600) -> str:
    """A sentence that introduces a list ("This covers:") is nothing without the list: the list
    items that follow it in the passage come with it, up to ``limit`` characters; one that
    introduces a code block comes with the block."""
    if not body.rstrip().endswith(":"):
        return body
    following = sentence_spans(passage)[order + 1 :]
    if following and block_language(passage[following[0][0] : following[0][1]]) is not None:
        # "Install it with:" is nothing without the command: the code block comes with it.
        return f"{body}\n{passage[following[0][0] : following[0][1]]}"
    lines = [body]
    size = len(body)
    for start, end in following:
        item = passage[start:end]
        if not _BULLET.match(item) or size + len(item) > limit:
            break
        lines.append(item.strip())
        size += len(item) + 1
    return "\n".join(lines)


@dataclass(frozen=True)
class Verdict:
    """The judge's decision: ``answered`` with the quoted ``sentences``, and ``confidence``, the
    best sentence's coverage of the question (rounded to 3 places)."""

    answered: bool
    sentences: tuple[Sentence, ...] = ()
    confidence: float = 0.0


def judge(
    hits: Sequence[Hit],
    passages: Sequence[Passage | None],
    weights: QuestionWeights,
    settings: AnswerSettings,
) -> Verdict:
    """Answer from ``hits`` (best first; ``passages`` aligned with them) when their best sentence
    covers at least ``settings.min_confidence`` of the question weighed by ``weights``."""
    if not hits:
        return Verdict(answered=False)
    sentences, coverage = best_sentences(hits, passages, weights, settings.max_sentences)
    if coverage >= settings.min_confidence:
        return Verdict(answered=True, sentences=tuple(sentences), confidence=round(coverage, 3))
    return Verdict(answered=False, confidence=round(coverage, 3))
