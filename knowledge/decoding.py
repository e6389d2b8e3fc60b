"""Bytes of a text file to text: UTF-8, else the legacy code page the text was most likely saved in.

A file that is not UTF-8 was, far more often than not, saved by a Western-European Windows or Mac
program in Windows-1252 (whose printable characters include all of Latin-1's). A statistical
detector alone reads a short French or English file with a few accents as Baltic or Central-European
("Cafķ", "Déją vu"): the code pages differ only in the accented letters, the very evidence there
is little of. So Windows-1252 is preferred whenever its reading looks like Western text, and the
detector (charset-normalizer) decides only when it does not: Greek, Cyrillic, Polish, Turkish and
Baltic text each put letters Western text never uses where their own should be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Below this many bytes an encoding cannot be told reliably from the text (four bytes of Latin-1
# read as well as UTF-16): such a file must be UTF-8.
MIN_DETECT_BYTES = 64
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

WESTERN = "cp1252"
# What Western-European text written in Windows-1252 uses beyond ASCII: the accented letters of its
# languages (not Ð ð Þ þ Ý ý, which Western text rarely has and which Baltic, Turkish and Cyrillic
# text read as Windows-1252 is full of), and typographic punctuation and common symbols.
_WESTERN_CHARS = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜßàáâãäåæçèéêëìíîïñòóôõöøùúûüÿŒœŠšŽž"
    "‘’‚“”„–—…•€™°©®±×·«»¿¡£¢¥§¶ºª´½¼¾²†‡‰‹›\u00a0\u00ad"
)
# A reading with more non-ASCII letters than this share of its letters is not Western text (French
# has a few per cent); Greek or Cyrillic read as Windows-1252 is nearly all accented letters.
_MAX_ACCENTED_SHARE = 0.3
# The share of non-ASCII characters of the reading that must be Western ones (one stray symbol in a
# long file is allowed).
_MIN_WESTERN_SHARE = 0.95

_NAMES = {
    "utf-8": "UTF-8",
    "cp1252": "Windows-1252 (Western European)",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1257": "Windows-1257 (Baltic)",
}


class NotText(ValueError):
    """The bytes are not text in any encoding that can be told: binary data, or too little text.
    ``line`` is where the binary data starts, when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Decoded:
    """Text read from bytes, the codec it was read with, and for text that is not UTF-8, the line
    of its first byte that is not."""

    text: str
    encoding: str = "utf-8"
    line: int | None = None

    @property
    def legacy(self) -> bool:
        """Whether the text was not UTF-8 and was read with a legacy code page."""
        return self.encoding != "utf-8"


def encoding_name(codec: str) -> str:
    """How to name a codec to a person: ``Windows-1252 (Western European)`` for ``cp1252``."""
    return _NAMES.get(codec, codec.replace("_", "-"))


def decode_text(raw: bytes) -> Decoded:
    """``raw`` as text: UTF-8 (a byte-order mark dropped), else the legacy code page it reads
    as (see the module). Raises :class:`NotText` for binary data and for too little text to tell."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        detected = _detect(raw)
        if detected is None:
            raise NotText(f"not UTF-8 text (byte {exc.start})") from None
        encoding, text = detected
        return Decoded(text, encoding, raw[: exc.start].count(b"\n") + 1)
    if "\x00" in text:  # valid UTF-8 can still be binary data (or UTF-16 without its mark)
        raise NotText("binary data, not text: skipped", text[: text.index("\x00")].count("\n") + 1)
    return Decoded(text)


def _detect(raw: bytes) -> tuple[str, str] | None:
    """The code page ``raw`` reads as and the text, when it reads as text; None for binary data or
    too little text."""
    if len(raw) < MIN_DETECT_BYTES or b"\x00" in raw:
        return None
    western = _western(raw)
    if western is not None:
        return WESTERN, western
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None or best.encoding.startswith(("utf_16", "utf_32")):
        return None
    text = str(best)
    if _CONTROL.search(text):
        return None
    return best.encoding, text


def _western(raw: bytes) -> str | None:
    """``raw`` read as Windows-1252, when that reading looks like Western-European text."""
    try:
        text = raw.decode(WESTERN)
    except UnicodeDecodeError:  # a byte Windows-1252 leaves undefined
        return None
    if _CONTROL.search(text):
        return None
    beyond = [c for c in text if not c.isascii()]
    if not beyond:
        return text
    western = sum(c in _WESTERN_CHARS for c in beyond)
    letters = sum(c.isalpha() for c in text)
    accented = sum(c.isalpha() for c in beyond)
    if western < _MIN_WESTERN_SHARE * len(beyond) or accented > _MAX_ACCENTED_SHARE * letters:
        return None
    return text
