"""Loading the documents of a knowledge folder: the folder walk (what is read, what is passed
over, which folders are never entered), document ids, and each file handed to the reader of its
format (:mod:`knowledge.readers`: Markdown/text with YAML front matter, reStructuredText, HTML,
PDF and BEIR JSONL).
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .folder_settings import CRAWL_SETTINGS, FOLDER_SETTINGS, crawled_url, folder_settings, page_url
from .models import Document, LoadError
from .readers import SUPPORTED_SUFFIXES, reader_for
from .readers.base import DocumentError, SourceFile, decode
from .readers.front_matter import FRONT_MATTER_TYPES, split_front_matter
from .readers.html import MAX_HTML_DEPTH, parse_html
from .readers.jsonl import parse_jsonl
from .readers.markdown import MAX_ADMONITION_DEPTH, parse_text
from .readers.pdf import MAX_PDF_PAGES, parse_pdf
from .readers.rst import MAX_RST_DEPTH, parse_rst

logger = logging.getLogger(__name__)

# Told (done, total) as work advances: how a caller shows progress, since the library never prints.
ProgressCallback = Callable[[int, int], None]

# The file that marks a folder as citebot's state (saved index, curated answers): the folder walk
# never enters it, wherever it lies, so the state is never read as knowledge.
STATE_MARKER = ".citebot-state"
# Folders the walk never enters, wherever they lie, besides hidden ones (".git", ".venv"): they hold
# tools' files, never documents, often by the hundred thousand.
IGNORED_FOLDERS = frozenset({"node_modules", "__pycache__"})
# Refused as a knowledge folder: the system's own folders (walking /usr reads the whole system) ...
SYSTEM_FOLDERS = frozenset(
    Path(name)
    for name in (
        *("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/run", "/sbin"),
        *("/sys", "/tmp", "/usr", "/var"),
    )
)
# ... and anything below these, whose files are devices and kernel state, not documents (reading
# some never ends).
VIRTUAL_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))
# Files that are not documents are summarised in one warning line, naming them up to this many.
MAX_NAMED_SKIPS = 5


def doc_id_for(path: Path, root: Path) -> str:
    """A stable id from the path relative to the knowledge folder: ``guides/Getting Started.md`` ->
    ``guides/getting-started``."""
    rel = path.relative_to(root).with_suffix("") if path.is_relative_to(root) else Path(path.stem)
    return "/".join(re.sub(r"[^\w.-]+", "-", part.lower()).strip("-") or "doc" for part in rel.parts)


def load_file(path: Path, root: Path | None = None) -> tuple[list[Document], list[LoadError]]:
    """Load one file with the reader of its format. Raises :class:`DocumentError` when the whole
    file is unusable; line-level problems in JSONL come back as errors beside the documents that
    did load."""
    root = root or path.parent
    suffix = path.suffix.lower()
    doc_id = doc_id_for(path, root)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path, f"cannot read: {exc.strerror or exc}") from None
    reader = reader_for(suffix)
    if reader is None:
        raise DocumentError(path, f"unsupported file type {suffix or '(none)'}")
    decoded = decode(raw, path) if reader.content == "text" else None
    docs, errors = reader.read(SourceFile(path, doc_id, raw, decoded, folder=root))
    if reader.one_document and not docs[0].text.strip():
        raise DocumentError(path, "empty: no text to index")
    return docs, errors


def refused_folder(folder: Path | str) -> str | None:
    """Why ``folder`` cannot be a knowledge folder (the filesystem root or a system folder), or
    None when it can; symbolic links are followed."""
    given = Path(os.path.abspath(Path(folder).expanduser()))
    try:
        resolved = given.resolve()
    except OSError:  # a link that cannot be followed (/proc/1/root): judged as written
        resolved = given
    for path in dict.fromkeys([given, resolved]):
        name = str(folder) if path == given else f"{folder} (a link to {path})"
        if path == Path(path.anchor):
            return f"{name} is the root of the filesystem; point it at the folder holding your documents"
        if path in SYSTEM_FOLDERS or any(path.is_relative_to(system) for system in VIRTUAL_FOLDERS):
            return f"{name} is a system folder; point it at the folder holding your documents"
    return None


def _suffix(name: str) -> str:
    """``Path(name).suffix.lower()`` without making a path (the walk sees every file's name)."""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _walk(folder: Path) -> Iterator[os.DirEntry[str]]:
    """Every entry below ``folder`` that is not a folder, in no set order. Hidden and ignored
    folders and folders holding :data:`STATE_MARKER` are never entered, nor are links to folders.
    A folder that vanishes or cannot be read is passed over: a folder may change while it is walked."""
    pending = [os.fspath(folder)]
    while pending:
        here = pending.pop()
        try:
            with os.scandir(here) as listing:
                entries = list(listing)
        except (FileNotFoundError, NotADirectoryError):
            logger.debug("%s: removed during the folder walk", here)
            continue
        except OSError as exc:
            logger.warning("%s: cannot read the folder (%s)", here, exc.strerror or exc)
            continue
        if here != os.fspath(folder) and any(entry.name == STATE_MARKER for entry in entries):
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in IGNORED_FOLDERS:
                        pending.append(entry.path)
                    continue
                if entry.is_dir():  # a link to a folder, not followed (nor was it by os.walk)
                    continue
            except OSError:
                continue
            yield entry


def iter_files(folder: Path) -> Iterator[Path]:
    """Files below ``folder`` in a stable order, hidden files and folders left out, and so is any
    folder below it holding citebot's state (it carries :data:`STATE_MARKER`)."""
    found = []
    for entry in _walk(folder):
        try:
            if entry.is_file():
                found.append(Path(entry.path))
        except OSError:
            continue
    yield from sorted(found)


@dataclass
class FolderScan:
    """One walk of a knowledge folder: the files a load reads (documents and folder settings) with
    their stat results, in a stable order, and the other files counted by suffix."""

    files: list[tuple[Path, os.stat_result]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    # The first few files passed over, named when there are no more than these.
    skipped_files: list[str] = field(default_factory=list)

    def skipped_summary(self, shown: int = 4) -> str:
        """One line saying which files were passed over: "skipped 200 files that are not documents
        (.png 150, .json 50)", naming them when they are few; empty when none was."""
        total = sum(self.skipped.values())
        if not total:
            return ""
        ranked = sorted(self.skipped.items(), key=lambda kind: (-kind[1], kind[0]))
        kinds = [f"{suffix or '(no suffix)'} {count:,}" for suffix, count in ranked[:shown]]
        if len(self.skipped) > shown:
            kinds.append("…")
        noun = "file that is not a document" if total == 1 else "files that are not documents"
        named = f": {', '.join(sorted(self.skipped_files))}" if total <= MAX_NAMED_SKIPS else ""
        return f"skipped {total:,} {noun} ({', '.join(kinds)}){named}"


def scan_folder(folder: Path) -> FolderScan:
    """Walk ``folder`` once (see :func:`iter_files` for what is left out), stating only the files
    a load reads; a file that vanishes or cannot be stated meanwhile is left out."""
    scan = FolderScan()
    for entry in _walk(folder):
        name = entry.name
        suffix = _suffix(name)
        if suffix not in SUPPORTED_SUFFIXES and name != FOLDER_SETTINGS:
            scan.skipped[suffix] += 1
            if len(scan.skipped_files) < MAX_NAMED_SKIPS:
                scan.skipped_files.append(os.path.relpath(entry.path, folder))
            continue
        try:
            found = entry.stat()
        except OSError:
            logger.debug("%s: removed or unreadable during the folder walk", entry.path)
            continue
        if stat.S_ISREG(found.st_mode):
            scan.files.append((Path(entry.path), found))
    scan.files.sort(key=lambda item: item[0])
    return scan


def mark_state_dir(state_dir: Path) -> None:
    """Put :data:`STATE_MARKER` in ``state_dir`` (created if need be) so that no folder walk reads
    the state as knowledge, even when it lies inside a knowledge folder."""
    marker = state_dir / STATE_MARKER
    if not marker.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text("citebot's state: saved index, curated answers. Never read as knowledge.\n")


def load_folder(
    folder: Path | str, *, on_progress: ProgressCallback | None = None
) -> tuple[list[Document], list[LoadError]]:
    """Load every supported file below ``folder``; broken files are reported, the rest still load.
    The filesystem root and system folders are refused (see :func:`refused_folder`).
    ``on_progress(done, total)`` is called after each file is read, with the files read so far and
    the files found."""
    folder = Path(folder)
    refused = refused_folder(folder)
    if refused is not None:
        return [], [LoadError(str(folder), f"not read as knowledge: {refused}")]
    if not folder.is_dir():
        return [], [
            LoadError(str(folder), "knowledge folder not found" if not folder.exists() else "not a folder")
        ]
    docs: list[Document] = []
    errors: list[LoadError] = []
    seen: dict[str, str] = {}
    scan = scan_folder(folder)
    if scan.skipped:
        logger.warning("%s: %s", folder, scan.skipped_summary())
    paths = [path for path, _ in scan.files if path.name != FOLDER_SETTINGS]
    for done, path in enumerate(paths, 1):
        try:
            loaded, file_errors = load_file(path, folder)
        except DocumentError as exc:
            if not os.path.lexists(path):  # removed since the walk: no longer part of the knowledge
                logger.info("%s: removed while the folder was loading", path)
            else:
                logger.info("%s", exc)  # returned to the caller, who reports it (once)
                errors.append(exc.error)
            loaded, file_errors = [], []
        errors.extend(file_errors)
        for doc in loaded:
            if doc.id in seen:
                errors.append(
                    LoadError(str(path), f"duplicate document id {doc.id!r} (also in {seen[doc.id]})")
                )
                continue
            seen[doc.id] = str(path)
            docs.append(doc)
        if on_progress is not None:
            on_progress(done, len(paths))
    return docs, errors


def dedupe(documents: Iterable[Document]) -> list[Document]:
    """Documents with unique ids, first one wins (``from_documents`` accepts any iterable)."""
    seen: set[str] = set()
    out = []
    for doc in documents:
        if doc.id not in seen:
            seen.add(doc.id)
            out.append(doc)
    return out


__all__ = [
    "CRAWL_SETTINGS",
    "FOLDER_SETTINGS",
    "FRONT_MATTER_TYPES",
    "IGNORED_FOLDERS",
    "MAX_ADMONITION_DEPTH",
    "MAX_HTML_DEPTH",
    "MAX_PDF_PAGES",
    "MAX_RST_DEPTH",
    "STATE_MARKER",
    "SUPPORTED_SUFFIXES",
    "DocumentError",
    "FolderScan",
    "ProgressCallback",
    "crawled_url",
    "dedupe",
    "doc_id_for",
    "folder_settings",
    "iter_files",
    "load_file",
    "load_folder",
    "mark_state_dir",
    "page_url",
    "parse_html",
    "parse_jsonl",
    "parse_pdf",
    "parse_rst",
    "parse_text",
    "refused_folder",
    "scan_folder",
    "split_front_matter",
]
