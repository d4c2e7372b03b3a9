"""Outcomes for ``scoredsl backtest`` from a table or a query: ``SCHEME:...?outcomes=deals``.

The relation (a table, by default ``outcomes``, or a query starting with ``SELECT`` or
``WITH``) has the columns ``contact_id``, ``outcome`` and ``at``; ``columns=`` renames them
(``columns=contact_id:person,outcome:stage,at:closed_at``). ``at`` may be a timestamp (one
without a time zone is UTC), a date, or ISO 8601 text; ``contact_id`` may be text or an
integer. A table is read in the order of its three columns, so row numbers in messages are the
same from run to run; a query in its own order. A missing table, a failing query or a missing
column is a :class:`~scoredsl.api.SpecError` raised before any row is read; a row without a
contact id, an outcome or a date is a :class:`~scoredsl.api.DataError` naming the relation,
the row (counted from 1 as read) and the column.
"""

from __future__ import annotations

from typing import Iterator

import sqlalchemy as sa

from scoredsl.api import Outcome, Spec, SpecError, outcome

from .backends import strip_query
from .database import DEFAULT_BATCH_SIZE, Database, TableName
from .source import _QUERY

__all__ = ["open_sql_outcomes", "OUTCOME_OPTIONS"]

OUTCOME_OPTIONS = ("outcomes", "columns", "batch_size", "password_env")
FIELDS = ("contact_id", "outcome", "at")


def open_sql_outcomes(spec: Spec) -> list[Outcome]:
    """Every outcome of the relation the spec names (read here, then the connection closes)."""
    db = Database.from_spec(spec, OUTCOME_OPTIONS, "source")
    opts = db.options
    batch_size = opts.integer("batch_size", DEFAULT_BATCH_SIZE)
    relation = opts.text("outcomes", "outcomes")
    mapping = opts.mapping("columns")
    unknown = [name for name in mapping if name not in FIELDS]
    if unknown:
        raise SpecError(f"{db.display}: option columns maps {', '.join(map(repr, unknown))}; outcomes have "
                        f"the columns {', '.join(FIELDS)}")
    columns = {name: mapping.get(name) or name for name in FIELDS}
    engine = db.engine()
    try:
        return list(_read(db, engine, relation, columns, batch_size))
    finally:
        engine.dispose()


def _read(db: Database, engine, relation: str, columns: dict[str, str], batch_size: int) -> Iterator[Outcome]:
    dialect = engine.dialect
    quote = dialect.identifier_preparer.quote_identifier        # always quoted: AT is a keyword in DuckDB
    picked = ", ".join(quote(columns[name]) for name in FIELDS)
    if _QUERY.match(relation):
        label = "outcomes query"
        sql = f"SELECT {picked} FROM ({strip_query(relation)}) scoredsl_outcomes"
    else:
        try:
            table = TableName.parse(relation)
        except ValueError as exc:
            raise SpecError(f"{db.display}: outcomes=: {exc}, or a query starting with SELECT or WITH") from None
        label = f"table {table}"
        sql = f"SELECT {picked} FROM {table.quoted(dialect)} ORDER BY {picked}"
    try:
        conn = engine.connect()
    except sa.exc.SQLAlchemyError as exc:
        raise db.fail(SpecError, "cannot connect", exc) from None
    with conn:
        try:
            result = conn.exec_driver_sql(sql, execution_options={"no_parameters": True})
        except sa.exc.SQLAlchemyError as exc:
            wanted = ", ".join(f"{name}" + (f" (as {columns[name]})" if columns[name] != name else "")
                               for name in FIELDS)
            raise db.fail(SpecError, f"cannot read the outcomes from {label} (it needs the columns {wanted}; "
                                     "rename them with columns=contact_id:COLUMN,...)", exc) from None
        row = 0
        while True:
            batch = result.fetchmany(batch_size)
            if not batch:
                break
            for contact_id, what, at in batch:
                row += 1
                yield outcome(contact_id, what, at, where=label, row=row)
