"""Fixtures and helpers: one real, empty database per test, on each of the four backends.

``db`` is parametrised over SQLite and DuckDB (files in ``tmp_path``), PostgreSQL
(``127.0.0.1:5432``, user ``postgres``, trust auth) and MariaDB (``127.0.0.1:3306``, user
``root``, no password). For the servers, each test creates its own database and drops it
afterwards. A server that cannot be reached makes its tests skip, unless
``SCOREDSL_REQUIRE_SERVICES=1`` is set: then they fail, so CI cannot pass by skipping.
``SCOREDSL_TEST_POSTGRES`` and ``SCOREDSL_TEST_MARIADB`` (SQLAlchemy URLs of an
administrative connection) point the tests at other servers.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import uuid
from typing import Any, Iterable
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from scoredsl.compiler.pipeline import compile_file
from scoredsl.data.records import DataSchema, TypeSpec, to_micros
from scoredsl.data.sinks import ModelInfo, RunInfo, Sink, record
from scoredsl.engines.base import RunOptions
from scoredsl.engines.frame import run
from scoredsl.engines.python import PythonEngine
from scoredsl.plugins import manager as plugins

UTC = dt.timezone.utc
AS_OF = dt.datetime(2026, 11, 1, tzinfo=UTC)
REPO = pathlib.Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "b2b_saas"
REQUIRE_SERVICES = os.environ.get("SCOREDSL_REQUIRE_SERVICES") == "1"
SERVERS = {
    "postgresql": os.environ.get("SCOREDSL_TEST_POSTGRES",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mariadb": os.environ.get("SCOREDSL_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/"),
}
RAW = {"no_parameters": True}      # SQL with % signs
BACKENDS = ["sqlite", "duckdb", "postgresql", "mariadb"]
_reachable: dict[str, str | None] = {}


def backend_params(names: Iterable[str] = BACKENDS) -> list:
    """``pytest.param`` per backend, the servers marked ``services``."""
    return [pytest.param(name, marks=pytest.mark.services) if name in SERVERS else name
            for name in names]


def unavailable(reason: str) -> None:
    """Skip, or fail when the services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (SCOREDSL_REQUIRE_SERVICES=1: the database servers are required)")
    pytest.skip(reason)


def _admin(kind: str) -> sa.engine.Engine:
    url = sa.engine.make_url(SERVERS[kind])
    engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                              connect_args={"connect_timeout": 5})
    if kind not in _reachable:
        try:
            with engine.connect():
                pass
            _reachable[kind] = None
        except sa.exc.SQLAlchemyError as exc:
            _reachable[kind] = f"{kind} at {url.render_as_string()} is unreachable: {str(exc.orig).strip()}"
    if _reachable[kind]:
        engine.dispose()
        unavailable(_reachable[kind])
    return engine


