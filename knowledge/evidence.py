"""Evidence: what a question asks about (:class:`QuestionWeights`) and the sentences of the
retrieved passages that cover most of it (:func:`best_sentences`).

It is given everything it measures (the hits, their passages, the question's term weights) and
calls nothing back; :class:`knowledge.decider.Decider` decides from what it measures.

Evidence is measured as *coverage*: the share of the question's content (idf weighted) that a
sentence of the top passages contains. Raw retrieval scores are not comparable across questions or
corpora; coverage is, which is why :class:`knowledge.decider.Decider` decides on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .chunking import is_reference_list, sentence_spans
from .code import block_language, code_spans, inside
from .models import Hit, Passage, Sentence
from .symbols import is_symbol, quoted_symbols
from .text import STOP_WORDS, analyze, is_identifier, is_link_definition, stem, token_spans

if TYPE_CHECKING:
    from .index import QueryTerm


@dataclass(frozen=True)
class QuestionWord:
    """One content word of a question: the index ``terms`` that stand for it, each with its credit
    (1.0 for the word itself; a partial credit for a term the everyday-words bridge reached, then
    ``bridged``), and its ``weight`` in the question. No terms: the knowledge base does not know
    the word."""

    word: str
    weight: float
    terms: tuple[tuple[str, float], ...] = ()
    bridged: bool = False  # reached the index only through the everyday-words bridge
    light: bool = False  # unknown, and a word that says little about the topic (Bridge.light_in)

    def credit(self, found: set[str] | frozenset[str]) -> float:
        """The share of this word that ``found`` terms carry: its best term's credit."""
        return max((credit for term, credit in self.terms if term in found), default=0.0)


@dataclass(frozen=True)
class QuestionWeights:
    """What a question asks about: each content word with the index terms that stand for it and
    its weight.

    Weights are idf, floored at half the rarest term's: in a small knowledge base the words of the
    title stand in every passage and their idf is near zero, yet a question about them is on topic.
    A word the index does not know but the bridge reaches (``bridged``: word -> {term: credit})
    weighs as its best-credited term and is covered at the credit of the term found. A word
    nothing reaches weighs ``unknown_weight`` times the rarest term: "how does the immune system of
    a fish work" is mostly about fish, and the knowledge base knows nothing of fish.
    """

    words: tuple[QuestionWord, ...]

    @classmethod
    def of(
        cls,
        words: Sequence[str],
        known: Iterable[QueryTerm],
        rarest_weight: float,
        *,
        bridged: Mapping[str, Mapping[str, float]] | None = None,
        term_weight: Callable[[str], float | None] | None = None,
        unknown_weight: float = 1.0,
        bridge_credit: float = 1.0,
        is_light: Callable[[str], bool] | None = None,
        light_weight: float | None = None,
    ) -> QuestionWeights:
        """Weights for the content ``words`` of a question, given the index terms ``known`` for
        them (``SparseIndex.query_terms``), the index's ``rarest_weight``, the terms the bridge
        reaches for the others (``bridged``) and the index's idf (``term_weight``)."""
        by_token = {qt.token: qt for qt in known}
        bridged = bridged or {}
        floor = 0.5 * rarest_weight
        weighted = []
        seen: set[str] = set()
        for word in words:
            qt = by_token.get(word)
            reached = bridged.get(word)
            if qt is None and not reached and is_identifier(word):
                continue  # an identifier the index lacks whole: its parts stand for it
            if qt is not None and not (qt.corrected and reached):  # a word the bridge knows is no typo
                if qt.term in seen:  # "nipple ... nipples": one term, counted once
                    continue
                seen.add(qt.term)
                weight = max(qt.weight, floor) * (0.85 if qt.corrected else 1.0)
                weighted.append(QuestionWord(word, weight, ((qt.term, 1.0),)))
            elif reached:
                scaled = {t: min(1.0, credit * bridge_credit) for t, credit in reached.items()}
                terms = tuple(sorted(scaled.items(), key=lambda tc: (-tc[1], tc[0])))
                # It weighs as the term it most likely means: the best-credited one.
                best = [t for t, credit in terms if credit == terms[0][1]]
                idf = [term_weight(t) if term_weight else None for t in best]
                weight = max(max(w if w is not None else floor, floor) for w in idf)
                weighted.append(QuestionWord(word, weight, terms, bridged=True))
            elif is_light is not None and light_weight is not None and is_light(word):
                weighted.append(QuestionWord(word, light_weight * rarest_weight, light=True))
            else:
                weighted.append(QuestionWord(word, unknown_weight * rarest_weight))
        return cls(tuple(weighted))

    def with_symbols(self, symbols: Sequence[str], weight: float) -> QuestionWeights:
        """These weights and the syntax ``symbols`` the question names (``{{``), each weighing
        ``weight``: a sentence quoting one as code of its own covers it (:func:`best_sentences`)."""
        known = {word.word for word in self.words}
        extra = [QuestionWord(s, weight, ((s, 1.0),)) for s in symbols if s not in known]
        return replace(self, words=(*self.words, *extra)) if extra else self

    @property
    def terms(self) -> set[str]:
        """The index terms the question asks about (bridged ones included)."""
        return {term for word in self.words for term, _ in word.terms}

    def coverage(self, terms: set[str] | frozenset[str]) -> float:
        """The share of the question's weight that ``terms`` contain (bridged words at their credit)."""
        total = sum(word.weight for word in self.words)
        found = sum(word.weight * word.credit(terms) for word in self.words)
        return found / total if total else 0.0

    def unknown_subjects(self, share: float | None = None) -> list[str]:
        """The words no index term stands for, not light ones, that weigh at least ``share`` of the
        question: at :data:`SUBJECT_SHARE` (the default), what it asks about, and the knowledge base
        has never heard of it ("can i take *ibuprofen* while breastfeeding")."""
        share = SUBJECT_SHARE if share is None else share
        total = sum(word.weight for word in self.words)
        return [
            w.word for w in self.words if not w.terms and not w.light and total and w.weight >= share * total
        ]

    def uncovered(self, terms: set[str] | frozenset[str]) -> list[str]:
        """The question's words that ``terms`` do not cover at all, in question order."""
        return [word.word for word in self.words if not word.credit(terms)]

    def bridges_used(self, terms: set[str] | frozenset[str]) -> list[tuple[str, str]]:
        """(member word, index term) for each bridged word that ``terms`` cover, best term first."""
        used = []
        for word in self.words:
            if word.bridged:
                found = [term for term, _ in word.terms if term in terms]
                if found:
                    used.append((word.word, found[0]))
        return used


