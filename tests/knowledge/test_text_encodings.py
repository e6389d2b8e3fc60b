"""A document saved in a legacy encoding (Windows-1252) is read with the detected encoding and a
warning; binary data and too little text to tell are still refused."""

from __future__ import annotations

import logging

import pytest

from knowledge import Assistant, Document, KnowledgeBase
from knowledge.documents import DocumentError, load_file, load_folder
from knowledge.retriever import search

TEXT = (
    "# Café rules\n\nThe bot’s “quiet hours” run from 22:00 to 07:00 – moderators can change them.\n"
    "Members who want a résumé of the rules can ask the bot at any time.\n"
)


def test_a_windows_1252_file_is_read_with_a_warning_naming_it(tmp_path, caplog):
    path = tmp_path / "rules.md"
    path.write_bytes(TEXT.encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        docs, errors = load_folder(tmp_path)
    assert errors == []
    [doc] = docs
    assert doc.title == "Café rules"
    assert "The bot’s “quiet hours” run from 22:00 to 07:00 – moderators" in doc.text
    assert "rules.md:1: not UTF-8; read as cp1252" in caplog.text


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\x00\x01 not utf-8 \x80\x81" * 8,  # binary
        "caf\xe9".encode("latin-1"),  # too short to tell
    ],
)
def test_binary_data_or_too_little_text_is_still_refused(tmp_path, raw):
    path = tmp_path / "notes.txt"
    path.write_bytes(raw)
    with pytest.raises(DocumentError, match="not UTF-8"):
        load_file(path, tmp_path)


CAFE = (
    "# Café notes\n\nThe café serves déjà vu coffee. Naïve customers order crème brûlée at the café "
    "every morning.\n"
)


def test_a_western_file_with_few_accents_is_read_as_windows_1252_not_a_baltic_code_page(tmp_path, caplog):
    # A detector alone reads these bytes as cp1257 ("Cafķ", "Déją vu"): the evidence is a few letters.
    (tmp_path / "cafe.md").write_bytes(CAFE.encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        [doc], errors = load_folder(tmp_path)
    assert errors == [] and doc.title == "Café notes"
    assert "déjà vu coffee. Naïve customers order crème brûlée" in doc.text
    assert doc.meta["encoding"] == "cp1252"
    assert "cafe.md:1: not UTF-8; read as cp1252, Windows-1252 (Western European)" in caplog.text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Привет! Это документ о грудном вскармливании и иммунитете матери и ребёнка.\n" * 2, "cp1251"),
        ("Γειά σου! Αυτό είναι ένα έγγραφο για τον θηλασμό και την ανοσία του βρέφους.\n" * 2, "cp1253"),
        ("Zażółć gęślą jaźń. Dzień dobry, proszę pana. Żółw i źrebię piją mleko.\n" * 2, "cp1250"),
    ],
)
def test_text_that_is_plainly_not_western_is_read_in_its_own_code_page(tmp_path, text, encoding):
    (tmp_path / "notes.txt").write_bytes(text.encode(encoding))
    [doc], _ = load_folder(tmp_path)
    assert doc.text.strip() == text.strip() and doc.meta["encoding"] == encoding


def test_a_utf_8_file_notes_no_encoding(tmp_path):
    (tmp_path / "cafe.md").write_text(CAFE, encoding="utf-8")
    [doc], _ = load_folder(tmp_path)
    assert "encoding" not in doc.meta


def test_cafe_finds_cafe_with_its_accent_and_the_text_shown_keeps_it():
    kb = KnowledgeBase.from_documents([Document("cafe", "Café notes", CAFE), Document("tea", "Tea", TEA)])
    for query in ("cafe deja vu", "CAFÉ déjà vu", "naive creme brulee"):
        [best, *_] = search(kb, query, k=2)
        assert best.doc_id == "cafe", query
        assert "déjà vu coffee" in best.text
    answer = Assistant(kb).ask("what does the cafe serve?")
    assert answer.answered and "The café serves déjà vu coffee." in answer.sentences[0].text
    assert "**café**" in answer.sentences[0].marked()


TEA = "# Tea\n\nGreen tea is served in the afternoon with biscuits and honey.\n"
