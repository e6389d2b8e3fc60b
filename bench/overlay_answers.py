"""Answers of a server with uploads: the overlay (the shared base plus an index of the uploads alone,
``knowledge/overlay.py``) against indexing the base and the uploads together (before the overlay).

Each documentation set of ``tests/data`` is uploaded over the built-in article; its questions and
the test half of the everyday questions about the article are asked of both, lexically. Counted:
the same decision (answered or declined) and the same cited passages; every question that differs
is listed with both answers. Run: python bench/overlay_answers.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import report

from knowledge import KnowledgeBase
from knowledge.assistant import Assistant
from knowledge.evaluation import load_question_set
from knowledge.uploads import KnowledgeLoader

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
TITLE = "Answers with uploads: overlay against indexing together"
EVERYDAY = ROOT / "tests" / "knowledge" / "everyday_questions.yaml"


def described(kb: KnowledgeBase, answer) -> str:
    if not answer.answered:
        return "declined"
    return "answered from " + "; ".join(f"{h.doc_id} › {h.section}" for h in answer.sources()[:2])


def main() -> None:
    rows, differences = [], []
    totals = [0, 0, 0]
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder)
        base = KnowledgeBase.default(state_dir=state)
        for questions_file in sorted(DATA.glob("*-docs/questions.yaml")):
            name = questions_file.parent.name
            uploads = state / "servers" / name / "knowledge"
            shutil.copytree(questions_file.parent / "docs", uploads)
            loader = KnowledgeLoader(state / "base", state, uploads)
            overlay = loader.load(base)
            uploaded, errors = loader.uploaded_documents()
            together = KnowledgeBase.from_documents([*base.documents.values(), *uploaded], errors=errors)
            own_set = load_question_set(questions_file)
            questions = [q.question for q in (*own_set.answerable, *own_set.off_topic)]
            questions += [q.question for q in load_question_set(EVERYDAY).half("test").answerable]
            old, new = Assistant(together), Assistant(overlay)
            same_decision = same_cited = 0
            for question in questions:
                before, after = old.ask(question), new.ask(question)
                cited = [h.passage_id for h in before.sources()], [h.passage_id for h in after.sources()]
                same_decision += before.answered == after.answered
                alike = before.answered == after.answered and (not before.answered or cited[0] == cited[1])
                same_cited += alike
                if not alike:
                    differences.append(
                        [name, question, described(together, before), described(overlay, after)]
                    )
            rows.append(
                [
                    name,
                    f"{len(base.passages)} + {len(overlay.own.passages)}",
                    len(questions),
                    f"{same_decision / len(questions):.1%}",
                    f"{same_cited / len(questions):.1%}",
                ]
            )
            totals = [totals[0] + len(questions), totals[1] + same_decision, totals[2] + same_cited]
    rows.append(["all", "", totals[0], f"{totals[1] / totals[0]:.1%}", f"{totals[2] / totals[0]:.1%}"])
    text = "\n".join(
        [
            report.header(
                "Answers with uploads: overlay against indexing together", "python bench/overlay_answers.py"
            ),
            __doc__.split("\n\n", 1)[1].strip(),
            "",
            report.table(
                [
                    "uploaded set",
                    "passages (base + uploads)",
                    "questions",
                    "same decision",
                    "same decision and cited passages",
                ],
                rows,
            ),
            "",
            "Every question answered differently:",
            "",
            report.table(["set", "question", "indexed together", "overlay"], differences),
        ]
    )
    print(text)
    report.write("overlay_answers.md", text)


if __name__ == "__main__":
    main()
