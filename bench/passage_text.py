"""What the semantic channel encodes for a passage: the document title + section + text (as before
the change), section + text, or the text alone. Each variant answers the everyday set's halves, the
seed set and the real documentation sets' halves, lexical + semantic (the lexical rows do not depend
on the variant and are printed once). Choose on the tune halves; report the test halves. Run:
python bench/passage_text.py [MODEL_FOLDER] (default: the test model; vectors cached in
$CITEBOT_BENCH_CACHE)."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/passage_text.py` from a checkout
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from docs_eval import SETS, test_model  # noqa: E402

import knowledge.semantic as semantic  # noqa: E402
from knowledge import KnowledgeBase  # noqa: E402
from knowledge.assistant import Assistant  # noqa: E402
from knowledge.evaluation import SOURCE, SetReport, load_question_set, run_question_set, under  # noqa: E402
from knowledge.semantic import SemanticOptions, attach  # noqa: E402

EVERYDAY = ROOT / "tests" / "knowledge" / "everyday_questions.yaml"
SEED = ROOT / "tests" / "knowledge" / "seed_questions.yaml"
CACHE = Path(os.environ.get("CITEBOT_BENCH_CACHE", "/tmp/citebot-bench")) / "passage-text-vectors"
RESULTS = Path(__file__).with_name("results") / "passage_text.md"
# The same run before reference lists were kept out of content searches (knowledge/chunking.py's
# passage kinds), for comparison.
BEFORE = (
    "Before reference lists were kept out of content searches, the same cells (fused): title + section "
    "+ text everyday 59/65 (3/34) tune, 46/60 (4/34) test, seed 33/34; section + text 57/65, 46/60, 32/34; "
    "text 58/65, 47/60, 33/34; lexical and the docs sets (no reference lists) as now. The reference "
    "list, close to every question by the title it repeats, raised the similarity that lowers the "
    "answer bar."
)


def _title_section_text(kb: KnowledgeBase, row: int) -> str:
    passage = kb.passages[row]
    title = kb.documents[passage.doc_id].title
    return "\n".join(part for part in (title, " ".join(passage.section), passage.text) if part)


def _section_text(kb: KnowledgeBase, row: int) -> str:
    passage = kb.passages[row]
    return "\n".join(part for part in (" ".join(passage.section), passage.text) if part)


def _text(kb: KnowledgeBase, row: int) -> str:
    return kb.passages[row].text


VARIANTS = {"title + section + text": _title_section_text, "section + text": _section_text, "text": _text}


def _share(count: int, total: int) -> str:
    return f"{count}/{total}"


def _cells(report: SetReport) -> str:
    right = _share(report.right, len(report.answerable))
    return f"{right} ({_share(report.off_topic_answered, len(report.off_topic))})"


def _meaning_alone(kb: KnowledgeBase, questions, half: str) -> str:
    """How many answerable questions have their most similar passage (any kind) in a right section."""
    if kb.semantic is None:
        return "-"
    asked = [q for q in questions.half(half).answerable if SOURCE not in q.sections]
    right = sum(
        under(kb.passages[int(kb.semantic.similarities(q.question).argmax())].section_title, q.sections)
        for q in asked
    )
    return f"{right}/{len(asked)}"


def _row(kb_for, label: str) -> str:
    everyday, seed = load_question_set(EVERYDAY), load_question_set(SEED)
    cells = []
    with tempfile.TemporaryDirectory() as state:
        kb = kb_for(None, state)
        ask = Assistant.with_state(kb, state).ask
        cells += [_meaning_alone(kb, everyday, h) for h in ("tune", "test")]
        cells += [_cells(run_question_set(ask, everyday, half=h)) for h in ("tune", "test")]
        cells.append(_cells(run_question_set(ask, seed)))
    for folder in SETS.values():
        with tempfile.TemporaryDirectory() as state:
            ask = Assistant.with_state(kb_for(folder, state), state).ask
            questions = load_question_set(folder / "questions.yaml")
            cells += [_cells(run_question_set(ask, questions, half=h)) for h in ("tune", "test")]
    return f"| {label} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, nargs="?", help="a model folder (default: the test model)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = args.model or test_model()
    if model is None:
        raise SystemExit("no model folder: install the test model (.ci/semantic-model.txt) or name one")

    def kb_for(with_model: bool):
        def build(folder: Path | None, state: str) -> KnowledgeBase:
            if folder is None:
                kb = KnowledgeBase.default(state_dir=state)
            else:
                kb = KnowledgeBase.from_folder(folder / "docs", state_dir=state)
            if with_model:
                attach(kb, SemanticOptions(mode="on", model_path=model), state_dir=CACHE)
                if kb.semantic is None:
                    raise SystemExit("the semantic channel could not be had")
            else:
                kb.semantic = None
            return kb

        return build

    names = [name.split(" (")[0] for name in SETS]
    lines = [
        f"What a passage's vector encodes — {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {date.today()}. Reproduce: `python bench/passage_text.py`.",
        "",
        "Meaning alone: answerable everyday questions whose most similar passage (of any kind, the "
        "reference list included) is in a right section. Other cells: answered from a right section "
        "(off-topic answered). Choose on the tune halves.",
        "",
        "| encoded | meaning alone, everyday tune | meaning alone, everyday test | everyday tune "
        "| everyday test | seed | "
        + " | ".join(f"{n} tune | {n} test" for n in names)
        + " |",
        "|---" * (6 + 2 * len(names)) + "|",
        _row(kb_for(False), "lexical only"),
    ]
    print(lines[-1], flush=True)
    for label, encode in VARIANTS.items():
        semantic.passage_text = encode
        lines.append(_row(kb_for(True), f"lexical + meaning, {label}"))
        print(lines[-1], flush=True)
    lines += ["", BEFORE]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
