"""What differs between the databases: drivers, type reflection, column types, bulk staging, upserts.

One :class:`Backend` per database family; the source and the sink only call its methods.

* **Type reflection** (:meth:`Backend.describe`) works on any ``SELECT`` (a table's
  ``SELECT * FROM t`` or the user's query) without reading a row: PostgreSQL and MySQL run it
  with ``LIMIT 0`` and read the result's column types (PostgreSQL type OIDs resolved through
  ``pg_type``, MySQL field types), DuckDB runs ``DESCRIBE``, and SQLite creates a temporary
  view and reads the declared types of its columns (``PRAGMA table_info``).
* **Staging** (:meth:`Backend.stage`) loads result rows into a temporary table in bulk:
  PostgreSQL ``COPY``, DuckDB one ``INSERT ... SELECT unnest(list)`` per batch (DuckDB's
  per-row parameter binding is slow), SQLite and MySQL ``executemany``.
* **Upserts** (:meth:`Backend.upsert_sql`): ``INSERT ... SELECT ... ON CONFLICT (key) DO
  UPDATE`` (PostgreSQL, SQLite, DuckDB) or ``ON DUPLICATE KEY UPDATE`` (MySQL, MariaDB).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import sqlite3
import uuid
from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from scoredsl.api import SinkError, SpecError, format_datetime

from .typemap import DbColumn, Kind

__all__ = ["Backend", "for_scheme", "SCHEMES"]

#: Spec scheme -> backend name.
SCHEMES = {"sqlite": "sqlite", "duckdb": "duckdb", "postgresql": "postgresql",
           "postgres": "postgresql", "mysql": "mysql", "mariadb": "mysql"}

_NO_PARAMS = {"no_parameters": True}       # a user's query may hold % signs


def _probe_name() -> str:
    return f"scoredsl_probe_{uuid.uuid4().hex[:12]}"


def strip_query(sql: str) -> str:
    """A user's query without trailing semicolons and white space (it becomes a subquery)."""
    sql = sql.strip()
    while sql.endswith(";"):
        sql = sql[:-1].rstrip()
    return sql


@functools.cache
def database_errors() -> tuple[type[BaseException], ...]:
    """What a database, its driver or the file system under it raise when a write fails
    (SQLAlchemy wraps most driver errors, not those of a driver's bulk paths or of the file
    system). Drivers are imported only when this is asked, which ``except`` does only when
    something was raised."""
    errors: list[type[BaseException]] = [sa.exc.SQLAlchemyError, sqlite3.Error, OSError]
    for module, name in (("duckdb", "Error"), ("psycopg", "Error"), ("pymysql", "Error")):
        try:
            errors.append(getattr(importlib.import_module(module), name))
        except ImportError:  # pragma: no cover - a driver that is not installed raises nothing
            pass
    return tuple(errors)



