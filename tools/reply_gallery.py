"""Screenshots of citebot's replies as members see them on Discord: one PNG for each kind of reply.

The real bot runs against simcord (an in-process Discord: no token, no network) over the built-in
article; members ask with ``/ask`` and a moderator saves a curated answer with ``/faq add``, as they
would on a server. simcord's preview serves each reply as a page on loopback; headless Chromium
(driven over its DevTools protocol, on loopback too) shoots the message once the page is ready, and
the PNG is trimmed to the message and compressed.

    pip install -e ".[gallery]"          # simcord's preview
    apt-get install -y chromium          # Debian's Chromium
    python tools/reply_gallery.py        # writes docs/images/reply-*.png

Re-run it after a change to how replies look: it shows whatever the bot produces now.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "images"

# The bot reads these at start; the gallery runs on defaults, in a state folder of its own, offline.
for name in ("CITEBOT_CONFIG", "DISCORD_TOKEN"):
    os.environ.pop(name, None)
os.environ["HF_HUB_OFFLINE"] = "1"

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
WIDTH = 900  # the window's width in CSS pixels: a desktop Discord chat column
HEIGHT = 1600  # tall enough for the longest reply; the PNG is clipped to the message
MAX_BYTES = 300_000
BOT_NAME = "citebot"

# What members ask, one reply kind each. The curated one is asked after a moderator saved its answer.
ANSWERED = "How does IgA get into breast milk?"
DECLINED = "Can I drink coffee while breastfeeding?"
RED_FLAG = "my 3 week old has a fever of 38.5, what do I do?"
CURATED_QUESTION = "Is it safe to take ibuprofen while breastfeeding?"
CURATED_ANSWER = (
    "Yes: ibuprofen is compatible with breastfeeding at the usual doses. "
    "Check with your pharmacist or doctor if you take other medicines too."
)
CURATED_ASKED = "can i take ibuprofen while i'm breastfeeding"
SOURCE = "who wrote this article?"


@dataclass(frozen=True)
class Shot:
    """One screenshot: the file's stem, who acts and sees the reply, and what they do."""

    name: str
    viewer: str
    doing: str
    act: Callable[[], Awaitable[object]]


def reply_of(result) -> object:
    """The message that carries the bot's reply to an interaction (after a defer, the follow-up)."""
    return result.followups[-1] if result.followups else result.response


