"""Run compiled models as SQL: the canonical relations (see :mod:`scoredsl.sqlgen`), how they are
filled, and how query results become result rows.

Two ways to fill them:

* :func:`load_rows` takes contacts and events from any :class:`~scoredsl.sources.Source`, read
  and checked by Python exactly as the Python engine reads them. It serves every source.
* :mod:`scoredsl.duckfiles` lets DuckDB read CSV, JSONL and Parquet files itself, with the same
  rules for values. That is the fast path.

Either way, :func:`run_queries` runs one query per model and hands the rows to the sink in
contact order, one row per contact and model as the Python engine does.
"""

from __future__ import annotations

import collections
import csv
import os
import tempfile
import time
from typing import Any, Iterable, Sequence

from .data import DataError, DataSchema, ResultRow, TypeSpec, epoch_micros
from .engine import CompiledModel
from .runner import ErrorPolicy, RunSummary, _count
from .sqlgen import CONTACTS, contacts_columns, encode_list, event_columns, event_table, model_sql

__all__ = ["canonical_type", "encode", "load_rows", "run_queries", "create_tables", "run_duckdb"]


_TYPES = {"text": "VARCHAR", "int": "BIGINT", "number": "DOUBLE", "bool": "BOOLEAN", "date": "BIGINT",
          "datetime": "BIGINT"}


def canonical_type(spec: TypeSpec) -> str:
    """The SQL type of a value's canonical column (``list[...]`` is encoded text)."""
    return "VARCHAR" if spec.is_list else _TYPES[spec.base]


def encode(value: Any, spec: TypeSpec) -> Any:
    """A typed Python value (as sources give it) in its canonical encoding; ``None`` if missing."""
    if value is None:
        return None
    if spec.is_list:
        return encode_list(value) if value else None
    base = spec.base
    if base == "text":
        return None if not value or value.isspace() else value
    if base == "int" and not -(1 << 63) <= value < (1 << 63):
        raise OutOfRange(f"{value} is beyond the 64-bit integers SQL engines compute with "
                         "(--engine python takes it)")
    if base in ("date", "datetime"):
        return value if isinstance(value, int) else epoch_micros(value)
    return value


class OutOfRange(ValueError):
    """A value the SQL engines cannot hold."""


def table_columns(schema: DataSchema) -> dict[str, list[tuple[str, str]]]:
    """Every canonical relation's ``(column, SQL type)`` list, by table name."""
    tables = {CONTACTS: [("_sd_row", "BIGINT"), ("_sd_id", "VARCHAR")]
              + [(column, canonical_type(spec)) for column, _name, spec in contacts_columns(schema)]}
    for index, event in enumerate(schema.events):
        tables[event_table(index)] = [("_sd_cid", "VARCHAR"), ("_sd_ts", "BIGINT")] + [
            (column, canonical_type(spec)) for column, _name, spec in event_columns(schema, event)]
    return tables


def create_tables(execute, schema: DataSchema, temporary: bool = True) -> None:
    kind = "TEMPORARY TABLE" if temporary else "TABLE"
    for table, columns in table_columns(schema).items():
        execute(f'DROP TABLE IF EXISTS "{table}"')
        body = ", ".join(f'"{c}" {t}' for c, t in columns)
        execute(f'CREATE {kind} "{table}" ({body})')


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return repr(value)
    return value


def load_rows(con, source, schema: DataSchema, policy: ErrorPolicy, summary: RunSummary,
              folder: str) -> None:
    """Fill the canonical tables of DuckDB connection ``con`` from ``source`` (Python-read rows),
    through CSV files in ``folder``: a bulk load, far faster than row inserts. Events are read
    first, as the Python engine reads an unsorted source, so that the first bad row reported is
    the same."""
    create_tables(con.execute, schema, temporary=False)
    tables = table_columns(schema)
    layouts = {event: (index, [(n, s) for _c, n, s in event_columns(schema, event)])
               for index, event in enumerate(schema.events)}
    files, writers = {}, {}
    try:
        for event in source.events(schema, policy):
            layout = layouts.get(event.type)
            if layout is None:
                summary.ignored_events += 1
                continue
            index, attrs = layout
            writer = writers.get(index)
            if writer is None:
                files[index] = open(os.path.join(folder, f"events_{index}.csv"), "w", newline="",
                                    encoding="utf-8")
                writer = writers[index] = csv.writer(files[index], lineterminator="\n")
            try:
                cells = [_csv_cell(encode(event.attrs.get(n), s)) for n, s in attrs]
            except OutOfRange as exc:
                policy(DataError(str(exc), record=f"event {event.type} of contact {event.contact_id!r}"))
                continue
            summary.events += 1
            writer.writerow([event.contact_id, epoch_micros(event.timestamp)] + cells)
    finally:
        for file in files.values():
            file.close()
    for index in files:
        table = event_table(index)
        _copy(con, table, tables[table], os.path.join(folder, f"events_{index}.csv"))
    props = [(name, spec) for _c, name, spec in contacts_columns(schema)]
    path = os.path.join(folder, "contacts.csv")
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        for row, contact in enumerate(source.contacts(schema, policy)):
            try:
                cells = [_csv_cell(encode(contact.get(n), s)) for n, s in props]
            except OutOfRange as exc:
                policy(DataError(str(exc), record=f"contact {contact['id']!r}"))
                continue
            writer.writerow([row, contact["id"]] + cells)
    _copy(con, CONTACTS, tables[CONTACTS], path)
    summary.ignored_events += getattr(source, "ignored_events", 0)


