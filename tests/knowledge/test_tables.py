"""Tables (reST grid, simple and list tables; Markdown pipe tables) read as rows a member can read,
each cell named by its column, so a row quoted alone still says what its cells are."""

from __future__ import annotations

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
