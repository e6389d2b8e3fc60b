"""Loading every supported format, and reporting broken files without losing the good ones."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from knowledge import Assistant, KnowledgeBase
from knowledge.documents import DocumentError, load_file, load_folder
from knowledge.evaluation import under
from knowledge.golden.expectations import Expectation


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


def test_a_comment_in_a_code_block_never_titles_a_page(tmp_path):
    # An MkDocs page opens with "## Installation"; the first "# " line is a Python comment in an
    # example, which would title every citation of the page.
    text = "## Installation\n\n```py\n# `extra` is not applied here:\nsettings = Settings()\n```\n"
    [doc], _ = load_file(write(tmp_path / "index.md", text), tmp_path)
    assert doc.title == "Index"
    text = "~~~python\n# a comment\n~~~\n\n# Settings\n\nText.\n"
    [doc], _ = load_file(write(tmp_path / "settings.md", text), tmp_path)
    assert doc.title == "Settings"


def test_a_heading_s_emphasis_is_not_part_of_the_title_or_section_cited(tmp_path):
    # attrs' pages were cited as "*attrs* by Example › What *attrs* Is Not": asterisks shown as such.
    text = "# *attrs* by Example\n\n## What *attrs* Is Not\n\nIt is not a validation library.\n\n"
    text += "## `*args*` and **kwargs**\n\nBoth are passed on.\n"
    [doc], _ = load_file(write(tmp_path / "examples.md", text), tmp_path)
    assert doc.title == "attrs by Example"
    kb = KnowledgeBase.from_documents([doc])
    assert [p.section for p in kb.passages] == [("What attrs Is Not",), ("`*args*` and kwargs",)]
    # Question sets and golden questions name a section as the page writes it, or as it is cited.
    assert under("attrs by Example › What attrs Is Not", ["What *attrs* Is Not"])
    answer = Assistant(kb).ask("is attrs a validation library")
    assert answer.answered and Expectation.section(["What *attrs* Is Not"]).met_by(answer)


def test_broken_front_matter_names_file_and_line_and_the_body_still_loads(tmp_path):
    path = write(tmp_path / "bad.md", "---\ntitle: ok\nauthors: [unclosed\nyear: 2020\n---\nBody.\n")
    [doc], [error] = load_file(path, tmp_path)
    assert error.path == str(path)
    assert error.line in {3, 4, 5}
    assert "bad.md" in str(error) and "YAML" in str(error) and "without its metadata" in str(error)
    assert (doc.title, doc.text.strip(), doc.meta.get("year")) == ("Bad", "Body.", None)


def test_front_matter_with_wrong_type_is_reported_and_the_body_keeps_its_heading(tmp_path):
    text = "---\nyear: 2020\ntitle: [not, a, string]\n---\n# Real title\n\nBody.\n"
    path = write(tmp_path / "bad.md", text)
    [doc], [error] = load_file(path, tmp_path)
    assert "title" in error.message and error.line == 3
    assert doc.title == "Real title" and "Body." in doc.text


def test_front_matter_alone_that_is_broken_is_an_error(tmp_path):
    with pytest.raises(DocumentError, match="invalid YAML front matter"):
        load_file(write(tmp_path / "bad.md", "---\ntitle: [\n---\n"), tmp_path)


def test_empty_and_binary_files_are_refused_by_name(tmp_path):
    empty = {"empty.md": b"", "blank.txt": b"  \n\n", "front-only.md": b"---\ntitle: x\n---\n"}
    for name, data in empty.items():
        with pytest.raises(DocumentError, match=f"{name}: empty: no text to index"):
            load_file(write(tmp_path / name, data), tmp_path)
    with pytest.raises(DocumentError, match=r"data.txt:2: binary data, not text"):
        load_file(write(tmp_path / "data.txt", b"header\n\x00\x01\x02"), tmp_path)


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


def test_a_crawled_html_page_cites_its_address_and_each_sections_anchor(tmp_path):
    # Heading ids as Sphinx, MkDocs and hand-written pages give them: on the heading, a headerlink
    # inside it, or the section it opens; a heading without one cites the page alone.
    page = (
        "<html><head><title>Storage</title></head><body>"
        '<h1 id="storage">Storage</h1><p>Keep milk cold.</p>'
        '<section id="fridge"><h2>Fridge <a class="headerlink" href="#fridge-link">¶</a></h2>'
        "<p>Four days in the fridge.</p></section>"
        '<section id="freezer"><h2>Freezer</h2><p>Six months in the freezer.</p></section>'
        "<h2>Travel</h2><p>Use a cool bag when travelling.</p></body></html>"
    )
    write(tmp_path / "site" / "storage.html", page)
    write(
        tmp_path / "site" / "citebot.yaml",
        "crawl:\n  site: https://docs.example.org/\n  pages:\n"
        "  - url: https://docs.example.org/storage\n    file: storage.html\n",
    )
    write(tmp_path / "site" / "other.html", "<h1 id='x'>Other</h1><p>Not crawled.</p>")
    docs = {doc.title: doc for doc in load_folder(tmp_path)[0]}
    storage = docs["Storage"]
    links = {line: storage.link_at(storage.text.index(line)) for line in ("Keep", "Four", "Six", "Use")}
    assert links == {
        "Keep": "https://docs.example.org/storage#storage",
        "Four": "https://docs.example.org/storage#fridge-link",
        "Six": "https://docs.example.org/storage#freezer",
        "Use": "https://docs.example.org/storage",
    }
    assert docs["Other"].link == ""  # a file the crawl does not list has no address
