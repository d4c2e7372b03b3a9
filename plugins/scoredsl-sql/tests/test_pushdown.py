"""``--engine pushdown``: the model's SQL runs inside PostgreSQL or MariaDB, and its output is
byte-identical to ``--engine python`` on the same source; a value the Python reader rejects
makes it read through Python instead, with the same error."""

from __future__ import annotations

import datetime as dt
import decimal
import pathlib
import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.dialects import mysql, postgresql

import scoredsl.engines.pushdown as pushdown_engine
from scoredsl.cli.main import cli
from scoredsl.compiler.pipeline import compile_file
from scoredsl.plugins import manager as plugins

from sqltest import REPO, backend_params, load_example

SERVERS = backend_params(["postgresql", "mariadb"])
EXAMPLES = REPO / "examples"
UTC = dt.timezone.utc


def spec_of(db, **options) -> str:
    """``db``'s spec with ``options``; without TLS on MariaDB (PyMySQL builds a TLS context,
    some 50 ms, for every connection, and pushdown tests open many)."""
    if db.kind == "mariadb":
        options["connect.ssl_disabled"] = "1"
    return db.with_options(**options)


def run(tmp_path: pathlib.Path, model, spec: str, engine: str, *more: str):
    """``scoredsl run`` into a CSV file: (exit code, the file's bytes or None, stderr)."""
    out = tmp_path / f"out-{engine}.csv"
    if out.exists():
        out.unlink()
    result = CliRunner().invoke(cli, ["run", str(model), "--source", spec, "--as-of", "2026-11-01",
                                      "--engine", engine, "--sink", f"csv:{out}", *more],
                                catch_exceptions=False)
    return result.exit_code, (out.read_bytes() if out.exists() else None), result.stderr


def summary(stderr: str) -> list[str]:
    """The summary without the lines that differ between engines (time, engine name, how the
    Python engine held the events)."""
    return [line for line in stderr.splitlines()
            if "contacts/s" not in line and not line.startswith(("  engine:", "events: "))]


def same_as_python(tmp_path, model, spec, *more) -> tuple[bytes, str]:
    """Runs both engines; asserts the same output and summary; the output and pushdown's stderr."""
    code, expected, stderr = run(tmp_path, model, spec, "python", *more)
    assert code == 0, stderr
    code, got, pushed = run(tmp_path, model, spec, "pushdown", *more)
    assert code == 0, pushed
    assert "engine: pushdown" in pushed
    assert got == expected
    if "skip" in more:
        # Read through Python into DuckDB (sqlengine.load_rows), contacts come before events,
        # so skipped rows are listed in another order than the Python engine's.
        assert sorted(summary(pushed)) == sorted(summary(stderr))
    else:
        assert summary(pushed) == summary(stderr)
    return got, pushed


# ================================================================== the examples

@pytest.mark.parametrize("db", SERVERS, indirect=True)
def test_the_examples_give_byte_identical_results(db, tmp_path, fallbacks):
    for name, contacts, events, limit in (("b2b_saas", "contacts", "events", 150),
                                          ("product_lines", "pl_contacts", "pl_events", None)):
        program = compile_file(str(EXAMPLES / name / "model.score"))
        with plugins.open_source(f"csv:{EXAMPLES / name / 'data'}", program.schema) as source:
            people = list(source.contacts(program.schema))[:limit]
            ids = {c["id"] for c in people}
            activity = [{"contact_id": e.contact_id, "type": e.type, "timestamp": e.timestamp, **e.attrs}
                        for e in source.events(program.schema) if e.contact_id in ids or limit is None]
        plugins.reset()
        load_example(db, program.schema, (people, activity), contacts=contacts, events=events)
        spec = spec_of(db, contacts=contacts, events=events)
        output, _ = same_as_python(tmp_path, EXAMPLES / name / "model.score", spec)
        assert output.count(b"\n") == len(people) * len(program.models) + 1
    assert fallbacks == []          # both ran inside the database


# ================================================================== every type, tricky values

