"""BEIR corpus files (``.jsonl``): one document per line; a bad line is reported, the others load."""

from __future__ import annotations

import json
from pathlib import Path

from ..models import Document, LoadError
from .base import Read, Reader, SourceFile


def parse_jsonl(text: str, path: Path) -> tuple[list[Document], list[LoadError]]:
    """BEIR corpus lines ``{"_id", "title", "text"}``: one document each; bad lines are reported."""
    docs, errors = [], []
    # Lines end at "\n" only: splitlines() would also split inside a JSON string holding U+2028,
    # U+0085 or a form feed, which JSON allows unescaped.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(LoadError(str(path), f"invalid JSON: {exc.msg}", number))
            continue
        if not isinstance(row, dict) or "_id" not in row or not isinstance(row.get("text", ""), str):
            errors.append(LoadError(str(path), 'each line needs "_id" and a string "text"', number))
            continue
        meta = {k: v for k, v in row.items() if k not in {"_id", "title", "text"}}
        meta.update(path=str(path), format="jsonl", line=number)
        docs.append(Document(str(row["_id"]), str(row.get("title") or ""), row.get("text") or "", meta))
    return docs, errors


def read_jsonl(file: SourceFile) -> Read:
    """Every line of a JSONL file, each document noting the code page the file was read in."""
    rows, errors = parse_jsonl(file.text, file.path)
    return [file.noted(doc) for doc in rows], errors


READER = Reader("jsonl", (".jsonl",), read_jsonl, one_document=False)
