"""MyST Markdown (Sphinx docs written in Markdown, as projects ship them) read as Sphinx renders it:
roles as their text, directive fences as their title and body or as code, eval-rst as reST,
targets, comments and tables of contents never shown, substitutions expanded. Plain Markdown keeps
its own reading. No docs set shows a control character or raw markup in any passage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge import Assistant, KnowledgeBase
from knowledge.chunking import chunk_document
from knowledge.code import code_spans
from knowledge.documents import load_file, load_folder
from knowledge.myst import myst_to_markdown

DATA = Path(__file__).resolve().parents[1] / "data"
MYST_DOCS = DATA / "myst-docs" / "docs"

# Markup that must never reach a member outside code: MyST directive fences and roles, colon
# fences, targets and comments, unexpanded substitutions, reST directives and roles.
RAW_MARKUP = re.compile(
    r"\{(?:note|warning|tip|admonition|code-block|eval-rst|toctree)\}|:::|```\{|~~~\{|\{[\w:+.-]+\}`"
    r"|^\s*\(\S+\)=\s*$|^\s*\.\.\s+[\w:.+-]+::|:[\w:.+-]+:`|^:[\w-]+: |\{\{\s*\w+\s*\}\}",
    re.M,
)
# Control characters (NUL, escape...) have no place in text a member reads; newline and tab do.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def outside_code(text: str) -> str:
    """``text`` without its code: fenced blocks, code spans and indented code (a page showing the
    syntax it documents, as Python-Markdown's do with ":::python")."""
    pieces, pos = [], 0
    for start, end in code_spans(text):
        pieces.append(text[pos:start])
        pos = end
    prose = "\n".join([*pieces, text[pos:]])
    return "\n".join(line for line in prose.split("\n") if not line.startswith(("    ", "\t")))


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    kb = KnowledgeBase.from_folder(MYST_DOCS, state_dir=tmp_path_factory.mktemp("state"))
    assert kb.errors == []
    return Assistant(kb)


def ask(assistant: Assistant, question: str) -> tuple[str, list[str]]:
    """What the answer shows, and the sections it cites ("Document › Section")."""
    answer = assistant.ask(question)
    assert answer.answered, question
    shown = "\n".join(s.text for s in answer.sentences)
    assert RAW_MARKUP.search(outside_code(shown)) is None, shown
    return shown, [" › ".join(filter(None, (hit.title, hit.section))) for _, hit in answer.cited()]


@pytest.mark.parametrize(
    ("question", "quoted", "section"),
    [
        # a {note} fence with an option line: the label and the body, never ":class:"
        ("does greetkit have dependencies?", "Note: Greetkit has no dependencies of its own", "Installation"),
        # {{ substitutions }} from the front matter
        ("which python version does greetkit need?", "Greetkit 2.4 needs Python 3.10 or newer.",
         "Installation"),
        # a colon fence
        ("how do I install greetkit without network access?", "Tip: Download the wheel", "Offline installs"),
        # an {admonition} with a title, holding a role
        ("how do I choose a formal style?", "Choosing a style: A formal style suits letters",
         "Greeting styles"),
        # a list-table's row with its column names
        ("what does the pirate style say?", "Style: pirate; Greeting: Ahoy, Ada", "Style table"),
        # a pipe table's row
        ("what does --shout do?", "Option: `--shout`; Meaning: Print the greeting in capital", "Options"),
        # reST inside {eval-rst}, read by the reST reader
        ("what happens with a negative number of times?",
         "Note: A negative number of times raises `ValueError`", "Repeating greetings"),
        # a version note, and an {option} role as code
        ("what happened to greet --loud?", "Use `--shout` instead; `--loud` will be removed",
         "Where did `greet --loud` go?"),
        # a role in prose: its target as code
        ("how do I call greetkit.greet?", "Call `greetkit.greet` with a name", "Using greetkit"),
    ],
)  # fmt: skip
def test_myst_docs_are_answered_without_markup_from_the_right_section(assistant, question, quoted, section):
    shown, cited = ask(assistant, question)
    assert quoted in shown
    assert cited[0].endswith(section)


def test_a_code_block_directive_is_quoted_as_code_without_its_options(assistant):
    shown, cited = ask(assistant, "how do I install greetkit?")
    assert "```bash\npython -m pip install greetkit\n```" in shown
    assert "caption" not in shown
    assert cited[0] == "Installation"


def test_targets_comments_toctrees_and_includes_never_show():
    docs, errors = load_folder(MYST_DOCS)
    assert errors == []
    text = {doc.id: doc.text for doc in docs}
    assert "(index)=" not in text["index"] and "changelog" not in text["index"]
    assert "guide/usage" not in text["index"] and "maxdepth" not in text["index"]
    assert "requirements.txt" not in text["install"] and "CHANGELOG" not in text["install"]
    intro = "greetkit prints friendly greetings from Python and from the command line."
    assert text["index"].strip() == f"# Greetkit\n\n{intro}"


@pytest.mark.parametrize("myst", [True, False], ids=["myst", "plain"])
def test_an_html_comment_is_neither_text_nor_a_heading(tmp_path, myst):
    # A generator's block (cog, as attrs' index.md has) holds a "# ..." line that is Python, not a heading.
    page = (
        "# Greetkit\n\n"
        + ("Greets {py:func}`hello`.\n\n" if myst else "Greets you.\n\n")
        + "<!-- [[[cog\n# Called from the release job!\nimport sponsors\n]]] -->\n"
        "<!-- [[[end]]] -->\n\n## Usage\n\nCall it.\n\n```html\n<!-- a comment in an example -->\n```\n"
    )
    (tmp_path / "index.md").write_text(page, encoding="utf-8")
    [doc], _ = load_file(tmp_path / "index.md", tmp_path)
    assert "release job" not in doc.text and "sponsors" not in doc.text
    assert "<!-- a comment in an example -->" in doc.text  # code shows what was written
    assert [p.section for p in chunk_document(doc)] == [(), ("Usage",)]


def test_include_directives_never_read_another_file(tmp_path):
    (tmp_path / "secret.txt").write_text("the launch code is 0000", encoding="utf-8")
    page = "# Notes\n\n```{include} secret.txt\n```\n\n```{literalinclude} secret.txt\n:language: text\n```\n"
    (tmp_path / "notes.md").write_text(page, encoding="utf-8")
    [doc], _ = load_file(tmp_path / "notes.md", tmp_path)
    assert "launch code" not in doc.text and "secret.txt" not in doc.text


def test_a_page_is_myst_by_its_syntax_alone(tmp_path):
    page = (
        "# The {class}`~app.Client` class\n\n"
        "Use {meth}`Client.send <app.Client.send>` and see {ref}`the guide <guide>`.\n"
    )
    (tmp_path / "client.md").write_text(page, encoding="utf-8")
    [doc], _ = load_file(tmp_path / "client.md", tmp_path)
    assert doc.title == "The `app.Client` class"
    assert "Use Client.send and see the guide." in doc.text
    [passage] = chunk_document(doc)
    assert "{" not in passage.text


def test_myst_front_matter_marks_a_page_and_its_substitutions_expand(tmp_path):
    page = "---\nmyst:\n  substitutions:\n    tool: greet\n---\n# Use\n\nRun {{ tool }}, not `{{ tool }}`.\n"
    (tmp_path / "use.md").write_text(page, encoding="utf-8")
    [doc], errors = load_file(tmp_path / "use.md", tmp_path)
    assert errors == []
    assert "Run greet, not `{{ tool }}`." in doc.text  # code shows what was written


def test_plain_markdown_is_read_as_before(tmp_path):
    page = (
        "# Syntax\n\nWrite a role like this:\n\n```md\n{func}`json.dumps`\n```\n\n"
        '!!! note "Heads up"\n    MkDocs boxes still unfold.\n'
    )
    (tmp_path / "syntax.md").write_text(page, encoding="utf-8")
    [doc], _ = load_file(tmp_path / "syntax.md", tmp_path)
    assert "```md\n{func}`json.dumps`\n```" in doc.text
    assert "Heads up: MkDocs boxes still unfold." in doc.text


def test_directive_fences_nested_without_end_still_load(tmp_path):
    depth = 60
    page = (
        "# Deep\n\nText above.\n\n"
        + "".join("`" * (depth + 3 - i) + "{note}\n" for i in range(depth))
        + "inside\n"
        + "".join("`" * (4 + i) + "\n" for i in range(depth))
    )
    (tmp_path / "deep.md").write_text(page, encoding="utf-8")
    [doc], _ = load_file(tmp_path / "deep.md", tmp_path)
    assert "Text above." in doc.text and "{note}" not in doc.text


@pytest.mark.parametrize(
    "folder",
    [p.name for p in sorted(DATA.glob("*-docs"))],
)
def test_no_docs_set_shows_a_control_character_or_raw_markup(folder):
    docs, errors = load_folder(DATA / folder)
    assert errors == [] and docs
    passages = [p for doc in docs for p in chunk_document(doc)]
    assert [p.section for p in passages if CONTROL.search(" ".join(p.section))] == []
    assert [p.id for p in passages if CONTROL.search(p.text.replace("\n", " ").replace("\t", " "))] == []
    assert [p.section for p in passages if RAW_MARKUP.search(" ".join(p.section))] == []
    # passages are cut from their document's text: judged there, where code is seen whole
    assert [(d.id, m.group()) for d in docs for m in RAW_MARKUP.finditer(outside_code(d.text))] == []


def test_figures_glossaries_and_rubrics_read_as_sphinx_shows_them(tmp_path):
    page = (
        "# Terms\n\n```{glossary}\ngreeting\n   Words said on meeting someone.\n```\n\n"
        "```{figure} img/wave.png\n:alt: a hand\n\nA wave of the hand.\n```\n\n"
        "```{rubric} Why greet at all?\n```\n\nCourtesy costs nothing. Write {{ name }} in a template.\n"
    )
    (tmp_path / "terms.md").write_text(page, encoding="utf-8")
    [doc], _ = load_file(tmp_path / "terms.md", tmp_path)
    assert "greeting\n\nWords said on meeting someone." in doc.text
    assert "A wave of the hand." in doc.text and "wave.png" not in doc.text and "a hand" not in doc.text
    # an undefined substitution is the author's text: kept as written
    assert "**Why greet at all?**\n\nCourtesy costs nothing. Write {{ name }} in a template." in doc.text
    assert chunk_document(doc)[-1].section == ("Why greet at all?",)


def test_control_characters_in_any_file_never_reach_an_answer(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    # a form feed between pages of an old text file, a terminal's colour codes pasted into notes
    (docs / "manual.txt").write_text(
        "Greeter manual\n==============\n\fColours\n-------\n\n"
        "The \x1b[1mshout\x1b[0m option prints the greeting in capital letters.\x07\n",
        encoding="utf-8",
    )
    (docs / "notes.jsonl").write_text(
        '{"_id": "n1", "title": "Notes\\u0000", "text": "Greeting styles\\u0008 are chosen per greeter."}\n',
        encoding="utf-8",
    )
    kb = KnowledgeBase.from_folder(docs, state_dir=tmp_path / "state")
    assistant = Assistant(kb)
    for question in ("what does the shout option print?", "how are greeting styles chosen?"):
        answer = assistant.ask(question)
        assert answer.answered, question
        shown = " ".join(s.text for s in answer.sentences)
        labels = " ".join(f"{hit.title} {hit.section}" for _, hit in answer.cited())
        assert CONTROL.search(shown) is None and CONTROL.search(labels) is None
    answer = assistant.ask("what does the shout option print?")
    assert "prints the greeting in capital letters" in answer.sentences[0].text
    assert "[1m" not in answer.sentences[0].text and "[0m" not in answer.sentences[0].text
    assert answer.cited()[0][1].section == "Colours"


def test_a_page_the_myst_reader_fails_on_still_loads_as_markdown(tmp_path, monkeypatch, caplog):
    import knowledge.myst

    def broken(*args, **kwargs):
        raise IndexError("unforeseen input")

    monkeypatch.setattr(knowledge.myst, "_directive", broken)
    (tmp_path / "odd.md").write_text("# Odd\n\nStill here.\n\n```{note}\nA note.\n```\n", encoding="utf-8")
    docs, errors = load_folder(tmp_path)
    assert errors == [] and "Still here." in docs[0].text
    assert "odd.md: read as plain Markdown (IndexError: unforeseen input)" in caplog.text


@pytest.mark.parametrize("line_end", ["\r\n", "\r"], ids=["windows", "classic-mac"])
def test_a_page_saved_with_other_line_ends_reads_the_same(tmp_path, line_end):
    page = "# Use\n\nCall {func}`greet`.\n\n```{note}\nA note.\n```\n\nAfter {meth}`Greeter.render`.\n"
    (tmp_path / "unix.md").write_text(page, encoding="utf-8", newline="\n")
    (tmp_path / "other.md").write_text(page, encoding="utf-8", newline=line_end)
    [unix], _ = load_file(tmp_path / "unix.md", tmp_path)
    [other], _ = load_file(tmp_path / "other.md", tmp_path)
    assert other.text == unix.text
    assert "Note: A note.\n\nAfter `Greeter.render`." in unix.text


def test_footnotes_and_definition_lists_read_as_sphinx_shows_them():
    text = myst_to_markdown(
        "A namedtuple note.[^history]\n\n"
        "[^history]: The word is that {func}`namedtuple` was added for speed.\n\n"
        "```{glossary}\ndunder\n  A {meth}`object.__init__` style method.\n\n"
        "  :::{note}\n  Inside a definition.\n  :::\n```\n"
    )
    assert "[^history]" not in text and "The word is that `namedtuple` was added" in text
    assert "{meth}" not in text and "`object.__init__`" in text
    assert ":::" not in text and "Inside a definition." in text
