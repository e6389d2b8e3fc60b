"""Indexes saved in the state folder: a knowledge folder's documents, passages, BM25 index and
everyday-words bridge as NumPy arrays and JSON (no pickle), reused while the folder is unchanged,
written whole or not at all, and packed as one archive for other processes."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from .chunking import DEFAULT_CHUNK_CHARS
from .documents import dedupe, mark_state_dir, refused_folder, scan_folder
from .index import IndexSettings, SparseIndex
from .models import Document, LoadError, Passage
from .thesaurus import Bridge, Thesaurus

logger = logging.getLogger(__name__)

# Bump when the cached layout or the way passages are made changes, so old caches are rebuilt.
# 3: identifiers indexed whole and in parts, and the everyday-words bridge saved with the index.
# 4: documents with unusable front matter load without their metadata; empty files are reported.
# 5: the bridge keeps three-word phrases and the light words (format 2).
# 6: each passage's heading path weighted as a field of its own; link definitions' addresses not indexed.
# 7: the bridge keeps the whole light-word list and the few its index knows (format 3).
# 8: Markdown admonition boxes (!!! note) and content tabs (=== "pip") read as their title and text.
# 9: a WordNet phrase the documents write as one word ("breast feeding") bridges to that word.
# 10: the bridge keeps the table's words one edit from a stop word (format 4), to tell typos of stop words.
# 11: a reST rubric naming a reference list ("Footnotes", "References") heads a passage of its own.
# 12: accents folded in the analyser ("Café" is indexed as "cafe"); documents note a legacy encoding.
# 13: reST documents keep the API objects their directives document (/lookup).
# 14: the index keeps its rows' lengths, so a server's uploads are weighted together with the base.
# 15: Markdown titles skip "# comments" in code; a Sphinx project's Markdown pages link to their sections;
#     reST keeps the text a page writes under an autodoc directive; code examples up to 4 × the
#     passage size stay whole; headings' emphasis asterisks are not part of titles and sections;
#     a MyST page notes its {eval-rst} blocks (their API objects are looked up).
CACHE_VERSION = 15


def default_state_dir() -> Path:
    """``$CITEBOT_STATE_DIR``, else ``$XDG_STATE_HOME/citebot``, else ``~/.local/state/citebot``."""
    if os.environ.get("CITEBOT_STATE_DIR"):
        return Path(os.environ["CITEBOT_STATE_DIR"]).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "citebot"


class IndexedCorpus(Protocol):
    """What is saved of a knowledge base."""

    documents: dict[str, Document]
    passages: list[Passage]
    index: SparseIndex
    errors: list[LoadError]
    bridge: Bridge


@dataclass(frozen=True)
class Saved:
    """A saved index, read back: the parts a :class:`~knowledge.kb.KnowledgeBase` is made of."""

    documents: list[Document]
    passages: list[Passage]
    index: SparseIndex
    errors: list[LoadError]
    source: Path
    fingerprint: str
    bridge: Bridge


def folder_fingerprint(folder: Path, settings: IndexSettings | None, chunk_chars: int) -> str:
    """Changes whenever a file a load reads below ``folder`` (a document or folder settings) is
    added, removed or modified, or the way it is indexed changes. One walk, stating only those
    files: a folder of 200,000 other files is checked in a fraction of a second. The everyday-words
    table counts too: the saved bridge is made from it."""
    digest = hashlib.sha256(
        f"{CACHE_VERSION}|{chunk_chars}|{settings or IndexSettings()!r}|{Thesaurus.table_digest()}".encode()
    )
    if folder.is_dir() and refused_folder(folder) is None:
        for path, stat in scan_folder(folder).files:
            digest.update(f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def cache_slot(folder: Path, state_dir: Path | str | None) -> Path:
    """Where the index of ``folder`` is saved: one slot per knowledge folder."""
    cache_dir = (Path(state_dir) if state_dir else default_state_dir()) / "index"
    return cache_dir / hashlib.sha1(str(folder).encode()).hexdigest()[:12]


def mark_state(state_dir: Path) -> None:
    try:
        mark_state_dir(state_dir)
    except OSError as exc:
        logger.warning("could not mark the state folder %s (%s)", state_dir, exc)


def _jsonable(value: Any) -> Any:
    return str(value)


BUILDING_PREFIX = ".building-"
# A build older than this is abandoned even if its pid is alive again (reused by another process).
ABANDONED_BUILD_SECONDS = 15 * 60


def remove_abandoned_builds(slot: Path) -> list[Path]:
    """Remove the half-built index folders in ``slot`` that a killed build left: those whose
    process is gone, or older than :data:`ABANDONED_BUILD_SECONDS`; returns what was removed."""
    removed = []
    try:
        candidates = [p for p in slot.iterdir() if p.name.startswith(BUILDING_PREFIX) and p.is_dir()]
    except OSError:
        return removed
    for path in candidates:
        pid = path.name[len(BUILDING_PREFIX) :].split("-", 1)[0]
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            continue
        if age < ABANDONED_BUILD_SECONDS and pid.isdigit() and _process_alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if removed:
        logger.info("removed %d abandoned index build(s) in %s", len(removed), slot)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def save(kb: IndexedCorpus, slot: Path, fingerprint: str) -> None:
    """Write the index into a temporary folder, then rename it into place: a reader sees a whole
    cache or none. Older caches of the same folder are removed."""
    try:
        slot.mkdir(parents=True, exist_ok=True)
        # The builder's pid in the name tells a live build from one a killed process left behind.
        tmp = Path(tempfile.mkdtemp(prefix=f"{BUILDING_PREFIX}{os.getpid()}-", dir=slot))
        kb.index.save(tmp / "index")
        manifest = {
            "version": CACHE_VERSION,
            "fingerprint": fingerprint,
            "documents": [
                {"id": d.id, "title": d.title, "text": d.text, "metadata": d.metadata}
                for d in kb.documents.values()
            ],
            "passages": [
                {
                    "id": p.id,
                    "doc_id": p.doc_id,
                    "section": list(p.section),
                    "start": p.start,
                    "end": p.end,
                    "page": p.page,
                }
                for p in kb.passages
            ],
            "errors": [asdict(e) for e in kb.errors],
            "bridge": kb.bridge.to_json(),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, default=_jsonable), encoding="utf-8")
        _put_in_place(tmp, slot, fingerprint)
    except OSError as exc:
        logger.warning("could not save the index in %s (%s); it will be rebuilt next start", slot, exc)


def _put_in_place(tmp: Path, slot: Path, fingerprint: str) -> None:
    """Rename the finished folder ``tmp`` to ``slot/fingerprint`` (kept when already there) and
    remove the older caches of the slot."""
    target = slot / fingerprint
    if target.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.replace(tmp, target)
    for old in slot.iterdir():
        if old.name != fingerprint and not old.name.startswith(BUILDING_PREFIX):
            shutil.rmtree(old, ignore_errors=True)


def _read_cached(folder: Path, source: Path, fingerprint: str) -> Saved:
    """The knowledge base saved in ``folder``, in parts; raises ValueError/OSError/KeyError/TypeError when it
    is unusable (truncated, corrupt, of another version)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("version") != CACHE_VERSION or manifest.get("fingerprint") != fingerprint:
        raise ValueError("saved by another version of citebot")
    docs = [Document(d["id"], d["title"], d["text"], d["metadata"]) for d in manifest["documents"]]
    texts = {d.id: d.text for d in docs}
    passages = [
        Passage(
            p["id"],
            p["doc_id"],
            tuple(p["section"]),
            texts[p["doc_id"]][p["start"] : p["end"]],
            p["start"],
            p["end"],
            p["page"],
        )
        for p in manifest["passages"]
    ]
    errors = [LoadError(**e) for e in manifest["errors"]]
    index = SparseIndex.load(folder / "index")
    if index.n_rows != len(passages):
        raise ValueError(f"index has {index.n_rows} rows for {len(passages)} passages")
    bridge = Bridge.from_json(manifest["bridge"])
    return Saved(docs, passages, index, errors, source, fingerprint, bridge)


