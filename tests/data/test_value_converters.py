"""Per-column converters (values.csv_converter / json_converter) are parse_csv_value and
parse_json_value: the same values and the same messages, packed or not, fast path or not."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import examples
from scoredsl.data.records import DataError, TypeSpec, epoch_micros
from scoredsl.data.values import BadValue, csv_converter, json_converter, parse_csv_value, parse_json_value

SPECS = [TypeSpec(base) for base in ("text", "int", "number", "bool", "date", "datetime")] + \
    [TypeSpec("text", is_list=True)]

digits = st.integers(0, 99).map(lambda n: f"{n:02d}")
years = st.sampled_from(["2024", "1970", "1969", "0001", "9999", "2023"])
dates = st.tuples(years, st.sampled_from(["01", "02", "06", "12", "13", "00"]),
                  st.sampled_from(["01", "28", "29", "30", "31", "32", "00"])).map("-".join)
times = st.tuples(st.sampled_from(["00", "09", "23", "24"]), st.sampled_from(["00", "30", "59", "60"]),
                  st.sampled_from(["00", "07", "59", "60"])).map(":".join)
zones = st.sampled_from(["Z", "z", "", "+00:00", "+02:00", "-05:30", "+0100", "+05", "-00:00", "+24:00", "Q"])
fractions = st.sampled_from(["", ".5", ".123456", ".1234567891", ",25", "."])
separators = st.sampled_from(["T", "t", " ", "_", ""])
datetimes = st.builds(lambda d, s, t, f, z: f"{d}{s}{t}{f}{z}", dates, separators, times, fractions, zones)
padding = st.sampled_from(["", " ", "\t", "\u00a0"])
cells = st.one_of(
    st.builds(lambda p, v, q: f"{p}{v}{q}", padding, datetimes, padding),
    st.builds(lambda p, v, q: f"{p}{v}{q}", padding, dates, padding),
    st.sampled_from(["", " ", "  \t", "0", "1", "007", "-12", "+7", "1.5", ".5", "5.", ".", "1e3", "1_000",
                     "١٢", "²", "nan", "inf", "-Infinity", "1" * 400, "true", "TRUE", "True", "tRuE", "yes",
                     "No", "maybe", "x", "a;b; ;c", ";", "2024-06-01", "20240601T0930", "2024-W01-1",
                     "2024-06-01T09", "2024-06-01T09:30", "2024-06-01T09:30:00", "2024-06-01 09:30:00+00:00"]),
    st.text(max_size=12),
)


def outcome(function, *args):
    try:
        return ("value", function(*args))
    except (BadValue, DataError) as exc:
        return ("error", getattr(exc, "message", str(exc)))


def packed(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return epoch_micros(value)
    return value


@settings(max_examples=examples(3000), deadline=None)
@given(raw=st.one_of(st.none(), cells))
def test_csv_converters_are_parse_csv_value(raw):
    for spec in SPECS:
        expected = outcome(parse_csv_value, raw, spec)
        convert, pack = csv_converter(spec), csv_converter(spec, packed=True)
        for _ in range(2):                   # the second time from what the first remembered
            assert outcome(convert, raw) == expected, spec
            kind, value = expected
            assert outcome(pack, raw) == (kind, packed(value) if kind == "value" else value), spec


json_values = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.integers(2 ** 60, 2 ** 1100),
                        st.floats(allow_nan=True, allow_infinity=True), cells,
                        st.lists(st.one_of(st.none(), cells, st.integers(0, 3)), max_size=3),
                        st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


@settings(max_examples=examples(2000), deadline=None)
@given(value=json_values)
def test_json_converters_are_parse_json_value(value):
    for spec in SPECS:
        expected = outcome(parse_json_value, value, spec)
        convert, pack = json_converter(spec), json_converter(spec, packed=True)
        for _ in range(2):
            assert outcome(convert, value) == expected, spec
            kind, result = expected
            assert outcome(pack, value) == (kind, packed(result) if kind == "value" else result), spec


@pytest.mark.parametrize("raw, micros", [
    ("2026-06-01T09:30:00Z", 1780306200000000),
    ("2026-06-01 09:30:00", 1780306200000000),
    ("2026-06-01T09:30:00+00:00", 1780306200000000),
    ("2026-06-01T11:30:00+02:00", 1780306200000000),
    ("1969-12-31T23:59:59Z", -1000000),
    ("1970-01-01T00:00:00Z", 0),
])
def test_packed_datetimes(raw, micros):
    convert = csv_converter(TypeSpec("datetime"), packed=True)
    assert convert(raw) == convert(raw) == micros


def test_a_bad_datetime_is_never_remembered():
    convert = csv_converter(TypeSpec("datetime"), packed=True)
    for raw in ("2026-02-30T09:30:00Z", "2026-02-28T24:00:00Z", "2026-02-28T23:60:00Z"):
        for _ in range(3):
            with pytest.raises(BadValue, match="is not a datetime"):
                convert(raw)
    assert convert("2026-02-28T23:59:59Z") == epoch_micros(dt.datetime(2026, 2, 28, 23, 59, 59,
                                                                      tzinfo=dt.timezone.utc))
