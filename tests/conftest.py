"""Fixtures that tests of every folder share. (The Hypothesis profiles, shared with the
plugins' tests, are in the repository's top-level conftest.py.)"""

from __future__ import annotations

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
