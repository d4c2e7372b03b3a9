"""SQL engines as test targets: load contacts and events (typed Python values, as sources give
them) into an engine's canonical tables, run a model's compiled query, and return its rows as
``(contact_id, status, reason, scores, tiers)`` tuples, like the Python engine's.

DuckDB is always there; PostgreSQL is the local server (skipped without it, a failure under
``SCOREDSL_REQUIRE_SERVICES=1``); Spark runs in local mode when PySpark and Java are installed.
"""

from __future__ import annotations

import os
import uuid

import hypothesis
import pytest

from scoredsl.compiler.sql.generator import model_sql, state_layout
from scoredsl.data.canonical import CONTACTS, contacts_columns, encode, event_columns, event_table, table_columns
from scoredsl.data.records import to_micros

REQUIRE_SERVICES = os.environ.get("SCOREDSL_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("SCOREDSL_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def unavailable(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (SCOREDSL_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def canonical_rows(schema, contacts, events):
    """``{table: [row, ...]}`` in canonical encoding; ``events`` are :class:`Event` objects."""
    props = [(name, spec) for _c, name, spec in contacts_columns(schema)]
    tables = {CONTACTS: [[i, c["id"]] + [encode(c.get(n), s) for n, s in props] for i, c in enumerate(contacts)]}
    for index, kind in enumerate(schema.events):
        attrs = [(name, spec) for _c, name, spec in event_columns(schema, kind)]
        tables[event_table(index)] = [[e.contact_id, to_micros(e.timestamp)] + [encode(e.attrs.get(n), s) for n, s in attrs]
                                      for e in events if e.type == kind]
    return tables


def state_tables(models, previous):
    """``{table: (columns, rows)}``: the state relation of each model that reads the previous
    run, from ``previous`` (``{model: {contact_id: {name: value}}}``)."""
    out = {}
    for index, model in enumerate(models):
        table, columns = state_layout(model.ir, index)
        if not columns:
            continue
        layout = [("_sd_id", "VARCHAR")] + [(c, "BIGINT" if p.kind == "score" else "VARCHAR") for c, p in columns]
        rows = [[contact_id] + [values.get(p.label) for _c, p in columns]
                for contact_id, values in (previous or {}).get(model.name, {}).items()]
        out[table] = (layout, rows)
    return out


def as_results(model, rows):
    n = len(model.score_names)
    out = []
    for row in rows:
        scores = dict(zip(model.score_names, row[4:4 + n])) if row[2] == "scored" else None
        tiers = dict(zip(model.tier_names, row[4 + n:])) if row[2] == "scored" else None
        out.append((row[1], row[2], row[3], scores, tiers))
    return out


class DuckTarget:
    dialect = "duckdb"

    def __init__(self):
        import duckdb
        self.con = duckdb.connect()

    def run(self, models, schema, contacts, events, as_of, previous=None):
        con = self.con
        tables = {t: (c, []) for t, c in table_columns(schema).items()}
        for table, rows in canonical_rows(schema, contacts, events).items():
            tables[table] = (tables[table][0], rows)
        tables.update(state_tables(models, previous))
        for table, (columns, rows) in tables.items():
            con.execute(f'CREATE OR REPLACE TABLE "{table}" ({", ".join(f"{c!r} {t}".replace(chr(39), chr(34)) for c, t in columns)})')
            if rows:
                con.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(rows[0]))})', rows)
        import duckdb
        results = {}
        for i, m in enumerate(models):
            query = model_sql(m.ir, schema, to_micros(as_of), "duckdb", state_table=state_layout(m.ir, i)[0])
            try:
                results[m.name] = as_results(m, con.execute(query).fetchall())
            except duckdb.OutOfRangeException as exc:
                if "Overflow" not in str(exc):
                    raise
                hypothesis.reject()     # documented: integers beyond 64 bits are out of range on SQL engines
        return results

    def close(self):
        self.con.close()


