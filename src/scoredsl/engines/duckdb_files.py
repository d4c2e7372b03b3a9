"""DuckDB reads the source's files itself: CSV and Parquet, into the canonical relations of
:mod:`scoredsl.compiler.sql.generator`, by the same rules for values as :mod:`scoredsl.data.values`.

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

import attrs

from scoredsl.data.canonical import (CONTACTS, LIST_ESC, LIST_SEP, WHITESPACE, OutOfRange, canonical_type,
                                     contacts_columns, encode, event_columns, event_table)
from scoredsl.data.companies import PREFIX, Companies
from scoredsl.data.records import COMPANY_ID, DataSchema, TypeSpec
from scoredsl.engines.results import RunSummary

__all__ = ["Files", "load_files", "convert"]


_DATETIME = (r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
             r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?$")
_PARTS = ["y", "mo", "d", "h", "mi", "s", "f", "z", "sg", "oh", "om"]
_USUAL_DATETIMES = ("____-__-__T__:__:__Z", "____-__-__ __:__:__", "____-__-__T__:__:__", "____-__-__")
_COMMON_DATETIME = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
                    r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?)?")


@attrs.frozen
class Files:
    format: str                 # "csv" or "parquet"
    contacts: str
    events: str | None
    delimiter: str = ","

    @classmethod
    def of(cls, source) -> "Files | None":
        """The files of a CSV or Parquet source, for DuckDB to read; None for any other source."""
        fmt = getattr(source, "format", None)
        if fmt not in ("csv", "parquet") or getattr(source, "mapped", False):
            return None          # renamed columns: Python reads the files
        return cls(fmt, source.contacts_path, source.events_path, getattr(source, "delimiter", ","))


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_WS = _q(WHITESPACE)


_WS_CHARS = ", ".join(_q(ch) for ch in WHITESPACE)


def _stripped(raw: str) -> str:
    # trim() with a set of characters is slow; a value that starts and ends with a printable
    # ASCII character (no white space is one) needs no trimming
    # (a missing cell first: most cells of an event's attributes are)
    return (f"CASE WHEN {raw} IS NULL THEN NULL WHEN ord({raw}) BETWEEN 33 AND 126 AND ord(right({raw}, 1)) "
            f"BETWEEN 33 AND 126 THEN {raw} ELSE trim({raw}, {_WS}) END")


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
    if base == "bool":   # the usual spellings first, without lower()
        return (f"CASE {s} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE WHEN '1' THEN TRUE WHEN '0' THEN FALSE "
                f"ELSE CASE WHEN lower({s}) IN ('true', 'yes', '1') THEN TRUE "
                f"WHEN lower({s}) IN ('false', 'no', '0') THEN FALSE END END")
    if base == "date":
        return (f"CASE WHEN regexp_full_match({s}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND {s} >= '0001' "
                f"THEN epoch_us(CAST(TRY_CAST({s} AS DATE) AS TIMESTAMP)) END")
    if base == "datetime":
        # the common forms, which DuckDB's own parser reads exactly as Python does; the rest
        # (t, z, a comma, more than 6 decimals) by parts
        # the export formats seen most (2026-06-01T09:30:00Z, with a space, a date alone) by
        # LIKE and the hour, not by a regex
        usual = " OR ".join(f"{s} LIKE '{shape}'" for shape in _USUAL_DATETIMES)
        # a form with an offset can leave years 1 to 9999 once in UTC (9999-12-31T23:00-02:00):
        # the language rejects it, as Python does
        return (f"CASE WHEN ({usual}) AND substr({s}, 12, 2) <= '23' AND {s} >= '0001' "
                f"THEN epoch_us(TRY_CAST({s} AS TIMESTAMPTZ)) "
                f"WHEN regexp_full_match({s}, {_q(_COMMON_DATETIME)}) AND {s} >= '0001' "
                f"THEN {_in_years(f'epoch_us(TRY_CAST({s} AS TIMESTAMPTZ))')} ELSE {_in_years(_datetime(s))} END")
    raise ValueError(f"unknown type {base!r}")


# Instants of years 1 to 9999 in UTC, in epoch microseconds: what a Python datetime holds.
_FIRST_MICROS, _END_MICROS = -62135596800000000, 253402300800000000
#: The most characters a CSV cell may hold (Python's csv reader's limit; the Python engine
#: rejects a longer one, so DuckDB's reading flags it for the Python reader to report).
MAX_CSV_CELL = 131072


def _in_years(micros: str) -> str:
    return f"(CASE WHEN {micros} >= {_FIRST_MICROS} AND {micros} < {_END_MICROS} THEN {micros} END)"


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
    if header is None or len(set(header)) != len(header) or "" in header or _last_line_too_long(path):
        return None
    names = {name: f"c{i}" for i, name in enumerate(header)}
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    relation = (f"read_csv({_q(path)}, header = true, columns = {columns}, auto_detect = false, "
                f"delim = {_q(files.delimiter)}, quote = '\"', escape = '\"', strict_mode = true, "
                f"null_padding = false, parallel = true, max_line_size = {MAX_CSV_CELL})")
    return relation, names


# A cell longer than MAX_CSV_CELL characters has more bytes than that, so DuckDB's reader,
# bounded to lines of fewer bytes (max_line_size), fails on its line, and the file goes to the
# Python reader, which reports it. (So does a file with a long line of short cells: the same
# results, only slower.) No cell needs measuring. But DuckDB's parallel reader drops a last
# line longer than its buffer without a word (DuckDB 2.0): a long last line sends the file to
# Python before DuckDB reads it.
_LINE_CHECKED = MAX_CSV_CELL


def _last_line_too_long(path: str) -> bool:
    """Whether the file's last line (its final newline aside) is :data:`_LINE_CHECKED` bytes or longer."""
    try:
        with open(path, "rb") as file:
            size = file.seek(0, 2)
            start = max(0, size - _LINE_CHECKED - 2)
            file.seek(start)
            tail = file.read().rstrip(b"\r\n")
    except OSError:
        return True
    return b"\n" not in tail and start > 0


