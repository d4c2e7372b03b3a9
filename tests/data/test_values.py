"""Parsing raw values by declared type: the "Data" table of docs/language.md."""

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoredsl.data.records import DataError, TypeSpec
from scoredsl.data.values import format_datetime, parse_csv_value, parse_datetime, parse_json_value

UTC = dt.timezone.utc
TEXT, INT, NUMBER, BOOL = TypeSpec("text"), TypeSpec("int"), TypeSpec("number"), TypeSpec("bool")
DATE, DATETIME, TAGS = TypeSpec("date"), TypeSpec("datetime"), TypeSpec("text", is_list=True)
ALL = [TEXT, INT, NUMBER, BOOL, DATE, DATETIME, TAGS]


def csv_error(raw, spec):
    with pytest.raises(DataError) as info:
        parse_csv_value(raw, spec, file="contacts.csv", row=7, column="x")
    return info.value


def json_error(value, spec):
    with pytest.raises(DataError) as info:
        parse_json_value(value, spec, file="contacts.jsonl", row=3, column="x")
    return info.value


# ------------------------------------------------------------------ missing values

@pytest.mark.parametrize("spec", ALL, ids=str)
@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_empty_or_blank_cells_are_missing(spec, raw):
    assert parse_csv_value(raw, spec) is None


@pytest.mark.parametrize("spec", ALL, ids=str)
def test_json_null_is_missing(spec):
    assert parse_json_value(None, spec) is None


def test_blank_json_text_is_missing_but_empty_json_list_is_not():
    assert parse_json_value("  ", TEXT) is None
    assert parse_json_value([], TAGS) == ()


# ------------------------------------------------------------------ text cells

@pytest.mark.parametrize("raw, spec, expected", [
    (" Head of Sales ", TEXT, " Head of Sales "),
    ("-12", INT, -12), ("+7", INT, 7), (" 42 ", INT, 42), ("007", INT, 7),
    ("3.5", NUMBER, 3.5), ("1e3", NUMBER, 1000.0), ("-.5", NUMBER, -0.5), ("5.", NUMBER, 5.0),
    ("12", NUMBER, 12.0),
    ("true", BOOL, True), ("YES", BOOL, True), ("1", BOOL, True),
    ("False", BOOL, False), ("no", BOOL, False), ("0", BOOL, False),
    ("2024-06-01", DATE, dt.date(2024, 6, 1)),
    ("2024-06-01T09:30:00Z", DATETIME, dt.datetime(2024, 6, 1, 9, 30, tzinfo=UTC)),
    ("2024-06-01T09:30:00+02:00", DATETIME, dt.datetime(2024, 6, 1, 7, 30, tzinfo=UTC)),
    ("2024-06-01T09:30-0130", DATETIME, dt.datetime(2024, 6, 1, 11, 0, tzinfo=UTC)),
    ("2024-06-01 09:30:15", DATETIME, dt.datetime(2024, 6, 1, 9, 30, 15, tzinfo=UTC)),
    ("2024-06-01T09:30:15.1234567Z", DATETIME, dt.datetime(2024, 6, 1, 9, 30, 15, 123456, tzinfo=UTC)),
    ("2024-06-01", DATETIME, dt.datetime(2024, 6, 1, tzinfo=UTC)),
    ("analytics; crm;;", TAGS, ("analytics", "crm")),
    ("single", TAGS, ("single",)),
])
def test_csv_values(raw, spec, expected):
    value = parse_csv_value(raw, spec)
    assert value == expected and type(value) is type(expected)
    if isinstance(value, dt.datetime):
        assert value.tzinfo is UTC


def test_a_list_cell_without_items_is_missing():
    assert parse_csv_value(" ; ;", TAGS) is None


@pytest.mark.parametrize("raw, spec, message", [
    ("abc", INT, "'abc' is not an int"),
    ("12.0", INT, "'12.0' is not an int"),
    ("1_000", INT, "'1_000' is not an int"),
    ("١٢", INT, "'١٢' is not an int"),
    ("1,5", NUMBER, "'1,5' is not a number"),
    ("nan", NUMBER, "'nan' is not a number (NaN and infinity are not allowed)"),
    ("-Infinity", NUMBER, "'-Infinity' is not a number (NaN and infinity are not allowed)"),
    ("1e999", NUMBER, "'1e999' is not a finite number"),
    ("maybe", BOOL, "'maybe' is not a bool (expected true/false, yes/no or 1/0)"),
    ("01/06/2024", DATE, "'01/06/2024' is not a date (expected YYYY-MM-DD)"),
    ("2024-02-30", DATE, "'2024-02-30' is not a date: day is out of range for month"),
    ("2024-06-01T09:30:00Z", DATE, "is not a date (expected YYYY-MM-DD)"),
    ("yesterday", DATETIME, "'yesterday' is not a datetime (expected ISO 8601"),
    ("20240601T093000Z", DATETIME, "is not a datetime"),
    ("2024-06-01T25:00:00Z", DATETIME, "is not a datetime: hour must be in 0..23"),
    ("2024-06-01+02:00", DATETIME, "is not a datetime"),
    # Python's own parser would read +02:90 as +03:30
    ("2024-06-01T09:30:00+02:90", DATETIME, "'2024-06-01T09:30:00+02:90' is not a datetime: the minutes of its "
                                            "offset are beyond 59"),
    ("2024-06-01 09:30-0560", DATETIME, "the minutes of its offset are beyond 59"),
])
def test_csv_errors_are_precise(raw, spec, message):
    error = csv_error(raw, spec)
    assert message in error.message
    assert str(error).startswith("contacts.csv, row 7, column 'x': ")


