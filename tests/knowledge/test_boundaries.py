"""The knowledge library stays independent of Discord and never configures logging."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import knowledge

PACKAGE = Path(knowledge.__file__).parent


def test_importing_every_knowledge_module_never_imports_discord():
    modules = sorted(f"knowledge.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_knowledge_module_mentions_discord_or_configures_logging():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "discord" for a in node.names), path
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "discord", path
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr != "basicConfig", f"{path} configures logging"
