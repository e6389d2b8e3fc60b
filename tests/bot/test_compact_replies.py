"""Answers members read at a glance: short labels in the reply, full references behind Sources."""

from __future__ import annotations

from bot_helpers import ANSWERABLE, embed_text, server

from bot.render import DECLINED_TITLE

DECLINED_WITH_PASSAGES = "How does the immune system of a fish work?"
FULL_REFERENCE = "The mother-infant symbiosis: a novel perspective"


def _shown(message) -> str:
    return (message.content or "") + "\n" + "\n".join(embed_text(e) for e in message.embeds)


async def test_an_answer_is_short_and_cites_with_labels(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=ANSWERABLE)

    shown = _shown(result.response)
    assert len(shown) < 1000, "the medical notice, the answer and its sources fit a glance"
    assert "Enteromammary immune system · Guillen-Morales 2025" in shown
    # The 90-character title and the 250-character reference are not repeated in the reply...
    assert FULL_REFERENCE not in shown
    assert "are parts of the maternal-infant immune system" not in shown
    # ...they are behind the Sources button, once per page.
    pages = await s.alice.click(result.response, label="Sources")
    [citation] = [f.value for f in pages.response.embeds[0].fields if f.name == "Citation"]
    assert FULL_REFERENCE in citation and "are parts of the maternal-infant immune system" in citation


async def test_a_decline_is_short_and_names_the_closest_passages_in_one_line_each(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "ask", question=DECLINED_WITH_PASSAGES)

    shown = _shown(result.response)
    assert len(shown) <= 500
    [embed] = result.response.embeds
    assert embed.title == DECLINED_TITLE, "a short title, not the whole question"
    closest = [line for line in embed.description.splitlines() if line.startswith("[")]
    assert 1 <= len(closest) <= 3 and all("· Guillen-Morales 2025" in line for line in closest)
    assert FULL_REFERENCE not in shown and ">" not in embed.description, "no quoted excerpts"
    labels = [c["label"] for row in result.response.components for c in row["components"]]
    assert labels == ["Sources", "Ask the moderators"], "the passages in full are one click away"


async def test_source_command_shows_the_full_reference(simcord_env, builtin_kb):
    s = server(simcord_env)
    passage = builtin_kb.passages[0]
    result = await s.alice.slash(s.channel, "source", passage=passage.id)
    [embed] = result.response.embeds
    assert FULL_REFERENCE in embed.fields[0].value
