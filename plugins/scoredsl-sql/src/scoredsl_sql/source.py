"""The SQL source: contacts and events from tables or queries, checked up front, streamed.

Opening the source (:func:`open_sql_source`) connects, reflects the column types of the
contacts and events tables (or queries) and checks them against the schema: a missing table,
a failing query, a missing column or a column whose type cannot hold the schema's type is a
:class:`~scoredsl.api.SpecError` that lists every problem, raised before any row is read.

Reading streams: each of :meth:`SqlSource.contacts` and :meth:`SqlSource.events` uses its own
connection and a server-side cursor where the driver has one (PostgreSQL, MySQL/MariaDB),
fetching ``batch_size`` rows at a time; SQLite and DuckDB cursors are incremental by nature.
Memory grows with the number of contact ids (to find duplicates), not with the data.

Contacts of a table are read in id order, so row numbers in messages and the order of the
results are the same from run to run; a query is read in its own order. Row numbers count the
rows as read, from 1; each data error also names the record (``id 'c0042'``), which is what
finds a row in a database.

``sorted=contact_id``: the database sorts both the contacts and the events by contact id in
plain code-point order (the order of Python's ``str``, whatever the database's collation:
PostgreSQL ``COLLATE "C"``, MySQL/MariaDB the ``BINARY`` bytes of the UTF-8 text, SQLite
``BINARY``, DuckDB ``C``; ids are compared as text with surrounding spaces trimmed, so integer
ids sort as text too). Queries are sorted around them. The source then says it is sorted
(:meth:`SqlSource.order_by_contact`) and a run joins the two streams contact by contact,
holding one contact's events at a time instead of them all; results come out in that order.
An id surrounded by other white space (a tab, a line break) may sort apart from where its
trimmed form belongs: that stops the run with an error naming both ids, and such data must be
read without ``sorted``.

``--engine pushdown`` does not read rows here at all: :meth:`SqlSource.pushdown` describes the
same tables, queries, columns and order as SQL (:mod:`scoredsl_sql.canonical`), so that the
model's query runs in the database (PostgreSQL, MariaDB) and only results come back.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Sequence

import attrs
import sqlalchemy as sa

from scoredsl.api import (DataError, DataSchema, Event, OnError, OrderError, PackedEvent, Source, Spec, SpecError,
                          TypeSpec, epoch_micros, fail, order_error)

from . import typemap
from .backends import code_point_order, strip_query
from .database import DEFAULT_BATCH_SIZE, Database, DatabaseError, TableName, drop_connection
from .fields import TIMESTAMP, Field, company_fields, contact_fields, event_fields
from .typemap import Bad, DbColumn

__all__ = ["open_sql_source", "SqlSource", "SOURCE_OPTIONS"]

SOURCE_OPTIONS = ("contacts", "events", "companies", "columns", "event_columns", "company_columns", "batch_size",
                  "password_env", "sorted")
EVENT_FIELDS = ("contact_id", "type", "timestamp")
_QUERY = re.compile(r"\s*\(*\s*(select|with)\b", re.IGNORECASE)
_TEXT_TYPES = {"postgresql": "TEXT", "mysql": "CHAR", "sqlite": "TEXT", "duckdb": "VARCHAR"}
_SORTED_HINT = ("sorted=contact_id has the database sort them, and an id with white space other "
                "than spaces around it sorts apart: read such data without sorted=")


@attrs.frozen
class Relation:
    """Where one kind of record comes from: a table or a query."""
    kind: str                         # "contacts" or "events"
    table: TableName | None = None
    query: str | None = None

    @property
    def label(self) -> str:
        """How data errors name it (``DataError.file``)."""
        return f"table {self.table}" if self.table is not None else f"{self.kind} query"

    def select(self, dialect) -> str:
        """A ``SELECT`` of every column (for type reflection)."""
        if self.query is not None:
            return self.query
        return f"SELECT * FROM {self.table.quoted(dialect)}"


@attrs.frozen
class Plan:
    """What :meth:`SqlSource._rows` reads for one relation, and how to convert it."""
    relation: Relation
    columns: tuple[str, ...]          # database column names to read, in order
    sql: str                          # the statement that reads them
    by_position: bool                 # True: the statement returns exactly ``columns``
    #: schema name -> the column it reads, with its type (for pushdown, which converts in SQL)
    resolved: dict[str, DbColumn] = attrs.field(factory=dict)


def open_sql_source(spec: Spec, schema: DataSchema) -> "SqlSource":
    """The source for an SQL spec; :class:`SpecError` for any problem found before reading."""
    db = Database.from_spec(spec, SOURCE_OPTIONS, "source")
    opts = db.options
    batch_size = opts.integer("batch_size", DEFAULT_BATCH_SIZE)
    ordered = _sorted(db, opts.text("sorted"))
    contacts = _relation(db, "contacts", opts.text("contacts", "contacts"))
    events_text = opts.text("events")
    if events_text is None:
        events_text = "events" if schema.events else ""
    events = _relation(db, "events", events_text) if events_text.strip() else None
    contact_map = opts.mapping("columns")
    event_map = opts.mapping("event_columns")
    _check_mapping_names(db, "columns", contact_map, ["id"] + [n for n in schema.contact if n != "id"])
    event_names = list(EVENT_FIELDS) + sorted({a for attrs_ in schema.events.values() for a in attrs_})
    _check_mapping_names(db, "event_columns", event_map, event_names)
    if events is None and event_map:
        raise SpecError(f"{db.display}: event_columns is given, but events= is empty (no events)")
    companies = company_map = None
    if schema.company is not None:
        companies = _relation(db, "companies", opts.text("companies", "companies"))
        company_map = opts.mapping("company_columns")
        _check_mapping_names(db, "company_columns", company_map, ["id", *schema.company])

    engine = db.engine()
    try:
        try:
            conn = engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            raise db.fail(SpecError, "cannot connect", exc) from None
        with conn:
            problems: list[str] = []
            contacts_wanted = contact_fields(schema, contact_map)
            contacts_plan = _plan(db, conn, contacts, contacts_wanted, problems, order_by="id",
                                  sort_by="id" if ordered else None)
            events_wanted = event_fields(schema, event_map)
            events_plan = (_plan(db, conn, events, events_wanted, problems,
                                 sort_by="contact_id" if ordered else None)
                           if events is not None else None)
            companies_plan = (_plan(db, conn, companies, company_fields(schema, company_map), problems,
                                    order_by="id") if companies is not None else None)
        if problems:
            raise SpecError(f"{db.display}: the data does not fit the schema:\n  "
                            + "\n  ".join(problems))
    except BaseException:
        engine.dispose()
        raise
    return SqlSource(db, engine, contacts_plan, events_plan, batch_size, ordered=ordered, companies=companies_plan)


def _relation(db: Database, kind: str, value: str) -> Relation:
    if _QUERY.match(value):
        return Relation(kind, query=strip_query(value))
    try:
        return Relation(kind, table=TableName.parse(value))
    except ValueError as exc:
        raise SpecError(f"{db.display}: {kind}=: {exc}, or a query starting with SELECT or WITH") from None


def _check_mapping_names(db: Database, option: str, mapping: dict, known: Sequence[str]) -> None:
    unknown = [name for name in mapping if name not in known]
    if unknown:
        raise SpecError(f"{db.display}: option {option} maps {', '.join(map(repr, unknown))}, which "
                        f"the schema does not declare (known: {', '.join(known) or 'none'})")
    required = [name for name in ("id",) + EVENT_FIELDS if name in mapping and mapping[name] is None]
    if required:
        raise SpecError(f"{db.display}: option {option}: {', '.join(required)} needs a column")


def _sorted(db: Database, value: str | None) -> bool:
    if value is None:
        return False
    if value != "contact_id":
        raise SpecError(f"{db.display}: sorted= takes contact_id (the database sorts contacts and "
                        f"events by contact id), not {value!r}")
    return True


def _plan(db: Database, conn, relation: Relation, fields: list[Field], problems: list[str],
          order_by: str | None = None, sort_by: str | None = None) -> "Plan | None":
    """Reflect ``relation``, check ``fields`` against its columns, return how to read it.

    ``order_by``: a field a table is read in order of; ``sort_by``: a field the table or
    query is sorted by in code-point order (see the module docs)."""
    backend, dialect = db.backend, conn.dialect
    try:
        with conn.begin():
            described = backend.describe(conn, relation.select(dialect))
    except sa.exc.SQLAlchemyError as exc:
        hint = ""
        if relation.table is not None:
            hint = f" (give {relation.kind}=TABLE or a query starting with SELECT or WITH"
            hint += ", or events= for no events)" if relation.kind == "events" else ")"
        what = f"cannot read {relation.label}" if relation.table else f"the {relation.label} fails"
        problems.append(f"{what}: {db.error(exc)}{hint}")
        return None
    columns = typemap.Columns(described)
    missing: list[str] = []
    wrong: list[str] = []
    resolved: dict[str, DbColumn] = {}
    for field in fields:
        if field.column is None:
            continue
        column = columns.find(field.column)
        if column is None:
            shown = field.column if field.column == field.name else f"{field.column} (for {field.name})"
            missing.append(shown)
            continue
        if columns.duplicated(column.name):
            wrong.append(f"column {column.name!r} appears twice in the {relation.label}")
            continue
        resolved[field.name] = column
        if not typemap.fits(field.spec, column.kind, loose=backend.loose_types):
            fixed = field.name in ("id",) + EVENT_FIELDS
            declared = "" if fixed else f"; the schema declares {field.name}: {field.spec}"
            wrong.append(f"column {column.name!r} is {column.type_name}, but {field.name} needs "
                         f"{typemap.wanted(field.spec, loose=backend.loose_types)}{declared}")
    where = relation.label
    if missing:
        option = "columns" if relation.kind == "contacts" else "event_columns"
        problems.append(f"{where} has no column {', '.join(map(repr, missing))} (found "
                        f"{', '.join(c.name for c in described) or 'none'}; map a name to a column "
                        f"with {option}=NAME:COLUMN, or to nothing with NAME: for always missing)")
    problems.extend(f"{where}: {text}" for text in wrong)
    if missing or wrong:
        return None
    names = tuple(resolved[f.name].name for f in fields if f.name in resolved)
    names = tuple(dict.fromkeys(names))             # two fields may share a column
    quote = dialect.identifier_preparer.quote
    if sort_by is not None:
        order_by = None
        sort_key = code_point_order(db.backend.name, quote(resolved[sort_by].name))
    if relation.query is not None:
        if sort_by is not None:
            sql = f"SELECT * FROM ({relation.query}) AS scoredsl_sorted ORDER BY {sort_key}"
            return Plan(relation, names, sql, by_position=False, resolved=resolved)
        return Plan(relation, names, relation.query, by_position=False, resolved=resolved)
    sql = f"SELECT {', '.join(map(quote, names))} FROM {relation.table.quoted(dialect)}"
    if order_by is not None and order_by in resolved:
        sql += f" ORDER BY {quote(resolved[order_by].name)}"
    if sort_by is not None:
        sql += f" ORDER BY {sort_key}"
    return Plan(relation, names, sql, by_position=True, resolved=resolved)


class SqlSource(Source):
    """Contacts and events read from a database; see the module docs."""

    def __init__(self, db: Database, engine: sa.engine.Engine, contacts: Plan, events: Plan | None,
                 batch_size: int = DEFAULT_BATCH_SIZE, *, ordered: bool = False, companies: Plan | None = None):
        self.db = db
        self.engine = engine
        self.contacts_plan = contacts
        self.events_plan = events
        self.companies_plan = companies
        self.batch_size = batch_size
        self.ordered = ordered              # both streams sorted by contact id (sorted=contact_id)
        self.skipped_rows = 0
        self.ignored_events = 0
        self._mapping = {"columns": db.options.mapping("columns"),
                         "event_columns": db.options.mapping("event_columns"),
                         "company_columns": db.options.mapping("company_columns")}
        self._open: list[Iterator] = []

    def contacts(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]]:
        return self._records_of(self.contacts_plan, contact_fields(schema, self._mapping["columns"]), "contact",
                                on_error, self.ordered)

    def companies(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]] | None:
        """The companies table or query (``companies=``, default ``companies``), read in id order."""
        if self.companies_plan is None:
            return None
        return self._records_of(self.companies_plan, company_fields(schema, self._mapping["company_columns"]),
                                "company", on_error, False)

    def _records_of(self, plan: Plan, fields: list[Field], what: str, on_error: OnError,
                    ordered: bool) -> Iterator[dict[str, Any]]:
        label = plan.relation.label
        rows, index = self._rows(plan)
        try:
            id_column = fields[0].column
            id_at = index(id_column)
            readers = [(f.name, index(f.column) if f.column is not None else None,
                        typemap.converter(f.spec), f.column) for f in fields[1:]]
            seen: dict[str, int] = {}            # sorted: only the id before, else every id
            previous = ""
            for number, row in rows:
                try:
                    try:
                        contact_id = typemap.identity(row[id_at], f"{what} id")
                    except Bad as exc:
                        raise DataError(str(exc), file=label, row=number, column=id_column) from None
                    record = f"id {contact_id!r}"
                    if ordered and contact_id != previous:
                        if contact_id < previous:
                            raise order_error("contacts", contact_id, previous, _SORTED_HINT, file=label,
                                              row=number, column=id_column, record=record)
                        seen.clear()
                        previous = contact_id
                    first = seen.setdefault(contact_id, number)
                    if first != number:
                        raise DataError(f"duplicate {what} id {contact_id!r}: also at row {first}",
                                        file=label, row=number, column=id_column, record=record)
                    contact = {"id": contact_id}
                    for name, at, convert, column in readers:
                        try:
                            contact[name] = convert(row[at]) if at is not None else None
                        except Bad as exc:
                            raise DataError(_message(exc, name, column), file=label, row=number,
                                            column=column, record=record) from None
                except OrderError:
                    raise
                except DataError as problem:
                    self._skip(problem, on_error)
                    continue
                yield contact
        finally:
            rows.close()

    def events(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[Event]:
        names = {kind: tuple(declared) for kind, declared in schema.events.items()}
        for contact_id, kind, item in self._events(schema, on_error, packed=False):
            yield Event(contact_id=contact_id, type=kind, timestamp=item[0],
                        attrs=dict(zip(names[kind], item[1:])))

    def packed_events(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[PackedEvent]:
        return self._events(schema, on_error, packed=True)

    def _events(self, schema: DataSchema, on_error: OnError, packed: bool) -> Iterator[PackedEvent]:
        """``(contact_id, type, (timestamp, value, ...))`` per event: typed values, or packed
        (dates and datetimes as epoch microseconds)."""
        plan = self.events_plan
        if plan is None:
            return
        label = plan.relation.label
        fields = {f.name: f for f in event_fields(schema, self._mapping["event_columns"])}
        convert = _packed_converter if packed else typemap.converter
        rows, index = self._rows(plan)
        try:
            cid, kind_f, time_f = (fields[name].column for name in EVENT_FIELDS)
            cid_at, kind_at, time_at = index(cid), index(kind_f), index(time_f)
            to_datetime = convert(TIMESTAMP)
            types = {kind: [(name, index(fields[name].column) if fields[name].column else None,
                             convert(spec), fields[name].column)
                            for name, spec in declared.items()]
                     for kind, declared in schema.events.items()}
            ordered, previous = self.ordered, ""
            for number, row in rows:
                column, record = kind_f, None
                try:
                    try:
                        kind = typemap.identity(row[kind_at], "event type")
                        readers = types.get(kind)
                        if readers is None:
                            self.ignored_events += 1
                            continue
                        column = cid
                        contact_id = typemap.identity(row[cid_at], "contact id")
                        record = f"contact_id {contact_id!r}, type {kind!r}"
                        if ordered and contact_id != previous:
                            if contact_id < previous:
                                raise order_error("events", contact_id, previous, _SORTED_HINT,
                                                  file=label, row=number, column=cid, record=record)
                            previous = contact_id
                        column = time_f
                        timestamp = to_datetime(row[time_at])
                        if timestamp is None:
                            raise Bad("missing timestamp")
                    except Bad as exc:
                        raise DataError(str(exc), file=label, row=number, column=column,
                                        record=record) from None
                    item = [timestamp]
                    for name, at, read, column in readers:
                        try:
                            item.append(read(row[at]) if at is not None else None)
                        except Bad as exc:
                            raise DataError(_message(exc, name, column), file=label, row=number,
                                            column=column, record=record) from None
                except OrderError:
                    raise
                except DataError as problem:
                    self._skip(problem, on_error)
                    continue
                yield contact_id, kind, tuple(item)
        finally:
            rows.close()

    def order_by_contact(self) -> bool:
        return self.ordered

    @property
    def pushdown(self):
        """``--engine pushdown``: ``pushdown.dialect`` is the SQL dialect of this database, and
        ``pushdown(schema)`` what the engine needs to run a model's SQL inside it: the canonical
        relations (:mod:`scoredsl.data.canonical`) as SELECTs over this source's tables or queries,
        the check for values the Python reader would reject, connections (see
        :mod:`scoredsl_sql.canonical`). :class:`~scoredsl.api.EngineError` when this
        database cannot run it."""
        from .canonical import Hook

        return Hook(self)

    def for_contact(self, contact_id: str, schema: DataSchema,
                    on_error: OnError = fail) -> tuple[dict[str, Any] | None, list[Event]] | None:
        """One contact and its events, for ``scoredsl explain``, without streaming every row
        out of the database: the database keeps the rows whose id, as text, holds
        ``contact_id`` (a ``LIKE`` that may keep more: the id's case or white space may differ),
        and they are read with every check of a full read, the others passed over."""
        if not contact_id or contact_id != contact_id.strip():
            return None
        only = SqlSource(self.db, self.engine, self._only(self.contacts_plan, "id", contact_id),
                         self._only(self.events_plan, "contact_id", contact_id) if self.events_plan else None,
                         self.batch_size, ordered=self.ordered)
        try:
            contact = next((c for c in only.contacts(schema, on_error) if c["id"] == contact_id), None)
            events = [] if contact is None else \
                [e for e in only.events(schema, on_error) if e.contact_id == contact_id]
        finally:
            while only._open:
                only._open.pop().close()
        self.skipped_rows += only.skipped_rows
        self.ignored_events += only.ignored_events
        return contact, events

    def _only(self, plan: Plan, field: str, contact_id: str) -> Plan:
        """``plan`` keeping the rows whose ``field`` column, as text, holds ``contact_id``."""
        dialect = self.engine.dialect
        column = dialect.identifier_preparer.quote(plan.resolved[field].name)
        pattern = "%" + contact_id.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
        if self.db.backend.name == "mysql":          # a backslash escapes in MySQL's literals
            pattern = pattern.replace("\\", "\\\\")
        literal = "'" + pattern.replace("'", "''") + "'"
        text = _TEXT_TYPES.get(self.db.backend.name, "VARCHAR")
        sql = (f"SELECT * FROM ({plan.sql}) scoredsl_one "
               f"WHERE CAST(scoredsl_one.{column} AS {text}) LIKE {literal} ESCAPE '!'")
        return attrs.evolve(plan, sql=sql)

    def close(self) -> None:
        """Close every stream still open (its connection with it), then the engine."""
        while self._open:
            self._open.pop().close()
        self.engine.dispose()

    # ------------------------------------------------------------------ reading

    def _rows(self, plan: Plan) -> tuple[Iterator[tuple[int, Sequence[Any]]], Callable[[str], int]]:
        """``(row number, row)`` pairs streamed from ``plan``, and column name -> row position.

        The statement is executed before this returns (so a query's result columns are known);
        the connection closes when the iterator is exhausted or closed.
        """
        conn = self.engine.connect()
        try:
            result = conn.exec_driver_sql(plan.sql, execution_options={
                "no_parameters": True, "yield_per": self.batch_size})
            if plan.by_position:
                positions = {name: at for at, name in enumerate(plan.columns)}
            else:
                keys = list(result.keys())
                positions = {}
                for name in plan.columns:
                    if keys.count(name) != 1:
                        raise DatabaseError(f"{self.db.display}: the {plan.relation.label} returns "
                                        f"column {name!r} {keys.count(name)} times")
                    positions[name] = keys.index(name)
        except sa.exc.SQLAlchemyError as exc:
            conn.close()
            raise self.db.fail(DatabaseError, f"reading the {plan.relation.label} failed", exc) from None
        except BaseException:
            conn.close()
            raise
        stream = self._stream(conn, result, plan)
        self._open.append(stream)
        return stream, positions.__getitem__

    def _stream(self, conn, result, plan: Plan) -> Iterator[tuple[int, Sequence[Any]]]:
        number, finished = 0, False
        try:
            while True:
                try:
                    batch = result.fetchmany(self.batch_size)
                except sa.exc.SQLAlchemyError as exc:
                    raise self.db.fail(DatabaseError, f"reading the {plan.relation.label} failed",
                                       exc) from None
                if not batch:
                    finished = True
                    return
                for row in batch:
                    number += 1
                    yield number, row
        finally:
            if finished:
                result.close()
                conn.close()
            else:
                drop_connection(conn)


def _packed_converter(spec: TypeSpec):
    """:func:`typemap.converter`, with dates and datetimes as epoch microseconds (packed)."""
    convert = typemap.converter(spec)
    if spec.is_list or spec.base not in ("date", "datetime"):
        return convert

    def packed(value: Any) -> Any:
        result = convert(value)
        return None if result is None else epoch_micros(result)
    return packed


def _message(exc: Bad, name: str, column: str) -> str:
    return str(exc) if name == column else f"{exc} (for {name})"
