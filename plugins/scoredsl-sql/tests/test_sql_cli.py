"""End to end through ``scoredsl run``: the bundled example, from and to databases."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from scoredsl.cli.main import cli

from sqltest import EXAMPLE, TYPED_MODEL, backend_params, load_example, load_typed, typed_contact

MODEL = str(EXAMPLE / "model.score")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def csv_result(*args: str) -> list[dict]:
    result = invoke("run", MODEL, "--as-of", "2026-11-01", "--sink", "csv:-", *args)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.mark.parametrize("db", backend_params(["sqlite"]), indirect=True)
def test_the_example_from_sqlite_to_sqlite(db, program, example_records):
    """Contacts and events in a SQLite file, scores written back into the same file."""
    load_example(db, program.schema, example_records)
    sink = db.with_options(table="lead_scores", history="lead_score_history")
    result = invoke("run", MODEL, "--source", db.spec, "--sink", sink, "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.output
    assert "300 contacts, 11,544 events" in result.stderr
    assert "257 scored, 43 disqualified" in result.stderr

    expected = csv_result("--source", f"csv:{EXAMPLE / 'data'}")
    stored = db.table("lead_scores")
    assert len(stored) == 300
    for row in stored:
        row.pop("scored_at")
    assert [{k: "" if v is None else str(v) for k, v in row.items()} for row in stored] == expected
    assert len(db.table("lead_score_history")) == 300

    again = invoke("run", MODEL, "--source", db.spec, "--sink", sink, "--as-of", "2026-11-01")
    assert again.exit_code == 0, again.output
    assert len(db.table("lead_scores")) == 300 and len(db.table("lead_score_history")) == 600


@pytest.mark.parametrize("db", backend_params(["postgresql", "mariadb", "duckdb"]), indirect=True)
def test_the_example_through_the_cli(db, program, example_records):
    load_example(db, program.schema, example_records, limit=50)
    result = invoke("run", MODEL, "--source", db.spec, "--sink", db.spec, "--as-of", "2026-11-01", "-q")
    assert result.exit_code == 0, result.output
    assert len(db.table("scores")) == 50
    assert csv_result("--source", db.spec) == csv_result("--source", f"csv:{EXAMPLE / 'data'}")[:50]


def test_a_type_mismatch_stops_the_run_with_exit_code_2(db, typed, tmp_path):
    load_typed(db, [typed_contact("a1")], [], contact_columns={"employees": sa.String(20)})
    model = tmp_path / "typed.score"
    model.write_text(TYPED_MODEL)
    result = invoke("run", str(model), "--source", db.spec, "--sink", db.spec, "--as-of", "2026-11-01")
    assert result.exit_code == 2
    assert "the data does not fit the schema" in result.stderr
    assert "column 'employees' is" in result.stderr and "employees: int" in result.stderr
    assert not db.has_table("scores")


@pytest.mark.parametrize("db", backend_params(["sqlite"]), indirect=True)
def test_a_bad_row_stops_the_run_with_exit_code_1_and_writes_nothing(db, program, example_records):
    load_example(db, program.schema, example_records, limit=20)
    db.execute("UPDATE contacts SET employees = 'many' WHERE id = 'c0007'")
    result = invoke("run", MODEL, "--source", db.spec, "--sink", db.spec, "--as-of", "2026-11-01")
    assert result.exit_code == 1
    assert ("bad data: table contacts, row 7, column 'employees': 'many' is not an int\n"
            "  record: id 'c0007'") in result.stderr
    assert not db.has_table("scores")
    skipped = invoke("run", MODEL, "--source", db.spec, "--sink", db.spec, "--as-of", "2026-11-01",
                     "--on-error", "skip")
    assert skipped.exit_code == 0 and "1 row skipped" in skipped.stderr
    assert len(db.table("scores")) == 19


@pytest.mark.parametrize("db", backend_params(["sqlite"]), indirect=True)
def test_python_m_scoredsl_finds_the_plugin(db, program, example_records):
    """The plugin is found through its entry point by a fresh interpreter."""
    load_example(db, program.schema, example_records, limit=5)
    done = subprocess.run([sys.executable, "-m", "scoredsl", "run", MODEL, "--source", db.spec,
                           "--sink", "csv:-", "--as-of", "2026-11-01", "-q"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith("c0001,b2b,scored,,90,186,sql,")


def test_named_source_and_sink_in_scoredsl_toml(db, program, example_records, tmp_path, monkeypatch):
    """Options from the project configuration are TOML values: tables, integers."""
    load_example(db, program.schema, example_records, contacts="crm_contacts", limit=30,
                 rename={"job_title": "title", "employees": "num_employees"})
    spec = db.spec
    if db.kind == "postgresql":          # a password from the environment (trust auth ignores it)
        monkeypatch.setenv("SCORING_PASSWORD", "not-shown")
        spec = spec.replace("postgres@", "postgres:${SCORING_PASSWORD}@")
    (tmp_path / "scoredsl.toml").write_text(f'''
[defaults]
source = "crm"
sink = "warehouse"

[sources.crm]
spec = "{spec}"
contacts = "crm_contacts"
columns = {{ job_title = "title", employees = "num_employees" }}
batch_size = 7

[sinks.warehouse]
spec = "{spec}"
table = "lead_scores"
history = "lead_score_history"
batch_size = 11
''')
    monkeypatch.chdir(tmp_path)
    result = invoke("run", MODEL, "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.output
    assert "not-shown" not in result.output
    assert len(db.table("lead_scores")) == 30 and len(db.table("lead_score_history")) == 30
    assert csv_result("--source", "crm") == csv_result("--source", f"csv:{EXAMPLE / 'data'}")[:30]