class Backend:
    """The behaviour shared by every database; subclasses override what differs."""
    name = ""                 # SQLAlchemy backend name
    #: the longest identifier the database keeps whole, and its unit; None: no limit
    max_identifier: tuple[int, str] | None = None
    driver = ""               # SQLAlchemy drivername
    label = ""                # for people
    file_based = False
    transactional_ddl = True  # CREATE/ALTER TABLE can be rolled back
    loose_types = False       # SQLite: dates as text, booleans as integers
    #: Column types of the tables the sink creates, by role.
    types = {"key": "TEXT", "text": "TEXT", "score": "INTEGER", "timestamp": "TIMESTAMP WITH TIME ZONE"}

    # ------------------------------------------------------------------ connecting
    def lock(self, conn: Connection, key: str) -> None:
        """Hold a lock on ``key`` until the transaction ends (a no-op where the database
        serializes writers itself, as SQLite and DuckDB files do)."""

    def check_identifier(self, name: str) -> str | None:
        """Why ``name`` cannot name a table or column here, or None."""
        if self.max_identifier is None:
            return None
        limit, unit = self.max_identifier
        size = len(name.encode("utf-8")) if unit == "bytes" else len(name)
        if size > limit:
            return f"{name!r} is longer than the {limit} {unit} {self.label} keeps of a name"
        return None

    def connect_args(self) -> dict[str, Any]:
        return {}

    def configure(self, engine: Engine) -> None:
        """Install engine event handlers (SQLite's transaction handling)."""

    # ------------------------------------------------------------------ reflection
    def describe(self, conn: Connection, select: str) -> list[DbColumn]:
        """The columns ``select`` returns, classified; reads no row."""
        result = conn.exec_driver_sql(f"SELECT * FROM ({select}) AS {_probe_name()} LIMIT 0",
                                      execution_options=_NO_PARAMS)
        try:
            return self._classify_description(conn, result.cursor.description)
        finally:
            result.close()

    def _classify_description(self, conn: Connection, description) -> list[DbColumn]:
        raise NotImplementedError

    def has_table(self, conn: Connection, table) -> bool:
        return sa.inspect(conn).has_table(table.name, schema=table.schema)

    def unique_keys(self, conn: Connection, table) -> list[tuple[str, ...]]:
        """Every primary key, unique constraint and unique index of ``table``, as column names."""
        inspector = sa.inspect(conn)
        keys = [tuple(inspector.get_pk_constraint(table.name, schema=table.schema)
                      .get("constrained_columns") or ())]
        keys += [tuple(u["column_names"]) for u in
                 inspector.get_unique_constraints(table.name, schema=table.schema)]
        keys += [tuple(i["column_names"]) for i in inspector.get_indexes(table.name, schema=table.schema)
                 if i.get("unique") and not (i.get("dialect_options") or {}).get("postgresql_where")]
        return [k for k in keys if k]

    # ------------------------------------------------------------------ the sink
    def column_type(self, role: str, conn: Connection) -> str:
        return self.types[role]

    def table_options(self) -> str:
        return ""

    def timestamp(self, value: dt.datetime) -> Any:
        """A UTC timestamp as the driver binds it."""
        return value

    def create_stage(self, conn: Connection, name: str, columns: Sequence[tuple[str, str]]) -> None:
        """Create the temporary staging table ``name`` with ``(quoted column, role)`` columns."""
        body = ", ".join(f"{column} {self.column_type(role, conn)}" for column, role in columns)
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({body}){self.table_options()}")

    def stage(self, conn: Connection, name: str, columns: Sequence[tuple[str, str]],
              rows: list[tuple]) -> None:
        """Insert ``rows`` into the staging table, in bulk."""
        marks = ", ".join([self.placeholder] * len(columns))
        names = ", ".join(column for column, _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {name} ({names}) VALUES ({marks})", rows)

    placeholder = "?"

    def upsert_sql(self, target: str, stage: str, columns: Sequence[str], stage_columns: Sequence[str],
                   key: Sequence[str]) -> str:
        """Insert every staged row into ``target``, replacing the rows with the same ``key``."""
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
        return (f"INSERT INTO {target} ({', '.join(columns)}) SELECT {', '.join(stage_columns)} "
                f"FROM {stage}{self._select_suffix} ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")

    _select_suffix = ""


# ====================================================================== SQLite

class SQLite(Backend):
    name = driver = "sqlite"
    label = "SQLite"
    file_based = True
    loose_types = True
    types = {"key": "TEXT", "text": "TEXT", "score": "INTEGER", "timestamp": "TIMESTAMP"}
    _select_suffix = " WHERE true"          # INSERT ... SELECT ... ON CONFLICT needs a WHERE

    def connect_args(self) -> dict[str, Any]:
        return {"timeout": 30}

    def configure(self, engine: Engine) -> None:
        # pysqlite starts transactions itself, and not before CREATE/ALTER TABLE: let
        # SQLAlchemy's begin() emit BEGIN, so that DDL and DML share one real transaction.
        @sa.event.listens_for(engine, "connect")
        def _autocommit_driver(dbapi_connection, record):
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN")

    def describe(self, conn: Connection, select: str) -> list[DbColumn]:
        view = _probe_name()
        conn.exec_driver_sql(f"CREATE TEMP VIEW {view} AS {select}", execution_options=_NO_PARAMS)
        try:
            rows = conn.exec_driver_sql(f"PRAGMA temp.table_info({view})").fetchall()
        finally:
            conn.exec_driver_sql(f"DROP VIEW temp.{view}")
        return [DbColumn(row[1], row[2] or "(no type)", sqlite_kind(row[2] or "")) for row in rows]

    def timestamp(self, value: dt.datetime) -> Any:
        return format_datetime(value)          # ISO 8601 text with Z: SQLite's date functions read it

    def upsert_sql(self, *args, **kwargs) -> str:
        if sqlite3.sqlite_version_info < (3, 24):
            raise SinkError(f"SQLite {sqlite3.sqlite_version} has no upsert; 3.24 or later is needed")
        return super().upsert_sql(*args, **kwargs)


def sqlite_kind(declared: str) -> str:
    """The kind of a SQLite column from its declared type, by SQLite's affinity rules."""
    text = declared.upper()
    if not text:
        return Kind.UNKNOWN
    if "INT" in text:
        return Kind.INT
    if any(word in text for word in ("CHAR", "CLOB", "TEXT")):
        return Kind.TEXT
    if "BLOB" in text:
        return Kind.BINARY
    if any(word in text for word in ("REAL", "FLOA", "DOUB")):
        return Kind.FLOAT
    if "BOOL" in text:
        return Kind.BOOL
    if "DATETIME" in text or "TIMESTAMP" in text:
        return Kind.DATETIME
    if "DATE" in text:
        return Kind.DATE
    if "DECIMAL" in text or "NUMERIC" in text:
        return Kind.DECIMAL
    return Kind.UNKNOWN


# ====================================================================== DuckDB

class DuckDB(Backend):
    name = driver = "duckdb"
    label = "DuckDB"
    file_based = True
    types = {"key": "VARCHAR", "text": "VARCHAR", "score": "INTEGER",
             "timestamp": "TIMESTAMP WITH TIME ZONE"}

    def describe(self, conn: Connection, select: str) -> list[DbColumn]:
        rows = conn.exec_driver_sql(f"DESCRIBE SELECT * FROM ({select}) AS {_probe_name()}",
                                    execution_options=_NO_PARAMS).fetchall()
        return [DbColumn(row[0], row[1], duckdb_kind(row[1])) for row in rows]

    def has_table(self, conn: Connection, table) -> bool:
        # duckdb-engine's SQLAlchemy reflection queries pg_catalog tables DuckDB lacks
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE lower(table_name) = lower(?) "
            "AND lower(table_schema) = lower(coalesce(?, current_schema()))",
            (table.name, table.schema)).scalar()
        return bool(count)

    def unique_keys(self, conn: Connection, table) -> list[tuple[str, ...]]:
        args = (table.name, table.schema)
        where = ("lower(table_name) = lower(?) AND lower(schema_name) = "
                 "lower(coalesce(?, current_schema()))")
        keys = [tuple(row[0]) for row in conn.exec_driver_sql(
            f"SELECT constraint_column_names FROM duckdb_constraints() WHERE {where} "
            "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')", args)]
        for (expressions,) in conn.exec_driver_sql(
                f"SELECT expressions FROM duckdb_indexes() WHERE {where} AND is_unique", args):
            keys.append(tuple(part.strip().strip('"') for part in str(expressions).strip("[]").split(",")))
        return keys

    def stage(self, conn: Connection, name: str, columns: Sequence[tuple[str, str]],
              rows: list[tuple]) -> None:
        # One list parameter per column, unnested side by side: about 50 times faster than
        # executemany, which binds and executes row by row.
        selects = ", ".join(f"unnest(?::{self.column_type(role, conn)}[])" for _, role in columns)
        names = ", ".join(column for column, _ in columns)
        values = tuple(list(column) for column in zip(*rows))
        conn.exec_driver_sql(f"INSERT INTO {name} ({names}) SELECT {selects}", values)


