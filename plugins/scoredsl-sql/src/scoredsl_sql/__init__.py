"""scoredsl-sql: read contacts and events from, and write scores to, SQL databases.

A scoredsl plugin (entry point ``sql`` in the ``scoredsl`` group, module
:mod:`scoredsl_sql.plugin`) that registers the source and sink schemes ``sqlite``,
``duckdb``, ``postgresql`` (also ``postgres``), ``mysql`` and ``mariadb``. See the README for
specs and options; the modules are:

* :mod:`scoredsl_sql.database`: a spec turned into a SQLAlchemy engine, its options, and
  error messages that never show a password;
* :mod:`scoredsl_sql.backends`: what differs between the databases (column types, type
  reflection, bulk staging, upsert syntax);
* :mod:`scoredsl_sql.typemap`: which database column types fit which schema types, and how
  database values become scoredsl's typed values;
* :mod:`scoredsl_sql.source` and :mod:`scoredsl_sql.sink`: the source and the sink.
"""

__all__ = ["__version__"]


def __getattr__(name: str):
    # read from the distribution's metadata only when asked for: scoredsl loads this plugin
    # on every command, and importing importlib.metadata costs each of them
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("scoredsl-sql")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'scoredsl_sql' has no attribute {name!r}")
