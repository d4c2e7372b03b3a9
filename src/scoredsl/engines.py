"""Which engine runs a batch, and running it.

* ``python``: the reference evaluator (:mod:`scoredsl.runner`); every source, every model.
* ``duckdb``: the models compiled to SQL (:mod:`scoredsl.sqlgen`) on embedded DuckDB; CSV and
  Parquet sources are read by DuckDB itself, any other source through Python.
* ``pushdown``: the SQL runs inside the SQL source's own database; only results travel.
* ``spark``: the SQL runs on Spark SQL (local, a cluster, or Spark Connect).
* ``auto``: ``duckdb`` for file sources of at least :data:`AUTO_BYTES` of events, when every
  model can run as SQL; else ``python``.

Every engine gives the same results (see "Running on SQL engines" in the language reference);
a model that calls a plugin function runs only on ``python``.
"""

from __future__ import annotations

import os
from typing import Sequence

from .engine import CompiledModel

__all__ = ["ENGINES", "DIALECTS", "EngineError", "choose_engine", "run_engine", "AUTO_BYTES"]

ENGINES = ("python", "duckdb", "pushdown", "spark", "auto")
# The SQL dialects scoredsl compiles to (mysql also serves MariaDB); SQLGlot is imported only
# when a command needs it, so that starting the CLI stays fast.
DIALECTS = ("duckdb", "postgres", "mysql", "spark", "snowflake", "bigquery")
AUTO_BYTES = 32 << 20


class EngineError(Exception):
    """The chosen engine cannot run this model or source."""


def file_inputs(source):
    """The files of a CSV or Parquet source, for DuckDB to read; None for any other source."""
    from .duckfiles import Files

    fmt = getattr(source, "format", None)
    if fmt not in ("csv", "parquet"):
        return None
    return Files(fmt, source.contacts_path, source.events_path, getattr(source, "delimiter", ","))


def _sql_problems(models: Sequence[CompiledModel], dialect: str = "duckdb") -> list[str]:
    from .sqlgen import unsupported

    problems = []
    for model in models:
        for code, message, span in unsupported(model.ir, dialect):
            problems.append(f"{span.file}:{span.line}:{span.column}: {code} model '{model.name}': {message}")
    return problems


def choose_engine(engine: str, models: Sequence[CompiledModel], source) -> str:
    if engine == "python":
        return engine
    dialect = {"spark": "spark", "pushdown": getattr(getattr(source, "pushdown", None), "dialect", "duckdb")}
    problems = _sql_problems(models, dialect.get(engine, "duckdb"))
    if engine == "auto":
        files = file_inputs(source)
        if problems or files is None or files.events is None:
            return "python"
        return "duckdb" if os.path.getsize(files.events) >= AUTO_BYTES else "python"
    if problems:
        raise EngineError("this model needs the python engine:\n  " + "\n  ".join(problems))
    if engine == "pushdown" and not hasattr(source, "pushdown"):
        raise EngineError("pushdown needs a SQL source (sql:...) whose database runs the query; "
                          "this source has none")
    return engine


def run_engine(engine: str, models: Sequence[CompiledModel], source, sink, as_of: int, *, on_error: str,
               threads: int | None = None, config=None):
    if engine == "duckdb":
        from .sqlengine import run_duckdb
        return run_duckdb(models, source, sink, as_of, on_error=on_error, files=file_inputs(source),
                          threads=threads)
    if engine == "pushdown":
        from .pushdown import run_pushdown
        return run_pushdown(models, source, sink, as_of, on_error=on_error)
    if engine == "spark":
        from .sparkengine import run_spark
        settings = {} if config is None else config.spark_settings()
        return run_spark(models, source, sink, as_of, on_error=on_error, files=file_inputs(source),
                         threads=threads, settings=settings)
    raise EngineError(f"unknown engine {engine!r}")