def test_list_item_errors_name_the_item():
    error = csv_error("1;two", TypeSpec("int", is_list=True))
    assert error.message == "item 2 of '1;two': 'two' is not an int"


def test_long_values_are_shortened_in_messages():
    error = csv_error("x" * 500, INT)
    assert "(500 characters)" in error.message and len(error.message) < 120


# ------------------------------------------------------------------ JSON values

@pytest.mark.parametrize("value, spec, expected", [
    ("Acme", TEXT, "Acme"), (-12, INT, -12), (3, NUMBER, 3.0), (3.5, NUMBER, 3.5),
    (True, BOOL, True), (False, BOOL, False),
    ("2024-06-01", DATE, dt.date(2024, 6, 1)),
    ("2024-06-01T09:30:00+02:00", DATETIME, dt.datetime(2024, 6, 1, 7, 30, tzinfo=UTC)),
    (["a", "b"], TAGS, ("a", "b")),
])
def test_json_values(value, spec, expected):
    result = parse_json_value(value, spec)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("value, spec, message", [
    (42, TEXT, "42 is not text (expected a JSON string)"),
    ("12", INT, '"12" is not an int (expected a JSON integer)'),
    (12.0, INT, "12.0 is not an int (expected a JSON integer)"),
    (True, INT, "true is not an int (expected a JSON integer)"),
    (True, NUMBER, "true is not a number (expected a JSON number)"),
    (10 ** 400, NUMBER, "is not a finite number"),
    (math.inf, NUMBER, "Infinity is not a finite number"),
    ("yes", BOOL, '"yes" is not a bool (expected JSON true or false)'),
    (1, BOOL, "1 is not a bool (expected JSON true or false)"),
    (1717228800, DATETIME, "1717228800 is not a datetime (expected an ISO 8601 string)"),
    ("2024-13-01", DATE, "'2024-13-01' is not a date: month must be in 1..12"),
    ("a;b", TAGS, '"a;b" is not a list[text] (expected a JSON array of strings)'),
    (["a", 1], TAGS, 'item 2 of ["a", 1]: 1 is not text (expected a JSON string)'),
    (["a", None], TAGS, 'item 2 of ["a", null] is null'),
    (["a", " "], TAGS, 'item 2 of ["a", " "]: " " is empty'),
])
def test_json_errors_are_precise(value, spec, message):
    error = json_error(value, spec)
    assert message in error.message
    assert str(error).startswith("contacts.jsonl, row 3, column 'x': ")


# ------------------------------------------------------------------ laws

@given(st.integers())
def test_ints_round_trip(n):
    assert parse_csv_value(str(n), INT) == n
    assert parse_json_value(n, INT) == n


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_finite_floats_round_trip(x):
    assert parse_csv_value(repr(x), NUMBER) == x
    assert parse_json_value(x, NUMBER) == x


OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


@given(st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                    timezones=OFFSETS))
def test_datetimes_round_trip_through_iso(value):
    parsed = parse_csv_value(value.isoformat(), DATETIME)
    assert parsed == value and parsed.tzinfo is UTC


@given(st.datetimes(min_value=dt.datetime(1, 1, 2), timezones=st.just(UTC)))
def test_format_datetime_parses_back(value):
    assert parse_datetime(format_datetime(value)) == value


def test_format_datetime():
    assert format_datetime(dt.datetime(2024, 6, 1, 9, 30, tzinfo=UTC)) == "2024-06-01T09:30:00Z"
    assert format_datetime(dt.datetime(2024, 6, 1, 9, 30, 0, 5)) == "2024-06-01T09:30:00.000005Z"
    paris = dt.timezone(dt.timedelta(hours=2))
    assert format_datetime(dt.datetime(2024, 6, 1, 9, 30, tzinfo=paris)) == "2024-06-01T07:30:00Z"


def test_parse_datetime_raises_value_error():
    with pytest.raises(ValueError, match="is not a datetime"):
        parse_datetime("soon")
