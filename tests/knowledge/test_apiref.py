"""Looking up API objects by name (knowledge.apiref): from a Sphinx inventory beside the pages, from
reST directives without one, and from headings naming code."""

from __future__ import annotations

import logging
import zlib

import pytest
from sphinx_site import SITE, inventory_bytes, write_crawled_site

from knowledge import KnowledgeBase
from knowledge import inventory as inventory_module
from knowledge.apiref import ApiIndex, ApiObject


@pytest.fixture
def crawled(tmp_path) -> ApiIndex:
    write_crawled_site(tmp_path / "knowledge" / "discordpy")
    return ApiIndex.of(KnowledgeBase.from_folder(tmp_path / "knowledge", cache=False))


def names(result) -> list[tuple[str, str]]:
    return [(m.obj.name, m.how) for m in result.matches]


def test_an_exact_name_is_found_with_its_description_and_a_link_to_its_anchor(crawled):
    result = crawled.lookup("discord.Client")
    assert result.found
    assert names(result)[0] == ("discord.Client", "exact")
    shown = crawled.describe(result.matches[0].obj)
    assert shown.obj.role == "class"
    assert shown.summary == "Represents a client connection that connects to Discord."
    assert shown.link == SITE + "api.html#discord.Client"
    assert shown.citation() == f"API Reference › API Reference › Clients ({SITE}api.html#discord.Client)"
    # Section labels of the inventory are not API objects.
    assert not crawled.lookup("clients").found


def test_the_end_of_a_dotted_name_finds_every_object_so_named(crawled):
    result = crawled.lookup("send")
    assert result.found
    assert names(result) == [("discord.Webhook.send", "suffix"), ("discord.abc.Messageable.send", "suffix")]
    assert names(crawled.lookup("Messageable.send()")) == [("discord.abc.Messageable.send", "suffix")]
    # Each described from its own place on the page (after its class), the coroutine notice passed over.
    webhook, messageable = (crawled.describe(m.obj) for m in result.matches)
    assert webhook.summary == "Sends a message using the webhook."
    assert messageable.summary == "Sends a message to the destination with the content given."
    assert messageable.section == "API Reference › Abstract Base Classes"
    assert messageable.link.endswith("#discord.abc.Messageable.send")


def test_a_misspelt_name_is_not_found_but_suggests_the_close_ones(crawled):
    result = crawled.lookup("Mesageable")
    assert not result.found
    assert names(result)[0] == ("discord.abc.Messageable", "fuzzy")
    typed = crawled.lookup("Messa")  # a prefix, as autocomplete sees it while typing
    assert not typed.found and names(typed)[0] == ("discord.abc.Messageable", "prefix")
    assert crawled.lookup("sourdough").matches == ()


def test_autocomplete_suggests_names_as_they_are_typed(crawled):
    assert [m.obj.name for m in crawled.complete("Web")] == ["discord.Webhook", "discord.Webhook.send"]
    assert len(crawled.complete("")) == 6


def test_an_exact_name_ranks_before_names_ending_in_it():
    index = ApiIndex(
        [ApiObject("a.b.send", "method"), ApiObject("send", "function"), ApiObject("x.send", "method")]
    )
    assert names(index.lookup("send")) == [("send", "exact"), ("x.send", "suffix"), ("a.b.send", "suffix")]


RST = """\
API
===

.. currentmodule:: discord

.. autoclass:: Client()

Messageable
-----------

.. class:: abc.Messageable

   An ABC that details the common operations on a model that can send messages.

   .. method:: send(content=None, *, tts=False)

      Sends a message to the destination with the content given.

Configuration
-------------

.. confval:: bot_prefix

   The prefix of text commands. It defaults to an exclamation mark.

.. option:: -v, --verbose

   Log more.

Tasks
-----

.. currentmodule:: discord.ext.commands

.. autofunction:: discord.ext.tasks.loop
"""


