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

from sqltest import REPO, backend_params

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


def _run(tmp_path, spec: str, engine: str, name: str, stderr: list | None = None) -> bytes:
    out = tmp_path / f"{name}.csv"
    result = CliRunner().invoke(cli, ["run", str(MODEL), "--source", spec, "--as-of", "2026-11-01",
                                      "--engine", engine, "--sink", f"csv:{out}"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if stderr is not None:
        stderr.append(result.stderr)
    return out.read_bytes()


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("csv"), f"csv:{ACCOUNTS / 'data'}", "python", "expected")


def test_the_accounts_example_scores_as_from_its_csv_files_on_every_engine(db, tmp_path, expected, fallbacks):
    _load(db)
    engines = ["python", "duckdb"] + (["pushdown"] if db.kind in ("postgresql", "mariadb") else [])
    for engine in engines:
        stderr: list = []
        assert _run(tmp_path, db.spec, engine, engine, stderr) == expected, engine
        assert "10 contacts name a company the source does not have" in stderr[0], (engine, stderr[0])
    # the database joined the companies itself: nothing was read through Python
    assert fallbacks == []


@pytest.mark.parametrize("db", backend_params(["postgresql", "mariadb"]), indirect=True)
def test_pushdown_reads_through_python_when_a_company_is_held_twice(db, tmp_path, expected, fallbacks):
    _load(db)
    db.execute("INSERT INTO companies (id, name) VALUES (' a0001', 'Copy')")
    out = tmp_path / "dup.csv"
    result = CliRunner().invoke(cli, ["run", str(MODEL), "--source", db.spec, "--as-of", "2026-11-01",
                                      "--engine", "pushdown", "--sink", f"csv:{out}"], catch_exceptions=False)
    assert result.exit_code != 0 and "duplicate company id 'a0001'" in result.output
    assert len(fallbacks) == 1 and not out.exists()


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


TRICKY = """
schema {
  contact { title: text }
  company { industry: text, size: int, tags: list[text] }
}
model m {
  score s {
    rule saas: company.industry == "saas" => +1
    rule exact: company.industry == "SaaS" case_sensitive => +2
    rule big: company.size >= 100 => +4
    rule vip: company.tags contains "vip" => +8
    rule none: company.id is missing => +16
    rule id_text: company.id ends_with "e" => +32
  }
}
"""


@pytest.mark.parametrize("db", backend_params(["postgresql", "mariadb"]), indirect=True)
def test_pushdown_joins_companies_as_python_does_on_tricky_ids(db, tmp_path, fallbacks):
    """Ids padded with Unicode white space name their company; other case, trailing spaces
    and accents do not (ids compare exactly, whatever the database's collation)."""
    model = tmp_path / "tricky.score"
    model.write_text(TRICKY, encoding="utf-8")
    ids = ["acme", " acme\u3000", "\u00a0acme ", "ACME", "acmé", "acme\t", "globex", "  ", None, "nobody", "Acme"]
    db.load("contacts", [("id", sa.String(32)), ("title", sa.Text()), ("company_id", sa.String(32))],
            [{"id": f"c{i}", "title": "x", "company_id": c} for i, c in enumerate(ids)])
    db.load("companies", [("id", sa.String(32)), ("industry", sa.Text()), ("size", sa.Integer()), ("tags", sa.Text())],
            [{"id": "acme", "industry": "SaaS", "size": 150, "tags": "vip; x"},
             {"id": "Acme", "industry": "saas ", "size": 5, "tags": None},
             {"id": " globex ", "industry": None, "size": None, "tags": "VIP"}])
    db.load("events", [("contact_id", sa.String(32)), ("type", sa.String(32)), ("timestamp", sa.Text())], [])
    outputs = {}
    for engine in ("python", "pushdown"):
        out = tmp_path / f"{engine}.csv"
        result = CliRunner().invoke(cli, ["run", str(model), "--source", db.spec, "--as-of", "2026-11-01",
                                          "--engine", engine, "--sink", f"csv:{out}"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        outputs[engine] = out.read_text()
    assert outputs["pushdown"] == outputs["python"]
    assert fallbacks == []
    scores = {line.split(",")[0]: int(line.split(",")[4]) for line in outputs["python"].splitlines()[1:]}
    assert scores["c0"] == scores["c1"] == scores["c2"] == scores["c5"] == 1 + 2 + 4 + 8 + 32
    assert scores["c3"] == scores["c4"] == scores["c9"] == 16          # no such company
    assert scores["c7"] == scores["c8"] == 16                         # no company id
    # Acme: its industry "saas " keeps its trailing space, so it is not "saas"; globex is padded in its table
    assert scores["c10"] == 32 and scores["c6"] == 8


# ---------------------------------------------------------------------- company models: source and sink

COMPANY_MODEL = ACCOUNTS / "company.score"


@pytest.fixture(scope="module")
def expected_companies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("companies_csv")
    result = CliRunner().invoke(cli, ["run", str(COMPANY_MODEL), "--source", f"csv:{ACCOUNTS / 'data'}",
                                      "--as-of", "2026-11-01", "--model", "account",
                                      "--sink", f"csv:{folder / 'companies.csv'}"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open(folder / "companies.csv", newline="", encoding="utf-8") as handle:
        return {r["company_id"]: r for r in csv.DictReader(handle)}


def test_company_scores_from_the_database_into_a_table_keyed_by_company(db, tmp_path, expected_companies):
    """The company model reads the database's contacts, companies and events, and its rows go
    into a table of the same database whose key is (company_id, model); a second run upserts."""
    _load(db)
    sink = db.with_options(table="company_scores")
    for engine in ["python", "duckdb"] + (["pushdown"] if db.kind in ("postgresql", "mariadb") else []):
        result = CliRunner().invoke(cli, ["run", str(COMPANY_MODEL), "--source", db.spec, "--as-of", "2026-11-01",
                                          "--engine", engine, "--sink", f"csv:{tmp_path / 'contacts.csv'}",
                                          "--company-sink", sink], catch_exceptions=False)
        assert result.exit_code == 0, (engine, result.output)
        rows = db.query("SELECT company_id, model, status, reason, account_fit, account_engagement, account_stage "
                        "FROM company_scores ORDER BY company_id")
        assert len(rows) == len(expected_companies) == 150, engine
        for company_id, model, status, reason, fit, engagement, stage in rows:
            want = expected_companies[company_id]
            assert (model, status, reason or "", "" if fit is None else str(fit),
                    "" if engagement is None else str(engagement), stage or "") == \
                (want["model"], want["status"], want["reason"], want["account_fit"], want["account_engagement"],
                 want["account_stage"]), (engine, company_id)
    # the key: a second row of the same company and model is refused; another model's is not
    with pytest.raises(Exception, match="(?i)duplicate|unique|constraint|primary"):
        db.execute("INSERT INTO company_scores (company_id, model, status) VALUES ('a0001', 'account', 'scored')")
    db.execute("INSERT INTO company_scores (company_id, model, status) VALUES ('a0001', 'other', 'scored')")
