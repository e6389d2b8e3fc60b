"""``/lookup`` for a server with uploads (knowledge.apiref.OverlayApiIndex): the shared base's API index is
reused, never built again per server, and look-ups answer as one index over the base and the
uploads would."""

from __future__ import annotations

from pathlib import Path

import pytest
from sphinx_site import API_OBJECTS, inventory_bytes, write_crawled_site

from knowledge import KnowledgeBase, api_objects, apiref
from knowledge.apiref import ApiIndex, OverlayApiIndex, collect_objects
from knowledge.overlay import OverlayKnowledgeBase
from knowledge.uploads import KnowledgeLoader

# Methods shared by many classes, as ``send`` is in discord.py: many objects per suffix and close name.
EXTRA = [
    (f"discord.{cls}.{verb}", "method")
    for cls in ("Guild", "Member", "Message", "Thread", "Webhook", "Client")
    for verb in ("send", "fetch", "edit", "delete", "reply")
]

BASE_RST = """\
API
===

.. confval:: bot_prefix

   The prefix of text commands. It defaults to an exclamation mark.

.. function:: discord.utils.get(iterable, **attrs)

   Returns the first element matching the attributes.
"""

UPLOAD_RST = """\
Greeter
=======

.. currentmodule:: mybot

.. class:: Greeter(name)

   Says hello to one member at a time.

   .. method:: send(text)

      Sends a greeting to the channel.

   .. method:: fetch()

      Fetches the greeting of the day.

.. function:: run()

   Runs the bot until it is stopped.

.. function:: exit()

   Stops the bot.

.. confval:: bot_prefix

   The server's own prefix.
"""

UPLOAD_MD = "# Notes\n\n## `Greeter.wave()`\n\nWaves at the member. Twice if asked.\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    folder = tmp_path_factory.mktemp("base")
    site = write_crawled_site(folder / "discordpy")
    (site / "objects.inv").write_bytes(inventory_bytes([*API_OBJECTS, *EXTRA]))
    (folder / "reference").mkdir()
    (folder / "reference" / "api.rst").write_text(BASE_RST, encoding="utf-8")
    (folder / "reference" / "citebot.yaml").write_text("base_url: https://docs.example.org/\n", "utf-8")
    (folder / "guide.md").write_text("# Guide\n\n## `Client.login()`\n\nLogs in. Then it waits.\n", "utf-8")
    return KnowledgeBase.from_folder(folder, cache=False)


def _server(base: KnowledgeBase, tmp: Path, server: int, files: dict[str, str]) -> OverlayKnowledgeBase:
    """A server's knowledge base with ``files`` uploaded, as the bot loads it."""
    uploads = tmp / "servers" / str(server) / "knowledge"
    uploads.mkdir(parents=True)
    for name, text in files.items():
        (uploads / name).write_text(text, encoding="utf-8")
    kb = KnowledgeLoader(tmp / "base", tmp, uploads).load(base)
    assert isinstance(kb, OverlayKnowledgeBase)
    return kb


def _joined(kb: OverlayKnowledgeBase) -> ApiIndex:
    """One index over the base's and the uploads' documents together: what the overlay must answer."""
    together = KnowledgeBase.from_documents([*kb.base.documents.values(), *kb.own.documents.values()])
    together.source = kb.base.source
    return ApiIndex(collect_objects(together), together)


def _queries(index: ApiIndex) -> list[str]:
    """Exact names, their ends, prefixes as typed, misspellings (dotted and not) and unknown names."""
    # "eit": as close to an upload's "exit" as to the base's "edit", the upload's shorter name first.
    queries = {
        "eit",
        "send",
        "run",
        "fetch",
        "Messa",
        "Greet",
        "disc",
        "sourdough",
        "bot_prefix",
        "~send()",
        " ",
    }
    for obj in index.objects:
        name, last = obj.name, obj.name.rsplit(".", 1)[-1]
        queries |= {name, name.upper(), last, last[:2], last[:4], name[:9]}
        queries |= {last[:-1], last[1:] + "x", name.replace(".", ". ", 1)[:-1] + "e"}
    return sorted(queries)