_DUCKDB_INTS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                "UINTEGER", "UBIGINT", "UHUGEINT", "INT1", "INT2", "INT4", "INT8", "INT", "LONG",
                "SHORT", "SIGNED", "VARINT", "BIGNUM"}


def duckdb_kind(type_name: str) -> str:
    """The kind of a DuckDB type as ``DESCRIBE`` names it (``VARCHAR[]``, ``DECIMAL(10,2)``)."""
    text = type_name.strip().upper()
    if text.endswith("]"):
        return Kind.array(duckdb_kind(text[:text.rindex("[")]))
    base = text.split("(")[0].strip()
    if base in _DUCKDB_INTS:
        return Kind.INT
    if base in ("FLOAT", "REAL", "DOUBLE", "FLOAT4", "FLOAT8"):
        return Kind.FLOAT
    if base in ("DECIMAL", "NUMERIC"):
        return Kind.DECIMAL
    if base in ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "ENUM"):
        return Kind.TEXT
    if base in ("BOOLEAN", "BOOL", "LOGICAL"):
        return Kind.BOOL
    if base == "DATE":
        return Kind.DATE
    if base in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return Kind.DATETIME_TZ
    if base in ("TIMESTAMP", "DATETIME", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP_US"):
        return Kind.DATETIME
    if base == "UUID":
        return Kind.UUID
    if base in ("BLOB", "BYTEA", "VARBINARY"):
        return Kind.BINARY
    if base == "JSON":
        return Kind.JSON
    if base in ('"NULL"', "NULL"):
        return Kind.UNKNOWN
    return Kind.OTHER


# ====================================================================== PostgreSQL

class PostgreSQL(Backend):
    name = "postgresql"
    driver = "postgresql+psycopg"
    label = "PostgreSQL"
    max_identifier = (63, "bytes")      # longer ones are cut, silently

    def lock(self, conn: Connection, key: str) -> None:
        """Hold a lock on ``key`` until the transaction ends: two runs creating or changing the
        same table take turns (else the second fails on PostgreSQL's own catalog)."""
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(key)s))", {"key": key})

    def connect_args(self) -> dict[str, Any]:
        return {"connect_timeout": 10}

    def _classify_description(self, conn: Connection, description) -> list[DbColumn]:
        oids = sorted({column.type_code for column in description})
        info = {}
        if oids:
            for row in conn.exec_driver_sql(
                    "SELECT t.oid, format_type(t.oid, NULL), t.typname, t.typcategory, "
                    "e.typname, e.typcategory FROM pg_catalog.pg_type t "
                    "LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' "
                    "WHERE t.oid = ANY(%(oids)s)", {"oids": oids}):
                info[row[0]] = row[1:]
        columns = []
        for column in description:
            shown, name, category, element, element_category = info.get(
                column.type_code, (f"type {column.type_code}", "", "", None, None))
            shown = getattr(column, "type_display", None) or shown
            if category == "A" and element is not None:
                kind = Kind.array(postgres_kind(element, element_category))
            else:
                kind = postgres_kind(name, category)
            columns.append(DbColumn(column.name, shown, kind))
        return columns

    def stage(self, conn: Connection, name: str, columns: Sequence[tuple[str, str]],
              rows: list[tuple]) -> None:
        names = ", ".join(column for column, _ in columns)
        driver = conn.connection.driver_connection       # psycopg 3, inside the open transaction
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def postgres_kind(typname: str, category: str | None) -> str:
    """The kind of a PostgreSQL type from ``pg_type.typname`` and ``typcategory``."""
    if typname in ("int2", "int4", "int8"):
        return Kind.INT
    if typname in ("float4", "float8"):
        return Kind.FLOAT
    if typname == "numeric":
        return Kind.DECIMAL
    if typname == "bool":
        return Kind.BOOL
    if typname == "date":
        return Kind.DATE
    if typname == "timestamp":
        return Kind.DATETIME
    if typname == "timestamptz":
        return Kind.DATETIME_TZ
    if typname == "uuid":
        return Kind.UUID
    if typname in ("json", "jsonb"):
        return Kind.JSON
    if typname == "bytea":
        return Kind.BINARY
    if typname == "unknown":
        return Kind.UNKNOWN
    if category in ("S", "E"):            # strings (text, varchar, char, name, citext), enums
        return Kind.TEXT
    return Kind.OTHER


