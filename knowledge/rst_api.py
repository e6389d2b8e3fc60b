"""The API objects a reST file's directives document (``.. py:function::``, ``.. class::``,
``.. autoclass::``, ``.. confval::``…), named as Sphinx names them, for looking them up by name
(:mod:`knowledge.apiref`).

:mod:`knowledge.rst` puts an :class:`api` marker where a directive documents an object (and where
``.. module::``/``.. currentmodule::`` sets the module of the names after it); its writer hands each
marker to an :class:`ApiRecorder`, which keeps the module and classes in scope and records every
object at its offset in the text written.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes

# How an object is named where it is looked up (``/lookup``): its directive's role, in short.
_ROLE_SHOWN = {
    "coroutinefunction": "function", "coroutinemethod": "method", "decoratormethod": "decorator",
    "cmdoption": "option", "describe": "object", "autoclass": "class", "autofunction": "function",
    "automethod": "method", "autoexception": "exception", "autodata": "data",
    "autoattribute": "attribute", "autoproperty": "property", "automodule": "module",
    "currentmodule": "currentmodule",
}  # fmt: skip
# Directives that set the module of the names after them, and the roles that hold members.
_MODULE_DIRECTIVES = {"module", "currentmodule"}
_CLASS_ROLES = {"class", "exception"}
_OPTION_NAME = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*|/[A-Za-z]\w*)")
_OBJECT_NAME = re.compile(r"\s*(?:(?:async|await|class|def)\s+)?([A-Za-z_][\w.:-]*)")
_BLANK_RUN = re.compile(r"\n{3,}")


class api(nodes.Invisible, nodes.Element):  # lower case, as docutils names its nodes
    """Where an API object is documented (``role``, ``names``, ``body``: whether its text is in
    the file), or where ``.. currentmodule::`` sets the module of the names after it."""


def names_an_object(directive: str) -> bool:
    """Whether a silent directive (``autoclass``, ``module``…) still names an object or a module."""
    return directive in _ROLE_SHOWN or directive == "module"


def api_marker(directive: str, argument: str, body: bool) -> api | None:
    """The marker of the object ``directive:: argument`` documents; None when it names none."""
    role = _ROLE_SHOWN.get(directive, directive)
    if role == "option":
        names = _OPTION_NAME.findall(argument)
    else:
        found = _OBJECT_NAME.match(argument)
        names = [found.group(1).rstrip(".:")] if found else []
    return api(role=role, names=names, body=body) if names else None


def holds_marker(node: nodes.Node) -> bool:
    """Whether ``node`` is a directive's output holding its object's marker (and its members)."""
    return isinstance(node, nodes.container) and any(isinstance(c, api) for c in node.children)


class ApiRecorder:
    """The objects of one file as its text is written: ``objects`` holds ``[offset, role, full
    name, anchor, body]`` lists; ``scope`` the module, then the classes the next objects are in."""

    def __init__(self) -> None:
        self.objects: list[list[Any]] = []
        self.scope: list[str] = []

    def record(self, node: api, offset: int) -> None:
        """Record the object ``node`` marks at ``offset``, named as Sphinx names it."""
        role, names = node["role"], node["names"]
        if role in _MODULE_DIRECTIVES:  # module, currentmodule: the names after it are in it
            self.scope[:] = [names[0]]
            if role == "currentmodule":
                return
        for name in names:
            full, anchor = name, ""
            if role in {"envvar", "confval"}:
                anchor = f"{role}-{name}"  # as Sphinx writes their ids
            elif role != "option":  # an option's id names its program: linked by its section
                # autodoc imports a dotted name as it is written; the other directives put it
                # in the current module or class.
                written = not node["body"] and "." in name
                prefix = self.scope[-1] if self.scope and role != "module" and not written else ""
                full = f"{prefix}.{name}" if prefix and not name.startswith(prefix + ".") else name
                anchor = full
            self.objects.append([offset, role, full, anchor, int(node["body"])])
            if role in _CLASS_ROLES and node["body"]:
                self.scope.append(full)

    def squeezed(self, raw: str) -> list[list[Any]]:
        """The objects with their offsets in ``raw`` once its blank-line runs are squeezed to one
        and it is stripped, as :func:`knowledge.rst.rst_to_text` does."""
        squeezed = _BLANK_RUN.sub("\n\n", raw)
        lead = len(squeezed) - len(squeezed.lstrip())
        runs = [run.span() for run in _BLANK_RUN.finditer(raw)]
        out = []
        for offset, *rest in self.objects:
            shift = sum(max(min(end, offset) - start - 2, 0) for start, end in runs if start < offset)
            out.append([max(offset - shift - lead, 0), *rest])
        return out
