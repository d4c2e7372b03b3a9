"""Parse raw source values into typed values, by the declared :class:`~scoredsl.data.records.TypeSpec`.

Two entry points, one per kind of raw value (see "Data" in ``docs/language.md``):

* :func:`parse_csv_value` for text cells (CSV and any other text-only format);
* :func:`parse_json_value` for decoded JSON values (JSONL, document stores).

Both return ``None`` for a missing value and raise :class:`~scoredsl.data.records.DataError`, with the
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
``+HH`` (hours 00 to 23, minutes 00 to 59). No offset means UTC; a date alone is midnight UTC;
fractions beyond microseconds are truncated. The result is always an aware ``datetime`` in UTC. Week dates, ordinal dates and
the compact ``20240601T0930`` form are rejected: they are almost always a mistake in a CRM
export. Numbers (epoch seconds) are rejected for dates and datetimes.

Sources that read many values of the same column ask once per column for a converter
(:func:`csv_converter`, :func:`json_converter`): the same function of the raw value, with
the same results and the same messages, but with fast paths for the common forms (an ASCII
integer, ``true``, a text that is not blank, ``2026-06-01T09:30:00Z``) and, with
``packed=True``, dates and datetimes as epoch microseconds, the form the generated evaluators
read (see :func:`scoredsl.data.records.epoch_micros`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any, Callable

from scoredsl.data.records import DataError, TypeSpec, epoch_micros

__all__ = ["parse_csv_value", "parse_json_value", "parse_datetime", "parse_date",
           "format_datetime", "csv_converter", "json_converter", "BadValue", "LIST_SEPARATOR"]

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


class BadValue(ValueError):
    """A value that does not parse, without its location: what the functions of
    :func:`csv_converter` and :func:`json_converter` raise. The message is the one
    :func:`parse_csv_value` / :func:`parse_json_value` put in their :class:`DataError`; the
    caller adds the file, row and column."""


def parse_csv_value(raw: str | None, spec: TypeSpec, *, file: str | None = None,
                    row: int | None = None, column: str | None = None) -> Any:
    """The typed value of text cell ``raw`` (``None`` when missing); see the module docs."""
    try:
        return _from_text(raw, spec)
    except BadValue as exc:
        raise DataError(str(exc), file=file, row=row, column=column) from None


def parse_json_value(value: Any, spec: TypeSpec, *, file: str | None = None,
                     row: int | None = None, column: str | None = None) -> Any:
    """The typed value of decoded JSON ``value`` (``None`` when missing); see the module docs."""
    try:
        return _from_json(value, spec)
    except BadValue as exc:
        raise DataError(str(exc), file=file, row=row, column=column) from None


def parse_datetime(text: str) -> dt.datetime:
    """An ISO 8601 datetime (or date) as an aware UTC ``datetime``; ``ValueError`` if invalid."""
    try:
        return _datetime(text.strip())
    except BadValue as exc:
        raise ValueError(str(exc)) from None


def parse_date(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` date; ``ValueError`` if invalid."""
    try:
        return _date(text.strip())
    except BadValue as exc:
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
                except BadValue as exc:
                    raise BadValue(f"item {index} of {_show(raw)}: {exc}") from None
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


_SURROGATE = re.compile("[\ud800-\udfff]")

#: The most digits an int may have (Python's own limit for reading one from text).
MAX_INT_DIGITS = 4300


def _int(text: str) -> int:
    if _INT.fullmatch(text):
        if len(text.lstrip("+-")) > MAX_INT_DIGITS:
            raise BadValue(f"{_show(text)} has more than {MAX_INT_DIGITS:,} digits")
        return int(text)
    raise BadValue(_not_a(_show(text), "int", None))


def _number(text: str) -> float:
    if _NUMBER.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
        raise BadValue(f"{_show(text)} is not a finite number")
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise BadValue(f"{_show(text)} is not a number (NaN and infinity are not allowed)")
    raise BadValue(_not_a(_show(text), "number", None))


def _bool(text: str) -> bool:
    value = _BOOLS.get(text.lower())
    if value is None:
        raise BadValue(_not_a(_show(text), "bool", _EXPECTED_TEXT["bool"]))
    return value


