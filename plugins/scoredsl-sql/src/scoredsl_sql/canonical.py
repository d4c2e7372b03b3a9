"""Pushdown support: the canonical relations (:mod:`scoredsl.data.canonical`), written as SELECTs over
the source's own tables or queries, so that ``--engine pushdown`` runs a model's query inside
PostgreSQL or MariaDB and only the result rows travel (see :mod:`scoredsl.engines.pushdown`).

Each value is converted **in SQL** to exactly what the Python reader makes of it
(:mod:`scoredsl_sql.typemap`) and then to its canonical encoding (:mod:`scoredsl.data.canonical`):

============ ======================================== ========================================
schema type  PostgreSQL                               MariaDB
============ ======================================== ========================================
text         ``concat(c)`` (``char(n)`` keeps its     ``CONVERT(c USING utf8mb4)``; NULL when
             padding, as psycopg returns it); NULL    nothing is left once stripped of the
             when ``btrim(v, WS)`` is empty (WS:      same white space (a PCRE class);
             every character ``str.isspace``          collation ``utf8mb4_nopad_bin`` (case,
             accepts); collation ``"default"``        accents, trailing spaces count)
int          ``CAST(c AS bigint)``                    ``CAST(c AS SIGNED)``
number       ``double precision``; ``real`` through   ``DOUBLE``; ``FLOAT`` through its text
             its text (what psycopg reads)            (what PyMySQL reads)
bool         ``c``                                    ``TINYINT(1)`` 0/1 as FALSE/TRUE
date         days since 1970 times 86400000000        ``DATEDIFF`` times 86400000000
datetime     ``timestamp`` as UTC, ``timestamptz``    ``TIMESTAMPDIFF(MICROSECOND, ...)``; the
             ``AT TIME ZONE 'UTC'``: exact integer    session runs in ``+00:00`` (TIMESTAMP
             microseconds, whatever the session zone  columns read in UTC)
list[text]   ``;``-separated text split, stripped     the same with ``REGEXP_REPLACE``
             and emptied items dropped with regexes;
             ``text[]`` items unnested in order
ids          stripped text (``btrim``); integers and  stripped text, ``utf8mb4_nopad_bin``,
             UUIDs as text; collation ``"default"``   a ``VARCHAR(200)`` (MariaDB indexes it)
============ ======================================== ========================================

Contacts keep the Python source's order in ``_sd_row``: a table is read ordered by its id
column, so ``ROW_NUMBER() OVER (ORDER BY id)``; with ``sorted=contact_id`` by the source's
code-point key of the id; a PostgreSQL query keeps its own order (``ROW_NUMBER() OVER ()``
over the query, which PostgreSQL numbers in the order the query returns). MariaDB ignores
``ORDER BY`` in subqueries and numbers ``OVER ()`` rows in no defined order, so there a contacts
*query* without ``sorted=`` is refused: name a table or a view.

:meth:`Pushdown.validation` is one query that counts every row the Python reader would reject or
skip (a missing or duplicate id, a value that does not fit, a missing type, contact id or
timestamp), every value that SQL could not convert exactly (a NaN, a PostgreSQL date beyond
what Python reads, a zero date in MariaDB, a text with a character the model's case folding
folds otherwise in this database than in Python), ids the reading order cannot tell apart (a
MariaDB collation's ``C1`` and ``c1``) or that are out of order once stripped (``sorted=``),
and, for the summary, the events of declared types, of other types, and without a contact.
Any problem makes the engine read through Python instead, so errors and ``--on-error skip``
are exactly those of the Python engine.

With a company block in the schema, the companies table or query becomes one more relation,
its ids stripped as contact ids are and its values converted as contacts' are; the contacts
relation joins it on each contact's ``company_id`` read as an id (stripped). The validation
also counts companies the Python reader would reject or hold twice, and returns a fifth value:
the contacts whose company id names no company.
"""

from __future__ import annotations

import functools
from typing import Iterable, Sequence

import attrs
import sqlalchemy as sa

from scoredsl.api import (COMPANY_ID, CONTACTS, LIST_ESC, LIST_SEP, WHITESPACE, DataSchema, EngineError, TypeSpec,
                          contacts_columns, event_columns, event_table)

from .backends import code_point_order
from .database import drop_connection
from .fields import company_fields, contact_fields, event_fields
from .typemap import IDENTITY, LABEL, DbColumn, Kind

__all__ = ["Hook", "Pushdown", "Session", "build"]

#: Helper relation: a query's events, read once for every event type.
IN_EVENTS = "_sd_in_events"
#: Helper relation: the companies, keyed by their stripped id, with their canonical values.
COMPANIES = "_sd_in_companies"
_V_CONTACTS, _V_EVENTS, _V_COMPANIES = "_sd_v_contacts", "_sd_v_events", "_sd_v_companies"
# The smallest numeric PostgreSQL rounds to infinity as a double (2**1024 - 2**970), and a bound
# below which it reports an underflow instead of rounding to a subnormal or zero.
_DOUBLE_OVERFLOW = 2 ** 1024 - 2 ** 970
_DOUBLE_UNDERFLOW = "1e-323"


class _NotExact(Exception):
    """This column's values are converted only by the Python reader (the reason)."""


