"""The scoredsl plugin: registers the SQL sources and sinks, one scheme per database.

Found through the entry point ``sql = "scoredsl_sql.plugin"`` in the ``scoredsl`` group (see
``pyproject.toml``). ``postgres`` is another name for ``postgresql``, and ``mariadb`` for
``mysql`` (both use PyMySQL; the server is recognised when connecting).
"""

from __future__ import annotations

from scoredsl.api import hookimpl

from .sink import open_sql_sink
from .source import open_sql_source
from .state import open_state_store

_DATABASES = {
    "sqlite": "SQLite file",
    "duckdb": "DuckDB file",
    "postgresql": "PostgreSQL",
    "postgres": "PostgreSQL",
    "mysql": "MySQL/MariaDB",
    "mariadb": "MariaDB/MySQL",
}
_WHERE = {"sqlite": "PATH", "duckdb": "PATH"}


def _location(scheme: str) -> str:
    return f"{scheme}:{_WHERE.get(scheme, '//USER@HOST[:PORT]/DATABASE')}"


@hookimpl
def scoredsl_register_sources(registry) -> None:
    for scheme, database in _DATABASES.items():
        registry.add(scheme, open_sql_source,
                     f"{database}: {_location(scheme)}?contacts=TABLE|QUERY&events=TABLE|QUERY")


@hookimpl
def scoredsl_register_sinks(registry) -> None:
    for scheme, database in _DATABASES.items():
        registry.add(scheme, open_sql_sink,
                     f"{database} table, upserted in one transaction: {_location(scheme)}?table=scores")


@hookimpl
def scoredsl_register_stores(registry) -> None:
    for scheme, database in _DATABASES.items():
        if scheme not in _WHERE:
            registry.add(scheme, open_state_store, f"{database} state store: {_location(scheme)}")
