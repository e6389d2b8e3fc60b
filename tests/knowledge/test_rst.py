"""reStructuredText / Sphinx documentation: sections, roles, directives, code and citation anchors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from knowledge import Assistant, KnowledgeBase
from knowledge.chunking import chunk_document
from knowledge.documents import load_file, load_folder
from knowledge.retriever import search
from knowledge.uploads import check_upload

FAQ = """\
==========================
Frequently Asked Questions
==========================

.. toctree::
   :maxdepth: 2

   intro

.. |project| replace:: the library

.. _faq-general:

General
-------

How do I set the "Playing" status?
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

The ``activity`` keyword argument may be passed in the :class:`Client` constructor or
:meth:`Client.change_presence`, given a :class:`Game` object. The :meth:`~.Context.send`
method and :ref:`the intro <intro>` explain the rest of |project|.

.. code-block:: python3
   :emphasize-lines: 1

   game = discord.Game("with the API")
   await client.change_presence(status=discord.Status.idle, activity=game)

.. note::

   The status is shown to every member of the server.

.. sphinx-only-directive:: something
   :with-option: 1

   Text inside an unknown directive is kept.

Installing
----------

Install it with pip and an unknown role, :octicon:`download`::

    python -m pip install -U discord.py

.. This comment is not documentation.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def faq(tmp_path: Path):
    [doc], errors = load_file(write(tmp_path / "faq.rst", FAQ), tmp_path)
    assert errors == []
    return doc


def test_every_heading_adornment_becomes_a_section(faq):
    sections = {p.section for p in chunk_document(faq)}
    assert faq.title == "Frequently Asked Questions"
    assert ("General", 'How do I set the "Playing" status?') in sections
    assert ("Installing",) in sections


def test_roles_show_their_text(faq):
    assert "`Client` constructor or `Client.change_presence`" in faq.text
    assert "The `Context.send` method and the intro explain" in faq.text
    assert "unknown role, download" in faq.text
    assert ":class:" not in faq.text and ":meth:" not in faq.text and ":ref:" not in faq.text


def test_directives_keep_their_text_and_leak_nothing_else(faq):
    assert "Note: The status is shown to every member of the server." in faq.text
    assert "Text inside an unknown directive is kept." in faq.text
    for leaked in ("toctree", "maxdepth", "intro\n", "|project|", "comment", "~~~~", "====", "----", "_faq"):
        assert leaked not in faq.text
    assert "explain the rest of the library" in faq.text


def test_literal_blocks_and_code_blocks_are_code(faq):
    assert '```python3\ngame = discord.Game("with the API")\n' in faq.text
    assert "```\npython -m pip install -U discord.py\n```" in faq.text


def test_docutils_never_prints_its_messages(tmp_path, capsys, caplog):
    broken = "Title\n=====\n\n:unknown:`role` and `unclosed *emphasis\n\n.. image::\n\n|undefined| text.\n"
    with caplog.at_level(logging.WARNING):
        [doc], _ = load_file(write(tmp_path / "broken.rst", broken), tmp_path)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert "role and" in doc.text and "text." in doc.text
    assert "|undefined|" not in doc.text and "System Message" not in doc.text


def test_citations_link_to_the_section_anchor_under_the_folder_base_url(tmp_path):
    write(tmp_path / "citebot.yaml", "base_url: https://docs.example.org/en/stable\n")
    write(tmp_path / "guide" / "faq.rst", FAQ)
    kb = KnowledgeBase.from_folder(tmp_path, state_dir=tmp_path / ".state")
    assert kb.errors == []  # the settings file is not read as a document
    answer = Assistant(kb).ask("How do I set the playing status?")
    assert answer.answered
    [(_, hit), *_] = answer.cited()
    assert hit.link == "https://docs.example.org/en/stable/guide/faq.html#how-do-i-set-the-playing-status"
    installing = search(kb, "install pip", k=1)[0]
    assert installing.link == "https://docs.example.org/en/stable/guide/faq.html#installing"


def test_without_a_base_url_there_is_no_link(tmp_path):
    write(tmp_path / "faq.rst", FAQ)
    kb = KnowledgeBase.from_folder(tmp_path, state_dir=tmp_path / ".state")
    assert search(kb, "playing status", k=1)[0].link == ""


