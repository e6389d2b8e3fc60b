"""The tables of `bench/fleet.py` (see there for what each measures)."""

from __future__ import annotations

import statistics
from typing import Any

import report

CURATED_PER_SERVER = 3
DOCS_PER_UPLOAD = 3


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def start_rows(label: str, worker: Any, reference_kib: float | None) -> tuple:
    s, k = worker.started, worker.started["kib"]
    share = f"{k['loaded'] / reference_kib * 100:.0f} %" if reference_kib else "100 %"
    return (
        label,
        ",".join(map(str, worker.shards)),
        f"{s['plain']:,} + {s['uploads']:,}",
        f"{s['seconds']['total']:.1f} s ({s['seconds']['load']:.1f} s)",
        f"{mib(k['imports'])}, {mib(k['base'])}",
        mib(k["loaded"]),
        mib(k["peak"]),
        share,
    )


def per_server(worker: Any) -> tuple[float, float, float]:
    """KiB per server without uploads, per server with uploads, and the mean saved index of one."""
    s, k = worker.started, worker.started["kib"]
    plain = (k["plain"] - k["base"]) / max(s["plain"], 1)
    uploads = (k["loaded"] - k["plain"]) / max(s["uploads"], 1)
    index = statistics.mean(s["index_kib"]) if s["index_kib"] else float("nan")
    return plain, uploads, index


