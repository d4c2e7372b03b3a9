"""The command line as CI and users drive it: exit codes, formats, files written or not."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import paths
from scoredsl.cli.main import cli

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
    decay inactivity { 30d => 50% }
    rule pricing: count(page_view where url contains "/pricing" within 30d) >= 2 => +30
    rule demo:    each form_submit where form == "demo" => +50 once
  }
  tier lifecycle by fit + engagement { sql: >= 60; mql: >= 30; lead: otherwise }
}
"""
CONTACTS = """id,email,job_title,employees
c1,ann@example.com,VP Sales,120
c2,bob@acme.com,Engineer,5000
c3,cat@example.com,,7
c4,dan@example.com,vp of marketing,
"""
EVENTS = """contact_id,type,timestamp,url,form
c1,page_view,2026-10-20T10:00:00Z,/pricing,
c1,page_view,2026-10-25T10:00:00Z,/Pricing/enterprise,
c1,form_submit,2026-10-26T10:00:00Z,,Demo
c1,form_submit,2026-10-27T10:00:00Z,,demo
c3,page_view,2026-12-01T00:00:00Z,/pricing,
c4,form_submit,2026-08-01T00:00:00Z,,demo
"""


@pytest.fixture()
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.score").write_text(MODEL)
    data = tmp_path / "data"
    data.mkdir()
    (data / "contacts.csv").write_text(CONTACTS)
    (data / "events.csv").write_text(EVENTS)
    return tmp_path