def _copy(con, table: str, columns: list[tuple[str, str]], path: str) -> None:
    types = ", ".join(f"'{c}': '{t}'" for c, t in columns)
    con.execute(f"INSERT INTO \"{table}\" SELECT * FROM read_csv(?, header = false, columns = {{{types}}}, "
                "auto_detect = false, quote = '\"', escape = '\"', nullstr = '', delim = ',', "
                "new_line = '\\n', strict_mode = true)", [path])


def model_queries(models: Sequence[CompiledModel], as_of: int, dialect: str) -> list[str]:
    return [model_sql(m.ir, m.program.schema, as_of, dialect) for m in models]


def result_rows(models: Sequence[CompiledModel], cursors: Sequence[Iterable[tuple]]) -> Iterable[ResultRow]:
    """Rows of the models' queries (one cursor each, in contact order) as result rows, one per
    contact and model, contact by contact."""
    iterators = [iter(c) for c in cursors]
    layout = [(m, len(m.score_names)) for m in models]
    while True:
        rows = [next(it, None) for it in iterators]
        if rows[0] is None:
            return
        for (model, n_scores), row in zip(layout, rows):
            yield ResultRow(contact_id=row[1], model=model.name, status=row[2], reason=row[3],
                            scores=dict(zip(model.score_names, row[4:4 + n_scores])),
                            tiers=dict(zip(model.tier_names, row[4 + n_scores:])))


def _batched(cursor, size: int = 10_000):
    while True:
        batch = cursor.fetchmany(size)
        if not batch:
            return
        yield from batch


def run_queries(models: Sequence[CompiledModel], connections: Sequence, as_of: int, dialect: str, sink,
                summary: RunSummary) -> None:
    """Run each model's query on its own cursor (``connections[i]``) and write the results."""
    cursors = []
    for con, query in zip(connections, model_queries(models, as_of, dialect)):
        con.execute(query)
        cursors.append(_batched(con))
    contacts = 0
    for row in result_rows(models, cursors):
        _count(summary, row)
        sink.write(row)
        if row.model == models[0].name:
            contacts += 1
    summary.contacts = contacts


def new_summary(models: Sequence[CompiledModel]) -> RunSummary:
    summary = RunSummary()
    for model in models:
        summary.statuses[model.name] = collections.Counter()
        for tier in model.tier_names:
            summary.tiers[(model.name, tier)] = collections.Counter()
    return summary


def run_duckdb(models: Sequence[CompiledModel], source, sink, as_of: int, *, on_error: str = "fail",
               files=None, threads: int | None = None) -> RunSummary:
    """Evaluate ``models`` with embedded DuckDB. ``files`` (a :class:`scoredsl.duckfiles.Files`)
    lets DuckDB read the source's files itself; otherwise ``source`` is read by Python."""
    import duckdb

    summary = new_summary(models)
    policy = ErrorPolicy(on_error, summary)
    schema = models[0].program.schema
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="scoredsl-") as folder:
            con = duckdb.connect(os.path.join(folder, "run.duckdb"))
            try:
                con.execute(f"SET temp_directory = '{folder}'")
                if threads:
                    con.execute(f"SET threads = {int(threads)}")
                loaded = False
                if files is not None:
                    from .duckfiles import load_files
                    loaded = load_files(con, files, schema, summary)
                if not loaded:
                    load_rows(con, source, schema, policy, summary, folder)
                _orphans(con, schema, summary)
                run_queries(models, [con.cursor() for _ in models], as_of, "duckdb", sink, summary)
            finally:
                con.close()
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    summary.seconds = time.perf_counter() - started
    return summary


def _orphans(con, schema: DataSchema, summary: RunSummary) -> None:
    total = 0
    for index, _event in enumerate(schema.events):
        table = event_table(index)
        total += con.execute(f'SELECT count(*) FROM "{table}" e WHERE NOT EXISTS '
                             f'(SELECT 1 FROM "{CONTACTS}" c WHERE c."_sd_id" = e."_sd_cid")').fetchone()[0]
    summary.orphan_events = total


