"""The engines by name, and the choice of one for a run.

* ``python``: the reference evaluator (:mod:`scoredsl.engines.python`); every source, every model.
* ``duckdb``: the models compiled to SQL (:mod:`scoredsl.compiler.sql`) on embedded DuckDB; CSV
  and Parquet sources are read by DuckDB itself, any other source through Python.
* ``pushdown``: the SQL runs inside the SQL source's own database; only results travel.
* ``spark``: the SQL runs on Spark SQL (local, a cluster, or Spark Connect).
* ``auto``: ``duckdb`` for file sources of at least :data:`AUTO_BYTES` of events, when every
  model can run as SQL; else ``python``.

Every engine gives the same results (see "Running on SQL engines" in the language reference);
a model that calls a plugin function runs only on ``python``. Engine modules are imported only
when chosen, so that a command that runs none stays quick to start.
"""

from __future__ import annotations

import os
from typing import Sequence

from scoredsl.compiler.model import CompiledModel
from scoredsl.engines.base import EngineError
from scoredsl.engines.frame import Engine

__all__ = ["ENGINES", "AUTO_BYTES", "engine_named", "choose_engine"]

ENGINES = ("python", "duckdb", "pushdown", "spark", "auto")
AUTO_BYTES = 10 << 20


def engine_named(name: str) -> Engine:
    """The engine called ``name`` (not ``auto``)."""
    if name == "python":
        from scoredsl.engines.python import PythonEngine
        return PythonEngine()
    if name == "duckdb":
        from scoredsl.engines.duckdb import DuckDBEngine
        return DuckDBEngine()
    if name == "pushdown":
        from scoredsl.engines.pushdown import PushdownEngine
        return PushdownEngine()
    if name == "spark":
        from scoredsl.engines.spark import SparkEngine
        return SparkEngine()
    raise EngineError(f"unknown engine {name!r}")


def choose_engine(name: str, models: Sequence[CompiledModel], source) -> Engine:
    """The engine to run ``models`` on ``source``: ``name``, or for ``auto`` the faster one that
    can; :class:`EngineError` when the named engine cannot."""
    if name == "auto":
        return engine_named(_auto(models, source))
    engine = engine_named(name)
    refusal = engine.refusal(models, source)
    if refusal is not None:
        raise EngineError(refusal)
    return engine


def _auto(models: Sequence[CompiledModel], source) -> str:
    from scoredsl.engines.duckdb import DuckDBEngine
    from scoredsl.engines.duckdb_files import Files

    files = Files.of(source)
    if DuckDBEngine().refusal(models, source) is not None or files is None or files.events is None:
        return "python"
    return "duckdb" if os.path.getsize(files.events) >= AUTO_BYTES else "python"
