"""Sphinx autodoc directives (``.. autofunction::``, ``.. autoclass::``…) take their description from
the code, but the text and examples a page writes under one are the page's own, and Sphinx shows
them: they are read, searched and cited. ``/lookup`` names the section such an object stands in."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import Assistant, KnowledgeBase
from knowledge.apiref import ApiIndex

ATTRS_DOCS = Path(__file__).resolve().parents[1] / "data" / "attrs-docs" / "docs"


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KnowledgeBase:
    return KnowledgeBase.from_folder(ATTRS_DOCS, state_dir=tmp_path_factory.mktemp("state"))


def test_the_text_and_examples_under_an_autodoc_directive_are_read(kb):
    api = kb.documents["api"].text
    # .. autofunction:: make_class, then its own sentence
    assert "`make_class`\n\nThis is handy if you want to programmatically create classes." in api
    # .. autofunction:: attrs.fields, then "For example:" and a doctest
    assert "`attrs.fields`\n\nFor example:\n\n```pycon\n>>> @define" in api
    # .. autofunction:: attrs.converters.pipe, then a sentence only it says
    answer = Assistant(kb).ask("can i pass a list of converters to a field")
    assert answer.answered
    said = "possible to pass a list to attrs.field / attr.ib's converter arguments"
    assert said in answer.sentences[0].text
    assert [hit.section for _, hit in answer.cited()] == ["Converters"]


def test_lookup_names_the_section_an_autodoc_object_stands_in(kb):
    index = ApiIndex.of(kb)
    # .. autodata:: attrs.NOTHING, the last object of "Core", with no text of its own
    nothing = index.describe(next(m.obj for m in index.lookup("attrs.NOTHING").matches))
    assert nothing.section == "Core"  # not the section after it, "Exceptions"
    assert nothing.link == "https://www.attrs.org/en/stable/api.html#attrs.NOTHING"
    make_class = index.describe(next(m.obj for m in index.lookup("attrs.make_class").matches))
    assert make_class.section == "Core"
