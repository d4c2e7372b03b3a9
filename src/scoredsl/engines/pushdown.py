"""``--engine pushdown``: the models' SQL runs inside the source's own database; only the
result rows travel.

A source that can do this has a ``pushdown`` attribute (the SQL plugin's sources do, for
PostgreSQL and MariaDB): ``pushdown.dialect`` names its sqlgen dialect (for
:meth:`PushdownEngine.refusal`, the early check of the model), and ``pushdown(schema)``
returns an object with:

* ``dialect``: the :mod:`scoredsl.compiler.sql.generator` dialect of the model's query (``"postgres"``,
  ``"mysql"``);
* ``binary_collation``: for ``"mysql"``, the collation that compares text exactly, trailing
  spaces included (MariaDB's ``utf8mb4_nopad_bin``; sqlgen's ``utf8mb4_bin`` pads);
* ``relations``: ``(name, SELECT)`` pairs: the canonical relations (``_sd_contacts``,
  ``_sd_events_<i>``, see :mod:`scoredsl.compiler.sql.generator`) over the source's tables, and helpers they
  read, each reading only earlier ones; ``quote(name)`` quotes a name;
* ``fallback``: ``None``, or why every value must be read by Python (a column whose values the
  database cannot convert exactly as the Python reader does);
* ``validation(risky)``: SQL of one query returning one row ``(problems, events, ignored events,
  orphan events[, contacts naming an unknown company])``, where ``problems`` counts the rows the
  Python reader would reject or skip and the text values holding a character of ``risky``
  (code point ranges);
* ``materialize``: whether the database reads ``WITH name AS MATERIALIZED (...)``;
* ``session()``: an object with ``one(sql)`` (one row), ``stream(sql)`` (a result whose
  ``fetchmany`` streams from a server-side cursor) and ``close()``. Database failures are
  :class:`EngineError`.

The run:

1. The models compile to SQL first (:class:`EngineError` for what the dialect cannot express).
2. One query folds every cased character with the model's own case folding
   (:meth:`scoredsl.compiler.sql.generator.Dialect.lower`): the characters the database folds differently from
   :func:`scoredsl.check.types.fold_case` are "at risk" (none, where the database has the Unicode
   tables Python has).
3. One validation query (text holding a character at risk is a problem too). Any problem, or
   a ``fallback``, and the data is read through Python instead, into embedded DuckDB
   (:class:`scoredsl.engines.duckdb.DuckDBEngine`): errors, skipped rows and results are those of the
   Python engine.
4. Otherwise each model's query, with the canonical relations prepended as CTEs (and the
   fixes of :func:`_fix`), streams its rows to the sink in contact order, as
   :func:`scoredsl.engines.duckdb.write_results` does.

A session whose ``keeps_results`` is true (PostgreSQL) also has ``results(sql, tables)``, which
runs a model's query into a temporary table and names it, and ``rows(sql)``, which streams any
query. Then, when the sink takes CSV text and no state store needs the rows one by one, the
database formats every row as its CSV line (:func:`scoredsl.engines.sql_text.lines_query`)
and only the lines travel: no result row becomes a Python object.
"""

from __future__ import annotations

import decimal
import functools
import re
import tempfile
from typing import Sequence

from sqlglot import exp

from scoredsl.check.types import fold_case
from scoredsl.compiler.model import CompiledModel
from scoredsl.compiler.sql.dialects import SqlError
from scoredsl.compiler.sql.generator import Dialect, compile_model, state_layout
from scoredsl.engines.base import EngineError, RunOptions, sql_refusal
from scoredsl.engines.duckdb import DuckDBEngine, result_rows
from scoredsl.engines.sql_text import counted, counts_query, lines_query
from scoredsl.engines.results import Output, Previous

__all__ = ["PushdownEngine", "model_query", "at_risk", "case_mismatches"]

BATCH = 10_000