def invoke(project: Path, *args: str):
    """Run the CLI in the project folder (the fixture made it the working directory)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_args(*extra):
    return ["run", "model.score", "--source", "csv:data", "--as-of", "2026-11-01", *extra]


def test_run_writes_one_row_per_contact(project):
    result = invoke(project, *run_args("--sink", "csv:out.csv"))
    assert result.exit_code == 0, result.output
    lines = (project / "out.csv").read_text().splitlines()
    assert lines[0] == "contact_id,model,status,reason,fit,engagement,lifecycle,model_version,as_of"
    rows = [line.split(",") for line in lines[1:]]
    by_id = {r[0]: r for r in rows}
    # c1: vp (+20) and 10..499 (+10) = 30; two pricing views in 30d (+30), demo once (+50) = 80
    assert by_id["c1"][2:7] == ["scored", "", "30", "80", "sql"]
    assert by_id["c2"][2:7] == ["disqualified", "employee", "", "", ""]
    # c3: < 10 employees (-5); its only page view is after as_of and is ignored
    assert by_id["c3"][2:7] == ["scored", "", "-5", "0", "lead"]
    # c4: vp (+20), employees missing (0); demo 92 days ago: 50 decayed to 50% = 25
    assert by_id["c4"][2:7] == ["scored", "", "20", "25", "mql"]


def test_run_is_byte_identical_for_the_same_inputs(project):
    for name in ("a", "b"):
        assert invoke(project, *run_args("--sink", f"jsonl:{name}.jsonl")).exit_code == 0
    assert (project / "a.jsonl").read_bytes() == (project / "b.jsonl").read_bytes()


def test_run_summary_goes_to_stderr_and_data_to_stdout(project):
    result = invoke(project, *run_args())
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("contact_id,model,status")
    assert "as of 2026-11-01T00:00:00Z" in result.stderr
    assert "3 scored, 1 disqualified, 0 out of scope" in result.stderr
    assert "lifecycle: sql 1, mql 1, lead 1" in result.stderr


def test_bad_data_fails_the_run_and_writes_nothing(project):
    (project / "out.csv").write_text("previous results\n")
    (project / "data" / "contacts.csv").write_text(CONTACTS + "c5,eve@example.com,CTO,many\n")
    result = invoke(project, *run_args("--sink", "csv:out.csv"))
    assert result.exit_code == 1
    assert "contacts.csv, row 6, column 'employees': 'many' is not an int" in result.output
    assert (project / "out.csv").read_text() == "previous results\n"


def test_skip_mode_scores_the_rest_and_counts_the_bad_row(project):
    (project / "data" / "contacts.csv").write_text(CONTACTS + "c5,eve@example.com,CTO,many\n")
    result = invoke(project, *run_args("--sink", "csv:out.csv", "--on-error", "skip"))
    assert result.exit_code == 0
    assert "1 row skipped because of bad data" in result.output
    assert len((project / "out.csv").read_text().splitlines()) == 5


def test_a_rule_file_with_errors_exits_1_without_output(project):
    (project / "model.score").write_text(MODEL.replace("employees {", "employes {"))
    result = invoke(project, *run_args("--sink", "csv:out.csv"))
    assert result.exit_code == 1
    assert "unknown property or constant 'employes'" in result.output
    assert not (project / "out.csv").exists()


def test_unknown_source_scheme_is_a_usage_error(project):
    result = invoke(project, "run", "model.score", "--source", "nosuch:data", "--as-of", "2026-11-01")
    assert result.exit_code == 2
    assert "cannot open source 'nosuch:data'" in result.output


def test_bad_as_of_is_a_usage_error(project):
    result = invoke(project, "run", "model.score", "--source", "csv:data", "--as-of", "yesterday")
    assert result.exit_code == 2
    assert "is not an ISO date or datetime" in result.output


def test_check_exit_codes_and_formats(project):
    assert invoke(project, "check", "model.score").exit_code == 0
    (project / "bad.score").write_text(MODEL.replace('"@acme.com"', "acme"))
    text = invoke(project, "check", "bad.score")
    assert text.exit_code == 1
    assert "bad.score:8:40: error[SD201]: unknown property or constant 'acme'" in text.output
    gh = invoke(project, "check", "--format", "github", "bad.score")
    assert gh.exit_code == 1
    assert "::error file=bad.score,line=8,col=40,endLine=8,endColumn=44,title=SD201::" in gh.output
    js = invoke(project, "check", "--format", "json", "bad.score")
    assert json.loads(js.stdout)[0]["code"] == "SD201"


def test_warnings_fail_only_with_strict(project):
    (project / "warn.score").write_text(MODEL.replace("lead: otherwise", "lead: >= 0"))
    assert invoke(project, "check", "warn.score").exit_code == 0
    assert invoke(project, "check", "--strict", "warn.score").exit_code == 1


def test_explain_shows_each_rule_and_the_decay(project):
    result = invoke(project, "explain", "model.score", "--source", "csv:data", "--contact", "c4",
                    "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "score engagement = 25" in out
    assert "idle 92 days: keep 50%" in out
    assert "size" in out and "no band" in out
    assert "tier lifecycle: mql" in out


def test_explain_json_matches_run(project):
    result = invoke(project, "explain", "model.score", "--source", "csv:data", "--contact", "c1",
                    "--as-of", "2026-11-01", "--format", "json")
    data = json.loads(result.stdout)
    assert [s["value"] for s in data["scores"]] == [30, 80]
    assert data["tiers"] == [{"name": "lifecycle", "label": "sql"}]
    demo = next(r for s in data["scores"] for r in s["rules"] if r["name"] == "demo")
    assert demo["outcome"] == "2 events" and demo["points"] == 50


def test_explain_unknown_contact(project):
    result = invoke(project, "explain", "model.score", "--source", "csv:data", "--contact", "zz")
    assert result.exit_code == 1
    assert "no contact with id 'zz'" in result.output


def test_compile_emits_python_with_rule_lines(project):
    result = invoke(project, "compile", "model.score", "--emit", "python")
    assert result.exit_code == 0
    compile(result.output, "generated", "exec")
    assert "def score_0(contact, events, as_of):" in result.output


def test_compile_emits_each_models_accumulators_or_why_it_has_none(project):
    result = invoke(project, "compile", "model.score", "--emit", "fold")
    assert result.exit_code == 0
    compile(result.output, "generated", "exec")
    assert "def fold_events_0(events, memory, fresh, budget, as_of, tick=None):" in result.output
    assert "def finish_0(contact, s, as_of):" in result.output
    (project / "props.score").write_text(
        "schema { contact { plan: text } event visit { url: text } }\n"
        'model m { score s { rule r: count(visit where url == plan) >= 1 => +5 } }\n')
    result = invoke(project, "compile", "props.score", "--emit", "fold")
    assert result.exit_code == 0
    assert result.output.startswith("# model m: no accumulators, an event filter reads more than its event")


def test_check_sarif_for_code_scanning(project):
    (project / "bad.score").write_text(MODEL.replace('"@acme.com"', "acme"))
    result = invoke(project, "check", "--format", "sarif", "bad.score")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "scoredsl"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["SD201"]
    (finding,) = run["results"]
    assert finding["ruleId"] == "SD201" and finding["level"] == "error"
    assert finding["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "bad.score"},
        "region": {"startLine": 8, "startColumn": 40, "endLine": 8, "endColumn": 44}}


def test_counts_are_said_in_the_right_number(tmp_path):
    from scoredsl.cli.options import counted

    assert [counted(n, "row") for n in (0, 1, 2, 1000)] == ["0 rows", "1 row", "2 rows", "1,000 rows"]
    (tmp_path / "m.score").write_text("schema {\n  contact { x: int }\n  event visit\n}\n"
                                      "model m { score fit { rule r: x > 1 => +1 } }\n")
    (tmp_path / "contacts.csv").write_text("id,x\nc1,5\n")
    (tmp_path / "events.csv").write_text("contact_id,type,timestamp\nnobody,visit,2026-01-01\nc1,call,2026-01-01\n")
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "m.score"), "--source",
                                      f"csv:{tmp_path / 'contacts.csv'}?events={tmp_path / 'events.csv'}",
                                      "--as-of", "2026-02-01"])
    assert result.exit_code == 0, result.output
    assert "1 contact, 1 event in " in result.output
    assert "1 event of types the schema does not declare was ignored" in result.output
    assert "1 event belongs to no contact in the source" in result.output


def test_explain_json_gives_a_disqualified_contact_no_score_or_tier_as_run_does(project):
    """What the rules would give is kept, as "computed"; the value and label are run's: none."""
    run = invoke(project, "run", "model.score", "--source", "csv:data", "--as-of", "2026-11-01")
    row = next(r for r in csv.DictReader(io.StringIO(run.stdout)) if r["contact_id"] == "c2")
    assert row["status"] == "disqualified" and row["lifecycle"] == "" and row["fit"] == ""
    result = invoke(project, "explain", "model.score", "--source", "csv:data", "--contact", "c2",
                    "--as-of", "2026-11-01", "--format", "json")
    data = json.loads(result.stdout)
    assert data["status"] == "disqualified"
    assert data["tiers"] == [{"name": "lifecycle", "label": None, "computed": "lead"}]
    assert [(s["value"], s["computed"]) for s in data["scores"]] == [(None, 15), (None, 0)]   # size: 5000