def render(args, shard_count, fill_s, runs, delays, down, wrong, memory_after) -> str:
    """The Markdown report of one run (``runs``: each start's one process, or None, and processes)."""
    rows, kinds, shares, slowest, plain_max, ratio_max = [], [], {}, {}, {}, {}
    for run, (reference, workers) in runs.items():
        ref_kib = reference.started["kib"]["loaded"] if reference else None
        labelled = ([(f"one process, every shard ({run})", reference)] if reference else []) + [
            (f"process {i + 1} of {len(workers)} ({run})", w) for i, w in enumerate(workers)
        ]
        for label, worker in labelled:
            rows.append(start_rows(label, worker, None if worker is reference else ref_kib))
            plain_kib, uploads_kib, index_kib = per_server(worker)
            kinds.append(
                (
                    label,
                    f"{plain_kib:.0f} KiB",
                    f"{uploads_kib:.0f} KiB",
                    f"{index_kib:.0f} KiB",
                    f"{uploads_kib / index_kib:.1f}×",
                )
            )
        loaded = max(w.started["kib"]["loaded"] for w in workers)
        shares[run] = loaded / ref_kib * 100 if ref_kib else float("nan")
        slowest[run] = max(w.started["seconds"]["total"] for w in workers)
        plain_max[run] = max(per_server(w)[0] for w in workers)
        ratio_max[run] = max(per_server(w)[1] / per_server(w)[2] for w in workers)
    reference, workers = runs["first start"]
    asks = []
    for label, worker in ([("one process", reference)] if reference else []) + [
        (f"process {i + 1}", w) for i, w in enumerate(workers)
    ]:  # asked after the first start
        a = worker.asks
        asks.append(
            (
                label,
                f"{percentile(a['uploads'], 0.5):.2f} / {percentile(a['uploads'], 0.99):.2f} ms",
                f"{percentile(a['plain'], 0.5):.2f} / {percentile(a['plain'], 0.99):.2f} ms",
            )
        )
    prop = [
        (way, len(d), f"{statistics.median(d) * 1000:.0f} ms", f"{max(d) * 1000:.0f} ms")
        for way, d in delays.items()
    ]
    out = [
        (
            r["phase"],
            r["edits"],
            r["acknowledged"],
            r["refused"],
            r["lost"],
            r["refused yet stored or served"],
            r["seconds to answer the moderator, p50 / max"],
        )
        for r in down["rows"]
    ]
    refusal = next((r["refusal"] for r in down["rows"] if r["refusal"]), "none")
    attempts = [
        (
            a["name"],
            "refused to start" if "refused" in a["outcome"] else "STARTED",
            a["code"],
            a["outcome"].get("refused", "")[:140].replace("|", "/"),
        )
        for a in wrong["attempts"]
    ]
    lost = sum(r["lost"] for r in down["rows"])

    def both(figures: dict[str, float], unit: str, bar: float) -> tuple[str, str]:
        shown = " · ".join(f"{run} {value:.1f}{unit}" for run, value in figures.items())
        return shown, "yes" if max(figures.values()) <= bar else "no"

    targets = [
        ("each of the processes holds ≤ 30 % of the single process's memory", *both(shares, " %", 30)),
        ("each starts in ≤ 60 s", *both(slowest, " s", 60)),
        ("memory per server without uploads ≤ 37 KiB", *both(plain_max, " KiB", 37)),
        ("memory per server with uploads ≤ 2× its own saved index", *both(ratio_max, "×", 2)),
        ("changes lost in the outage", lost, "yes" if lost == 0 else "no"),
        (
            "answers recorded twice with misconfigured processes",
            wrong["duplicates"],
            "yes" if wrong["duplicates"] == 0 else "no",
        ),
    ]
    command = (
        "python bench/fleet.py"
        + (f" --servers {args.servers}" if args.servers != 10_000 else "")
        + (f" --processes {args.processes}" if args.processes != 4 else "")
    )
    uploads = round(args.servers * args.uploads)
    return "\n\n".join(
        [
            report.header(
                f"A fleet of {len(workers)} bot processes over one PostgreSQL, {args.servers:,} servers",
                command,
            ),
            f"{args.servers:,} servers ({uploads:,} with {DOCS_PER_UPLOAD} uploaded Markdown documents "
            f"each; every one with {CURATED_PER_SERVER} curated answers and a glossary term) over the "
            f"built-in article, {shard_count} shards; rows copied into the database in {fill_s:.1f} s. "
            "Each process is the bot's own start-up without a Discord login. First start: a fresh "
            "state folder (a new host), and the indexes stored by other processes emptied before, so "
            "each builds its own (and the shared base's: that imports scikit-learn and SciPy, about "
            "110 MiB). Restart: the same processes started again with their state folders kept (saved "
            "indexes and copied uploads). On a shared 2-core machine with other work running: "
            "timings are those of a busy machine.",
            "**Start-up and memory per process** (start: from spawning the process until every server of "
            "its shards is loaded, of which loading the servers; memory: resident, after the imports "
            "(the bot, discord.py, NumPy…), after the shared knowledge base was loaded, after every "
            "server was loaded (settled), and the peak):",
            report.table(
                (
                    "process",
                    "shards",
                    "servers without + with uploads",
                    "start (servers)",
                    "imports, base loaded",
                    "all loaded",
                    "peak",
                    "of the one process",
                ),
                rows,
            ),
            "**Memory per server** (growth of the settled memory while loading the servers of each kind, "
            "per server; the index a server with uploads saves in its process's state folder, mean):",
            report.table(
                ("process", "without uploads", "with uploads", "its saved index", "with uploads / index"),
                kinds,
            ),
            f"**`/ask`** (`Assistant.ask`, {args.asks} questions to random servers of each kind, one process "
            "asked at a time, p50 / p99):",
            report.table(("process", "servers with uploads", "servers without"), asks),
            "**A curated edit, from saving to served by the other process** (a shard process and a reader "
            "that is not sharded, as the console or the command line, over LISTEN/NOTIFY):",
            report.table(("direction", "edits", "p50", "max"), prop),
            f"**Outage**: curated edits through the shard processes (each to a server of its own) before, "
            "while the database was stopped (`pg_ctl stop -m fast`, started again "
            f"{args.down:.0f} s later) and after; lost: acknowledged as saved, then missing from the "
            "database or not served by the server's process 30 s later.",
            report.table(
                (
                    "phase",
                    "edits",
                    "acknowledged",
                    "refused",
                    "lost",
                    "refused yet stored or served",
                    "s to answer the moderator, p50 / max",
                ),
                out,
            ),
            f'Refusal as the moderator reads it: "{refusal}". While stopped, '
            f"{down['answered']['answered']} questions were answered ({down['answered']['unrecorded']} "
            "not recorded, as the bot then answers without buttons). After the start, the first edit "
            f"was accepted {fmt_s(down['first_ok_s'])} later ({down['retried']} of the after edits were "
            "refused at first and accepted when tried again a second later); "
            f"all {shard_count} shards were held again {fmt_s(down['reclaimed_s'])} later.",
            f"**Misconfigured processes** started while the fleet runs; then {wrong['events']} gateway "
            "events delivered to every running process of their shard, each answering and recording "
            "its answer:",
            report.table(("second process", "outcome", "exit status", "message"), attempts),
            f"Answers recorded: {wrong['recorded']} for {wrong['events']} events; recorded twice: "
            f"**{wrong['duplicates']}**. Memory of the fleet's processes at the end: "
            + ", ".join(mib(m["rss"]) for m in memory_after)
            + ".",
            "**Targets:**",
            report.table(("target", "measured", "met"), targets),
        ]
    )


def fmt_s(value: float | None) -> str:
    return "never (within 120 s)" if value is None else f"{value:.1f} s"
