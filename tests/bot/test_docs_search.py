"""Documentation's examples where they are shown: in a /search excerpt as code, not as escaped fence
markers around code run together with the prose; in the console, a quoted block closed on its own
line."""

from __future__ import annotations

import pytest
from bot_helpers import server

from bot import create_bot
from bot.config import Config, RetrievalConfig
from bot.text_render import render_answer
from knowledge import Answer, Hit, Sentence

PAGE = """\
# Templates

## Whitespace control

If you add a minus sign to the start or end of a block, the whitespace before or after that block
is removed:

```html+jinja
{% for item in seq -%}
    {{ item }}
{%- endfor %}
```

This yields all elements without whitespace between them, and `trim_blocks` does it everywhere.
"""


@pytest.fixture
def simcord_bot(state_dir, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "templates.md").write_text(PAGE, encoding="utf-8")
    config = Config(state_dir=state_dir, knowledge_dir=tmp_path / "docs", retrieval=RetrievalConfig("off"))
    bot = create_bot(config)
    yield bot
    bot.close_state()


async def test_a_search_excerpt_shows_an_example_as_code(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "search", query="whitespace block minus")
    [embed] = result.response.embeds
    excerpt = embed.fields[0].value.split("\n", 1)[1]
    assert "`{% for item in seq -%} {{ item }} {%- endfor %}`" in excerpt
    assert "`" * 3 not in excerpt and "\\`" not in excerpt  # no fence, no escaped backtick shown
    assert "minus sign to the start" in excerpt and "`trim_blocks`" in excerpt


def test_the_console_closes_a_quoted_example_on_its_own_line():
    # The console printed "``` [1] With both trim_blocks…": the number and the next sentence on the
    # closing fence's line, where Markdown no longer reads it as the end of the block.
    code = "```html+jinja\n{% for item in seq -%}\n    {{ item }}\n{%- endfor %}\n```"
    hits = [Hit("t", "t#w-0000000001", "Templates", "Whitespace control", PAGE, 1.0)]
    sentences = [
        Sentence(f"The whitespace is removed:\n{code}", 1, "t#w-0000000001"),
        Sentence("This yields all elements without whitespace between them.", 1, "t#w-0000000001"),
    ]
    shown = render_answer(Answer("how do i strip whitespace", True, hits, sentences, confidence=1.0))
    assert f"{code}\n[1]\nThis yields all elements" in shown
