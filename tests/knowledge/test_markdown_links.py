"""Markdown and MyST pages of a Sphinx project published under a ``base_url`` link to their page and
section, as its reST pages do; a Markdown folder that is not a Sphinx project (MkDocs publishes
pages at other addresses) gets no link it cannot know."""

from __future__ import annotations

import shutil
from pathlib import Path

from knowledge import KnowledgeBase
from knowledge.retriever import search

MYST_DOCS = Path(__file__).resolve().parents[1] / "data" / "myst-docs" / "docs"
BASE = "https://greetkit.example.org/en/stable/"


def docs(tmp_path: Path, *, sphinx: bool) -> KnowledgeBase:
    folder = tmp_path / "docs"
    shutil.copytree(MYST_DOCS, folder)
    if not sphinx:
        (folder / "conf.py").unlink()
    (folder / "citebot.yaml").write_text(f"base_url: {BASE}\n", encoding="utf-8")
    return KnowledgeBase.from_folder(folder, state_dir=tmp_path / "state")


def link(kb: KnowledgeBase, words: str, section: str) -> str:
    [hit] = [hit for hit in search(kb, words, k=10) if hit.section == section][:1]
    return hit.link


def test_myst_pages_of_a_sphinx_project_link_to_their_published_section(tmp_path):
    kb = docs(tmp_path, sphinx=True)
    assert link(kb, "pirate style greeting", "Style table") == BASE + "guide/usage.html#style-table"
    assert link(kb, "style argument tone", "Greeting styles") == BASE + "guide/usage.html#greeting-styles"
    # The page's own title is the page: no anchor.
    assert kb.documents["guide/usage"].link_at(0) == BASE + "guide/usage.html"
    # A heading holding code is named by its text, as Sphinx names it.
    faq = kb.documents["faq"]
    assert faq.link_at(faq.text.index("greet --loud` go?")) == BASE + "faq.html#where-did-greet-loud-go"


def test_a_heading_s_explicit_id_and_a_comment_in_code_are_read_as_sphinx_reads_them(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "conf.py").write_text("project = 'x'\n", encoding="utf-8")
    (folder / "citebot.yaml").write_text(f"base_url: {BASE}\n", encoding="utf-8")
    page = (
        "# Settings\n\n## Reading `.env` files {#dotenv}\n\nSettings are read from a dotenv file first.\n\n"
        "```python\n## not a heading\nload()\n```\n\nThe file is optional and may be missing.\n\n"
        "## Types & Values\n\nValues are parsed with their field's type.\n"
    )
    (folder / "settings.md").write_text(page, encoding="utf-8")
    kb = KnowledgeBase.from_folder(folder, state_dir=tmp_path / "state")
    doc = kb.documents["settings"]
    assert doc.link_at(doc.text.index("optional")) == BASE + "settings.html#dotenv"
    assert doc.link_at(doc.text.index("parsed")) == BASE + "settings.html#types-values"


def test_a_markdown_folder_that_is_not_a_sphinx_project_gets_no_guessed_link(tmp_path):
    kb = docs(tmp_path, sphinx=False)
    assert link(kb, "pirate style greeting", "Style table") == ""
