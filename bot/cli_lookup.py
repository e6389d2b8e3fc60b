"""``citebot lookup NAME``: an API object of the documentation by name, as ``/lookup`` finds it.

    citebot lookup send [--knowledge DIR] [--server ID]

Prints the object's full name and role, the first sentence of its description and where it is
documented (with the link to its anchor), then the other objects of that name; for an unknown
name, the close names, with exit status 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from knowledge.models import format_citation

if TYPE_CHECKING:
    # Imported when a lookup runs: the API index brings the reST and MyST readers (docutils), a
    # fifth of the start of every other command, `citebot ask` among them.
    from knowledge.apiref import Described, LookupMatch
    from knowledge.kb import KnowledgeBase

OTHERS_SHOWN = 5


def cmd_lookup(args: argparse.Namespace, kb: KnowledgeBase) -> int:
    """``citebot lookup``: the object named ``args.name`` in ``kb``."""
    from knowledge.apiref import ApiIndex

    index = ApiIndex.of(kb)
    result = index.lookup(args.name, limit=1 + OTHERS_SHOWN)
    if not result.found:
        if not len(index):
            print("The documents name no API objects (no Sphinx objects.inv, no reST API directives).")
        elif result.matches:
            print(f"Nothing is named {result.query!r}. Close names:")
            print("\n".join(f"  {_named(m)}" for m in result.matches))
        else:
            print(f"Nothing is named {result.query!r}.")
        return 1
    print(describe_text(index.describe(result.matches[0].obj)))
    if len(result.matches) > 1:
        print("Also named so:")
        print("\n".join(f"  {_named(m)}" for m in result.matches[1:]))
    return 0


def _named(match: LookupMatch) -> str:
    return f"{match.obj.name} ({match.obj.role})"


def describe_text(described: Described) -> str:
    """``name (role)``, then the first sentence of its description and its citation, indented."""
    lines = [f"{described.obj.name} ({described.obj.role})"]
    if described.summary:
        lines.append(f"  {described.summary}")
    if described.title:
        lines.append(f"  {format_citation(described.title, described.section, link=described.link)}")
    elif described.link:
        lines.append(f"  {described.link}")
    return "\n".join(lines)


def register(
    subparsers: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    knowledge: Callable[[argparse.Namespace], KnowledgeBase],
) -> None:
    """Add ``lookup`` to the ``citebot`` command (``common``: --knowledge, --state-dir, --server…;
    ``knowledge(args)``: the knowledge base they choose, as the bot answers from it)."""
    lookup = subparsers.add_parser(
        "lookup", parents=[common], help="find a class, function, method, option or setting by name"
    )
    lookup.add_argument("name", help="its name or the end of it: send, Client.run, discord.Intents")
    lookup.set_defaults(func=lambda args: cmd_lookup(args, knowledge(args)))
