"""``--engine duckdb``: the models compiled to SQL, run on embedded DuckDB.

The canonical relations (:mod:`scoredsl.data.canonical`) are filled one of two ways:

* :func:`load_rows` takes contacts and events from any :class:`~scoredsl.data.sources.Source`,
  read and checked by Python exactly as the Python engine reads them. It serves every source.
* :mod:`scoredsl.engines.duckdb_files` lets DuckDB read CSV and Parquet files itself, with the
  same rules for values. That is the fast path.

Either way, one query per model gives its rows, in contact order. DuckDB keeps them as tables
and writes them as CSV text itself when the sink takes text (:mod:`scoredsl.engines.sql_text`);
otherwise they are written one per contact and model, as the Python engine writes them
(:func:`result_rows`). The spark and pushdown engines use :func:`write_results`.
"""

from __future__ import annotations

import csv
import os
import tempfile
from typing import Any, Iterable, Sequence

from scoredsl.compiler.model import CompiledModel
from scoredsl.compiler.sql.generator import model_sql, state_layout
from scoredsl.data.canonical import (CONTACTS, OutOfRange, contacts_columns, encode, event_columns, event_table,
                                     table_columns)
from scoredsl.data.companies import Companies
from scoredsl.data.records import DataError, DataSchema, ResultRow, epoch_micros
from scoredsl.engines.base import EngineError, RunOptions, sql_refusal
from scoredsl.engines.duckdb_files import Files, load_files
from scoredsl.engines.sql_text import result_table, write_text
from scoredsl.engines.results import ErrorPolicy, Output, Previous, RunSummary


class DuckDBEngine:
    """The models' SQL on embedded DuckDB, in a temporary database."""

    name = "duckdb"

    def refusal(self, models: Sequence[CompiledModel], source) -> str | None:
        return sql_refusal(models, "duckdb")

    def score(self, models: Sequence[CompiledModel], source, as_of: int, options: RunOptions,
              out: Output, previous: Previous | None = None) -> None:
        """DuckDB reads the source's files itself when it can (see the module docs)."""
        import duckdb

        summary = out.summary
        schema = models[0].program.schema
        with tempfile.TemporaryDirectory(prefix="scoredsl-", dir=options.spill_dir) as folder:
            # in memory, spilling to the folder beyond DuckDB's memory limit: a database file
            # would also write every staged row to its write-ahead log (a third of the staging)
            con = duckdb.connect(":memory:")
            try:
                con.execute("SET temp_directory = ?", [folder])
                if options.threads:
                    con.execute(f"SET threads = {int(options.threads)}")
                if options.memory_limit is not None:     # (checked by RunOptions: digits and a unit)
                    con.execute("SET memory_limit = ?", [options.memory_limit])
                read: set = set()          # the event attributes the queries read
                queries = model_queries(models, as_of, "duckdb", read)
                fill(con, source, schema, ErrorPolicy(options.on_error, summary), summary, folder, read)
                load_state(con, models, previous or Previous(), folder)
                for index, query in enumerate(queries):
                    con.execute(f'CREATE TABLE "{result_table(index)}" AS {query.rstrip().rstrip(";")}')
                if not write_text(con, models, as_of, out, folder):
                    cursors = [con.cursor() for _ in models]
                    for index, cursor in enumerate(cursors):
                        cursor.execute(f'SELECT * FROM "{result_table(index)}" ORDER BY "_sd_row"')
                    for row in result_rows(models, [_batched(c) for c in cursors]):
                        out.write(row)
            except duckdb.OutOfMemoryException as exc:
                limit = options.memory_limit or "80% of this machine's memory (DuckDB's default)"
                raise EngineError(f"DuckDB ran out of memory within {limit}: give it more with --memory-limit, "
                                  f"or fewer --threads ({str(exc).splitlines()[0]})") from None
            finally:
                con.close()