def load_saved(folder: Path, source: Path, fingerprint: str) -> Saved | None:
    """The index saved in ``folder``, or None when there is none or it is unusable (logged)."""
    if not (folder / "manifest.json").exists():
        return None
    try:
        return _read_cached(folder, source, fingerprint)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("the saved index in %s is unusable (%s); rebuilding", folder, exc)
        return None


def check_saved_index(
    path: Path | str,
    *,
    state_dir: Path | str | None = None,
    settings: IndexSettings | None = None,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
) -> LoadError | None:
    """What is wrong with the index saved for the knowledge folder ``path``, if one is saved and
    unusable (it would be rebuilt at the next start)."""
    folder = Path(path).expanduser().resolve()
    fingerprint = folder_fingerprint(folder, settings, chunk_chars)
    saved = cache_slot(folder, state_dir) / fingerprint
    if not (saved / "manifest.json").exists():
        return None
    try:
        _read_cached(saved, folder, fingerprint)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return LoadError(str(saved), f"the saved index is unusable and will be rebuilt ({exc})")
    return None


# -- a saved index as one archive, for other processes ---------------------------------------------

# The files save writes, the only names an index archive may hold.
ARCHIVE_NAMES = frozenset({"manifest.json", "index/index.npz", "index/index.json"})


class IndexArchiveError(ValueError):
    """An index archive that cannot be used: not a zip file, unexpected names, or too large."""


