"""Questions about the source rather than its content: "who wrote this?", "which journal?", "when was
it published?", "is there a doi?", "where can I read the original?"; and requests for its gist
("tl;dr", "sum it up"), answered from its summary section.

They are answered from a document's front matter (authors, year, source, DOI, URL), which no
passage states as a sentence a question could match. Detection is a small set of patterns, each
naming the document itself: "the source of antibodies in milk" asks about the content and stays
with the passages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .chunking import is_reference_list
from .models import Document, Passage
from .question import content_words

# Each pattern asks about the document, not its subject. "this/it/the article/paper/..." after a
# word like "source" or "link" is what tells the two apart.
_DOCUMENT = (
    r"(?:this|it|that|(?:the|this) (?:article|paper|study|research|page|text|original|source|document)"
    r"|all this)"
)
# The document without "it", which may stand for what the question names ("what is IgA? what is it
# about").
_THIS = _DOCUMENT.replace("|it|", "|")
_PATTERNS = [
    r"\bdoi\b",
    r"\bwho (?:wrote|writes|authored|published|made|created|is behind)\b",
    r"\bauthors?\b",
    r"\bwritten by\b",
    r"\b(?:which|what|whose) (?:journal|publisher|publication)\b",
    r"\bpeer[- ]?reviewed\b",
    r"\b(?:is|was) " + _DOCUMENT + r" (?:from |in |published in )?(?:a |an )?(?:\w+ )?(?:journal|blog)\b",
    r"\bjournal (?:is (?:this|it)|was (?:this|it))\b",
    r"\bwhen (?:was|is|were) " + _DOCUMENT + r"(?: \w+)? (?:published|written|released|out)\b",
    r"\b(?:publication|published) (?:date|year)\b",
    r"\b(?:what|which|wat) year (?:was|is) " + _DOCUMENT + r"\b",
    r"\boriginal (?:paper|article|study|source|text)\b",
    # "what's the actual title of the paper", "what is this article called", "the study's name"
    # (not "the name of this cell")
    r"\b(?:title|name) of (?:the |this |that )(?:original |actual |real |full )?"
    r"(?:article|paper|study|source|document)\b",
    r"\bwhat(?:'?s| is) (?:the |this |that )(?:article|paper|study|document) called\b",
    r"\b(?:paper|article|study)(?:'?s)? (?:title|name)\b",
    r"\b(?:read|find|get) the (?:original|full (?:text|article|paper))\b",
    # "where can i read more", "learn more about this" (not "read more about IgA")
    r"\b(?:read|learn|find out) more(?:\W*$| (?:about|on) " + _DOCUMENT + r"\W*$)",
    # "how recent is this info?", "is this article up to date"
    r"\bhow (?:recent|old|new|current|up[- ]to[- ]date) is (?:this|that|the) (?:info|information|"
    r"article|paper|study|research|page|source)\b",
    r"\b(?:is|was) (?:this|that|the) (?:info|information|article|paper|study|research|page|source)"
    r" (?:recent|new|old|current|outdated|up[- ]to[- ]date)\b",
    r"\b(?:link|cite|citation|reference) (?:to |for )?" + _DOCUMENT + r"\b",
    r"\bsources? (?:for|of) " + _THIS + r"(?:\W|$)",
    r"\bwhat(?:'?s| is) (?:the|your) source\s*(?:\?|$)",
    r"\bwhere(?:'s| is| does) this (?:\w+ )?(?:from|come from)\b",
    r"\bwhere (?:did|do) (?:you|u) get (?:this|that)\b",
    # "are there any references?", "does it have sources" (not "the sources of antibodies in milk")
    r"\b(?:any|the|your|its|(?:have|has|got)(?: any)?)"
    r" (?:references|sources|citations|footnotes|bibliography)"
    r"(?:\W*$| (?:for|in|of) " + _DOCUMENT + r"\b)",
    r"^\W*(?:references?|sources?|citations?|footnotes|bibliography|works cited)(?: (?:pls|please))?\W*$",
]
_SOURCE_QUESTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
# "Where does it come from?" asks about the document only when "it" (or "that") has nothing earlier
# in the question to stand for: "what is sIgA and where does it come from" asks about sIgA.
_SOURCE_OF_IT = re.compile(
    r"\bsource (?:for|of) it\b"
    r"|\bwhere(?:'s| is| does) (?:it|that)(?: info| information)? (?:from|come from)\b",
    re.I,
)


def is_source_question(question: str) -> bool:
    """True when ``question`` asks who wrote a document, where or when it was published, or for its
    DOI or original; False for questions about what the document says."""
    text = " ".join(question.replace("’", "'").split())
    if _SOURCE_QUESTION.search(text):
        return True
    of_it = _SOURCE_OF_IT.search(text)
    return of_it is not None and not content_words(text[: of_it.start()])


def source_sentences(doc: Document) -> list[str]:
    """What the front matter says about where ``doc`` comes from, as one to three sentences."""
    meta = doc.meta
    authors = meta.get("authors")
    if isinstance(authors, list):
        names = [str(a) for a in authors if str(a).strip()]
        authors = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] if names else ""
    written = f"“{doc.title}”"
    if authors:
        written += f" was written by {authors}"
    if meta.get("year"):
        written += f" ({meta['year']})" if authors else f" is from {meta['year']}"
    sentences = [written + "."] if authors or meta.get("year") else []
    if meta.get("source"):
        sentences.append(f"Source: {str(meta['source']).strip()}")
    if meta.get("doi"):
        sentences.append(f"DOI: {meta['doi']} — {doc.link}")
    elif doc.link:
        sentences.append(f"Original: {doc.link}")
    if not sentences:
        sentences.append(f"No author, date or source is recorded for “{doc.title}”.")
    return sentences


def citing_passage(passages: Sequence[Passage]) -> Passage | None:
    """The passage to cite for a document's source: its reference list when it has one (where the
    document names its source), else its first passage."""
    for passage in passages:
        if is_reference_list(passage.section):
            return passage
    return passages[0] if passages else None


# "tl;dr", "sum up this article", "summarise it", "in a nutshell", "the big picture", "the main point
# of the article": the member wants the gist.
_SUMMARY_REQUEST = re.compile(
    r"\btl\W?dr\b|\bsum(?:s|med|ming)? (?:\w+ )?up\b|\bsummar(?:ise|ize|y)\b|\bin a nutshell\b|\bgist\b"
    r"|\bbig picture\b"
    # "what is the main point of the article", "key takeaways?", "what does this article say overall"
    r"|\b(?:main|key) (?:points?|ideas?|message|takeaways?)(?:\W*$| (?:of|in|from) " + _THIS + r"\b)"
    r"|\bwhat (?:is|'s) " + _THIS + r" (?:about|saying)\W*$"
    r"|\bwhat does " + _THIS + r" say(?: overall)?\W*$",
    re.IGNORECASE,
)
# The headings a document gives its gist under.
_SUMMARY_HEADING = re.compile(
    r"^(?:summary|abstract|overview|conclusions?|key points|in brief|tl\W?dr)$", re.IGNORECASE
)


def is_summary_request(question: str) -> bool:
    """True when ``question`` asks for the gist of a document rather than about one of its points."""
    return bool(_SUMMARY_REQUEST.search(question))


def summary_passage(passages: Sequence[Passage]) -> Passage | None:
    """The passage under a document's "Summary" (or "Abstract", "Overview", "Conclusion") heading."""
    for passage in passages:
        if passage.section and _SUMMARY_HEADING.match(passage.section[-1].strip()):
            return passage
    return None
