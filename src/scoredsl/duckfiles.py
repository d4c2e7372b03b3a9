"""DuckDB reads the source's files itself: CSV and Parquet, into the canonical relations of
:mod:`scoredsl.sqlgen`, by the same rules for values as :mod:`scoredsl.values`.

This is only a faster way to the same tables. Before anything is scored, one query looks for
anything the rules would reject or that needs a person's attention: a value that does not parse,
a missing or duplicate id, a missing timestamp, a malformed row. If there is any, the files are
read again by the Python reader instead, which finds the first problem and reports it (or, with
``--on-error skip``, skips exactly the rows the Python engine skips). So errors, skipped rows and
results are the same as on the Python engine, whatever the data.

Parquet columns of any type are read as their text form (timestamps in UTC) and then follow the
rules for CSV cells, so a Parquet file and its CSV export give the same scores.
"""

from __future__ import annotations

import csv
import sys

import attrs

from .data import DataSchema, TypeSpec
from .runner import RunSummary
from .sqlengine import create_tables
from .sqlgen import CONTACTS, LIST_ESC, LIST_SEP, contacts_columns, event_columns, event_table

__all__ = ["Files", "load_files", "WHITESPACE"]

# What Python's str.strip() removes, so that "blank" means the same in SQL.
WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())

_DATETIME = (r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
             r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?$")
_PARTS = ["y", "mo", "d", "h", "mi", "s", "f", "z", "sg", "oh", "om"]


@attrs.frozen
class Files:
    format: str                 # "csv" or "parquet"
    contacts: str
    events: str | None
    delimiter: str = ","


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_WS = _q(WHITESPACE)


def _stripped(raw: str) -> str:
    return f"trim({raw}, {_WS})"


def _blank(raw: str) -> str:
    return f"({raw} IS NULL OR {_stripped(raw)} = '')"


def convert(raw: str, spec: TypeSpec) -> str:
    """SQL for the canonical value of text ``raw``; NULL for a missing value *and* for a value
    that does not parse (:func:`valid` tells the two apart)."""
    s = _stripped(raw)
    if spec.is_list:
        items = (f"list_filter(list_transform(string_split({raw}, ';'), x -> trim(x, {_WS})), x -> x <> '')")
        escaped = (f"list_transform({items}, x -> replace(replace(x, {_q(LIST_ESC)}, {_q(LIST_ESC * 2)}), "
                   f"{_q(LIST_SEP)}, {_q(LIST_ESC + '1')}))")
        return (f"CASE WHEN {_blank(raw)} OR len({items}) = 0 THEN NULL ELSE "
                f"{_q(LIST_SEP)} || array_to_string({escaped}, {_q(LIST_SEP)}) || {_q(LIST_SEP)} END")
    base = spec.base
    if base == "text":
        return f"CASE WHEN {_blank(raw)} THEN NULL ELSE {raw} END"
    if base == "int":
        return f"CASE WHEN regexp_full_match({s}, '[+-]?[0-9]+') THEN TRY_CAST({s} AS BIGINT) END"
    if base == "number":
        pattern = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
        value = f"TRY_CAST({s} AS DOUBLE)"
        return f"CASE WHEN regexp_full_match({s}, {_q(pattern)}) AND isfinite({value}) THEN {value} END"
    if base == "bool":
        return (f"CASE WHEN lower({s}) IN ('true', 'yes', '1') THEN TRUE "
                f"WHEN lower({s}) IN ('false', 'no', '0') THEN FALSE END")
    if base == "date":
        return (f"CASE WHEN regexp_full_match({s}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND {s} >= '0001' "
                f"THEN epoch_us(CAST(TRY_CAST({s} AS DATE) AS TIMESTAMP)) END")
    if base == "datetime":
        return _datetime(s)
    raise ValueError(f"unknown type {base!r}")


def _datetime(s: str) -> str:
    p = f"regexp_extract({s}, {_q(_DATETIME)}, {[*_PARTS]!r})"

    def part(name: str, default: str = "0") -> str:
        return f"CAST(coalesce(nullif({p}.{name}, ''), '{default}') AS BIGINT)"

    date = f"TRY_CAST({p}.y || '-' || {p}.mo || '-' || {p}.d AS DATE)"
    fraction = f"CAST(rpad(left(coalesce({p}.f, ''), 6), 6, '0') AS BIGINT)"
    offset = f"(({part('oh')}) * 3600000000 + ({part('om')}) * 60000000)"
    value = (f"epoch_us(CAST({date} AS TIMESTAMP)) + {part('h')} * 3600000000 + {part('mi')} * 60000000 "
             f"+ {part('s')} * 1000000 + {fraction} - CASE WHEN {p}.sg = '-' THEN -1 ELSE 1 END * {offset}")
    ok = (f"regexp_full_match({s}, {_q(_DATETIME)}) AND {p}.y >= '0001' AND {date} IS NOT NULL "
          f"AND {part('h')} <= 23 AND {part('mi')} <= 59 AND {part('s')} <= 59 "
          f"AND {part('oh')} <= 23 AND {part('om')} <= 59")
    return f"CASE WHEN {ok} THEN {value} END"


def _bad(raw: str, spec: TypeSpec) -> str:
    """True where a present value does not parse."""
    return f"(NOT {_blank(raw)} AND ({convert(raw, spec)}) IS NULL)"


def _header(path: str, delimiter: str) -> list[str] | None:
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            return [cell.strip() for cell in next(csv.reader(file, delimiter=delimiter, strict=True))]
    except (OSError, StopIteration, UnicodeDecodeError, csv.Error):
        return None


def _relation(files: Files, path: str) -> tuple[str, dict[str, str]] | None:
    """A DuckDB table expression with every cell as text, and the text of each named column."""
    if files.format == "parquet":
        return f"read_parquet({_q(path)})", None
    header = _header(path, files.delimiter)
    if header is None or len(set(header)) != len(header) or "" in header:
        return None
    names = {name: f"c{i}" for i, name in enumerate(header)}
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    relation = (f"read_csv({_q(path)}, header = true, columns = {columns}, auto_detect = false, "
                f"delim = {_q(files.delimiter)}, quote = '\"', escape = '\"', strict_mode = true, "
                f"null_padding = false, parallel = true)")
    return relation, names


def load_files(con, files: Files, schema: DataSchema, summary: RunSummary) -> bool:
    """Fill the canonical tables from ``files``; False (and nothing loaded) when the Python reader
    must do it: the files hold something it rejects, skips or reports."""
    import duckdb

    con.execute("SET TimeZone = 'UTC'")
    try:
        return _load(con, files, schema, summary)
    except duckdb.Error:
        # a malformed file: the Python reader reports where and why
        return False


def _text_columns(con, relation: str, names: dict[str, str] | None, wanted: list[str]) -> dict[str, str]:
    """SQL for the text of each wanted column (NULL when the file has no such column)."""
    if names is None:   # Parquet: every column cast to text
        present = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        return {w: (f"CAST({_ident(w)} AS VARCHAR)" if w in present else "CAST(NULL AS VARCHAR)") for w in wanted}
    return {w: (_ident(names[w]) if w in names else "CAST(NULL AS VARCHAR)") for w in wanted}


def _load(con, files: Files, schema: DataSchema, summary: RunSummary) -> bool:
    found = _relation(files, files.contacts)
    if found is None:
        return False
    relation, names = found
    props = contacts_columns(schema)
    text = _text_columns(con, relation, names, ["id"] + [n for _c, n, _s in props])
    if text["id"].startswith("CAST(NULL"):
        return False
    con.execute(f"CREATE TEMPORARY TABLE _sd_raw_contacts AS SELECT * FROM {relation}")
    source = "_sd_raw_contacts"
    problems = [_blank(text["id"])] + [_bad(text[n], s) for _c, n, s in props]
    bad = con.execute(f"SELECT count(*) FROM {source} WHERE {' OR '.join(problems)}").fetchone()[0]
    duplicates = con.execute(f"SELECT count(*) - count(DISTINCT {_stripped(text['id'])}) FROM {source}").fetchone()[0]
    if bad or duplicates:
        con.execute(f"DROP TABLE {source}")
        return False

    event_sources = []
    if files.events is not None:
        found = _relation(files, files.events)
        if found is None:
            return False
        erelation, enames = found
        attrs = sorted({n for event in schema.events for _c, n, _s in event_columns(schema, event)})
        etext = _text_columns(con, erelation, enames, ["contact_id", "type", "timestamp"] + attrs)
        if any(etext[k].startswith("CAST(NULL") for k in ("contact_id", "type", "timestamp")):
            return False
        con.execute(f"CREATE TEMPORARY TABLE _sd_raw_events AS SELECT * FROM {erelation}")
        kind = _stripped(etext["type"])
        declared = ", ".join(_q(e) for e in schema.events) or "NULL"
        checks = []
        for event in schema.events:
            tests = [_bad(etext[n], s) for _c, n, s in event_columns(schema, event)]
            if tests:
                checks.append(f"({kind} = {_q(event)} AND ({' OR '.join(tests)}))")
        timestamp = TypeSpec("datetime")
        problems = [_blank(etext["type"]),
                    f"({kind} IN ({declared}) AND ({_blank(etext['contact_id'])} OR {_blank(etext['timestamp'])} "
                    f"OR {_bad(etext['timestamp'], timestamp)}))"] + checks
        bad, ignored = con.execute(
            f"SELECT count(*) FILTER (WHERE {' OR '.join(problems)}), "
            f"count(*) FILTER (WHERE NOT {_blank(etext['type'])} AND {kind} NOT IN ({declared})) "
            f"FROM _sd_raw_events").fetchone()
        if bad:
            return False
        event_sources.append((etext, kind, ignored))

    create_tables(con.execute, schema, temporary=False)
    columns = ", ".join(["row_number() OVER (ORDER BY rowid) - 1", _stripped(text["id"])]
                        + [convert(text[n], s) for _c, n, s in props])
    con.execute(f'INSERT INTO "{CONTACTS}" SELECT {columns} FROM {source}')
    con.execute(f"DROP TABLE {source}")
    for etext, kind, ignored in event_sources:
        for index, event in enumerate(schema.events):
            values = ", ".join([_stripped(etext["contact_id"]), convert(etext["timestamp"], TypeSpec("datetime"))]
                               + [convert(etext[n], s) for _c, n, s in event_columns(schema, event)])
            con.execute(f'INSERT INTO "{event_table(index)}" SELECT {values} FROM _sd_raw_events '
                        f"WHERE {kind} = {_q(event)}")
        summary.ignored_events += ignored
        con.execute("DROP TABLE _sd_raw_events")
    summary.events = sum(con.execute(f'SELECT count(*) FROM "{event_table(i)}"').fetchone()[0]
                         for i in range(len(schema.events)))
    return True
