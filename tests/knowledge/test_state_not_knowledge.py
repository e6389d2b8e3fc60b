"""The state folder is never read as knowledge, even inside the knowledge folder, and a saved index
is reused rather than rebuilt on every start."""

from __future__ import annotations

import logging

import knowledge.kb as kb_module
from knowledge import KnowledgeBase
from knowledge.documents import STATE_MARKER, iter_files

DOC = "# Storage\n\nExpressed milk keeps four days in a refrigerator.\n"


def test_a_state_folder_inside_the_knowledge_folder_is_not_read(tmp_path, caplog, monkeypatch):
    (tmp_path / "storage.md").write_text(DOC, encoding="utf-8")
    state = tmp_path / "state"
    state.mkdir()
    (state / "curated.yaml").write_text("answers: []\n", encoding="utf-8")  # state written earlier
    with caplog.at_level(logging.WARNING):
        first = KnowledgeBase.from_folder(tmp_path, state_dir=state)
    assert (state / STATE_MARKER).is_file()
    assert list(first.documents) == ["storage"] and first.errors == []

    def no_rebuild(folder):
        raise AssertionError("the knowledge base was rebuilt")

    monkeypatch.setattr(kb_module, "load_folder", no_rebuild)
    for _ in range(2):
        again = KnowledgeBase.from_folder(tmp_path, state_dir=state)
        assert list(again.documents) == ["storage"] and again.errors == []
    assert "skipping" not in caplog.text and "unsupported" not in caplog.text


def test_any_marked_folder_is_left_out_of_the_walk(tmp_path):
    (tmp_path / "a.md").write_text(DOC, encoding="utf-8")
    (tmp_path / "deep" / "old-state" / "index").mkdir(parents=True)
    (tmp_path / "deep" / "old-state" / STATE_MARKER).write_text("", encoding="utf-8")
    (tmp_path / "deep" / "old-state" / "notes.md").write_text(DOC, encoding="utf-8")
    (tmp_path / "deep" / "b.md").write_text(DOC, encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)] == ["a.md", "deep/b.md"]