@pytest.mark.parametrize("sink", ["csv:-", "jsonl:-", "table:-"])
def test_a_failed_run_prints_no_row_on_standard_output(project, sink):
    """Rows for standard output are held until the run succeeds, as a file's are: "nothing
    was written" is true there too."""
    (project / "data" / "events.csv").write_text("contact_id,type,timestamp,url,form\nc1,page_view,soon,,\n")
    result = invoke(project, "run", "model.score", "--source", "csv:data", "--as-of", "2026-11-01", "--sink", sink)
    assert result.exit_code == 1
    assert "nothing was written" in result.stderr
    assert result.stdout == ""


def test_a_spec_without_a_scheme_is_inferred_as_the_readme_says(project):
    result = invoke(project, "run", "model.score", "--source", "data", "--as-of", "2026-11-01", "--sink", "out.csv")
    assert result.exit_code == 0, result.output
    assert (project / "out.csv").read_text().startswith("contact_id,model,status")
    unclear = invoke(project, "run", "model.score", "--source", "data", "--sink", "out.txt")
    assert unclear.exit_code == 2 and "write SCHEME:LOCATION" in unclear.stderr


def test_the_command_line_called_inside_another_program_freezes_none_of_its_objects(invoke):
    """Only the ``scoredsl`` process itself freezes what importing a command built: a program
    that calls the command line (a test, a notebook) keeps collecting its own garbage."""
    import gc

    before = gc.get_freeze_count()
    result = invoke("check", paths.ROOT / "examples" / "b2b_saas" / "model.score")
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == before
