"""DuckDB writes the result rows itself, as the text a sink would write for them.

A sink that writes CSV takes rows ready-made (:attr:`~scoredsl.data.sinks.Sink.text_form`).
For such a sink, and when no state store needs the rows one by one, each model's query is kept
as a table, one query formats every row as the CSV line ``csv.writer`` would write for it,
and ``COPY`` writes those lines to a file that the sink appends as it is. No result row
becomes a Python object: what is counted (statuses, tiers, contacts) is counted by a query.

The lines are the same bytes as the rows written one by one: the cells are the values
:func:`~scoredsl.data.sinks.record` gives, quoted where the CSV sink quotes (a comma, a double
quote, a carriage return, a line feed), scores as integers; a model whose scores are not
integers in SQL is written row by row instead.
"""

from __future__ import annotations

import os
from typing import Sequence

from scoredsl.compiler.model import CompiledModel
from scoredsl.data.records import ResultRow, from_epoch_micros
from scoredsl.data.sinks import ModelInfo, RunInfo, columns
from scoredsl.data.values import format_datetime
from scoredsl.engines.results import Output

__all__ = ["csv_cell", "write_text", "result_table"]

_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "UHUGEINT"}


def result_table(index: int) -> str:
    return f"_sd_result_{index}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _csv_text(value: str) -> str:
    """The CSV cell of ``value``, as :func:`csv_cell` writes it."""
    return '"' + value.replace('"', '""') + '"' if any(ch in value for ch in ',"\r\n') else value


def csv_cell(sql: str) -> str:
    """DuckDB SQL for the CSV cell the CSV sink writes for text ``sql``: '' for NULL; in double
    quotes, its own doubled, when it holds a comma, a double quote, a carriage return or a line
    feed."""
    tests = " OR ".join(f"contains({sql}, chr({ord(ch)}))" for ch in ',"\r\n')
    return (f"CASE WHEN {sql} IS NULL THEN '' WHEN {tests} "
            f"THEN '\"' || replace({sql}, '\"', '\"\"') || '\"' ELSE {sql} END")


def _line(model: CompiledModel, names: tuple[str, ...], as_of: str) -> str:
    """SQL for the CSV line of one row of ``model``'s result table, in the columns ``names``."""
    scores = {name: f'"_sd_s{i}"' for i, name in enumerate(model.score_names)}
    tiers = {name: f'"_sd_t{i}"' for i, name in enumerate(model.tier_names)}
    parts: list[str] = []       # SQL pieces; a str in quotes is a constant

    def constant(text: str) -> None:
        parts.append(_literal(text))

    for index, name in enumerate(names):
        if index:
            constant(",")
        if index == 0:
            parts.append(csv_cell('"_sd_id"'))
        elif name == "model":
            constant(_csv_text(model.name))
        elif name == "status":
            parts.append(csv_cell('"_sd_status"'))
        elif name == "reason":
            parts.append(csv_cell('"_sd_reason"'))
        elif name == "model_version":
            constant(_csv_text(model.version))
        elif name == "as_of":
            constant(_csv_text(as_of))
        elif name in scores:
            parts.append(f"coalesce(CAST({scores[name]} AS VARCHAR), '')")
        elif name in tiers:
            parts.append(csv_cell(tiers[name]))
        # a column of another model: empty
    merged: list[str] = []
    for part in parts:          # adjacent constants as one
        if merged and part.startswith("'") and merged[-1].startswith("'") and part.endswith("'"):
            merged[-1] = merged[-1][:-1] + part[1:]
        else:
            merged.append(part)
    return " || ".join(merged)


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
    when = from_epoch_micros(as_of)
    run = RunInfo(as_of=when, models=[ModelInfo(name=m.name, scores=m.score_names, tiers=m.tier_names,
                                                version=m.version) for m in models])
    names = columns(run)
    text = format_datetime(when)
    lines = " UNION ALL ".join(
        f'SELECT "_sd_row", {index} AS _sd_m, {_line(model, names, text)} AS _sd_line FROM "{result_table(index)}"'
        for index, model in enumerate(models))
    path = os.path.join(folder, "results.csv")
    # one column, written as it is: no quotes added, a line feed after each line
    con.execute(f"COPY (SELECT _sd_line FROM ({lines}) ORDER BY \"_sd_row\", _sd_m) TO {_literal(path)} "
                "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '')")
    counts = []
    for index, model in enumerate(models):
        tiers = [f'"_sd_t{i}"' for i in range(len(model.tier_names))]
        query = (f'SELECT "_sd_status", {", ".join(tiers + ["count(*)"])} FROM "{result_table(index)}" '
                 f'GROUP BY ALL')
        for status, *labels, times in con.execute(query).fetchall():
            counts.append((ResultRow(contact_id="", model=model.name, status=status, reason=None, scores={},
                                     tiers=dict(zip(model.tier_names, labels))), times))
    with open(path, "rb") as file:
        out.write_text(file, counts)
    return True
