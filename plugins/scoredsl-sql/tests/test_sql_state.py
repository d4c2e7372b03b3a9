"""The state store in PostgreSQL and MariaDB behaves as the embedded SQLite one: the same
stages held and released, the same records on every engine, replays, a failed run that changes
nothing, retention, and actions delivered exactly once when a run is killed at any stage."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from scoredsl.cli.main import cli
from sqltest import REPO, backend_params, make_database

sys.path.insert(0, str(REPO / "tests"))
from receiver import Receiver  # noqa: E402

MODEL = (REPO / "tests" / "models" / "stages.score").read_text()


@pytest.fixture(params=backend_params(["sqlite", "postgresql", "mariadb"]))
def store(request, tmp_path):
    """Where state is kept: a SQLite file (built in) or a fresh server database; yields the
    ``--state`` value and a function that runs a query on the store."""
    databases = make_database(request.param, tmp_path)
    db = next(databases)
    state = str(tmp_path / "state.sqlite") if request.param == "sqlite" else db.spec
    if request.param == "sqlite":
        import sqlalchemy as sa
        db.engine = sa.create_engine(f"sqlite:///{state}")
    yield state, db
    next(databases, None)


@pytest.fixture
def project(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    (folder / "model.score").write_text(MODEL)
    monkeypatch.chdir(folder)
    return folder


def set_data(folder, unqualified=(), views=None):
    views = views if views is not None else {"c1": range(1, 10), "c2": range(5, 6)}
    rows = ["id,sales_status"] + [f"{c},{'unqualified' if c in unqualified else ''}" for c in ("c1", "c2")]
    (folder / "data" / "contacts.csv").write_text("\n".join(rows) + "\n")
    events = ["contact_id,type,timestamp"] + [f"{c},page_view,2026-01-{d:02d}T10:00:00Z"
                                              for c, days in views.items() for d in days]
    (folder / "data" / "events.csv").write_text("\n".join(events) + "\n")


def run(state, as_of, *extra):
    result = CliRunner().invoke(cli, ["run", "model.score", "--source", "csv:data", "--as-of", as_of,
                                      "--state", state, "--transitions", "csv:transitions.csv", *extra])
    return result


def stage(result, contact="c1"):
    return {r["contact_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}[contact]["lifecycle"]


def changes(folder):
    return [(r["contact_id"], r["from"], r["to"]) for r in csv.DictReader(open(folder / "transitions.csv"))]


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_the_seed_scenario_on_every_store(project, store, engine):
    state, _db = store
    set_data(project)
    assert stage(run(state, "2026-01-01", "--engine", engine)) == "lead"
    crossed = run(state, "2026-01-10", "--engine", engine)
    assert crossed.exit_code == 0, crossed.output
    assert stage(crossed) == "SQL" and changes(project) == [("c1", "lead", "SQL")]
    held = run(state, "2026-03-01", "--engine", engine)
    assert stage(held) == "SQL" and changes(project) == []
    set_data(project, unqualified=("c1",))
    back = run(state, "2026-03-02", "--engine", engine)
    assert stage(back) == "lead" and changes(project) == [("c1", "SQL", "lead")]


def test_replays_failures_and_retention_on_every_store(project, store, tmp_path):
    state, db = store
    set_data(project)
    run(state, "2026-01-01")
    run(state, "2026-01-10")
    run(state, "2026-01-10")                                        # a replay replaces
    assert db.query("SELECT COUNT(*) FROM scoredsl_records")[0][0] == 4
    assert db.query("SELECT COUNT(*) FROM scoredsl_runs")[0][0] == 2
    refused = run(state, "2026-01-05")
    assert refused.exit_code == 2 and "--replay" in refused.stderr
    before = db.query("SELECT model, contact_id, as_of, tiers FROM scoredsl_records ORDER BY 1, 2, 3")
    (project / "data" / "events.csv").write_text("contact_id,type,timestamp\nc1,page_view,yesterday\n")
    failed = run(state, "2026-01-11")
    assert failed.exit_code == 1 and "nothing was written" in failed.stderr
    assert db.query("SELECT model, contact_id, as_of, tiers FROM scoredsl_records ORDER BY 1, 2, 3") == before
    # retention: keep 30 days, but each contact's latest record
    set_data(project, views={"c1": range(1, 10)})
    (project / "data" / "contacts.csv").write_text("id,sales_status\nc2,\n")
    key = "url" if "://" in state else "path"
    (project / "scoredsl.toml").write_text(f'[state]\n{key} = "{state}"\nkeep = "30d"\n')
    result = CliRunner().invoke(cli, ["run", "model.score", "--source", "csv:data", "--as-of", "2026-06-01"])
    assert result.exit_code == 0, result.output
    kept = db.query("SELECT contact_id, as_of FROM scoredsl_records ORDER BY 1, 2")
    assert [c for c, _ in kept] == ["c1", "c2"]
    set_data(project)
    again = CliRunner().invoke(cli, ["run", "model.score", "--source", "csv:data", "--as-of", "2026-06-02"])
    assert stage(again) == "SQL"


def test_engines_record_the_same_rows(project, store):
    state, db = store
    set_data(project, views={"c1": range(1, 10), "c2": range(3, 8)})
    seen = {}
    for engine in ("python", "duckdb"):
        for as_of in ("2026-01-01", "2026-01-10", "2026-02-25"):
            assert run(state, as_of, "--engine", engine).exit_code == 0
        seen[engine] = db.query("SELECT model, contact_id, as_of, run_id, status, scores, tiers FROM scoredsl_records "
                                "ORDER BY 1, 2, 3")
        for table in ("scoredsl_records", "scoredsl_runs", "scoredsl_transitions", "scoredsl_deliveries"):
            db.execute(f"DELETE FROM {table}")       # the next engine starts from an empty store
    assert seen["python"] == seen["duckdb"] and len(seen["python"]) == 6


STAGES = ["scoring", "before-state", "after-state", "before-recorded", "after-recorded"]


@pytest.mark.parametrize("stage_name", STAGES)
def test_a_run_killed_at_any_stage_acts_exactly_once_on_every_store(tmp_path, store, stage_name):
    state, _db = store
    receiver = Receiver()
    try:
        folder = tmp_path / "killed"
        (folder / "data").mkdir(parents=True)
        (folder / "model.score").write_text(MODEL)
        (folder / "scoredsl.toml").write_text(f'[[actions]]\nname = "hook"\nkind = "webhook"\nurl = "{receiver.url}"\n')
        env = {**os.environ, "PYTHONPATH": str(REPO / "tests")}

        def scoredsl(as_of, crash=None):
            head = [sys.executable, str(REPO / "tests" / "crash_run.py"), crash] if crash else \
                [sys.executable, "-m", "scoredsl"]
            return subprocess.run(head + ["run", "model.score", "--source", "csv:data", "--as-of", as_of,
                                          "--state", state, "--sink", "csv:out.csv"],
                                  cwd=folder, env=env, capture_output=True, text=True, timeout=120)

        set_data(folder, views={"c1": range(1, 10), "c2": range(3, 8)})
        assert scoredsl("2026-01-01").returncode == 0
        assert scoredsl("2026-01-10", crash=stage_name).returncode == -9
        finished = scoredsl("2026-01-10")
        assert finished.returncode == 0, finished.stderr
        set_data(folder, unqualified=("c1",), views={"c1": range(1, 10), "c2": range(3, 8)})
        assert scoredsl("2026-03-01").returncode == 0
        moves = sorted((b["transition"]["contact_id"], b["transition"]["from"], b["transition"]["to"])
                       for b in receiver.acted.values())
        assert moves == [("c1", "SQL", "lead"), ("c1", "lead", "SQL"), ("c2", "lead", "MQL")]
        repeated = sorted(n for n in receiver.times_received().values() if n > 1)
        assert repeated == ([2] if stage_name == "before-recorded" else [])
    finally:
        receiver.close()


@pytest.fixture(params=backend_params(["postgresql", "mariadb"]))
def server(request, tmp_path):
    databases = make_database(request.param, tmp_path)
    yield next(databases)
    next(databases, None)


def test_pushdown_reads_the_previous_run_as_the_other_engines_do(server, tmp_path, monkeypatch):
    """The same runs, scored inside PostgreSQL or MariaDB (the previous values brought in as a
    temporary table), by DuckDB and by Python, each with a store of its own: the same bytes."""
    import sqlalchemy as sa

    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.score").write_text(MODEL + TIERS)
    contacts = [{"id": c, "sales_status": None} for c in ("c1", "C1", "c2", "c 3")]
    import datetime as dt
    from sqlalchemy.dialects import mysql

    utc = dt.timezone.utc
    events = [{"contact_id": c, "type": "page_view", "timestamp": dt.datetime(2026, 1, d, 10, tzinfo=utc)}
              for c, days in (("c1", range(1, 10)), ("C1", range(4, 9)), ("c2", range(5, 6))) for d in days]
    stamp = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")
    server.load("contacts", [("id", sa.String(64)), ("sales_status", sa.Text())], contacts)
    server.load("events", [("contact_id", sa.String(64)), ("type", sa.String(64)), ("timestamp", stamp)], events)
    spec = f"{server.spec}?contacts=contacts&events=events"
    outputs = {}
    for engine in ("python", "duckdb", "pushdown"):
        seen = []
        for as_of in ("2026-01-01", "2026-01-10", "2026-03-01"):
            if as_of == "2026-03-01":
                exactly = " COLLATE utf8mb4_bin" if server.kind == "mariadb" else ""   # not c1 too
                server.execute(f"UPDATE contacts SET sales_status = 'unqualified' WHERE id = 'C1'{exactly}")
            result = CliRunner().invoke(cli, ["run", "model.score", "--source", spec, "--as-of", as_of, "--engine",
                                              engine, "--state", str(tmp_path / f"{engine}.sqlite")])
            assert result.exit_code == 0, result.output
            seen.append(result.stdout)
        server.execute("UPDATE contacts SET sales_status = NULL")
        outputs[engine] = seen
    assert outputs["pushdown"] == outputs["python"] == outputs["duckdb"]
    last = {(r["contact_id"], r["model"]): r for r in csv.DictReader(io.StringIO(outputs["pushdown"][-1]))}
    assert [last[(c, "leads")]["lifecycle"] for c in ("c1", "C1", "c2", "c 3")] == ["SQL", "lead", "lead", "lead"]
    assert [last[(c, "again")]["lifecycle"] for c in ("c1", "C1", "c2", "c 3")] == ["SQL", "MQL", "lead", "lead"]
    assert [last[(c, "again")]["was"] for c in ("c1", "C1", "c2", "c 3")] == ["SQL", "MQL", "other", "other"]


TIERS = """
model again {
  score engagement { rule views: each page_view within 30d => +10 }
  tier lifecycle monotonic { SQL: engagement >= 80; MQL: engagement >= 40; lead: otherwise }
  tier was { SQL: previous(lifecycle) == "sql"; MQL: previous(lifecycle) in ["mql"]; other: otherwise }
}
"""


@pytest.fixture(params=backend_params())
def target(request, tmp_path):
    databases = make_database(request.param, tmp_path)
    yield next(databases)
    next(databases, None)


def test_transitions_are_written_to_a_database_table(project, target, tmp_path):
    """``--transitions`` into a table of each database: created on first use, one row per
    transition, and a repeated run leaves one row per key."""
    state = str(tmp_path / "state.sqlite")
    set_data(project)
    into = target.with_options(table="stage_changes")
    for as_of in ("2026-01-01", "2026-01-10", "2026-01-10"):
        result = CliRunner().invoke(cli, ["run", "model.score", "--source", "csv:data", "--as-of", as_of,
                                          "--state", state, "--transitions", into])
        assert result.exit_code == 0, result.output
    rows = target.query('SELECT contact_id, tier, "from", "to", as_of FROM stage_changes' if target.kind != "mariadb"
                        else "SELECT contact_id, tier, `from`, `to`, as_of FROM stage_changes")
    assert rows == [("c1", "lifecycle", "lead", "SQL", "2026-01-10T00:00:00Z")]
    set_data(project, unqualified=("c1",))
    CliRunner().invoke(cli, ["run", "model.score", "--source", "csv:data", "--as-of", "2026-03-01", "--state", state,
                             "--transitions", into])
    assert len(target.query("SELECT * FROM stage_changes")) == 2
