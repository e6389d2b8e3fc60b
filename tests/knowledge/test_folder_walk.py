"""The knowledge folder walk: hidden and tools' folders are never entered, a folder changing while
it is walked loads what is still there, the filesystem root and system folders are refused, and
files that are not documents are summed up in one warning."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

import knowledge.documents as documents
import knowledge.kb as kb_module
from knowledge import KnowledgeBase
from knowledge.documents import iter_files, load_folder, refused_folder
from knowledge.kb import folder_fingerprint

DOC = "# Storage\n\nExpressed milk keeps four days in a refrigerator.\n"
REAL_SCANDIR = os.scandir


def write(path: Path, text: str = DOC) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class Listed:
    """What ``os.scandir`` gives, already read."""

    def __init__(self, entries: list[os.DirEntry[str]]) -> None:
        self.entries = entries

    def __enter__(self) -> Listed:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __iter__(self):
        return iter(self.entries)


class Recorder:
    """Stands in for ``os.scandir``: records the folders listed, and runs ``after[folder]`` once
    that folder is listed, before anything in it is looked at (as if it changed meanwhile)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.listed: list[str] = []
        self.after: dict[str, object] = {}

    def __call__(self, path: str | int = "."):
        if isinstance(path, int) or not Path(path).is_relative_to(self.root):
            return REAL_SCANDIR(path)  # shutil.rmtree and the state folder: not the walk
        with REAL_SCANDIR(path) as listing:
            entries = list(listing)
        name = Path(path).relative_to(self.root).as_posix()
        self.listed.append(name)
        action = self.after.pop(name, None)
        if action is not None:
            action()
        return Listed(entries)


@pytest.fixture
def recorder(tmp_path, monkeypatch) -> Recorder:
    recorder = Recorder(tmp_path / "kb")
    monkeypatch.setattr(documents.os, "scandir", recorder)
    return recorder


def doc_ids(kb: KnowledgeBase) -> list[str]:
    return sorted(kb.documents)


def test_hidden_and_tools_folders_are_never_entered(tmp_path, recorder):
    root = tmp_path / "kb"
    write(root / "a.md")
    write(root / "guides" / "b.md")
    for ignored in (".git/objects/ab", "node_modules/pkg", "__pycache__", ".venv/lib", "guides/.cache"):
        write(root / ignored / "notes.md")
    # git rewriting its objects while the folder is walked: nothing may depend on them.
    recorder.after["."] = lambda: shutil.rmtree(root / ".git" / "objects")
    kb = KnowledgeBase.from_folder(root, state_dir=tmp_path / "state")
    assert doc_ids(kb) == ["a", "guides/b"] and kb.errors == []
    assert set(recorder.listed) == {".", "guides"}


def test_files_and_folders_vanishing_mid_walk_leave_the_rest_loaded(tmp_path, recorder, caplog):
    root = tmp_path / "kb"
    for name in ("a.md", "b.md", "gone/c.md", "sub/d.md", "sub/e.md"):
        write(root / name)
    (root / "ghost.md").symlink_to(root / "missing.md")  # cannot be stated
    # Between listing a folder and stating its files (or listing its subfolders), some go.
    recorder.after["."] = lambda: [(root / "b.md").unlink(), shutil.rmtree(root / "gone")]
    recorder.after["sub"] = lambda: (root / "sub" / "e.md").unlink()
    with caplog.at_level(logging.WARNING):
        kb = KnowledgeBase.from_folder(root, state_dir=tmp_path / "state")
    assert doc_ids(kb) == ["a", "sub/d"] and kb.errors == []
    assert caplog.text == ""


def test_a_file_removed_after_the_walk_is_not_an_error(tmp_path, monkeypatch):
    for name in ("a.md", "m.md", "z.md"):
        write(tmp_path / name)
    real_load_file = documents.load_file

    def load_file(path, root=None):
        if path.name == "a.md":
            (tmp_path / "z.md").unlink()  # removed once the walk has listed it, before it is read
        return real_load_file(path, root)

    monkeypatch.setattr(documents, "load_file", load_file)
    docs, errors = load_folder(tmp_path)
    assert sorted(d.id for d in docs) == ["a", "m"] and errors == []


def test_a_broken_document_still_is_an_error(tmp_path):
    write(tmp_path / "a.md")
    write(tmp_path / "broken.md", "---\ntitle: [\n---\n")
    docs, errors = load_folder(tmp_path)
    assert [d.id for d in docs] == ["a"] and [Path(e.path).name for e in errors] == ["broken.md"]


