"""Writes curated answers, glossary terms and feedback in a loop until killed (see test_crash_safety).

Every value is derived from its number, so a reader can tell a whole version the writer produced
from a torn one: curated answer ``n`` asks "Question n" and answers "Answer n" (or "Edited answer n"),
glossary term "word n" means "meaning n". Signals ``ready`` once its first rounds are on disk.

Run as a script (prints ``ready``) or through multiprocessing's fork server with :func:`run`, which
starts each writer in milliseconds instead of paying for the imports again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from knowledge.curated import CuratedStore
from knowledge.glossary import Glossary
from knowledge.store import Store

KEEP = 12  # entries kept in each file, so every write stays small and fast


def main(
    state_dir: Path, ready: Callable[[], None] = lambda: print("ready", flush=True), rounds: int = 1
) -> None:
    """Write round after round until killed; ``ready()`` once ``rounds`` rounds are on disk."""
    curated = CuratedStore.in_state_dir(state_dir)
    glossary = Glossary.in_state_dir(state_dir)
    store = Store.in_folder(state_dir).server(1)
    done = 0
    while True:
        number = max((a.id for a in curated.list(include_retired=True)), default=0) + 1
        entry = curated.add(f"Question {number}", f"Answer {number} " + "x" * (number % 40), author="w")
        curated.edit(entry.id, by="w", answer=f"Edited answer {number} " + "y" * (number % 30))
        for old in curated.list(include_retired=True)[:-KEEP]:
            curated.remove(old.id)
        glossary.add(f"word {number}", f"meaning {number}", author="w")
        for old in glossary.entries()[:-KEEP]:
            glossary.remove(old.term)
        answer_id = store.record_answer(f"Question {number}", [f"doc#p{number}"], True, user_id=number)
        store.set_feedback(answer_id, number, 1 if number % 2 else -1, f"reason {number}")
        done += 1
        if done == rounds:
            ready()


def run(state_dir: Path, event, rounds: int = 1) -> None:
    """The multiprocessing entry point: ``event`` is set once ``rounds`` rounds are on disk."""
    main(state_dir, event.set, rounds)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