class PushdownEngine:
    """The models' SQL inside the SQL source's own database; see the module docs."""

    name = "pushdown"

    def refusal(self, models: Sequence[CompiledModel], source) -> str | None:
        dialect = getattr(getattr(source, "pushdown", None), "dialect", "duckdb")
        refusal = sql_refusal(models, dialect)
        if refusal is None and not hasattr(source, "pushdown"):
            refusal = ("pushdown needs a SQL source (sql:...) whose database runs the query; "
                       "this source has none")
        return refusal

    def score(self, models: Sequence[CompiledModel], source, as_of: int, options: RunOptions,
              out: Output, previous: Previous | None = None) -> None:
        summary = out.summary
        plan = source.pushdown(models[0].program.schema)
        queries = [model_query(plan, model, as_of, index) for index, model in enumerate(models)]
        states = [_state_table(model, index, previous or Previous()) for index, model in enumerate(models)]
        db = plan.session()
        try:
            problems = 1
            if plan.fallback is None:
                risky = at_risk(plan, db)
                counts = [int(v) for v in db.one(plan.validation(risky))]
                problems, events, ignored, orphans = counts[:4]
            if not problems:
                summary.events, summary.ignored_events, summary.orphan_events = events, ignored, orphans
                summary.unknown_companies = counts[4] if len(counts) > 4 else 0
                if getattr(db, "keeps_results", False):
                    tables = [db.results(query, state) for query, state in zip(queries, states)]
                    if write_text(db, plan, models, tables, as_of, out, options):
                        return
                    order = plan.quote("_sd_row")
                    streams = [db.rows(f"SELECT * FROM {plan.quote(t)} ORDER BY {order}") for t in tables]
                else:
                    streams = [db.stream(query, state) for query, state in zip(queries, states)]
                for row in result_rows(models, [_rows(stream) for stream in streams]):
                    out.write(row)
        finally:
            db.close()
        if problems:
            # the Python reader finds the problem and reports or skips it, exactly as ever
            fallback(models, source, as_of, options, out, previous)


def fallback(models: Sequence[CompiledModel], source, as_of: int, options: RunOptions, out: Output,
             previous: Previous | None = None) -> None:
    """Score through the Python reader into embedded DuckDB (nothing has been written yet)."""
    DuckDBEngine().score(models, source, as_of, options, out, previous)


def _state_table(model: CompiledModel, index: int, previous: Previous) -> list:
    """The temporary table of what ``model`` reads of the previous run (none if it reads none),
    as the session's ``stream`` creates it: ``[(name, [(column, kind)], rows)]``."""
    table, columns = state_layout(model.ir, index)
    if not columns:
        return []
    kinds = [("_sd_id", "key")] + [(column, "int" if p.kind == "score" else "text") for column, p in columns]
    return [(table, kinds, [(contact_id, *values) for contact_id, values in previous.of(model).items()])]


def model_query(plan, model: CompiledModel, as_of: int, index: int = 0) -> str:
    """The model's query (the ``index``-th of its run) with the canonical relations it reads
    prepended as CTEs."""
    try:
        tree = compile_model(model.ir, model.program.schema, as_of, plan.dialect, state_layout(model.ir, index)[0])
    except SqlError as exc:
        raise EngineError(f"model '{model.name}' cannot run on {plan.dialect}: {exc}") from None
    tree = tree.transform(functools.partial(_fix, plan.dialect, plan.binary_collation))
    if getattr(plan, "materialize", False):
        for cte in tree.find_all(exp.CTE):
            if cte.alias in _LAYERS:
                cte.set("materialized", True)
    body = tree.sql(dialect=plan.dialect)
    if not body.startswith("WITH "):
        raise EngineError(f"model '{model.name}': the compiled query has no WITH clause to extend")
    wanted: list[tuple[str, str]] = []
    texts = [body]
    for name, select in reversed(plan.relations):
        if any(re.search(rf"\b{re.escape(name)}\b", text) for text in texts):
            wanted.append((name, select))
            texts.append(select)
    ctes = ", ".join(f"{plan.quote(name)} AS ({select})" for name, select in reversed(wanted))
    return f"WITH {ctes}, {body[len('WITH '):]}"


# The CTEs that compute rules, groups, raw and final scores, each from the one before. Inlined,
# each copies the expressions of the one before as often as it names them, and PostgreSQL
# evaluates the copies: a query of a second takes several.
_LAYERS = ("_sd_rules", "_sd_groups", "_sd_raw", "_sd_scores")


def _fix(dialect: str, collation: str | None, node: exp.Expression) -> exp.Expression:
    """What sqlgen's MariaDB SQL needs to run there, and to run exactly:

    * ``COLLATE utf8mb4_bin`` pads (``'a' = 'a '`` is true): the no-pad binary ``collation``;
    * MariaDB has no ``REGEXP_LIKE``: ``REGEXP_INSTR(x, p) > 0``;
    * ``LOCATE(needle, LOWER(x COLLATE utf8mb4_uca1400_ai_ci))`` compares in that collation,
      which ignores accents, and control characters such as the list separator: both texts in
      the binary ``collation``.
    """
    if dialect != "mysql" or not collation:
        return node
    if isinstance(node, exp.Collate) and node.expression.name.lower() == "utf8mb4_bin":
        return exp.Collate(this=node.this, expression=exp.Var(this=collation))
    if isinstance(node, exp.RegexpLike):
        found = exp.Anonymous(this="REGEXP_INSTR", expressions=[node.this, node.expression])
        return exp.Paren(this=exp.GT(this=found, expression=exp.Literal.number(0)))
    if isinstance(node, exp.StrPosition):
        node = node.copy()
        for arg in ("this", "substr"):
            value = node.args.get(arg)
            if value is not None and not (isinstance(value, exp.Collate) and value.expression.name == collation):
                node.set(arg, exp.Collate(this=value, expression=exp.Var(this=collation)))
        return node
    return node


