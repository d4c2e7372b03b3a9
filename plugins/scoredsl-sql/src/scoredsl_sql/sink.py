"""The SQL sink: one row per contact and model, upserted into a table in one transaction.

Protocol (:mod:`scoredsl.data.sinks`) and what each step does here:

``open(run)``
    Connects, and checks the target table (and the history table) if it exists: it needs a
    primary key or unique index on ``(contact_id, model)``, and the columns it already has
    must have fitting types. A problem is a :class:`~scoredsl.api.SinkError` now, before any
    contact is scored. Then it creates a private **temporary staging table** (it lives in the
    connection's session: it vanishes with the connection, whatever happens to the process).
``write(row)``
    Buffers the row; every ``batch_size`` rows go into the staging table in bulk. The target
    table is not touched.
``commit()``
    In **one transaction**: create the target table if it is missing, add any missing column
    (a score or tier the table did not have yet: ``ALTER TABLE ... ADD COLUMN``), upsert every
    staged row (``INSERT ... SELECT ... ON CONFLICT (contact_id, model) DO UPDATE``, on MySQL
    and MariaDB ``ON DUPLICATE KEY UPDATE``), append them to the history table, commit.
``abort()``
    Rolls back and closes the connection: the staged rows are gone and the target table is
    exactly as before. Safe at any time, also after ``commit()`` or before ``open()``.

So a run that fails, or a process that is killed, before ``commit()`` has finished leaves the
previous scores intact: readers see the old rows or all the new rows, never a mix. On MySQL and
MariaDB, ``CREATE TABLE`` and ``ALTER TABLE`` commit implicitly, so there they run just before
the data transaction: a failure at that moment can leave a new empty table or a new empty
column behind, never changed scores.

Columns: ``contact_id, model, status, reason``, every score (integer), every tier (text),
``model_version``, ``as_of`` and ``scored_at`` (timestamps). ``scored_at`` is the wall-clock
time the run opened the sink, the same for every row of the run: the one value that differs
between two runs on the same data. Columns of the table that the run does not produce (a score
since removed from the model, your own columns) are left as they are; rows of contacts that are
not in the run are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from typing import Any

import sqlalchemy as sa

from scoredsl.api import STATUSES, ResultRow, RunInfo, Sink, SinkError, Spec, SpecError, columns

from .backends import database_errors
from .database import DEFAULT_BATCH_SIZE, Database, TableName
from .typemap import Columns, Kind

__all__ = ["open_sql_sink", "SqlSink", "SINK_OPTIONS"]

SINK_OPTIONS = ("table", "history", "batch_size", "password_env")
KEY = ("contact_id", "model")        # a sink of company models' rows: (company_id, model)
RUN_TIME = "scored_at"
_ROLE_KINDS = {
    "key": {Kind.TEXT},
    "text": {Kind.TEXT},
    "score": {Kind.INT, Kind.DECIMAL, Kind.FLOAT},
    "timestamp": {Kind.DATETIME, Kind.DATETIME_TZ},
}
_ROLE_NAMES = {"key": "text", "text": "text", "score": "an integer", "timestamp": "a timestamp"}


def open_sql_sink(spec: Spec) -> "SqlSink":
    """The (unopened) sink for an SQL spec; :class:`SpecError` for a spec it cannot use."""
    db = Database.from_spec(spec, SINK_OPTIONS, "sink")
    opts = db.options
    try:
        table = TableName.parse(opts.text("table", "scores"))
        history_text = opts.text("history")
        history = TableName.parse(history_text) if history_text and history_text.strip() else None
    except ValueError as exc:
        raise SpecError(f"{db.display}: {exc}") from None
    if history is not None and str(history).casefold() == str(table).casefold():
        raise SpecError(f"{db.display}: history= must name another table than table= ({table})")
    for name in (table, history):
        for part in (name.schema, name.name) if name is not None else ():
            problem = part and db.backend.check_identifier(part)
            if problem:
                raise SpecError(f"{db.display}: {problem}")
    batch_size = opts.integer("batch_size", DEFAULT_BATCH_SIZE)
    if not db.backend.file_based:            # fail now, not after scoring every contact
        engine = db.engine()
        try:
            with engine.connect():
                pass
        except sa.exc.SQLAlchemyError as exc:
            raise db.fail(SpecError, "cannot connect", exc) from None
        finally:
            engine.dispose()
    return SqlSink(db, table, history, batch_size)


class SqlSink(Sink):
    """Result rows upserted into a table (and appended to a history table); see the module docs."""

    def __init__(self, db: Database, table: TableName, history: TableName | None = None,
                 batch_size: int = DEFAULT_BATCH_SIZE):
        self.db = db
        self.table = table
        self.history = history
        self.batch_size = batch_size
        self.run: RunInfo | None = None
        self.names: tuple[str, ...] = ()
        self._roles: list[tuple[str, str]] = []
        self._engine: sa.engine.Engine | None = None
        self._conn: sa.engine.Connection | None = None
        self._tx: sa.engine.RootTransaction | None = None
        self._stage = ""
        self._buffer: list[tuple] = []
        self._seen: set[tuple[str, str]] = set()
        self._created_file = False
        self.rows_written = 0
        self._table_rows: list[tuple] | None = None     # open_table(): rows of other columns

    @contextlib.contextmanager
    def _aborting(self, what: str):
        """Abort the sink on any failure; a database's is a SinkError naming the table and ``what``."""
        try:
            yield
        except database_errors() as exc:
            self.abort()
            raise self.db.fail(SinkError, what, exc) from None
        except BaseException:
            self.abort()
            raise

    def _check_names(self, names) -> None:
        for name in names:
            problem = self.db.backend.check_identifier(name)
            if problem:
                raise SinkError(f"{self.db.display}: column {problem}")

    # ------------------------------------------------------------------ rows of other columns

    def open_table(self, names: tuple[str, ...]) -> None:
        """Rows of ``names`` (``--transitions``), kept until :meth:`commit` writes them all in
        one transaction: the table is created when missing (a ``key`` column is its primary
        key), and a row whose ``key`` is there already replaces it, so writing the same rows
        twice leaves one of each."""
        if self.run is not None or self._table_rows is not None:
            raise SinkError(f"{self.db.display}: the sink is already open")
        if "key" not in names:
            raise SinkError(f"{self.db.display}: rows of other columns need a key column")
        self._check_names(names)
        self.names = tuple(names)
        self._table_rows = []

    def write_values(self, values: dict[str, Any]) -> None:
        if self._table_rows is None:
            raise SinkError(f"{self.db.display}: write_values() outside open_table() ... commit()")
        self._table_rows.append(tuple(values.get(name) for name in self.names))

    def _commit_table(self) -> None:
        rows, self._table_rows = self._table_rows, None
        backend = self.db.backend
        roles = [(name, "key" if name == "key" else "text") for name in self.names]
        self._created_file = backend.file_based and not os.path.exists(self.db.path)
        with self._aborting(f"writing table {self.table} failed"):
            self._engine = self.db.engine()
            self._conn = conn = self._engine.connect()
            quote = conn.dialect.identifier_preparer.quote
            name = self.table.quoted(conn.dialect)
            with conn.begin():                     # MariaDB: DDL commits here
                backend.lock(conn, f"scoredsl:{self.table}")
                if not backend.has_table(conn, self.table):
                    body = [f"{quote(column)} {backend.column_type(role, conn)}"
                            + (" NOT NULL" if role == "key" else "") for column, role in roles]
                    conn.exec_driver_sql(f"CREATE TABLE {name} ({', '.join(body)}, PRIMARY KEY ({quote('key')}))"
                                         f"{backend.table_options()}")
                else:
                    found = Columns(backend.describe(conn, f"SELECT * FROM {name}"))
                    missing = [column for column in self.names if found.find(column) is None]
                    if missing:
                        raise SinkError(f"{self.db.display}: cannot write to table {self.table}: it has no "
                                        f"column {', '.join(missing)}")
            with conn.begin():
                stage = f"scoredsl_stage_{uuid.uuid4().hex[:12]}"
                columns = [(quote(column), role) for column, role in roles]
                backend.create_stage(conn, stage, columns)
                if rows:
                    backend.stage(conn, stage, columns, rows)
                quoted = [quote(column) for column in self.names]
                conn.exec_driver_sql(backend.upsert_sql(name, stage, quoted, quoted, [quote("key")]))
        self.rows_written = len(rows)
        self._close(committed=True)

    # ------------------------------------------------------------------ protocol

    def open(self, run: RunInfo) -> None:
        if self.run is not None:
            raise SinkError(f"{self.db.display}: the sink is already open")
        self.key = (run.id_column, "model")
        self._roles = _roles(run)
        self.names = tuple(name for name, _ in self._roles)
        self._check_names(self.names)
        self.run = run
        self._prepare_rows(run)
        backend = self.db.backend
        self._created_file = backend.file_based and not os.path.exists(self.db.path)
        with self._aborting(f"cannot prepare table {self.table}"):
            self._engine = self.db.engine()
            self._conn = conn = self._engine.connect()
            with conn.begin():
                self._layout(conn, self.table, keyed=True, apply=False)
                if self.history is not None:
                    self._layout(conn, self.history, keyed=False, apply=False)
            self._tx = conn.begin()
            self._stage = f"scoredsl_stage_{uuid.uuid4().hex[:12]}"
            quote = conn.dialect.identifier_preparer.quote
            self._stage_columns = [(quote(name), role) for name, role in self._roles]
            backend.create_stage(conn, self._stage, self._stage_columns)

    def write(self, row: ResultRow) -> None:
        if self._conn is None or self.run is None:
            raise SinkError(f"{self.db.display}: write() outside open() ... commit()")
        self._buffer.append(self._row(row))
        if len(self._buffer) >= self.batch_size:
            try:
                self._flush()
            except database_errors() as exc:    # a dropped connection, a full disk: name the sink
                self.abort()
                raise self.db.fail(SinkError, f"writing table {self.table} failed", exc) from None

    def commit(self) -> None:
        if self._table_rows is not None:
            self._commit_table()
            return
        if self._conn is None:
            raise SinkError(f"{self.db.display}: commit() without open()")
        conn = self._conn
        with self._aborting(f"writing table {self.table} failed"):
            self._flush()
            if self.db.backend.transactional_ddl:
                self.db.backend.lock(conn, f"scoredsl:{self.table}")
                self._publish(conn, apply=True)
                self._tx.commit()
            else:
                self._tx.commit()                      # the staged rows: private to this session
                with conn.begin():                     # DDL commits implicitly here
                    self.db.backend.lock(conn, f"scoredsl:{self.table}")   # held by the session
                    self._layout(conn, self.table, keyed=True, apply=True)
                    if self.history is not None:
                        self._layout(conn, self.history, keyed=False, apply=True)
                with conn.begin():
                    self._publish(conn, apply=False)
        self._close(committed=True)

    def abort(self) -> None:
        self._table_rows = None
        conn, self._conn = self._conn, None
        tx, self._tx = self._tx, None
        if conn is not None:
            try:
                if tx is not None and tx.is_active:
                    tx.rollback()
            except Exception:  # noqa: BLE001 - the connection may be gone; the server rolls back
                pass
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
        self._close(committed=False)

    # ------------------------------------------------------------------ rows

    def _prepare_rows(self, run: RunInfo) -> None:
        position = {name: at for at, name in enumerate(self.names)}
        backend = self.db.backend
        as_of = run.as_of if run.as_of.tzinfo else run.as_of.replace(tzinfo=dt.timezone.utc)
        self._as_of = backend.timestamp(as_of.astimezone(dt.timezone.utc))
        self.scored_at = dt.datetime.now(dt.timezone.utc)
        self._scored_at = backend.timestamp(self.scored_at)
        self._layouts = {}
        for model in run.models:
            self._layouts[model.name] = (
                model, [(name, position[name]) for name in model.scores],
                [(name, position[name]) for name in model.tiers])

    def _row(self, row: ResultRow) -> tuple:
        layout = self._layouts.get(row.model)
        if layout is None:
            self.run.model(row.model)                  # raises the SinkError that names the models
        model, scores, tiers = layout
        if row.status not in STATUSES:
            raise SinkError(f"contact {row.contact_id!r}, model {row.model!r}: unknown status "
                            f"{row.status!r}")
        key = (row.subject_id, row.model)
        if key in self._seen:
            raise SinkError(f"contact {row.contact_id!r}, model {row.model!r}: a second result row "
                            "for the same contact and model")
        self._seen.add(key)
        values: list[Any] = [None] * len(self.names)
        values[0], values[1], values[2], values[3] = row.subject_id, row.model, row.status, row.reason
        for name, at in scores:
            values[at] = _score(row.scores.get(name), row, name)
        for name, at in tiers:
            values[at] = row.tiers.get(name)
        values[-3], values[-2], values[-1] = model.version, self._as_of, self._scored_at
        return tuple(values)

    def _flush(self) -> None:
        if self._buffer:
            rows, self._buffer = self._buffer, []
            self.db.backend.stage(self._conn, self._stage, self._stage_columns, rows)
            self.rows_written += len(rows)

    # ------------------------------------------------------------------ tables

    def _publish(self, conn: sa.engine.Connection, *, apply: bool) -> None:
        """Upsert the staged rows into the table and append them to the history table."""
        quote = conn.dialect.identifier_preparer.quote
        backend = self.db.backend
        staged = [quote(name) for name in self.names]
        actual = self._layout(conn, self.table, keyed=True, apply=apply)
        target = [quote(actual[name]) for name in self.names]
        key = [quote(actual[name]) for name in self.key]
        conn.exec_driver_sql(backend.upsert_sql(self.table.quoted(conn.dialect), self._stage,
                                                target, staged, key))
        if self.history is not None:
            actual = self._layout(conn, self.history, keyed=False, apply=apply)
            target = [quote(actual[name]) for name in self.names]
            conn.exec_driver_sql(f"INSERT INTO {self.history.quoted(conn.dialect)} "
                                 f"({', '.join(target)}) SELECT {', '.join(staged)} FROM {self._stage}")

    def _layout(self, conn: sa.engine.Connection, table: TableName, *, keyed: bool,
                apply: bool) -> dict[str, str]:
        """Check ``table`` against the run's columns; with ``apply``, create it or add columns.

        Returns our column name -> the table's column name (they may differ in case).
        """
        backend, dialect = self.db.backend, conn.dialect
        quote = dialect.identifier_preparer.quote
        name = table.quoted(dialect)
        if not backend.has_table(conn, table):
            if apply:
                body = [f"{quote(column)} {backend.column_type(role, conn)}"
                        + (" NOT NULL" if column in self.key + ("status",) else "")
                        for column, role in self._roles]
                if keyed:
                    body.append(f"PRIMARY KEY ({', '.join(map(quote, self.key))})")
                conn.exec_driver_sql(f"CREATE TABLE {name} ({', '.join(body)}){backend.table_options()}")
            return {column: column for column in self.names}
        found = Columns(backend.describe(conn, f"SELECT * FROM {name}"))
        actual: dict[str, str] = {}
        problems: list[str] = []
        missing: list[tuple[str, str]] = []
        for column, role in self._roles:
            existing = found.find(column)
            if existing is None:
                if column in self.key:
                    problems.append(f"it has no {column} column")
                missing.append((column, role))
                actual[column] = column
                continue
            actual[column] = existing.name
            kinds = _ROLE_KINDS[role]
            if backend.loose_types and role == "timestamp":     # SQLite: ISO 8601 text
                kinds = kinds | {Kind.TEXT}
            if existing.kind != Kind.UNKNOWN and existing.kind not in kinds:
                problems.append(f"column {existing.name!r} is {existing.type_name}, but {column} "
                                f"is {_ROLE_NAMES[role]}")
        if keyed and not problems:
            wanted = {actual[column].casefold() for column in self.key}
            keys = backend.unique_keys(conn, table)
            if not any({c.casefold() for c in key} == wanted for key in keys):
                problems.append(f"it has no primary key or unique index on ({', '.join(self.key)}), "
                                f"which an upsert needs: add one, e.g. ALTER TABLE {name} ADD "
                                f"PRIMARY KEY ({actual[self.key[0]]}, {actual['model']})")
        if problems:
            raise SinkError(f"{self.db.display}: cannot write to table {table}: " + "; ".join(problems))
        if apply:
            for column, role in missing:
                conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {quote(column)} "
                                     f"{backend.column_type(role, conn)}")
        return actual

    def _close(self, *, committed: bool) -> None:
        if self._conn is not None:      # closed, not left to the garbage collector: a session
            try:                        # lock (MariaDB's GET_LOCK) ends with it
                self._conn.close()
            except Exception:  # noqa: BLE001 - the connection may be gone already
                pass
        if self._engine is not None:
            self._engine.dispose()
        self._engine = self._conn = self._tx = None
        self._buffer, self._seen = [], set()
        self.run = None
        if not committed and self._created_file:
            for suffix in ("", "-journal", "-wal", ".wal"):
                try:
                    os.unlink(self.db.path + suffix)
                except OSError:
                    pass
        self._created_file = False


def _roles(run: RunInfo) -> list[tuple[str, str]]:
    """Every column of the run with its role: key, text, score or timestamp."""
    names = columns(run)
    scores = {name for model in run.models for name in model.scores}
    roles = []
    for name in names:
        if name in (run.id_column, "model"):
            roles.append((name, "key"))
        elif name == "as_of":
            roles.append((name, "timestamp"))
        else:
            roles.append((name, "score" if name in scores else "text"))
    if RUN_TIME in names:
        raise SinkError(f"a score or tier named {RUN_TIME!r} would share its column with the time "
                        "of the run; rename it")
    roles.append((RUN_TIME, "timestamp"))
    folded: dict[str, str] = {}
    for name, _ in roles:
        other = folded.setdefault(name.casefold(), name)
        if other != name:
            raise SinkError(f"columns {other!r} and {name!r} differ only in case; databases "
                            "would take them for one column: rename one")
    return roles


def _score(value: Any, row: ResultRow, name: str) -> Any:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise SinkError(f"contact {row.contact_id!r}, model {row.model!r}: score {name} is "
                    f"{value!r}, not a whole number")
