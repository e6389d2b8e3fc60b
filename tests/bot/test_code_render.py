"""Code quoted in an answer is shown as code in Discord: blocks with their language, no marks inside."""

from __future__ import annotations

from bot.render import CODE_BLOCK_CHARS, EMBED_DESCRIPTION_LIMIT, answer_embed
from knowledge import Answer, Hit, Sentence

HIT = Hit("guide", "guide#events-0123456789", "Bot guide", "Events", "text", 1.0)


def embed_for(*sentences: Sentence):
    answer = Answer("how?", answered=True, hits=(HIT,), sentences=sentences)
    return answer_embed(answer, answer_id="a1").description


def test_a_code_block_answer_is_a_discord_code_block_with_its_language():
    code = '```python\n@bot.event\nasync def on_message(message):\n    await message.channel.send("hi")\n```'
    shown = embed_for(Sentence(code, 1, HIT.passage_id, marks=((24, 34),)))
    assert code + "\n[1]" in shown
    assert "**" not in shown.split("**Sources**")[0]


def test_inline_code_stays_code_and_the_prose_around_it_is_marked_and_escaped():
    text = "Call `bot.run(token)` with the token_value of *your* bot."
    start = text.index("token_value")
    shown = embed_for(Sentence(text, 1, HIT.passage_id, marks=((11, 16), (start, start + 11))))
    assert shown.startswith("Call `bot.run(token)` with the **token\\_value** of \\*your\\* bot. [1]")


def test_a_long_code_block_is_cut_at_a_line_and_stays_a_block():
    lines = "\n".join(f"print({n})  # line {n}" for n in range(400))
    shown = embed_for(Sentence(f"~~~\n{lines}\n~~~", 1, HIT.passage_id))
    block = shown.split("\n[1]")[0]
    assert block.startswith("```\nprint(0)") and block.endswith("\n…\n```")
    assert len(block) <= CODE_BLOCK_CHARS + 20 and len(shown) <= EMBED_DESCRIPTION_LIMIT


def test_mentions_inside_code_are_made_inert():
    shown = embed_for(Sentence("```\nsay @everyone\n```", 1, HIT.passage_id))
    assert "@everyone" not in shown