def test_rest_directives_are_found_without_an_inventory(tmp_path):
    (tmp_path / "api.rst").write_text(RST, encoding="utf-8")
    (tmp_path / "citebot.yaml").write_text("base_url: https://docs.example.org/\n", encoding="utf-8")
    index = ApiIndex.of(KnowledgeBase.from_folder(tmp_path, cache=False))

    send = index.lookup("send")
    assert names(send) == [("discord.abc.Messageable.send", "suffix")]
    shown = index.describe(send.matches[0].obj)
    assert shown.obj.role == "method"
    assert shown.summary == "Sends a message to the destination with the content given."
    assert shown.link == "https://docs.example.org/api.html#discord.abc.Messageable.send"
    assert shown.section == "Messageable"

    # autoclass documents from the code: named and cited, with no description to show.
    client = index.describe(index.lookup("Client").matches[0].obj)
    assert (client.obj.name, client.obj.role, client.summary) == ("discord.Client", "class", "")
    assert client.link == "https://docs.example.org/api.html#discord.Client"
    # autodoc takes a dotted name as written, whatever the current module.
    assert names(index.lookup("loop")) == [("discord.ext.tasks.loop", "suffix")]

    key = index.describe(index.lookup("bot_prefix").matches[0].obj)
    assert (key.obj.role, key.summary) == ("confval", "The prefix of text commands.")
    assert key.link.endswith("#confval-bot_prefix")
    assert index.lookup("--verbose").matches[0].obj.role == "option"


MYST = """\
# Greeter API

```{py:currentmodule} greetkit
```

````{py:class} Greeter(name)
Says hello to one person at a time.

```{py:method} greet(loud=False)
Returns the greeting. It never prints.
```
````

```{py:function} farewell(name)
Says goodbye.
```

:::{confval} greeting_style
How greetings are worded: `formal` or `casual`.
:::
"""


def test_myst_directive_fences_are_found_with_their_class_and_module(tmp_path):
    (tmp_path / "api.md").write_text(MYST, encoding="utf-8")
    index = ApiIndex.of(KnowledgeBase.from_folder(tmp_path, cache=False))
    assert sorted((o.name, o.role) for o in index.objects) == [
        ("greeting_style", "confval"),
        ("greetkit.Greeter", "class"),
        ("greetkit.Greeter.greet", "method"),
        ("greetkit.farewell", "function"),  # after the class's fence closed: not its member
    ]
    greet = index.describe(index.lookup("greet").matches[0].obj)
    assert greet.summary == "Returns the greeting."
    style = index.describe(index.lookup("greeting_style").matches[0].obj)
    assert style.summary == "How greetings are worded: `formal` or `casual`."


def test_headings_naming_code_are_found_in_documents_without_directives(tmp_path):
    (tmp_path / "guide.md").write_text(
        "# Guide\n\n## Installation\n\nUse pip.\n\n## `Client.run()`\n\nStarts the bot. It blocks.\n\n"
        "## v2.0\n\nReleased in May.\n",
        encoding="utf-8",
    )
    index = ApiIndex.of(KnowledgeBase.from_folder(tmp_path, cache=False))
    assert [o.name for o in index.objects] == ["Client.run"]
    shown = index.describe(index.lookup("run").matches[0].obj)
    assert (shown.obj.role, shown.summary, shown.section) == (
        "function",
        "Starts the bot.",
        "`Client.run()`",
    )


def test_an_inventory_that_would_decompress_past_the_limit_is_not_read(tmp_path, monkeypatch, caplog):
    folder = write_crawled_site(tmp_path / "site")
    header, _, _ = inventory_bytes().partition(b"# The remainder of this file is compressed using zlib.\n")
    bomb = (
        header + b"# The remainder of this file is compressed using zlib.\n" + zlib.compress(b"x" * 100_000)
    )
    (folder / "objects.inv").write_bytes(bomb)
    monkeypatch.setattr(inventory_module, "MAX_PLAIN_BYTES", 50_000)
    with caplog.at_level(logging.WARNING, logger="knowledge.inventory"):
        index = ApiIndex.of(KnowledgeBase.from_folder(tmp_path, cache=False))
    assert len(index) == 0 and not index.lookup("send").matches
    assert "decompresses to too much" in caplog.text


def test_an_inventory_above_another_folder_of_citebot_yaml_is_not_its(tmp_path):
    # A site folder (own citebot.yaml) never reads an inventory lying above it.
    (tmp_path / "objects.inv").write_bytes(inventory_bytes())
    site = tmp_path / "knowledge" / "site"
    site.mkdir(parents=True)
    (site / "citebot.yaml").write_text("base_url: https://docs.example.org/\n", encoding="utf-8")
    (site / "page.md").write_text("# Page\n\nNothing to look up here.\n", encoding="utf-8")
    assert len(ApiIndex.of(KnowledgeBase.from_folder(tmp_path / "knowledge", cache=False))) == 0
