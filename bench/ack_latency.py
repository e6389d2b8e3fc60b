"""How soon `/ask` is acknowledged with 1,000 interactions in flight across 100 servers.

The real bot runs against simcord (the in-process Discord the tests use). All interactions are
delivered first, as Discord would deliver a burst, and the bot then works through them together;
each one's acknowledgement latency is the real time from its delivery to the bot's first response
(the "thinking…" defer, or a refusal) reaching the simulated Discord. Discord allows 3 s. Also
reported: how long until every answer was out. Run: python bench/ack_latency.py
[--asks 1000] [--servers 100] [--label after]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import report
import simcord

from bot import create_bot
from bot.config import Config, CooldownConfig
from knowledge import KnowledgeBase

QUESTIONS = (
    "What is the enteromammary immune system?",
    "How does secretory IgA reach breast milk?",
    "What does colostrum contain?",
    "How does the mother's gut shape her milk?",
    "What is the capital of France?",
    "Which cells travel from the gut to the breast?",
)
MEMBERS_PER_SERVER = 10


class TimedLog(list):
    """simcord's request log, with the real time each request arrived (simcord virtualises
    time.monotonic inside the bot, not perf_counter)."""

    def __init__(self, items: list) -> None:
        super().__init__(items)
        self.times = [0.0] * len(self)

    def append(self, item: object) -> None:
        super().append(item)
        self.times.append(time.perf_counter())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(asks: int, servers: int, window: float, state: Path, kb: KnowledgeBase) -> dict[str, float]:
    config = Config(state_dir=state, cooldown=CooldownConfig(rate=asks, per=60.0))
    async with simcord.run(create_bot(config, kb=kb)) as env:
        env.settle_timeout = 600.0  # a guard against a hang, not a limit on the measure
        guilds = [env.create_guild(f"Server {n}") for n in range(servers)]
        channels = [guild.create_text_channel("help") for guild in guilds]
        members = [
            [guild.add_member(env.create_user(f"member{n}-{m}")) for m in range(MEMBERS_PER_SERVER)]
            for n, guild in enumerate(guilds)
        ]
        for n, channel in enumerate(channels):  # every server loaded, the bot warm
            warm = await members[n][0].slash(channel, "ask", question=QUESTIONS[n % len(QUESTIONS)])
            assert warm.response.embeds
        env.backend.http_requests = log = TimedLog(env.backend.http_requests)
        settle = env._settle_internal

        async def dispatch_only(**_kwargs: object) -> None:
            return None  # the bot keeps working while more interactions arrive

        delivered: dict[int, float] = {}
        results = []
        env._settle_internal = dispatch_only
        try:
            start = time.perf_counter()
            for n in range(asks):
                # Interactions reach a real bot over the network, spread over the window, while its
                # event loop keeps running: each is delivered once its time has come and the loop
                # lets the delivery run, and its wait counts from its time.
                arrival = start + window * n / asks
                while time.perf_counter() < arrival:
                    await asyncio.sleep(0)
                server = n % servers
                member = members[server][(n // servers) % MEMBERS_PER_SERVER]
                result = await member.slash(channels[server], "ask", question=QUESTIONS[n % len(QUESTIONS)])
                delivered[result._interaction.id] = arrival if window else time.perf_counter()
                results.append(result)
                if window:
                    await asyncio.sleep(0)
            burst_end = time.perf_counter()
            del env._settle_internal
            await settle(timeout=600.0)
            done = time.perf_counter()
        finally:
            env.__dict__.pop("_settle_internal", None)
        acked: dict[int, float] = {}
        for entry, at in zip(log, log.times, strict=True):
            found = re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", entry.path)
            if found and entry.method == "POST":
                acked.setdefault(int(found.group(1)), at)
        missing = set(delivered) - set(acked)
        assert not missing, f"{len(missing)} interactions never acknowledged"
        waits = [acked[i] - delivered[i] for i in delivered]
        answered = sum(1 for r in results if r.response.embeds)
        first = min(delivered.values())
        return {
            "p50": percentile(waits, 0.5),
            "p99": percentile(waits, 0.99),
            "max": max(waits),
            "over 3 s": sum(1 for w in waits if w > 3.0),
            "answered": answered,
            "burst": burst_end - first,
            "all answered": done - first,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--asks", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument(
        "--window", type=float, default=0.0, help="seconds over which the asks arrive (0: all at once)"
    )
    parser.add_argument("--label", default="this checkout")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        kb = KnowledgeBase.default(state_dir=state / "kb")
        load_before = os.getloadavg()[0]
        found = asyncio.run(measure(args.asks, args.servers, args.window, state / "state", kb))
    columns = [
        "code",
        "asks / servers",
        "ack p50 s",
        "ack p99 s",
        "ack max s",
        "acks over 3 s",
        "answered",
        "delivering the burst s",
        "all answered s",
        "load before",
    ]
    row = (
        args.label,
        f"{args.asks:,} / {args.servers}",
        found["p50"],
        found["p99"],
        found["max"],
        int(found["over 3 s"]),
        f"{int(found['answered']):,}",
        found["burst"],
        found["all answered"],
        f"{load_before:.1f}",
    )
    text = report.header("/ask acknowledgement under load", "python bench/ack_latency.py")
    text += "\n" + report.table(columns, [row]) + "\n"
    print(text)
    report.write("ack_latency.md", text)


if __name__ == "__main__":
    main()
