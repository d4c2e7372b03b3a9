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

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("scoredsl-sql")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
