#!/usr/bin/env python3
"""Read and write speed of the SQL source and sink on each database.

    python benchmarks/bench_sql.py [--contacts 20000] [--only sqlite,duckdb,postgresql,mariadb]

The bundled example (examples/b2b_saas, 300 contacts, ~11,500 events) is copied until there are
``--contacts`` contacts (ids ``c0001-17``...), loaded into a fresh database of each kind (files
in a temporary folder; databases created and dropped on the local PostgreSQL and MariaDB
servers of the test suite), and then:

* **read**: every contact, then every event, through the source (rows per second);
* **write**: the run's result rows through the sink into a new table (open, write, commit),
  then again over the existing rows (every row an update), rows per second;
* **run**: the whole ``scoredsl run`` path, source to sink, contacts per second.

Timings are wall-clock on this machine, database servers included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import resource
import sys
import tempfile
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from scoredsl.compiler.pipeline import compile_file
from scoredsl.data.records import ResultRow, to_micros
from scoredsl.data.sinks import ModelInfo, RunInfo, Sink
from scoredsl.engines.python import run
from scoredsl.plugins import manager as plugins

REPO = pathlib.Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "b2b_saas"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
SERVERS = {"postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
           "mariadb": "mysql+pymysql://root@127.0.0.1:3306/"}
TYPES = {"text": "TEXT", "int": "BIGINT", "number": "DOUBLE PRECISION", "bool": "BOOLEAN",
         "date": "DATE", "datetime": "TIMESTAMP WITH TIME ZONE"}
TYPES_BY_KIND = {
    "sqlite": {**TYPES, "number": "REAL", "datetime": "TIMESTAMP"},
    "duckdb": {**TYPES, "text": "VARCHAR", "number": "DOUBLE"},
    "postgresql": TYPES,
    "mariadb": {**TYPES, "text": "VARCHAR(255)", "number": "DOUBLE", "datetime": "DATETIME"},
}


class Keep(Sink):
    def open(self, run_info):
        self.rows = []

    def write(self, row):
        self.rows.append(row)

    def commit(self):
        pass

    def abort(self):
        pass


def example_data(schema, copies: int):
    with plugins.open_source(f"csv:{EXAMPLE / 'data'}", schema) as source:
        contacts = list(source.contacts(schema))
        events = list(source.events(schema))
    attributes = {}
    for declared in schema.events.values():
        for name, spec in declared.items():
            attributes.setdefault(name, spec)
    contact_columns = [("id", "text")] + [(n, s.base) for n, s in schema.contact.items() if n != "id"]
    event_columns = [("contact_id", "text"), ("type", "text"), ("timestamp", "datetime")] + [
        (n, s.base) for n, s in attributes.items()]
    contact_rows, event_rows = [], []
    for copy in range(copies):
        suffix = f"-{copy}"
        for c in contacts:
            contact_rows.append(tuple(c["id"] + suffix if n == "id" else c.get(n) for n, _ in contact_columns))
        for e in events:
            event_rows.append((e.contact_id + suffix, e.type, e.timestamp,
                               *(e.attrs.get(n) for n, _ in event_columns[3:])))
    return (contact_columns, contact_rows), (event_columns, event_rows)


def create_database(kind: str, folder: str):
    """(spec, engine, cleanup) for a fresh database."""
    if kind in ("sqlite", "duckdb"):
        path = os.path.join(folder, f"bench.{kind}")
        engine = sa.create_engine(f"{kind}:///{path}", poolclass=NullPool)
        return f"{kind}:{path}", engine, engine.dispose
    admin = sa.create_engine(SERVERS[kind], poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"scoredsl_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine = sa.create_engine(admin.url.set(database=name), poolclass=NullPool)

    def cleanup():
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name}" + (" WITH (FORCE)" if kind == "postgresql" else ""))
        admin.dispose()
    user = "postgres" if kind == "postgresql" else "root"
    port = 5432 if kind == "postgresql" else 3306
    return f"{kind}://{user}@127.0.0.1:{port}/{name}", engine, cleanup


def load(kind: str, engine, table: str, columns, rows) -> None:
    types = TYPES_BY_KIND[kind]
    body = ", ".join(f"{name} {types[t]}" for name, t in columns)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {table} ({body})")
        raw = conn.connection.driver_connection
        names = ", ".join(name for name, _ in columns)
        if kind == "postgresql":
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        elif kind == "duckdb":
            selects = ", ".join(f"unnest(?::{types[t]}[])" for _, t in columns)
            for start in range(0, len(rows), 20000):
                chunk = rows[start:start + 20000]
                conn.exec_driver_sql(f"INSERT INTO {table} SELECT {selects}",
                                     tuple(list(col) for col in zip(*chunk)))
        else:
            mark = "?" if kind == "sqlite" else "%s"
            if kind == "sqlite":
                rows = [tuple(v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v for v in r)
                        for r in rows]
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join([mark] * len(columns))})"
            for start in range(0, len(rows), 5000):
                conn.exec_driver_sql(sql, rows[start:start + 5000])


def bench(kind: str, program, data, results, folder: str) -> dict:
    spec, engine, cleanup = create_database(kind, folder)
    try:
        (ccols, crows), (ecols, erows) = data
        started = time.perf_counter()
        load(kind, engine, "contacts", ccols, crows)
        load(kind, engine, "events", ecols, erows)
        loaded = time.perf_counter() - started
        schema = program.schema
        plugins.reset()
        with plugins.open_source(spec, schema) as source:
            started = time.perf_counter()
            contacts = sum(1 for _ in source.contacts(schema))
            contacts_s = time.perf_counter() - started
            started = time.perf_counter()
            events = sum(1 for _ in source.events(schema))
            events_s = time.perf_counter() - started
        info = RunInfo(as_of=AS_OF, models=[ModelInfo(name=m.name, scores=m.score_names, tiers=m.tier_names,
                                                       version=m.version) for m in program.models.values()])
        writes = []
        for _ in range(2):                     # a new table, then updates of every row
            sink = plugins.open_sink(f"{spec}?table=bench_scores")
            started = time.perf_counter()
            sink.open(info)
            for row in results:
                sink.write(row)
            sink.commit()
            writes.append(time.perf_counter() - started)
        sink = plugins.open_sink(f"{spec}?table=run_scores")
        source = plugins.open_source(spec, schema)
        started = time.perf_counter()
        summary = run(engine_named("python"), list(program.models.values()), source, sink, AS_OF)
        source.close()
        whole = time.perf_counter() - started
        return {"kind": kind, "contacts": contacts, "events": events, "load": loaded,
                "read contacts/s": contacts / contacts_s, "read events/s": events / events_s,
                "write new rows/s": len(results) / writes[0], "write update rows/s": len(results) / writes[1],
                "run contacts/s": summary.contacts / whole, "run s": whole}
    finally:
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--only", default="sqlite,duckdb,postgresql,mariadb")
    args = parser.parse_args()
    program = compile_file(str(EXAMPLE / "model.score"))
    copies = max(1, round(args.contacts / 300))
    data = example_data(program.schema, copies)
    keep = Keep()                   # the result rows to write: the example scored once, copied
    with plugins.open_source(f"csv:{EXAMPLE / 'data'}", program.schema) as base:
        run(engine_named("python"), list(program.models.values()), base, keep, AS_OF)
    results = [ResultRow(contact_id=f"{r.contact_id}-{copy}", model=r.model, status=r.status,
                         reason=r.reason, scores=r.scores, tiers=r.tiers)
               for copy in range(copies) for r in keep.rows]
    print(f"{len(data[0][1]):,} contacts, {len(data[1][1]):,} events, {len(results):,} result rows",
          file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.only.split(","):
            r = bench(kind, program, data, results, folder)
            print(f"{kind:<11} read {r['read contacts/s']:>9,.0f} contacts/s {r['read events/s']:>9,.0f} "
                  f"events/s | write {r['write new rows/s']:>8,.0f} rows/s new {r['write update rows/s']:>8,.0f} "
                  f"rows/s updated | run {r['run s']:5.1f}s ({r['run contacts/s']:,.0f} contacts/s)",
                  flush=True)
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()
