"""Front matter: the YAML between ``---`` lines opening a Markdown or text file, or MultiMarkdown
``Title: ...`` lines opening a Markdown file; the keys a document may set and their types."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml

from .. import safe_yaml
from .base import DocumentError

logger = logging.getLogger(__name__)

# Front matter keys and the types they may hold; anything else is kept but warned about.
FRONT_MATTER_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,),
    "authors": (list, str),
    "year": (int, str),
    "source": (str,),
    "url": (str,),
    "doi": (str,),
    "license": (str,),
    "tags": (list, str),
    "myst": (dict,),
    "substitutions": (dict,),  # MyST: knowledge.myst
    "glossary": (dict,),  # readers' words for the document's terms (knowledge.glossary.DocumentGlossary)
}


FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*\r?$\n?", re.S | re.M)
# MultiMarkdown / Python-Markdown metadata: "Key: value" lines opening the file, then a blank line.
KEY_VALUE_HEAD = re.compile(r"\A((?:[A-Za-z][\w-]*:[ \t]*[^\n]*\n)+)(?:[ \t]*\n|\Z)")


def split_front_matter(text: str, path: Path | str) -> tuple[dict[str, Any], str, int]:
    """Split ``---`` YAML front matter from the body: (metadata, body, body's first line number - 1)."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text, 0
    try:
        meta = safe_yaml.safe_load(match.group(1))  # anchors refused: no billion laughs
    except yaml.YAMLError as exc:
        problem, line = safe_yaml.problem(exc, "YAML front matter")  # +1 for 1-based, +1 for the opening ---
        raise DocumentError(path, problem, line + 2 if line is not None else None) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DocumentError(path, "front matter must be a mapping of keys to values", 2)
    for key, value in meta.items():
        expected = FRONT_MATTER_TYPES.get(str(key))
        if expected is None:
            logger.warning("%s: unknown front matter key %s kept as metadata", path, safe_yaml.quote(key))
        elif value is not None and not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in expected)
            lines = match.group(1).splitlines()
            line = next((i + 2 for i, text_line in enumerate(lines) if text_line.startswith(f"{key}:")), None)
            key, value = safe_yaml.quote(key), safe_yaml.quote(value)  # never the whole of a huge value
            raise DocumentError(path, f"front matter key {key} should be {names}, not {value}", line)
    body = text[match.end() :]
    return {str(k): v for k, v in meta.items() if v is not None}, body, text[: match.end()].count("\n")


def key_value_head(body: str) -> tuple[dict[str, Any], str]:
    """MultiMarkdown metadata lines, taken only when the first key is a known front matter key (so
    a file opening with "Note: ..." keeps its text)."""
    match = KEY_VALUE_HEAD.match(body)
    if not match:
        return {}, body
    pairs = [line.split(":", 1) for line in match.group(1).splitlines()]
    if pairs[0][0].strip().lower() not in FRONT_MATTER_TYPES:
        return {}, body
    meta = {key.strip().lower(): value.strip() for key, value in pairs if value.strip()}
    return {k: v for k, v in meta.items() if k in FRONT_MATTER_TYPES}, body[match.end() :]
