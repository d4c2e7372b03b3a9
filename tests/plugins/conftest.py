"""Fixtures of the plugin tests."""

from __future__ import annotations

import sys
import textwrap

import pytest


@pytest.fixture
def install(tmp_path, monkeypatch):
    """Install a plugin distribution into a folder on sys.path: a real entry point."""
    monkeypatch.syspath_prepend(str(tmp_path))
    added = []

    def install(name: str, source: str) -> None:
        module = f"scoredsl_test_{name}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        info = tmp_path / f"{module}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[scoredsl]\n{name} = {module}\n")
        added.append(module)

    yield install
    for module in added:
        sys.modules.pop(module, None)
