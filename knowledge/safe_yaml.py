"""YAML that members, moderators and websites supply, read without letting it grow.

``yaml.safe_load`` builds no objects, but it still follows anchors and aliases: a 404-byte file of
eight lists each repeating the one before nine times ("billion laughs") is 34.7 million characters
once a field is turned into text, and so is the error message that quotes it. The loader here refuses every
anchor (``&name``) and alias (``*name``) while composing, at the first one, before anything is
built, and refuses nesting deeper than :data:`MAX_DEPTH` (libyaml's C composer crashes the
process on a few hundred thousand nested brackets; PyYAML's parser slows quadratically with depth).

The operator's own config file may keep anchors (``allow_aliases=True``); what they expand to is
then counted as it is composed and refused past :data:`MAX_EXPANDED`.

A refusal is a :class:`RefusedYAML`, a ``yaml.MarkedYAMLError``, so every caller that reports a
YAML error with its line reports it the same way. :func:`quote` shortens what an error message
quotes of a value.
"""

from __future__ import annotations

import reprlib
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent, ScalarEvent
from yaml.resolver import Resolver

# Real files nest a handful of levels (a curated answer's history is five deep).
MAX_DEPTH = 40
# With aliases allowed: nodes plus scalar characters that the document stands for, expanded.
MAX_EXPANDED = 1_000_000
# What an error message quotes of a value at most.
QUOTE_CHARS = 80


class RefusedYAML(yaml.MarkedYAMLError):
    """Valid YAML that is not read: an anchor or alias, nesting too deep, or too much expansion."""


class _GuardedComposer(Composer):
    """PyYAML's composer, refusing anchors and aliases (unless allowed), deep nesting and, with
    aliases, an expansion past :data:`MAX_EXPANDED`."""

    allow_aliases = False

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._expanded = 0
        self._weights: dict[int, int] = {}  # id(anchored node) -> its expanded size

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        # An alias names its anchor too: one test refuses both.
        if isinstance(event, NodeEvent) and event.anchor is not None and not self.allow_aliases:
            found = ("*" if isinstance(event, AliasEvent) else "&") + event.anchor[:40]
            problem = f"anchors and aliases are not accepted (found {found}); write each value out in full"
            raise RefusedYAML(None, None, problem, event.start_mark)
        if isinstance(event, CollectionStartEvent) and self._depth >= MAX_DEPTH:
            raise RefusedYAML(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        start = self._expanded
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(event, AliasEvent):
            if id(node) not in self._weights:  # still being composed: a value that holds itself
                problem = f"the alias *{event.anchor[:40]} is inside its own anchor"
                raise RefusedYAML(None, None, problem, event.start_mark)
            self._expanded += self._weights[id(node)]
        else:
            self._expanded += 1 + (len(event.value) if isinstance(event, ScalarEvent) else 0)
            if event.anchor is not None:
                self._weights[id(node)] = self._expanded - start
        if self.allow_aliases and self._expanded > MAX_EXPANDED:  # without aliases: the text's own size
            problem = f"its anchors and aliases expand to over {MAX_EXPANDED:,} nodes and characters"
            raise RefusedYAML(None, None, problem, event.start_mark)
        return node


try:
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None

if CParser is not None:  # libyaml parses (several times faster); composing stays in Python

    class _Loader(_GuardedComposer, CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            _GuardedComposer.__init__(self)

else:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(_GuardedComposer, Reader, Scanner, Parser, SafeConstructor, Resolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            _GuardedComposer.__init__(self)


class _AliasLoader(_Loader):
    allow_aliases = True


def compose(text: str, *, allow_aliases: bool = False) -> yaml.Node | None:
    """The node tree of a one-document YAML text (None when empty); raises ``yaml.YAMLError``,
    :class:`RefusedYAML` for what is refused."""
    loader = (_AliasLoader if allow_aliases else _Loader)(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def load(text: str, *, allow_aliases: bool = False) -> tuple[Any, yaml.Node | None]:
    """The data of a one-document YAML text, as ``yaml.safe_load`` reads it, and its node tree
    (for line numbers); raises ``yaml.YAMLError``, :class:`RefusedYAML` for what is refused."""
    loader = (_AliasLoader if allow_aliases else _Loader)(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def safe_load(text: str) -> Any:
    """Like ``yaml.safe_load``, with anchors, aliases and deep nesting refused."""
    return load(text)[0]


def problem(exc: yaml.YAMLError, context: str = "YAML") -> tuple[str, int | None]:
    """What is wrong, as an error message says it (``invalid YAML: …``, ``YAML refused: …``;
    ``context`` names what it is, "YAML front matter"), and the 0-based line, None when unknown."""
    mark = getattr(exc, "problem_mark", None)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    what = what if len(what) <= 200 else what[:199] + "…"
    message = f"{context} refused: {what}" if isinstance(exc, RefusedYAML) else f"invalid {context}: {what}"
    return message, (mark.line if mark else None)


_QUOTER = reprlib.Repr()  # its keyword arguments are Python 3.12's
_QUOTER.maxlevel, _QUOTER.maxstring, _QUOTER.maxother = 2, 60, 60
_QUOTER.maxdict = _QUOTER.maxlist = _QUOTER.maxtuple = _QUOTER.maxset = 3


def quote(value: object) -> str:
    """``repr(value)`` short enough for an error message, however large ``value`` is."""
    text = _QUOTER.repr(value)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
