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
# Identifiers from code (on_message, Client.change_presence, discord.py) are also kept whole, beside
# their parts: a question naming one finds the passages naming exactly it first. A dotted run counts
# only when a part after a dot starts with a letter (not "3.11") and one part has two or more
# characters (not "e.g").
_IDENTIFIER = re.compile(
    r"(?<![\w.])_*[^\W\d]\w*(?:\.[^\W\d]\w*)+(?!\w)"  # dotted: Client.change_presence, discord.py
    r"|(?<![\w.])\w*_\w*[^\W_]\w*",  # with underscores: on_message, __init__
    re.UNICODE,
)
_LINK_TARGET = re.compile(r"(?<=\])\([^()\s]*(?:\s+\"[^\"\n]*\")?\)")
# A Markdown link reference definition, a line of its own: "[MultiMarkdown]: https://... "Title"".
# Its target (group "target", with any title) is an address, not words the document says.
_LINK_DEFINITION = re.compile(
    r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*"
    r"(?P<target>\S+(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?)[ \t]*$",
    re.M,
)

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


def _accent_table() -> dict[int, str]:
    """Each Latin letter with diacritics (Latin-1 Supplement, Extended-A and -B, Extended
    Additional) to its letter without them, and the combining marks to nothing; letters that do
    not decompose get their usual spelling (æ -> ae, ø -> o, ł -> l)."""
    table: dict[int, str] = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        if base != char and base.isascii() and base.isalpha():
            table[code] = base
    spelled = {"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ħ": "h", "ı": "i"}
    table.update({ord(c): plain for c, plain in spelled.items()})
    table.update({ord(c.upper()): plain.capitalize() for c, plain in spelled.items() if c != "ı"})
    table.update({code: "" for code in range(0x300, 0x370)})  # combining diacritical marks
    return table


_ACCENTS = _accent_table()


def fold_accents(text: str) -> str:
    """``text`` without diacritics on Latin letters, so "cafe" finds "Café" and "naive" finds
    "naïve" (Lucene's ASCII folding, for Latin letters only). What is shown is never folded:
    only the index and the questions are."""
    return text if text.isascii() else text.translate(_ACCENTS)


def is_identifier(word: str) -> bool:
    """Whether ``word`` is a whole code identifier (``on_message``, ``client.run``), not a plain word."""
    return ("_" in word or "." in word) and bool(_IDENTIFIER.fullmatch(word)) and _long_part(word)


def _long_part(word: str) -> bool:
    return any(len(part) > 1 for part in re.split(r"[._]+", word))


def _identifier_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Whole identifiers (``_IDENTIFIER``) with their spans, without the underscores around them:
    ``__output_format__`` is Markdown bold as often as it is code."""
    if "_" in text or "." in text:
        for match in _IDENTIFIER.finditer(text):
            word = match.group()
            start = match.start() + len(word) - len(word.lstrip("_"))
            word = word.strip("_")
            if ("_" in word or "." in word) and _long_part(word):
                yield start, start + len(word), word


def _outside(spans: list[tuple[int, int]], start: int) -> bool:
    return not any(s <= start < e for s, e in spans)


def is_link_definition(text: str) -> bool:
    """Whether ``text`` is nothing but Markdown link reference definitions (``[label]: url``)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(_LINK_DEFINITION.fullmatch(line) for line in lines)


def _link_targets(text: str) -> list[tuple[int, int]]:
    """Spans of link targets: inline (``](../usage.md#setup)``) and of reference definitions."""
    spans = [m.span() for m in _LINK_TARGET.finditer(text)] if "](" in text else []
    if "]:" in text:
        spans += [m.span("target") for m in _LINK_DEFINITION.finditer(text)]
    return sorted(spans)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in spans:
        if end > pos:  # overlapping spans: blank each character once
            out += [text[pos : max(start, pos)], " "]
            pos = end
    out.append(text[pos:])
    return "".join(out)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens without accents, stop words included, then whole identifiers; words
    of a Markdown link's target (``](../usage.md#setup)``, ``[label]: https://...``) are left out."""
    folded = fold_accents(normalize(text))
    if "](" in folded or "]:" in folded:
        folded = _blank(folded, _link_targets(folded))
    return _TOKEN.findall(folded) + [word for _, _, word in _identifier_spans(folded)]


def token_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, lower-cased token) for each word of ``text``, with offsets into ``text``, in
    order of position; a whole identifier comes before the parts it overlaps.

    NFKC and accent folding can change lengths, so spans are found on the original text and only
    the token is folded.
    """
    targets = _link_targets(text) if "](" in text or "]:" in text else []
    found = [(m.start(), -m.end(), m.group()) for m in _TOKEN.finditer(text)]
    found += [(start, -end, word) for start, end, word in _identifier_spans(text)]
    for start, neg_end, word in sorted(found):
        if not targets or _outside(targets, start):
            yield start, -neg_end, fold_accents(normalize(word))


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
