"""scoredsl.toml: named sources and sinks, ${ENV} secrets, and secrets kept out of messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scoredsl.cli.main import cli
from scoredsl.data import config
from scoredsl.data.specs import parse_spec, redact

MODEL = """schema { contact { title: text } }
model m { score s { rule vp: title contains "vp" => +5 } tier t by s { hot: >= 5; cold: otherwise } }
"""


@pytest.fixture()
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.score").write_text(MODEL)
    data = tmp_path / "crm"
    data.mkdir()
    (data / "contacts.csv").write_text("id,title\nc1,VP Sales\nc2,Engineer\n")
    (data / "events.csv").write_text("contact_id,type,timestamp\n")
    return tmp_path


def test_named_source_and_sink_with_environment_variables(project, monkeypatch):
    monkeypatch.setenv("CRM_DIR", "crm")
    monkeypatch.setenv("OUT_NAME", "scores")
    (project / "scoredsl.toml").write_text("""
[defaults]
source = "crm"
sink = "out"

[sources.crm]
spec = "csv:${CRM_DIR}"

[sinks.out]
spec = "csv:${OUT_NAME}.csv"
""")
    result = CliRunner().invoke(cli, ["run", "model.score", "--as-of", "2026-11-01", "-q"])
    assert result.exit_code == 0, result.output
    lines = (project / "scores.csv").read_text().splitlines()
    assert [line.split(",")[:6] for line in lines[1:]] == [["c1", "m", "scored", "", "5", "hot"],
                                                           ["c2", "m", "scored", "", "0", "cold"]]


def test_config_is_found_in_a_parent_directory(project):
    (project / "scoredsl.toml").write_text('[sources.crm]\nspec = "csv:crm"\n')
    sub = project / "rules"
    sub.mkdir()
    assert config.find(sub) == project / "scoredsl.toml"


def test_a_missing_variable_is_named_and_its_neighbours_are_not_shown(project, monkeypatch):
    monkeypatch.setenv("DB_USER", "scoring")
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    (project / "scoredsl.toml").write_text(
        '[sources.crm]\nspec = "postgresql://${DB_USER}:${DB_PASSWORD}@127.0.0.1:1/crm"\n')
    result = CliRunner().invoke(cli, ["run", "model.score", "--source", "crm"])
    assert result.exit_code == 2
    assert "environment variable DB_PASSWORD is not set" in result.output


def test_secrets_never_appear_in_messages(project, monkeypatch):
    monkeypatch.setenv("DB_PASSWORD", "hunter2-s3cret")
    (project / "scoredsl.toml").write_text(
        '[sources.crm]\nspec = "nosuchdb://scoring:${DB_PASSWORD}@127.0.0.1:1/crm"\n')
    for source in ("crm", "nosuchdb://scoring:hunter2-s3cret@127.0.0.1:1/crm"):
        result = CliRunner().invoke(cli, ["run", "model.score", "--source", source])
        assert result.exit_code == 2
        assert "hunter2" not in result.output
        assert "unknown source scheme 'nosuchdb'" in result.output


def test_redaction_of_urls():
    assert redact("postgresql://u:p%40ss@host/db?x=1") == "postgresql://u:***@host/db?x=1"
    assert redact("postgresql://u@host/db") == "postgresql://u@host/db"
    assert parse_spec("mysql://root:pw@127.0.0.1/test", "source").text == "mysql://root:***@127.0.0.1/test"


def test_options_from_the_file_are_passed_to_the_plugin(monkeypatch):
    monkeypatch.setenv("T", "lead_scores")
    cfg = config.Config(path="scoredsl.toml", sinks={"w": {"spec": "csv:out.csv?delimiter=;",
                                                           "table": "${T}", "columns": {"a": "${T}"}}})
    spec = cfg.spec("w", "sink")
    assert (spec.scheme, spec.location) == ("csv", "out.csv")
    assert spec.options == {"delimiter": ";", "table": "lead_scores", "columns": {"a": "lead_scores"}}
    assert spec.text == "csv:out.csv?delimiter=;"


def test_bad_files_are_reported(project):
    (project / "scoredsl.toml").write_text("[sources.crm\n")
    result = CliRunner().invoke(cli, ["run", "model.score", "--source", "crm"])
    assert result.exit_code == 2 and "is not valid TOML" in result.output
    (project / "scoredsl.toml").write_text("[source.crm]\nspec='csv:crm'\n")
    result = CliRunner().invoke(cli, ["run", "model.score", "--source", "crm"])
    assert result.exit_code == 2 and "unknown section(s) source" in result.output


def test_no_source_and_no_default_is_a_usage_error(project):
    result = CliRunner().invoke(cli, ["run", "model.score"])
    assert result.exit_code == 2 and "Missing option '--source'" in result.output