class DevTools:
    """The few Chrome DevTools Protocol calls the gallery needs, over one page's WebSocket."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.sent = 0

    async def call(self, method: str, **params: object) -> dict:
        self.sent += 1
        await self.socket.send_json({"id": self.sent, "method": method, "params": params})
        while True:
            message = await self.socket.receive_json()
            if message.get("id") == self.sent:
                if "error" in message:
                    raise SystemExit(f"error: Chromium refused {method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression: str) -> object:
        result = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise SystemExit(f"error: the preview page failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")


# Ready: the page has drawn the published state and has no action in flight (the buttons of a page
# still settling are drawn as disabled).
READY = "Boolean(window.simcordPreview && window.simcordPreview.ready && window.simcordPreview.authorized)"
# The focused message's box, as simcord's own managed capture measures it.
SURFACE = """import('/geometry.js').then(geometry => {
  const found = geometry.captureGeometry({mode: 'surface', modal: false, targetId: %s});
  return found && {crop: geometry.rasterCrop(found.visibleCrop), extent: found.contentExtent};
})"""


async def take(chromium: str, url: str, target_id: int, out: Path, width: int, height: int) -> None:
    """Screenshots the focused message of a preview page with headless Chromium, driven over the
    DevTools protocol: it waits until the page is ready and clips to the message. (Chromium's own
    ``--screenshot`` shoots while the page is still settling its viewport, with the buttons dimmed.)
    Chromium runs as a subprocess: this process's event loop serves the preview meanwhile."""
    import aiohttp

    with tempfile.TemporaryDirectory(prefix="reply-gallery-chromium-") as profile:
        process = await asyncio.create_subprocess_exec(
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            endpoint = await asyncio.wait_for(_devtools_endpoint(process), timeout=60)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://{endpoint}/json/list") as listed:
                    pages = [t for t in await listed.json() if t.get("type") == "page"]
                if not pages:
                    raise SystemExit("error: Chromium opened no page")
                async with http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as socket:
                    tools = DevTools(socket)
                    await tools.call(
                        "Emulation.setDeviceMetricsOverride",
                        width=width,
                        height=height,
                        deviceScaleFactor=1,
                        mobile=False,
                    )
                    await tools.call("Page.navigate", url=url)
                    for _ in range(300):
                        if await tools.evaluate(READY):
                            break
                        await asyncio.sleep(0.1)
                    else:
                        raise SystemExit(f"error: the preview of {out.name} was not ready within 30 s")
                    surface = await tools.evaluate(SURFACE % json.dumps(str(target_id)))
                    if not surface or not surface["crop"]["width"] or not surface["crop"]["height"]:
                        raise SystemExit(f"error: the preview of {out.name} shows no message")
                    if surface["extent"]["height"] > surface["crop"]["height"] + 1:
                        print(
                            f"warning: {out.name} is cut off: pass a --height over {height}", file=sys.stderr
                        )
                    shot = await tools.call(
                        "Page.captureScreenshot", format="png", clip={**surface["crop"], "scale": 1}
                    )
                    out.write_bytes(base64.b64decode(shot["data"]))
                    with contextlib.suppress(Exception):
                        await tools.call("Browser.close")
        finally:
            if process.returncode is None:
                try:
                    await asyncio.wait_for(process.wait(), timeout=10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _devtools_endpoint(process) -> str:
    """host:port of Chromium's DevTools server, from the line it prints when it listens."""
    seen = []
    while line := await process.stderr.readline():
        text = line.decode(errors="replace").strip()
        seen.append(text)
        found = re.search(r"DevTools listening on ws://([^/]+)/", text)
        if found:
            # Keep reading its output, or Chromium blocks once the pipe is full.
            asyncio.get_running_loop().create_task(_drain(process.stderr))
            return found.group(1)
    raise SystemExit("error: Chromium did not start:\n" + "\n".join(seen[-5:]))


async def _drain(stream) -> None:
    while await stream.readline():
        pass


def trim(image, margin: int = 12):
    """The image without the empty background around what is drawn (the message box is as wide as
    the chat pane), keeping a margin."""
    from PIL import Image, ImageChops

    background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
    drawn = ImageChops.difference(image, background).convert("L").point(lambda v: 255 if v > 12 else 0)
    bbox = drawn.getbbox()
    if bbox is None:
        raise SystemExit("error: the screenshot shows no message")
    left, top, right, bottom = bbox
    return image.crop(
        (
            max(0, left - margin),
            max(0, top - margin),
            min(image.width, right + margin),
            min(image.height, bottom + margin),
        )
    )


def crop_and_compress(path: Path) -> tuple[int, int, int]:
    """Crops the screenshot to the reply and saves it as the smaller of a full-colour and a 256-colour
    PNG. Returns width, height and bytes."""
    from PIL import Image

    with Image.open(path) as opened:
        image = trim(opened.convert("RGB"))
    candidates = []
    for shot in (image, image.quantize(colors=256, dither=Image.Dither.NONE)):
        buffer = io.BytesIO()
        shot.save(buffer, format="PNG", optimize=True)
        candidates.append(buffer.getvalue())
    data = min(candidates, key=len)
    path.write_bytes(data)
    return image.width, image.height, len(data)


async def gallery(out: Path, chromium: str, width: int, height: int) -> list[Path]:
    import discord
    import simcord

    from bot import create_bot
    from bot.config import Config
    from knowledge import KnowledgeBase

    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="reply-gallery-") as tmp:
        state = Path(tmp) / "state"
        os.environ["CITEBOT_STATE_DIR"] = str(state)
        kb = KnowledgeBase.default(state_dir=Path(tmp) / "kb-cache")
        bot = create_bot(Config(state_dir=state), kb=kb)
        env = simcord.Env(bot, settle_timeout=30.0)
        # Members see the bot's account name; simcord's default is "TestBot".
        env.backend.bot_user.name = BOT_NAME
        await env.start()
        try:
            guild = env.create_guild("Milk & Immunity")
            channel = guild.create_text_channel("ask-the-article")
            mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
            people = {"mod": guild.add_member(env.create_user("mod"), roles=[mods])}
            # One member per question: each reply is that member's first of the day, as a newcomer
            # sees it (the daily medical notice included).
            for name in ("alice", "bob", "chloe", "dana", "emma"):
                people[name] = guild.add_member(env.create_user(name))

            def ask(name: str, question: str) -> Callable[[], Awaitable[object]]:
                return lambda: people[name].slash(channel, "ask", question=question)

            async def save_curated_answer():
                shown = await people["mod"].slash(channel, "faq add")
                if shown.modal is None:
                    raise SystemExit("error: /faq add showed no form")
                return await people["mod"].submit_modal(
                    shown,
                    {
                        "curate:question": CURATED_QUESTION,
                        "curate:answer": CURATED_ANSWER,
                        "curate:phrasings": "",
                        "curate:sources": "",
                    },
                )

            shots = [
                Shot("reply-answered", "alice", f"/ask {ANSWERED}", ask("alice", ANSWERED)),
                Shot("reply-declined", "bob", f"/ask {DECLINED}", ask("bob", DECLINED)),
                Shot("reply-red-flag", "chloe", f"/ask {RED_FLAG}", ask("chloe", RED_FLAG)),
                Shot("reply-curated-saved", "mod", f"/faq add {CURATED_QUESTION}", save_curated_answer),
                Shot("reply-curated", "dana", f"/ask {CURATED_ASKED}", ask("dana", CURATED_ASKED)),
                Shot("reply-source", "emma", f"/ask {SOURCE}", ask("emma", SOURCE)),
            ]
            out.mkdir(parents=True, exist_ok=True)
            for shot in shots:
                result = await shot.act()
                await env.settle()
                # The view of the one who acted: a reply only they may see (ephemeral) is shown too.
                async with env.preview(
                    channel, viewers=[people[shot.viewer]], layout="message", width=width, height=height
                ) as preview:
                    await preview.show(reply_of(result))
                    path = out / f"{shot.name}.png"
                    await take(chromium, preview.url, reply_of(result).id, path, width, height)
                shown_width, shown_height, size = crop_and_compress(path)
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                print(
                    f"{where}: {shown_width}x{shown_height}, {size // 1024} KB ({shot.viewer}: {shot.doing})"
                )
                written.append(path)
            for error in env.errors:
                print(f"warning: the bot raised {error!r}", file=sys.stderr)
        finally:
            await env.shutdown()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs (docs/images)")
    parser.add_argument("--chromium", default=None, help="the Chromium to run (chromium on the PATH)")
    parser.add_argument("--width", type=int, default=WIDTH, help="window width in pixels")
    parser.add_argument("--height", type=int, default=HEIGHT, help="window height before cropping")
    args = parser.parse_args(argv)

    chromium = args.chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print(
            "error: no chromium on the PATH (apt-get install -y chromium), or pass --chromium",
            file=sys.stderr,
        )
        return 2
    try:
        import simcord.preview  # noqa: F401  (its extra's packages are checked when a preview opens)
    except ImportError:
        print('error: simcord is not installed: pip install -e ".[gallery]"', file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))  # this checkout's bot, also where another one is installed
    written = asyncio.run(gallery(args.out.resolve(), chromium, args.width, args.height))
    too_big = [p for p in written if p.stat().st_size > MAX_BYTES]
    if too_big:
        print(f"warning: over {MAX_BYTES // 1000} KB: {', '.join(p.name for p in too_big)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