# ====================================================================== MySQL / MariaDB

class MySQL(Backend):
    name = "mysql"
    driver = "mysql+pymysql"
    label = "MySQL/MariaDB"
    max_identifier = (64, "characters")

    def lock(self, conn: Connection, key: str) -> None:
        """A named lock held by the session until it ends (DDL commits here, so a transaction
        cannot hold it); waits up to two minutes for another run's."""
        if conn.exec_driver_sql("SELECT GET_LOCK(%s, 120)", (key[:64],)).scalar() != 1:
            raise sa.exc.OperationalError("GET_LOCK", {}, Exception(f"another run holds the lock {key!r}"))
    transactional_ddl = False           # CREATE/ALTER TABLE commit implicitly
    placeholder = "%s"
    types = {"key": "VARCHAR(255)", "text": "TEXT", "score": "INT", "timestamp": "DATETIME(6)"}

    def connect_args(self) -> dict[str, Any]:
        # TIMESTAMP columns are read in UTC; DATETIME columns are taken as UTC anyway.
        return {"connect_timeout": 10, "init_command": "SET time_zone = '+00:00'"}

    def _classify_description(self, conn: Connection, description) -> list[DbColumn]:
        columns = []
        for column in description:
            code, length = column[1], column[3]
            name, kind = _MYSQL_TYPES.get(code, (f"type {code}", Kind.OTHER))
            if code == 1 and length == 1:               # TINYINT(1) is how BOOLEAN is stored
                name, kind = "TINYINT(1)/BOOLEAN", Kind.BOOL
            columns.append(DbColumn(column[0], name, kind))
        return columns

    def column_type(self, role: str, conn: Connection) -> str:
        if role == "key":
            # case- and pad-sensitive, so that ids "C1", "c1" and "c1 " stay three contacts
            if conn.dialect.is_mariadb:
                collation = "utf8mb4_nopad_bin"
            elif (conn.dialect.server_version_info or (0,)) >= (8,):
                collation = "utf8mb4_0900_bin"
            else:
                collation = "utf8mb4_bin"
            return f"VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {collation}"
        return self.types[role]

    def table_options(self) -> str:
        return " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"

    def timestamp(self, value: dt.datetime) -> Any:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def upsert_sql(self, target: str, stage: str, columns: Sequence[str], stage_columns: Sequence[str],
                   key: Sequence[str]) -> str:
        updates = ", ".join(f"{c} = VALUES({c})" for c in columns if c not in key)
        return (f"INSERT INTO {target} ({', '.join(columns)}) SELECT {', '.join(stage_columns)} "
                f"FROM {stage} ON DUPLICATE KEY UPDATE {updates}")


