"""DuckDB reads the source's files itself: CSV and Parquet, into the canonical relations of
:mod:`scoredsl.compiler.sql.generator`, by the same rules for values as :mod:`scoredsl.data.values`.

This is only a faster way to the same tables. Before anything is scored, one query looks for
anything the rules would reject or that needs a person's attention: a value that does not parse,
a missing or duplicate id, a missing timestamp, a malformed row. If there is any, the files are
read again by the Python reader instead, which finds the first problem and reports it (or, with
``--on-error skip``, skips exactly the rows the Python engine skips). So errors, skipped rows and
results are the same as on the Python engine, whatever the data.

Each file is first read taking each value only in its type's plain form (``2026-06-01T09:30:00Z``,
``42``, no white space around it), which DuckDB reads fast and exactly as Python does. Only when
that leaves a cell unread is the file read again by every rule of the language (white space,
``t`` and ``z``, a comma before the fraction...), and only if that too leaves one does the
Python reader take over.

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
    return f"CASE WHEN {raw} IS NULL THEN NULL WHEN {_unspaced(raw)} THEN {raw} ELSE trim({raw}, {_WS}) END"


def _unspaced(raw: str) -> str:
    """Whether text ``raw`` starts and ends with a printable ASCII character, so that stripping
    it of white space leaves it as it is (false for an empty text, NULL for NULL)."""
    return f"ord({raw}) BETWEEN 33 AND 126 AND ord(right({raw}, 1)) BETWEEN 33 AND 126"


def _blank(raw: str, stripped: str | None = None) -> str:
    return f"({raw} IS NULL OR {stripped or _stripped(raw)} = '')"


def convert(raw: str, spec: TypeSpec) -> str:
    """SQL for the canonical value of text ``raw``: NULL for a missing value *and* for a value
    that does not parse. A cell in its type's plain form is read as it is (:func:`_plain`); only
    the others are stripped of white space and read by every rule of the language."""
    if spec.is_list or spec.base in ("text", "bool"):
        return _exact(raw, spec)
    return f"CASE WHEN {raw} IS NULL THEN NULL WHEN {_plain(raw, spec.base)} ELSE {_exact(raw, spec)} END"


def _fast(raw: str, spec: TypeSpec) -> str:
    """:func:`convert` for cells in plain form: the same value, or NULL for any other cell (which
    then needs :func:`convert`). Much cheaper on DuckDB: the rules for every other form are a
    large expression, and DuckDB pays for each part of it on every batch of rows, even when no
    row of the batch needs it."""
    if spec.is_list or spec.base in ("text", "bool"):
        return _exact(raw, spec)        # small already
    return f"CASE WHEN {_plain(raw, spec.base)} END"


_INT = "[+-]?[0-9]+"
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _plain(s: str, base: str) -> str:
    """``WHEN condition THEN value`` for text ``s`` of type ``base`` in the forms DuckDB's casts
    read exactly as the language does: a full regular expression match first. (DuckDB's casts
    alone take more: white space inside a time, one-digit seconds, an hour of 24, a sign before
    a date, ``1_000``, ``0x1F``, ``1.0`` as an int. A cell in a form not matched here goes to
    :func:`_exact`, where it is read by parts or rejected.)"""
    if base == "int":
        return f"regexp_full_match({s}, '{_INT}') THEN TRY_CAST({s} AS BIGINT)"
    if base == "number":
        value = f"TRY_CAST({s} AS DOUBLE)"
        return f"regexp_full_match({s}, {_q(_NUMBER)}) THEN CASE WHEN isfinite({value}) THEN {value} END"
    if base == "date":
        return (f"regexp_full_match({s}, '{_DATE}') AND {s} >= '0001' "
                f"THEN epoch_us(CAST(TRY_CAST({s} AS DATE) AS TIMESTAMP))")
    if base == "datetime":
        # years 2 to 9998: even with an offset, the instant is within years 1 to 9999 in UTC
        return (f"regexp_full_match({s}, {_q(_COMMON_DATETIME)}) AND {s} >= '0002' AND {s} < '9999' "
                f"THEN epoch_us(TRY_CAST({s} AS TIMESTAMPTZ))")
    raise ValueError(f"unknown type {base!r}")


def _exact(raw: str, spec: TypeSpec) -> str:
    """SQL for the canonical value of text ``raw``, by every rule of the language: stripped of
    white space, then read (see :func:`convert`)."""
    s = _stripped(raw)
    if spec.is_list:
        items = (f"list_filter(list_transform(string_split({raw}, ';'), lambda x: trim(x, {_WS})), lambda x: x <> '')")
        escaped = (f"list_transform({items}, lambda x: replace(replace(x, {_q(LIST_ESC)}, {_q(LIST_ESC * 2)}), "
                   f"{_q(LIST_SEP)}, {_q(LIST_ESC + '1')}))")
        return (f"CASE WHEN {_blank(raw, s)} OR len({items}) = 0 THEN NULL ELSE "
                f"{_q(LIST_SEP)} || array_to_string({escaped}, {_q(LIST_SEP)}) || {_q(LIST_SEP)} END")
    base = spec.base
    if base == "text":      # a cell that starts with a visible character is not blank
        return f"CASE WHEN ord({raw}) BETWEEN 33 AND 126 THEN {raw} WHEN {_blank(raw, s)} THEN NULL ELSE {raw} END"
    if base == "bool":      # the usual spellings first, without lower()
        return (f"CASE {s} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE WHEN '1' THEN TRUE WHEN '0' THEN FALSE "
                f"ELSE CASE WHEN lower({s}) IN ('true', 'yes', '1') THEN TRUE "
                f"WHEN lower({s}) IN ('false', 'no', '0') THEN FALSE END END")
    if base == "datetime":
        # years 1 and 9999: an instant with an offset can leave years 1 to 9999 once in UTC
        # (9999-12-31T23:00-02:00), which the language rejects, as Python does; the other forms
        # (t, z, a comma, more than 6 decimals) by parts
        return (f"CASE WHEN {_plain(s, base)} WHEN regexp_full_match({s}, {_q(_COMMON_DATETIME)}) AND {s} >= '0001' "
                f"THEN {_in_years(f'epoch_us(TRY_CAST({s} AS TIMESTAMPTZ))')} ELSE {_in_years(_datetime(s))} END")
    return f"CASE WHEN {_plain(s, base)} END"


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


def _stage(con, table: str, columns: list[tuple[str, str, TypeSpec, str | None]], keep: dict[str, str],
           source: str, counts: str) -> tuple:
    """Create ``table`` from ``source`` (:func:`_staged`) and return ``counts`` (SQL over it, the
    first the problems). Cells are read in their plain forms first; only when that leaves a
    problem is the table made again by every rule of the language."""
    for exact in (False, True):
        con.execute(f"CREATE OR REPLACE TABLE {table} AS {_staged(columns, keep, source, exact)}")
        found = con.execute(f"SELECT {counts} FROM {table}").fetchone()
        if not found[0]:
            break
    return found


def _staged(columns: list[tuple[str, str, TypeSpec, str | None]], keep: dict[str, str], source: str,
            exact: bool = True) -> str:
    """A SELECT over ``source`` giving the ``keep`` columns (name: SQL), each column's value
    (converted once), and ``_sd_bad``: a present value that does not parse. ``columns`` are
    ``(name, raw text SQL, type, condition)``: a value that does not parse is a problem only
    where its condition (SQL over the ``keep`` names) holds. Not ``exact``: cells only in their
    plain forms (:func:`_fast`), any other a problem."""
    inner = [f"{sql} AS {name}" for name, sql in keep.items()] + [
        f"{raw} AS _sd_r{i}" for i, (_n, raw, _s, _w) in enumerate(columns)]
    keep = list(keep)
    middle = list(keep)
    flags = []
    for i, (name, _raw, spec, where) in enumerate(columns):
        middle.append(f"{(convert if exact else _fast)(f'_sd_r{i}', spec)} AS {name}")
        if not _plain_text(spec):       # a present text value is never missing: no flag to set
            middle.append(f"_sd_r{i}")
            # no value: a problem when the cell is not blank. A CASE, not AND: DuckDB evaluates
            # every operand of an AND on every row, a CASE's THEN only on the rows it takes
            missing = [f"{name} IS NULL", *([f"({where})"] if where else [])]
            flags.append(f"CASE WHEN {' AND '.join(missing)} THEN NOT {_blank(f'_sd_r{i}')} ELSE FALSE END")
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
    problems, duplicates = _stage(
        con, "_sd_stage_contacts", [(c, text[n], s, None) for c, n, s in props], {"_sd_id": _stripped(text["id"])},
        relation, "count(*) FILTER (WHERE _sd_bad OR _sd_id IS NULL OR _sd_id = ''), count(*) - count(DISTINCT _sd_id)")
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
        exact = f"CASE coalesce({kind}, '') WHEN '' THEN -1 {number} ELSE -2 END"
        # a cell that is a declared name as it is (no white space around it) needs no stripping,
        # nor one that is some other name without white space around it (an undeclared type, as
        # exports have many); list_position() finds a name several times faster than a CASE
        if all(e and e == e.strip(WHITESPACE) for e in events):
            raw = etext["type"]
            found = f"list_position([{', '.join(_q(e) for e in events)}], {raw})"
            kind_sql = (f"CASE WHEN {found} IS NOT NULL THEN {found} - 1 WHEN {_unspaced(raw)} THEN -2 "
                        f"ELSE {exact} END")
        else:
            kind_sql = exact
        keep = {"_sd_kind": kind_sql,
                "_sd_cid": _stripped(etext["contact_id"])}
        problems, ignored, declared = _stage(
            con, "_sd_stage_events", columns, keep, erelation,
            "count(*) FILTER (WHERE _sd_kind = -1 OR (_sd_kind >= 0 "
            "AND (_sd_bad OR _sd_cid IS NULL OR _sd_cid = '' OR _sd_ts IS NULL))), "
            "count(*) FILTER (WHERE _sd_kind = -2), count(*) FILTER (WHERE _sd_kind >= 0)")
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
