"""Loading every supported format, and reporting broken files without losing the good ones."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from knowledge.documents import DocumentError, load_file, load_folder


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def make_pdf(pages: list[str]) -> bytes:
    """A real PDF with one line of text per page (built by hand: pypdf reads but does not typeset)."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        None,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content_ref = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_ref} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_markdown_front_matter_becomes_metadata(tmp_path):
    path = write(
        tmp_path / "guides" / "Milk Basics.md",
        "---\ntitle: Milk basics\nauthors: [A. Author, B. Author]\nyear: 2024\n"
        "doi: 10.1/xyz\ntags: [milk]\n---\n# Milk basics\n\n## Colostrum\n\nColostrum is the first milk.\n",
    )
    [doc], errors = load_file(path, tmp_path)
    assert errors == []
    assert doc.id == "guides/milk-basics"
    assert doc.title == "Milk basics"
    assert doc.meta["authors"] == ["A. Author", "B. Author"]
    assert doc.link == "https://doi.org/10.1/xyz"
    assert "Colostrum is the first milk." in doc.text
    assert "title:" not in doc.text


def test_markdown_title_falls_back_to_heading_then_file_name(tmp_path):
    [doc], _ = load_file(write(tmp_path / "a.md", "# Weaning\n\nText.\n"), tmp_path)
    assert doc.title == "Weaning"
    [doc], _ = load_file(write(tmp_path / "night_feeds.txt", "Plain text.\n"), tmp_path)
    assert doc.title == "Night feeds"


def test_broken_front_matter_names_file_and_line(tmp_path):
    path = write(tmp_path / "bad.md", "---\ntitle: ok\nauthors: [unclosed\nyear: 2020\n---\nBody.\n")
    with pytest.raises(DocumentError) as info:
        load_file(path, tmp_path)
    assert info.value.error.path == str(path)
    assert info.value.error.line in {3, 4, 5}
    assert "bad.md" in str(info.value) and "YAML" in str(info.value)


def test_front_matter_with_wrong_type_is_an_error(tmp_path):
    path = write(tmp_path / "bad.md", "---\ntitle: [not, a, string]\n---\nBody.\n")
    with pytest.raises(DocumentError, match="title"):
        load_file(path, tmp_path)


def test_html_uses_a_parser_and_keeps_headings(tmp_path):
    html = (
        "<html><head><title>Feeding guide</title><style>p {color: red}</style></head><body>"
        "<nav>Home | About</nav><h1>Feeding guide</h1><h2>Latch</h2><p>A good latch &amp; position "
        "matter.</p><script>alert('x')</script><ul><li>Chin first</li><li>Wide mouth</li></ul></body></html>"
    )
    [doc], _ = load_file(write(tmp_path / "guide.html", html), tmp_path)
    assert doc.title == "Feeding guide"
    assert "## Latch" in doc.text
    assert "A good latch & position matter." in doc.text
    assert "- Chin first" in doc.text
    assert "alert" not in doc.text and "color" not in doc.text and "Home | About" not in doc.text


def test_pdf_text_per_page_with_page_numbers(tmp_path):
    path = write(tmp_path / "leaflet.pdf", make_pdf(["Colostrum comes first.", "Mature milk follows later."]))
    [doc], _ = load_file(path, tmp_path)
    assert "Colostrum comes first." in doc.text and "Mature milk follows later." in doc.text
    pages = doc.meta["pages"]
    assert [number for number, _ in pages] == [1, 2]
    assert doc.text[pages[1][1] :].startswith("Mature milk")


def test_unreadable_pdf_is_a_clear_error(tmp_path):
    path = write(tmp_path / "broken.pdf", b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(DocumentError, match=r"broken\.pdf"):
        load_file(path, tmp_path)


def test_jsonl_beir_lines_become_documents_and_bad_lines_are_reported(tmp_path):
    lines = [
        json.dumps({"_id": "d1", "title": "First", "text": "One."}),
        "{not json",
        json.dumps({"_id": "d2", "title": "", "text": "Two."}),
        json.dumps({"title": "no id"}),
    ]
    docs, errors = load_file(write(tmp_path / "corpus.jsonl", "\n".join(lines)), tmp_path)
    assert [(d.id, d.title, d.text) for d in docs] == [("d1", "First", "One."), ("d2", "", "Two.")]
    assert [e.line for e in errors] == [2, 4]


def test_folder_loads_recursively_skips_unknown_and_keeps_going_past_errors(tmp_path, caplog):
    write(tmp_path / "a.md", "# A\n\nAlpha text.\n")
    write(tmp_path / "sub" / "b.txt", "Beta text.\n")
    write(tmp_path / "sub" / "image.png", b"\x89PNG\r\n")
    write(tmp_path / "broken.md", "---\ntitle: [\n---\n")
    write(tmp_path / ".hidden" / "c.md", "Hidden.\n")
    with caplog.at_level(logging.WARNING):
        docs, errors = load_folder(tmp_path)
    assert sorted(d.id for d in docs) == ["a", "sub/b"]
    assert len(errors) == 1 and errors[0].path.endswith("broken.md")
    assert any("image.png" in r.getMessage() for r in caplog.records)


def test_missing_folder_is_reported_not_raised(tmp_path):
    docs, errors = load_folder(tmp_path / "nope")
    assert docs == [] and "not found" in errors[0].message


def test_non_utf8_text_is_an_error(tmp_path):
    with pytest.raises(DocumentError, match="UTF-8"):
        load_file(write(tmp_path / "latin.txt", "caf\xe9".encode("latin-1")), tmp_path)