def _date(text: str) -> dt.date:
    match = _DATE.fullmatch(text)
    if match is None:
        raise BadValue(_not_a(_show(text), "date", _EXPECTED_TEXT["date"]))
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise BadValue(f"{_show(text)} is not a date: {exc}") from None


def _datetime(text: str) -> dt.datetime:
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise BadValue(_not_a(_show(text), "datetime", _EXPECTED_TEXT["datetime"]))
    if (match.group(11) or "00") > "59":    # (Python's own parser takes +02:90 as +03:30)
        raise BadValue(f"{_show(text)} is not a datetime: the minutes of its offset are beyond 59")
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
        raise BadValue(f"{_show(text)} is not a datetime: {exc}") from None


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
        raise BadValue(f"{_show(text)} is not a datetime: {exc}") from None


_TEXT_PARSERS = {"int": _int, "number": _number, "bool": _bool, "date": _date,
                 "datetime": _datetime, "text": str}


# ------------------------------------------------------------------ converters

Converter = Callable[[Any], Any]

_UNKNOWN = object()
_INF = math.inf
_BOOL_CELLS = {"": None, **{spelling: value for word, value in _BOOLS.items()
                            for spelling in (word, word.upper(), word.capitalize())}}
_CACHE_LIMIT = 50_000                # distinct dates remembered per converter, or as datetime days
_UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_MICROS = dt.timedelta(microseconds=1)
# The common datetime forms: YYYY-MM-DD, T or a space, HH:MM:SS, then Z, +00:00 or nothing.
# Such a text is an instant in UTC: its date's midnight, remembered for each date the full
# parser has accepted in such a text, plus its hours and minutes, plus its seconds and zone.
_SIMPLE_DATETIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|\+00:00)?",
                              re.ASCII)
_DAY_MICROS: dict[str, int] = {}      # "2026-06-01" -> its midnight UTC in epoch microseconds
_HOUR_MINUTE_MICROS = {f"{h:02d}:{m:02d}": (h * 60 + m) * 60_000_000 for h in range(24) for m in range(60)}
_SECOND_ZONE_MICROS = {f":{s:02d}{zone}": s * 1_000_000 for s in range(60) for zone in ("Z", "", "+00:00")}


def csv_converter(spec: TypeSpec, *, packed: bool = False) -> Converter:
    """``raw -> value`` for text cells of type ``spec``: :func:`parse_csv_value` without the
    location (it raises :class:`BadValue`), faster. Made once per column.

    ``packed=True``: dates and datetimes become epoch microseconds (the form of
    :func:`scoredsl.compiler.python.packing.pack_event`); every other value is the same as unpacked.
    """
    if spec.is_list:
        return lambda raw: _from_text(raw, spec)
    base = spec.base
    if base == "text":
        return _text_cell
    if base == "int":
        def convert(raw):
            if raw and len(raw) < 19 and raw.isdigit() and raw.isascii():
                return int(raw)
            return _from_text(raw, spec)
    elif base == "number":
        def convert(raw):
            if raw and raw.isascii() and raw.replace(".", "", 1).isdigit():
                value = float(raw)
                if value != _INF:
                    return value
            return _from_text(raw, spec)
    elif base == "bool":
        def convert(raw):
            value = _BOOL_CELLS.get(raw, _UNKNOWN)
            return _from_text(raw, spec) if value is _UNKNOWN else value
    elif base == "date":
        convert = _date_converter(spec, packed)
    elif base == "datetime":
        convert = _packed_datetime_cell if packed else _datetime_cell
    else:
        raise ValueError(f"unknown type {base!r}")
    return convert


