"""Uploaded documents: names, type checks by content, and the folders a knowledge base loads."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter

from knowledge.kb import CORPUS_DIR
from knowledge.retriever import search
from knowledge.uploads import KnowledgeSources, UploadError, check_upload, safe_filename

DOC = b"# Milk storage\n\n## Fridge\n\nExpressed milk keeps four days in a refrigerator.\n"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\windows\\evil.TXT", "evil.txt"),
        ("My Notes (v2).MD", "My-Notes-v2.md"),
        (".hidden.md", "hidden.md"),
        ("...md", "document.md"),
        ("/abs/path/Guide.html", "Guide.html"),
        ("ｆｕｌｌ.md", "full.md"),
    ],
)
def test_names_are_plain_file_names(name, safe):
    assert safe_filename(name) == safe


@pytest.mark.parametrize("name", ["photo.png", "archive.tar.gz", "README", "notes.md.exe", ""])
def test_unsupported_types_are_refused(name):
    with pytest.raises(UploadError, match="not a supported file type"):
        safe_filename(name)


def test_text_upload_is_parsed_before_it_is_accepted():
    name, docs = check_upload("Milk storage.md", DOC)
    assert name == "Milk-storage.md"
    assert [d.title for d in docs] == ["Milk storage"]


def test_a_real_pdf_is_accepted_and_a_fake_one_is_not():
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(UploadError, match="no extractable text"):
        check_upload("blank.pdf", buffer.getvalue())  # a real PDF, but nothing to index
    with pytest.raises(UploadError, match=r"is named \.pdf but is not a PDF"):
        check_upload("paper.pdf", b"plain words")
    with pytest.raises(UploadError, match="holds application/pdf data"):
        check_upload("paper.md", buffer.getvalue())


def test_size_limit():
    with pytest.raises(UploadError, match="is 12 KB; the limit is 10 KB"):
        check_upload("big.txt", b"x" * 12_345, max_bytes=10 * 1024)


def test_uploads_go_to_the_servers_own_folder_and_search_with_the_built_in_corpus(tmp_path):
    own = tmp_path / "state" / "servers" / "1" / "knowledge"
    sources = KnowledgeSources.resolve(None, tmp_path / "state", uploads=own)
    assert sources.base == CORPUS_DIR.resolve()
    builtin = sources.loader.load()

    path, docs, replaced = sources.folder.add("Milk storage.md", DOC)
    assert [d.title for d in docs] == ["Milk storage"]
    assert path == own / "Milk-storage.md" and not replaced
    kb = sources.loader.load(builtin)
    assert set(kb.documents) == {*builtin.documents, "uploads/milk-storage"}
    assert search(kb, "refrigerator four days")[0].doc_id == "uploads/milk-storage"
    assert [d.id for d in sources.folder.removable(kb)] == ["uploads/milk-storage"]

    replaced = sources.folder.add("Milk storage.md", DOC + b"\nMore.\n")[2]
    assert replaced is True  # replaced; the old one is kept
    removed, held = sources.folder.remove(kb, "uploads/milk-storage")
    assert removed.name == "Milk-storage.md" and held == 1
    assert not path.exists() and len(list((own.parent / "removed").iterdir())) == 2
    assert sources.loader.load(builtin) is builtin  # no uploads left: the shared knowledge base itself
    with pytest.raises(UploadError, match="not an uploaded document"):
        sources.folder.remove(kb, next(iter(builtin.documents)))


def test_a_writable_knowledge_folder_is_never_written(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "intro.md").write_text("# Intro\n\nColostrum is the first milk.\n")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    own = tmp_path / "state" / "servers" / "1" / "knowledge"
    sources = KnowledgeSources.resolve(folder, tmp_path / "state", uploads=own)
    sources.folder.add("intro.md", b"# Not the operator's intro\n\nSomething else entirely.\n")
    sources.folder.add("storage.md", DOC)
    kb = sources.loader.load()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert set(kb.documents) == {"intro", "uploads/intro", "uploads/storage"}
    assert {d.id for d in sources.folder.removable(kb)} == {"uploads/intro", "uploads/storage"}
    with pytest.raises(UploadError, match="not an uploaded document"):
        sources.folder.remove(kb, "intro")
    assert (folder / "intro.md").exists()


def test_without_a_server_nothing_can_be_uploaded(tmp_path):
    sources = KnowledgeSources.resolve(None, tmp_path / "state")
    with pytest.raises(UploadError, match="only be added in a server"):
        sources.folder.add("storage.md", DOC)
    assert not (tmp_path / "state").exists()
