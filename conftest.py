"""Hypothesis profiles for every test suite of the repository (tests/ and plugins/*/tests).

The profile is chosen by ``SCOREDSL_HYPOTHESIS``:

``ci`` (the default)
    Derandomized: every run draws the same examples, so the suite's verdict is the same on
    every run and every machine. No example database. A failure prints the falsifying example
    and the ``@reproduce_failure`` line that replays it.
``explore``
    Randomized, ten times the examples of each property (``examples()`` in
    tests/strategies.py), for a developer to run on purpose in search of new failures::

        SCOREDSL_HYPOTHESIS=explore python -m pytest tests

    A failure found this way prints the same reproduction line; add the example to the test
    with ``@example(...)`` so that ``ci`` keeps it.
"""

import os

import pytest
from hypothesis import settings

PROFILE = os.environ.get("SCOREDSL_HYPOTHESIS", "ci")
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True, deadline=None)
if PROFILE not in ("ci", "explore"):
    raise pytest.UsageError(f"SCOREDSL_HYPOTHESIS={PROFILE!r}: use ci or explore")
settings.load_profile(PROFILE)


@pytest.fixture(autouse=True)
def _forget_secrets():
    """Each test starts with no secret remembered: a password one test used must not mask the
    text of another test's messages."""
    yield
    from scoredsl.data.specs import forget

    forget()
