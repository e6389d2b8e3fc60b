"""PDF (``.pdf``): the text of each page, with the page offsets citations name."""

from __future__ import annotations

from pathlib import Path

from ..models import Document
from .base import DocumentError, Read, Reader, SourceFile, title_from_stem

# A hostile PDF can hold thousands of pages; past this we stop and say so.
MAX_PDF_PAGES = 2_000


def parse_pdf(raw: bytes | Path, path: Path, doc_id: str) -> Document:
    """Text of each page; ``metadata["pages"]`` maps page numbers to offsets for citations."""
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(raw) if isinstance(raw, bytes) else raw)
        if reader.is_encrypted:
            raise DocumentError(path, "the PDF is encrypted; upload an unprotected copy")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentError(path, f"the PDF has {len(reader.pages)} pages; the limit is {MAX_PDF_PAGES}")
        parts, pages, offset = [], [], 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").strip()
            pages.append((number, offset))
            parts.append(page_text)
            offset += len(page_text) + 2
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except Exception as exc:
        # pypdf raises many kinds of errors on damaged files (PdfReadError, LimitReachedError on
        # reference loops, IndexError, RecursionError...): each must fail this one file, never
        # the whole knowledge base.
        raise DocumentError(path, f"not a readable PDF ({exc.__class__.__name__}: {exc})") from None
    text = "\n\n".join(parts)
    if not text.strip():
        raise DocumentError(path, "the PDF has no extractable text (a scanned image?)")
    meta = {"path": str(path), "format": "pdf", "pages": pages}
    return Document(doc_id, str(info_title).strip() or title_from_stem(path), text, meta)


def read_pdf(file: SourceFile) -> Read:
    """A PDF, from its bytes."""
    return [parse_pdf(file.raw, file.path, file.doc_id)], []


READER = Reader("pdf", (".pdf",), read_pdf, content="pdf")
