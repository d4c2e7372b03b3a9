"""Database column types against schema types, and database values as scoredsl's typed values.

Every column a source reads is first **classified** into a kind (by
:mod:`scoredsl_sql.backends`, from the database's own type reflection), and the kind is
checked against the schema type before any row is read (:func:`fits`). Then each value is
**converted** by the Python type the driver returns (:func:`converter`), because SQLite
stores any value in any column and a query's expression may have no declared type.

================= =================================================== ==========================
schema type        column kinds accepted                                a value becomes
================= =================================================== ==========================
text               text (char, varchar, text, enum)                     ``str``; empty or white
                                                                        space is missing
int                int (smallint, integer, bigint, MySQL tinyint)        ``int``
number             int, float, decimal                                  finite ``float``
bool               bool (PostgreSQL/DuckDB boolean, MySQL               ``bool``; 0/1 from an
                   ``TINYINT(1)``/``BOOLEAN``; SQLite also integer)      integer column
date               date (SQLite also text: ``YYYY-MM-DD``)               ``datetime.date``
datetime           timestamp, timestamp with time zone, date             aware ``datetime`` in
                   (SQLite also text: ISO 8601)                          UTC; naive is UTC
list[T]            text (items separated by ``;``), an array of T        ``tuple``
ids, event type    text, int, uuid (ids); text (event type)              stripped ``str``
================= =================================================== ==========================

A column without a declared type (an expression in a SQLite query, ``NULL`` in MySQL) is
accepted for every schema type; its values are checked one by one. Text values are parsed
exactly as CSV cells are (:func:`scoredsl.api.parse_csv_value`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from typing import Any, Callable

import attrs

from scoredsl.api import DataError, TypeSpec, parse_csv_value

__all__ = ["DbColumn", "Kind", "Columns", "fits", "wanted", "converter", "identity", "IDENTITY",
           "LABEL"]


class Kind:
    """Column kinds (plain strings; arrays are ``"array:" + element kind``)."""
    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    DECIMAL = "decimal"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"            # without time zone: taken as UTC
    DATETIME_TZ = "datetime_tz"
    UUID = "uuid"
    BINARY = "binary"
    JSON = "json"
    OTHER = "other"
    UNKNOWN = "unknown"              # no declared type: any value, checked per row

    @staticmethod
    def array(element: str) -> str:
        return f"array:{element}"


@attrs.frozen
class DbColumn:
    """A column of a table or query result: its name, its type as the database names it, its kind."""
    name: str
    type_name: str
    kind: str


class Columns:
    """The columns of a table or query by name: the exact name, else the one that matches
    ignoring case (databases differ in how they fold unquoted names)."""

    def __init__(self, columns: list[DbColumn]):
        self.all = list(columns)
        self._exact: dict[str, DbColumn] = {}
        self._counts: dict[str, int] = {}
        folded: dict[str, list[DbColumn]] = {}
        for column in columns:
            self._exact.setdefault(column.name, column)
            self._counts[column.name] = self._counts.get(column.name, 0) + 1
            folded.setdefault(column.name.casefold(), []).append(column)
        self._folded = {k: v[0] for k, v in folded.items() if len(v) == 1}

    def find(self, name: str) -> DbColumn | None:
        return self._exact.get(name) or self._folded.get(name.casefold())

    def duplicated(self, name: str) -> bool:
        return self._counts.get(name, 0) > 1


_ACCEPTS = {
    "text": {Kind.TEXT},
    "int": {Kind.INT},
    "number": {Kind.INT, Kind.FLOAT, Kind.DECIMAL},
    "bool": {Kind.BOOL},
    "date": {Kind.DATE},
    "datetime": {Kind.DATETIME, Kind.DATETIME_TZ, Kind.DATE},
}
# SQLite has no date, time or boolean storage: dates are ISO text, booleans integers.
_LOOSE = {
    "bool": {Kind.INT},
    "date": {Kind.TEXT},
    "datetime": {Kind.TEXT},
}
IDENTITY_KINDS = {Kind.TEXT, Kind.INT, Kind.UUID}
#: Pseudo-types for the fixed fields: contact ids (text, integer or uuid) and event types (text).
IDENTITY, LABEL = "identity", "label"


def fits(spec: TypeSpec | str, kind: str, *, loose: bool = False) -> bool:
    """Whether a column of ``kind`` can hold values of ``spec``.

    ``spec`` is a :class:`TypeSpec`, :data:`IDENTITY` (a contact id) or :data:`LABEL` (an
    event type). ``loose`` adds SQLite's conventions (dates as text, booleans as integers).
    """
    if kind == Kind.UNKNOWN:
        return True
    if spec == IDENTITY:
        return kind in IDENTITY_KINDS
    if spec == LABEL:
        return kind == Kind.TEXT
    accepted = set(_ACCEPTS[spec.base])
    if loose:
        accepted |= _LOOSE.get(spec.base, set())
    if spec.is_list:
        return kind == Kind.TEXT or kind in {Kind.array(k) for k in accepted | {Kind.UNKNOWN}}
    return kind in accepted


_WANTED = {"text": "text", "int": "integer", "number": "numeric", "bool": "boolean",
           "date": "date", "datetime": "timestamp"}


def wanted(spec: TypeSpec | str, *, loose: bool = False) -> str:
    """What a message says a column for ``spec`` should be ("an integer column")."""
    if spec == IDENTITY:
        return "a text, integer or uuid column"
    if spec == LABEL:
        return "a text column"
    base = _WANTED[spec.base]
    if spec.is_list:
        return f"text with items separated by ';', or an array of {base}"
    text = f"{'an' if base[0] in 'aeiou' else 'a'} {base} column"
    if loose and spec.base in ("date", "datetime"):
        text += " or ISO 8601 text"
    if loose and spec.base == "bool":
        text += " or 0/1 integers"
    return text


# ------------------------------------------------------------------ values

class Bad(ValueError):
    """A value that does not fit; the caller adds table, row and column."""


def converter(spec: TypeSpec) -> Callable[[Any], Any]:
    """A function from a driver value to the typed value of ``spec`` (``None`` when missing).

    It raises :class:`Bad` with a message for a value that does not fit.
    """
    scalar = _SCALARS[spec.base]
    if not spec.is_list:
        return scalar
    text_spec = spec

    def convert_list(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return _parse_text(value, text_spec)
        if isinstance(value, (list, tuple)):
            items = []
            for index, item in enumerate(value, 1):
                if item is None:
                    raise Bad(f"item {index} of the array is null")
                try:
                    converted = scalar(item)
                except Bad as exc:
                    raise Bad(f"item {index} of the array: {exc}") from None
                if converted is None:
                    raise Bad(f"item {index} of the array is empty")
                items.append(converted)
            return tuple(items)
        raise Bad(_not_a(value, str(spec)))
    return convert_list


def identity(value: Any, what: str) -> str:
    """A contact id or event type: a stripped, non-empty string (integers and UUIDs too)."""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, (int, uuid.UUID)) and not isinstance(value, bool):
        text = str(value)
    elif value is None:
        text = ""
    else:
        raise Bad(f"{_show(value)} is not a valid {what} (expected text or an integer)")
    if not text:
        raise Bad(f"missing {what}")
    return text


def _parse_text(text: str, spec: TypeSpec) -> Any:
    try:
        return parse_csv_value(text, spec)
    except DataError as exc:
        raise Bad(exc.message) from None


def _text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    raise Bad(_not_a(value, "text"))


def _int(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, decimal.Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str):
        return _parse_text(value, _SPECS["int"])
    raise Bad(_not_a(value, "int"))


def _number(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isfinite(number):
            return number
        raise Bad(f"{_show(value)} is not a finite number")
    if isinstance(value, str):
        return _parse_text(value, _SPECS["number"])
    raise Bad(_not_a(value, "number"))


def _bool(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _parse_text(value, _SPECS["bool"])
    raise Bad(_not_a(value, "bool", "expected true/false or 0/1"))


def _date(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        raise Bad(f"{_show(value)} is a timestamp, not a date")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return _parse_text(value, _SPECS["date"])
    raise Bad(_not_a(value, "date"))


_UTC = dt.timezone.utc


def _datetime(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        if value.tzinfo is _UTC:
            return value
        try:
            return value.astimezone(_UTC)
        except (OverflowError, ValueError) as exc:
            raise Bad(f"{_show(value)} is not a datetime: {exc}") from None
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=_UTC)
    if isinstance(value, str):
        return _parse_text(value, _SPECS["datetime"])
    raise Bad(_not_a(value, "datetime"))


_SCALARS: dict[str, Callable[[Any], Any]] = {
    "text": _text, "int": _int, "number": _number, "bool": _bool, "date": _date,
    "datetime": _datetime,
}
_SPECS = {base: TypeSpec(base) for base in _SCALARS}
_ARTICLE = {"text": "text", "int": "an int", "number": "a number", "bool": "a bool",
            "date": "a date", "datetime": "a datetime"}
_MAX_SHOWN = 40


def _not_a(value: Any, type_name: str, expected: str | None = None) -> str:
    article = _ARTICLE.get(type_name, f"a {type_name}")
    text = f"{_show(value)} is not {article}"
    return text + (f" ({expected})" if expected else "")


def _show(value: Any) -> str:
    """A driver value as messages show it: its repr, shortened, with its Python type."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"a binary value ({len(bytes(value))} bytes)"
    if isinstance(value, str):
        if len(value) <= _MAX_SHOWN:
            return repr(value)
        return f"{value[:_MAX_SHOWN]!r}... ({len(value)} characters)"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, (int, float, decimal.Decimal)):
        return f"number {value}"
    if isinstance(value, dt.datetime):
        return f"timestamp {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"date {value.isoformat()}"
    text = repr(value)
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN] + "..."
    return f"{type(value).__name__} {text}"
