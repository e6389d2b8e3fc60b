"""Hard-wrapped lines inside a paragraph are quoted as one line; every other line break stays."""

from __future__ import annotations

import pytest

from knowledge.models import Sentence
from knowledge.wrapping import unwrap


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a python library module\n  used by projects.", "a python library module used by projects."),
        ("Intro:\n- one\n- two that wraps\n  onto here", "Intro:\n- one\n- two that wraps onto here"),
        ("Variable | Description\nloop.index | The index", "Variable | Description\nloop.index | The index"),
        ("Run:\n```\npip install\nmore\n```\nthen\nrest.", "Run:\n```\npip install\nmore\n```\nthen rest."),
        ("Hard break  \nhere", "Hard break  \nhere"),
        ("Para one\nwraps.\n\nPara two.", "Para one wraps.\n\nPara two."),
        ("output_format:\nFormat of output.", "output_format:\nFormat of output."),
        ("# Title\nText\n1. first", "# Title\nText\n1. first"),
    ],
)
def test_only_soft_breaks_become_spaces(text, shown):
    assert unwrap(text)[0] == shown


def test_marks_follow_the_joined_text():
    text = "The easiest way to install\n  Python-Markdown is simple."
    start = text.index("Python")
    sentence = Sentence(text, 1, "doc#p", marks=((19, 26), (start, start + 6)))
    assert sentence.marked() == "The easiest way to **install** **Python**-Markdown is simple."
