"""The state store in PostgreSQL or MariaDB/MySQL: the tables of :mod:`scoredsl.data.state`
(``SqlState`` runs the same SQL everywhere), created on first use, and a run's transaction
held under the database's own lock (an advisory lock on PostgreSQL, a named lock on MariaDB)
so that two runs recording into one store take turns.

``[state] url = "postgresql://scoring@db/analytics"`` in ``scoredsl.toml``, or
``--state postgresql://...``. A password is best given with ``password_env=VARIABLE``.
"""

from __future__ import annotations

import sqlalchemy as sa

from scoredsl.api import Spec, SpecError, StateError, SqlState, STATE_INDEXES, STATE_TABLES

from .database import Database

_LOCK = "scoredsl-state"
KNOWN = ("password_env",)


def open_state_store(spec: Spec, keep: int | None = None) -> "DatabaseState":
    db = Database.from_spec(spec, KNOWN, "sink")
    if db.backend.file_based:
        raise SpecError(f"{db.display}: a file state store is SQLite, built in: give its path (--state FILE)")
    return DatabaseState(db, keep)


class DatabaseState(SqlState):
    param = "%s"

    def __init__(self, db: Database, keep: int | None = None):
        super().__init__(keep)
        self.db = db
        self.where = db.display
        self.mysql = db.backend.name == "mysql"
        try:
            self._engine = db.engine()
            self._conn = self._engine.connect()
            self._create()
        except sa.exc.SQLAlchemyError as exc:
            raise StateError(f"cannot open the state store {db.display}: {db.error(exc)}") from None

    def __repr__(self) -> str:
        return f"DatabaseState({self.db.display!r})"

    def _create(self) -> None:
        if self.mysql:
            types = {"text": "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "big": "BIGINT",
                     "long": "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"}
        else:
            types = {"text": 'TEXT COLLATE "C"', "big": "BIGINT", "long": "TEXT"}
        with self._conn.begin():
            self.db.backend.lock(self._conn, _LOCK)
            existing = set(sa.inspect(self._conn).get_table_names())
            for table, body in STATE_TABLES.items():
                if table not in existing:
                    self._conn.exec_driver_sql(f"CREATE TABLE {table} ({body.format(**types)})")
            indexes = {i["name"] for t in STATE_TABLES for i in sa.inspect(self._conn).get_indexes(t)}
            for index, on in STATE_INDEXES.items():
                if index not in indexes:
                    self._conn.exec_driver_sql(f"CREATE INDEX {index} ON {on}")
        if self.mysql:
            self._conn.exec_driver_sql("SELECT RELEASE_LOCK(%s)", (_LOCK,))
            self._conn.commit()

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            self._engine.dispose()

    def _execute(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            result = self._conn.exec_driver_sql(self._sql(sql), tuple(args))
            rows = [tuple(r) for r in result] if result.returns_rows else []
        except sa.exc.SQLAlchemyError as exc:
            raise StateError(f"{self.db.display}: {self.db.error(exc)}") from None
        return rows

    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        try:
            self._conn.exec_driver_sql(self._sql(sql), [tuple(r) for r in rows])
        except sa.exc.SQLAlchemyError as exc:
            raise StateError(f"{self.db.display}: {self.db.error(exc)}") from None

    def _begin(self) -> None:
        if self._conn.in_transaction():
            self._conn.commit()          # reads outside a run autobegin a transaction: end it
        self._conn.begin()
        try:
            self.db.backend.lock(self._conn, _LOCK)
        except sa.exc.SQLAlchemyError as exc:
            self._conn.rollback()
            raise StateError(f"the state store {self.db.display} is busy ({self.db.error(exc)}): "
                             "is another run going on?") from None

    def _commit(self) -> None:
        self._conn.commit()
        self._release()

    def _rollback(self) -> None:
        if self._conn.in_transaction():
            self._conn.rollback()
        self._release()

    def _release(self) -> None:
        if self.mysql:
            self._conn.exec_driver_sql("SELECT RELEASE_LOCK(%s)", (_LOCK,))
            self._conn.commit()

    def _insert_ignore(self, table: str, width: int) -> str:
        marks = ", ".join("?" * width)
        if self.mysql:
            return f"INSERT IGNORE INTO {table} VALUES ({marks})"
        return f"INSERT INTO {table} VALUES ({marks}) ON CONFLICT DO NOTHING"

    def _forget_records(self) -> str:
        latest = ("SELECT model, contact_id, MAX(as_of) AS latest FROM scoredsl_records GROUP BY model, contact_id")
        if self.mysql:   # MariaDB cannot delete from a table its own subquery reads, but for a derived table
            return (f"DELETE r FROM scoredsl_records r JOIN ({latest}) l ON l.model = r.model AND "
                    "l.contact_id = r.contact_id WHERE r.as_of < ? AND r.as_of < l.latest")
        return (f"DELETE FROM scoredsl_records r USING ({latest}) l WHERE l.model = r.model AND "
                "l.contact_id = r.contact_id AND r.as_of < ? AND r.as_of < l.latest")
