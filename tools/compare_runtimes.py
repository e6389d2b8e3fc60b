"""NumPy encoder against ONNX Runtime, side by side in one process, on the same texts and tokenizer.

    /tmp/refvenv/bin/python tools/export_onnx.py MODEL_FOLDER /tmp/minilm.onnx
    /tmp/refvenv/bin/python tools/compare_runtimes.py MODEL_FOLDER /tmp/minilm.onnx

Runs in the scratch venv of tools/semantic_reference.py (it needs onnxruntime, never a citebot
dependency); citebot's encoder module is loaded from its file. Both run on one thread. Prints the
agreement with the sentence-transformers reference, load time, one-question latency and passage
throughput; the figures are in bench/results/semantic_runtime.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "knowledge" / "data" / "semantic_reference.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("onnx")
    args = parser.parse_args()
    import onnxruntime as ort

    spec = importlib.util.spec_from_file_location("encoder", ROOT / "knowledge" / "semantic" / "encoder.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with np.load(REFERENCE, allow_pickle=False) as data:
        texts, reference = data["texts"].tolist(), data["vectors"]

    started = time.perf_counter()
    encoder = module.Encoder.from_folder(args.model)
    numpy_load = time.perf_counter() - started
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    started = time.perf_counter()
    session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
    onnx_load = time.perf_counter() - started

    def onnx_encode(batch: list[str]) -> np.ndarray:
        ids = [e.ids for e in encoder.tokenizer.encode_batch(batch)]
        tokens = np.zeros((len(ids), max(map(len, ids))), np.int64)
        mask = np.zeros_like(tokens)
        for i, row in enumerate(ids):
            tokens[i, : len(row)], mask[i, : len(row)] = row, 1
        return session.run(None, {"input_ids": tokens, "attention_mask": mask})[0]

    got = {
        "numpy": encoder.encode(texts),
        "onnx": np.concatenate([onnx_encode(texts[i : i + 16]) for i in range(0, len(texts), 16)]),
    }
    questions = [t for t in texts if len(t) < 200][:50]
    passages = [t for t in texts if len(t) >= 200] * 4
    runs = {"numpy": lambda batch: encoder.encode(batch), "onnx": onnx_encode}
    print(f"load s: numpy {numpy_load:.3f}, onnx {onnx_load:.3f}")
    for name, encode in runs.items():
        cosine = float((got[name] * reference).sum(axis=1).min())
        times = []
        for question in questions:
            started = time.perf_counter()
            encode([question])
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        for i in range(0, len(passages), 24):
            encode(passages[i : i + 24])
        rate = len(passages) / (time.perf_counter() - started)
        print(
            f"{name}: min cosine to reference {cosine:.7f}; one question p50 "
            f"{np.percentile(times, 50) * 1000:.1f} ms, p99 {np.percentile(times, 99) * 1000:.1f} ms; "
            f"{rate:.1f} passages/s ({len(passages)} passages)"
        )


if __name__ == "__main__":
    main()