def load_files(con, files: Files, schema: DataSchema, summary: RunSummary,
               companies: Companies | None = None, read: set | None = None) -> bool:
    """Fill the canonical tables from ``files``, each contact with its ``companies``' values when
    the schema declares them; False (and nothing loaded) when the Python reader must do it: the
    files hold something it rejects, skips or reports. Counts events and orphan events.

    ``read``: the ``(event type, attribute)`` pairs the queries read (``None``: any). A text
    attribute no query reads is not staged (its column in the event relations is NULL): any
    text is a valid text value, so it has nothing to check either, and the staged events are
    narrower. (A cell too long for the Python reader fails its line in any column: see
    :data:`_LINE_CHECKED`.)"""
    import duckdb

    con.execute("SET TimeZone = 'UTC'")
    try:
        return _load(con, files, schema, summary, companies, read)
    except duckdb.OutOfMemoryException:
        raise                   # not the file's fault: the Python reader would fare no better
    except duckdb.Error:
        # a malformed file: the Python reader reports where and why
        return False


def _text_columns(con, relation: str, names: dict[str, str] | None, wanted: list[str]) -> dict[str, str]:
    """SQL for the text of each wanted column (NULL when the file has no such column)."""
    if names is None:   # Parquet: every column cast to text
        present = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        return {w: (f"CAST({_ident(w)} AS VARCHAR)" if w in present else "CAST(NULL AS VARCHAR)") for w in wanted}
    return {w: (_ident(names[w]) if w in names else "CAST(NULL AS VARCHAR)") for w in wanted}


def _plain_text(spec: TypeSpec) -> bool:
    """Whether every present cell of this type is a value: text, not a list."""
    return spec.base == "text" and not spec.is_list


def _staged(columns: list[tuple[str, str, TypeSpec, str | None]], keep: dict[str, str], source: str) -> str:
    """A SELECT over ``source`` giving the ``keep`` columns (name: SQL), each column's value
    (converted once), and ``_sd_bad``: a present value that does not parse. ``columns`` are
    ``(name, raw text SQL, type, condition)``: a value that does not parse is a problem only
    where its condition (SQL over the ``keep`` names) holds."""
    inner = [f"{sql} AS {name}" for name, sql in keep.items()] + [
        f"{raw} AS _sd_r{i}, {_stripped(raw)} AS _sd_s{i}" for i, (_n, raw, _s, _w) in enumerate(columns)]
    keep = list(keep)
    middle = list(keep)
    flags = []
    for i, (name, _raw, spec, where) in enumerate(columns):
        value = convert(f"_sd_r{i}", spec, f"_sd_s{i}")
        present = f"NOT {_blank(f'_sd_r{i}', f'_sd_s{i}')}"
        if where:
            present = f"({where} AND {present})"
        middle += [f"{value} AS {name}", f"{present} AS _sd_has{i}"]
        if not _plain_text(spec):       # a present text value is never missing: no flag to set
            flags.append(f"(_sd_has{i} AND {name} IS NULL)")
    outer = keep + [name for name, _r, _s, _w in columns] + [f"({' OR '.join(flags) or 'FALSE'}) AS _sd_bad"]
    return (f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(middle)} FROM "
            f"(SELECT {', '.join(inner)} FROM {source}))")