class TestDatabase:
    """One empty database: its spec for scoredsl, and an engine for the test's own SQL."""

    __test__ = False

    def __init__(self, kind: str, spec: str, url: sa.engine.URL):
        self.kind = kind
        self.spec = spec                      # without options
        self.url = url
        self.engine = sa.create_engine(url, poolclass=NullPool)
        if kind == "mariadb":
            @sa.event.listens_for(self.engine, "connect")
            def _utc(dbapi_connection, record):
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SET time_zone = '+00:00'")

    def with_options(self, **options: Any) -> str:
        """The spec with options, URL-encoded as a user would write them."""
        return f"{self.spec}?{urlencode(options)}" if options else self.spec

    def execute(self, *statements: str) -> None:
        with self.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement, execution_options=RAW)

    def query(self, sql: str) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(sql, execution_options=RAW)]

    def table(self, name: str) -> list[dict]:
        """Every row of ``name`` as dicts, ordered by contact and model (or as stored)."""
        with self.engine.connect() as conn:
            result = conn.exec_driver_sql(f"SELECT * FROM {name}", execution_options=RAW)
            rows = [dict(row._mapping) for row in result]
        return sorted(rows, key=lambda r: tuple(str(r.get(k)) for k in ("contact_id", "model", "scored_at")))

    def has_table(self, name: str) -> bool:
        with self.engine.connect() as conn:
            if self.kind == "duckdb":
                return bool(conn.exec_driver_sql(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", (name,)).scalar())
            return sa.inspect(conn).has_table(name)

    def load(self, name: str, columns: list[tuple[str, sa.types.TypeEngine]], rows: list[dict],
             *, primary_key: str | None = None) -> None:
        """Create table ``name`` with SQLAlchemy types and insert ``rows`` (dicts)."""
        metadata = sa.MetaData()
        table = sa.Table(name, metadata, *[sa.Column(n, t, primary_key=(n == primary_key))
                                            for n, t in columns])
        metadata.create_all(self.engine)
        if rows:
            with self.engine.begin() as conn:
                conn.execute(table.insert(), rows)

    def dispose(self) -> None:
        self.engine.dispose()


def make_database(kind: str, tmp_path: pathlib.Path):
    """A generator: yields a :class:`TestDatabase`, then drops it."""
    if kind == "sqlite":
        path = tmp_path / "test.db"
        db = TestDatabase(kind, f"sqlite:{path}", sa.engine.URL.create("sqlite", database=str(path)))
        yield db
        db.dispose()
        return
    if kind == "duckdb":
        path = tmp_path / "test.duckdb"
        db = TestDatabase(kind, f"duckdb:{path}", sa.engine.URL.create("duckdb", database=str(path)))
        yield db
        db.dispose()
        return
    admin = _admin(kind)
    name = f"scoredsl_t_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = admin.url.set(database=name)
    scheme = "postgresql" if kind == "postgresql" else "mariadb"
    hostport = f"{url.host}:{url.port or (5432 if kind == 'postgresql' else 3306)}"
    user = url.username + (f":{url.password}" if url.password else "")
    db = TestDatabase(kind, f"{scheme}://{user}@{hostport}/{name}", url)
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            else:  # end what a failed test left open (a killed run's session, a stream)
                for (session,) in conn.exec_driver_sql(
                        "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> "
                        "connection_id()", (name,)).fetchall():
                    try:
                        conn.exec_driver_sql(f"KILL {int(session)}")
                    except sa.exc.DBAPIError:
                        pass                      # it ended meanwhile
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


@pytest.fixture(params=backend_params())
def db(request, tmp_path):
    """An empty database on each backend in turn."""
    yield from make_database(request.param, tmp_path)


@pytest.fixture(autouse=True)
def _fresh_plugins():
    plugins.reset()
    yield
    plugins.reset()


# ------------------------------------------------------------------ the example data

def sa_type(spec: TypeSpec) -> sa.types.TypeEngine:
    if spec.is_list:
        return sa.Text()
    return {"text": sa.Text(), "int": sa.Integer(), "number": sa.Double(), "bool": sa.Boolean(),
            "date": sa.Date(), "datetime": sa.DateTime(timezone=True)}[spec.base]


@pytest.fixture(scope="session")
def program():
    if not (EXAMPLE / "model.score").is_file():
        pytest.skip(f"the example model is not there: {EXAMPLE} (run the tests from the repository)")
    return compile_file(str(EXAMPLE / "model.score"))


@pytest.fixture(scope="session")
def example_records(program):
    """The example's contacts (typed dicts) and events (dicts of columns), read with the CSV source."""
    schema = program.schema
    with plugins.open_source(f"csv:{EXAMPLE / 'data'}", schema) as source:
        contacts = list(source.contacts(schema))
        events = []
        for event in source.events(schema):
            item = {"contact_id": event.contact_id, "type": event.type, "timestamp": event.timestamp}
            item.update(event.attrs)
            events.append(item)
    plugins.reset()
    return contacts, events


def attribute_columns(schema: DataSchema) -> dict[str, TypeSpec]:
    seen: dict[str, TypeSpec] = {}
    for declared in schema.events.values():
        for name, spec in declared.items():
            seen.setdefault(name, spec)
    return seen


def load_example(db: TestDatabase, schema: DataSchema, records, *, contacts: str = "contacts",
                 events: str = "events", rename: dict[str, str] | None = None,
                 limit: int | None = None) -> None:
    """The example data in two tables of ``db``; ``rename`` maps schema names to column names."""
    rename = rename or {}
    people, activity = records
    if limit is not None:
        people = people[:limit]
        keep = {c["id"] for c in people}
        activity = [e for e in activity if e["contact_id"] in keep]
    col = lambda name: rename.get(name, name)  # noqa: E731
    contact_columns = [(col("id"), sa.String(64))] + [
        (col(name), sa_type(spec)) for name, spec in schema.contact.items() if name != "id"]
    db.load(contacts, contact_columns, [{col(k): _db_value(v) for k, v in c.items()} for c in people])
    event_columns = [(col("contact_id"), sa.String(64)), (col("type"), sa.String(64)),
                     (col("timestamp"), sa.DateTime(timezone=True))]
    event_columns += [(col(name), sa_type(spec)) for name, spec in attribute_columns(schema).items()]
    names = [name for name, _ in event_columns]
    db.load(events, event_columns,
            [{name: _db_value(e.get(_unrename(name, rename))) for name in names} for e in activity])


def _unrename(column: str, rename: dict[str, str]) -> str:
    for name, renamed in rename.items():
        if renamed == column:
            return name
    return column


def _db_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return ";".join(value)
    return value


# ------------------------------------------------------------------ running models

class Collect(Sink):
    """Keeps the records of a run in memory (a sink for comparing runs)."""

    def open(self, run_info: RunInfo) -> None:
        self.run, self.rows, self.committed, self.aborted = run_info, [], False, False

    def write(self, row) -> None:
        self.rows.append(record(row, self.run))

    def commit(self) -> None:
        self.committed = True

    def abort(self) -> None:
        self.aborted = True


def run_info(program, as_of: dt.datetime = AS_OF) -> RunInfo:
    return RunInfo(as_of=as_of, models=[ModelInfo(name=m.name, scores=m.score_names, tiers=m.tier_names,
                                                  version=m.version) for m in program.models.values()])


class Tee(Collect):
    """Keeps the records and hands every call on to another sink."""

    def __init__(self, sink: Sink):
        self.sink = sink

    def open(self, run_info: RunInfo) -> None:
        self.sink.open(run_info)
        super().open(run_info)

    def write(self, row) -> None:
        self.sink.write(row)
        super().write(row)

    def commit(self) -> None:
        self.sink.commit()
        super().commit()

    def abort(self) -> None:
        self.sink.abort()
        super().abort()


def score(program, source_spec: str, sink: Sink | None = None, *, on_error: str = "fail", source=None,
          as_of: dt.datetime = AS_OF):
    """Run every model of ``program`` over a source into ``sink`` (and memory).

    Returns the records the run wrote, sorted by contact and model; the summary; the sink.
    """
    sink = Tee(sink) if sink is not None else Collect()
    source = source if source is not None else plugins.open_source(source_spec, program.schema)
    try:
        summary = run(PythonEngine(), list(program.models.values()), source, sink, as_of,
                      RunOptions(on_error=on_error))
    finally:
        source.close()
    rows = sorted(sink.rows, key=lambda r: (r["contact_id"], r["model"]))
    return rows, summary, getattr(sink, "sink", sink)


# ------------------------------------------------------------------ a small model of every type

TYPED_MODEL = '''
schema {
  contact {
    email: text, employees: int, revenue: number, opt_out: bool
    created: date, last_seen: datetime, tags: list[text]
  }
  event visit { url: text, seconds: int }
  event signup
}
model typed {
  disqualify opted_out: opt_out
  score fit {
    rule big: employees >= 100 => +10
    rule rich: revenue >= 1000000 => +5
    rule vip: tags contains "vip" => +7
    rule early: created < 2024-01-01 => +3
    rule seen: last_seen >= 2026-10-01T00:00:00Z => +4
    rule corporate: email ends_with "@corp.example" => +2
  }
  score engagement {
    rule visits: each visit => +1 max 20
    rule long_visits: each visit where seconds > 60 => +2 max 10
    rule signed_up: has(signup) => +25
  }
  tier level by fit + engagement { hot: >= 30; warm: >= 10; cold: otherwise }
}
'''

TYPED_CONTACT_COLUMNS = [
    ("id", sa.String(64)), ("email", sa.Text()), ("employees", sa.Integer()),
    ("revenue", sa.Double()), ("opt_out", sa.Boolean()), ("created", sa.Date()),
    ("last_seen", sa.DateTime(timezone=True)), ("tags", sa.Text()),
]
TYPED_EVENT_COLUMNS = [
    ("contact_id", sa.String(64)), ("type", sa.String(64)),
    ("timestamp", sa.DateTime(timezone=True)), ("url", sa.Text()), ("seconds", sa.Integer()),
]


@pytest.fixture(scope="session")
def typed():
    from scoredsl.compiler.pipeline import compile_text
    return compile_text(TYPED_MODEL, "typed.score")


def typed_contact(cid: str, **values: Any) -> dict:
    row = {"id": cid, "email": None, "employees": None, "revenue": None, "opt_out": None,
           "created": None, "last_seen": None, "tags": None}
    row.update(values)
    return row


def typed_event(cid: str, kind: str, when: dt.datetime, **values: Any) -> dict:
    row = {"contact_id": cid, "type": kind, "timestamp": when, "url": None, "seconds": None}
    row.update(values)
    return row


def load_typed(db: TestDatabase, contacts: list[dict], events: list[dict], *,
               contact_columns=None, event_columns=None) -> None:
    """The typed model's tables, with SQLAlchemy's types for each backend (or the given ones)."""
    columns = dict(TYPED_CONTACT_COLUMNS)
    columns.update(contact_columns or {})
    db.load("contacts", [(n, t) for n, t in columns.items() if t is not None],
            [{k: v for k, v in c.items() if columns.get(k) is not None} for c in contacts])
    columns = dict(TYPED_EVENT_COLUMNS)
    columns.update(event_columns or {})
    db.load("events", [(n, t) for n, t in columns.items() if t is not None],
            [{k: v for k, v in e.items() if columns.get(k) is not None} for e in events])


@pytest.fixture
def fallbacks(monkeypatch):
    """Counts the pushdown runs that read through Python instead of running in the database."""
    import scoredsl.engines.pushdown as pushdown_engine

    calls = []
    original = pushdown_engine.fallback

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(pushdown_engine, "fallback", counting)
    return calls