STRESS = r'''
schema {
  contact {
    email: text, name: text, title: text, employees: int, revenue: number, ratio: number
    opt_out: bool, created: date, last_seen: datetime, tags: list[text]
  }
  event visit { url: text, seconds: int }
  event signup { plan: text }
  event buy { amount: number }
}
model stress {
  disqualify opted_out: opt_out
  score fit {
    rule size: employees { < 10 => -5; 10..99 => +3; >= 100 => +10 }
    rule rich: revenue >= 1000000.5 => +5
    rule ratio: ratio > 1.1 => +1
    rule vip: tags contains "vip" => +7
    rule vip_exact: tags contains "VIP" case_sensitive => +1
    rule early: created < 2024-01-01 => +3
    rule seen: last_seen >= 2026-10-01T00:00:00Z => +4
    rule recent: age(last_seen) < 30d => +2
    rule corporate: email ends_with "@corp.example" => +2
    rule corporate_exact: email ends_with "@Corp.example" case_sensitive => +1
    rule named: name == "émile" => +11
    rule named_list: name in ["zoë", "straße", "ab"] => +13
    rule named_exact: name == "Émile" case_sensitive => +17
    rule prefix: title starts_with "vp" => +19
    rule chief: title contains "chief" => +23
    rule leader: title matches /\b(head|director)\b/ => +29
    rule early_name: name < "m" => +31
    rule no_title: title is missing => +37
  }
  score engagement max 100 {
    decay half_life 30d
    rule visits: each visit within 90d => +3 max 30
    rule long_visits: each visit where seconds > 60 => +5 max 20
    rule pricing: each visit where url starts_with "/pricing" => +7 once
    rule buys: each buy where amount >= 99.99 => +15 max 30
  }
  score loyalty {
    decay inactivity { 30d => 50%, 90d => 25% } activity [visit, signup]
    rule pro: has(signup where plan == "pro") => +25
    rule veteran: age(first(visit)) > 60d => +10
    rule many: count(visit) { 1..3 => +3; >= 4 => +8 }
  }
  tier level by fit + engagement { hot: >= 60; warm: >= 20; cold: otherwise }
  tier kind { named: name is set and fit > 10; other: otherwise }
}
let plans = ["pro", "team"]
model extra {
  scope employees is set or name is set
  score mix {
    rule arith: employees * 2 + revenue > 200 => +1
    rule neg: -ratio < -1 => +2
    rule cmp_num: ratio == 0.3 => +4
    rule opt_in: not opt_out => +8
    rule either: title contains "data" or name starts_with "a" => +16
    rule words: name { "ab" => +32; ["zoë", "émile"] => +64; otherwise => +128 }
    rule ranged: ratio { < 1 => +256; 1..<1.15 => +512; >= 1.15 => +1024 }
    rule tag_name: tags contains name => +2048
    rule first_last: first(visit) < last(visit) => +4096
    rule recent_buy: has(buy within 12h) => +8192
    rule plans_: count(signup where plan in plans) >= 1 => +16384
    rule seen_before: last_seen < created => +32768
    rule nothing: count(buy where amount > revenue) == 0 => +65536
  }
  tier t by mix { none: == 0; some: otherwise }
}
model weighted {
  score interest {
    decay half_life 30d
    group pages share 40% max 12 {
      rule pages: each visit distinct url => +4
      rule long: count(visit distinct seconds where seconds > 0) >= 2 => +3
    }
    group plans share 35% max 7 {
      rule plans: count(signup distinct plan) { 1 => +3; >= 2 => +7 }
      rule spelled: count(signup distinct plan case_sensitive) >= 3 => +2
    }
    group buys share 25% max 30 { rule buys: each buy distinct amount within 60d => +10 max 30 }
  }
  tier t by interest { high: >= 50; some: >= 1; none: otherwise }
}
'''

STRESS_MODELS = STRESS.count("\nmodel ")


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def contact(cid, **values):
    row = dict.fromkeys(["email", "name", "title", "employees", "revenue", "ratio", "opt_out",
                         "created", "last_seen", "tags"])
    row.update(values, id=cid)
    return row


