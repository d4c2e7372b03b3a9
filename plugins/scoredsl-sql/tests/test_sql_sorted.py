"""``sorted=contact_id``: the database sorts contacts and events by contact id in code-point
order, whatever its collation, and a run joins them contact by contact."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from scoredsl.data.records import DataSchema, TypeSpec
from scoredsl.data.sources import OrderError
from scoredsl.data.specs import SpecError
from scoredsl.plugins import manager as plugins

from sqltest import EXAMPLE, Collect, load_example, score

# Ids whose code-point order differs from most collations' (case, digits, accents, a space).
IDS = ["b", "B", "a", "ä", "A", "10", "9", "a1", "a10", "a2", "Z", "_x", " c"]
SCHEMA = DataSchema(contact={"name": TypeSpec("text")}, events={"visit": {"url": TypeSpec("text")}})


@pytest.fixture(scope="module")
def csv_rows(program):
    plugins.reset()
    rows, _, _ = score(program, f"csv:{EXAMPLE / 'data'}")
    return rows


def test_sorted_tables_score_like_csv_holding_one_contact(db, program, example_records, csv_rows):
    load_example(db, program.schema, example_records)
    rows, summary, _ = score(program, db.with_options(sorted="contact_id"))
    assert rows == csv_rows
    assert summary.mode == "sorted"
    assert summary.peak_events == max(sum(1 for e in example_records[1] if e["contact_id"] == c["id"])
                                      for c in example_records[0])


def test_sorted_queries_score_like_csv(db, program, example_records, csv_rows):
    load_example(db, program.schema, example_records)
    spec = db.with_options(sorted="contact_id", contacts="SELECT * FROM contacts WHERE id <> ''",
                           events="SELECT * FROM events WHERE type <> ''")
    rows, summary, _ = score(program, spec)
    assert rows == csv_rows and summary.mode == "sorted"


def load_ids(db, ids, events_of=None):
    db.load("contacts", [("id", sa.String(20)), ("name", sa.Text())], [{"id": i, "name": None} for i in ids])
    db.load("events", [("contact_id", sa.String(20)), ("type", sa.String(20)),
                       ("timestamp", sa.DateTime(timezone=True)), ("url", sa.Text())],
            [{"contact_id": i, "type": "visit", "timestamp": None, "url": None} for i in events_of or ids])
    db.execute("UPDATE events SET timestamp = '2026-01-01 00:00:00'")


def read(spec):
    with plugins.open_source(spec, SCHEMA) as source:
        return ([c["id"] for c in source.contacts(SCHEMA)], [e.contact_id for e in source.events(SCHEMA)],
                source.order_by_contact())


def test_the_database_sorts_in_code_point_order(db):
    load_ids(db, IDS)
    contacts, events, ordered = read(db.with_options(sorted="contact_id"))
    expected = sorted(i.strip() for i in IDS)
    assert contacts == expected and events == expected and ordered
    assert not read(db.spec)[2]


def test_integer_ids_sort_as_text(db):
    db.load("contacts", [("id", sa.Integer()), ("name", sa.Text())], [{"id": i, "name": None} for i in (2, 10, 1)])
    contacts, _, _ = read(db.with_options(sorted="contact_id", events=""))
    assert contacts == ["1", "10", "2"]


def test_ids_around_other_white_space_stop_a_sorted_run(db):
    load_ids(db, ["a", "b", "c"], events_of=["a", "\tc", "b"])       # the tab sorts first
    source = plugins.open_source(db.with_options(sorted="contact_id"), SCHEMA)
    with pytest.raises(OrderError) as info:
        list(source.events(SCHEMA))
    source.close()
    assert "contact id 'a' comes after 'c'" in str(info.value)
    assert "table events, row 2, column 'contact_id'" in str(info.value)
    assert "without sorted=" in str(info.value)
    assert sorted(read(db.spec)[1]) == ["a", "b", "c"]


def test_sorted_takes_contact_id(db):
    load_ids(db, ["a"])
    with pytest.raises(SpecError, match="sorted= takes contact_id"):
        plugins.open_source(db.with_options(sorted="yes"), SCHEMA)


def test_a_sorted_run_fails_before_it_commits(db, program, example_records):
    load_example(db, program.schema, example_records, limit=20)
    db.execute("UPDATE events SET contact_id = '\tc0003' WHERE contact_id = 'c0003'")
    sink = Collect()
    with pytest.raises(OrderError):
        score(program, db.with_options(sorted="contact_id"), sink)
    assert sink.aborted and not sink.committed


def test_packed_events_are_the_events_packed(db):
    """The fast path the runner reads: dates and datetimes as epoch microseconds, the rest as
    events() has it (lists included), the same errors skipped."""
    import datetime as dt

    from scoredsl.data.records import epoch_micros

    schema = DataSchema(contact={"name": TypeSpec("text")}, events={"visit": {
        "url": TypeSpec("text"), "day": TypeSpec("date"), "seen": TypeSpec("datetime"),
        "tags": TypeSpec("text", is_list=True), "ok": TypeSpec("bool"), "n": TypeSpec("number")}})
    db.load("contacts", [("id", sa.String(20)), ("name", sa.Text())], [{"id": "a", "name": None}])
    utc = dt.timezone.utc
    db.load("events", [("contact_id", sa.String(20)), ("type", sa.String(20)),
                       ("timestamp", sa.DateTime(timezone=True)), ("url", sa.Text()), ("day", sa.Date()),
                       ("seen", sa.DateTime(timezone=True)), ("tags", sa.Text()), ("ok", sa.Boolean()),
                       ("n", sa.Double())],
            [{"contact_id": "a", "type": "visit", "timestamp": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=utc),
              "url": " ", "day": dt.date(2025, 12, 31), "seen": dt.datetime(2026, 1, 1, tzinfo=utc),
              "tags": "x; y;", "ok": True, "n": 1.5},
             {"contact_id": "b", "type": "visit", "timestamp": None, "url": "/p", "day": None, "seen": None,
              "tags": None, "ok": None, "n": None},
             {"contact_id": "c", "type": "other", "timestamp": None, "url": None, "day": None, "seen": None,
              "tags": None, "ok": None, "n": None}])
    for options in ({}, {"sorted": "contact_id"}):
        spec = db.with_options(**options)
        skipped = []
        with plugins.open_source(spec, schema) as source:
            events = list(source.events(schema, skipped.append))
        with plugins.open_source(spec, schema) as source:
            packed = list(source.packed_events(schema, skipped.append))
            assert source.ignored_events == 1
        assert [str(e) for e in skipped[:1]] == [str(e) for e in skipped[1:]]
        assert "missing timestamp" in str(skipped[0])
        assert packed == [(e.contact_id, e.type, (epoch_micros(e.timestamp),) + tuple(
            epoch_micros(v) if isinstance(v, (dt.date, dt.datetime)) else v for v in e.attrs.values()))
            for e in events]
        assert packed[0][2][1:] == (None, epoch_micros(dt.date(2025, 12, 31)),
                                    epoch_micros(dt.datetime(2026, 1, 1, tzinfo=utc)), ("x", "y"), True, 1.5)