def test_a_broken_settings_file_is_reported_and_the_documents_still_load(tmp_path, caplog):
    write(tmp_path / "citebot.yaml", "base_url: [unclosed\n")
    write(tmp_path / "faq.rst", FAQ)
    with caplog.at_level(logging.WARNING):
        docs, errors = load_folder(tmp_path)
    assert [d.id for d in docs] == ["faq"] and errors == []
    assert "citebot.yaml" in caplog.text


def test_answers_from_rst_show_no_markup(tmp_path):
    write(tmp_path / "faq.rst", FAQ)
    kb = KnowledgeBase.from_folder(tmp_path, state_dir=tmp_path / ".state")
    answer = Assistant(kb).ask("How do I change the presence of the client?")
    assert answer.answered
    shown = " ".join(s.marked() for s in answer.sentences)
    for markup in (":class:", ":meth:", "~.", "~~~", "``"):
        assert markup not in shown


def test_rst_is_accepted_as_an_upload():
    name, [doc] = check_upload("FAQ.rst", FAQ.encode())
    assert name == "FAQ.rst"
    assert doc.title == "Frequently Asked Questions" and "`Client.change_presence`" in doc.text


PLAIN = """\
Bot notes
=========

Running
-------

How do I run it?
~~~~~~~~~~~~~~~~

Use the run command -- with the token -- from the bot folder.

```
run
~~~~
# not a heading
```

# Installing

Install it with pip.
"""


def test_plain_text_headings_underlined_or_hashed_become_sections(tmp_path):
    [doc], _ = load_file(write(tmp_path / "notes.txt", PLAIN), tmp_path)
    by_section = {p.section: p.text for p in chunk_document(doc)}
    assert by_section[("Running", "How do I run it?")].startswith("Use the run command -- with the token")
    assert "# not a heading" in by_section[("Running", "How do I run it?")]
    assert by_section[("Installing",)] == "Install it with pip."
    assert not any("~~~~~~" in text or "=====" in text for text in by_section.values())


def test_an_unknown_directive_holding_code_stays_code(tmp_path):
    source = (
        "Prompts\n=======\n\nAsk for a password:\n\n.. click:example::\n\n"
        "    @click.command()\n    @click.option('--password', prompt=True)\n"
        "    def encode(password):\n        click.echo(password)\n\n"
        ".. project:tip::\n\n    Prompts hide the input when asked to.\n"
    )
    [doc], _ = load_file(write(tmp_path / "prompts.rst", source), tmp_path)
    assert (
        "```python\n@click.command()\n@click.option('--password', prompt=True)\n"
        "def encode(password):\n    click.echo(password)\n```" in doc.text
    )
    assert "Prompts hide the input when asked to." in doc.text and "```\nPrompts" not in doc.text


def test_highlight_sets_the_language_of_later_literal_blocks(tmp_path):
    source = "T\n=\n\nBefore::\n\n    x = 1\n\n.. highlight:: html+jinja\n\nAfter::\n\n    {{ x }}\n"
    [doc], _ = load_file(write(tmp_path / "t.rst", source), tmp_path)
    assert "```\nx = 1\n```" in doc.text and "```html+jinja\n{{ x }}\n```" in doc.text


def test_an_escaped_space_in_a_heading_leaves_no_control_character(tmp_path):
    # discord.py's FAQ: "Where can I use ``await``\ ?": the backslash-space joins "?" to the code.
    page = "FAQ\n===\n\nWhere can I use ``await``\\ ?\n----------------------------\n\nIn coroutines.\n"
    (tmp_path / "faq.rst").write_text(page, encoding="utf-8")
    [doc], _ = load_file(tmp_path / "faq.rst", tmp_path)
    [passage] = chunk_document(doc)
    assert passage.section == ("Where can I use `await`?",)
    assert "\x00" not in doc.text


def test_markup_errors_are_kept_as_problems_with_their_line_and_real_sphinx_docs_have_none(tmp_path):
    broken = tmp_path / "pumping.rst"
    broken.write_text("Pumping\n=======\n\n.. note::\n\nThe body lost its indent.\n\n.. warning::\n")
    [doc], errors = load_file(broken)
    assert errors == []  # added, not refused
    problems = doc.meta["problems"]
    assert problems[0].startswith('line 4: Content block expected for the "note" directive')
    assert len(problems) == 2 and "The body lost its indent." in doc.text  # still read
    data = Path(__file__).resolve().parents[1] / "data"
    real = [d for f in sorted(data.glob("*-docs/docs/**/*.rst")) for d in load_file(f)[0]]
    assert len(real) > 10 and not [d.meta["path"] for d in real if d.meta.get("problems")]