# Trailing spaces that MariaDB's PAD SPACE collations ignore, case and accents that its _ci
# collations fold, Unicode white space, a list item holding the unit separator, a real (float4)
# whose float8 value is not what the driver reads, instants before 1970 and with fractions.
CONTACTS = [
    contact("a1", email="X@Corp.example", name="Émile", title="VP Sales", employees=150,
            revenue=decimal.Decimal("1000000.5"), ratio=1.1, opt_out=False, created=dt.date(2023, 12, 31),
            last_seen=when("2026-10-15T10:00:00.123456+02:00"), tags="VIP; beta ;;"),
    contact("a2 ", email="y@corp.example ", name="émile ", title="Head of Data", employees=9,
            revenue=decimal.Decimal("1000000.4999"), ratio=1.2, tags="  "),
    contact("b1", name="ZOË", title="\u00a0\u3000", ratio=0.3, opt_out=False,
            created=dt.date(1969, 7, 20), last_seen=when("1969-07-20T20:17:40Z"), tags="vip\x1fx ;\u2003vip"),
    contact("b2", name="Straße", title="chief data officer", employees=10, opt_out=True, tags="a;b"),
    contact("c1", name="ab", title="Directorate", employees=99, tags=";;"),
    contact("c2", name="ab\u2003", title="the director", employees=100, revenue=decimal.Decimal("1e6"),
            last_seen=when("2026-11-01T00:00:00Z"), tags="émile;VIP"),
    contact("c3", name="A", title="", email="", last_seen=when("2026-11-01T00:00:00.000001Z")),
    # a MariaDB accent-insensitive collation would find "chief" and the list item "vip" here
    contact("c4", name="vïp", title="the chïef", tags="vip2;Vïp", employees=5),
]


def event(cid, kind, at, **values):
    row = {"contact_id": cid, "type": kind, "timestamp": when(at), "url": None, "seconds": None,
           "plan": None, "amount": None}
    row.update(values)
    return row


EVENTS = [
    event("a1", "visit", "2026-10-30T12:00:00.5Z", url="/Pricing/Team", seconds=61),
    event("a1", "visit", "2026-08-03T00:00:00Z", url="/blog", seconds=60),      # 90 days: inside
    event("a1", "visit", "2026-08-02T23:59:59.999999Z", url="/pricing"),         # outside
    event("a1", " signup ", "2026-06-01T00:00:00Z", plan="PRO"),
    event("a1", "buy", "2026-10-01T00:00:00Z", amount=99.99),
    event("a1", "buy", "2026-10-02T00:00:00Z", amount=99.98999999999999),
    event("a2", "visit", "2026-09-01T00:00:00+05:30", seconds=3600),
    event("a2", "visit", "2026-11-02T00:00:00Z", url="/pricing"),                 # after as_of
    event("b1", "visit", "1970-01-01T00:00:00Z"),
    event("b1", "signup", "2026-10-31T23:00:00-01:00", plan="pro "),
    event("c2", "email_open", "2026-10-01T00:00:00Z"),                           # undeclared: ignored
    event("c1", "\u3000visit\u00a0", "2026-10-02T00:00:00Z", url="/pricing"),     # Unicode white space: a visit
    event("c1", "Visit", "2026-10-03T00:00:00Z", url="/pricing"),                # another case: undeclared
    event("zz", "visit", "2026-10-01T00:00:00Z"),                                # no such contact
    event("c3", "buy", "2026-10-20T00:00:00Z", amount=1e300),
    # distinct values that case folding, accent folding or PAD SPACE would merge: 4 urls, 1 plan
    # folded but 3 exactly, 2 amounts
    event("c4", "visit", "2026-10-20T00:00:00Z", url="/VIP", seconds=5),
    event("c4", "visit", "2026-10-21T00:00:00Z", url="/vip", seconds=5),
    event("c4", "visit", "2026-10-22T00:00:00Z", url="/vïp", seconds=6),
    event("c4", "visit", "2026-10-23T00:00:00Z", url="/vip ", seconds=7),
    event("c4", "visit", "2026-10-24T00:00:00Z", url="/Straße"),
    event("c4", "visit", "2026-10-25T00:00:00Z", url="/STRASSE"),
    event("c4", "signup", "2026-10-01T00:00:00Z", plan="Team"),
    event("c4", "signup", "2026-10-02T00:00:00Z", plan="TEAM"),
    event("c4", "signup", "2026-10-03T00:00:00Z", plan="team"),
    event("c4", "buy", "2026-10-04T00:00:00Z", amount=10.0),
    event("c4", "buy", "2026-10-05T00:00:00Z", amount=10),
    event("c4", "buy", "2026-10-06T00:00:00Z", amount=10.5),
]