def _load(con, files: Files, schema: DataSchema, summary: RunSummary, companies: Companies | None,
          read: set | None = None) -> bool:
    """Each file is read once and each value converted once, into a staging table that flags
    every row holding a problem; only when no row is flagged do the canonical relations appear,
    as views over the staging tables."""
    found = _relation(files, files.contacts)
    if found is None:
        return False
    relation, names = found
    everything = contacts_columns(schema)
    props = [(c, n, s) for c, n, s in everything if not n.startswith(PREFIX)]   # the file's own
    text = _text_columns(con, relation, names, ["id"] + [n for _c, n, _s in props])
    if text["id"].startswith("CAST(NULL"):
        return False
    # contacts: a table keeps the file's order in its rowid
    staged = _staged([(c, text[n], s, None) for c, n, s in props],
                     {"_sd_id": _stripped(text["id"])}, relation)
    con.execute(f"CREATE TABLE _sd_stage_contacts AS {staged}")
    problems, duplicates = con.execute(
        "SELECT count(*) FILTER (WHERE _sd_bad OR _sd_id IS NULL OR _sd_id = ''), "
        "count(*) - count(DISTINCT _sd_id) FROM _sd_stage_contacts").fetchone()
    if problems or duplicates:
        return False

    events = list(schema.events)
    if files.events is not None:
        found = _relation(files, files.events)
        if found is None:
            return False
        erelation, enames = found
        attrs = sorted({n for event in events for _c, n, _s in event_columns(schema, event)})
        etext = _text_columns(con, erelation, enames, ["contact_id", "type", "timestamp"] + attrs)
        if any(etext[k].startswith("CAST(NULL") for k in ("contact_id", "type", "timestamp")):
            return False
        kind = _stripped(etext["type"])
        columns = [("_sd_ts", etext["timestamp"], TypeSpec("datetime"), None)]
        # one column per attribute and type, shared by the event types that declare it so
        shared: dict[tuple[str, str], list[str]] = {}
        for event in events:
            for _column, name, spec in event_columns(schema, event):
                shared.setdefault((name, str(spec)), []).append(event)
        staged_as = {}
        for i, ((name, spec_text), kinds) in enumerate(shared.items()):
            spec = next(s for e in kinds for _c, n, s in event_columns(schema, e) if n == name)
            if _plain_text(spec) and read is not None and not any((kind, name) in read for kind in kinds):
                continue                    # no query reads it, and any text is valid: not staged
            staged_as[(name, spec_text)] = f"_sd_v{i}"
            columns.append((f"_sd_v{i}", etext[name], spec,
                            f"_sd_kind IN ({', '.join(str(events.index(k)) for k in kinds)})"))
        # the type as a number (its index among the declared types, -1 when blank, -2 when not
        # declared): the event relations and the models' scans of them compare numbers, not text
        number = " ".join(f"WHEN {_q(e)} THEN {i}" for i, e in enumerate(events))
        keep = {"_sd_kind": f"CASE coalesce({kind}, '') WHEN '' THEN -1 {number} ELSE -2 END",
                "_sd_cid": _stripped(etext["contact_id"])}
        con.execute(f"CREATE TABLE _sd_stage_events AS {_staged(columns, keep, erelation)}")
        problems, ignored, declared = con.execute(
            "SELECT count(*) FILTER (WHERE _sd_kind = -1 OR (_sd_kind >= 0 "
            "AND (_sd_bad OR _sd_cid IS NULL OR _sd_cid = '' OR _sd_ts IS NULL))), "
            "count(*) FILTER (WHERE _sd_kind = -2), count(*) FILTER (WHERE _sd_kind >= 0) "
            "FROM _sd_stage_events").fetchone()
        if problems:
            return False
        summary.ignored_events += ignored

    columns = ", ".join(["s.rowid AS _sd_row", "s._sd_id"] + [f"s.{c}" for c, _n, _s in props])
    if companies is None:
        con.execute(f'CREATE VIEW "{CONTACTS}" AS SELECT {columns} FROM _sd_stage_contacts s')
    elif not _join_companies(con, companies, props, everything, columns):
        return False
    for index, event in enumerate(events):
        attrs = "".join(f", {staged_as.get((n, str(s)), f'CAST(NULL AS {canonical_type(s)})')} AS {c}"
                        for c, n, s in event_columns(schema, event)) if files.events is not None else ""
        if files.events is None:    # no events file: empty relations of the right types
            empty = "".join(f", CAST(NULL AS {canonical_type(s)}) AS {c}" for c, _n, s in event_columns(schema, event))
            body = f"SELECT CAST(NULL AS VARCHAR) AS _sd_cid, CAST(NULL AS BIGINT) AS _sd_ts{empty} WHERE FALSE"
        else:
            body = f"SELECT _sd_cid, _sd_ts{attrs} FROM _sd_stage_events WHERE _sd_kind = {index}"
        con.execute(f'CREATE VIEW "{event_table(index)}" AS {body}')
    summary.orphan_events = 0
    if files.events is not None and events:     # events, and those whose contact id names no contact
        summary.events = declared
        summary.orphan_events = con.execute(
            "SELECT count(*) FROM _sd_stage_events e ANTI JOIN _sd_stage_contacts c ON c._sd_id = e._sd_cid "
            "WHERE e._sd_kind >= 0").fetchone()[0]
    return True


