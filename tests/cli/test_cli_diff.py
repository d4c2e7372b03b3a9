"""scoredsl diff as CI drives it: formats, determinism, --fail-on exit codes, and git refs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoredsl.cli.diff import diff
from diffdata import CONTACTS, MODEL_BODY, SCHEMA, changed, events
from scoredsl.diff.report import MARKER

MODEL = 'include "schema.score"\n\n' + MODEL_BODY
NEW_MODEL = changed(MODEL)


@pytest.fixture()
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for folder, model in (("old", MODEL), ("new", NEW_MODEL)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "schema.score").write_text(SCHEMA)
        (tmp_path / folder / "model.score").write_text(model)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "contacts.csv").write_text(CONTACTS)
    (tmp_path / "data" / "events.csv").write_text(events())
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(diff, list(args), catch_exceptions=False)


def both(*extra: str):
    return invoke("old/model.score", "new/model.score", "--source", "csv:data", "--as-of", "2026-11-01", *extra)


# ------------------------------------------------------------------ formats

def test_text_report(project):
    result = both()
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Model changes (5)" in out
    assert "points +20 -> +25" in out and r"+ rule vp:   title matches /\bvp\b/ => +25" in out
    assert "sql: >= 50 -> >= 45" in out
    assert "Tier lifecycle: 2 of 6 contacts (33.3%) change" in out
    assert "scored -> disqualified: competitor" in out
    assert "█" in out                                              # the terminal chart
    assert "Top movers: fit" in out
    assert "c4           15      20      +5  vp +5  [lifecycle mql -> sql]" in out
    assert "c4           20      25      +5  caps +5  [lifecycle mql -> sql]" in out


def test_markdown_is_a_compact_pr_comment(project):
    result = both("--format", "markdown", "--top", "2")
    assert result.exit_code == 0, result.output
    md = result.stdout
    assert md.startswith(MARKER + "\n### scoredsl diff: `new/model.score`")
    assert "**Changes** (5)" in md and "```diff" in md
    assert "| **lifecycle** | 2 (33.3%) | mql → sql 1 · mql → (disqualified) 1 |" in md
    assert "| before ＼ after | sql | mql | lead | (disqualified) |" in md
    assert "| **mql** | **1** | · | · | **1** |" in md
    assert "<details><summary>Score distributions</summary>" in md
    assert "| c1 | 30 | 35 | +5 | vp +5 | - |" in md
    assert "| c2 |" not in md.split("**Top movers: fit**")[1].split("**Top movers")[0]   # --top 2


def test_json_report(project):
    result = both("--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["kind"] for c in data["changes"]] == ["disqualifier-added", "group-cap", "rule-points", "rule-points",
                                                    "tier-threshold"]
    model = data["impact"]["models"][0]
    lifecycle = model["tiers"][0]
    assert lifecycle["changed"] == 2
    assert {"from": "mql", "to": "sql", "count": 1} in lifecycle["transitions"]
    fit = model["scores"][0]
    assert fit["changed"] == 3 and fit["histogram"]["width"] == 2
    assert fit["movers"][0] == {"contact_id": "c1", "score": "fit", "before": 30, "after": 35, "delta": 5,
                                "rules": [{"name": "vp", "before": 20, "after": 25, "delta": 5}],
                                "caps": 0, "decay": 0, "tiers": []}
    assert data["guards"] == [] and data["tripped"] is False


def test_html_report_is_well_formed_self_contained_and_has_the_histograms(project):
    result = both("--html", "report.html")
    assert result.exit_code == 0, result.output
    page = (project / "report.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>\n")
    root = ET.fromstring(page.split("\n", 1)[1])                  # well-formed XML after the doctype
    svgs = root.findall(".//{http://www.w3.org/2000/svg}svg")
    assert len(svgs) == 2                                           # fit and engagement
    assert all(svg.findall("{http://www.w3.org/2000/svg}g/{http://www.w3.org/2000/svg}rect") for svg in svgs)
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")   # no external asset
    assert "<script" not in page


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_same_inputs_same_bytes(project, fmt):
    first = both("--format", fmt, "--html", "a.html", "--fail-on", "tier-change>50%")
    second = both("--format", fmt, "--html", "b.html", "--fail-on", "tier-change>50%")
    assert first.stdout_bytes == second.stdout_bytes
    assert (project / "a.html").read_bytes() == (project / "b.html").read_bytes()


def test_same_bytes_across_processes_and_hash_seeds(project):
    code = "import sys; from scoredsl.cli.diff import diff; diff(sys.argv[1:], prog_name='scoredsl diff')"
    outputs = []
    for seed in ("1", "2"):
        html = f"seed{seed}.html"
        done = subprocess.run([sys.executable, "-c", code, "old/model.score", "new/model.score", "--source",
                               "csv:data", "--as-of", "2026-11-01", "--format", "json", "--html", html],
                              cwd=project, env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True,
                              check=True)
        outputs.append((done.stdout, (project / html).read_bytes()))
    assert outputs[0] == outputs[1]


def test_without_a_source_only_the_model_changes(project):
    result = invoke("old/model.score", "new/model.score")
    assert result.exit_code == 0, result.output
    assert "Model changes (5)" in result.stdout and "Tier lifecycle" not in result.stdout


def test_identical_models_report_no_change(project):
    same = invoke("old/model.score", "old/model.score", "--source", "csv:data", "--as-of", "2026-11-01",
                  "--format", "json", "--fail-on", "tier-change>0", "--fail-on", "score-change>0")
    assert same.exit_code == 0, same.output
    data = json.loads(same.stdout)
    assert data["changes"] == [] and not data["tripped"]


# ------------------------------------------------------------------ --fail-on

def test_fail_on_trips_and_names_the_guard(project):
    result = both("--fail-on", "tier-change>5%", "--fail-on", "score-change>10")
    assert result.exit_code == 1
    assert "--fail-on 'tier-change>5%' tripped: m: 2 of 6 contacts (33.3%) change at least one tier" in result.stderr
    assert "score-change>10" not in result.stderr                    # that one holds
    assert "FAILED  tier-change>5%" in result.stdout and "ok      score-change>10" in result.stdout


def test_fail_on_that_holds_exits_0(project):
    result = both("--fail-on", "tier-change>40%", "--fail-on", "lifecycle-change>2", "--fail-on", "m.fit-change>5",
                  "--fail-on", "status-change>1")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("args, message", [
    (("--fail-on", "tier-change"), "is not a guard"),
    (("--fail-on", "lifecyle-change>1"), "'lifecyle' is not a tier or score"),
    (("--fail-on", "fit-change>5%"), "measured in points"),
    (("--fail-on", "nope.tier-change>1"), "no model 'nope'"),
    (("--model", "nope"), "no model named nope"),
])
def test_usage_errors_exit_2(project, args, message):
    result = both(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_fail_on_needs_a_source(project):
    result = invoke("old/model.score", "new/model.score", "--fail-on", "tier-change>1")
    assert result.exit_code == 2 and "needs contacts to score" in result.stderr


def test_wrong_number_of_files_is_a_usage_error(project):
    assert invoke("old/model.score").exit_code == 2
    assert invoke("--base", "HEAD", "old/model.score", "new/model.score").exit_code == 2
    missing = invoke("old/model.score", "nowhere.score")
    assert missing.exit_code == 2 and "no such rule file: nowhere.score" in missing.stderr


# ------------------------------------------------------------------ git refs

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, f"git {args}: {done.stderr}"
    return done.stdout


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch) -> Path:
    for name, value in (("GIT_AUTHOR_NAME", "t"), ("GIT_AUTHOR_EMAIL", "t@example.com"),
                        ("GIT_COMMITTER_NAME", "t"), ("GIT_COMMITTER_EMAIL", "t@example.com"),
                        ("GIT_CONFIG_GLOBAL", os.devnull), ("GIT_CONFIG_NOSYSTEM", "1")):
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    models = tmp_path / "models"
    models.mkdir()
    (models / "schema.score").write_text(SCHEMA)
    (models / "model.score").write_text(MODEL)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "contacts.csv").write_text(CONTACTS)
    (tmp_path / "data" / "events.csv").write_text(events())
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "model")
    # the change under review: the included schema gains a property, the model uses it
    (models / "schema.score").write_text(SCHEMA.replace("stage: text }", "stage: text, country: text }"))
    (models / "model.score").write_text(NEW_MODEL.replace(
        "    rule size:", '    rule local: country == "canada" => +3\n    rule size:'))
    return tmp_path


@needs_git
def test_diff_base_head_reads_the_model_and_its_include_at_the_ref(repo):
    result = invoke("--base", "HEAD", "models/model.score", "--source", "csv:data", "--as-of", "2026-11-01",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    head = git(repo, "rev-parse", "HEAD").strip()
    assert data["old"] == {"label": "HEAD:models/model.score", "commit": head, "exists": True}
    kinds = [(c["kind"], c["subject"]) for c in data["changes"]]
    # the include was read at HEAD: without country there, the property is new
    assert kinds[0] == ("schema-property-added", "contact.country")
    assert ("rule-added", "rule fit.local") in kinds
    vp = [c for c in data["changes"] if c["kind"] == "rule-points" and c["subject"] == "rule fit.vp"][0]
    assert vp["old_location"] == "HEAD:models/model.score:6"      # a disqualifier was added above it
    assert vp["new_location"] == "models/model.score:7"
    assert data["impact"]["models"][0]["tier_changed"] == 2


@needs_git
def test_only_the_included_schema_changed(repo):
    (repo / "models" / "model.score").write_text(MODEL)
    result = invoke("--base", "HEAD", "models/model.score", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(c["kind"], c["subject"]) for c in data["changes"]] == [("schema-property-added", "contact.country")]


@needs_git
def test_ref_colon_path_on_both_sides(repo):
    git(repo, "commit", "-q", "-am", "change")
    result = invoke("HEAD~1:models/model.score", "HEAD:models/model.score", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "`HEAD~1:models/model.score (" in result.stdout and "`rule fit.local`: new rule" in result.stdout
    from_subfolder = repo / "models"
    os.chdir(from_subfolder)
    relative = invoke("HEAD~1:./model.score", "model.score", "--format", "json")
    assert json.loads(relative.stdout)["old"]["label"] == "HEAD~1:models/model.score"


@needs_git
def test_a_file_new_in_the_change(repo):
    (repo / "models" / "extra.score").write_text('include "schema.score"\nmodel x { score s { rule r: stage is set => +1 } }\n')
    result = invoke("--base", "HEAD", "models/extra.score", "--source", "csv:data", "--as-of", "2026-11-01",
                    "--fail-on", "lifecycle-change>0", "--fail-on", "tier-change>0")   # no model to guard
    assert result.exit_code == 0, result.output
    assert "ok      lifecycle-change>0: no model compared on both sides" in result.stdout
    assert "models/extra.score is new: it does not exist in HEAD:models/extra.score" in result.stdout
    assert "Status (new model): scored 6" in result.stdout


@needs_git
def test_git_problems_exit_2_and_errors_at_the_ref_exit_1(repo):
    bad_ref = invoke("--base", "no-such-branch", "models/model.score")
    assert bad_ref.exit_code == 2 and "'no-such-branch' is not a commit" in bad_ref.stderr
    (repo / "models" / "model.score").write_text(MODEL.replace("title matches", "titel matches"))
    git(repo, "commit", "-q", "-am", "broken")
    (repo / "models" / "model.score").write_text(MODEL)
    broken = invoke("--base", "HEAD", "models/model.score")
    assert broken.exit_code == 1
    assert "HEAD:models/model.score:6:" in broken.stderr and "titel" in broken.stderr


def test_not_a_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "schema.score").write_text(SCHEMA)
    (tmp_path / "model.score").write_text(MODEL)
    result = invoke("--base", "HEAD", "model.score")
    assert result.exit_code == 2 and "not in a git repository" in result.stderr