def stress_tables(db, contacts=CONTACTS, events=EVENTS, *, arrays=False, naive=False):
    """The stress tables with each database's own types (real/FLOAT, numeric, timestamptz)."""
    stamp = sa.DateTime(timezone=not naive).with_variant(mysql.DATETIME(fsp=6), "mysql")
    real = sa.REAL().with_variant(mysql.FLOAT(), "mysql")
    tags = postgresql.ARRAY(sa.Text()) if arrays else sa.Text()
    db.load("contacts", [("id", sa.String(64)), ("email", sa.Text()), ("name", sa.Text()),
                         ("title", sa.Text()), ("employees", sa.Integer()), ("revenue", sa.Numeric(30, 6)),
                         ("ratio", real), ("opt_out", sa.Boolean()), ("created", sa.Date()),
                         ("last_seen", stamp), ("tags", tags)],
            [{**c, "last_seen": c["last_seen"].replace(tzinfo=None) if naive and c["last_seen"] else
              c["last_seen"], "tags": _array(c["tags"]) if arrays else c["tags"]} for c in contacts])
    db.load("events", [("contact_id", sa.String(64)), ("type", sa.String(64)), ("timestamp", stamp),
                       ("url", sa.Text()), ("seconds", sa.Integer()), ("plan", sa.Text()),
                       ("amount", sa.Double())], events)


def _array(text):
    return None if text is None else [item for item in text.split(";") if item.strip()]


@pytest.fixture
def stress_model(tmp_path):
    path = tmp_path / "stress.score"
    path.write_text(STRESS, encoding="utf-8")
    return path


@pytest.mark.parametrize("db", SERVERS, indirect=True)
def test_every_type_and_tricky_values_give_byte_identical_results(db, tmp_path, stress_model, fallbacks,
                                                                  monkeypatch):
    from scoredsl_sql import canonical

    cursors = []
    fetch = canonical._Fetch.__init__

    def record(self, result, session):
        cursors.append(type(result.cursor).__name__)
        fetch(self, result, session)

    monkeypatch.setattr(canonical._Fetch, "__init__", record)
    stress_tables(db)
    output = same_as_python(tmp_path, stress_model, spec_of(db))[0].decode()
    assert fallbacks == []
    assert output.splitlines()[1].startswith("a1,stress,scored,,")
    assert "c1,stress,scored" in output and "a2,stress,scored" in output
    # pages: five urls once folded (/vip, /vïp, "/vip ", /straße, /strasse), 16.2 decayed points
    # of 12 -> 40; plans: one plan folded (+3), three exactly (+2): 5 of 7 -> 25; buys: two
    # amounts (10.0 = 10), 10.72 decayed points of 30 -> 8.93; 73.93 -> 74
    assert "c4,weighted,scored,,,,,,74,,,high," in output
    # the results came from server-side cursors (streamed, not fetched at once): on MariaDB one
    # per model; PostgreSQL streams every CSV line from one, then counts each model's kinds of rows
    if db.kind == "postgresql":
        assert cursors == ["ServerCursor"] * (1 + STRESS_MODELS)
    else:
        assert cursors == ["SSCursor"] * STRESS_MODELS


