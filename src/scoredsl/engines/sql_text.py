"""The database writes the result rows itself, as the text a sink would write for them.

A sink that writes CSV takes rows ready-made (:attr:`~scoredsl.data.sinks.Sink.text_form`).
For such a sink, and when no state store needs the rows one by one, each model's query is kept
as a table and one query formats every row as the CSV line ``csv.writer`` would write for it
(:func:`lines_query`). No result row becomes a Python object: what is counted (statuses, tiers,
contacts) is counted by a query (:func:`counts_query`).

* DuckDB (:func:`write_text`): ``COPY`` writes the lines to a file that the sink appends as it is.
* PostgreSQL, for ``--engine pushdown`` (``dialect="postgres"``): the result tables are
  temporary tables of the source's database, whose lines stream to the client
  (:func:`scoredsl.engines.pushdown.write_text`).

The lines are the same bytes as the rows written one by one: the cells are the values
:func:`~scoredsl.data.sinks.record` gives, quoted where the CSV sink quotes (a comma, a double
quote, a carriage return, a line feed), scores as integers; a model whose scores are not
integers in SQL is written row by row instead.
"""

from __future__ import annotations

import functools
import os
from typing import Sequence

from scoredsl.compiler.model import CompiledModel
from scoredsl.data.records import ResultRow, from_epoch_micros
from scoredsl.data.sinks import ModelInfo, RunInfo, columns
from scoredsl.data.values import format_datetime
from scoredsl.engines.results import Output

__all__ = ["csv_cell", "write_text", "result_table", "lines_query", "counts_query", "counted"]

_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "UHUGEINT"}


def result_table(index: int) -> str:
    return f"_sd_result_{index}"


def _literal(text: str, dialect: str = "duckdb") -> str:
    if dialect == "postgres":     # an escape string: the same whatever standard_conforming_strings
        return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + text.replace("'", "''") + "'"


def _csv_text(value: str) -> str:
    """The CSV cell of ``value``, as :func:`csv_cell` writes it."""
    return '"' + value.replace('"', '""') + '"' if any(ch in value for ch in ',"\r\n') else value


def csv_cell(sql: str, dialect: str = "duckdb") -> str:
    """SQL for the CSV cell the CSV sink writes for text ``sql``: '' for NULL; in double
    quotes, its own doubled, when it holds a comma, a double quote, a carriage return or a line
    feed."""
    if dialect == "postgres":     # (strpos with a nondeterministic collation is an error)
        tests = " OR ".join(f'strpos({sql} COLLATE "C", chr({ord(ch)})) > 0' for ch in ',"\r\n')
    else:
        tests = " OR ".join(f"contains({sql}, chr({ord(ch)}))" for ch in ',"\r\n')
    return (f"CASE WHEN {sql} IS NULL THEN '' WHEN {tests} "
            f"THEN '\"' || replace({sql}, '\"', '\"\"') || '\"' ELSE {sql} END")


def _line(model: CompiledModel, names: tuple[str, ...], as_of: str, score_text, dialect: str) -> str:
    """SQL for the CSV line of one row of ``model``'s result table, in the columns ``names``;
    ``score_text(i)`` is the SQL of the text of its ``i``-th score column."""
    scores = {name: i for i, name in enumerate(model.score_names)}
    tiers = {name: f'"_sd_t{i}"' for i, name in enumerate(model.tier_names)}
    parts: list[tuple[bool, str]] = []      # (a constant?, its text or SQL)

    for index, name in enumerate(names):
        if index:
            parts.append((True, ","))
        if index == 0:
            parts.append((False, csv_cell('"_sd_id"', dialect)))
        elif name == "model":
            parts.append((True, _csv_text(model.name)))
        elif name == "status":
            parts.append((False, csv_cell('"_sd_status"', dialect)))
        elif name == "reason":
            parts.append((False, csv_cell('"_sd_reason"', dialect)))
        elif name == "model_version":
            parts.append((True, _csv_text(model.version)))
        elif name == "as_of":
            parts.append((True, _csv_text(as_of)))
        elif name in scores:
            parts.append((False, f"coalesce({score_text(scores[name])}, '')"))
        elif name in tiers:
            parts.append((False, csv_cell(tiers[name], dialect)))
        # a column of another model: empty
    merged: list[tuple[bool, str]] = []
    for constant, text in parts:            # adjacent constants as one
        if merged and constant and merged[-1][0]:
            merged[-1] = (True, merged[-1][1] + text)
        else:
            merged.append((constant, text))
    return " || ".join(_literal(text, dialect) if constant else text for constant, text in merged)


