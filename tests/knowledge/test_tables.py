"""Tables (reST grid, simple and list tables; Markdown pipe tables) read as rows a member can read,
each cell named by its column, so a row quoted alone still says what its cells are."""

from __future__ import annotations

from knowledge import Assistant, KnowledgeBase
from knowledge.documents import load_file

RST = """\
Command line
============

Options
-------

The tool takes these options:

+-------------+------------------------------------------+
| Option      | Meaning                                  |
+=============+==========================================+
| ``--count`` | How many times the greeting is repeated. |
+-------------+------------------------------------------+
| ``--shout`` | Print the greeting in capital letters.   |
+-------------+------------------------------------------+

Exit codes
----------

=====  ===========================
Code   When
=====  ===========================
0      The greeting was printed.
2      An option was not understood.
=====  ===========================

Colours
-------

.. list-table::
   :header-rows: 1

   * - Colour
     - Used for
   * - green
     - Greetings that were printed in full.
   * - red
     - Greetings cut short by an error.
"""

MARKDOWN = """\
# Command line

## Options

| Option | Meaning |
|---|---|
| `--count` | How many times the greeting is repeated. |
| `--shout` | Print the greeting in capital letters. |

A table written as an example stays as written:

```md
| a | b |
|---|---|
```
"""


def _load(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    [doc], errors = load_file(tmp_path / name, tmp_path)
    assert errors == []
    return doc


def test_rst_grid_simple_and_list_tables_read_as_named_rows(tmp_path):
    text = _load(tmp_path, "cli.rst", RST).text
    assert "- Option: `--count`; Meaning: How many times the greeting is repeated." in text
    assert "- Code: 2; When: An option was not understood." in text
    assert "- Colour: red; Used for: Greetings cut short by an error." in text
    assert "+---" not in text and "====" not in text and " | " not in text


def test_markdown_pipe_tables_read_as_named_rows_and_examples_stay_code(tmp_path):
    text = _load(tmp_path, "cli.md", MARKDOWN).text
    assert "- Option: `--count`; Meaning: How many times the greeting is repeated." in text
    assert "| Option | Meaning |" not in text and "|---|---|" not in text.split("```md")[0]
    assert "```md\n| a | b |\n|---|---|\n```" in text


def test_a_quoted_row_carries_its_column_names(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cli.rst").write_text(RST, encoding="utf-8")
    (docs / "guide.md").write_text(MARKDOWN.replace("--count", "--times"), encoding="utf-8")
    kb = KnowledgeBase.from_folder(docs, state_dir=tmp_path / "state")
    assistant = Assistant(kb)
    answer = assistant.ask("which option repeats the greeting several times?")
    assert answer.answered
    shown = " ".join(s.text for s in answer.sentences)
    assert "Option: `--" in shown and "Meaning: How many times the greeting is repeated." in shown
    assert "|" not in shown and "+--" not in shown
    answer = assistant.ask("which exit code means an option was not understood?")
    assert answer.answered
    assert "Code: 2; When: An option was not understood." in " ".join(s.text for s in answer.sentences)
    assert answer.cited()[0][1].section.endswith("Exit codes")
