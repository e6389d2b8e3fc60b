"""/lookup on a generated 10,000-object Sphinx inventory: the index against naive scans.

    python bench/lookup.py [--objects 10000] [--queries 400]

A synthetic API shaped like a Python library's: modules of classes with methods and attributes
(method names shared by many classes, as ``send`` is in discord.py), module functions, options and
config keys, one HTML page per module as Sphinx writes it and the objects.inv listing them all
(written with sphobjinv). Queries are what members type: exact full names, the end of a name
(``send``, ``Client.run``), misspellings, prefixes (an autocomplete keystroke) and names that do
not exist. Three ways to answer each:

- the index (knowledge.apiref.ApiIndex.lookup): dictionaries for exact names and suffixes, a
  bisection for prefixes, rapidfuzz over the distinct names;
- a naive scan: every object compared in Python (equal, ends with, starts with, else rapidfuzz's
  ratio);
- the rtfm-style scan of discord.py's community bot: each name searched with a regex of the
  query's letters in order, ranked by match length and position (it finds, but cannot tell a
  name from a misspelling).

The scans are timed on the first 20 queries of each kind (they take a quarter of a second each).

"/lookup reply" adds describing the best match (the first sentence from its page and the
citation), as the bot does before answering. Build is reading the inventory and indexing.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import report
import sphobjinv
from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge import KnowledgeBase  # noqa: E402
from knowledge.apiref import ApiIndex, ApiObject  # noqa: E402

SEED = 7
SCANNED = 20  # queries of each kind timed with the scans
SITE = "https://docs.example.org/en/stable/"
WORDS = [
    "client",
    "guild",
    "channel",
    "message",
    "member",
    "role",
    "emoji",
    "sticker",
    "webhook",
    "invite",
    "thread",
    "voice",
    "stage",
    "audit",
    "entitlement",
    "interaction",
    "command",
    "app",
    "tree",
    "context",
    "view",
    "button",
    "select",
    "modal",
    "embed",
    "file",
    "attachment",
    "reaction",
    "permission",
    "intent",
    "shard",
    "gateway",
    "http",
    "route",
    "cache",
    "state",
    "presence",
    "activity",
]
VERBS = [
    "send",
    "fetch",
    "edit",
    "delete",
    "create",
    "get",
    "add",
    "remove",
    "clear",
    "start",
    "stop",
    "run",
    "close",
    "connect",
    "sync",
]
ATTRIBUTES = [
    "id",
    "name",
    "created_at",
    "guild",
    "owner",
    "members",
    "channels",
    "roles",
    "topic",
    "position",
]


def generate(n: int, folder: Path) -> list[tuple[str, str]]:
    """Write ``folder`` as a crawled Sphinx site with about ``n`` objects; returns (name, role)."""
    rng = random.Random(SEED)
    objects: list[tuple[str, str]] = []
    pages: dict[str, list[str]] = {}
    module_no = 0
    while len(objects) < n:
        module = f"lib.{WORDS[module_no % len(WORDS)]}{module_no // len(WORDS) or ''}"
        module_no += 1
        body = []
        for c in range(rng.randint(6, 12)):
            cls = f"{module}.{rng.choice(WORDS).title()}{rng.choice(WORDS).title()}{c}"
            objects.append((cls, "class"))
            body.append(
                _entry(cls, "class ", cls, f"Represents a {cls.rsplit('.', 1)[1].lower()} of the API.")
            )
            members = rng.sample(VERBS, rng.randint(3, 8)) + rng.sample(ATTRIBUTES, rng.randint(1, 4))
            for member in members:
                role = "attribute" if member in ATTRIBUTES else "method"
                objects.append((f"{cls}.{member}", role))
                body.append(
                    _entry(
                        f"{cls}.{member}",
                        "await " if role == "method" else "",
                        member,
                        f"The {member} of it.",
                    )
                )
        for f in range(rng.randint(2, 5)):
            func = f"{module}.{rng.choice(VERBS)}_{rng.choice(WORDS)}{f}"
            objects.append((func, "function"))
            body.append(_entry(func, "", func, "A helper that does one thing well."))
        pages[module] = body
    html_dir = folder / "site"
    html_dir.mkdir(parents=True)
    listed = []
    for module, body in pages.items():
        file = f"{module}.html"
        (html_dir / file).write_text(
            f"<html><head><title>{module}</title></head><body><h1>{module}</h1>{''.join(body)}</body></html>",
            encoding="utf-8",
        )
        listed.append(f"  - url: {SITE}{file}\n    file: {file}\n")
    (html_dir / "citebot.yaml").write_text(
        f"crawl:\n  site: {SITE}\n  pages:\n{''.join(listed)}", encoding="utf-8"
    )
    inventory = sphobjinv.Inventory()
    inventory.project, inventory.version = "lib", "1.0"
    page_of = {}
    for name, role in objects:
        module = ".".join(name.split(".")[:2])
        page_of[name] = f"{module}.html"
        inventory.objects.append(
            sphobjinv.DataObjStr(
                name=name, domain="py", role=role, priority="1", uri=f"{page_of[name]}#$", dispname="-"
            )
        )
    sphobjinv.writebytes(html_dir / "objects.inv", sphobjinv.compress(inventory.data_file()))
    return objects


def _entry(anchor: str, prefix: str, name: str, text: str) -> str:
    return f'<dl><dt id="{anchor}">{prefix}{name}(x)<a href="#{anchor}">¶</a></dt><dd><p>{text}</p></dd></dl>'


def queries(objects: list[tuple[str, str]], count: int) -> dict[str, list[str]]:
    rng = random.Random(SEED + 1)
    names = [n for n, _ in objects]

    def typo(word: str) -> str:
        i = rng.randrange(1, len(word) - 1)
        return (
            word[:i] + word[i + 1 :]
            if rng.random() < 0.5
            else word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        )

    k = count // 5
    return {
        "exact": rng.sample(names, k),
        "suffix": [".".join(n.split(".")[-rng.randint(1, 2) :]) for n in rng.sample(names, k)],
        "misspelt": [typo(n.split(".")[-1]) for n in rng.sample(names, k) if len(n.split(".")[-1]) > 4][:k],
        "prefix": [n.split(".")[-1][: rng.randint(2, 5)] for n in rng.sample(names, k)],
        "unknown": [f"zq{rng.choice(WORDS)}xv" for _ in range(k)],
    }


def naive(objects: list[ApiObject], query: str, limit: int = 10) -> list[ApiObject]:
    """Every object compared in Python, in the index's order of tiers."""
    q = query.casefold()
    tiers: list[list[tuple[float, int, ApiObject]]] = [[], [], [], []]
    for obj in objects:
        name = obj.name.casefold()
        if name == q:
            tiers[0].append((0, len(name), obj))
        elif name.endswith("." + q):
            tiers[1].append((0, len(name), obj))
        elif any(part.startswith(q) for part in name.split(".")):
            tiers[2].append((0, len(name), obj))
        else:
            score = fuzz.ratio(q, name.rsplit(".", 1)[-1])
            if score >= 70:
                tiers[3].append((-score, len(name), obj))
    out = [o for tier in tiers for _, _, o in sorted(tier, key=lambda t: t[:2])]
    return out[:limit]


