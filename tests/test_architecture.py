"""The modules of ``knowledge`` and ``bot`` import each other one way only: a reader can follow a
question from the bot down into the library without being sent back up. Imports under
``if TYPE_CHECKING:`` count too: a type a module names is a module its reader opens."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("knowledge", "bot")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement: at module level, in a function, or under ``if TYPE_CHECKING:``."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> set[str]:
    """The project modules an import statement loads."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    if node.level:
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        base = ".".join(package[: len(package) - (node.level - 1)])
        module = f"{base}.{node.module}" if node.module else base
    else:
        module = node.module or ""
    submodules = {f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in modules}
    # ``from . import render`` loads the module ``render``; only names that are not modules come
    # from the package itself.
    from_package = len(submodules) < len(node.names) and module in modules
    return submodules | ({module} if from_package else set())


def module_imports(name: str, path: Path, source: str, modules: dict[str, Path]) -> set[str]:
    """The project modules the module ``name`` (its file ``path``, its text ``source``) imports."""
    tree = ast.parse(source, filename=str(path))
    return {t for node in _imports(tree) for t in _targets(name, path, node, modules)} - {name}


def import_graph() -> dict[str, set[str]]:
    """Each project module and the project modules it imports, for use or for its types."""
    modules = _modules()
    return {
        name: module_imports(name, path, path.read_text(encoding="utf-8"), modules)
        for name, path in modules.items()
    }


def test_the_import_graph_is_read_from_the_real_modules():
    graph = import_graph()
    assert "knowledge.models" in graph["knowledge.kb"]
    assert "knowledge.kb" in graph["knowledge.assistant"]
    assert "bot.render" in graph["bot.answering"]
    # Named only for a type (in bot/utils.py's ``if TYPE_CHECKING:`` block), still an edge.
    assert "bot.core" in graph["bot.utils"]


def test_an_import_for_types_only_is_an_edge_of_the_graph():
    source = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .app import CitebotBot\n"
    imported = module_imports("bot.utils", ROOT / "bot" / "utils.py", source, _modules())
    assert imported == {"bot.app"}


def test_no_import_cycles_between_modules():
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_a_cycle_would_be_found():
    graph = {"a": {"b"}, "b": {"a"}}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError:
        return
    raise AssertionError("a two-module cycle went unnoticed")