def mark_terms(text: str, terms: set[str] | frozenset[str]) -> tuple[tuple[int, int], ...]:
    """The (start, end) spans of ``text``'s words whose stems are among ``terms``, never inside
    code: Discord shows ** within `code` as two asterisks."""
    code = code_spans(text) if "`" in text or "~~~" in text else []
    return tuple(
        (s, e)
        for s, e, tok in token_spans(text)
        if tok not in STOP_WORDS and stem(tok) in terms and not (code and inside(code, s, e))
    )


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# The definition in a Markdown definition list (PHP Markdown Extra, Pandoc, Python-Markdown): a line
# ":   Format of output." under its term. It is quoted without its marker, and after its term.
_DEFINITION_ITEM = re.compile(r"^\s*:[ \t]+(?=\S)")
# A caption describes a picture; it answers a question about the picture, not about its subject.
_CAPTION = re.compile(r"^\W*(?:the |this )?(?:photo|picture|image|figure|fig\.|diagram|illustration)\b", re.I)
_PICTURE_WORDS = frozenset(stem(w) for w in ("photo", "picture", "image", "figure", "diagram", "pictured"))
# A sentence that says what something is or does: "X is/are/refers to/comprises/includes ...".
_DEFINITION = re.compile(
    r"^[^.;:]{0,80}?(?=\b(?:is|are|refers? to|comprises?|consists? of|means|includes?|protects?)\b)", re.I
)
# How much a caption's score counts (unless the question is about the picture), and a definition's
# whose subject names a word of the question. Chosen on the tune half of
# tests/knowledge/everyday_questions.yaml and the seed set: definitions at 1.0, 1.05, 1.2-2.0 put
# 27, 28, 29 of 41 tune questions under a right section (seed set unchanged); 1.2 is the least of
# the best.
CAPTION_FACTOR = 0.7
DEFINITION_FACTOR = 1.2
# How much a sentence gains, at most, when its passage's heading and title cover the question, and how
# much less a sentence of the next passage down the ranking counts (0.1 before headings counted).
# Chosen together on the tune half and the seed set: 0.1-0.5 x 0-0.1 tie within one question;
# 0.5/0.05 sits mid-tie (table in bench/README.md).
ABOUT_FACTOR = 0.5
RANK_PENALTY = 0.05
# How much the coverage a sentence's neighbours add counts in choosing the lead sentence. Chosen on
# the tune halves: 0.3-1.0 answer one more Jinja question from its section ("which python version
# do i need"), the everyday set and the seed set are unchanged, with or without the semantic channel.
NEIGHBOUR_FACTOR = 0.5