def run_info(models: Sequence[CompiledModel], as_of: int) -> tuple[tuple[str, ...], str]:
    """The CSV sink's columns for a run of ``models``, and the text of its as-of time."""
    when = from_epoch_micros(as_of)
    run = RunInfo(as_of=when, models=[ModelInfo(name=m.name, scores=m.score_names, tiers=m.tier_names,
                                                version=m.version) for m in models])
    return columns(run), format_datetime(when)


def lines_query(models: Sequence[CompiledModel], as_of: int, tables: Sequence[str], score_text,
                dialect: str = "duckdb") -> str:
    """One query giving the CSV line (column ``_sd_line``) of every row of the result tables
    ``tables`` (one per model, with ``_sd_row``), in the order the rows are written: contact by
    contact, model by model. ``score_text(m, i)`` is the SQL of the text of the ``i``-th score
    column (``"_sd_s<i>"``) of the ``m``-th model."""
    names, text = run_info(models, as_of)
    lines = " UNION ALL ".join(
        f'SELECT "_sd_row", {index} AS _sd_m, '
        f'{_line(model, names, text, functools.partial(score_text, index), dialect)} AS _sd_line '
        f'FROM "{table}"' for index, (model, table) in enumerate(zip(models, tables)))
    return f'SELECT _sd_line FROM ({lines}) AS _sd_lines ORDER BY "_sd_row", _sd_m'


def counts_query(model: CompiledModel, table: str) -> str:
    """The kinds of rows in ``model``'s result table: ``(status, tier labels..., how many)``."""
    keys = ['"_sd_status"'] + [f'"_sd_t{i}"' for i in range(len(model.tier_names))]
    return f'SELECT {", ".join(keys)}, count(*) FROM "{table}" GROUP BY {", ".join(keys)}'


def counted(model: CompiledModel, rows) -> list[tuple[ResultRow, int]]:
    """:meth:`Output.write_text`'s counts from the rows of :func:`counts_query`."""
    return [(ResultRow(contact_id="", model=model.name, status=status, reason=None, scores={},
                       tiers=dict(zip(model.tier_names, labels))), int(times))
            for status, *labels, times in rows]


def write_text(con, models: Sequence[CompiledModel], as_of: int, out: Output, folder: str) -> bool:
    """Write the rows of the result tables (:func:`result_table`, one per model, with
    ``_sd_row``) to ``out`` as CSV text made by DuckDB; False (nothing written) when ``out``
    takes no CSV text or a model's scores are not integers in SQL."""
    if out.text_form != "csv":
        return False
    for index, model in enumerate(models):
        types = dict(con.execute(f'SELECT column_name, column_type FROM (DESCRIBE "{result_table(index)}")').fetchall())
        if any(types[f"_sd_s{i}"] not in _INTEGERS for i in range(len(model.score_names))):
            return False
    tables = [result_table(index) for index in range(len(models))]
    lines = lines_query(models, as_of, tables, lambda _m, i: f'CAST("_sd_s{i}" AS VARCHAR)')
    path = os.path.join(folder, "results.csv")
    # one column, written as it is: no quotes added, a line feed after each line
    con.execute(f"COPY ({lines}) TO {_literal(path)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')")
    counts = []
    for model, table in zip(models, tables):
        counts += counted(model, con.execute(counts_query(model, table)).fetchall())
    with open(path, "rb") as file:
        out.write_text(file, counts)
    return True
