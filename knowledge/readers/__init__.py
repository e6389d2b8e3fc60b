"""Document readers, one module per format, registered by the suffixes of their files: adding a
format is a module here with a :class:`~.base.Reader` and its line in :data:`READERS`.

Every reader returns :class:`~knowledge.models.Document` objects whose ``text`` is Markdown-ish:
headings are ``#`` lines so the chunker keeps section paths whatever the source format was. The
folder walk that finds the files is :mod:`knowledge.documents`; checking an upload,
:func:`knowledge.uploads.check_upload`.

- :mod:`.markdown` (with MyST, :mod:`knowledge.myst`), :mod:`.plain_text`: front matter in
  :mod:`.front_matter`
- :mod:`.rst`, :mod:`.html`, :mod:`.pdf`, :mod:`.jsonl`
- :mod:`.base`: :class:`~.base.Reader`, :class:`~.base.SourceFile`, :class:`~.base.DocumentError`
"""

from __future__ import annotations

from . import html, jsonl, markdown, pdf, plain_text, rst
from .base import Reader

#: Every reader, by suffix (lower case, with its dot).
READERS: dict[str, Reader] = {
    suffix: reader
    for reader in (markdown.READER, plain_text.READER, rst.READER, html.READER, pdf.READER, jsonl.READER)
    for suffix in reader.suffixes
}
SUPPORTED_SUFFIXES = frozenset(READERS)
#: The suffixes an upload may have, and the format each is read as.
UPLOAD_SUFFIXES = {suffix: reader.format for suffix, reader in READERS.items() if suffix in reader.uploads}


def reader_for(suffix: str) -> Reader | None:
    """The reader of files with ``suffix`` (``.md``; any case), or None for a format not read."""
    return READERS.get(suffix.lower())