# A word the knowledge base has never seen (and not a light one) that carries this share of a
# question is what it asks about ("can i take *ibuprofen* while breastfeeding": 49%), and the
# question is declined, however well the rest is covered. Chosen on the tune halves: 0.4 and 0.45
# decline two off-topic everyday questions lexically (3/34 -> 1/34) and with the semantic channel
# (5/34 -> 3/34) and lose nothing on the everyday, seed and docs sets; 0.3 loses an everyday and a
# seed question ("How are IgG antibodies transferred before birth?": "birth", 31%).
SUBJECT_SHARE = 0.4
# An answered question with such a word of this share is answered without it, and the member is told
# ("my baby has a cold, should i keep breastfeeding": The knowledge base does not mention: cold.).
# On the tune halves and the seed set, 0.15-0.3 name one word in an answer ("sugars" in "are the
# sugars in breastmilk (oligosaccharides?) part of the immune stuff"); 0.1 also names "thought" in a
# chatty post's aside.
MENTION_SHARE = 0.2


def names_heading(section: Sequence[str], asked: Iterable[str]) -> bool:
    """Whether the question's words (stems, as :func:`knowledge.text.analyze` gives them) hold every
    word of one heading on the ``section`` path."""
    asked = set(asked)
    return any((words := set(analyze(heading))) and words <= asked for heading in section)


def _kind_factor(sentence: str, asks_about_pictures: bool, wanted: set[str]) -> float:
    """Prefer sentences that say what a thing the question names is or does ("The mammary immune
    system is ...", not "This is ...") over captions and passing mentions."""
    if _CAPTION.match(sentence):
        return 1.0 if asks_about_pictures else CAPTION_FACTOR
    definition = _DEFINITION.match(sentence)
    if definition and set(analyze(definition.group(0))) & wanted:
        return DEFINITION_FACTOR
    return 1.0


def best_sentences(
    hits: Sequence[Hit], passages: Sequence[Passage | None], question: QuestionWeights, limit: int
) -> tuple[list[Sentence], float, frozenset[str]]:
    """The 1..limit sentences of the top passages that cover most of the question, the best
    single sentence's coverage (how well the answer's lead sentence answers) and the question's
    terms that the chosen sentences (with their headings) contain. ``passages[i]`` is the passage
    of ``hits[i]`` (None when unknown).

    A sentence counts its section heading with it, so a list item under "The mammary immune
    system" is about that system. A sentence from a lower-ranked passage must bring a term the
    chosen ones lack; otherwise the answer would repeat itself.
    """
    wanted = question.terms
    symbols = {term for term in wanted if is_symbol(term)}
    asks_about_pictures = bool(wanted & _PICTURE_WORDS)
    evidence = [
        (rank, hit, passage)
        for rank, (hit, passage) in enumerate(zip(hits, passages, strict=False))
        if not (passage and is_reference_list(passage.section))
    ][:3]
    # Titles tell passages apart only when they come from different documents.
    several = len({hit.title for _, hit, _ in evidence}) > 1
    titles = {rank: set(analyze(hit.title)) if several else set() for rank, hit, _ in evidence}
    candidates = []
    for place, (rank, hit, passage) in enumerate(evidence):
        heading = set(analyze(" ".join(passage.section))) if passage else set()
        # Under an FAQ question the body answers it even in other words ("Why is my bot offline?"
        # -> "Check the token."): its sentences stand on the heading's terms alone.
        faq = bool(passage and passage.section and passage.section[-1].rstrip().endswith("?"))
        for order, (start, end) in enumerate(sentence_spans(hit.text)):
            raw = hit.text[start:end]
            if "]:" in raw and is_link_definition(raw):  # "[label]: https://..." says nothing itself
                continue
            bullet = _BULLET.match(raw) or _DEFINITION_ITEM.match(raw)
            body = raw[bullet.end() :] if bullet else raw
            found = {stem(tok) for _, _, tok in token_spans(body)} & wanted
            if symbols:  # a symbol the question names counts where the sentence quotes it as code
                found |= quoted_symbols(body) & symbols
            if not found and not (faq and heading & wanted):
                continue
            found_here = found | (heading & wanted)
            cov = question.coverage(found_here)
            score = cov * (1.0 - RANK_PENALTY * place) * _kind_factor(body, asks_about_pictures, wanted)
            # What the passage is about, by its heading and title, breaks ties between sentences
            # that cover the question alike: "when is the mammary immune system most active" is
            # answered from under "The mammary immune system".
            score *= 1.0 + ABOUT_FACTOR * question.coverage((heading | titles[rank]) & wanted)
            candidates.append((score, cov, rank, order, body, found, found_here, hit))
    if not candidates:
        return [], 0.0, frozenset()
    # A sentence whose neighbours in its passage say the rest of what the question asks leads better
    # than one that stands alone ("We recommend the latest version of Python. Jinja supports Python
    # 3.7 and newer."): its score grows with the coverage they add. Ranking only, not the bar.
    if len(candidates) > 1:
        found_at = {(c[2], c[3]): c[5] for c in candidates}
        ranked = []
        for score, cov, rank, order, *rest in candidates:
            gain = _neighbours_gain(question, rest[2], cov, found_at, rank, order)  # rest[2]: found_here
            ranked.append((score * (1.0 + NEIGHBOUR_FACTOR * gain), cov, rank, order, *rest))
        candidates = ranked
    candidates.sort(key=lambda c: (-c[0], c[2], c[3]))
    best = candidates[0][0]
    chosen, covered, reached = [], set(), set()
    for score, _cov, rank, order, body, found, found_here, hit in candidates:
        if len(chosen) == limit or score < 0.5 * best:
            break
        if chosen and not (found - covered):
            continue
        chosen.append((rank, order, body, hit))
        covered |= found
        reached |= found_here
    chosen.sort(key=lambda c: (c[0], c[1]))
    sentences = []
    texts = [_with_list(body, hit.text, order) for _, order, body, hit in chosen]
    quoted = {(rank, order) for rank, order, _, _ in chosen}
    for i, (rank, order, _, hit) in enumerate(chosen):
        if (rank, order - 1) in quoted:
            continue
        longer = _with_antecedent(texts[i], hit.text, order)
        if sum(map(len, texts)) + len(longer) - len(texts[i]) <= ANSWER_CHARS:
            texts[i] = longer
    for (rank, _, _, hit), text in zip(chosen, texts, strict=True):
        sentences.append(
            Sentence(text=text, source=rank + 1, passage_id=hit.passage_id, marks=mark_terms(text, wanted))
        )
    return sentences, max(c[1] for c in candidates), frozenset(reached)


