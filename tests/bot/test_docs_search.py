"""/search over documentation: an example in a result's excerpt reads as code, not as escaped
fence markers around code run together with the prose."""

from __future__ import annotations

import pytest
from bot_helpers import server

from bot import create_bot
from bot.config import Config, RetrievalConfig

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
