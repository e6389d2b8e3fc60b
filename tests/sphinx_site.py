"""A small Sphinx-built API page and its object inventory (``objects.inv``, written with sphobjinv),
as discord.py's documentation publishes them, for the /lookup tests."""

from __future__ import annotations

from pathlib import Path

import sphobjinv

SITE = "https://discordpy.example.org/en/stable/"


def _sig(anchor: str, prefix: str, name: str, params: str | None) -> str:
    paren = (
        f"<span class='sig-paren'>(</span>{params}<span class='sig-paren'>)</span>"
        if params is not None
        else ""
    )
    return (
        f'<dt class="sig sig-object py" id="{anchor}">\n'
        f"<em class='property'>{prefix}</em><span class='sig-name descname'>{name}</span>{paren}"
        f'<a class="headerlink" href="#{anchor}">¶</a></dt>'
    )


API_PAGE = f"""<!doctype html><html><head><title>API Reference</title></head><body>
<section id="api-reference"><h1>API Reference<a class="headerlink" href="#api-reference">¶</a></h1>
<section id="clients"><h2>Clients<a class="headerlink" href="#clients">¶</a></h2>
<dl class="py class">{_sig("discord.Client", "class ", "discord.Client", "*, intents")}
<dd><p>Represents a client connection that connects to Discord. This class is used to interact
with the Discord WebSocket and API.</p>
<dl class="py method">{_sig("discord.Client.run", "", "run", "token")}
<dd><p>A blocking call that abstracts away the event loop initialisation from you.</p></dd></dl>
</dd></dl></section>
<section id="abcs"><h2>Abstract Base Classes<a class="headerlink" href="#abcs">¶</a></h2>
<dl class="py class">{_sig("discord.abc.Messageable", "class ", "discord.abc.Messageable", None)}
<dd><p>An ABC that details the common operations on a model that can send messages.</p>
<dl class="py method">{_sig("discord.abc.Messageable.send", "await ", "send", "content=None, *, tts=False")}
<dd><p>This function is a <em>coroutine</em>.</p>
<p>Sends a message to the destination with the content given. The content must be a type that
can convert to a string.</p></dd></dl>
</dd></dl></section>
<section id="webhooks"><h2>Webhooks<a class="headerlink" href="#webhooks">¶</a></h2>
<dl class="py class">{_sig("discord.Webhook", "class ", "discord.Webhook", None)}
<dd><p>Represents an asynchronous Discord webhook.</p>
<dl class="py method">{_sig("discord.Webhook.send", "await ", "send", "content")}
<dd><p>Sends a message using the webhook.</p></dd></dl>
</dd></dl></section></section></body></html>
""".encode()

API_OBJECTS = [
    ("discord.Client", "class"),
    ("discord.Client.run", "method"),
    ("discord.abc.Messageable", "class"),
    ("discord.abc.Messageable.send", "method"),
    ("discord.Webhook", "class"),
    ("discord.Webhook.send", "method"),
]


def inventory_bytes(objects: list[tuple[str, str]] = API_OBJECTS, page: str = "api.html") -> bytes:
    """A zlib-compressed objects.inv listing ``objects`` (py domain) on ``page``, with a section
    label (not an API object) beside them."""
    inventory = sphobjinv.Inventory()
    inventory.project, inventory.version = "discord.py", "2.7"
    for name, role in objects:
        inventory.objects.append(
            sphobjinv.DataObjStr(
                name=name, domain="py", role=role, priority="1", uri=f"{page}#$", dispname="-"
            )
        )
    inventory.objects.append(
        sphobjinv.DataObjStr(
            name="clients",
            domain="std",
            role="label",
            priority="-1",
            uri=f"{page}#clients",
            dispname="Clients",
        )
    )
    return sphobjinv.compress(inventory.data_file())


def write_crawled_site(folder: Path, site: str = SITE) -> Path:
    """``folder`` as a crawl leaves a Sphinx site: the page, the inventory and the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "api.html").write_bytes(API_PAGE)
    (folder / "objects.inv").write_bytes(inventory_bytes())
    (folder / "citebot.yaml").write_text(
        f"crawl:\n  site: {site}\n  pages:\n  - url: {site}api.html\n    file: api.html\n", encoding="utf-8"
    )
    return folder