# The text of a score column by its PostgreSQL type, as the rows written one by one give it
# (a numeric, as summed by the database, is written as a Python int: its integer part).
_SCORE_TEXT = {"bigint": 'CAST("{}" AS text)', "integer": 'CAST("{}" AS text)', "smallint": 'CAST("{}" AS text)',
               "numeric": 'CAST(trunc("{}") AS text)'}


def write_text(db, plan, models: Sequence[CompiledModel], tables: Sequence[str], as_of: int, out: Output,
               options: RunOptions) -> bool:
    """Write the rows of the result ``tables`` (one per model, kept by the database) to ``out``
    as CSV lines the database makes; False (nothing written) when ``out`` takes no CSV text or a
    score column is not a whole number."""
    if out.text_form != "csv" or plan.dialect != "postgres":
        return False
    texts: list[list[str]] = []
    for model, table in zip(models, tables):
        names, types = db.one(f"SELECT array_agg(CAST(attname AS text)), array_agg(format_type(atttypid, atttypmod)) "
                              f"FROM pg_attribute WHERE attrelid = CAST('pg_temp.{table}' AS regclass) AND attnum > 0")
        kinds = dict(zip(names, types))
        columns = [f"_sd_s{i}" for i in range(len(model.score_names))]
        if any(kinds[column] not in _SCORE_TEXT for column in columns):
            return False
        texts.append([_SCORE_TEXT[kinds[column]].format(column) for column in columns])
    lines = lines_query(models, as_of, tables, lambda m, i: texts[m][i], dialect="postgres")
    with tempfile.TemporaryFile(dir=options.spill_dir) as file:
        result = db.rows(lines)
        while True:
            batch = result.fetchmany(BATCH)
            if not batch:
                break
            file.write("".join(line + "\n" for (line,) in batch).encode("utf-8"))
        counts = []
        for model, table in zip(models, tables):
            counts += counted(model, list(_rows(db.rows(counts_query(model, table), "counting the results"))))
        file.seek(0)
        out.write_text(file, counts)
    return True


def _rows(result):
    """Rows of a streamed result; numbers summed by the database as decimals become ints."""
    while True:
        batch = result.fetchmany(BATCH)
        if not batch:
            return
        for row in batch:
            yield tuple(int(v) if isinstance(v, decimal.Decimal) else v for v in row)


# ------------------------------------------------------------------ lower()

@functools.lru_cache(maxsize=1)
def _cased() -> str:
    """Every character Python's case mapping changes (none above U+1FFFF has case)."""
    found = set()
    for code in range(0x20000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        if ch.lower() != ch or ch.upper() != ch:
            found.add(ch)
    return "".join(sorted(found))


def _fold_query(dialect: str, text: str) -> str:
    """``SELECT`` of ``text`` folded as the model's query folds text."""
    return exp.select(Dialect(dialect).lower(exp.Literal.string(text))).sql(dialect=dialect)


def at_risk(plan, session) -> list[tuple[int, int]]:
    """The code point ranges ``plan``'s database folds otherwise than Python (one query)."""
    return case_mismatches(lambda text: session.one(_fold_query(plan.dialect, text))[0])


def case_mismatches(fold) -> list[tuple[int, int]]:
    """Code point ranges that ``fold`` (the database's case folding of a text) folds otherwise
    than :func:`scoredsl.check.types.fold_case`; text holding them must be folded by Python."""
    chars = _cased()
    got = (fold("\n".join(chars)) or "").split("\n")
    if len(got) != len(chars):        # not one character at a time: trust none but ASCII
        return [(0x80, 0x10FFFF)]
    risky = {ord(c) for c, value in zip(chars, got) if fold_case(c) != value}
    out: list[list[int]] = []
    for code in sorted(risky):
        if out and code == out[-1][1] + 1:
            out[-1][1] = code
        else:
            out.append([code, code])
    return [(a, b) for a, b in out]
