"""Companies from tables and queries of every database: the accounts example scores the same
as from its CSV files, on every engine, and every problem is named before a row is read."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.dialects import mysql

from scoredsl.cli.main import cli
from scoredsl.data.specs import SpecError
from scoredsl.plugins import manager as plugins

from sqltest import REPO

ACCOUNTS = REPO / "examples" / "accounts"
MODEL = ACCOUNTS / "model.score"


def _rows(name: str) -> list[dict]:
    with open(ACCOUNTS / "data" / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]


def _load(db, companies_table: str = "companies", rename: dict | None = None) -> None:
    rename = rename or {}
    firms = []
    for row in _rows("companies"):
        row["employees"] = None if row["employees"] is None else int(row["employees"])
        row["annual_revenue"] = None if row["annual_revenue"] is None else float(row["annual_revenue"])
        firms.append({rename.get(k, k): v for k, v in row.items()})
    text = sa.Text()
    db.load(companies_table, [(rename.get("id", "id"), sa.String(32)), ("name", text), ("domain", text),
                              ("industry", text), (rename.get("employees", "employees"), sa.Integer()),
                              ("annual_revenue", sa.Double()), ("country", text), ("plan", text), ("tags", text)],
            firms)
    db.load("contacts", [("id", sa.String(32)), ("email", text), ("job_title", text), ("seniority", text),
                         ("lifecycle_stage", text), ("company_id", sa.String(32))], _rows("contacts"))
    events = _rows("events")
    for e in events:
        e["timestamp"] = dt.datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))
    stamp = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")
    db.load("events", [("contact_id", sa.String(32)), ("type", sa.String(32)), ("timestamp", stamp),
                       ("campaign", text), ("url", text), ("form", text), ("webinar", text)],
            [{**e, "timestamp": e["timestamp"].replace(tzinfo=None) if db.kind == "mariadb" else e["timestamp"]}
             for e in events])


def _run(tmp_path, spec: str, engine: str, name: str) -> bytes:
    out = tmp_path / f"{name}.csv"
    result = CliRunner().invoke(cli, ["run", str(MODEL), "--source", spec, "--as-of", "2026-11-01",
                                      "--engine", engine, "--sink", f"csv:{out}"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("csv"), f"csv:{ACCOUNTS / 'data'}", "python", "expected")


def test_the_accounts_example_scores_as_from_its_csv_files_on_every_engine(db, tmp_path, expected):
    _load(db)
    engines = ["python", "duckdb"] + (["pushdown"] if db.kind in ("postgresql", "mariadb") else [])
    for engine in engines:
        assert _run(tmp_path, db.spec, engine, engine) == expected, engine


def test_a_renamed_companies_table(db, tmp_path, expected):
    _load(db, "firms", rename={"id": "firm_id", "employees": "headcount"})
    spec = db.with_options(companies="firms", company_columns="id:firm_id,employees:headcount")
    assert _run(tmp_path, spec, "python", "renamed") == expected


def test_a_companies_query(db, tmp_path, expected):
    _load(db, "firms")
    spec = db.with_options(companies="SELECT * FROM firms")
    assert _run(tmp_path, spec, "python", "query") == expected


def test_a_missing_companies_table_is_named_before_reading(db):
    db.load("contacts", [("id", sa.String(32)), ("company_id", sa.String(32))], [{"id": "p1", "company_id": "a"}])
    db.load("events", [("contact_id", sa.String(32)), ("type", sa.String(32)), ("timestamp", sa.Text())], [])
    from scoredsl.compiler.pipeline import compile_file
    schema = compile_file(MODEL).schema
    with pytest.raises(SpecError) as caught:
        plugins.open_source(db.spec, schema)
    assert "companies" in str(caught.value) and "companies=TABLE" in str(caught.value)
