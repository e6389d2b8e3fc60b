"""The API objects of a knowledge base, for ``/lookup`` (:mod:`knowledge.apiref`): the reST
directives its documents record (:mod:`knowledge.rst`; MyST's directive fences,
:mod:`knowledge.myst_api`), the Sphinx inventories beside them (:mod:`knowledge.inventory`) and,
for documents with neither, headings that name code (``## `Client.run` ``, ``## run()``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .inventory import inventory_entries, inventory_files
from .kb import KnowledgeBase
from .models import Document, Passage

logger = logging.getLogger(__name__)

# A heading that names code: in backticks, called (``run()``) or dotted/underscored (``Client.run``;
# not a version, ``v2.0``).
_CODE_HEADING = re.compile(
    r"^(?:`(?P<quoted>[A-Za-z_][\w.:-]*)(?:\(\))?`|(?P<called>[A-Za-z_][\w.]*)\(\)|"
    r"(?P<dotted>[A-Za-z_]\w*(?:[._][A-Za-z_]\w*)+))$"
)
# A line holding a code span alone: how knowledge.myst writes an API directive's signature, so a
# Markdown page without one has no directive fences to read.
_SIGNATURE_LINE = re.compile(r"^`[^\n]+`$", re.M)


@dataclass(frozen=True)
class ApiObject:
    """An object that can be looked up: its full ``name`` and ``role`` (``class``, ``method``,
    ``option``…); the document documenting it (``doc_id``, "" when unknown), where in that
    document (``offset``; -1: found by its name when described), the ``link`` to its anchor, and
    whether the document holds its description (``body``: not for ``autoclass``)."""

    name: str
    role: str
    doc_id: str = ""
    offset: int = -1
    link: str = ""
    body: bool = True


def collect_objects(kb: KnowledgeBase) -> list[ApiObject]:
    """The API objects of ``kb``: its reST documents' directives, the inventories beside its
    documents, and code-naming headings (those of documents with neither)."""
    docs = list(kb.documents.values())
    objects = [*_directive_objects(docs)]
    by_name = {(o.name, o.role): i for i, o in enumerate(objects)}
    for path in inventory_files(docs, kb.source):
        for entry in inventory_entries(path, docs):
            known = by_name.get((entry.name, entry.role))
            if known is not None:  # the reST source and its build: the source's place, the site's link
                if entry.link and not objects[known].link:
                    o = objects[known]
                    objects[known] = ApiObject(o.name, o.role, o.doc_id, o.offset, entry.link, o.body)
                continue
            by_name[(entry.name, entry.role)] = len(objects)
            objects.append(
                ApiObject(entry.name, entry.role, entry.doc.id if entry.doc else "", -1, entry.link)
            )
    covered = {o.doc_id for o in objects}
    objects.extend(_heading_objects(kb.passages, kb.documents, covered))
    logger.info("%d API objects indexed for lookup", len(objects))
    return objects


def _directive_objects(docs: Sequence[Document]) -> Iterable[ApiObject]:
    for doc in docs:
        for offset, role, name, anchor, body in doc.meta.get("objects") or _myst_objects(doc):
            base = doc.link.partition("#")[0]
            link = f"{base}#{anchor}" if base and anchor else doc.link_at(offset)
            yield ApiObject(name, role, doc.id, offset, link, bool(body))


def _myst_objects(doc: Document) -> list[list[Any]]:
    """The objects of a Markdown page's MyST directive fences and ``{eval-rst}`` blocks, read from
    its file: only a page with a line holding a code span alone (a directive's signature, as
    knowledge.myst writes it) or a block of reST."""
    path = doc.meta.get("path")
    signs = doc.meta.get("eval_rst") or _SIGNATURE_LINE.search(doc.text)
    if doc.meta.get("format") != "markdown" or not path or not signs:
        return []
    try:
        source = Path(str(path)).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    # Imported here: its directive names come with docutils (about 4 MiB), which only a page with
    # directive fences needs.
    from .myst_api import myst_objects

    return myst_objects(source, doc.text)


def _heading_objects(
    passages: Sequence[Passage], documents: dict[str, Document], covered: set[str]
) -> Iterable[ApiObject]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for p in passages:
        if p.doc_id in covered or not p.section or (p.doc_id, p.section) in seen:
            continue
        seen.add((p.doc_id, p.section))
        named = _CODE_HEADING.match(p.section[-1].strip())
        if named is None:
            continue
        name = named.group("quoted") or named.group("called") or named.group("dotted")
        role = "function" if named.group("called") or p.section[-1].endswith("()`") else "heading"
        heading = documents[p.doc_id].text.rfind("\n#", 0, p.start) + 1  # its line: the signature
        yield ApiObject(name, role, p.doc_id, heading, documents[p.doc_id].link_at(p.start))
