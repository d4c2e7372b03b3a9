"""Fixtures that tests of every folder share. (The Hypothesis profiles, shared with the
plugins' tests, are in the repository's top-level conftest.py.)"""

from __future__ import annotations

import sys
import textwrap

import pytest
from click.testing import CliRunner

import paths


@pytest.fixture
def repo():
    """The repository's paths (``repo.ROOT``, ``repo.EXAMPLES``, ``repo.TESTS``)."""
    return paths


@pytest.fixture
def invoke():
    """Run the ``scoredsl`` command line in this process: ``invoke("check", path)``."""
    from scoredsl.cli.main import cli

    def run(*args, **kwargs):
        kwargs.setdefault("catch_exceptions", False)
        return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)
    return run


@pytest.fixture
def install(tmp_path, monkeypatch):
    """Install a plugin distribution into a folder on sys.path, a real entry point:
    ``install("name", SOURCE)``."""
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
