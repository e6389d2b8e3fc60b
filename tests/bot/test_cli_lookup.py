"""``citebot lookup NAME``: an API object of the knowledge folder's documentation, from the shell."""

from __future__ import annotations

import pytest
from sphinx_site import SITE, write_crawled_site

from bot.cli import main


@pytest.fixture
def docs(tmp_path, state_dir):
    write_crawled_site(tmp_path / "docs" / "discordpy")
    return str(tmp_path / "docs")


def test_lookup_prints_the_object_its_description_and_citation(docs, capsys):
    assert main(["lookup", "send", "--knowledge", docs]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "discord.Webhook.send (method)",
        "  Sends a message using the webhook.",
        f"  API Reference › API Reference › Webhooks ({SITE}api.html#discord.Webhook.send)",
        "Also named so:",
        "  discord.abc.Messageable.send (method)",
    ]


def test_an_unknown_name_lists_the_close_ones_and_fails(docs, capsys):
    assert main(["lookup", "Clinet", "--knowledge", docs]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == ["Nothing is named 'Clinet'. Close names:", "  discord.Client (class)"]
    assert main(["lookup", "sourdough", "--knowledge", docs]) == 1
    assert capsys.readouterr().out == "Nothing is named 'sourdough'.\n"
