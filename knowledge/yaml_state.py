"""YAML files in the state folder that moderators may also edit by hand (curated answers, glossary).

Loading validates everything and reports problems with the file, the line (from the YAML marks)
and the entry; an invalid file never replaces the state already being served. Writing goes through
:mod:`knowledge.atomic`; when the folder cannot be written the change stays in memory and is
written with the next change (or :meth:`YamlState.flush`).

:class:`YamlState` is the part every such file shares (loading with the error kept, picking up
hand edits, flushing a pending change); :class:`YamlStateFile` is its file side. With the state in
PostgreSQL the same text is kept as a row instead (:mod:`knowledge.database.documents`, a
:class:`YamlStateFile` of its own), so every bot process serves the same curated answers and
glossary; a write made on an older revision than the stored one raises :class:`StateConflict`.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import yaml

from . import safe_yaml
from .atomic import atomic_write_text
from .errors import ChangeNotSaved, EditConflict, StateFileBroken, StateFileError, StateWriteError

logger = logging.getLogger(__name__)


def parse_yaml(text: str, path: Path | str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers), parsed once with the safe loader, anchors,
    aliases and deep nesting refused (:mod:`knowledge.safe_yaml`). Raises :class:`StateFileError`
    with the line of a syntax error or of what was refused."""
    try:
        return safe_yaml.load(text)
    except yaml.YAMLError as exc:
        message, line = safe_yaml.problem(exc)
        raise StateFileError(path, message, line=line + 1 if line is not None else None) from None


def mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The node under ``key`` in a mapping node, if any."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    return None


def line_of(node: yaml.Node | None) -> int | None:
    """The 1-based line a node starts on, or None without a node."""
    return node.start_mark.line + 1 if node is not None else None


def sequence_items(node: yaml.Node | None) -> list[yaml.Node | None]:
    """The item nodes of a sequence node (empty for anything else), for the items' lines."""
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def timestamp(value: Any) -> str:
    """ISO 8601 text; hand-written unquoted timestamps come back from YAML as datetimes."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "")


# Caps shared by the state files' small fields, so no field of a file (imported, or edited by hand)
# is stored at any size: who (a Discord name and id), when (ISO 8601), what was done.
MAX_NAME_CHARS = 200
MAX_STAMP_CHARS = 64


def short_text(value: Any, key: str, limit: int, path: Path | str, line: int | None, entry: str = "") -> str:
    """``value`` as stored text: "" for nothing, ISO 8601 for a date; :class:`StateFileError`
    naming ``key`` when it is a list or mapping, or longer than ``limit`` characters."""
    if isinstance(value, list | dict):
        kind = "a list" if isinstance(value, list) else "a mapping"
        raise StateFileError(path, f"{key!r} must be text, not {kind}", line=line, entry=entry)
    text = timestamp(value) if isinstance(value, date) else str(value if value is not None else "")
    if len(text) > limit:
        message = f"{key!r} is {len(text)} characters; the limit is {limit}"
        raise StateFileError(path, message, line=line, entry=entry)
    return text


def short_texts(
    value: Any, key: str, limit: int, most: int, path: Path | str, line: int | None, entry: str = ""
) -> list[str]:
    """A list of texts (or one text, or nothing) as :func:`short_text` reads each; at most ``most``."""
    values = [v for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]
    if len(values) > most:
        message = f"{key!r} holds {len(values)} items; the limit is {most}"
        raise StateFileError(path, message, line=line, entry=entry)
    return [short_text(v, key, limit, path, line, entry) for v in values]


def signed(
    item: dict, path: Path | str, line: int | None, entry: str = "", *, when: str = "added"
) -> tuple[str, str]:
    """An entry's ``author`` and when it was made (``when``), each capped."""
    author = short_text(item.get("author") or "", "author", MAX_NAME_CHARS, path, line, entry)
    return author, short_text(item.get(when) or "", when, MAX_STAMP_CHARS, path, line, entry)


