"""``scoredsl explain`` on a database: the contact and its events found in the database (a
LIKE on the id), the same as a full read finds them, whatever characters the id holds."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from scoredsl.engines.frame import ErrorPolicy, RunSummary
from scoredsl.plugins import manager as plugins

from sqltest import EXAMPLE, load_example

ODD = ["50%_off", "a!b", "o'hara", "back\\slash", "c0001 ", "C0001"]


def _full(source, schema, contact_id):
    policy = ErrorPolicy("skip", RunSummary())
    contact = next((c for c in source.contacts(schema, policy) if c["id"] == contact_id), None)
    if contact is None:
        return None, []
    return contact, [e for e in source.events(schema, policy) if e.contact_id == contact_id]


def test_one_contact_is_what_a_full_read_finds(db, program, example_records):
    schema = program.schema
    load_example(db, schema, example_records, limit=60)
    when = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
    with db.engine.begin() as conn:
        for i, odd in enumerate(ODD):
            conn.execute(sa.text("INSERT INTO contacts (id, employees) VALUES (:id, :n)"), {"id": odd, "n": i})
            conn.execute(sa.text("INSERT INTO events (contact_id, type, timestamp, url) VALUES (:id, 'page_view', "
                                 ":at, :url)"), {"id": odd, "at": when, "url": f"/{i}"})
        conn.execute(sa.text("INSERT INTO events (contact_id, type, timestamp, url) VALUES ('50%Xoff', 'page_view', "
                             ":at, '/wild')"), {"at": when})
    source = plugins.open_source(db.spec, schema)
    try:
        ids = [c["id"] for c in example_records[0][:5]] + ["50%_off", "a!b", "o'hara", "back\\slash", "c0001",
                                                             "C0001", "absent", "c00"]
        for contact_id in ids:
            want = _full(source, schema, contact_id)
            got = source.for_contact(contact_id, schema, ErrorPolicy("skip", RunSummary()))
            assert got == want, contact_id
        assert source.for_contact(" c0001", schema) is None       # not an id a full read gives
    finally:
        source.close()


def invoke(*args):
    from click.testing import CliRunner

    from scoredsl.cli.main import cli
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_explain_reads_a_contact_from_the_database(db, program, example_records):
    load_example(db, program.schema, example_records)
    model = EXAMPLE / "model.score"
    args = ["--contact", "c0007", "--as-of", "2026-11-01", "--format", "json"]
    from_db = invoke("explain", model, "--source", db.spec, *args)
    from_csv = invoke("explain", model, "--source", f"csv:{EXAMPLE / 'data'}", *args)
    assert from_db.exit_code == 0, from_db.output
    assert from_db.output == from_csv.output