_PG_TYPES = {"VARCHAR": "TEXT", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE PRECISION", "BOOLEAN": "BOOLEAN"}


class PostgresTarget:
    dialect = "postgres"

    def __init__(self):
        try:
            import psycopg
        except ImportError:
            unavailable("psycopg is not installed")
        try:
            # No automatic prepared statements: psycopg prepares a query after five runs and
            # keys it by its text and the parameters' type oids, and both text and NULL travel
            # as "unknown". The same INSERT into a table re-created for another schema (a text
            # column where a boolean one was) would then reuse the old parameter types.
            self.con = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5, prepare_threshold=None)
        except psycopg.OperationalError as exc:
            unavailable(f"no PostgreSQL server: {exc}")
        self.schema = "sd_" + uuid.uuid4().hex[:10]
        self.con.execute(f'CREATE SCHEMA "{self.schema}"')
        self.con.execute(f'SET search_path TO "{self.schema}"')

    def run(self, models, schema, contacts, events, as_of, previous=None):
        import psycopg
        con = self.con
        tables = {t: (c, []) for t, c in table_columns(schema).items()}
        for table, rows in canonical_rows(schema, contacts, events).items():
            tables[table] = (tables[table][0], rows)
        tables.update(state_tables(models, previous))
        if any(isinstance(v, str) and "\x00" in v for _c, rows in tables.values() for row in rows for v in row):
            hypothesis.reject()     # PostgreSQL text cannot hold NUL (documented)
        for table, (columns, rows) in tables.items():
            con.execute(f'DROP TABLE IF EXISTS "{table}"')
            con.execute(f'CREATE TABLE "{table}" ({", ".join(chr(34) + c + chr(34) + " " + _PG_TYPES[t] for c, t in columns)})')
            if rows:
                with con.cursor() as cur:
                    cur.executemany(f'INSERT INTO "{table}" VALUES ({", ".join(["%s"] * len(rows[0]))})', rows)
        results = {}
        for i, m in enumerate(models):
            query = model_sql(m.ir, schema, to_micros(as_of), "postgres", state_table=state_layout(m.ir, i)[0])
            try:
                rows = con.execute(query).fetchall()
            except psycopg.errors.NumericValueOutOfRange as exc:
                if "underflow" not in str(exc) and "bigint out of range" not in str(exc):
                    raise
                # documented: PostgreSQL refuses a product below 1e-308, and integers beyond
                # 64 bits (employees * employees) are out of range on SQL engines
                hypothesis.reject()
            results[m.name] = as_results(m, rows)
        return results

    def close(self):
        self.con.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
        self.con.close()


class SparkTarget:
    """Spark SQL in local mode, as ``--engine spark`` runs it (the exact decay function too)."""
    dialect = "spark"

    def __init__(self):
        try:
            import pyspark  # noqa: F401
        except ImportError:
            unavailable("PySpark is not installed")
        from scoredsl.engines.spark import HALF_POW, _half_pow, spark_session
        from pyspark.sql.types import DoubleType
        self.spark = spark_session(threads=2)
        self.spark.udf.register(HALF_POW, _half_pow(), DoubleType())

    def run(self, models, schema, contacts, events, as_of, previous=None):
        from pyspark.sql.types import (BooleanType, DoubleType, LongType, StringType, StructField,
                                       StructType)
        from scoredsl.engines.spark import spark_query
        types = {"VARCHAR": StringType(), "BIGINT": LongType(), "DOUBLE": DoubleType(), "BOOLEAN": BooleanType()}
        rows = canonical_rows(schema, contacts, events)
        tables = {t: (c, rows[t]) for t, c in table_columns(schema).items()}
        tables.update(state_tables(models, previous))
        for table, (columns, table_rows) in tables.items():
            struct = StructType([StructField(c, types[t]) for c, t in columns])
            self.spark.createDataFrame(table_rows, struct).createOrReplaceTempView(table)
        return {m.name: as_results(m, [tuple(r) for r in self.spark.sql(spark_query(m, to_micros(as_of), i)).collect()])
                for i, m in enumerate(models)}

    def close(self):
        pass
