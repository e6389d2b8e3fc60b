"""Code in documents: never split into sentences, never marked inside, identifiers matched whole."""

from __future__ import annotations

import re

from knowledge import Assistant, Document, KnowledgeBase, Sentence
from knowledge.chunking import sentence_spans
from knowledge.code import block_language, code_spans
from knowledge.documents import load_file
from knowledge.text import tokens

GUIDE = """\
# Bot guide

## Installing

Install the library with pip:

```sh
python -m pip install -U discord.py
```

## Running the bot

Call `bot.run(token)` with the token of your bot. The token is a secret. Never share it.

## Events

The `on_message` event is called for every message the bot can see. Reading message text needs the
`message_content` intent.

```python
@bot.event
async def on_message(message):
    if message.author == bot.user:
        return

    await message.channel.send("Hello. Nice to meet you!")
```

## Presence

Use `Client.change_presence` to set the status shown under the name of the bot.
"""

# Bold marks inside a code span, or a code span with asterisks in it, is what Discord shows raw.
_MARK_IN_CODE = re.compile(r"`[^`]*\*\*[^`]*`")


def kb() -> KnowledgeBase:
    return KnowledgeBase.from_documents([Document("guide", "Bot guide", GUIDE, {"format": "markdown"})])


def shown(answer) -> str:
    return "\n".join(s.marked() for s in answer.sentences)


def test_a_code_block_is_one_sentence_and_inline_code_is_not_split():
    text = 'Run this:\n\n```python\nx = 1.  # Set it. Then go!\n\nprint(x)\n```\n\nCall `a. B` now. Done.'
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "Run this:",
        "```python\nx = 1.  # Set it. Then go!\n\nprint(x)\n```",
        "Call `a. B` now.",
        "Done.",
    ]


def test_code_spans_find_blocks_and_inline_code():
    text = "Use `x` and ``a`b``.\n\n~~~\ncode `not inline`\n~~~\n"
    assert [text[s:e] for s, e in code_spans(text)] == ["`x`", "``a`b``", "~~~\ncode `not inline`\n~~~"]
    assert block_language("```python\nx = 1\n```") == "python"
    assert block_language("`x`") is None


def test_marks_never_fall_inside_code():
    answer = Assistant(kb()).ask("How do I run the bot with my token?")
    assert answer.answered
    text = shown(answer)
    assert "`bot.run(token)`" in text
    assert not _MARK_IN_CODE.search(text)
    assert "**token**" in text  # still marked outside the code


def test_a_code_block_is_quoted_whole_and_unmarked():
    answer = Assistant(kb()).ask("How do I install discord.py with pip?")
    assert answer.answered
    text = shown(answer)
    assert "```sh\npython -m pip install -U discord.py\n```" in text


def test_a_sentence_introducing_a_code_block_comes_with_it():
    answer = Assistant(kb()).ask("How do I install the library?")
    assert answer.answered
    command = "```sh\npython -m pip install -U discord.py\n```"
    assert answer.sentences[0].text == f"Install the library with pip:\n{command}"


def test_identifiers_in_questions_find_the_same_identifiers():
    assistant = Assistant(kb())
    answer = assistant.ask("when is on_message called?")
    assert answer.answered and answer.hits[0].section == "Events"
    assert "The `on_message` event is **called**" in shown(answer)
    answer = assistant.ask("what does message_content do")
    assert answer.answered and "`message_content` intent" in shown(answer)
    answer = assistant.ask("Client.change_presence")
    assert answer.answered and answer.hits[0].section == "Presence"


def test_identifiers_are_tokens_whole_and_in_parts():
    assert tokens("on_message Client.change_presence") == [
        "on",
        "message",
        "client",
        "change",
        "presence",
        "on_message",
        "client.change_presence",
    ]
    assert tokens("e.g. Python 3.11.") == ["python", "11"]  # no "e.g", no "3.11"


def test_an_identifier_the_knowledge_base_lacks_whole_does_not_count_against_the_question():
    # "bot.start" is nowhere in the guide, but "bot" and the running section are.
    answer = Assistant(kb()).ask("what token does bot.run need")
    assert answer.answered


def test_marked_passes_code_through_its_own_renderer():
    text = "Call `bot.run(token)` with the token."
    inner, outer = text.index("token"), text.rindex("token")
    sentence = Sentence(text, 1, "p", marks=((inner, inner + 5), (outer, outer + 5)))
    assert sentence.marked() == "Call `bot.run(token)` with the **token**."
    assert sentence.marked(escape=str.upper, code=lambda c: f"<{c}>") == (
        "CALL <`bot.run(token)`> WITH THE **TOKEN**."
    )


def test_an_identifier_and_its_parts_make_one_mark():
    sentence = Sentence("Handle on_message events.", 1, "p", marks=((7, 17), (7, 9), (10, 17)))
    assert sentence.marked() == "Handle **on_message** events."


def test_a_markdown_link_shows_its_text_only_and_code_inside_it_stays_code():
    text = "Enable [`codehilite`][codehilite] as the [usage notes](../usage.md#setup) say, [bug tracker][]."
    usage, setup = text.index("usage"), text.index("setup")
    sentence = Sentence(text, 1, "p", marks=((usage, usage + 5), (setup, setup + 5)))
    assert sentence.marked() == "Enable `codehilite` as the **usage** notes say, bug tracker."


def test_attribute_lists_and_the_documents_own_bold_are_not_shown_but_code_keeps_them():
    sentence = Sentence("__output_format__{: #output_format }: **Required**, see `**kwargs`.", 1, "p")
    assert sentence.marked() == "output_format: Required, see `**kwargs`."


INDENTED = """# Reference

__text__

:   The source string. If you want to write the output to disk, encode it yourself:

        :::python hl_lines="1"
        with open("out.html", "w", encoding="utf-8") as output_file:
            output_file.write(html)

An example without a language:

    markdown.markdown(text)

A script keeps its shebang line:

    #!/usr/bin/python
    print("hello")
"""


def test_indented_code_blocks_read_as_fenced_code_with_their_codehilite_language(tmp_path):
    # Python-Markdown's CodeHilite names a block's language on its first line; the line is markup
    # the page never shows, and the block is code, never prose an answer would quote as sentences.
    (tmp_path / "reference.md").write_text(INDENTED, encoding="utf-8")
    [doc], errors = load_file(tmp_path / "reference.md", tmp_path)
    assert not errors
    assert ":::python" not in doc.text
    assert (
        '```python\nwith open("out.html", "w", encoding="utf-8") as output_file:\n'
        "    output_file.write(html)\n```"
    ) in doc.text
    assert "```\nmarkdown.markdown(text)\n```" in doc.text
    assert '```\n#!/usr/bin/python\nprint("hello")\n```' in doc.text
    # A definition's indented text is not code.
    assert "```\nThe source string" not in doc.text and "The source string." in doc.text