def _neighbours_gain(
    question: QuestionWeights,
    found: set[str],
    coverage: float,
    found_at: dict[tuple[int, int], set[str]],
    rank: int,
    order: int,
) -> float:
    """How much more of the question than ``coverage`` a sentence that covers ``found`` covers with
    the sentences beside it in its passage (``found_at``: (rank, order) -> their question terms)."""
    beside = [found_at.get((rank, order + step)) for step in (-1, 1)]
    extra = set().union(*(b for b in beside if b)) - found
    return question.coverage(found | extra) - coverage if extra else 0.0


# A sentence that opens by pointing back ("This allows maternal exposure ...", "It also contributes
# ...") says what "this" is only with the sentence before it.
_POINTS_BACK = re.compile(r"^(?:This|These|It|Its|They|Their|Such|Those)\s")
# The sentence before is quoted with it up to this length, and while the quoted sentences stay
# within ANSWER_CHARS together: a reply is read in under 1,000 characters (bench/reply_length.py).
ANTECEDENT_CHARS = 300
ANSWER_CHARS = 500


def _with_antecedent(text: str, passage: str, order: int) -> str:
    """``text`` (the ``order``-th sentence of ``passage``, a list item without its bullet) with the
    sentence before it when it opens by pointing back and that sentence is plain prose: not code, a
    list item or a link definition."""
    if order == 0 or not _POINTS_BACK.match(text):
        return text
    spans = sentence_spans(passage)
    (start, end), (here, stop) = spans[order - 1], spans[order]
    if _DEFINITION_ITEM.match(passage[here:stop]):
        return text  # a definition is quoted with its term already
    # A list item ("- This allows ...") is quoted with its bullet, under the sentence that leads
    # into the list.
    bullet = _BULLET.match(passage[here:stop])
    if bullet:
        here += bullet.end()
    before = passage[start:end].strip()
    if (
        not before
        or len(before) > ANTECEDENT_CHARS
        or block_language(before) is not None
        or _BULLET.match(before)
        or _DEFINITION_ITEM.match(before)
        or is_link_definition(before)
    ):
        return text
    return passage[start:here].lstrip() + text  # as the passage writes them: a faithful quote


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
        definition = _DEFINITION_ITEM.match(item)
        if not (_BULLET.match(item) or definition) or size + len(item) > limit:
            break
        lines.append(item[definition.end() :].strip() if definition else item.strip())
        size += len(item) + 1
    return "\n".join(lines)