@pytest.mark.parametrize(
    ("folder", "why"),
    [
        ("/", "is the root of the filesystem"),
        ("/proc", "is a system folder"),
        ("/proc/self", "is a system folder"),
        ("/sys/kernel", "is a system folder"),
        ("/dev/shm", "is a system folder"),
        ("/etc", "is a system folder"),
        ("/usr", "is a system folder"),
        ("/var", "is a system folder"),
    ],
)
def test_the_filesystem_root_and_system_folders_are_refused(folder, why, tmp_path, recorder):
    docs, errors = load_folder(folder)
    assert docs == [] and [e.message for e in errors] == [
        f"not read as knowledge: {folder} {why}; point it at the folder holding your documents"
    ]
    kb = KnowledgeBase.from_folder(folder, state_dir=tmp_path / "state")
    assert kb.documents == {} and why in kb.errors[0].message
    assert recorder.listed == []  # refused before anything was walked


def test_a_link_to_the_root_is_refused_and_ordinary_folders_are_not(tmp_path):
    (tmp_path / "everything").symlink_to("/")
    assert "root of the filesystem" in (refused_folder(tmp_path / "everything") or "")
    assert refused_folder(tmp_path) is None
    assert refused_folder("/usr/share/doc") is None  # a folder below /usr may hold documents


def test_files_that_are_not_documents_are_summed_up_in_one_warning(tmp_path, caplog):
    write(tmp_path / "a.md")
    for number in range(6):
        write(tmp_path / "images" / f"{number}.png", "")
    for number in range(3):
        write(tmp_path / "data" / f"{number}.json", "{}")
    write(tmp_path / "LICENSE", "")
    write(tmp_path / "notes.docx", "")
    write(tmp_path / "old.bak", "")
    with caplog.at_level(logging.WARNING):
        docs, errors = load_folder(tmp_path)
    assert [d.id for d in docs] == ["a"] and errors == []
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path}: skipped 12 files that are not documents (.png 6, .json 3, (no suffix) 1, .bak 1, …)"
    ]


def test_a_few_skipped_files_are_named(tmp_path, caplog):
    write(tmp_path / "a.md")
    write(tmp_path / "sub" / "image.png", "")
    write(tmp_path / "LICENSE", "")
    with caplog.at_level(logging.WARNING):
        load_folder(tmp_path)
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path}: skipped 2 files that are not documents ((no suffix) 1, .png 1): LICENSE, sub/image.png"
    ]


def test_only_what_a_load_reads_changes_the_fingerprint(tmp_path, monkeypatch):
    root = tmp_path / "kb"
    write(root / "a.md")
    kb = KnowledgeBase.from_folder(root, state_dir=tmp_path / "state")
    before = folder_fingerprint(root, None, 800)
    write(root / "images" / "1.png", "")
    write(root / ".git" / "HEAD", "ref: refs/heads/main\n")
    assert folder_fingerprint(root, None, 800) == before

    def no_rebuild(folder):
        raise AssertionError("the knowledge base was rebuilt")

    monkeypatch.setattr(kb_module, "load_folder", no_rebuild)
    assert doc_ids(KnowledgeBase.from_folder(root, state_dir=tmp_path / "state")) == doc_ids(kb) == ["a"]
    write(root / "citebot.yaml", "base_url: https://docs.example.org/\n")  # changes reST links
    with_settings = folder_fingerprint(root, None, 800)
    assert with_settings != before
    write(root / "a.md", DOC + "\nMore.\n")
    assert folder_fingerprint(root, None, 800) != with_settings


def test_iter_files_still_lists_every_file_in_order(tmp_path):
    for name in ("b.txt", "a/z.png", "a/b.md", ".hidden.md", "node_modules/x.md"):
        write(tmp_path / name)
    (tmp_path / "link").symlink_to(tmp_path / "a")  # a link to a folder is not followed
    listed = [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)]
    assert listed == ["a/b.md", "a/z.png", "b.txt"]


def test_the_build_reports_its_progress_file_by_file_up_to_the_total(tmp_path):
    for name in ("a.md", "b.md", "broken.md", "sub/c.md", "citebot.yaml"):
        write(tmp_path / "docs" / name, "---\ntitle: [\n---\n" if name == "broken.md" else DOC)
    (tmp_path / "docs" / "citebot.yaml").write_text("{}\n", encoding="utf-8")
    (tmp_path / "docs" / "notes.bin").write_bytes(b"\x00")  # not a document: not counted
    seen: list[tuple[int, int]] = []
    kb = KnowledgeBase.from_folder(
        tmp_path / "docs", state_dir=tmp_path / "state", on_progress=lambda d, t: seen.append((d, t))
    )
    # Every document file counts once, a broken one too; the folder's settings file is not a document.
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert len(kb.documents) == 3
    # A saved index reused reads no documents, so there is nothing to report.
    again: list[tuple[int, int]] = []
    KnowledgeBase.from_folder(
        tmp_path / "docs", state_dir=tmp_path / "state", on_progress=lambda d, t: again.append((d, t))
    )
    assert again == []