@pytest.mark.parametrize("db", backend_params(["postgresql"]), indirect=True)
def test_postgresql_writes_the_csv_lines_itself(db, tmp_path, stress_model, fallbacks, monkeypatch):
    """Into a CSV sink, PostgreSQL formats every result row as its line: the bytes and the
    summary of the rows written one by one, and no result row becomes a Python object. Into
    JSON Lines, or with a state store, the rows come one by one, as before."""
    from scoredsl.engines.results import Output

    # ids that CSV must quote: a comma, double quotes, a line feed, a carriage return
    odd = {"a1": "p,1", "c1": 'p"1"', "c4": "p\n4", "b1": "é€ p\r1"}
    assert set(odd) <= {c["id"] for c in CONTACTS}
    stress_tables(db, [{**c, "id": odd.get(c["id"], c["id"])} for c in CONTACTS],
                  [{**e, "contact_id": odd.get(e["contact_id"], e["contact_id"])} for e in EVENTS])
    spec = spec_of(db)
    code, expected, python = run(tmp_path, stress_model, spec, "python")
    assert code == 0, python
    for cell in (b'"p,1"', b'"p""1"""', b'"p\n4"', '"é€ p\r1"'.encode()):
        assert cell in expected

    def no_rows(self, row):
        raise AssertionError("a result row went through Python")

    with monkeypatch.context() as patch:
        patch.setattr(Output, "write", no_rows)
        code, got, pushed = run(tmp_path, stress_model, spec, "pushdown")
    assert code == 0, pushed
    assert got == expected
    assert summary(pushed) == summary(python)
    # a sink that takes no CSV text gets the rows one by one, the same values
    code, jsonl, _ = run(tmp_path, stress_model, spec, "python", "--sink", f"jsonl:{tmp_path / 'p.jsonl'}")
    code2, _, pushed = run(tmp_path, stress_model, spec, "pushdown", "--sink", f"jsonl:{tmp_path / 'd.jsonl'}")
    assert (code, code2) == (0, 0), pushed
    assert (tmp_path / "d.jsonl").read_bytes() == (tmp_path / "p.jsonl").read_bytes()
    assert fallbacks == []


@pytest.mark.parametrize("db", backend_params(["postgresql"]), indirect=True)
def test_postgresql_arrays_naive_timestamps_and_any_session_time_zone(db, tmp_path, stress_model, fallbacks):
    stress_tables(db, arrays=True, naive=True)
    spec = spec_of(db, **{"connect.options": "-c TimeZone=America/St_Johns"})
    same_as_python(tmp_path, stress_model, spec)
    assert fallbacks == []


@pytest.mark.parametrize("db", backend_params(["postgresql"]), indirect=True)
def test_a_postgresql_contacts_query_keeps_its_order(db, tmp_path, stress_model, fallbacks):
    stress_tables(db)
    query = "SELECT * FROM contacts WHERE id <> 'c3' ORDER BY name DESC, id"
    output, _ = same_as_python(tmp_path, stress_model, spec_of(db, contacts=query))
    ids = [line.split(",")[0] for line in output.decode().splitlines()[1:] if line.split(",")[1] == "stress"]
    assert ids == [row[0].strip() for row in db.query(query)]
    assert fallbacks == []


@pytest.mark.parametrize("db", SERVERS, indirect=True)
def test_sorted_by_contact_id_keeps_the_sources_order_and_its_order_check(db, tmp_path, stress_model,
                                                                          fallbacks):
    """sorted=contact_id: contacts in code-point order of the id (a query too, even on MariaDB);
    an id that sorts apart once stripped stops both engines alike."""
    stress_tables(db, CONTACTS + [contact("B0", name="upper")])
    query = "SELECT * FROM contacts WHERE id <> 'c1'"
    output, _ = same_as_python(tmp_path, stress_model, spec_of(db, sorted="contact_id", contacts=query))
    ids = [line.split(",")[0] for line in output.decode().splitlines()[1:] if line.split(",")[1] == "stress"]
    assert ids == sorted(c["id"].strip() for c in CONTACTS + [contact("B0")] if c["id"] != "c1")
    assert fallbacks == []
    db.execute("INSERT INTO contacts (id, name) VALUES ('\tz0', 'tab')")
    results = failures(tmp_path, stress_model, spec_of(db, sorted="contact_id"))
    assert results["pushdown"] == results["python"]
    assert "contact id 'B0' comes after 'z0'" in results["python"][0]
    assert len(fallbacks) == 1


# ================================================================== reading through Python

