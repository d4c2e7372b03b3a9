"""``scoredsl test`` as CI and users drive it: paths, exit codes, formats, --output, coverage."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import paths
from scoredsl.cli import test as cli_test

ROOT = paths.ROOT

MODEL = """
schema {
  contact { email: text, job_title: text, employees: int }
  event page_view { url: text }
  event form_submit { form: text }
}
model b2b {
  disqualify employee: email ends_with "@acme.com"
  score fit {
    rule vp:   job_title matches /\\bvp\\b/ => +20
    rule size: employees { < 10 => -5; 10..499 => +10; >= 500 => +15 }
  }
  score engagement max 100 {
    rule pricing: count(page_view where url contains "/pricing" within 30d) >= 2 => +30
    rule demo:    each form_submit where form == "demo" => +50 once
  }
  tier lifecycle by fit + engagement { sql: >= 60; mql: >= 30; lead: otherwise }
}
"""

# Coverage of these cases, by hand. The model has 10 items: the disqualifier employee; the
# rules vp, pricing and demo; the bands < 10, 10..499 and >= 500 of size; the labels sql, mql
# and lead. Covered: vp, 10..499, pricing, demo and sql (first case), employee (second), lead
# (third): 7 of 10, 70%.
PASSING = """rules = "model.score"
as_of = "2026-11-01"

[[case]]
name = "VP with a demo is an SQL"
contact = { job_title = "VP Sales", employees = 120 }
events = [
  { type = "page_view", at = "-1d", url = "/pricing", repeat = 2, every = "-1d" },
  { type = "form_submit", at = "-2d", form = "demo" },
]
expect = { fit = 30, engagement = 80, lifecycle = "sql" }

[[case]]
name = "Employee"
contact = { email = "a@acme.com" }
expect = { status = "disqualified", reason = "employee" }

[[case]]
name = "Nobody"
expect = { fit = 0, lifecycle = "lead" }
"""

FAILING = """rules = "model.score"
as_of = "2026-11-01"

