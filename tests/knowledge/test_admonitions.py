"""Admonition boxes in Markdown docs (``!!! note "Title"``) read as their title and text, never as
markup, while a page that shows the syntax in a code block keeps showing it."""

from __future__ import annotations

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.documents import load_file

PAGE = """# Reading files

Pass text to `markdown.markdown`.

!!! note "Important"
    Python-Markdown expects a Unicode string as input and returns output as a Unicode string.

    Decode bytes first.

??? warning
    - never pass bytes
    - never pass a file object

## Writing the syntax

```md
!!! danger "Don't try this at home"
    ...
```
"""


def test_a_box_reads_as_its_title_and_text(tmp_path):
    (tmp_path / "reading.md").write_text(PAGE, encoding="utf-8")
    [doc], errors = load_file(tmp_path / "reading.md", tmp_path)
    assert not errors
    assert "Important: Python-Markdown expects a Unicode string" in doc.text
    assert "Warning:\n- never pass bytes\n- never pass a file object" in doc.text
    assert "!!! note" not in doc.text and "??? warning" not in doc.text
    assert "    Decode bytes first." not in doc.text  # dedented: not an indented code block
    assert '```md\n!!! danger "Don\'t try this at home"\n    ...\n```' in doc.text  # shown syntax kept


def test_an_answer_quotes_the_note_without_its_markup(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "reading.md").write_text(PAGE, encoding="utf-8")
    kb = KnowledgeBase.from_folder(docs, state_dir=tmp_path / "state")
    answer = Assistant(kb).ask("what kind of string does python-markdown expect as input?")
    assert answer.answered
    shown = " ".join(s.text for s in answer.sentences)
    assert "Unicode string" in shown
    assert "!!!" not in shown


def test_a_box_inside_a_box_reads_as_text_too(tmp_path):
    page = '# Notes\n\n!!! note "Outer"\n    Outer text.\n\n    !!! warning\n        Inner text.\n'
    (tmp_path / "notes.md").write_text(page, encoding="utf-8")
    [doc], _ = load_file(tmp_path / "notes.md", tmp_path)
    assert "Outer: Outer text." in doc.text and "Warning: Inner text." in doc.text
    assert "!!!" not in doc.text


def test_content_tabs_read_as_their_label_and_text(tmp_path):
    page = (
        '# Install\n\n=== "pip"\n    Run this:\n\n    ```\n    pip install jinja2\n    ```\n\n'
        '=== "conda"\n    Use conda-forge.\n'
    )
    (tmp_path / "install.md").write_text(page, encoding="utf-8")
    [doc], _ = load_file(tmp_path / "install.md", tmp_path)
    assert "pip: Run this:\n\n```\npip install jinja2\n```" in doc.text  # the block is a code block again
    assert "conda: Use conda-forge." in doc.text and "===" not in doc.text
