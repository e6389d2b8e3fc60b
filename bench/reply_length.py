"""How long replies are: every question of tests/knowledge/everyday_questions.yaml asked with
`/ask` on the real bot (simcord, an in-process Discord), each by a member who has not had the daily
medical notice yet, so it is in every answer and warning measured (a plain decline goes without it).

Counts characters members read (a masked link shows its label only; Markdown markers and the
small print's `-# ` are not read) and the raw characters sent, for answers and declines; the
targets are 1,000 for an answer and 500 for a decline (what members read). Replies to a
red-flagged question are counted apart: their warning comes first and is never shortened. Run:
python bench/reply_length.py
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import report
import simcord
import yaml

from bot import create_bot
from bot.config import Config, CooldownConfig
from bot.render import DECLINED_TITLE
from knowledge import KnowledgeBase

QUESTIONS_FILE = Path(__file__).resolve().parents[1] / "tests" / "knowledge" / "everyday_questions.yaml"
TARGET = {"answer": 1000, "decline": 500, "answer, red flag": 1000, "decline, red flag": 500}
_MASKED_LINK = re.compile(r"\[([^\]]*)\]\(<?https?://[^)\s]+>?\)")


def raw_text(message: object) -> str:
    parts = [message.content or ""]  # type: ignore[attr-defined]
    for embed in message.embeds:  # type: ignore[attr-defined]
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{f.name}\n{f.value}" for f in embed.fields]
        if embed.footer and embed.footer.text:
            parts.append(embed.footer.text)
    return "\n".join(parts)


def read_text(text: str) -> str:
    """What members read of ``text``: masked links as their label, no Markdown markers."""
    text = _MASKED_LINK.sub(r"\1", text)
    text = re.sub(r"^-# ", "", text, flags=re.MULTILINE)
    return re.sub(r"\\(.)", r"\1", text.replace("**", ""))


async def measure() -> dict[str, list[tuple[int, int]]]:
    folder = Path(tempfile.mkdtemp(prefix="citebot-reply-length-"))
    data = yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))
    asked = [item["question"] for group in ("answerable", "off_topic") for item in data.get(group, [])]
    config = Config(state_dir=folder / "state", cooldown=CooldownConfig(rate=10**6, per=1.0))
    bot = create_bot(config, kb=KnowledgeBase.default(state_dir=folder / "kb"))
    lengths: dict[str, list[tuple[int, int]]] = {kind: [] for kind in TARGET}
    red_flags = config.notices.red_flag_check()
    async with simcord.run(bot) as env:
        guild = env.create_guild("lengths")
        channel = guild.create_text_channel("help")
        for n, question in enumerate(asked):
            member = guild.add_member(env.create_user(f"member-{n}"))
            result = await member.slash(channel, "ask", question=question)
            message = result.response
            kind = "decline" if message.embeds and message.embeds[0].title == DECLINED_TITLE else "answer"
            flag = red_flags.check(question)
            if flag is not None and (message.content or "").startswith(flag.message):
                kind += ", red flag"
            raw = raw_text(message)
            lengths[kind].append((len(read_text(raw)), len(raw)))
    return lengths


def main() -> None:
    lengths = asyncio.run(measure())
    rows = []
    for kind, values in lengths.items():
        if not values:
            continue
        read = np.array([v[0] for v in values])
        raw = np.array([v[1] for v in values])
        rows.append(
            [
                kind,
                len(values),
                int(np.median(read)),
                int(read.max()),
                int((read > TARGET[kind]).sum()),
                int(np.median(raw)),
                int(raw.max()),
                TARGET[kind],
            ]
        )
    columns = ["reply", "n", "read p50", "read max", "read over target", "raw p50", "raw max", "target"]
    text = "\n".join(
        [
            report.header("Reply length over the everyday questions", "python bench/reply_length.py"),
            report.table(columns, rows),
            "",
            "read: characters members read (masked links as their label, no Markdown markers); "
            "raw: characters sent. Every answer and warning includes the daily medical notice; a plain "
            "decline goes without it.",
        ]
    )
    print(text)
    print(report.write("reply_length.md", text))


if __name__ == "__main__":
    main()