def now() -> str:
    """The current UTC time as ISO 8601 text to the second, as stored in the state files."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class _BlockDumper(yaml.SafeDumper):
    """Multi-line text as ``|`` blocks, so a hand edit of an answer reads like the answer. Never
    anchors and aliases (a list shared by two entries is written twice): the files are read back
    with them refused."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def dump_yaml(data: Any) -> str:
    """``data`` as YAML in the order given, multi-line text as ``|`` blocks, Unicode as is."""
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)


class StateConflict(Exception):
    """The stored text changed (another bot process wrote it) since it was last read here; the
    write was refused, so that change is not overwritten."""


class YamlStateFile:
    """The file side of a state file: reading with change detection, writing atomically, and
    remembering a write that failed so it is retried."""

    def __init__(self, path: Path | str, *, backup: bool = True) -> None:
        self.path = Path(path)
        #: Whether a write keeps the previous file as ``<name>.bak``.
        self.backup = backup
        self.lock = threading.RLock()
        self.load_error: StateFileError | None = None
        self.write_error: StateWriteError | None = None
        self.pending = False
        #: Whether the last read failed for a reason that may pass (a database out of reach), so
        #: it is worth trying again; a file's mistakes wait for the next edit instead.
        self.read_failed = False
        #: The text last read or written, kept by files that refuse a change they cannot store
        #: (the database's, :class:`~knowledge.errors.ChangeNotSaved`) to serve it again; a file
        #: in a folder never refuses, so it keeps no copy.
        self.saved_text: str | None = None
        self._stamp: tuple[int, int] | None = None

    def _disk_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def sibling(self, name: str, *, backup: bool = True) -> YamlStateFile:
        """The server's state document ``name``, kept where this one is (here: the file beside it)."""
        return YamlStateFile(self.path.with_name(name), backup=backup)

    def changed_on_disk(self) -> bool:
        """Whether the file's modification time or size differs from when it was last read or
        written here (a hand edit, or the file appearing or disappearing)."""
        return self._disk_stamp() != self._stamp

    def mark_stale(self) -> None:
        """Something else changed the text: read it again on the next refresh."""
        self._stamp = None

    def exists(self) -> bool:
        """Whether the file is there (a broken one is not overwritten)."""
        return self.path.exists()

    def read_backup(self) -> tuple[str, Path]:
        """The text of the previous version (``<name>.bak``) and where it was; OSError when none."""
        backup = self.path.with_name(self.path.name + ".bak")
        return backup.read_text(encoding="utf-8"), backup

    def read(self) -> str | None:
        """The file's text, or None when it does not exist. Records the stamp it was read at."""
        stamp = self._disk_stamp()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._stamp = None
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self._stamp = stamp
            raise StateFileError(self.path, f"cannot read the file: {exc}") from None
        self._stamp = stamp
        return text

    def write(self, text: str, *, done: object = None) -> None:
        """Write ``text``; on failure remember it is pending and raise :class:`StateWriteError`
        carrying ``done``, what the change produced in memory."""
        try:
            atomic_write_text(self.path, text, backup=self.backup)
        except StateWriteError as exc:
            exc.done = done
            self.pending, self.write_error = True, exc
            logger.warning("%s; the change is kept in memory and retried on the next write", exc)
            raise
        self.pending, self.write_error = False, None
        self._stamp = self._disk_stamp()


ItemT = TypeVar("ItemT")