_MYSQL_TYPES = {
    0: ("DECIMAL", Kind.DECIMAL), 246: ("DECIMAL", Kind.DECIMAL),
    1: ("TINYINT", Kind.INT), 2: ("SMALLINT", Kind.INT), 3: ("INT", Kind.INT),
    8: ("BIGINT", Kind.INT), 9: ("MEDIUMINT", Kind.INT), 13: ("YEAR", Kind.INT),
    4: ("FLOAT", Kind.FLOAT), 5: ("DOUBLE", Kind.FLOAT),
    6: ("NULL", Kind.UNKNOWN),
    7: ("TIMESTAMP", Kind.DATETIME), 12: ("DATETIME", Kind.DATETIME),
    10: ("DATE", Kind.DATE), 14: ("DATE", Kind.DATE), 11: ("TIME", Kind.OTHER),
    15: ("VARCHAR", Kind.TEXT), 253: ("VARCHAR", Kind.TEXT), 254: ("CHAR", Kind.TEXT),
    247: ("ENUM", Kind.TEXT), 248: ("SET", Kind.OTHER),
    249: ("TINYTEXT/TINYBLOB", Kind.TEXT), 250: ("MEDIUMTEXT/MEDIUMBLOB", Kind.TEXT),
    251: ("LONGTEXT/LONGBLOB", Kind.TEXT), 252: ("TEXT/BLOB", Kind.TEXT),
    245: ("JSON", Kind.JSON), 16: ("BIT", Kind.OTHER), 255: ("GEOMETRY", Kind.OTHER),
}


_BACKENDS = {"sqlite": SQLite(), "duckdb": DuckDB(), "postgresql": PostgreSQL(), "mysql": MySQL()}


def for_scheme(scheme: str) -> Backend:
    """The backend of a spec scheme (``postgres`` -> PostgreSQL, ``mariadb`` -> MySQL)."""
    try:
        return _BACKENDS[SCHEMES[scheme]]
    except KeyError:
        raise SpecError(f"{scheme}: not a database scheme of scoredsl-sql "
                        f"({', '.join(SCHEMES)})") from None


def code_point_order(backend: str, column: str) -> str:
    """An ORDER BY key: the id ``column`` as text, spaces trimmed, in code-point order."""
    if backend == "postgresql":
        return f'TRIM(CAST({column} AS TEXT)) COLLATE "C"'
    if backend == "mysql":                   # the bytes of the UTF-8 text, compared as bytes
        return f"CAST(CONVERT(TRIM(CAST({column} AS CHAR)) USING utf8mb4) AS BINARY)"
    if backend == "duckdb":
        return f'TRIM(CAST({column} AS VARCHAR)) COLLATE "C"'
    return f"TRIM(CAST({column} AS TEXT)) COLLATE BINARY"        # SQLite
