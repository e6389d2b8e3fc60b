"""Answers and declines with the semantic channel against without it: the everyday-words questions
(tune and test halves), the seed set, the curated-answer calibration set, answerability on SciFact
and NFCorpus, `/ask` latency on the built-in article and the cold start of `citebot ask`.

    python bench/hybrid_answers.py MODEL_FOLDER [--skip-answerability]

Choices (``FusionSettings`` in knowledge/semantic/index.py) were made on the everyday tune half only;
the test half is the figure to report. Answerability reuses the vectors bench/hybrid.py cached.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import beir  # puts the checkout on sys.path
import report
import yaml

from knowledge import Assistant, Document, KnowledgeBase
from knowledge.curated import CuratedStore
from knowledge.evaluation import SetReport, load_question_set, run_question_set
from knowledge.semantic import SemanticIndex, SemanticOptions, attach

ROOT = Path(__file__).resolve().parents[1]
EVERYDAY = ROOT / "tests" / "knowledge" / "everyday_questions.yaml"
SEED = ROOT / "tests" / "knowledge" / "seed_questions.yaml"
PARAPHRASES = ROOT / "tests" / "knowledge" / "curated_paraphrases.yaml"


def share(count: int, total: int) -> str:
    return f"{count}/{total} ({count / total if total else 0:.0%})"


def set_row(name: str, r: SetReport) -> list[str]:
    a, o = len(r.answerable), len(r.off_topic)
    return [
        name,
        share(r.right, a),
        share(r.wrongly_declined, a),
        share(r.wrong_section, a),
        share(r.off_topic_answered, o),
    ]


def question_sets(lexical: Assistant, semantic: Assistant) -> str:
    everyday, seed = load_question_set(EVERYDAY), load_question_set(SEED)
    rows = []
    for label, assistant in (("lexical", lexical), ("lexical + semantic", semantic)):
        rows.append(
            set_row(f"{label}: everyday, tune half", run_question_set(assistant.ask, everyday, half="tune"))
        )
        rows.append(
            set_row(f"{label}: everyday, test half", run_question_set(assistant.ask, everyday, half="test"))
        )
        rows.append(set_row(f"{label}: seed set", run_question_set(assistant.ask, seed)))
    return report.table(
        [
            "configuration, set",
            "answered from a right section",
            "wrongly declined",
            "wrong section",
            "off-topic answered",
        ],
        rows,
    )


def curated(lexical: Assistant, semantic: Assistant, state: Path) -> str:
    data = yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))
    store = CuratedStore(state / "curated-bench.yaml")
    ids = [
        store.add(e["curated"], "-", author="bench", phrasings=e.get("phrasings", [])).id
        for e in data["entries"]
    ]
    positives = [(ids[i], q) for i, e in enumerate(data["entries"]) for q in e["match"]]
    negatives = [q for e in data["entries"] for q in e["reject"]] + data["unrelated"]
    rows = []
    for label, kb in (("lexical", lexical.kb), ("lexical + semantic", semantic.kb)):
        assistant = Assistant(kb, curated=store)
        found = [assistant.match_curated(q) for _, q in positives]
        right = sum(
            m is not None and m.answer.id == want for m, (want, _) in zip(found, positives, strict=True)
        )
        false = sum(assistant.match_curated(q) is not None for q in negatives)
        rows.append([label, share(right, len(positives)), share(false, len(negatives))])
    return report.table(["curated matching", "paraphrases matched", "near misses / unrelated matched"], rows)


def ask_latency(semantic: Assistant) -> dict:
    questions = [
        q.question for q in (*load_question_set(EVERYDAY).answerable, *load_question_set(EVERYDAY).off_topic)
    ]
    semantic.kb.semantic._queries.clear()
    _, times = report.latencies(semantic.ask, questions)  # each question once: its vector is encoded
    return report.latency_summary(times)


def cold_start(model: Path, runs: int = 5) -> tuple[float, float, float]:
    question = "How does the mother's gut shape the antibodies in her milk?"
    with tempfile.TemporaryDirectory() as state:
        config = Path(state) / "citebot.yaml"
        config.write_text(f"retrieval:\n  semantic: on\n  model_path: {model}\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
        env |= {"CITEBOT_STATE_DIR": state, "CITEBOT_CONFIG": str(config), "PYTHONPATH": str(ROOT)}

        def once() -> float:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "bot", "ask", question], env=env, check=True, capture_output=True
            )
            return time.perf_counter() - start

        first = once()
        later = sorted(once() for _ in range(runs))
    return first, statistics.median(later), later[-1]


def answerability(model: Path) -> str:
    from answerability import SEED, held_out
    from hybrid import cached_vectors, passage_texts, with_query_vectors
    from sklearn.metrics import roc_auc_score

    from knowledge.semantic.encoder import Encoder

    encoder = Encoder.from_folder(model)
    rows = []
    for name in ("scifact", "nfcorpus"):
        data = beir.load(name, "test")
        removed = {doc for query in held_out(data) for doc in data.qrels[query]}
        docs = [Document(d, *fields) for d, fields in data.corpus.items() if d not in removed]
        kb = KnowledgeBase.from_documents(docs)
        vectors = cached_vectors(encoder, passage_texts(kb), f"{name}-passages")
        qids = sorted(data.queries)
        qvecs = cached_vectors(encoder, [data.queries[q] for q in qids], f"{name}-test-queries")
        for label in ("lexical", "lexical + semantic"):
            if label != "lexical":
                known = dict(zip((data.queries[q] for q in qids), qvecs, strict=True))
                index = SemanticIndex(encoder, vectors, [p.id for p in kb.passages])
                kb.semantic = with_query_vectors(index, known)
            assistant = Assistant(kb)
            labels, conf, sims = [], [], []
            answered = answered_ok = 0
            for q in qids:
                relevant = set(data.qrels[q]) - removed
                answer = assistant.ask(data.queries[q])
                labels.append(bool(relevant))
                conf.append(answer.confidence)
                if kb.semantic is not None:
                    sims.append(kb.semantic.best_similarity(data.queries[q], answer.hits))
                answered += answer.answered
                answered_ok += answer.answered and bool(relevant)
            auc_sim = f"{roc_auc_score(labels, sims):.3f}" if sims else "—"
            precision = answered_ok / answered if answered else 0.0
            recall = answered_ok / max(sum(labels), 1)
            auc = roc_auc_score(labels, conf)
            row = [f"{name}: {label}", len(qids), sum(labels), answered, precision, recall, auc, auc_sim]
            rows.append(row)
    return (
        f"Seed {SEED}, as bench/answerability.py: the relevant documents of half the test queries "
        "are left out.\n\n"
        + report.table(
            [
                "corpus: channels",
                "queries",
                "answerable",
                "answered",
                "precision",
                "recall",
                "confidence AUC",
                "best-passage similarity AUC",
            ],
            rows,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--skip-answerability", action="store_true")
    args = parser.parse_args(argv)
    sections = [
        report.header("Answers with the semantic channel", "python bench/hybrid_answers.py MODEL_FOLDER")
    ]
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        lexical = Assistant(KnowledgeBase.default(state_dir=state))
        kb = KnowledgeBase.default(state_dir=state)
        attach(kb, SemanticOptions(mode="on", model_path=args.model), state_dir=state)
        semantic = Assistant(kb)
        sections.append("## Built-in article\n\n" + question_sets(lexical, semantic))
        sections.append(
            "## Curated answers (tests/knowledge/curated_paraphrases.yaml)\n\n"
            + curated(lexical, semantic, state)
        )
        lat = ask_latency(semantic)
        _, lex_times = report.latencies(
            lexical.ask, [q.question for q in load_question_set(EVERYDAY).answerable]
        )
        lex = report.latency_summary(lex_times)
    first, median, slowest = cold_start(args.model)
    sections.append(
        "## Speed on the built-in article\n\n"
        + report.table(
            ["measure", "lexical + semantic", "lexical"],
            [
                [
                    "`Assistant.ask` p50 ms (each question new: its vector encoded)",
                    lat["p50_ms"],
                    lex["p50_ms"],
                ],
                ["`Assistant.ask` p99 ms", lat["p99_ms"], lex["p99_ms"]],
                ["cold `citebot ask`, first run s (index and vectors built)", first, "see cold_start.md"],
                ["cold `citebot ask`, median of 5 later runs s", median, "see cold_start.md"],
                ["cold `citebot ask`, slowest of 5 s", slowest, ""],
            ],
        )
    )
    if not args.skip_answerability:
        sections.append("## Answerability\n\n" + answerability(args.model))
    text = "\n\n".join(sections)
    print(text)
    report.write("hybrid_answers.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