class YamlState(ABC, Generic[ItemT]):
    """State served from memory and kept in one YAML file that moderators may also edit by hand.

    Loading keeps the error of an invalid file (:attr:`load_error`) instead of raising;
    :meth:`refresh` picks up hand edits, and an invalid edit never replaces the state being
    served. Changes are written at once (atomically, the previous file kept as ``<name>.bak``);
    when that fails the change is still served, :attr:`pending` is True and the next change (or
    :meth:`flush`) writes everything. Subclasses say how the file is parsed (:meth:`_parse`), held
    (:meth:`_set`) and written (:meth:`_dump`), and take ``self.file.lock`` around changes.
    """

    #: What the file holds, for log messages ("curated answers").
    label: ClassVar[str] = "entries"
    #: Whether a file that is unusable at start-up is replaced by its ``.bak`` (one write back).
    start_from_backup: ClassVar[bool] = False

    def __init__(self, path: Path | str | YamlStateFile) -> None:
        self.file = path if isinstance(path, YamlStateFile) else YamlStateFile(path)
        self._load_initial()

    @property
    def path(self) -> Path:
        """The YAML file."""
        return self.file.path

    @property
    def load_error(self) -> StateFileError | None:
        """Why the file on disk is not being served (line and entry included), or None."""
        return self.file.load_error

    @property
    def pending(self) -> bool:
        """Whether a change is only in memory because writing it failed."""
        return self.file.pending

    @abstractmethod
    def _parse(self, text: str, path: Path | str) -> list[ItemT]:
        """Validate a file's text; raises :class:`StateFileError` naming line and entry."""

    @abstractmethod
    def _set(self, items: Iterable[ItemT]) -> None:
        """Serve ``items`` from now on (replacing the state as a whole: readers hold snapshots)."""

    @abstractmethod
    def _dump(self) -> str:
        """The state being served as the file's text."""

    @abstractmethod
    def __len__(self) -> int: ...

    def _load_initial(self) -> None:
        try:
            self._load()
        except StateFileError as exc:
            self.file.load_error = exc
            if self.file.read_failed:
                # A database out of reach (its store said so once): read again when it is back.
                logger.info("%s; starting with no %s for now", exc, self.label)
                return
            if not self.start_from_backup:
                logger.error("%s; starting with no %s", exc, self.label)
                return
            logger.error("%s; trying the backup", exc)
            try:
                text, backup = self.file.read_backup()
                self._set(self._parse(text, backup))
            except (OSError, StateFileError) as bak_exc:
                logger.error("the backup is unusable too (%s); starting with no %s", bak_exc, self.label)

    def _load(self) -> None:
        text = self.file.read()
        self._set(self._parse(text, self.path) if text is not None else [])
        self.file.load_error = None

    def refresh(self) -> StateFileError | None:
        """Pick up hand edits. An invalid file keeps the current state; the error is returned
        (and kept in :attr:`load_error`) so it can be shown. Pending changes are never dropped."""
        with self.file.lock:
            if self.file.pending or not self.file.changed_on_disk():
                return self.file.load_error
            try:
                self._load()
                logger.info("reloaded %s: %d %s", self.path, len(self), self.label)
            except StateFileError as exc:
                self.file.load_error = exc
                logger.error("%s; still serving the previous %s", exc, self.label)
            return self.file.load_error

    def _begin_change(self) -> None:
        """Pick up hand edits before a change (call with ``self.file.lock`` held), and refuse the
        change with :class:`StateFileBroken` while the file on disk does not parse: writing now
        would replace the operator's hand edit with the last good version."""
        error = self.refresh()
        if error is not None and self.file.exists():
            logger.error("%s; refusing to change %s until it is fixed", error, self.path)
            raise StateFileBroken(error)

    def _save(self, done: object = None) -> None:
        """Write the state; raises :class:`StateWriteError` carrying ``done`` (the change then
        stays pending), or :class:`EditConflict` when another bot process saved a change first
        (the state it saved is served then, and this change is dropped)."""
        try:
            self.file.write(self._dump(), done=done)
        except ChangeNotSaved:
            # Serve what is stored again: the change exists nowhere else.
            saved = self.file.saved_text
            self._set(self._parse(saved, self.path) if saved is not None else [])
            raise
        except StateConflict:
            self._load()
            raise EditConflict(
                f"the {self.label} were changed by another moderator meanwhile, so this change was not "
                "saved; look again and repeat it",
                None,
            ) from None

    def flush(self) -> None:
        """Write pending changes now; raises :class:`StateWriteError` if still impossible."""
        with self.file.lock:
            if self.file.pending:
                self._save()