[[case]]
name = "Wrong expectation"
contact = { job_title = "VP Sales" }
expect = { fit = 25 }
expect_rules = { vp = 15 }
"""


@pytest.fixture()
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.score").write_text(MODEL)
    (tmp_path / "model.test.toml").write_text(PASSING)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(cli_test.test, list(args), catch_exceptions=False)


def test_the_command_is_named_test():
    assert cli_test.test.name == "test"


def test_all_pass_exit_0(project):
    result = invoke()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "PASS  model.test.toml:4  VP with a demo is an SQL",
        "PASS  model.test.toml:13  Employee",
        "PASS  model.test.toml:18  Nobody",
        "",
        "3 passed, 0 failed (1 test file)",
    ]
    assert result.stderr == ""


def test_a_failure_exits_1_and_shows_expected_actual_and_explanation(project):
    (project / "bad.test.toml").write_text(FAILING)
    result = invoke()
    assert result.exit_code == 1
    out = result.stdout
    assert "FAIL  bad.test.toml:4  Wrong expectation\n      fit: expected 25, got 20\n" \
           "      rule vp: expected +15, got matched (+20)\n" in out
    assert "        contact case-1 · model b2b" in out        # the explain table, indented
    assert "          vp     matched" in out
    assert out.rstrip().endswith("3 passed, 1 failed (2 test files)")


def test_paths_files_and_directories(project):
    (project / "sub" / "deeper").mkdir(parents=True)
    (project / "sub" / "deeper" / "model.score").write_text(MODEL)
    (project / "sub" / "deeper" / "x.test.toml").write_text(PASSING)
    (project / "sub" / "ignored.toml").write_text("not a test file")
    result = invoke("sub")
    assert result.exit_code == 0
    assert "sub/deeper/x.test.toml:4" in result.stdout and "3 passed" in result.stdout
    result = invoke("model.test.toml", "sub/deeper/x.test.toml", "sub")
    assert result.stdout.rstrip().endswith("6 passed, 0 failed (2 test files)")


def test_no_test_files_is_a_finding(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke()
    assert result.exit_code == 1
    assert "no *.test.toml files in ." in result.stderr


@pytest.mark.parametrize("args", [["missing.test.toml"], ["--format", "xml"], ["--min-coverage", "101"],
                                  ["--no-such-option"]])
def test_usage_errors_exit_2(project, args):
    assert invoke(*args).exit_code == 2


def test_a_mistake_in_a_test_file_exits_1(project):
    (project / "typo.test.toml").write_text(FAILING.replace("vp = 15", "vpp = 20").replace("fit = 25", "fit = 20"))
    result = invoke("typo.test.toml")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        "ERROR typo.test.toml:4  Wrong expectation",
        "      expect_rules.vpp: model 'b2b' has no rule 'vpp': did you mean 'vp'?"]
    assert "0 passed, 0 failed, 1 error (1 test file)" in result.stdout


def test_a_rule_file_that_does_not_compile_is_shown_as_diagnostics(project):
    (project / "model.score").write_text(MODEL.replace("=> +20", "=> +20 +"))
    (project / "second.test.toml").write_text(PASSING)
    result = invoke()
    assert result.exit_code == 1
    # rendered as scoredsl check renders it, on stderr, once for the two test files
    assert result.stderr.count("error[SD") == 1
    assert "model.score:10:" in result.stderr and "^" in result.stderr
    assert "ERROR model.test.toml: rules: model.score does not compile (1 error)" in result.stdout
    assert "0 passed, 0 failed, 2 errors (2 test files)" in result.stdout


def test_json_format(project):
    (project / "bad.test.toml").write_text(FAILING)
    result = invoke("--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["summary"] == {"passed": 3, "failed": 1, "errors": 0, "deselected": 0, "files": 2, "ok": False}
    assert [f["file"] for f in data["files"]] == ["bad.test.toml", "model.test.toml"]
    (failed,) = data["files"][0]["cases"]
    assert [m["message"] for m in failed["mismatches"]] == ["fit: expected 25, got 20",
                                                            "rule vp: expected +15, got matched (+20)"]
    assert failed["explanation"]["model"] == "b2b"
    assert (data["coverage"]["covered"], data["coverage"]["total"]) == (7, 10)   # always in the JSON


def test_junit_format_to_stdout_and_to_a_file(project):
    (project / "bad.test.toml").write_text(FAILING)
    result = invoke("--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    assert [s.get("name") for s in root.findall("testsuite")] == ["bad.test.toml", "model.test.toml"]
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "0")
    assert root.find("testsuite/testcase/failure").get("message").startswith("fit: expected 25, got 20")

    result = invoke("--format", "junit", "-o", "junit.xml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "3 passed, 1 failed (2 test files)"
    root = ET.parse(project / "junit.xml").getroot()
    assert len(root.findall("testsuite/testcase")) == 4
    assert not list(project.glob(".junit.xml.*")), "no temporary file left behind"


def test_output_to_a_missing_directory_is_an_error(project):
    result = invoke("--output", "nowhere/report.txt")
    assert result.exit_code == 2
    assert "cannot write nowhere/report.txt" in result.stderr


def test_coverage_table(project):
    result = invoke("--coverage")
    assert result.exit_code == 0
    out = result.stdout
    # see the comment above PASSING: 7 of the 10 items
    header, row = out.split("\n\n")[1].splitlines()[:2]
    assert header.split() == ["coverage", "scope", "disqualify", "rules", "bands", "tiers", "total", "%"]
    assert row.split() == ["b2b", "(model.score)", "-", "1/1", "3/3", "1/3", "2/3", "7/10", "70.0%"]
    assert "model.score:11  b2b: rule size, band < 10: never hit" in out
    assert "model.score:11  b2b: rule size, band >= 500: never hit" in out
    assert "model.score:17  b2b: tier lifecycle, label mql: never assigned" in out
    assert out.rstrip().endswith("3 passed, 0 failed (1 test file)")


def test_min_coverage(project):
    assert invoke("--min-coverage", "70").exit_code == 0
    result = invoke("--min-coverage", "70.5")
    assert result.exit_code == 1
    assert "coverage 70.0% is below --min-coverage 70.5%" in result.stderr
    assert "not covered:" in result.stdout                 # --min-coverage implies --coverage


def test_coverage_with_junit_goes_to_stderr(project):
    result = invoke("--format", "junit", "--coverage")
    assert result.exit_code == 0
    ET.fromstring(result.stdout)
    assert "7/10" in result.stderr


def test_match_runs_only_matching_cases(project):
    result = invoke("-k", "EMPLOYEE")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["PASS  model.test.toml:13  Employee", "",
                                          "1 passed, 0 failed, 2 deselected (1 test file)"]


def test_the_example_suites_pass_with_full_coverage(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = invoke("examples", "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    assert "59 passed, 0 failed (4 test files)" in result.stdout
    assert "not covered:" not in result.stdout


def test_a_report_file_is_readable_as_the_umask_says(project):
    import os

    old = os.umask(0o022)
    try:
        assert invoke("--format", "junit", "-o", "report.xml").exit_code == 0
    finally:
        os.umask(old)
    assert (project / "report.xml").stat().st_mode & 0o777 == 0o644
    os.chmod(project / "report.xml", 0o640)                 # a report replaced keeps its mode
    assert invoke("-o", "report.xml").exit_code == 0
    assert (project / "report.xml").stat().st_mode & 0o777 == 0o640
