"""Names the documents only mention in passing: a question about a neighbouring tool ("how do I
write a field_validator in pydantic", asked of attrs' docs, which name Pydantic only to compare)
shares that tool's name with a passage or two, and little else of what it asks.

:func:`mentioned_in_passing` finds such a name among a question's content words: a word the index
knows from a few passages only (comparison pages aside: "Why not…", "X vs Y", "Alternatives"), never
in a heading outside them, that those passages mostly write as a name (capitalised inside a sentence,
as code, emphasis or link text, imported, opening a dotted name or closing one quoted as code) and
spell as the member does, that no example of theirs defines (``class BaseAppSettings``), whose
passages hold little of the question's other words, and whose question the documents do not answer
elsewhere either (a placeholder such as "myapp" in a question about pyproject.toml is not a
neighbouring tool) unless a comparison page names it in a heading of its own ("… namedtuples?"). It
only reports; deciding to decline is the answer pipeline's business.

Names the documents never use at all are not its concern: :meth:`KnowledgeBase.unknown_words`
gives those."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from .kb import KnowledgeBase
from .overlay import OverlayKnowledgeBase
from .text import STOP_WORDS, stem, token_spans, tokens

logger = logging.getLogger(__name__)

# Headings and titles of pages that weigh the project against others: a name there is still a name
# in passing ("… Pydantic?" under "Why not…").
COMPARISON = re.compile(
    r"\bwhy not\b|\bvs\.?(?=\s|$)|\bversus\b|\balternatives?\b|\bcompared (?:to|with)\b"
    r"|\bcomparison (?:to|with)\b|\b(?:related|similar|other) (?:projects|tools|libraries)\b",
    re.IGNORECASE,
)
_IMPORTED = re.compile(r"\b(?:import|from) $")
_SENTENCE_END = re.compile(r"(?:^|[.!?:]\s*|\n\s*(?:[-*+]\s+|\d+[.)]\s+)?)$")


@dataclass(frozen=True)
class PassingSettings:
    """When a name counts as mentioned in passing: in at most ``max_passages`` passages outside
    comparison pages (and at most ``max_share`` of all passages); the question's other words
    covered (by idf) below ``max_coverage`` in every passage naming it there; and below
    ``answered_elsewhere`` in every passage of the documents. Documents of fewer than
    ``min_corpus`` passages mention nothing "in passing": in one article of five passages, a term
    of one passage ("Prenatal immunity") is all the article says about it, not an aside."""

    max_passages: int = 5
    max_share: float = 0.05
    min_corpus: int = 50
    max_coverage: float = 0.5
    answered_elsewhere: float = 0.75


@dataclass(frozen=True)
class PassingMention:
    """A name the question is about that the documents only mention in passing.

    ``word`` as the question writes it; ``term`` the index term; ``passages`` the ids of the passages
    naming it; ``coverage`` the largest share (by idf) of the question's other words one of those
    passages holds."""

    word: str
    term: str
    passages: tuple[str, ...]
    coverage: float


def mentioned_in_passing(
    words: Sequence[str], kb: KnowledgeBase, settings: PassingSettings | None = None
) -> PassingMention | None:
    """The name among ``words`` (a question's content words, :func:`knowledge.question.content_words`)
    that ``kb``'s documents only mention in passing, or None. When several qualify, the one whose
    passages cover the rest of the question least."""
    settings = settings or PassingSettings()
    if len(kb.passages) < settings.min_corpus or not kb.index.vocabulary_:
        return None
    limit = min(settings.max_passages, max(1, int(settings.max_share * len(kb.passages))))
    asked = list(dict.fromkeys(w for w in words if w not in STOP_WORDS))
    found: list[PassingMention] = []
    for word in asked:
        term = stem(word)
        naming = _rows(kb, term)
        # a name only comparison pages use is judged there
        outside = naming[~_comparison_rows(kb)[naming]]
        chosen = outside if len(outside) else naming
        if not 0 < len(chosen) <= limit:
            continue
        rows = chosen.tolist()
        if _in_a_heading(kb, term) or not _is_a_name(kb, word, rows) or _defined(kb, word, rows):
            continue
        rest = list(dict.fromkeys(stem(w) for w in asked if stem(w) != term))
        held = _held(kb, rest)
        coverage = float(max(held[rows]))
        # A tool the documents weigh themselves against under its own heading ("Why not… › …
        # namedtuples?") is a neighbour by their own account: a question about it stays one even
        # where other passages hold its other words ("default values" of the project's classes).
        elsewhere = float(held.max(initial=0.0)) if not _compared(kb, term) else 0.0
        if coverage < settings.max_coverage and elsewhere < settings.answered_elsewhere:
            found.append(PassingMention(word, term, tuple(kb.passages[row].id for row in rows), coverage))
    if not found:
        return None
    best = min(found, key=lambda mention: (mention.coverage, len(mention.passages)))
    logger.debug("%r is mentioned in passing (coverage %.2f)", best.word, best.coverage)
    return best


def labelled_in_passing(
    label: str, kb: KnowledgeBase, settings: PassingSettings | None = None
) -> PassingMention | None:
    """The name a post opens with as its subject ("numpy: how do I ...",
    :func:`knowledge.question.subject_label`) when the documents only name it in passing, or never
    (then ``passages`` is empty), or None. The member named the subject, so unlike
    :func:`mentioned_in_passing` what the naming passages say around it does not count: asked about
    numpy's own functions, a page that compares numpy arrays is still an aside. A name in a heading,
    one used in many passages, or an everyday word ("update:", "edit:") is not a neighbouring tool."""
    from .thesaurus import Thesaurus  # loaded once, and only for a post that opens with a label

    settings = settings or PassingSettings()
    parts = tokens(label)
    if len(kb.passages) < settings.min_corpus or not parts or not kb.index.vocabulary_:
        return None
    if len(parts) == 1 and (
        parts[0] in STOP_WORDS or len(parts[0]) < 4 or Thesaurus.default().is_word(parts[0])
    ):
        return None
    terms = [stem(part) for part in parts]
    if all(_in_a_heading(kb, term) for term in terms) and _label_in_headings(kb, label):
        return None
    rows = _rows(kb, terms[0])
    for term in terms[1:]:
        rows = np.intersect1d(rows, _rows(kb, term))
    if len(parts) > 1:  # "python-dotenv": the name written whole, not "python" and "dotenv" apart
        written = re.compile(r"(?<![\w-])" + r"[-_. ]?".join(map(re.escape, parts)) + r"(?![\w-])", re.I)
        whole = [row for row in rows.tolist() if written.search(kb.passages[row].text)]
        rows = np.array(whole, dtype=np.int64)
    outside = rows[~_comparison_rows(kb)[rows]] if len(rows) else rows
    limit = min(settings.max_passages, max(1, int(settings.max_share * len(kb.passages))))
    if len(outside) > limit:
        return None
    chosen = outside if len(outside) else rows
    return PassingMention(label, " ".join(terms), tuple(kb.passages[row].id for row in chosen.tolist()), 0.0)


def _label_in_headings(kb: KnowledgeBase, label: str) -> bool:
    """Whether a heading or title (outside comparison pages) names ``label`` as a whole."""
    if len(tokens(label)) == 1:
        return True  # the caller checked its one term
    if isinstance(kb, OverlayKnowledgeBase):
        return _label_in_headings(kb.base, label) or _label_in_headings(kb.own, label)
    needle = " ".join(tokens(label))
    return any(needle in heading for heading in _headings(kb))


# Per knowledge base, its headings and titles outside comparison pages, each as its tokens joined
# by spaces (made on first use).
_HEADINGS: WeakKeyDictionary[KnowledgeBase, frozenset[str]] = WeakKeyDictionary()


def _headings(kb: KnowledgeBase) -> frozenset[str]:
    headings = _HEADINGS.get(kb)
    if headings is None:
        paths = {(kb.documents[p.doc_id].title, *p.section) for p in kb.passages}
        headings = frozenset(
            " ".join(tokens(heading))
            for path in paths
            if not any(COMPARISON.search(heading) for heading in path)
            for heading in path
        )
        _HEADINGS[kb] = headings
    return headings


def _rows(kb: KnowledgeBase, term: str) -> np.ndarray:
    """The rows of the passages holding ``term`` (in their text, headings or title)."""
    return kb.index.rows_of(term)


# Per knowledge base, the terms of its headings and titles outside comparison pages (made on first use).
_HEADING_TERMS: WeakKeyDictionary[KnowledgeBase, frozenset[str]] = WeakKeyDictionary()


# Per knowledge base, which rows stand on a comparison page (made on first use).
_COMPARISON_ROWS: WeakKeyDictionary[KnowledgeBase, np.ndarray] = WeakKeyDictionary()


def _comparison_rows(kb: KnowledgeBase) -> np.ndarray:
    """A mask of the rows on a comparison page ("Why not…", "X vs Y"), by title or heading."""
    if isinstance(kb, OverlayKnowledgeBase):  # the base's mask is every server's: joined, not kept
        return np.concatenate([_comparison_rows(kb.base), _comparison_rows(kb.own)])
    mask = _COMPARISON_ROWS.get(kb)
    if mask is None:
        mask = np.fromiter((_on_a_comparison_page(kb, row) for row in range(len(kb.passages))), dtype=bool)
        _COMPARISON_ROWS[kb] = mask
    return mask


def _on_a_comparison_page(kb: KnowledgeBase, row: int) -> bool:
    passage = kb.passages[row]
    return any(COMPARISON.search(h) for h in (kb.documents[passage.doc_id].title, *passage.section))


def _in_a_heading(kb: KnowledgeBase, term: str) -> bool:
    """Whether a heading or title names ``term`` other than on a comparison page."""
    if isinstance(kb, OverlayKnowledgeBase):
        return _in_a_heading(kb.base, term) or _in_a_heading(kb.own, term)
    terms = _HEADING_TERMS.get(kb)
    if terms is None:
        terms = frozenset(stem(t) for heading in _headings(kb) for t in heading.split())
        _HEADING_TERMS[kb] = terms
    return term in terms


# Per knowledge base, the terms of the headings on comparison pages, below the heading or title that
# makes them one ("… namedtuples?" under "Why not…"), made on first use.
_COMPARED_TERMS: WeakKeyDictionary[KnowledgeBase, frozenset[str]] = WeakKeyDictionary()


def _compared(kb: KnowledgeBase, term: str) -> bool:
    """Whether a heading of a comparison page names ``term``: the documents compare themselves with it."""
    if isinstance(kb, OverlayKnowledgeBase):
        return _compared(kb.base, term) or _compared(kb.own, term)
    terms = _COMPARED_TERMS.get(kb)
    if terms is None:
        found: set[str] = set()
        for passage in kb.passages:
            path = (kb.documents[passage.doc_id].title, *passage.section)
            marked = [i for i, heading in enumerate(path) if COMPARISON.search(heading)]
            if marked:
                found |= {stem(t) for heading in path[marked[0] + 1 :] for t in tokens(heading)}
        terms = _COMPARED_TERMS[kb] = frozenset(found - STOP_WORDS)
    return term in terms


def _is_a_name(kb: KnowledgeBase, word: str, rows: Sequence[int]) -> bool:
    """Whether the passages mostly write ``word`` as a name ("Windows", "*cattrs*", `` `namedtuple` ``,
    ``import numpy``). Only the word as the member spells it counts, a plural aside: a name does not
    inflect, so "sort" is not the builtin `` `sorted` `` its stem shares."""
    term = stem(word)
    written = [
        _as_a_name(kb.passages[row].text, start, end)
        for row in rows
        for start, end, token in token_spans(kb.passages[row].text)
        if stem(token) == term and _same_spelling(token, word)
    ]
    return bool(written) and sum(written) * 2 > len(written)


def _same_spelling(token: str, word: str) -> bool:
    a, b = token.casefold(), word.casefold()
    return a == b or a == f"{b}s" or b == f"{a}s"


def _defined(kb: KnowledgeBase, word: str, rows: Sequence[int]) -> bool:
    """Whether the passages define ``word`` in an example of their own (``class BaseAppSettings``,
    ``def get_settings``), or the object a dotted ``word`` opens with (``BaseAppSettings.model_validate``):
    a name of the documents' own code, not a neighbouring tool's."""
    name = re.escape(word.split(".")[0])
    defines = re.compile(rf"\b(?:class|def)\s+{name}\b", re.IGNORECASE)
    return any(defines.search(kb.passages[row].text) for row in rows)


def _as_a_name(text: str, start: int, end: int) -> bool:
    """Whether the word at ``text[start:end]`` is written as a name: capitalised inside a sentence or
    with a capital further in; as a whole code span, emphasis or link text; imported, opening a
    dotted name or an address (``numpy.array_equal``, ``postgres://``), or closing a dotted name
    quoted as code (`` `collections.namedtuple` ``)."""
    surface = text[start:end]
    before, after = text[max(0, start - 1) : start], text[end : end + 3]
    if any(c.isupper() for c in surface[1:]):
        return True
    if surface[0].isupper() and not _SENTENCE_END.search(text[max(0, start - 40) : start].rstrip(" ")):
        return True
    if (before, after[:1]) in (("`", "`"), ("*", "*"), ("[", "]")):
        return True
    if _IMPORTED.search(text[max(0, start - 7) : start]):
        return True
    if before == "." and after[:1] == "`":
        return True
    return before != "." and (after.startswith("://") or bool(re.match(r"\.[A-Za-z_]", after)))


def _held(kb: KnowledgeBase, terms: Sequence[str]) -> np.ndarray:
    """Per passage, the share (by idf) of ``terms`` it holds; a term the index lacks weighs as the
    rarest term and is held nowhere. All 0 when there are no terms."""
    held = np.zeros(len(kb.passages), dtype=np.float64)
    total = 0.0
    for term in terms:
        weight = kb.index.term_weight(term) or kb.rarest_weight
        total += weight
        held[_rows(kb, term)] += weight
    return held / total if total else held