def _join_companies(con, companies: Companies, props: list, everything: list, columns: str) -> bool:
    """The contacts relation with each contact's company's values (:mod:`scoredsl.data.companies`):
    the companies as Python read them, joined on the contact's ``company_id`` stripped as ids
    are. False when a company value is beyond what SQL engines hold (the Python reader says so)."""
    theirs = [(c, n, s) for c, n, s in everything if n.startswith(PREFIX)]
    try:
        rows = [[values[0]] + [encode(v, spec) for v, (_c, _n, spec) in zip(values, theirs)]
                for values in companies.rows()]
    except OutOfRange:
        return False
    body = ", ".join(["_sd_key VARCHAR"] + [f"{c} {canonical_type(s)}" for c, _n, s in theirs])
    con.execute(f"CREATE TABLE _sd_company_values ({body})")
    width = len(theirs) + 1
    for start in range(0, len(rows), 500):        # a statement of many rows: executemany is slow
        chunk = rows[start:start + 500]
        marks = ", ".join("(" + ", ".join("?" * width) + ")" for _ in chunk)
        con.execute(f"INSERT INTO _sd_company_values VALUES {marks}", [v for row in chunk for v in row])
    key = _stripped("s." + next(c for c, n, _s in props if n == COMPANY_ID))
    selected = columns + "".join(f", v.{c}" for c, _n, _s in theirs)
    con.execute(f'CREATE VIEW "{CONTACTS}" AS SELECT {selected} FROM _sd_stage_contacts s '
                f"LEFT JOIN _sd_company_values v ON v._sd_key = {key}")
    unmatched = con.execute(f"SELECT count(*) FROM _sd_stage_contacts s WHERE {key} IS NOT NULL AND NOT EXISTS "
                            f"(SELECT 1 FROM _sd_company_values v WHERE v._sd_key = {key})").fetchone()[0]
    companies.note_unmatched(unmatched)
    return True


def contact_rows(files: Files, path: str, key: str, contact_id: str) -> list | None:
    """The records of one contact id (its column ``key``) in one CSV file of ``files``, as
    DuckDB's reader finds them (the cells as text, in file order): ``[(-n, cells)]`` for the
    n-th such record (DuckDB does not say which row of the file it is: a negative number tells
    it apart), for :meth:`~scoredsl.plugins.builtin.files.FileSource.one_contact` to read with
    the Python rules. ``None`` when DuckDB must not be trusted with the file (not CSV, a header
    it cannot take, a malformed row anywhere, a cell too long for the Python reader): the
    caller then reads everything."""
    import duckdb

    if files.format != "csv":
        return None
    con = duckdb.connect()
    try:
        relation = _relation(files, path)
        if relation is None or key not in relation[1]:
            return None
        sql, names = relation
        cells = ", ".join(_ident(f"c{i}") for i in range(len(names)))
        rows = con.execute(f"SELECT {cells} FROM {sql} WHERE {_stripped(_ident(names[key]))} = ?",
                           [contact_id]).fetchall()
        texts = [["" if value is None else value for value in row] for row in rows]
        if any(len(value) > MAX_CSV_CELL for row in texts for value in row):
            return None
        return [(-(i + 1), row) for i, row in enumerate(texts)]
    except duckdb.Error:
        return None
    finally:
        con.close()
