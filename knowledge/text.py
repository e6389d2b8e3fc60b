"""Text analysis shared by indexing, querying and sentence selection: tokens, stems, stop words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import Stemmer

# Words of two or more letters/digits, keeping inner hyphens and apostrophes out: "gut-to-breast"
# yields three tokens, so a question about the "gut" finds it.
_TOKEN = re.compile(r"[^\W_]{2,}", re.UNICODE)

# scikit-learn's English stop words, read from a data file: importing scikit-learn costs about a
# second, and a cold `citebot ask` must answer in less.
SKLEARN_STOP_WORDS: frozenset[str] = frozenset(
    line.strip()
    for line in (Path(__file__).with_name("stopwords.txt")).read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
STOP_WORDS: frozenset[str] = SKLEARN_STOP_WORDS | {"does", "did", "doing", "can", "what", "s"}

_stemmer = Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """Fold compatibility forms and case so "ＩｇＡ" and "IgA" meet."""
    return unicodedata.normalize("NFKC", text).casefold()


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, stop words included."""
    return _TOKEN.findall(normalize(text))


def token_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, lower-cased token) for each word of ``text``, with offsets into ``text``.

    NFKC can change lengths, so spans are found on the original text and only the token is folded.
    """
    for match in _TOKEN.finditer(text):
        yield match.start(), match.end(), normalize(match.group())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The English Snowball stem of one lower-cased token ("breastfeeding" -> "breastfeed")."""
    return _stemmer.stemWord(word)


def analyze(text: str) -> list[str]:
    """The index's analyzer: tokens without stop words, Snowball-stemmed."""
    return [stem(t) for t in tokens(text) if t not in STOP_WORDS]


def snippet(text: str, query: str = "", width: int = 240) -> str:
    """About ``width`` characters of ``text`` on one line, starting shortly before the first word
    that matches ``query`` so a search result shows why it matched."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    wanted = set(analyze(query))
    start = 0
    for begin, _, token in token_spans(flat):
        if token not in STOP_WORDS and stem(token) in wanted:
            start = max(0, begin - width // 4)
            break
    if start:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = start + width
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    return ("… " if start else "") + flat[start:end] + (" …" if end < len(flat) else "")
