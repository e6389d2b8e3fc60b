"""YAML files in the state folder that moderators may also edit by hand (curated answers, glossary).

Loading validates everything and reports problems with the file, the line (from the YAML marks)
and the entry; an invalid file never replaces the state already being served. Writing goes through
:mod:`knowledge.atomic`; when the folder cannot be written the change stays in memory and is
written with the next change (or :meth:`YamlStateFile.flush`).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from .atomic import atomic_write_text
from .errors import StateFileError, StateWriteError

logger = logging.getLogger(__name__)


def parse_yaml(text: str, path: Path | str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers). Raises :class:`StateFileError` with the line
    of a syntax error."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StateFileError(path, f"invalid YAML: {problem}", line=mark.line + 1 if mark else None) from None
    return data, node


def mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The node under ``key`` in a mapping node, if any."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    return None


def line_of(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def sequence_items(node: yaml.Node | None) -> list[yaml.Node | None]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def timestamp(value: Any) -> str:
    """ISO 8601 text; hand-written unquoted timestamps come back from YAML as datetimes."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _BlockDumper(yaml.SafeDumper):
    """Multi-line text as ``|`` blocks, so a hand edit of an answer reads like the answer."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)


class YamlStateFile:
    """The file side of a state file: reading with change detection, writing atomically, and
    remembering a write that failed so it is retried."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.lock = threading.RLock()
        self.load_error: StateFileError | None = None
        self.write_error: StateWriteError | None = None
        self.pending = False
        self._stamp: tuple[int, int] | None = None

    def _disk_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def changed_on_disk(self) -> bool:
        return self._disk_stamp() != self._stamp

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
            atomic_write_text(self.path, text)
        except StateWriteError as exc:
            exc.done = done
            self.pending, self.write_error = True, exc
            logger.warning("%s; the change is kept in memory and retried on the next write", exc)
            raise
        self.pending, self.write_error = False, None
        self._stamp = self._disk_stamp()