def fill(con, source, schema: DataSchema, policy: ErrorPolicy, summary: RunSummary, folder: str,
         read: set | None = None) -> None:
    """Fill the canonical tables of DuckDB connection ``con``: DuckDB reads the source's files
    when they are CSV or Parquet and hold nothing the Python reader would reject; otherwise
    Python reads the source (:func:`load_rows`). Counts events and orphan events. ``read``:
    the ``(event type, attribute)`` pairs the queries read, when known (see :func:`load_files`)."""
    companies = Companies.read(source, schema, policy)     # first, as the Python engine reads them
    files = Files.of(source)
    loaded = files is not None and load_files(con, files, schema, summary, companies, read)
    if not loaded:
        load_rows(con, source, schema, policy, summary, folder, companies)
    if companies is not None:
        summary.unknown_companies = companies.unmatched
    if not loaded:      # (DuckDB's reading counts them itself, on its staged tables)
        count_orphans(con, schema, summary)


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
              folder: str, companies: Companies | None = None) -> None:
    """Fill the canonical tables of DuckDB connection ``con`` from ``source`` (Python-read rows),
    through CSV files in ``folder``: a bulk load, far faster than row inserts. Events are read
    first, as the Python engine reads an unsorted source, so that the first bad row reported is
    the same. Each contact takes its ``companies``' values (read before, when the schema
    declares them)."""
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
    contacts = source.contacts(schema, policy)
    if companies is not None:
        contacts = companies.attached(contacts)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        for row, contact in enumerate(contacts):
            try:
                cells = [_csv_cell(encode(contact.get(n), s)) for n, s in props]
            except OutOfRange as exc:
                policy(DataError(str(exc), record=f"contact {contact['id']!r}"))
                continue
            writer.writerow([row, contact["id"]] + cells)
    _copy(con, CONTACTS, tables[CONTACTS], path)
    summary.ignored_events += getattr(source, "ignored_events", 0)


def load_state(con, models: Sequence[CompiledModel], previous: Previous, folder: str) -> None:
    """Fill the state relation of each model that reads the previous run
    (:func:`~scoredsl.compiler.sql.generator.state_layout`), through a CSV file in ``folder``."""
    for index, model in enumerate(models):
        table, columns = state_layout(model.ir, index)
        if not columns:
            continue
        layout = [("_sd_id", "VARCHAR")] + [(c, "BIGINT" if p.kind == "score" else "VARCHAR") for c, p in columns]
        con.execute(f'CREATE TABLE "{table}" ({", ".join(f"{c} {t}" for c, t in layout)})')
        path = os.path.join(folder, f"{table}.csv")
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file, lineterminator="\n")
            for contact_id, values in previous.of(model).items():
                writer.writerow([contact_id, *("" if v is None else v for v in values)])
        _copy(con, table, layout, path)


def _copy(con, table: str, columns: list[tuple[str, str]], path: str) -> None:
    types = ", ".join(f"'{c}': '{t}'" for c, t in columns)
    con.execute(f"INSERT INTO \"{table}\" SELECT * FROM read_csv(?, header = false, columns = {{{types}}}, "
                "auto_detect = false, quote = '\"', escape = '\"', nullstr = '', delim = ',', "
                "new_line = '\\n', strict_mode = true)", [path])


def model_queries(models: Sequence[CompiledModel], as_of: int, dialect: str, read: set | None = None) -> list[str]:
    """Each model's query; ``read`` (a set) gets the ``(event type, attribute)`` of every event
    attribute they read."""
    return [model_sql(m.ir, m.program.schema, as_of, dialect, state_table=state_layout(m.ir, i)[0], read=read)
            for i, m in enumerate(models)]


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


def write_results(models: Sequence[CompiledModel], connections: Sequence, as_of: int, dialect: str,
                  out: Output) -> None:
    """Run each model's query on its own cursor (``connections[i]``) and write the results."""
    cursors = []
    for con, query in zip(connections, model_queries(models, as_of, dialect)):
        con.execute(query)
        cursors.append(_batched(con))
    for row in result_rows(models, cursors):
        out.write(row)


def count_orphans(con, schema: DataSchema, summary: RunSummary) -> None:
    """Count the events whose contact id names no contact (one anti-join over every event relation)."""
    if not schema.events:
        summary.orphan_events = 0
        return
    ids = " UNION ALL ".join(f'SELECT "_sd_cid" FROM "{event_table(i)}"' for i in range(len(schema.events)))
    summary.orphan_events = con.execute(
        f'SELECT count(*) FROM ({ids}) e WHERE NOT EXISTS (SELECT 1 FROM "{CONTACTS}" c '
        'WHERE c."_sd_id" = e."_sd_cid")').fetchone()[0]
