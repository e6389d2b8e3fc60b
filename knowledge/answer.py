"""From retrieved passages to an answer: judge the evidence, pick the best sentences, mark terms.

The decision to answer or decline is made on *coverage*: the share of the question's content (idf
weighted) that the best sentence of the top passages contains. Raw retrieval scores are not
comparable across questions or corpora; coverage is, which is why the threshold below could be
calibrated once on the questions in tests/knowledge/seed_questions.yaml.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .chunking import sentence_spans
from .errors import QuestionError
from .models import Answer, Hit, Sentence
from .text import STOP_WORDS, analyze, stem, token_spans, tokens

if TYPE_CHECKING:
    from .kb import KnowledgeBase

MAX_QUESTION_CHARS = 1_000

# Words that say what kind of answer is wanted rather than what it is about ("explain the ...",
# "tell me about ..."): they carry no evidence either way.
QUESTION_WORDS = frozenset(
    [
        "explain",
        "tell",
        "describe",
        "mean",
        "means",
        "meaning",
        "define",
        "definition",
        "know",
        "please",
        "thing",
        "things",
        "happen",
        "happens",
        "exactly",
        "actually",
        "really",
        "basically",
        "difference",
        "differ",
        "differs",
        "example",
        "examples",
        "info",
        "information",
        "question",
        "answer",
        "wonder",
        "wondering",
        "kind",
        "kinds",
        "type",
        "types",
        "way",
        "ways",
        "look",
        "looks",
        "like",
        "article",
        "paper",
        "study",
        "document",
        "page",
        "text",
        "source",
        "sources",
    ]
)


@dataclass(frozen=True)
class AnswerSettings:
    """``min_coverage`` was calibrated on tests/knowledge/seed_questions.yaml: the best sentence of
    every answerable question there covers at least 0.56 of the question, and no off-topic one
    (the immune system of fish, mastitis in cows, a cat's gut microbiome) covers more than 0.34;
    the threshold sits between, nearer the off-topic side, since a wrong answer costs more."""

    min_coverage: float = 0.45
    max_sentences: int = 3
    context_weight: float = 0.35


def clean_question(question: str) -> tuple[str, list[str]]:
    """Control characters out, whitespace collapsed, length capped. Raises QuestionError if empty."""
    notices: list[str] = []
    text = "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} else ch for ch in question)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("Please type a question: the one received was empty.")
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUESTION_CHARS]
        notices.append(
            f"Your question was {len(question):,} characters long; only the first "
            f"{MAX_QUESTION_CHARS:,} were used."
        )
    return text, notices


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
    def of(cls, kb: KnowledgeBase, question: str) -> QuestionWeights:
        words = [
            t for t in dict.fromkeys(tokens(question)) if t not in STOP_WORDS and t not in QUESTION_WORDS
        ]
        known = {qt.token: qt for qt in kb.index.query_terms(" ".join(words))}
        floor = 0.5 * kb.rarest_weight
        weighted = []
        for word in words:
            qt = known.get(word)
            if qt is None:
                weighted.append((None, kb.rarest_weight))
            else:
                weighted.append((qt.term, max(qt.weight, floor) * (0.85 if qt.corrected else 1.0)))
        return cls(tuple(weighted))

    @property
    def terms(self) -> set[str]:
        return {term for term, _ in self.words if term}

    def coverage(self, terms: set[str] | frozenset[str]) -> float:
        """The share of the question's weight that ``terms`` contain."""
        total = sum(weight for _, weight in self.words)
        found = sum(weight for term, weight in self.words if term in terms)
        return found / total if total else 0.0


def _marks(text: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
    return tuple((s, e) for s, e, tok in token_spans(text) if tok not in STOP_WORDS and stem(tok) in terms)


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def best_sentences(
    kb: KnowledgeBase, hits: list[Hit], question: QuestionWeights, limit: int
) -> tuple[list[Sentence], float]:
    """The 1..limit sentences of the top passages that cover most of the question, and the best
    single sentence's coverage (how well the answer's lead sentence answers).

    A sentence counts its section heading with it, so a list item under "The mammary immune
    system" is about that system. A sentence from a lower-ranked passage must bring a term the
    chosen ones lack; otherwise the answer would repeat itself.
    """
    wanted = question.terms
    candidates = []
    for rank, hit in enumerate(hits[:3]):
        passage = kb.passage(hit.passage_id)
        heading = set(analyze(" ".join(passage.section))) if passage else set()
        for order, (start, end) in enumerate(sentence_spans(hit.text)):
            raw = hit.text[start:end]
            bullet = _BULLET.match(raw)
            body = raw[bullet.end() :] if bullet else raw
            found = {stem(tok) for _, _, tok in token_spans(body)} & wanted
            if not found:
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
    items that follow it in the passage come with it, up to ``limit`` characters."""
    if not body.rstrip().endswith(":"):
        return body
    lines = [body]
    size = len(body)
    for start, end in sentence_spans(passage)[order + 1 :]:
        item = passage[start:end]
        if not _BULLET.match(item) or size + len(item) > limit:
            break
        lines.append(item.strip())
        size += len(item) + 1
    return "\n".join(lines)


def answer(
    kb: KnowledgeBase,
    question: str,
    k: int = 5,
    *,
    context: str = "",
    settings: AnswerSettings | None = None,
) -> Answer:
    settings = settings or kb.answer_settings
    text, notices = clean_question(question)
    hits = kb.search(text, k=k, context=context, context_weight=settings.context_weight)
    result = Answer(question=text, answered=False, hits=hits, notices=notices)
    if not hits:
        return result
    # A follow-up is judged with its context, so "and during lactation?" after a question about
    # antibodies in milk is judged as a question about antibodies in milk during lactation.
    weights = QuestionWeights.of(kb, f"{context} {text}" if context else text)
    sentences, confidence = best_sentences(kb, hits, weights, settings.max_sentences)
    result.confidence = round(confidence, 3)
    if confidence >= settings.min_coverage:
        result.sentences = sentences
        result.answered = True
    return result