def json_converter(spec: TypeSpec, *, packed: bool = False) -> Converter:
    """``value -> value`` for decoded JSON values of type ``spec``: :func:`parse_json_value`
    without the location (it raises :class:`BadValue`), faster. ``packed`` as for
    :func:`csv_converter`."""
    if packed and spec.base in ("date", "datetime") and not spec.is_list:
        def slow(value):
            result = _from_json(value, spec)
            return None if result is None else epoch_micros(result)
    else:
        def slow(value):
            return _from_json(value, spec)
    if spec.is_list:
        return slow
    base = spec.base
    if base == "text":
        def convert(value):
            if value.__class__ is str and value.isascii():
                return value if value and not value.isspace() else None
            return slow(value)
    elif base in ("date", "datetime"):
        text = csv_converter(spec, packed=packed)    # a JSON string is read as a text cell

        def convert(value):
            return text(value) if value.__class__ is str else slow(value)
    elif base == "int":
        def convert(value):
            return value if value.__class__ is int else slow(value)
    elif base == "number":
        def convert(value):
            if value.__class__ is float and value - value == 0.0:       # finite
                return value
            return slow(value)
    elif base == "bool":
        def convert(value):
            return value if value.__class__ is bool else slow(value)
    else:
        raise ValueError(f"unknown type {base!r}")
    return convert


def _text_cell(raw: str | None) -> str | None:
    return raw if raw and not raw.isspace() else None


def _date_converter(spec: TypeSpec, packed: bool) -> Converter:
    """Dates repeat: each distinct cell is parsed once (up to a limit) and then remembered."""
    known: dict[str, Any] = {}

    def convert(raw):
        value = known.get(raw)
        if value is None:
            value = _from_text(raw, spec)
            if value is not None:
                if packed:
                    value = epoch_micros(value)
                if len(known) < _CACHE_LIMIT:
                    known[raw] = value
        return value
    return convert


def _packed_datetime_cell(raw: str | None) -> int | None:
    try:                      # a common form: the date, T or a space, HH:MM, then :SS and the zone
        if raw[10] in "T ":
            day = _DAY_MICROS.get(raw[:10])
            minutes = _HOUR_MINUTE_MICROS.get(raw[11:16])
            seconds = _SECOND_ZONE_MICROS.get(raw[16:])
            if day is not None and minutes is not None and seconds is not None:
                return day + minutes + seconds
    except (TypeError, IndexError):      # None, or too short
        pass
    value = _from_text(raw, _DATETIME_SPEC)
    if value is None:
        return None
    micros = epoch_micros(value)
    match = _SIMPLE_DATETIME.fullmatch(raw)
    if match is not None and len(_DAY_MICROS) < _CACHE_LIMIT:        # remember its date
        _DAY_MICROS[match.group(1)] = micros - _HOUR_MINUTE_MICROS[raw[11:16]] - _SECOND_ZONE_MICROS[raw[16:]]
    return micros


def _datetime_cell(raw: str | None) -> dt.datetime | None:
    micros = _packed_datetime_cell(raw)
    return None if micros is None else _EPOCH + _MICROS * micros


_DATETIME_SPEC = TypeSpec("datetime")


# ------------------------------------------------------------------ JSON values

def _from_json(value: Any, spec: TypeSpec) -> Any:
    if value is None:
        return None
    if spec.is_list:
        if not isinstance(value, list):
            raise BadValue(_not_a(_show_json(value), str(spec),
                              f"expected a JSON array of {_plural(spec.base)}"))
        items = []
        for index, item in enumerate(value, 1):
            if item is None:
                raise BadValue(f"item {index} of {_show_json(value)} is null")
            try:
                items.append(_scalar_json(item, spec.base, in_list=True))
            except BadValue as exc:
                raise BadValue(f"item {index} of {_show_json(value)}: {exc}") from None
        return tuple(items)
    return _scalar_json(value, spec.base)


def _scalar_json(value: Any, base: str, in_list: bool = False) -> Any:
    if base in ("text", "date", "datetime"):
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                raise BadValue(f"{_show_json(value)} holds a lone surrogate (\\ud800 to \\udfff), which is "
                               "not a character")
            if not value.strip():
                if in_list:
                    raise BadValue(f"{_show_json(value)} is empty")
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
            raise BadValue(f"{_show_json(value)} is not a finite number")
    elif base != "bool":
        raise ValueError(f"unknown type {base!r}")
    raise BadValue(_not_a(_show_json(value), base, _EXPECTED_JSON[base]))


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


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value.microsecond == 0 else \
        value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
