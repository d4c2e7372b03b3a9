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
_COMMON_DATETIME = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
                    r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?)?")


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


_WS_CHARS = ", ".join(_q(ch) for ch in WHITESPACE)


def _stripped(raw: str) -> str:
    # trim() with a set of characters is slow; most values need no trimming at all
    return (f"CASE WHEN left({raw}, 1) IN ({_WS_CHARS}) OR right({raw}, 1) IN ({_WS_CHARS}) "
            f"THEN trim({raw}, {_WS}) ELSE {raw} END")


def _blank(raw: str, stripped: str | None = None) -> str:
    return f"({raw} IS NULL OR {stripped or _stripped(raw)} = '')"


def convert(raw: str, spec: TypeSpec, stripped: str | None = None) -> str:
    """SQL for the canonical value of text ``raw`` (``stripped``: the same, already stripped);
    NULL for a missing value *and* for a value that does not parse."""
    s = stripped or _stripped(raw)
    if spec.is_list:
        items = (f"list_filter(list_transform(string_split({raw}, ';'), lambda x: trim(x, {_WS})), lambda x: x <> '')")
        escaped = (f"list_transform({items}, lambda x: replace(replace(x, {_q(LIST_ESC)}, {_q(LIST_ESC * 2)}), "
                   f"{_q(LIST_SEP)}, {_q(LIST_ESC + '1')}))")
        return (f"CASE WHEN {_blank(raw, s)} OR len({items}) = 0 THEN NULL ELSE "
                f"{_q(LIST_SEP)} || array_to_string({escaped}, {_q(LIST_SEP)}) || {_q(LIST_SEP)} END")
    base = spec.base
    if base == "text":
        return f"CASE WHEN {_blank(raw, s)} THEN NULL ELSE {raw} END"
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
        # the common forms, which DuckDB's own parser reads exactly as Python does; the rest
        # (t, z, a comma, more than 6 decimals) by parts
        return (f"CASE WHEN regexp_full_match({s}, {_q(_COMMON_DATETIME)}) AND {s} >= '0001' "
                f"THEN epoch_us(TRY_CAST({s} AS TIMESTAMPTZ)) ELSE {_datetime(s)} END")
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
    """Each value is converted once, into staging tables that also flag each row holding a
    problem; only when no row is flagged are the canonical tables filled from them."""
    found = _relation(files, files.contacts)
    if found is None:
        return False
    relation, names = found
    props = contacts_columns(schema)
    text = _text_columns(con, relation, names, ["id"] + [n for _c, n, _s in props])
    if text["id"].startswith("CAST(NULL"):
        return False
    # contacts: the file order is the row order (a table keeps insertion order in rowid)
    con.execute(f"CREATE TEMPORARY TABLE _sd_raw_contacts AS SELECT * FROM {relation}")
    stripped = [f"{_stripped(text['id'])} AS _sd_id"] + [
        f"{text[n]} AS _sd_r_{c}, {_stripped(text[n])} AS _sd_s_{c}" for c, n, _s in props]
    values = [f"{convert(f'_sd_r_{c}', s, f'_sd_s_{c}')} AS {c}" for c, _n, s in props]
    present = [f"NOT {_blank(f'_sd_r_{c}', f'_sd_s_{c}')} AS _sd_has_{c}" for c, _n, _s in props]
    bad = " OR ".join(["_sd_id = ''", "_sd_id IS NULL"] + [f"(_sd_has_{c} AND {c} IS NULL)" for c, _n, _s in props])
    con.execute(f"CREATE TEMPORARY TABLE _sd_stage_contacts AS SELECT _sd_row, {', '.join(['_sd_id'] + [c for c, _n, _s in props])}, "
                f"{bad} AS _sd_bad FROM (SELECT _sd_row, _sd_id, {', '.join(values + present)} FROM "
                f"(SELECT rowid AS _sd_row, {', '.join(stripped)} FROM _sd_raw_contacts))")
    con.execute("DROP TABLE _sd_raw_contacts")
    problems, duplicates = con.execute(
        "SELECT count(*) FILTER (WHERE _sd_bad), count(*) - count(DISTINCT _sd_id) FROM _sd_stage_contacts").fetchone()
    if problems or duplicates:
        return False

    staged_events = None
    if files.events is not None:
        found = _relation(files, files.events)
        if found is None:
            return False
        erelation, enames = found
        attrs = sorted({n for event in schema.events for _c, n, _s in event_columns(schema, event)})
        etext = _text_columns(con, erelation, enames, ["contact_id", "type", "timestamp"] + attrs)
        if any(etext[k].startswith("CAST(NULL") for k in ("contact_id", "type", "timestamp")):
            return False
        raw_attrs = [f"{etext[n]} AS _sd_raw_{i}" for i, n in enumerate(attrs)]
        con.execute(
            "CREATE TEMPORARY TABLE _sd_stage_events AS SELECT _sd_kind, _sd_cid, "
            f"{convert('_sd_ts_raw', TypeSpec('datetime'), '_sd_ts_text')} AS _sd_ts"
            + "".join(f", _sd_raw_{i}" for i in range(len(attrs)))
            + f" FROM (SELECT {_stripped(etext['type'])} AS _sd_kind, {_stripped(etext['contact_id'])} AS _sd_cid, "
            f"{etext['timestamp']} AS _sd_ts_raw, {_stripped(etext['timestamp'])} AS _sd_ts_text"
            + "".join(f", {a}" for a in raw_attrs) + f" FROM {erelation})")
        declared = ", ".join(_q(e) for e in schema.events) or "NULL"
        problems, ignored = con.execute(
            "SELECT count(*) FILTER (WHERE _sd_kind IS NULL OR _sd_kind = '' OR (_sd_kind IN "
            f"({declared}) AND (_sd_cid IS NULL OR _sd_cid = '' OR _sd_ts IS NULL))), "
            f"count(*) FILTER (WHERE _sd_kind <> '' AND _sd_kind NOT IN ({declared})) FROM _sd_stage_events").fetchone()
        if problems:
            return False
        staged_events = (attrs, ignored)

    create_tables(con.execute, schema, temporary=False)
    if staged_events is not None:
        attrs, ignored = staged_events
        for index, event in enumerate(schema.events):
            columns = event_columns(schema, event)
            raw = {n: f"_sd_raw_{attrs.index(n)}" for _c, n, _s in columns}
            table = event_table(index)
            con.execute(f'ALTER TABLE "{table}" ADD COLUMN _sd_bad BOOLEAN')
            inner = "".join(f", {raw[n]} AS _sd_r{i}, {_stripped(raw[n])} AS _sd_s{i}" for i, (_c, n, _s) in enumerate(columns))
            middle = "".join(f", {convert(f'_sd_r{i}', s, f'_sd_s{i}')} AS _sd_v{i}, "
                             f"NOT {_blank(f'_sd_r{i}', f'_sd_s{i}')} AS _sd_p{i}" for i, (_c, _n, s) in enumerate(columns))
            values = "".join(f", _sd_v{i}" for i in range(len(columns)))
            flags = " OR ".join(f"(_sd_p{i} AND _sd_v{i} IS NULL)" for i in range(len(columns))) or "FALSE"
            con.execute(f'INSERT INTO "{table}" SELECT _sd_cid, _sd_ts{values}, {flags} FROM '
                        f"(SELECT _sd_cid, _sd_ts{middle} FROM (SELECT _sd_cid, _sd_ts{inner} FROM _sd_stage_events "
                        f"WHERE _sd_kind = {_q(event)}))")
            if con.execute(f'SELECT count(*) FROM "{table}" WHERE _sd_bad').fetchone()[0]:
                return False
        con.execute("DROP TABLE _sd_stage_events")
        summary.ignored_events += ignored
    con.execute(f'INSERT INTO "{CONTACTS}" SELECT row_number() OVER (ORDER BY _sd_row) - 1, '
                f"{', '.join(['_sd_id'] + [c for c, _n, _s in props])} FROM _sd_stage_contacts")
    con.execute("DROP TABLE _sd_stage_contacts")
    summary.events = sum(con.execute(f'SELECT count(*) FROM "{event_table(i)}"').fetchone()[0]
                         for i in range(len(schema.events)))
    return True
