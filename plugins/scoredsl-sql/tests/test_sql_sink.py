"""The SQL sink on real databases: created tables, upserts, history, new columns, checks at open."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from scoredsl.compiler.pipeline import compile_text
from scoredsl.data.sinks import SinkError
from scoredsl.data.values import format_datetime
from scoredsl.plugins import manager as plugins
from scoredsl.plugins.manager import open_sink

from sqltest import (TYPED_MODEL, UTC, backend_params, load_example, load_typed, run_info,
                      score, typed_contact, typed_event)

LATER = dt.datetime(2026, 12, 1, tzinfo=UTC)
COLUMNS = ["contact_id", "model", "status", "reason", "fit", "engagement", "level", "model_version",
           "as_of", "scored_at"]
FIT_ONLY = TYPED_MODEL.replace("tier level by fit + engagement", "tier level by fit").replace(
    TYPED_MODEL[TYPED_MODEL.index("  score engagement"):TYPED_MODEL.index("  tier level")], "")


def people(db):
    load_typed(db, [
        typed_contact("a1", email="ann@corp.example", employees=500, revenue=5e6, tags="vip"),
        typed_contact("a2", employees=20, created=dt.date(2020, 1, 1)),
        typed_contact("a3", opt_out=True, employees=900),
    ], [
        typed_event("a1", "visit", dt.datetime(2026, 10, 1, tzinfo=UTC), seconds=120),
        typed_event("a1", "signup", dt.datetime(2026, 10, 2, tzinfo=UTC)),
        typed_event("a2", "visit", dt.datetime(2026, 10, 3, tzinfo=UTC), seconds=5),
    ])


def plain(row: dict) -> dict:
    """A stored row as the CSV sink would write it (timestamps as ISO text), without scored_at."""
    out = {}
    for key, value in row.items():
        if isinstance(value, dt.datetime):
            value = format_datetime(value)
        out[key.lower()] = value
    out.pop("scored_at", None)
    return out


def column_types(db, table: str) -> dict[str, str]:
    if db.kind == "sqlite":
        return {row[1]: row[2].upper() for row in db.query(f"PRAGMA table_info({table})")}
    rows = db.query("SELECT column_name, data_type FROM information_schema.columns WHERE "
                    f"table_name = '{table}'" + (f" AND table_schema = '{db.url.database}'"
                                                  if db.kind == "mariadb" else "")
                    + " ORDER BY ordinal_position")
    return {name.lower(): kind.upper() for name, kind in rows}


EXPECTED_TYPES = {
    "sqlite": ("TEXT", "INTEGER", "TEXT", "TIMESTAMP"),
    "duckdb": ("VARCHAR", "INTEGER", "VARCHAR", "TIMESTAMP WITH TIME ZONE"),
    "postgresql": ("TEXT", "INTEGER", "TEXT", "TIMESTAMP WITH TIME ZONE"),
    "mariadb": ("VARCHAR", "INT", "TEXT", "DATETIME"),
}


# ================================================================== the table

def test_the_table_is_created_with_typed_columns_and_a_key(db, typed):
    people(db)
    rows, _, sink = score(typed, db.spec, open_sink(db.spec))
    types = column_types(db, "scores")
    assert list(types) == COLUMNS
    key, score_type, text, timestamp = EXPECTED_TYPES[db.kind]
    assert (types["contact_id"], types["fit"], types["level"], types["as_of"], types["scored_at"]) == (
        key, score_type, text, timestamp, timestamp)
    with pytest.raises(sa.exc.DBAPIError, match="(?i)unique|duplicate|constraint"):
        db.execute("INSERT INTO scores (contact_id, model, status) VALUES ('a1', 'typed', 'scored')")


def test_stored_rows_are_the_run_s_rows(db, typed):
    people(db)
    expected, _, _ = score(typed, db.spec)
    score(typed, db.spec, open_sink(db.spec))
    stored = db.table("scores")
    assert [plain(r) for r in stored] == expected
    assert expected[2] == {"contact_id": "a3", "model": "typed", "status": "disqualified",
                           "reason": "opted_out", "fit": None, "engagement": None, "level": None,
                           "model_version": expected[0]["model_version"],
                           "as_of": "2026-11-01T00:00:00Z"}
    scored_at = {r["scored_at"] for r in stored}
    assert len(scored_at) == 1          # one wall-clock time per run


def test_a_second_run_updates_rows_in_place(db, program, example_records):
    load_example(db, program.schema, example_records, limit=40)
    spec = db.with_options(table="lead_scores")
    score(program, db.spec, open_sink(spec))
    first = db.table("lead_scores")
    assert (first[0]["contact_id"], first[0]["status"], first[0]["fit"]) == ("c0001", "scored", 90)

    db.execute("UPDATE contacts SET lifecycle_stage = 'customer' WHERE id = 'c0001'")
    expected, _, _ = score(program, db.spec, open_sink(spec), as_of=LATER)
    second = db.table("lead_scores")
    assert len(second) == len(first) == 40                      # updated, not duplicated
    assert [plain(r) for r in second] == expected
    c1 = second[0]
    assert (c1["status"], c1["reason"]) == ("disqualified", "customer")
    assert all(c1[name] is None for name in ("fit", "engagement", "lifecycle", "heat", "priority"))
    assert all(plain(r)["as_of"] == "2026-12-01T00:00:00Z" for r in second)
    assert min(r["scored_at"] for r in second) > max(r["scored_at"] for r in first)


def test_history_keeps_every_run(db, typed):
    people(db)
    spec = db.with_options(history="score_history")
    first, _, _ = score(typed, db.spec, open_sink(spec))
    second, _, _ = score(typed, db.spec, open_sink(spec), as_of=LATER)
    assert len(db.table("scores")) == 3
    history = db.table("score_history")
    assert list(column_types(db, "score_history")) == COLUMNS
    assert len(history) == 6 and len({r["scored_at"] for r in history}) == 2
    runs = sorted({r["scored_at"] for r in history})
    assert sorted((plain(r) for r in history if r["scored_at"] == runs[0]), key=str) == sorted(first, key=str)
    assert sorted((plain(r) for r in history if r["scored_at"] == runs[1]), key=str) == sorted(second, key=str)


def test_a_new_score_adds_a_column_and_other_columns_are_left_alone(db, typed):
    people(db)
    fit_only = compile_text(FIT_ONLY, "fit.score")
    score(fit_only, db.spec, open_sink(db.spec))
    assert "engagement" not in column_types(db, "scores")
    db.execute("ALTER TABLE scores ADD COLUMN note VARCHAR(20)", "UPDATE scores SET note = 'kept'")

    expected, _, _ = score(typed, db.spec, open_sink(db.spec))
    stored = db.table("scores")
    assert "engagement" in column_types(db, "scores")
    assert [r.pop("note") for r in stored] == ["kept"] * 3
    assert [plain(r) for r in stored] == expected
    assert stored[0]["engagement"] == 28         # 1 visit, 1 long visit, a signup


def test_two_models_share_one_table(db):
    model = TYPED_MODEL.replace("model typed {", "model one {") + TYPED_MODEL[
        TYPED_MODEL.index("model typed {"):].replace("model typed {", "model two {").replace(
        "tier level", "tier rank")
    program = compile_text(model, "two.score")
    people(db)
    expected, _, _ = score(program, db.spec, open_sink(db.spec))
    stored = [plain(r) for r in db.table("scores")]
    assert stored == expected and len(stored) == 6
    assert {r["model"] for r in stored} == {"one", "two"}
    assert all(r["rank"] is None for r in stored if r["model"] == "one")


# ================================================================== checked at open

def test_an_existing_table_needs_a_key_on_contact_and_model(db, typed):
    people(db)
    db.execute("CREATE TABLE scores (contact_id VARCHAR(64), model VARCHAR(64), status VARCHAR(20))")
    sink = open_sink(db.spec)
    with pytest.raises(SinkError, match=r"table scores: it has no primary key or unique index on "
                                        r"\(contact_id, model\).*ADD PRIMARY KEY"):
        sink.open(run_info(typed))
    assert column_types(db, "scores") == {"contact_id": column_types(db, "scores")["contact_id"],
                                          "model": column_types(db, "scores")["model"],
                                          "status": column_types(db, "scores")["status"]}


def test_a_unique_index_is_key_enough(db, typed):
    people(db)
    db.execute("CREATE TABLE scores (contact_id VARCHAR(64) NOT NULL, model VARCHAR(64) NOT NULL, "
               "status VARCHAR(20))",
               "CREATE UNIQUE INDEX scores_key ON scores (model, contact_id)")
    expected, _, _ = score(typed, db.spec, open_sink(db.spec))
    score(typed, db.spec, open_sink(db.spec))
    assert [plain(r) for r in db.table("scores")] == expected


def test_an_existing_column_of_the_wrong_type_is_an_error_at_open(db, typed):
    db.execute("CREATE TABLE scores (contact_id VARCHAR(64) NOT NULL, model VARCHAR(64) NOT NULL, "
               "fit VARCHAR(10), as_of INTEGER, PRIMARY KEY (contact_id, model))")
    with pytest.raises(SinkError) as caught:
        open_sink(db.spec).open(run_info(typed))
    message = str(caught.value)
    assert "column 'fit' is" in message and "but fit is an integer" in message
    assert "column 'as_of' is" in message and "but as_of is a timestamp" in message


def test_ids_that_differ_in_case_are_different_contacts(db, typed):
    load_typed(db, [typed_contact("C1"), typed_contact("c1"), typed_contact("c\u00e9")], [])
    score(typed, db.spec, open_sink(db.spec))
    score(typed, db.spec, open_sink(db.spec))
    assert sorted(r["contact_id"] for r in db.table("scores")) == ["C1", "c1", "c\u00e9"]


@pytest.mark.parametrize("db", backend_params(["postgresql", "duckdb"]), indirect=True)
def test_a_table_in_another_schema(db, typed):
    people(db)
    db.execute("CREATE SCHEMA analytics")
    score(typed, db.spec, open_sink(db.with_options(table="analytics.scores", history="analytics.runs")))
    assert len(db.table("analytics.scores")) == 3 and len(db.table("analytics.runs")) == 3


# ================================================================== the protocol

def test_the_sink_protocol(db, typed):
    people(db)
    sink = open_sink(db.spec)
    sink.abort()                                           # before open: nothing to do
    with pytest.raises(SinkError, match="commit"):
        sink.commit()
    rows, _, _ = score(typed, db.spec, sink)
    sink.abort()                                           # after commit: nothing to do
    assert len(db.table("scores")) == 3
    sink = open_sink(db.spec)
    sink.open(run_info(typed))
    with pytest.raises(SinkError, match="already open"):
        sink.open(run_info(typed))
    from scoredsl.data.records import ResultRow
    with pytest.raises(SinkError, match="not part of this run"):
        sink.write(ResultRow(contact_id="x", model="other", status="scored", reason=None, scores={}, tiers={}))
    row = ResultRow(contact_id="x", model="typed", status="scored", reason=None,
                    scores={"fit": 1, "engagement": 2}, tiers={"level": "cold"})
    sink.write(row)
    with pytest.raises(SinkError, match="second result row"):
        sink.write(row)
    sink.abort()
    assert len(db.table("scores")) == 3


def test_an_empty_run_creates_the_table(db, typed):
    load_typed(db, [], [])
    score(typed, db.spec, open_sink(db.spec))
    assert db.table("scores") == [] and list(column_types(db, "scores")) == COLUMNS


@pytest.mark.parametrize("db", backend_params(["sqlite", "duckdb"]), indirect=True)
def test_an_aborted_first_run_leaves_no_database_file(db, typed, tmp_path):
    path = tmp_path / "new" / "scores.db"
    path.parent.mkdir()
    sink = open_sink(f"{db.kind}:{path}")
    sink.open(run_info(typed))
    assert path.exists()
    sink.abort()
    assert list(path.parent.iterdir()) == []


def test_a_score_named_like_the_run_time_is_refused(db):
    program = compile_text(FIT_ONLY.replace("score fit", "score scored_at").replace("by fit", "by scored_at"),
                           "clash.score")
    with pytest.raises(SinkError, match="scored_at"):
        open_sink(db.spec).open(run_info(program))
    plugins.reset()


# ================================================================== limits and concurrency

@pytest.mark.parametrize("db", backend_params(["postgresql", "mariadb"]), indirect=True)
def test_a_table_name_the_database_would_cut_is_refused(db):
    too_long = "t" * 70
    with pytest.raises(Exception, match=r"longer than the (63 bytes|64 characters)") as info:
        open_sink(db.with_options(table=too_long))
    assert "SpecError" in type(info.value).__name__
    db_limit = 63 if db.kind == "postgresql" else 64
    open_sink(db.with_options(table="t" * db_limit))           # the longest name it keeps is fine


@pytest.mark.parametrize("db", backend_params(["postgresql", "mariadb"]), indirect=True)
def test_runs_creating_the_same_table_at_once_take_turns(db, typed):
    """Several runs commit a new table at the same instant: each waits for the one before; none
    fails on the database's own catalog (PostgreSQL: a duplicate key in pg_type; MariaDB: the
    table exists already)."""
    import threading

    from scoredsl.data.records import ResultRow

    people(db)
    for attempt in range(3):
        table = f"race_{attempt}"
        sinks = [open_sink(db.with_options(table=table)) for _ in range(4)]
        for sink in sinks:
            sink.open(run_info(typed))
            sink.write(ResultRow(contact_id="a1", model="typed", status="scored", reason=None,
                                 scores={"fit": 1, "engagement": 2}, tiers={"level": "low"}))
        start, failures = threading.Barrier(len(sinks)), []

        def commit(sink):
            start.wait()
            try:
                sink.commit()
            except Exception as exc:            # noqa: BLE001 - collected and shown
                failures.append(exc)

        threads = [threading.Thread(target=commit, args=(s,)) for s in sinks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert failures == []
        assert len(db.table(table)) == 1


@pytest.mark.parametrize("db", backend_params(["postgresql"]), indirect=True)
def test_a_connection_dropped_in_the_middle_is_a_sink_error_naming_the_sink(db, typed):
    from scoredsl.data.records import ResultRow

    people(db)
    sink = open_sink(db.with_options(table="dropped", batch_size=1))
    sink.open(run_info(typed))

    def row(cid):
        return ResultRow(contact_id=cid, model="typed", status="scored", reason=None,
                         scores={"fit": 1, "engagement": 2}, tiers={"level": "low"})

    sink.write(row("a1"))
    db.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
               f"'{db.url.database}' AND pid <> pg_backend_pid()")
    with pytest.raises(SinkError) as info:
        for cid in ("a2", "a3", "a4"):
            sink.write(row(cid))
        sink.commit()
    assert str(info.value).startswith(f"{db.spec.split('?')[0]}: writing table dropped failed: ")
    assert not db.has_table("dropped")