def index_fingerprint(
    documents: Iterable[Document],
    *,
    settings: IndexSettings | None = None,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
    folders: Sequence[Path] = (),
) -> str:
    """Changes whenever what :meth:`KnowledgeBase.from_documents` would index changes: the
    documents' ids, titles, texts and metadata, the index settings, the cache version and the
    everyday-words table. A document's ``path`` below one of ``folders`` counts as its place there,
    so processes keeping the same files in other state folders agree."""
    roots = [Path(folder).resolve() for folder in folders]
    digest = hashlib.sha256(
        f"{CACHE_VERSION}|{chunk_chars}|{settings or IndexSettings()!r}|{Thesaurus.table_digest()}".encode()
    )
    portable: dict[str, str] = {}  # many documents share a file (a JSONL file's lines)
    for doc in dedupe(documents):
        meta = dict(doc.meta)
        if "path" in meta:
            raw = str(meta["path"])
            if raw not in portable:
                portable[raw] = _portable_path(raw, roots)
            meta["path"] = portable[raw]
        record = [doc.id, doc.title, doc.text, meta]
        digest.update(json.dumps(record, sort_keys=True, default=_jsonable).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def _portable_path(raw: str, roots: list[Path]) -> str:
    path = Path(raw).resolve()
    for number, root in enumerate(roots):
        if path.is_relative_to(root):
            return f"{number}:{path.relative_to(root).as_posix()}"
    return raw


def index_slot(folder: Path, state_dir: Path | str | None) -> Path:
    """The folder of the state folder where the index built from ``folder`` is saved."""
    return cache_slot(folder, state_dir)


def pack_index(slot: Path, fingerprint: str) -> bytes:
    """The index saved in ``slot`` under ``fingerprint`` as one zip archive (its manifest and
    arrays; no pickle); OSError when it is not saved there."""
    folder = slot / fingerprint
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(ARCHIVE_NAMES):
            archive.write(folder / name, name)
    return buffer.getvalue()


def unpack_index(data: bytes, slot: Path, fingerprint: str, *, max_bytes: int) -> None:
    """Write the index archive ``data`` (from :func:`pack_index`) into ``slot`` under
    ``fingerprint``, for :func:`saved_index` to load and check. Raises :class:`IndexArchiveError`
    for an archive that is not a zip of exactly the saved index's files or that unpacks to more
    than ``max_bytes``, OSError when the slot cannot be written."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = [member.filename for member in members]
            if sorted(names) != sorted(ARCHIVE_NAMES):
                raise IndexArchiveError(f"unexpected files in the index archive: {', '.join(names[:5])}")
            too_large = f"the index archive unpacks to more than {max_bytes} bytes"
            if sum(member.file_size for member in members) > max_bytes:
                raise IndexArchiveError(too_large)
            slot.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f"{BUILDING_PREFIX}{os.getpid()}-", dir=slot))
            try:
                left = max_bytes
                for member in members:
                    target = tmp.joinpath(*member.filename.split("/"))  # names checked above
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(member) as source, target.open("wb") as out:
                        # Counted as read: the sizes an archive declares may lie.
                        while chunk := source.read(1024 * 1024):
                            left -= len(chunk)
                            if left < 0:
                                raise IndexArchiveError(too_large)
                            out.write(chunk)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise IndexArchiveError(f"the index archive is damaged ({exc})") from None
    _put_in_place(tmp, slot, fingerprint)
