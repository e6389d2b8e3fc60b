"""Timing helpers and Markdown output shared by the benchmark scripts."""

from __future__ import annotations

import datetime as dt
import os
import platform
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


def machine() -> str:
    return (
        f"{platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()})"
    )


def header(title: str, command: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"# {title}\n\nMachine: {machine()}. Date: {now}.\nReproduce: `{command}`\n"


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write(name: str, text: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return path


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def peak_traced_mb(fn: Callable[[], Any]) -> float:
    """Peak Python + NumPy heap allocated while ``fn`` runs (tracemalloc), in MiB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def latencies(fn: Callable[[str], Any], queries: Sequence[str]) -> tuple[list[Any], np.ndarray]:
    """Run ``fn`` once per query; results and per-call seconds."""
    out, times = [], np.empty(len(queries))
    for i, query in enumerate(queries):
        start = time.perf_counter()
        out.append(fn(query))
        times[i] = time.perf_counter() - start
    return out, times


def latency_summary(times: np.ndarray) -> dict[str, float]:
    return {
        "p50_ms": float(np.percentile(times, 50) * 1000),
        "p99_ms": float(np.percentile(times, 99) * 1000),
        "qps": float(len(times) / times.sum()) if times.sum() else 0.0,
    }
