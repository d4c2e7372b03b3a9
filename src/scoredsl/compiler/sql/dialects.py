"""The SQL dialects scoredsl compiles to, and the error for what one of them cannot run."""

from __future__ import annotations

# mysql also serves MariaDB. SQLGlot is imported only when a command compiles to SQL, so that
# starting the CLI stays fast.
DIALECTS = ("duckdb", "postgres", "mysql", "spark", "snowflake", "bigquery")

# MariaDB's binary collation without padding: 'a' and 'a ' differ, as in Python.
MARIADB_BINARY = "utf8mb4_nopad_bin"


class SqlError(Exception):
    """The model uses something an SQL engine cannot run (each problem names its rule file place)."""
