"""FAQ-shaped documents: a question heads its answer, counts for matching, and is never quoted back."""

from __future__ import annotations

import pytest

from knowledge import Assistant, Document, KnowledgeBase
from knowledge.documents import parse_rst

RST_FAQ = """\
FAQ
===

How do I set the playing status?
--------------------------------

Pass an activity to the client constructor, or call `change_presence` later.

Why is my bot offline?
----------------------

Check that the token is right and that the process is still running.
"""

RST_RUBRIC_FAQ = """\
FAQ
===

.. rubric:: How do I set the playing status?

Pass an activity to the client constructor, or call `change_presence` later.

**Why is my bot offline?**

Check that the token is right and that the process is still running.

Can I run two bots at once?
   Yes, one process each, each with its own token.
"""

MD_BOLD_FAQ = """\
# FAQ

## Running

**How do I set the playing status?**

Pass an activity to the client constructor, or call `change_presence` later.

**Why is my bot offline?**

Check that the token is right and that the process is still running.
"""

MD_Q_FAQ = """\
# FAQ

Q: How do I set the playing status?
Pass an activity to the client constructor, or call `change_presence` later.

Q: Why is my bot offline?
Check that the token is right and that the process is still running.
"""


def faq_docs() -> dict[str, Document]:
    return {
        "rst sections": parse_rst(RST_FAQ, "faq.rst", "faq"),  # type: ignore[arg-type]
        "rst rubric, bold, definitions": parse_rst(RST_RUBRIC_FAQ, "faq.rst", "faq"),  # type: ignore[arg-type]
        "markdown bold": Document("faq", "FAQ", MD_BOLD_FAQ, {"format": "markdown"}),
        "markdown Q:": Document("faq", "FAQ", MD_Q_FAQ, {"format": "markdown"}),
    }


@pytest.mark.parametrize("shape", list(faq_docs()))
@pytest.mark.parametrize(
    ("asked", "question", "answer_word"),
    [
        ("How can I set the playing status of my bot?", "How do I set the playing status?", "activity"),
        ("why is my bot offline", "Why is my bot offline?", "token"),
    ],
)
def test_a_question_is_answered_by_the_body_under_it(shape, asked, question, answer_word):
    kb = KnowledgeBase.from_documents([faq_docs()[shape]])
    answer = Assistant(kb).ask(asked)
    assert answer.answered
    assert answer.hits[0].section.endswith(question)
    said = " ".join(s.text for s in answer.sentences)
    assert answer_word in said
    assert "?" not in said  # the heading is never quoted back


def test_a_definition_list_question_heads_its_answer():
    kb = KnowledgeBase.from_documents([faq_docs()["rst rubric, bold, definitions"]])
    answer = Assistant(kb).ask("can I run two bots at once")
    assert answer.answered and answer.hits[0].section == "Can I run two bots at once?"
    assert answer.sentences[0].text == "Yes, one process each, each with its own token."
