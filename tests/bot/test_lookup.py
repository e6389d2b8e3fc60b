"""/search, /source and /topics over the built-in knowledge base."""

from __future__ import annotations

import pytest
from bot_helpers import deferred, server
from simcord.backend.errors import SetupError


async def test_search_pages_belong_to_the_asker(simcord_env, builtin_kb):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "search", query="immune system")

    assert deferred(simcord_env)
    page = result.response
    assert page.ephemeral
    [embed] = page.embeds
    # Passages with their ids and scores, best first.
    first = embed.fields[0].value
    passage_id = first.split("`")[1]
    assert builtin_kb.passage(passage_id) is not None
    assert "score" in first
    assert [f.name[:3] for f in embed.fields] == ["1. ", "2. ", "3. "]
    assert all(f.name.endswith(" · Guillen-Morales 2025") for f in embed.fields), "named by short labels"
    assert _labels(page) == ["Previous", "1/2", "Next"]

    await s.alice.click(page, label="Next")
    assert [f.name[:3] for f in page.embeds[0].fields] == ["4. "]  # not the reference list
    assert _labels(page) == ["Previous", "2/2", "Next"]
    await s.alice.click(page, label="Previous")
    assert page.embeds[0].fields[0].name.startswith("1. ")

    # Bob cannot even see Alice's results, so he cannot page them.
    with pytest.raises(SetupError):
        await s.bob.click(page, label="Previous")


def _labels(message) -> list[str]:
    return [c["label"] for row in message.components for c in row["components"]]


async def test_search_with_no_match_says_so(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "search", query="sourdough")
    page = result.response
    assert "No passage matches" in page.embeds[0].description
    assert page.components == []


async def test_source_shows_a_passage_and_autocompletes_ids(simcord_env, builtin_kb):
    s = server(simcord_env)
    choices = await s.alice.autocomplete(s.channel, "source", "passage", "mammary immune")
    assert choices and len(choices) <= 25
    assert all(len(c["name"]) <= 100 and builtin_kb.passage(c["value"]) for c in choices)
    chosen = next(c for c in choices if c["name"].startswith("The mammary immune system"))
    # Named by the citation label and the passage's first words, not the 90-character title.
    assert chosen["name"].startswith("The mammary immune system · Guillen-Morales 2025 — ")
    assert all("are parts of the maternal-infant" not in c["name"] for c in choices)

    result = await s.alice.slash(s.channel, "source", passage=chosen["value"])

    [embed] = result.response.embeds
    passage = builtin_kb.passage(chosen["value"])
    assert "breast stroma" in embed.description and len(embed.description) >= len(passage.text) * 0.9
    assert embed.fields[0].name == "Citation"
    assert "The mammary immune system" in embed.fields[0].value
    assert embed.footer.text == f"Passage id: {passage.id}"


async def test_source_with_an_unknown_id_is_a_short_private_reply(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "source", passage="no-such-passage")
    assert result.response.ephemeral
    assert "No passage has that id" in result.response.content


async def test_topics_lists_documents_with_counts_and_references(simcord_env, builtin_kb):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "topics")

    [embed] = result.response.embeds
    [topic] = builtin_kb.topics()
    assert f"— {topic.passages} passages" in embed.description
    assert "enteromammary and mammary immune systems" in embed.description
    assert "Guillen-Morales" in embed.description
    assert f"<{topic.link}>" in embed.description
    assert result.response.components == []  # one page: no buttons


async def test_search_buttons_are_disabled_when_the_pages_time_out(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "search", query="immune system")
    page = result.response
    await simcord_env.advance_time(181)
    buttons = [c for row in page.components for c in row["components"]]
    assert buttons and all(b.get("disabled") for b in buttons)
    with pytest.raises(SetupError, match="disabled"):
        await s.alice.click(page, label="Next")


async def test_source_autocomplete_looks_through_passages_off_the_event_loop(simcord_env, monkeypatch):
    # Every passage is looked at per keystroke: on a large knowledge base that must not hold up the
    # event loop (and so every other member) between keystrokes.
    import threading

    from bot.exts import lookup

    loop_thread = threading.current_thread()
    threads = []
    original = lookup._passage_choices

    def recorded(kb, current):
        threads.append(threading.current_thread())
        return original(kb, current)

    monkeypatch.setattr(lookup, "_passage_choices", recorded)
    s = server(simcord_env)
    choices = await s.alice.autocomplete(s.channel, "source", "passage", "mammary immune")
    assert choices and threads and all(t is not loop_thread for t in threads)


async def test_lookup_in_documents_naming_no_api_objects_says_so(simcord_env):
    s = server(simcord_env)
    result = await s.alice.slash(s.channel, "lookup", name="send")
    shown = result.followups[-1] if result.followups else result.response
    assert shown.content.startswith("This server's documents name no API objects to look up")
    assert await s.alice.autocomplete(s.channel, "lookup", "name", "se") == []
