"""The source guard: answers whose passages change are flagged, and can be linked to the new ones."""

from __future__ import annotations

from knowledge import Document, KnowledgeBase
from knowledge.curated import CuratedStore, SourceLink


def small_kb(colostrum_text: str) -> KnowledgeBase:
    return KnowledgeBase.from_documents(
        [
            Document(
                "milk",
                "Breast milk",
                f"# Breast milk\n\n## Colostrum\n\n{colostrum_text}\n\n"
                "## Storage\n\nExpressed milk keeps four days in a fridge at 4 °C.",
            ),
        ]
    )


def test_changed_source_is_flagged_and_keep_relinks_it(tmp_path):
    before = small_kb("Colostrum is the first milk, rich in antibodies.")
    [colostrum] = [p for p in before.passages if "Colostrum" in p.section]
    store = CuratedStore(tmp_path / "curated.yaml")
    entry = store.add(
        "What is colostrum?", "The first milk.", author="mod", sources=[SourceLink.of(colostrum)]
    )
    assert store.check_sources(before) == []

    after = small_kb("Colostrum is the first milk, rich in antibodies and white cells.")
    flagged = store.check_sources(after)
    assert [a.id for a in flagged] == [entry.id]
    assert store.get(entry.id).status == "stale"
    assert colostrum.id in store.get(entry.id).stale_reason
    assert store.check_sources(after) == []  # flagged once, not at every reload

    kept = store.relink(entry.id, after, by="mod")
    [new_colostrum] = [p for p in after.passages if "Colostrum" in p.section]
    assert [s.passage_id for s in kept.sources] == [new_colostrum.id]
    assert kept.status == "active"
    assert store.check_sources(after) == []
