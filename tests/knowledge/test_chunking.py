"""Passages: heading-aware, on sentence boundaries, with ids that survive unrelated edits."""

from __future__ import annotations

import re
from pathlib import Path

from knowledge import Document
from knowledge.chunking import chunk_document, sentence_spans
from knowledge.documents import load_file

_FENCE = re.compile(r"^[ \t]{0,3}(?:`{3,}|~{3,})", re.M)

ARTICLE = """# Milk

Intro sentence about milk.

## Colostrum

Colostrum is the first milk. It is rich in antibodies, e.g. secretory IgA. Dr. Smith et al. studied it.

## Mature milk

### Fat

Fat content changes during a feed.
"""


def test_sentences_respect_abbreviations():
    text = "It is rich in antibodies, e.g. secretory IgA. Dr. Smith et al. studied it. Next one!"
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "It is rich in antibodies, e.g. secretory IgA.",
        "Dr. Smith et al. studied it.",
        "Next one!",
    ]


def test_list_items_are_sentences():
    text = "These cells\n- identify microbes\n- produce cytokines, and\n- repair tissue."
    assert [text[s:e] for s, e in sentence_spans(text)][1:] == [
        "- identify microbes",
        "- produce cytokines, and",
        "- repair tissue.",
    ]


def test_passages_keep_section_paths_and_offsets():
    doc = Document("milk", "Milk", ARTICLE, {"format": "markdown"})
    passages = chunk_document(doc)
    by_section = {p.section: p for p in passages}
    assert set(by_section) == {(), ("Colostrum",), ("Mature milk", "Fat")}
    for p in passages:
        assert ARTICLE[p.start : p.end] == p.text
    assert by_section[("Mature milk", "Fat")].text == "Fat content changes during a feed."


def test_passages_split_on_sentence_boundaries_near_the_target():
    sentence = "The mammary gland makes milk for the infant. "
    doc = Document("long", "Long", "## Part\n\n" + sentence * 60)
    passages = chunk_document(doc, target_chars=300)
    assert len(passages) > 5
    for p in passages:
        assert p.text.endswith(".")
        assert len(p.text) <= 300 + len(sentence)


def test_ids_are_stable_when_other_text_changes():
    doc = Document("milk", "Milk", ARTICLE)
    edited = Document("milk", "Milk", ARTICLE.replace("Fat content changes", "Fat content varies"))
    before = {p.section: p.id for p in chunk_document(doc)}
    after = {p.section: p.id for p in chunk_document(edited)}
    assert before[("Colostrum",)] == after[("Colostrum",)]
    assert before[()] == after[()]
    assert before[("Mature milk", "Fat")] != after[("Mature milk", "Fat")]
    assert before[("Colostrum",)].startswith("milk#colostrum-")


def test_identical_passages_get_distinct_ids():
    doc = Document("dup", "Dup", "## A\n\nSame words.\n\n## A\n\nSame words.\n")
    ids = [p.id for p in chunk_document(doc)]
    assert len(ids) == len(set(ids)) == 2


def test_pdf_passages_know_their_page():
    text = "First page text.\n\nSecond page text."
    doc = Document("leaflet", "Leaflet", text, {"format": "pdf", "pages": [(1, 0), (2, 18)]})
    pages = [p.page for p in chunk_document(doc, target_chars=20)]
    assert pages == [1, 2]


def test_empty_document_has_no_passages():
    assert chunk_document(Document("empty", "Empty", "   \n\n")) == []


def test_a_long_code_line_cut_just_after_a_space_gives_trimmed_passages():
    text = "```" + "0" * 76 + " " + "0" * 13  # one line of code, no line end to cut at
    passages = chunk_document(Document("d", "Title", text), 20)  # code is cut past 4 × 20
    assert [p.text for p in passages] == ["```" + "0" * 76, "0" * 13]
    assert all(p.text == text[p.start : p.end] for p in passages)


def test_a_sentence_introducing_a_code_block_stays_in_the_block_s_passage():
    prose = "The tool converts documents from one format to another and keeps their structure. " * 9
    code = "```bash\npip install the-tool\nthe-tool convert notes.md --to html\n```"
    after = "The output goes next to the input file unless an output folder is given. " * 5
    text = f"# Setup\n\n{prose}\n\nInstall it and run it with:\n\n{code}\n\n{after}\n"
    passages = chunk_document(Document("d", "Title", text), 800)
    (holding,) = [p for p in passages if "pip install" in p.text]
    assert holding.text.startswith("Install it and run it with:")
    assert all(p.text == text[p.start : p.end] for p in passages)


def test_a_long_code_example_is_one_passage_with_both_its_fences(tmp_path):
    # Examples of 1,600 to 3,200 characters were cut in two: one piece shown without its closing
    # fence, the other without its opening one (its code read as prose), or a closing fence alone
    # opening a block of the prose after it.
    for page in ("pydantic-settings-docs/docs/index.md", "attrs-docs/docs/api.rst"):
        path = Path(__file__).resolve().parents[1] / "data" / page
        [doc], _ = load_file(path, path.parent)
        passages = chunk_document(doc)
        assert all(p.text == doc.text[p.start : p.end] for p in passages)
        assert not [p.id for p in passages if len(_FENCE.findall(p.text)) % 2]
    [example] = [p for p in chunk_document(doc) if "must be <class 'str'>" in p.text]
    assert example.text.startswith("```pycon\n>>> @define") and example.text.count("```") == 2


def test_a_code_block_s_closing_fence_is_never_cut_off_alone():
    # 76 lines of 41 characters: the last line end before the fence falls just inside the limit, a
    # cut there would leave the fence alone, opening a block of the prose after it.
    code = "```py\n" + "".join(f"settings_{n:02} = Settings(prefix='TARGET__')\n" for n in range(76)) + "```"
    prose = "The prefix is ignored for aliases, which name their variable in full. " * 12
    text = f"# Prefixes\n\n{code}\n\n{prose}\n"
    passages = chunk_document(Document("d", "Title", text), 800)
    assert all(p.text == text[p.start : p.end] for p in passages)
    assert not [p.text for p in passages if p.text.startswith("```\n") or len(_FENCE.findall(p.text)) % 2]


def test_a_short_last_sentence_after_a_long_example_is_not_buried_in_it():
    # attrs' "Validators can be both globally and locally disabled:" after a 1,750-character
    # doctest: glued to it, the sentence was a small part of a passage of code, and not found.
    code = "```pycon\n" + "".join(f">>> C(x={n})\nC(x={n})\n" for n in range(90)) + "```"
    text = f"# Validators\n\n{code}\n\nValidators can be both globally and locally disabled:\n"
    passages = chunk_document(Document("d", "Title", text), 800)
    [holding] = [p for p in passages if "globally" in p.text]
    assert "```" not in holding.text