def rtfm(objects: list[ApiObject], query: str, limit: int = 10) -> list[ApiObject]:
    """RoboDanny's ``fuzzy.finder``: the query's letters in order anywhere in the name."""
    pattern = re.compile(".*?".join(map(re.escape, query)), re.I)
    found = []
    for obj in objects:
        match = pattern.search(obj.name)
        if match:
            found.append((len(match.group()), match.start(), obj.name, obj))
    return [o for *_, o in sorted(found, key=lambda t: t[:3])][:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        objects = generate(args.objects, folder)
        kb = KnowledgeBase.from_folder(folder, cache=False)
        start = time.perf_counter()
        index = ApiIndex.of(kb)
        build = time.perf_counter() - start
        asked = queries(objects, args.queries)
        everything = [q for qs in asked.values() for q in qs]
        index.lookup("warm up")
        rows = []
        for label, fn in (
            ("index (ApiIndex.lookup)", index.lookup),
            ("naive scan", lambda q: naive(index.objects, q)),
            ("rtfm-style regex scan", lambda q: rtfm(index.objects, q)),
        ):
            row: list[object] = [label]
            scan = label != "index (ApiIndex.lookup)"
            for kind in ("exact", "suffix", "misspelt", "prefix", "unknown"):
                _, times = report.latencies(fn, asked[kind][:SCANNED] if scan else asked[kind])
                row.append(report.latency_summary(times)["p50_ms"])
            _, times = report.latencies(
                fn, [q for qs in asked.values() for q in qs[:SCANNED]] if scan else everything
            )
            summary = report.latency_summary(times)
            rows.append([*row, summary["p50_ms"], summary["p99_ms"]])

        def reply(q: str) -> object:
            result = index.lookup(q, 6)
            return index.describe(result.matches[0].obj) if result.matches else None

        _, times = report.latencies(reply, everything)
        summary = report.latency_summary(times)
        rows.append(
            ["/lookup reply (index + describe)", "", "", "", "", "", summary["p50_ms"], summary["p99_ms"]]
        )
        _, times = report.latencies(index.complete, asked["prefix"])
        summary = report.latency_summary(times)
        rows.append(["autocomplete (25 choices)", "", "", "", "", "", summary["p50_ms"], summary["p99_ms"]])
        found = sum(index.lookup(q).found for q in asked["suffix"]) / len(asked["suffix"])
        suggested = sum(bool(index.lookup(q).matches) for q in asked["misspelt"]) / len(asked["misspelt"])
        wrong = sum(bool(index.lookup(q).matches) for q in asked["unknown"])
    columns = [
        "",
        "exact p50 ms",
        "suffix p50",
        "misspelt p50",
        "prefix p50",
        "unknown p50",
        "all p50 ms",
        "all p99 ms",
    ]
    text = "\n\n".join(
        [
            report.header(
                "/lookup", f"python bench/lookup.py --objects {args.objects} --queries {args.queries}"
            ),
            f"{len(index):,} objects over {len(kb.documents)} pages; index built in {build:.2f} s "
            f"(reading the inventory included); {len(everything)} queries.",
            report.table(columns, rows),
            f"Suffix queries found: {found:.0%}. Misspelt names with a suggestion: {suggested:.0%}. "
            f"Unknown names with a (wrong) suggestion: {wrong} of {len(asked['unknown'])}.",
        ]
    )
    print(text)
    report.write("lookup.md", text)


if __name__ == "__main__":
    main()
