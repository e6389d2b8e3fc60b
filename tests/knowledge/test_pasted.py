"""What developers paste into a question: a link to the docs is read as the page and section it
names, and a traceback without the frames its error passed through."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import Assistant, KnowledgeBase
from knowledge.pasted import searchable

JINJA_DOCS = Path(__file__).resolve().parents[1] / "data" / "jinja-docs" / "docs"
LINKED = (
    "https://jinja.palletsprojects.com/en/stable/templates/#whitespace-control what does the minus sign do"
)
TRACEBACK = """I get this error, why?
```
Traceback (most recent call last):
  File "app.py", line 5, in <module>
    print(template.render())
  File "/usr/lib/python3/jinja2/environment.py", line 1295, in render
jinja2.exceptions.UndefinedError: 'user' is undefined
```"""


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    return Assistant(KnowledgeBase.from_folder(JINJA_DOCS, state_dir=tmp_path_factory.mktemp("state")))


def test_a_link_to_the_docs_is_read_as_the_section_it_names(assistant):
    answer = assistant.ask(LINKED)
    assert answer.answered, [str(n) for n in answer.notices]
    assert {hit.section for _, hit in answer.cited()} == {"Whitespace Control"}
    assert "minus sign" in answer.sentences[0].text
    assert answer.question == LINKED  # the member's own words are what the reply shows


def test_a_traceback_s_frames_are_not_what_the_question_is_about(assistant):
    analysis = assistant.analyse(TRACEBACK)
    words = {word.word for word in analysis.terms.weights.words}
    assert {"undefinederror", "undefined", "render"} <= words
    assert not words & {"py", "usr", "lib", "traceback"}
    assert analysis.in_passing is None  # "py" of app.py was taken for a tool named in passing


@pytest.mark.parametrize(
    ("pasted", "read"),
    [
        ("see <https://docs.example.org/en/latest/usage.html#env-files>, not working",
         "see usage env files , not working"),
        ("https://docs.example.org/ how do i start", "how do i start"),
        ("https://docs.example.org/", "https://docs.example.org/"),  # nothing else to ask: left as it is
        ("what is [http://[ in the docs", "what is [ in the docs"),  # no address: dropped, no error
    ],
)  # fmt: skip
def test_links_read_as_their_page_and_section_words(pasted, read):
    assert searchable(pasted) == read
