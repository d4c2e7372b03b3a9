"""The scoredsl plugin: registers the SQL sources, sinks, outcome sources and state stores, one
scheme per database.

Found through the entry point ``sql = "scoredsl_sql.plugin"`` in the ``scoredsl`` group (see
``pyproject.toml``). ``postgres`` is another name for ``postgresql``, and ``mariadb`` for
``mysql`` (both use PyMySQL; the server is recognised when connecting).
"""

from __future__ import annotations

from scoredsl.api import hookimpl

# SQLAlchemy and the database drivers are imported when a source, sink or store is opened, not
# when the plugin is registered: `scoredsl check` loads every plugin and opens none.


def open_sql_source(*args, **kwargs):
    from .source import open_sql_source as open_source

    return open_source(*args, **kwargs)


def open_sql_sink(*args, **kwargs):
    from .sink import open_sql_sink as open_sink

    return open_sink(*args, **kwargs)


def open_sql_outcomes(*args, **kwargs):
    from .outcomes import open_sql_outcomes as open_outcomes

    return open_outcomes(*args, **kwargs)


def open_state_store(*args, **kwargs):
    from .state import open_state_store as open_store

    return open_store(*args, **kwargs)

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
def scoredsl_register_outcomes(registry) -> None:
    for scheme, database in _DATABASES.items():
        registry.add(scheme, open_sql_outcomes,
                     f"{database}: {_location(scheme)}?outcomes=TABLE|QUERY (contact_id, outcome, at)")


@hookimpl
def scoredsl_register_stores(registry) -> None:
    for scheme, database in _DATABASES.items():
        if scheme not in _WHERE:
            registry.add(scheme, open_state_store, f"{database} state store: {_location(scheme)}")