def bad_tables(db, events=EVENTS):
    """The stress tables with a bad value and a contact without id."""
    if db.kind == "postgresql":     # NaN in a real column: not a finite number
        bad = {**CONTACTS[2], "id": "b3", "ratio": float("nan")}
    else:                           # 2 in a MariaDB BOOLEAN (TINYINT(1)), set below
        bad = {**CONTACTS[2], "id": "b3"}
    stress_tables(db, CONTACTS + [bad, contact("  ")], events)
    if db.kind == "mariadb":
        db.execute("UPDATE contacts SET opt_out = 2 WHERE id = 'b3'")


def failures(tmp_path, model, spec) -> dict[str, list[str]]:
    """What each engine says when it stops at bad data."""
    results = {}
    for engine in ("python", "pushdown"):
        code, output, stderr = run(tmp_path, model, spec, engine)
        assert code == 1 and output is None
        results[engine] = [line for line in summary(stderr) if line.startswith(("scoredsl:", "  "))]
    return results


@pytest.mark.parametrize("db", SERVERS, indirect=True)
def test_a_bad_value_gives_the_python_engines_error_and_skips_alike(db, tmp_path, stress_model, fallbacks):
    bad_tables(db)
    results = failures(tmp_path, stress_model, spec_of(db))
    assert results["pushdown"] == results["python"]
    assert "column 'id': missing contact id" in results["python"][0]
    assert len(fallbacks) == 1
    skipped, stderr = same_as_python(tmp_path, stress_model, spec_of(db), "--on-error", "skip")
    message = ("column 'ratio': number nan is not a finite number" if db.kind == "postgresql" else
               "column 'opt_out': number 2 is not a bool")
    assert "2 rows skipped" in stderr and message in stderr, stderr
    assert skipped.count(b"\n") == STRESS_MODELS * len(CONTACTS) + 1


@pytest.mark.parametrize("db", backend_params(["postgresql"]), indirect=True)
def test_bad_contacts_and_bad_events_stop_at_the_python_engines_row(db, tmp_path, stress_model):
    bad_tables(db, EVENTS + [event("a1", "buy", "2026-10-01T00:00:00Z")])
    db.execute("UPDATE events SET timestamp = NULL WHERE type = 'buy' AND contact_id = 'a1' AND amount IS NULL")
    results = failures(tmp_path, stress_model, spec_of(db))
    assert results["pushdown"] == results["python"]


# What the Python reader rejects, and what SQL could not convert exactly: each must send the run
# through Python: (statement on a copy of the stress tables, does the Python reader reject it?,
# must the run read through Python?).
FALLBACK_CASES = {
    "postgresql": [
        ("UPDATE {c} SET ratio = 'Infinity' WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET revenue = 'NaN' WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET created = '0044-03-15 BC' WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET created = 'infinity' WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET last_seen = '-infinity' WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET id = NULL WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET id = ' a1' WHERE id = 'c1'", True, True),                  # a duplicate once stripped
        ("UPDATE {e} SET type = ' ' WHERE contact_id = 'zz'", True, True),
        ("UPDATE {e} SET contact_id = '\u3000' WHERE type = 'buy'", True, True),
        ("UPDATE {e} SET contact_id = NULL WHERE type = 'email_open'", False, False),  # an ignored event
        ("UPDATE {c} SET name = 'ΟΔΟΣ İ' WHERE id = 'c1'", False, False),            # folded alike
    ],
    "mariadb": [
        ("UPDATE {c} SET opt_out = 2 WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET created = '0000-00-00' WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET created = '2024-02-00' WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET last_seen = '2024-00-10 00:00:00' WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET id = '' WHERE id = 'c1'", True, True),
        ("UPDATE {c} SET id = 'a1\u00a0' WHERE id = 'c1'", True, True),              # a duplicate once stripped
        ("ALTER TABLE {c} MODIFY email VARBINARY(100)", True, True),                 # bytes are not text
        ("UPDATE {e} SET timestamp = NULL WHERE type = 'buy'", True, True),
        ("UPDATE {e} SET type = NULL WHERE contact_id = 'zz'", True, True),
        ("UPDATE {e} SET contact_id = '' WHERE type = 'email_open'", False, False),  # an ignored event
        ("UPDATE {c} SET id = 'A1' WHERE id = 'c1'", False, True),                   # ties with a1 in id order
        ("ALTER TABLE {c} MODIFY id TEXT; UPDATE {c} SET id = REPEAT('x', 201) WHERE id = 'c1'",
         False, True),                                                              # longer than a key
        ("UPDATE {c} SET title = 'ΟΔΟΣ İ' WHERE id = 'c1'", False, False),
    ],
}


