"""Golden diagnostics: every bad rule file in tests/diagnostics/ and exactly what check prints.

Each ``NAME.score`` has a ``NAME.expected`` holding the text output of ``scoredsl check``
(file:line:col, the source line, the caret, the hint). To accept new output after a deliberate
change, run ``SCOREDSL_UPDATE_GOLDEN=1 pytest tests/test_diagnostics.py`` and review the diff.
"""

from __future__ import annotations

import json
import os

import pytest

import paths
from scoredsl.compiler.pipeline import check_file
from scoredsl.diagnostics import render_json, render_text, sort

HERE = paths.TESTS / "diagnostics"
CASES = sorted(p.name for p in HERE.glob("*.score"))


def _check(name: str):
    cwd = os.getcwd()
    os.chdir(HERE)  # so that paths in the output are as a user in that folder sees them
    try:
        diagnostics, sources = check_file(name)
    finally:
        os.chdir(cwd)
    return sort(diagnostics), sources


@pytest.mark.parametrize("name", CASES)
def test_golden_output(name):
    diagnostics, sources = _check(name)
    actual = render_text(diagnostics, sources) + "\n"
    expected_file = HERE / name.replace(".score", ".expected")
    if os.environ.get("SCOREDSL_UPDATE_GOLDEN"):
        expected_file.write_text(actual, "utf-8")
    assert expected_file.exists(), f"no golden output for {name}; run with SCOREDSL_UPDATE_GOLDEN=1"
    assert actual == expected_file.read_text("utf-8")


@pytest.mark.parametrize("name", CASES)
def test_every_bad_file_has_an_error_with_a_location(name):
    diagnostics, _ = _check(name)
    errors = [d for d in diagnostics if d.is_error]
    assert errors, "each golden case is a file with at least one error"
    for d in errors:
        assert d.span is not None and d.span.line >= 1 and d.span.column >= 1
        assert d.code.startswith("SD") and len(d.code) == 5


def test_all_problems_of_a_file_are_reported_not_only_the_first():
    diagnostics, _ = _check("types.score")
    assert len([d for d in diagnostics if d.is_error]) == 8


def test_json_records_carry_code_severity_and_both_ends():
    diagnostics, _ = _check("unknown_names.score")
    records = json.loads(render_json(diagnostics))
    first = records[0]
    assert first == {
        "code": "SD201", "severity": "error", "message": "unknown property or constant 'employes'",
        "hint": "did you mean 'employees'?", "file": "unknown_names.score",
        "start": {"line": 10, "column": 20}, "end": {"line": 10, "column": 28},
    }