def _ranges(codes: Iterable[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for code in sorted(set(codes)):
        if out and code == out[-1][1] + 1:
            out[-1][1] = code
        else:
            out.append([code, code])
    return [(a, b) for a, b in out]


_WS_RANGES = _ranges(ord(c) for c in WHITESPACE)


# ====================================================================== SQL per database

class _Sql:
    """The SQL text of one database family."""
    sqlgen = ""
    name = ""
    binary_collation: str | None = None

    def __init__(self, quote):
        self.quote = quote

    def lit(self, text: str) -> str:
        raise NotImplementedError

    def char_class(self, ranges: Sequence[tuple[int, int]]) -> str:
        parts = []
        for lo, hi in ranges:
            parts.append(self.code(lo) if lo == hi else f"{self.code(lo)}-{self.code(hi)}")
        return "[" + "".join(parts) + "]"

    def code(self, point: int) -> str:
        raise NotImplementedError

    # values every type needs
    def null(self, base: str) -> str:
        raise NotImplementedError

    def risky(self, v: str, ranges: Sequence[tuple[int, int]]) -> str:
        """True when text ``v`` holds a character of ``ranges`` (tested only on non-ASCII text
        when no range is ASCII: a cheap length test first)."""
        test = self.matches(v, self.char_class(ranges))
        if ranges and ranges[0][0] >= 0x80:
            return f"({self.non_ascii(v)} AND {test})"
        return test

    def case(self, test: str) -> str:
        return f"CASE WHEN {test} THEN 1 ELSE 0 END"

    def items(self, v: str) -> str:
        """A ``;``-separated text (not NULL) as the canonical list: items stripped, empty ones
        dropped, ``\\x1e``/``\\x1f`` escaped, joined by ``\\x1f`` and framed; NULL if none."""
        ws = self.char_class(_WS_RANGES)
        stripped = self.replace(v, f"{ws}*;{ws}*", ";")
        stripped = self.strip(stripped)
        stripped = self.replace(stripped, ";;+", ";")
        stripped = self.replace(stripped, f"^;|;{self.end}", "")
        kept = f"NULLIF({stripped}, '')"
        escaped = (f"REPLACE(REPLACE(REPLACE({kept}, {self.lit(LIST_ESC)}, {self.lit(LIST_ESC * 2)}), "
                   f"{self.lit(LIST_SEP)}, {self.lit(LIST_ESC + '1')}), ';', {self.lit(LIST_SEP)})")
        return self.concat(self.lit(LIST_SEP), escaped, self.lit(LIST_SEP))

    end = "$"

    def concat(self, *parts: str) -> str:
        return "(" + " || ".join(parts) + ")"


class _Postgres(_Sql):
    sqlgen = "postgres"
    name = "PostgreSQL"

    def lit(self, text: str) -> str:
        # E'' strings read the same whatever standard_conforming_strings says
        return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    def code(self, point: int) -> str:
        return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"

    def null(self, base: str) -> str:
        return {"text": 'CAST(NULL AS text) COLLATE "default"', "int": "CAST(NULL AS bigint)",
                "number": "CAST(NULL AS double precision)", "bool": "CAST(NULL AS boolean)",
                "date": "CAST(NULL AS bigint)", "datetime": "CAST(NULL AS bigint)"}[base]

    def ws(self) -> str:
        return self.lit(WHITESPACE)

    def strip(self, v: str) -> str:
        return f"btrim({v}, {self.ws()})"

    def replace(self, v: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({v}, {self.lit(pattern)}, {self.lit(replacement)}, 'g')"

    def matches(self, v: str, pattern: str) -> str:
        return f"({v} ~ {self.lit(pattern)})"

    def non_ascii(self, v: str) -> str:
        return f"octet_length({v}) <> char_length({v})"

    def exact(self, v: str) -> str:
        return f'({v}) COLLATE "default"'

    def before(self, a: str, b: str) -> str:
        """``b`` comes before ``a`` in code-point order (Python's ``str`` order)."""
        return f'{a} COLLATE "C" > {b} COLLATE "C"'

    def key(self, c: str, column: DbColumn, collation: str = '"default"') -> tuple[str, list[str]]:
        """A contact id or event type: stripped text, NULL when missing."""
        if column.kind not in (Kind.TEXT, Kind.INT, Kind.UUID):
            raise _NotExact(f"column {column.name!r} is {column.type_name}")
        return f"NULLIF({self.strip(f'concat({c})')}, '') COLLATE {collation}", []

    def label(self, c: str, column: DbColumn) -> tuple[str, list[str]]:
        return self.key(c, column, '"C"')

    def known_label(self, label: str, c: str, names: Sequence[str]) -> str:
        """``label`` (:meth:`label` of raw column ``c``), without stripping the text when it
        is one of ``names`` exactly: a declared name holds no white space, so it is its own
        stripped form. Stripping with the white-space set is the dearer test, and each event
        type's relation makes it on every row."""
        raw = f'concat({c}) COLLATE "C"'
        return f"CASE WHEN {raw} IN ({', '.join(self.lit(n) for n in names)}) THEN {raw} ELSE {label} END"

    def value(self, c: str, column: DbColumn, spec: TypeSpec) -> tuple[str, list[str]]:
        """``(canonical value, conditions true for a value the Python reader rejects or that
        SQL cannot convert exactly)`` of raw column ``c``."""
        kind, base = column.kind, spec.base
        if spec.is_list:
            if kind == Kind.TEXT:
                return self.exact(self.items(f"concat({c})")), []
            if kind == Kind.array(Kind.TEXT):
                item = "concat(u.x)"
                escaped = (f"replace(replace({item}, {self.lit(LIST_ESC)}, {self.lit(LIST_ESC * 2)}), "
                           f"{self.lit(LIST_SEP)}, {self.lit(LIST_ESC + '1')})")
                value = (f"(SELECT {self.lit(LIST_SEP)} || string_agg({escaped}, {self.lit(LIST_SEP)} "
                         f"ORDER BY u.o) || {self.lit(LIST_SEP)} FROM unnest({c}) WITH ORDINALITY AS u(x, o)) "
                         f'COLLATE "default"')
                bad = (f"(array_ndims({c}) > 1 OR EXISTS (SELECT 1 FROM unnest({c}) AS u(x) WHERE u.x IS NULL "
                       f"OR {self.strip(item)} = ''))")
                return value, [bad]
        elif base == "text" and kind == Kind.TEXT:
            v = f"concat({c})"
            return f"(CASE WHEN {self.strip(v)} = '' THEN NULL ELSE {v} END) COLLATE \"default\"", []
        elif base == "int" and kind == Kind.INT:
            return f"CAST({c} AS bigint)", []
        elif base == "number" and kind in (Kind.INT, Kind.FLOAT, Kind.DECIMAL):
            if kind == Kind.INT:
                return f"CAST({c} AS double precision)", []
            if kind == Kind.DECIMAL:
                bad = (f"({c} = 'NaN' OR abs({c}) >= {_DOUBLE_OVERFLOW} "
                       f"OR ({c} <> 0 AND abs({c}) < {_DOUBLE_UNDERFLOW}))")
                return f"CAST({c} AS double precision)", [bad]
            bad = f"({c} IN ('NaN', 'Infinity', '-Infinity'))"
            if column.type_name.lower() in ("real", "float4"):
                # psycopg reads a real as the text PostgreSQL prints for it
                return f"CAST(CAST({c} AS text) AS double precision)", [bad]
            return f"CAST({c} AS double precision)", [bad]
        elif base == "bool" and kind == Kind.BOOL:
            return c, []
        elif base == "date" and kind == Kind.DATE:
            return self._days(c), [self._date_range(c)]
        elif base == "datetime" and kind in (Kind.DATE, Kind.DATETIME, Kind.DATETIME_TZ):
            if kind == Kind.DATE:
                return self._days(c), [self._date_range(c)]
            if kind == Kind.DATETIME:
                low, high, utc = "TIMESTAMP '0001-01-03'", "TIMESTAMP '9999-12-29'", c
            else:
                low, high = "TIMESTAMPTZ '0001-01-03 00:00:00+00'", "TIMESTAMPTZ '9999-12-29 00:00:00+00'"
                utc = f"({c} AT TIME ZONE 'UTC')"
            micros = (f"(CAST(CAST({utc} AS date) - DATE '1970-01-01' AS bigint) * 86400000000 "
                      f"+ CAST(round(EXTRACT(EPOCH FROM CAST({utc} AS time)) * 1000000) AS bigint))")
            return micros, [f"(NOT isfinite({c}) OR {c} < {low} OR {c} > {high})"]
        raise _NotExact(f"column {column.name!r} is {column.type_name}, read as {spec} value by value")

    @staticmethod
    def _days(c: str) -> str:
        return f"(CAST({c} - DATE '1970-01-01' AS bigint) * 86400000000)"

    @staticmethod
    def _date_range(c: str) -> str:
        # psycopg reads no infinite, BC or five-digit year
        return f"(NOT isfinite({c}) OR {c} < DATE '0001-01-01' OR {c} > DATE '9999-12-31')"

    def empty(self, columns: list[tuple[str, str]]) -> str:
        return f"SELECT {', '.join(f'{v} AS {self.quote(n)}' for n, v in columns)} WHERE FALSE"


class _MariaDB(_Sql):
    sqlgen = "mysql"
    name = "MariaDB"
    binary_collation = "utf8mb4_nopad_bin"
    end = "\\z"

    def lit(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "''").replace("\0", "\\0") + "'"

    def code(self, point: int) -> str:
        return f"\\x{{{point:x}}}"

    def null(self, base: str) -> str:
        if base == "text":
            return f"CONVERT(NULL USING utf8mb4) COLLATE {self.binary_collation}"
        return "CAST(NULL AS DOUBLE)" if base == "number" else "CAST(NULL AS SIGNED)"

    def concat(self, *parts: str) -> str:
        return f"CONCAT({', '.join(parts)})"

    def _is_ws(self, v: str) -> str:
        return f"{v} COLLATE {self.binary_collation} IN ({', '.join(self.lit(c) for c in WHITESPACE)})"

    def strip(self, v: str) -> str:
        # Regexes only for the few values that start or end with white space, and SUBSTRING
        # rather than REGEXP_REPLACE: that returns LONGTEXT, which MariaDB cannot index when it
        # joins events to contacts by id (a nested loop over every pair instead).
        solid = self.lit("[^" + self.char_class(_WS_RANGES)[1:])
        first = f"REGEXP_INSTR({v}, {solid})"          # 0 when all white space: SUBSTRING gives ''
        last = f"REGEXP_INSTR(REVERSE({v}), {solid})"
        stripped = f"SUBSTRING({v}, {first}, CHAR_LENGTH({v}) - {last} - {first} + 2)"
        return (f"(CASE WHEN {self._is_ws(f'LEFT({v}, 1)')} OR {self._is_ws(f'RIGHT({v}, 1)')} "
                f"THEN {stripped} ELSE {v} END)")

    def replace(self, v: str, pattern: str, replacement: str) -> str:
        return f"REGEXP_REPLACE({v}, {self.lit(pattern)}, {self.lit(replacement)})"

    def matches(self, v: str, pattern: str) -> str:
        return f"({v} REGEXP {self.lit(pattern)})"

    def non_ascii(self, v: str) -> str:
        return f"LENGTH({v}) <> CHAR_LENGTH({v})"

    def exact(self, v: str) -> str:
        return f"({v}) COLLATE {self.binary_collation}"

    def before(self, a: str, b: str) -> str:
        return f"{a} > {b}"                 # both in utf8mb4_nopad_bin: code-point order

    @staticmethod
    def _text(c: str) -> str:
        return f"CONVERT({c} USING utf8mb4)"

    @staticmethod
    def _binary(c: str) -> str:
        # a binary string (BLOB, VARBINARY) reaches Python as bytes: not text
        return f"({c} IS NOT NULL AND CHARSET({c}) = 'binary')"

    #: The longest id the canonical relations hold as a short VARCHAR: MariaDB indexes no longer
    #: one (about 1000 bytes) when it joins events to contacts, and compares every pair instead.
    #: A longer id goes through Python.
    KEY_CHARS = 200

    def key(self, c: str, column: DbColumn) -> tuple[str, list[str]]:
        if column.kind == Kind.INT:
            return f"CONVERT(CAST({c} AS CHAR) USING utf8mb4) COLLATE {self.binary_collation}", []
        if column.kind != Kind.TEXT:
            raise _NotExact(f"column {column.name!r} is {column.type_name}")
        stripped = self.strip(self._text(c))
        return (f"LEFT(NULLIF({stripped}, ''), {self.KEY_CHARS}) COLLATE {self.binary_collation}",
                [self._binary(c), f"CHAR_LENGTH({stripped}) > {self.KEY_CHARS}"])

    def label(self, c: str, column: DbColumn) -> tuple[str, list[str]]:
        if column.kind != Kind.TEXT:
            raise _NotExact(f"column {column.name!r} is {column.type_name}")
        return (f"NULLIF({self.strip(self._text(c))}, '') COLLATE {self.binary_collation}",
                [self._binary(c)])

    def value(self, c: str, column: DbColumn, spec: TypeSpec) -> tuple[str, list[str]]:
        kind, base = column.kind, spec.base
        if kind == Kind.UNKNOWN:          # MySQL's NULL type: a bare NULL, always missing
            return self.null("text" if spec.is_list else base), []
        if spec.is_list:
            if kind == Kind.TEXT:
                return (f"({self.items(self._text(c))}) COLLATE {self.binary_collation}",
                        [self._binary(c)])
        elif base == "text" and kind == Kind.TEXT:
            v = self._text(c)
            return (f"(CASE WHEN CHAR_LENGTH({self.strip(v)}) = 0 THEN NULL ELSE {v} END) "
                    f"COLLATE {self.binary_collation}",
                    [self._binary(c)])
        elif base == "int" and kind == Kind.INT:
            return f"CAST({c} AS SIGNED)", [f"({c} > 9223372036854775807)"]
        elif base == "number" and kind in (Kind.INT, Kind.FLOAT, Kind.DECIMAL):
            if column.type_name == "FLOAT":
                # PyMySQL reads a FLOAT as the text MariaDB prints for it
                return f"CAST(CONCAT({c}) AS DOUBLE)", []
            return f"CAST({c} AS DOUBLE)", []
        elif base == "bool" and kind == Kind.BOOL:
            return f"(CASE {c} WHEN 1 THEN TRUE WHEN 0 THEN FALSE END)", [f"({c} NOT IN (0, 1))"]
        elif base in ("date", "datetime") and kind in (Kind.DATE, Kind.DATETIME) and (
                base == "datetime" or kind == Kind.DATE):
            if kind == Kind.DATE:
                value = f"(CAST(DATEDIFF({c}, '1970-01-01') AS SIGNED) * 86400000000)"
            else:
                value = f"TIMESTAMPDIFF(MICROSECOND, TIMESTAMP '1970-01-01 00:00:00', {c})"
            # zero dates and zero parts reach Python as text that does not parse
            bad = (f"({c} IS NOT NULL AND ({value} IS NULL OR YEAR({c}) = 0 OR MONTH({c}) = 0 "
                   f"OR DAYOFMONTH({c}) = 0))")
            return value, [bad]
        raise _NotExact(f"column {column.name!r} is {column.type_name}, read as {spec} value by value")

    def empty(self, columns: list[tuple[str, str]]) -> str:
        return f"SELECT {', '.join(f'{v} AS {self.quote(n)}' for n, v in columns)} FROM DUAL WHERE 1 = 0"


# ====================================================================== the relations

@attrs.define
class _Part:
    """One canonical column: its SQL, and the conditions that send the run to Python."""
    sql: str
    bad: list[str]
    text: bool = False            # lower-cased by the model: checked for characters at risk


class Pushdown:
    """What :class:`scoredsl.engines.pushdown.PushdownEngine` needs from a SQL source.

    * :attr:`dialect`: the SQL dialect of the model's query (:mod:`scoredsl.compiler.sql.dialects`);
    * :attr:`binary_collation`: the collation that compares text exactly (MariaDB);
    * :attr:`materialize`: whether ``WITH name AS MATERIALIZED (...)`` is understood;
    * :attr:`relations`: ``(name, SELECT)`` of the canonical relations (and their helpers), in
      an order where each only reads earlier ones;
    * :attr:`fallback`: why every value must be read by Python instead (``None``: it need not);
    * :meth:`validation`: the one query that finds rows the Python reader would reject;
    * :meth:`session`: connections to run it all (:class:`Session`).
    """

    def __init__(self, source, sql: _Sql, relations: list[tuple[str, str]], validation_parts,
                 fallback: str | None):
        self._source = source
        self._sql = sql
        self.dialect = sql.sqlgen
        self.binary_collation = sql.binary_collation
        # WITH ... AS MATERIALIZED: PostgreSQL 12 and later (before, every CTE is materialized)
        version = source.engine.dialect.server_version_info or (0,)
        self.materialize = sql.name == "PostgreSQL" and version >= (12,)
        self.relations = relations
        self._validation = validation_parts
        self.fallback = fallback
        self.display = source.db.display

    def quote(self, name: str) -> str:
        return self._sql.quote(name)

    def validation(self, risky: Sequence[tuple[int, int]]) -> str:
        """One query returning one row: ``(problems, events, ignored events, orphan events)``.

        ``problems`` counts rows that the Python reader would reject or skip, or whose text
        holds a character of ``risky`` (code point ranges the database folds otherwise than
        Python: :func:`scoredsl.engines.pushdown.at_risk`)."""
        return self._validation(risky)

    def session(self) -> "Session":
        return Session(self._source, self._sql)


class Session:
    """Connections for one run. PostgreSQL: one connection, one ``REPEATABLE READ`` snapshot,
    a server-side cursor per query. MariaDB: a connection per streamed query (an unbuffered
    cursor holds its connection until it is read to the end); the first reuses the connection
    of the check."""

    def __init__(self, source, sql: _Sql):
        self._db = source.db
        self._engine = source.engine
        self._sql = sql
        self._batch = source.batch_size
        self._connections: list = []
        self._main = None
        self._main_streaming = False
        self._results = 0

    def _connect(self):
        try:
            conn = self._engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            raise EngineError(f"{self._db.display}: cannot connect: {self._db.error(exc)}") from None
        self._connections.append(conn)
        if self._sql.name == "MariaDB":
            # the regexes (the model's and the conversions') assume PCRE's default flags
            self._run(lambda: conn.exec_driver_sql("SET SESSION default_regex_flags = ''"),
                      "setting default_regex_flags")
        return conn

    def _main_connection(self):
        if self._main is None:
            conn = self._connect()
            display = self._db.display
            if self._sql.name == "PostgreSQL":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                self._run(lambda: conn.begin(), "starting a transaction")
                encoding = self._run(lambda: conn.exec_driver_sql("SHOW server_encoding").scalar(),
                                     "reading the encoding")
                if str(encoding).upper() not in ("UTF8", "UTF-8"):
                    raise EngineError(f"{display}: pushdown needs a UTF8 database (this one is "
                                      f"{encoding}); use --engine python")
                # The planner cannot estimate the converted columns, so it overrates the query and
                # JIT-compiles its hundreds of expressions: a minute for a query of seconds.
                if self._run(lambda: conn.exec_driver_sql(
                        "SELECT count(*) FROM pg_settings WHERE name = 'jit'").scalar(), "reading settings"):
                    self._run(lambda: conn.exec_driver_sql("SET LOCAL jit = off"), "turning JIT off")
            else:
                mode = self._run(lambda: conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar(),
                                 "reading sql_mode")
                if "NO_BACKSLASH_ESCAPES" in str(mode or "").upper():
                    raise EngineError(f"{display}: pushdown needs backslash escapes in string "
                                      "literals; the session's sql_mode has NO_BACKSLASH_ESCAPES")
            self._main = conn
        return self._main

    def _run(self, call, what: str):
        try:
            return call()
        except sa.exc.SQLAlchemyError as exc:
            raise EngineError(f"{self._db.display}: {what} failed: {self._db.error(exc)}") from None

    def one(self, sql: str) -> tuple:
        conn = self._main_connection()
        return self._run(lambda: tuple(conn.exec_driver_sql(
            sql, execution_options={"no_parameters": True}).one()), "checking the data")

    @property
    def keeps_results(self) -> bool:
        """Whether :meth:`results` keeps a query's rows in the database (PostgreSQL)."""
        return self._sql.name == "PostgreSQL"

    def results(self, sql: str, tables: Sequence[tuple[str, Sequence[tuple[str, str]], list]] = ()) -> str:
        """PostgreSQL: run ``sql`` (a model's query) once into a temporary table of the run's
        transaction, after creating ``tables`` as :meth:`stream` does; the table's name.

        A server-side cursor runs its query without parallel workers, planned for its first
        rows: into a table the query runs a third faster on two cores."""
        conn = self._main_connection()
        for name, columns, rows in tables:
            self._run(lambda: self._temporary(conn, name, columns, rows), "loading the previous run's values")
        self._results += 1
        table = f"_sd_result_{self._results}"
        self._run(lambda: conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {self._sql.quote(table)} ON COMMIT DROP "
                                               f"AS {sql}", execution_options={"no_parameters": True}),
                  "running the model's query")
        return table

    def rows(self, sql: str, what: str = "reading the results"):
        """PostgreSQL: the rows of ``sql`` from a server-side cursor (``fetchmany`` streams them)."""
        conn = self._main_connection()
        options = {"no_parameters": True, "stream_results": True, "yield_per": self._batch}
        return _Fetch(self._run(lambda: conn.exec_driver_sql(sql, execution_options=options), what), self)

    def stream(self, sql: str, tables: Sequence[tuple[str, Sequence[tuple[str, str]], list]] = ()):
        """Run ``sql`` (a model's query: its rows in ``_sd_row`` order) on a server-side cursor;
        the result's ``fetchmany`` streams its rows.

        ``tables`` are created first, as temporary tables of the connection that runs ``sql``:
        ``(name, [(column, kind)], rows)`` with kinds ``key`` (an id, compared exactly),
        ``text`` and ``int`` (the previous run's values a model reads)."""
        if self.keeps_results:
            table = self._sql.quote(self.results(sql, tables))
            return self.rows(f"SELECT * FROM {table} ORDER BY {self._sql.quote('_sd_row')}")
        if not self._main_streaming:
            conn = self._main_connection()        # MariaDB: its first stream only
            self._main_streaming = True
        else:
            conn = self._connect()
        for name, columns, rows in tables:
            self._run(lambda: self._temporary(conn, name, columns, rows), "loading the previous run's values")
        options = {"no_parameters": True, "stream_results": True, "yield_per": self._batch}
        result = self._run(lambda: conn.exec_driver_sql(sql, execution_options=options),
                           "running the model's query")
        return _Fetch(result, self)

    def _temporary(self, conn, name: str, columns, rows) -> None:
        backend = self._db.backend
        types = {"key": backend.column_type("key", conn), "text": backend.column_type("key", conn),
                 "int": "BIGINT"}
        quoted = [(self._sql.quote(column), kind) for column, kind in columns]
        body = ", ".join(f"{column} {types[kind]}" for column, kind in quoted)
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {self._sql.quote(name)} ({body}){backend.table_options()}")
        marks = ", ".join(["%s"] * len(columns))           # psycopg and PyMySQL alike
        for start in range(0, len(rows), 10_000):
            conn.exec_driver_sql(f"INSERT INTO {self._sql.quote(name)} VALUES ({marks})",
                                 [tuple(r) for r in rows[start:start + 10_000]])

    def close(self) -> None:
        while self._connections:
            drop_connection(self._connections.pop())


class _Fetch:
    """A streamed result: ``fetchmany`` with database errors as :class:`EngineError`."""

    def __init__(self, result, session: Session):
        self.result = result
        self._session = session

    def fetchmany(self, size: int):
        return self._session._run(lambda: self.result.fetchmany(size), "reading the results")


class Hook:
    """``SqlSource.pushdown``: its ``dialect`` (for the engine's early check of what a model
    needs), and a call that builds the :class:`Pushdown` for a schema."""

    def __init__(self, source):
        self._source = source

    @property
    def dialect(self) -> str:
        backend = self._source.db.backend.name
        return {"postgresql": "postgres", "mysql": "mysql"}.get(backend, "duckdb")

    def __call__(self, schema: DataSchema) -> Pushdown:
        return build(self._source, schema)


def build(source, schema: DataSchema) -> Pushdown:
    """The pushdown of ``source`` (a :class:`~scoredsl_sql.source.SqlSource`) for ``schema``.

    Opening the source connected, so the engine's dialect knows the server; what depends on
    the session (encoding, ``sql_mode``) is checked when the run connects (:class:`Session`)."""
    db = source.db
    if db.backend.name not in ("postgresql", "mysql"):
        raise EngineError(f"{db.display}: pushdown runs on PostgreSQL and MariaDB; for a "
                          f"{db.backend.label} file use --engine duckdb, which reads it as fast")
    dialect = source.engine.dialect
    if db.backend.name == "postgresql":
        sql: _Sql = _Postgres(dialect.identifier_preparer.quote)
    elif not getattr(dialect, "is_mariadb", False):
        raise EngineError(f"{db.display}: pushdown runs on MariaDB, not MySQL (their collations and "
                          "regexes differ); use --engine python or duckdb")
    else:
        sql = _MariaDB(dialect.identifier_preparer.quote)
    return _Builder(source, schema, sql).build()


class _Builder:
    def __init__(self, source, schema: DataSchema, sql: _Sql):
        self.source = source
        self.schema = schema
        self.sql = sql
        self.fallback: str | None = None
        mapping = source._mapping
        self.contact_fields = contact_fields(schema, mapping["columns"])
        self.event_fields = {f.name: f for f in event_fields(schema, mapping["event_columns"])}
        self.company_fields = (company_fields(schema, mapping["company_columns"])
                               if schema.company is not None else None)

    def _part(self, make, what: str) -> _Part:
        try:
            value, bad = make()
        except _NotExact as exc:
            if self.fallback is None:
                self.fallback = f"{what}: {exc}"
            return _Part("NULL", [])
        return _Part(value, bad)

    def _field(self, plan, field, spec: TypeSpec | str) -> _Part:
        """The canonical value of ``field`` (read from ``s``) with its problems."""
        q = self.sql
        column = plan.resolved.get(field.name)
        if column is None:        # mapped to nothing: always missing
            return _Part(q.null("text" if spec in (IDENTITY, LABEL) or spec.is_list else spec.base), [])
        ref = f"s.{q.quote(column.name)}"
        what = f"{plan.relation.label}, {field.name}"
        if spec == IDENTITY:
            part = self._part(lambda: q.key(ref, column), what)
        elif spec == LABEL:
            part = self._part(lambda: q.label(ref, column), what)
        else:
            part = self._part(lambda: q.value(ref, column, spec), what)
            part.text = spec.base == "text"
        return part

    def _from(self, plan) -> str:
        relation = plan.relation
        if relation.table is not None:
            return f"{relation.table.quoted(self.source.engine.dialect)} AS s"
        if relation.kind == "events":
            return f"{self.sql.quote(IN_EVENTS)} AS s"
        return f"({relation.query}) AS s"

    def _companies(self, relations: list, names: dict) -> tuple[str, str, list[str], list[str]]:
        """The companies relation (added to ``relations``): each company's stripped id as ``k``
        and its values under their canonical contacts columns. Returns ``(the join onto the
        contacts' rows, the company columns it selects, the rows' problems, the texts the model
        may fold)``; the contact's ``company_id`` is stripped as ids are, and a value that
        cannot be read so is a problem too."""
        q, plan = self.sql, self.source.companies_plan
        fields = self.company_fields
        id_part = self._field(plan, fields[0], IDENTITY)
        parts = [(f, self._field(plan, f, self.schema.company[f.name])) for f in fields[1:]]
        selects = [f"{id_part.sql} AS k"] + [f"{part.sql} AS {q.quote(names['company.' + f.name])}"
                                             for f, part in parts]
        relations.append((COMPANIES, f"SELECT {', '.join(selects)} FROM {self._from(plan)}"))
        bad = ["(" + id_part.sql + ") IS NULL"] + id_part.bad + [b for _f, part in parts for b in part.bad]
        self._company_check = (f"SELECT {id_part.sql} AS i, {q.case(' OR '.join(bad))} AS b FROM {self._from(plan)}",
                               [id_part.sql] + [part.sql for _f, part in parts if part.text])
        contacts_plan = self.contacts_plan
        column = contacts_plan.resolved.get(COMPANY_ID)
        if column is None:
            key, key_bad = q.null("text"), []
        else:
            key_part = self._part(lambda: q.key(f"s.{q.quote(column.name)}", column),
                                  f"{contacts_plan.relation.label}, {COMPANY_ID}")
            key, key_bad = key_part.sql, key_part.bad
        self._company_key = key
        join = f" LEFT JOIN {q.quote(COMPANIES)} AS co ON co.k = {key}"
        columns = [f"co.k AS {q.quote(names['company.id'])}"]
        columns += [f"co.{q.quote(names['company.' + f.name])}" for f, _part in parts]
        return join, ", ".join(columns), key_bad, []

    def build(self) -> Pushdown:
        q, schema = self.sql, self.schema
        contacts_plan, events_plan = self.source.contacts_plan, self.source.events_plan
        # sorted=contact_id: the source reads both in the code-point order of the trimmed id
        sort_key = None
        if getattr(self.source, "ordered", False):
            sort_key = functools.partial(code_point_order, self.source.db.backend.name)
        if contacts_plan.relation.query is not None and isinstance(q, _MariaDB) and sort_key is None:
            raise EngineError(f"{self.source.db.display}: on MariaDB, pushdown cannot keep the row order "
                              "of a contacts query (MariaDB ignores ORDER BY in a subquery); give "
                              "contacts= a table or a view, whose contacts every engine reads in id order, "
                              "or add sorted=contact_id")
        relations: list[tuple[str, str]] = []

        # contacts
        self.contacts_plan = contacts_plan
        fields = self.contact_fields
        id_part = self._field(contacts_plan, fields[0], IDENTITY)
        props = [(f, self._field(contacts_plan, f, schema.contact[f.name])) for f in fields[1:]]
        names = {name: column for column, name, _spec in contacts_columns(schema)}
        join, company_columns, company_key_bad = "", "", []
        if self.company_fields is not None and self.source.companies_plan is not None:
            join, company_columns, company_key_bad, _texts = self._companies(relations, names)
        id_column = contacts_plan.resolved["id"]
        raw_id = f"s.{q.quote(id_column.name)}"
        # the order the source reads contacts in: sorted=, a table's id order, a query's own
        order = sort_key(raw_id) if sort_key else raw_id if contacts_plan.relation.table is not None else None
        row = f"ROW_NUMBER() OVER (ORDER BY {order})" if order else "ROW_NUMBER() OVER ()"
        selects = [f"{row} AS {q.quote('_sd_row')}", f"{id_part.sql} AS {q.quote('_sd_id')}"]
        selects += [f"{part.sql} AS {q.quote(names[f.name])}" for f, part in props]
        if company_columns:
            selects.append(company_columns)
        relations.append((CONTACTS, f"SELECT {', '.join(selects)} FROM {self._from(contacts_plan)}{join}"))
        contact_bad = ["(" + id_part.sql + ") IS NULL"] + id_part.bad + company_key_bad
        for _f, part in props:
            contact_bad += part.bad
        contact_text = [id_part.sql] + [part.sql for _f, part in props if part.text]

        # events
        declared = list(schema.events)
        per_type: list[tuple[str, list[str], list[str]]] = []    # (type, problems, text values)
        v_events = None
        if events_plan is not None:
            if events_plan.relation.query is not None:
                relations.append((IN_EVENTS, events_plan.relation.query))
            ef = self.event_fields
            cid = self._field(events_plan, ef["contact_id"], IDENTITY)
            kind = self._field(events_plan, ef["type"], LABEL)
            type_column = events_plan.resolved.get("type")
            if isinstance(q, _Postgres) and type_column is not None and declared and kind.sql != "NULL":
                kind = _Part(q.known_label(kind.sql, f"s.{q.quote(type_column.name)}", declared), kind.bad)
            stamp = self._field(events_plan, ef["timestamp"], TypeSpec("datetime"))
            raw_ts = f"s.{q.quote(events_plan.resolved['timestamp'].name)}"
            raw_cid = f"s.{q.quote(events_plan.resolved['contact_id'].name)}"
            events_from = self._from(events_plan)
            common = [f"({cid.sql}) IS NULL", f"{raw_ts} IS NULL"] + kind.bad + cid.bad + stamp.bad
            for index, event in enumerate(declared):
                attrs_ = [(column, self._field(events_plan, ef[name], spec))
                          for column, name, spec in event_columns(schema, event)]
                per_type.append((event, common + [b for _c, part in attrs_ for b in part.bad],
                                 [part.sql for _c, part in attrs_ if part.text]))
                selects = [f"{cid.sql} AS {q.quote('_sd_cid')}", f"{stamp.sql} AS {q.quote('_sd_ts')}"]
                selects += [f"{part.sql} AS {q.quote(column)}" for column, part in attrs_]
                relations.append((event_table(index), f"SELECT {', '.join(selects)} FROM {events_from} "
                                                      f"WHERE ({kind.sql}) = {q.lit(event)}"))

            def events_check(risky: Sequence[tuple[int, int]]) -> str:
                # k: 0 an event of an undeclared type, 1 a good event, 2 a row the Python
                # reader rejects; the type is computed once per row (CASE t WHEN ...)
                branches = []
                for event, problems, texts in per_type:
                    tests = problems + [q.risky(v, risky) for v in texts if risky]
                    branches.append(f"WHEN {q.lit(event)} THEN {q.case(' OR '.join(tests))} + 1")
                missing = " OR ".join([f"({kind.sql}) IS NULL"] + kind.bad)
                undeclared = f"CASE WHEN {missing} THEN 2 ELSE 0 END"
                k = f"CASE ({kind.sql}) {' '.join(branches)} ELSE {undeclared} END" if branches else undeclared
                key = f", {sort_key(raw_cid)} AS r" if sort_key else ""
                return f"SELECT {cid.sql} AS i, {k} AS k{key} FROM {events_from}"

            v_events = events_check
        else:
            for index, event in enumerate(declared):
                columns = [("_sd_cid", q.null("text")), ("_sd_ts", q.null("datetime"))]
                columns += [(column, q.null("text" if spec.is_list else spec.base))
                            for column, _n, spec in event_columns(schema, event)]
                relations.append((event_table(index), q.empty(columns)))

        in_events = [(n, s) for n, s in relations if n == IN_EVENTS]
        companies = bool(company_columns)

        def validation(risky: Sequence[tuple[int, int]]) -> str:
            contact_tests = list(contact_bad)
            if risky:
                contact_tests += [q.risky(v, risky) for v in contact_text]
            ctes = [f"{q.quote(n)} AS ({s})" for n, s in in_events]
            if companies:
                # companies the Python reader rejects or holds twice, and texts at risk; and the
                # contacts whose company id names no company, for the summary
                check, texts = self._company_check
                tests = [q.risky(v, risky) for v in texts] if risky else []
                if tests:
                    check = check.replace(" AS b FROM", f" + {q.case(' OR '.join(tests))} AS b FROM", 1)
                ctes.append(f"{q.quote(_V_COMPANIES)} AS ({check})")
            company_key = f", {self._company_key} AS ck" if companies else ""
            ctes.append(f"{q.quote(_V_CONTACTS)} AS (SELECT {id_part.sql} AS i, {order or 'NULL'} AS r, "
                        f"{q.case(' OR '.join(contact_tests))} AS b{company_key} FROM {self._from(contacts_plan)})")
            # duplicate ids, and (read in id order) ids the order cannot tell apart
            ties = " + COUNT(*) - COUNT(DISTINCT r)" if order else ""
            parts = [f"(SELECT COALESCE(SUM(b), 0) + COUNT(*) - COUNT(DISTINCT i){ties} AS problems "
                     f"FROM {q.quote(_V_CONTACTS)}) AS c"]
            if sort_key:
                # sorted=: the source stops at an id smaller (once stripped) than the one before
                parts.append(f"(SELECT COALESCE(SUM({q.case(q.before('p', 'i'))}), 0) AS problems FROM "
                             f"(SELECT i, LAG(i) OVER (ORDER BY r) AS p FROM {q.quote(_V_CONTACTS)}) AS x) AS cs")
            outputs = ["c.problems", "0", "0", "0"]
            if v_events is not None:
                ctes.append(f"{q.quote(_V_EVENTS)} AS ({v_events(risky)})")
                parts.append(f"(SELECT COALESCE(SUM({q.case('k = 2')}), 0) AS problems, "
                             f"COALESCE(SUM({q.case('k = 1')}), 0) AS events, "
                             f"COALESCE(SUM({q.case('k = 0')}), 0) AS ignored FROM {q.quote(_V_EVENTS)}) AS e")
                # both sides grouped: MariaDB then joins two materialized tables by key instead
                # of recomputing every contact's id for every event
                parts.append(f"(SELECT COALESCE(SUM(v.n), 0) AS orphans FROM (SELECT i, COUNT(*) AS n "
                             f"FROM {q.quote(_V_EVENTS)} WHERE k = 1 GROUP BY i) AS v LEFT JOIN "
                             f"(SELECT DISTINCT i FROM {q.quote(_V_CONTACTS)}) AS w ON w.i = v.i "
                             f"WHERE w.i IS NULL) AS o")
                outputs = ["c.problems + e.problems", "e.events", "e.ignored", "o.orphans"]
                if sort_key:
                    parts.append(f"(SELECT COALESCE(SUM({q.case(q.before('p', 'i'))}), 0) AS problems FROM "
                                 f"(SELECT i, LAG(i) OVER (ORDER BY r) AS p FROM {q.quote(_V_EVENTS)} "
                                 f"WHERE k = 1) AS x) AS es")
                    outputs[0] += " + es.problems"
            if sort_key:
                outputs[0] += " + cs.problems"
            if companies:
                parts.append(f"(SELECT COALESCE(SUM(b), 0) + COUNT(*) - COUNT(DISTINCT i) AS problems "
                             f"FROM {q.quote(_V_COMPANIES)}) AS co")
                parts.append(f"(SELECT COUNT(*) AS unknown FROM {q.quote(_V_CONTACTS)} AS x WHERE x.ck IS NOT NULL "
                             f"AND NOT EXISTS (SELECT 1 FROM {q.quote(_V_COMPANIES)} AS y WHERE y.i = x.ck)) AS u")
                outputs[0] += " + co.problems"
                outputs.append("u.unknown")
            return f"WITH {', '.join(ctes)} SELECT {', '.join(outputs)} FROM {' CROSS JOIN '.join(parts)}"

        return Pushdown(self.source, q, relations, validation, self.fallback)