@pytest.mark.parametrize("db", SERVERS, indirect=True)
def test_the_check_finds_what_python_rejects_or_sql_cannot_convert(db, tmp_path, stress_model):
    from scoredsl.data.records import DataError
    from scoredsl.engines.pushdown import at_risk
    from scoredsl_sql.database import DatabaseError

    schema = compile_file(str(stress_model)).schema
    stress_tables(db)

    def check(spec):
        with plugins.open_source(spec, schema) as source:
            try:
                list(source.events(schema))
                list(source.contacts(schema))
                rejected = False
            except (DataError, DatabaseError):
                rejected = True
            plan = source.pushdown(schema)
            assert plan.fallback is None
            session = plan.session()
            try:
                problems = session.one(plan.validation(at_risk(plan, session)))[0]
            finally:
                session.close()
        return rejected, problems

    assert check(spec_of(db)) == (False, 0)
    for number, (statement, rejected, flagged) in enumerate(FALLBACK_CASES[db.kind]):
        c, e = f"contacts_{number}", f"events_{number}"
        db.execute(f"CREATE TABLE {c} AS SELECT * FROM contacts", f"CREATE TABLE {e} AS SELECT * FROM events",
                   *statement.format(c=c, e=e).split("; "))
        found = check(spec_of(db, contacts=c, events=e))
        assert found == (rejected, found[1]) and (found[1] > 0) == flagged, (statement, found)


@pytest.mark.parametrize("db", SERVERS, indirect=True)
def test_text_the_database_would_fold_otherwise_is_scored_by_python(db, tmp_path, stress_model, fallbacks,
                                                                    monkeypatch):
    """Both databases fold case as Python does; where one would not (an older Unicode table),
    text holding such a character sends the run through Python."""
    from scoredsl.engines.pushdown import at_risk

    stress_tables(db, CONTACTS + [contact("s1", name="ΟΔΟΣ", title="İSTANBUL")])
    with plugins.open_source(spec_of(db), compile_file(str(stress_model)).schema) as source:
        plan = source.pushdown(compile_file(str(stress_model)).schema)
        session = plan.session()
        try:
            assert at_risk(plan, session) == []
        finally:
            session.close()
    same_as_python(tmp_path, stress_model, spec_of(db))
    assert fallbacks == []
    monkeypatch.setattr(pushdown_engine, "at_risk", lambda plan, session: [(0xC9, 0xC9)])     # É
    same_as_python(tmp_path, stress_model, spec_of(db))
    assert len(fallbacks) == 1


def test_case_mismatches_are_the_characters_folded_otherwise():
    from scoredsl.engines.pushdown import case_mismatches
    from scoredsl.check.types import fold_case

    assert case_mismatches(lambda text: "\n".join(fold_case(c) for c in text.split("\n"))) == []
    ascii_only = case_mismatches(lambda text: text.encode().lower().decode())        # a C ctype
    assert any(lo <= 0xC9 <= hi for lo, hi in ascii_only) and all(lo >= 0x80 for lo, _hi in ascii_only)
    assert case_mismatches(lambda text: text.lower()) == [(0x130, 0x130)]          # str.lower: İ is i + dot


# ================================================================== refusals

@pytest.mark.parametrize("db", backend_params(["sqlite", "mariadb"]), indirect=True)
def test_what_pushdown_cannot_run_is_refused_before_anything_is_written(db, tmp_path, stress_model):
    stress_tables(db)
    spec = spec_of(db) if db.kind == "sqlite" else spec_of(db, contacts="SELECT * FROM contacts")
    code, output, stderr = run(tmp_path, stress_model, spec, "pushdown")
    assert code == 2 and output is None
    assert "(nothing was written)" in stderr
    expected = "pushdown runs on PostgreSQL and MariaDB" if db.kind == "sqlite" else \
        "cannot keep the row order of a contacts query"
    assert expected in re.sub(r"\s+", " ", stderr)