@pytest.mark.parametrize("scan", [apiref._PREFIX_SCAN, 3])
def test_an_overlay_looks_up_exactly_as_one_index_over_both(
    base: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scan: int
) -> None:
    # A prefix's scan stopped after 3 keys: which of the two parts' keys come first tells.
    monkeypatch.setattr(apiref, "_PREFIX_SCAN", scan)
    kb = _server(base, tmp_path, 1, {"mybot.rst": UPLOAD_RST, "notes.md": UPLOAD_MD})
    overlay, joined = ApiIndex.of(kb), _joined(kb)
    assert isinstance(overlay, OverlayApiIndex)
    assert len(kb.own.documents) == 2 and len(overlay.own) == 6  # bot_prefix is the base's
    assert len(overlay) == len(joined) and overlay.objects == joined.objects
    queries = _queries(joined)
    assert len(queries) > 200
    for query in queries:
        for limit in (1, 2, 6, 25):
            for suggest in (False, True):
                assert overlay.lookup(query, limit, suggest=suggest) == joined.lookup(
                    query, limit, suggest=suggest
                ), (query, limit, suggest)
        assert overlay.complete(query) == joined.complete(query), query
    assert overlay.complete("", 10) == joined.complete("", 10)
    for obj in joined.objects:
        assert overlay.describe(obj) == joined.describe(obj), obj
    # The look-ups that mix both parts do find objects of both.
    sent = [m.obj.name for m in overlay.lookup("send", 25).matches]
    assert "mybot.Greeter.send" in sent and "discord.Webhook.send" in sent
    assert {m.how for m in overlay.lookup("sned", 25).matches} == {"fuzzy"}


def test_an_uploaded_object_is_found_and_cited_from_the_upload(base: KnowledgeBase, tmp_path: Path) -> None:
    kb = _server(base, tmp_path, 1, {"mybot.rst": UPLOAD_RST, "notes.md": UPLOAD_MD})
    index = ApiIndex.of(kb)

    result = index.lookup("Greeter.send")
    assert result.found and result.matches[0].obj.name == "mybot.Greeter.send"
    shown = index.describe(result.matches[0].obj)
    assert shown.summary == "Sends a greeting to the channel."
    assert shown.obj.doc_id in kb.own.documents and shown.title == "Greeter"
    assert shown.passage_id is not None and kb.own.passage(shown.passage_id) is not None
    assert kb.hit(shown.passage_id).doc_id == shown.obj.doc_id  # cited from the upload

    wave = index.describe(index.lookup("wave").matches[0].obj)
    assert (wave.obj.name, wave.summary, wave.title, wave.section) == (
        "Greeter.wave",
        "Waves at the member.",
        "Notes",
        "`Greeter.wave()`",
    )
    # A name both parts document is the base's, described from the base.
    prefix = index.describe(index.lookup("bot_prefix").matches[0].obj)
    assert prefix.summary == "The prefix of text commands." and prefix.obj.doc_id in base.documents


def test_servers_with_uploads_share_the_base_index(
    base: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collected: list[KnowledgeBase] = []

    def counted(kb: KnowledgeBase) -> list[api_objects.ApiObject]:
        collected.append(kb)
        return collect_objects(kb)

    monkeypatch.setattr(apiref, "collect_objects", counted)
    first = _server(base, tmp_path, 1, {"mybot.rst": UPLOAD_RST})
    second = _server(base, tmp_path, 2, {"notes.md": UPLOAD_MD})
    shared = ApiIndex.of(base)
    one, two = ApiIndex.of(first), ApiIndex.of(second)
    assert isinstance(one, OverlayApiIndex) and isinstance(two, OverlayApiIndex)
    assert one.base is shared and two.base is shared
    assert ApiIndex.of(first) is one and ApiIndex.ready(first)
    # The base's objects were collected once at most (the module's base may have been indexed
    # before); each server's, from its uploads alone.
    assert collected[-2:] == [first.own, second.own]
    assert base not in collected[1:] and first not in collected and second not in collected
    # Each server finds its own uploads only.
    assert one.lookup("Greeter.send").found and not two.lookup("Greeter.send").found
    assert two.lookup("Greeter.wave").found and not one.lookup("Greeter.wave").found
    assert not shared.lookup("Greeter").found
