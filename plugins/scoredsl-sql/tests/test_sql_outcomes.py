"""Outcomes for backtests from tables and queries of every database: the same outcomes as the
CSV file, and every problem named."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys

import pytest
import sqlalchemy as sa

from scoredsl.data.records import DataError, epoch_micros
from scoredsl.data.specs import SpecError
from scoredsl.plugins import manager as plugins

from sqltest import REPO

BACKTEST = REPO / "examples" / "backtest"
UTC = dt.timezone.utc


def _outcome_rows() -> list[dict]:
    with open(BACKTEST / "data" / "outcomes.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _q(name: str):
    """A column name always quoted (``at`` is a keyword in DuckDB)."""
    return sa.sql.quoted_name(name, quote=True)


def _load(db, name="outcomes", rename=None, as_date=False):
    rename = rename or {}
    col = lambda n: _q(rename.get(n, n))  # noqa: E731
    rows = []
    for r in _outcome_rows():
        when = dt.datetime.fromisoformat(r["at"].replace("Z", "+00:00"))
        rows.append({col("contact_id"): r["contact_id"], col("outcome"): r["outcome"].upper(),
                     col("at"): when.date() if as_date else when})
    db.load(name, [(col("contact_id"), sa.String(64)), (col("outcome"), sa.String(16)),
                   (col("at"), sa.Date() if as_date else sa.DateTime(timezone=True))], rows)


def _expected(as_date=False):
    out = []
    for r in _outcome_rows():
        when = dt.datetime.fromisoformat(r["at"].replace("Z", "+00:00"))
        out.append((r["contact_id"], r["outcome"], epoch_micros(when.date() if as_date else when)))
    return sorted(out)


def _got(spec):
    return sorted((o.contact_id, o.outcome, o.at) for o in plugins.open_outcomes(spec))


def test_a_table_gives_the_outcomes_of_the_csv_file(db):
    _load(db)
    assert _got(db.spec) == _expected()                    # outcomes= defaults to the table 'outcomes'


def test_a_renamed_table_of_dates(db):
    _load(db, name="deals", rename={"contact_id": "person", "outcome": "stage", "at": "closed_on"}, as_date=True)
    spec = db.with_options(outcomes="deals", columns="contact_id:person,outcome:stage,at:closed_on")
    assert _got(spec) == _expected(as_date=True)


def test_a_query(db):
    _load(db, name="deals")
    at = '`at`' if db.kind == "mariadb" else '"at"'
    spec = db.with_options(outcomes=f"SELECT contact_id, outcome, {at} FROM deals WHERE outcome = 'WON'")
    assert _got(spec) == [e for e in _expected() if e[1] == "won"]


def test_integer_ids_and_text_dates(db):
    db.load("outcomes", [("contact_id", sa.Integer()), ("outcome", sa.String(16)), (_q("at"), sa.String(32))],
            [{"contact_id": 7, "outcome": "won", "at": "2026-01-05T10:00:00Z"},
             {"contact_id": 8, "outcome": "lost", "at": "2026-02-01"}])
    assert _got(db.spec) == [("7", "won", epoch_micros(dt.datetime(2026, 1, 5, 10, tzinfo=UTC))),
                             ("8", "lost", epoch_micros(dt.date(2026, 2, 1)))]


def test_a_row_without_a_date_is_named(db):
    db.load("outcomes", [("contact_id", sa.String(16)), ("outcome", sa.String(16)), (_q("at"), sa.String(32))],
            [{"contact_id": "a", "outcome": "won", "at": "2026-01-05"},
             {"contact_id": "b", "outcome": "won", "at": None}])
    with pytest.raises(DataError) as caught:
        plugins.open_outcomes(db.spec)
    assert caught.value.describe() == "table outcomes, row 2, column 'at': no date"


@pytest.mark.parametrize("options,message", [
    ({"outcomes": "nowhere"}, "cannot read the outcomes from table nowhere (it needs the columns contact_id, "
                              "outcome, at; rename them with columns=contact_id:COLUMN,...)"),
    ({"columns": "when:at"}, "option columns maps 'when'; outcomes have the columns contact_id, outcome, at"),
    ({"table": "x"}, "unknown option"),
])
def test_a_spec_that_cannot_be_read_is_explained(db, options, message):
    _load(db)
    with pytest.raises(SpecError) as caught:
        plugins.open_outcomes(db.with_options(**options))
    assert message in str(caught.value)


def test_backtest_reads_its_outcomes_from_the_database(db, tmp_path):
    _load(db)
    args = [str(BACKTEST / "model.score"), "--source", f"csv:{BACKTEST / 'data'}", "--bootstrap", "0",
            "--format", "json", "--no-rules"]
    from_db = subprocess.run([sys.executable, "-m", "scoredsl", "backtest", *args, "--outcomes", db.spec],
                             capture_output=True, text=True, timeout=300)
    assert from_db.returncode == 0, from_db.stderr
    from_csv = subprocess.run([sys.executable, "-m", "scoredsl", "backtest", *args, "--outcomes",
                               str(BACKTEST / "data" / "outcomes.csv")], capture_output=True, text=True, timeout=300)
    assert json.loads(from_db.stdout) == json.loads(from_csv.stdout)
