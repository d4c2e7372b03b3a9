"""Shared test set-up: Hypothesis profiles, and fixtures every folder of tests uses.

Hypothesis runs under one of two profiles, chosen by ``SCOREDSL_HYPOTHESIS``:

``ci`` (the default)
    Derandomized: every run draws the same examples, so the suite's verdict is the same on
    every run and every machine. No example database. A failure prints the falsifying example
    and the ``@reproduce_failure`` line that replays it.
``explore``
    Randomized, ten times the examples of each property (:func:`examples`), for a developer
    to run on purpose in search of new failures::

        SCOREDSL_HYPOTHESIS=explore python -m pytest tests

    A failure found this way prints the same reproduction line; add the example to the test
    with ``@example(...)`` so that ``ci`` keeps it.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from hypothesis import settings

import paths

PROFILE = os.environ.get("SCOREDSL_HYPOTHESIS", "ci")
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True, deadline=None)
if PROFILE not in ("ci", "explore"):
    raise pytest.UsageError(f"SCOREDSL_HYPOTHESIS={PROFILE!r}: use ci or explore")
settings.load_profile(PROFILE)


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
