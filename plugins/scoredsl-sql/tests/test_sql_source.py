"""The SQL source on real databases: same scores as the CSV source, types checked up front,
bad rows named by table, row and column."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from scoredsl.data.records import DataError
from scoredsl.data.specs import Spec, SpecError, parse_spec
from scoredsl.plugins import manager as plugins

from sqltest import (EXAMPLE, UTC, Collect, backend_params, load_example, load_typed, score,
                      typed_contact, typed_event)

RENAME = {"id": "contact_key", "job_title": "title", "employees": "num_employees",
          "contact_id": "lead", "type": "kind", "timestamp": "occurred_at", "url": "page"}
CONTACT_MAP = "id:contact_key,job_title:title,employees:num_employees"
EVENT_MAP = "contact_id:lead,type:kind,timestamp:occurred_at,url:page"


@pytest.fixture(scope="module")
def csv_rows(program):
    plugins.reset()
    rows, _, _ = score(program, f"csv:{EXAMPLE / 'data'}")
    return rows


def typed_records(db_spec, typed, **options):
    with plugins.open_source(db_spec, typed.schema) as source:
        contacts = list(source.contacts(typed.schema))
        events = list(source.events(typed.schema))
    return contacts, events, source


# ================================================================== same scores as CSV

def test_tables_score_like_csv(db, program, example_records, csv_rows):
    load_example(db, program.schema, example_records)
    rows, summary, _ = score(program, db.spec)
    assert rows == csv_rows
    assert summary.contacts == 300 and summary.skipped_rows == 0


def test_tables_with_a_column_mapping_score_like_csv(db, program, example_records, csv_rows):
    load_example(db, program.schema, example_records, contacts="crm_contacts", events="activity",
                 rename=RENAME)
    spec = db.with_options(contacts="crm_contacts", events="activity", columns=CONTACT_MAP,
                           event_columns=EVENT_MAP)
    rows, _, _ = score(program, spec)
    assert rows == csv_rows


def test_queries_with_a_column_mapping_score_like_csv(db, program, example_records, csv_rows):
    load_example(db, program.schema, example_records, contacts="crm_contacts", events="activity",
                 rename=RENAME)
    # a % sign (LIKE) and a CTE: queries are sent as written; the mapping still applies
    contacts = ("SELECT c.*, c.title AS job_title FROM crm_contacts c "
                "WHERE c.email LIKE '%@%' OR c.email IS NULL")
    events = ("WITH a AS (SELECT * FROM activity) "
              "SELECT lead AS contact_id, kind AS type, occurred_at, campaign, newsletter, "
              "page, cta, form, webinar, network FROM a;")
    spec = db.with_options(contacts=contacts, events=events,
                           columns="id:contact_key,employees:num_employees",
                           event_columns="timestamp:occurred_at,url:page")
    rows, _, _ = score(program, spec)
    assert rows == csv_rows


def test_options_may_be_toml_values(db, program, example_records, csv_rows):
    """A project configuration passes tables and integers, not only strings."""
    load_example(db, program.schema, example_records, contacts="crm_contacts", events="activity",
                 rename=RENAME)
    parsed = parse_spec(db.spec)
    spec = Spec(scheme=parsed.scheme, location=parsed.location, text=parsed.text, options={
        "contacts": "crm_contacts", "events": "activity", "batch_size": 7,
        "columns": {"id": "contact_key", "job_title": "title", "employees": "num_employees"},
        "event_columns": {"contact_id": "lead", "type": "kind", "timestamp": "occurred_at",
                          "url": "page"}})
    source = plugins.source_registry().entries[parsed.scheme].factory(spec, program.schema)
    assert source.batch_size == 7
    rows, _, _ = score(program, "", source=source)
    assert rows == csv_rows


@pytest.mark.parametrize("db", backend_params(["postgresql"]), indirect=True)
def test_postgresql_reads_with_a_server_side_cursor(db, typed):
    load_typed(db, [typed_contact(f"c{i:04d}") for i in range(50)], [])
    with plugins.open_source(db.with_options(batch_size=10), typed.schema) as source:
        contacts = source.contacts(typed.schema)
        next(contacts)
        activity = db.query("SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid() AND query LIKE 'FETCH%'")
        assert activity and activity[0][0].startswith("FETCH FORWARD "), \
            "the contacts are fetched through a server-side cursor, a batch at a time"
        assert len(list(contacts)) == 49


# ================================================================== typed values

def test_values_are_typed(db, typed):
    naive = dt.datetime(2026, 10, 5, 12, 30)
    load_typed(db, [
        typed_contact("a1", email="Ann@corp.example", employees=120, revenue=2.5e6, opt_out=False,
                      created=dt.date(2023, 5, 1), last_seen=naive.replace(tzinfo=UTC),
                      tags="vip; b2b;"),
        typed_contact("a2", email="   ", employees=0, revenue=0.0, opt_out=True),
        typed_contact("a3 "),
    ], [
        typed_event("a1", "visit", dt.datetime(2026, 9, 1, 8, 0, tzinfo=UTC), url="/pricing", seconds=90),
        typed_event("a1", "signup", dt.datetime(2026, 9, 2, tzinfo=UTC)),
        typed_event("a2", "newsletter_open", dt.datetime(2026, 9, 2, tzinfo=UTC)),
    ])
    contacts, events, source = typed_records(db.spec, typed)
    assert contacts == [
        {"id": "a1", "email": "Ann@corp.example", "employees": 120, "revenue": 2.5e6,
         "opt_out": False, "created": dt.date(2023, 5, 1),
         "last_seen": dt.datetime(2026, 10, 5, 12, 30, tzinfo=UTC), "tags": ("vip", "b2b")},
        {"id": "a2", "email": None, "employees": 0, "revenue": 0.0, "opt_out": True,
         "created": None, "last_seen": None, "tags": None},
        {"id": "a3", "email": None, "employees": None, "revenue": None, "opt_out": None,
         "created": None, "last_seen": None, "tags": None},
    ]
    assert all(c["last_seen"] is None or c["last_seen"].tzinfo is UTC for c in contacts)
    assert sorted(events, key=lambda e: e.type) == [
        _event("a1", "signup", dt.datetime(2026, 9, 2, tzinfo=UTC), {}),
        _event("a1", "visit", dt.datetime(2026, 9, 1, 8, tzinfo=UTC), {"url": "/pricing", "seconds": 90}),
    ]
    assert source.ignored_events == 1


def _event(cid, kind, when, values):
    from scoredsl.data.records import Event
    return Event(contact_id=cid, type=kind, timestamp=when, attrs=values)


@pytest.mark.parametrize("db", backend_params(["postgresql", "duckdb"]), indirect=True)
def test_native_arrays_hold_lists(db, typed):
    array, double = ("TEXT[]", "DOUBLE PRECISION") if db.kind == "postgresql" else ("VARCHAR[]", "DOUBLE")
    load_typed(db, [], [])
    db.execute("DROP TABLE contacts",
               f"CREATE TABLE contacts (id TEXT, email TEXT, employees INTEGER, revenue {double},"
               f" opt_out BOOLEAN, created DATE, last_seen TIMESTAMP WITH TIME ZONE, tags {array})",
               "INSERT INTO contacts (id, tags) VALUES ('a1', ARRAY['vip', 'b2b']), "
               f"('a2', CAST(ARRAY[] AS {array})), ('a3', NULL), ('a4', ARRAY['x', NULL])")
    with plugins.open_source(db.spec, typed.schema) as source:
        errors = []
        contacts = list(source.contacts(typed.schema, errors.append))
    assert [(c["id"], c["tags"]) for c in contacts] == [("a1", ("vip", "b2b")), ("a2", ()), ("a3", None)]
    assert errors[0].column == "tags" and errors[0].row == 4 and "item 2 of the array is null" in errors[0].message


@pytest.mark.parametrize("db", backend_params(["postgresql", "mariadb", "duckdb"]), indirect=True)
def test_timestamps_in_other_zones_are_converted_to_utc(db, typed):
    load_typed(db, [typed_contact("a1")], [])
    if db.kind == "postgresql":     # sessions of this database return Berlin times
        db.execute(f"ALTER DATABASE {db.url.database} SET timezone TO 'Europe/Berlin'",
                   "INSERT INTO events (contact_id, type, timestamp) VALUES "
                   "('a1', 'signup', '2026-09-01 10:00:00+02:00')")
    elif db.kind == "duckdb":
        db.execute("INSERT INTO events (contact_id, type, timestamp) VALUES "
                   "('a1', 'signup', '2026-09-01 10:00:00+02:00'::TIMESTAMPTZ)")
    else:  # a TIMESTAMP column, written in a session of another zone
        db.execute("ALTER TABLE events MODIFY timestamp TIMESTAMP NULL",
                   "SET time_zone = '+02:00'",
                   "INSERT INTO events (contact_id, type, timestamp) VALUES ('a1', 'signup', '2026-09-01 10:00:00')")
    _, events, _ = typed_records(db.spec, typed)
    assert [e.timestamp for e in events] == [dt.datetime(2026, 9, 1, 8, 0, tzinfo=UTC)]


@pytest.mark.parametrize("db", backend_params(["sqlite"]), indirect=True)
def test_sqlite_dates_and_booleans_may_be_text(db, typed):
    db.execute("CREATE TABLE contacts (id TEXT, email TEXT, employees INTEGER, revenue REAL, opt_out BOOLEAN, "
               "created DATE, last_seen DATETIME, tags TEXT)",
               "INSERT INTO contacts VALUES ('a1', 'x', 5, 1.5, 'yes', '2023-05-01', '2026-10-05T14:30:00+02:00', 'a;b'),"
               " ('a2', NULL, '7', 3, 0, NULL, '2026-10-05 12:30:00', NULL),"
               " (3, NULL, NULL, NULL, 1, NULL, '2026-10-05', NULL)",
               "CREATE TABLE events (contact_id, type TEXT, timestamp TEXT, url, seconds)",
               "INSERT INTO events VALUES ('a1', 'visit', '2026-09-01T10:00:00Z', '/x', 61), "
               "(3, 'signup', '2026-09-01', NULL, NULL)")
    contacts, events, _ = typed_records(db.spec, typed)
    assert [(c["id"], c["employees"], c["revenue"], c["opt_out"], c["created"], c["last_seen"], c["tags"])
            for c in contacts] == [
        ("3", None, None, True, None, dt.datetime(2026, 10, 5, tzinfo=UTC), None),
        ("a1", 5, 1.5, True, dt.date(2023, 5, 1), dt.datetime(2026, 10, 5, 12, 30, tzinfo=UTC), ("a", "b")),
        ("a2", 7, 3.0, False, None, dt.datetime(2026, 10, 5, 12, 30, tzinfo=UTC), None),
    ]
    assert sorted((e.contact_id, e.type, e.timestamp, dict(e.attrs)) for e in events) == [
        ("3", "signup", dt.datetime(2026, 9, 1, tzinfo=UTC), {}),
        ("a1", "visit", dt.datetime(2026, 9, 1, 10, tzinfo=UTC), {"url": "/x", "seconds": 61}),
    ]


def test_a_column_mapped_to_nothing_is_always_missing(db, typed):
    load_typed(db, [typed_contact("a1", employees=3, tags="vip")], [],
               contact_columns={"tags": None}, event_columns={"seconds": None})
    spec = db.with_options(columns="tags:", event_columns="seconds:")
    contacts, _, _ = typed_records(spec, typed)
    assert contacts[0]["employees"] == 3 and contacts[0]["tags"] is None


def test_no_events_table_when_events_is_empty(db, typed):
    load_typed(db, [typed_contact("a1")], [])
    db.execute("DROP TABLE events")
    with pytest.raises(SpecError, match=r"cannot read table events.*events= for no events"):
        plugins.open_source(db.spec, typed.schema)
    contacts, events, _ = typed_records(db.with_options(events=""), typed)
    assert [c["id"] for c in contacts] == ["a1"] and events == []


# ================================================================== checked before reading

def test_type_mismatches_and_missing_columns_are_one_error_before_any_row(db, typed):
    load_typed(db, [typed_contact("a1")], [],
               contact_columns={"employees": sa.String(20), "opt_out": sa.String(5), "tags": None},
               event_columns={"timestamp": sa.Integer(), "seconds": sa.Text()})
    with pytest.raises(SpecError) as caught:
        plugins.open_source(db.spec, typed.schema)
    message = str(caught.value)
    assert "does not fit the schema" in message
    assert "table contacts has no column 'tags'" in message
    assert "column 'employees' is" in message and "employees: int" in message
    assert "column 'opt_out' is" in message and "opt_out: bool" in message
    assert "column 'timestamp' is" in message and "timestamp needs a timestamp column" in message
    assert "column 'seconds' is" in message and "seconds: int" in message
    for fine in ("email", "revenue", "created", "last_seen", "'url'"):
        assert f"column {fine if fine.startswith(chr(39)) else repr(fine)} is" not in message


def test_a_query_is_checked_like_a_table(db, typed):
    load_typed(db, [typed_contact("a1")], [])
    spec = db.with_options(contacts="SELECT id, email, CAST(employees AS CHAR(10)) AS employees, revenue, "
                                     "opt_out, created, last_seen FROM contacts")
    with pytest.raises(SpecError) as caught:
        plugins.open_source(spec, typed.schema)
    message = str(caught.value)
    assert "contacts query has no column 'tags'" in message
    if db.kind == "sqlite":   # SQLite declares no type for an expression: its values are checked
        assert "column 'employees'" not in message
    else:
        assert "contacts query: column 'employees' is" in message


def test_a_missing_table_and_a_failing_query_are_named(db, typed):
    load_typed(db, [], [])
    spec = db.with_options(contacts="crm_people", events="SELECT * FROM no_such_table")
    with pytest.raises(SpecError) as caught:
        plugins.open_source(spec, typed.schema)
    message = str(caught.value)
    assert "cannot read table crm_people" in message and "give contacts=TABLE or a query" in message
    assert "the events query fails" in message and "no_such_table" in message


def test_a_mapping_must_name_schema_names(db, typed):
    load_typed(db, [], [])
    with pytest.raises(SpecError, match=r"maps 'job_titel', which the schema does not declare"):
        plugins.open_source(db.with_options(columns="job_titel:title"), typed.schema)
    with pytest.raises(SpecError, match=r"unknown option 'contact'"):
        plugins.open_source(db.with_options(contact="people"), typed.schema)


# ================================================================== bad rows

BAD_VALUES = {
    # backend: (column, SQL value, expected message)
    "sqlite": ("employees", "'many'", "'many' is not an int"),
    "duckdb": ("revenue", "'nan'::DOUBLE", "is not a finite number"),
    "postgresql": ("revenue", "'NaN'::float8", "is not a finite number"),
    "mariadb": ("opt_out", "7", "number 7 is not a bool"),
}


def test_a_bad_value_fails_naming_table_row_and_column(db, typed):
    load_typed(db, [typed_contact("a1"), typed_contact("a3")], [])
    column, value, message = BAD_VALUES[db.kind]
    db.execute(f"INSERT INTO contacts (id, {column}) VALUES ('a2', {value})")
    with plugins.open_source(db.spec, typed.schema) as source:
        contacts = source.contacts(typed.schema)
        assert next(contacts)["id"] == "a1"
        with pytest.raises(DataError) as caught:
            next(contacts)
    error = caught.value
    assert (error.file, error.row, error.column, error.record) == ("table contacts", 2, column, "id 'a2'")
    assert message in error.message
    assert str(error).startswith(f"table contacts, row 2, column '{column}': ")


def test_bad_rows_are_skipped_and_counted_in_skip_mode(db, typed):
    column, value, _ = BAD_VALUES[db.kind]
    load_typed(db, [typed_contact("a1"), typed_contact("a3"), typed_contact("a4", employees=200)],
               [typed_event("a1", "visit", dt.datetime(2026, 9, 1, tzinfo=UTC)),
                typed_event("a1", "signup", None)])
    db.execute(f"INSERT INTO contacts (id, {column}) VALUES ('a2', {value})",
               "INSERT INTO contacts (id) VALUES ('a1')")
    rows, summary, _ = score(typed, db.spec, on_error="skip")
    assert [r["contact_id"] for r in rows] == ["a1", "a3", "a4"]
    assert summary.skipped_rows == 3
    problems = {(e.file, e.row, e.column) for e in summary.errors if e.file == "table contacts"}
    assert problems == {("table contacts", 2, "id"), ("table contacts", 3, column)}
    duplicate = next(e for e in summary.errors if e.column == "id")
    assert duplicate.message == "duplicate contact id 'a1': also at row 1"
    event = next(e for e in summary.errors if e.file == "table events")
    assert (event.column, event.message) == ("timestamp", "missing timestamp")


def test_a_bad_event_names_the_query_row_and_record(db, typed):
    load_typed(db, [typed_contact("a1")], [typed_event("a1", "visit", dt.datetime(2026, 9, 1, tzinfo=UTC)),
                                           typed_event("a1", "visit", None)])
    spec = db.with_options(events="SELECT * FROM events ORDER BY timestamp")
    with plugins.open_source(spec, typed.schema) as source:
        with pytest.raises(DataError) as caught:
            list(source.events(typed.schema))
    error = caught.value
    assert error.file == "events query" and error.column == "timestamp"
    assert error.row in (1, 2) and error.record == "contact_id 'a1', type 'visit'"
    assert error.message == "missing timestamp"


def test_a_mapped_column_is_named_as_the_database_names_it(db, typed):
    load_typed(db, [typed_contact("a1")], [], contact_columns={"employees": None})
    db.execute("ALTER TABLE contacts ADD COLUMN staff INTEGER", "UPDATE contacts SET staff = -1")
    if db.kind == "sqlite":
        db.execute("UPDATE contacts SET staff = 'lots'")
        with plugins.open_source(db.with_options(columns="employees:staff"), typed.schema) as source:
            with pytest.raises(DataError) as caught:
                list(source.contacts(typed.schema))
        assert caught.value.column == "staff"
        assert caught.value.message == "'lots' is not an int (for employees)"
    else:
        contacts, _, _ = typed_records(db.with_options(columns="employees:staff"), typed)
        assert contacts[0]["employees"] == -1


def test_collect_sink_sees_nothing_when_a_source_check_fails(db, typed):
    load_typed(db, [typed_contact("a1")], [], contact_columns={"employees": sa.String(20)})
    sink = Collect()
    with pytest.raises(SpecError):
        score(typed, db.spec, sink)
    assert not hasattr(sink, "rows")


@pytest.mark.parametrize("db", backend_params(["sqlite", "duckdb", "mariadb"]), indirect=True)
def test_a_query_may_select_null_for_any_type(db, typed):
    load_typed(db, [typed_contact("a1", email="x")], [])
    spec = db.with_options(contacts="SELECT id, email, NULL AS employees, NULL AS revenue, NULL AS opt_out, "
                                    "NULL AS created, NULL AS last_seen, NULL AS tags FROM contacts")
    contacts, _, _ = typed_records(spec, typed)
    assert contacts == [{"id": "a1", "email": "x", "employees": None, "revenue": None, "opt_out": None,
                         "created": None, "last_seen": None, "tags": None}]
