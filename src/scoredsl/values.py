"""Parse raw source values into typed values, by the declared :class:`~scoredsl.data.TypeSpec`.

Two entry points, one per kind of raw value (see "Data" in ``docs/language.md``):

* :func:`parse_csv_value` for text cells (CSV and any other text-only format);
* :func:`parse_json_value` for decoded JSON values (JSONL, document stores).

Both return ``None`` for a missing value and raise :class:`~scoredsl.data.DataError`, with the
``file``, ``row`` and ``column`` they are given, for a value that does not parse. The rules:

============ ============================================== ===================================
type         text cell                                      JSON value
============ ============================================== ===================================
text         the cell, unchanged                            a string
int          ``[+-]?[0-9]+``                                an integer (not ``1.0``, not bool)
number       decimal or exponent form, finite               an integer or float, finite
bool         true/false/yes/no/1/0, any case                ``true`` / ``false``
date         ``YYYY-MM-DD``                                 a string, as for text cells
datetime     ISO 8601 (below)                               a string, as for text cells
list[text]   items separated by ``;``, each item stripped,  an array of strings (``[]`` is an
             empty items dropped                            empty list, not a missing one)
============ ============================================== ===================================

Missing: ``None`` / JSON ``null``, an empty cell, or a string made only of white space (for
every type, text included). A non-text cell is stripped of surrounding white space before it
is parsed; a text value is kept exactly as written.

Datetimes: ``YYYY-MM-DD``, optionally followed by ``T`` (or ``t`` or one space) and
``HH:MM[:SS[.fraction]]``, optionally followed by ``Z`` or an offset ``+HH:MM``, ``+HHMM`` or
``+HH``. No offset means UTC; a date alone is midnight UTC; fractions beyond microseconds are
truncated. The result is always an aware ``datetime`` in UTC. Week dates, ordinal dates and
the compact ``20240601T0930`` form are rejected: they are almost always a mistake in a CRM
export. Numbers (epoch seconds) are rejected for dates and datetimes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

from .data import DataError, TypeSpec

__all__ = ["parse_csv_value", "parse_json_value", "parse_datetime", "parse_date",
           "format_datetime", "LIST_SEPARATOR"]

LIST_SEPARATOR = ";"

_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DATETIME = re.compile(
    r"""([0-9]{4})-([0-9]{2})-([0-9]{2})
        (?:[Tt\ ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?
           (?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?
        )?""", re.ASCII | re.VERBOSE)
_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_ARTICLE = {"text": "text", "int": "an int", "number": "a number", "bool": "a bool",
            "date": "a date", "datetime": "a datetime"}
_EXPECTED_TEXT = {
    "bool": "expected true/false, yes/no or 1/0",
    "date": "expected YYYY-MM-DD",
    "datetime": "expected ISO 8601, e.g. 2024-06-01T09:30:00Z",
}
_EXPECTED_JSON = {
    "text": "expected a JSON string",
    "int": "expected a JSON integer",
    "number": "expected a JSON number",
    "bool": "expected JSON true or false",
    "date": "expected a string YYYY-MM-DD",
    "datetime": "expected an ISO 8601 string",
}
_MAX_SHOWN = 40


class _Bad(Exception):
    """A value problem without its location; the public functions add file, row and column."""


def parse_csv_value(raw: str | None, spec: TypeSpec, *, file: str | None = None,
                    row: int | None = None, column: str | None = None) -> Any:
    """The typed value of text cell ``raw`` (``None`` when missing); see the module docs."""
    try:
        return _from_text(raw, spec)
    except _Bad as exc:
        raise DataError(str(exc), file=file, row=row, column=column) from None


def parse_json_value(value: Any, spec: TypeSpec, *, file: str | None = None,
                     row: int | None = None, column: str | None = None) -> Any:
    """The typed value of decoded JSON ``value`` (``None`` when missing); see the module docs."""
    try:
        return _from_json(value, spec)
    except _Bad as exc:
        raise DataError(str(exc), file=file, row=row, column=column) from None


def parse_datetime(text: str) -> dt.datetime:
    """An ISO 8601 datetime (or date) as an aware UTC ``datetime``; ``ValueError`` if invalid."""
    try:
        return _datetime(text.strip())
    except _Bad as exc:
        raise ValueError(str(exc)) from None


def parse_date(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` date; ``ValueError`` if invalid."""
    try:
        return _date(text.strip())
    except _Bad as exc:
        raise ValueError(str(exc)) from None


def format_datetime(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (``.ffffff`` added only when there are microseconds).

    A naive ``value`` is taken to be UTC, as everywhere in scoredsl.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    value = value.astimezone(dt.timezone.utc)
    text = (f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
            f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


# ------------------------------------------------------------------ text cells

def _from_text(raw: str | None, spec: TypeSpec) -> Any:
    if raw is None:
        return None
    stripped = raw.strip()
    if not stripped:
        return None
    if spec.is_list:
        values = []
        for index, item in enumerate(raw.split(LIST_SEPARATOR), 1):
            item = item.strip()
            if item:
                try:
                    values.append(_scalar_text(item, spec.base))
                except _Bad as exc:
                    raise _Bad(f"item {index} of {_show(raw)}: {exc}") from None
        return tuple(values) if values else None
    if spec.base == "text":
        return raw
    return _scalar_text(stripped, spec.base)


def _scalar_text(text: str, base: str) -> Any:
    """``text`` (stripped, not empty) as a ``base`` value."""
    parse = _TEXT_PARSERS.get(base)
    if parse is None:
        raise ValueError(f"unknown type {base!r}")
    return parse(text)


def _int(text: str) -> int:
    if _INT.fullmatch(text):
        return int(text)
    raise _Bad(_not_a(_show(text), "int", None))


def _number(text: str) -> float:
    if _NUMBER.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
        raise _Bad(f"{_show(text)} is not a finite number")
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise _Bad(f"{_show(text)} is not a number (NaN and infinity are not allowed)")
    raise _Bad(_not_a(_show(text), "number", None))


def _bool(text: str) -> bool:
    value = _BOOLS.get(text.lower())
    if value is None:
        raise _Bad(_not_a(_show(text), "bool", _EXPECTED_TEXT["bool"]))
    return value


def _date(text: str) -> dt.date:
    match = _DATE.fullmatch(text)
    if match is None:
        raise _Bad(_not_a(_show(text), "date", _EXPECTED_TEXT["date"]))
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise _Bad(f"{_show(text)} is not a date: {exc}") from None


def _datetime(text: str) -> dt.datetime:
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise _Bad(_not_a(_show(text), "datetime", _EXPECTED_TEXT["datetime"]))
    try:  # fast path: the C parser accepts everything the pattern does, except t and z
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = _datetime_parts(text, match)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    if value.tzinfo is dt.timezone.utc:
        return value
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError as exc:
        raise _Bad(f"{_show(text)} is not a datetime: {exc}") from None


def _datetime_parts(text: str, match: re.Match) -> dt.datetime:
    year, month, day, hour, minute, second, fraction, _, sign, off_h, off_m = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    tz = None
    try:
        if sign:
            offset = dt.timedelta(hours=int(off_h), minutes=int(off_m or 0))
            tz = dt.timezone(-offset if sign == "-" else offset)
        return dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                           int(second or 0), micros, tzinfo=tz)
    except ValueError as exc:
        raise _Bad(f"{_show(text)} is not a datetime: {exc}") from None


_TEXT_PARSERS = {"int": _int, "number": _number, "bool": _bool, "date": _date,
                 "datetime": _datetime, "text": str}


# ------------------------------------------------------------------ JSON values

def _from_json(value: Any, spec: TypeSpec) -> Any:
    if value is None:
        return None
    if spec.is_list:
        if not isinstance(value, list):
            raise _Bad(_not_a(_show_json(value), str(spec),
                              f"expected a JSON array of {_plural(spec.base)}"))
        items = []
        for index, item in enumerate(value, 1):
            if item is None:
                raise _Bad(f"item {index} of {_show_json(value)} is null")
            try:
                items.append(_scalar_json(item, spec.base, in_list=True))
            except _Bad as exc:
                raise _Bad(f"item {index} of {_show_json(value)}: {exc}") from None
        return tuple(items)
    return _scalar_json(value, spec.base)


def _scalar_json(value: Any, base: str, in_list: bool = False) -> Any:
    if base in ("text", "date", "datetime"):
        if isinstance(value, str):
            if not value.strip():
                if in_list:
                    raise _Bad(f"{_show_json(value)} is empty")
                return None
            return value if base == "text" else _scalar_text(value.strip(), base)
    elif isinstance(value, bool):
        if base == "bool":
            return value
    elif base == "int":
        if isinstance(value, int):
            return value
    elif base == "number":
        if isinstance(value, (int, float)):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if math.isfinite(number):
                return number
            raise _Bad(f"{_show_json(value)} is not a finite number")
    elif base != "bool":
        raise ValueError(f"unknown type {base!r}")
    raise _Bad(_not_a(_show_json(value), base, _EXPECTED_JSON[base]))


# ------------------------------------------------------------------ messages

def _not_a(shown: str, type_name: str, expected: str | None) -> str:
    article = _ARTICLE.get(type_name, f"a {type_name}")
    return f"{shown} is not {article}" + (f" ({expected})" if expected else "")


def _plural(base: str) -> str:
    return "strings" if base in ("text", "date", "datetime") else f"{base}s"


def _show(text: str) -> str:
    """A raw text value as messages quote it: repr-quoted, long values shortened."""
    if len(text) > _MAX_SHOWN:
        return f"{text[:_MAX_SHOWN]!r}... ({len(text)} characters)"
    return repr(text)


def _show_json(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):  # pragma: no cover - not a decoded JSON value
        text = repr(value)
    if len(text) > _MAX_SHOWN:
        return f"{text[:_MAX_SHOWN]}... ({len(text)} characters)"
    return text
