"""The built-in ``files`` plugin: CSV and JSONL sources, CSV, JSONL and table sinks.

Sources
-------
``csv:FOLDER`` / ``jsonl:FOLDER``
    ``FOLDER/contacts.csv`` and ``FOLDER/events.csv`` (``.jsonl`` for ``jsonl``); both must
    exist.
``FOLDER/companies.csv`` (``.jsonl``), when the folder has one, or ``companies=FILE``
    The companies, for a schema that declares them: an ``id`` column and the company's
    properties, read and checked as contacts are (option ``company_columns`` renames them, as
    ``columns`` does for contacts). Each contact's ``company_id`` column names its company.
``csv:CONTACTS.csv[?events=EVENTS.csv]`` / ``jsonl:CONTACTS.jsonl[?events=EVENTS.jsonl]``
    A contacts file, and optionally an events file in the same format (without ``events=`` the
    source has no events). Relative paths are relative to the working directory, as on any
    command line.
Option ``delimiter`` (CSV only): one character, or ``tab``; default ``,``.
Option ``sorted=contact_id``: both files are sorted by contact id, in plain code-point order
(``sort`` with ``LC_ALL=C``, Python's ``sorted``; ``c10`` before ``c9``, ``Z`` before ``a``),
each contact's events together (in any order among themselves). A run then holds one
contact's events at a time instead of every event (see :mod:`scoredsl.engines.python`). The order is
checked as the files are read: an id smaller than the one before it stops the run, naming
the file, the row and both ids, whatever ``--on-error`` says (ids are compared after white
space is stripped; events of undeclared types are not checked). Duplicate contact ids are
found among neighbours, without remembering every id.

Contacts need an ``id`` column (JSON: key); events need ``contact_id``, ``type`` and
``timestamp``, and their other columns are attributes. Columns or keys the schema does not
declare are ignored, as are attributes the event's type does not declare; events of types the
schema does not declare are skipped and counted (``ignored_events``). Ids and event types are
stripped of surrounding white space; JSON ids may be strings or integers. JSONL events are
flat objects, like CSV rows.

Files are UTF-8 (a leading byte-order mark is ignored). CSV follows RFC 4180 as Python's
``csv`` module reads it with ``strict=True``: quoted cells may hold delimiters and line breaks;
a stray quote is an error. Completely empty lines are skipped; a row with more cells than the
header is an error unless the extra cells are empty (trailing delimiters).

Values are converted by one converter per column (:func:`scoredsl.data.values.csv_converter`,
:func:`~scoredsl.data.values.json_converter`): the rules and messages of
:func:`~scoredsl.data.values.parse_csv_value`, with fast paths for common forms. Events can be read
as :class:`~scoredsl.data.records.Event` objects or already packed for the evaluators
(:meth:`FileSource.packed_events`); both check the same things.

Row numbers in data errors are what a person sees: in CSV the header is row 1, so the first
contact is row 2, and a record spanning several lines (a quoted line break) is one row, as in
a spreadsheet; in JSONL the row is the line number (1-based, blank lines included).

Outcome sources
---------------
``csv:FILE`` / ``jsonl:FILE`` (or just a ``*.csv`` / ``*.jsonl`` path)
    What became of contacts, for ``scoredsl backtest``: ``contact_id`` (or ``id``), ``outcome``
    and ``at`` (:mod:`scoredsl.data.outcomes`). Option ``delimiter`` (CSV only), as for sources.

Sinks
-----
``csv:PATH``, ``jsonl:PATH``
    One row (line) per contact and model, with the columns of :func:`scoredsl.data.sinks.columns`.
    CSV: a header line, ``\\n`` line ends, minimal quoting, empty cells where a column does
    not apply. JSONL: one compact object per line, keys in column order, ``null`` where a
    column does not apply, non-ASCII characters written as they are.
``table:-`` (or ``table:PATH``)
    An aligned table for people: contact, model, status, reason, scores (right-aligned) and
    tiers. It is printed on commit, so a failed run prints nothing.

``PATH`` ``-`` is standard output, written as rows arrive (so not atomic). Any other path is
written atomically: to a temporary file in the same directory, renamed over ``PATH`` on
commit; on abort the temporary file is deleted and a previous ``PATH`` is left as it was.
Output is deterministic: identical rows give byte-identical files.

Formula injection: CSV cells are written verbatim, never prefixed with ``'``. The only free
text in a result is the contact id, which must survive a round trip into the CRM exactly
(model, reason and tier labels are scoredsl names and cannot start with ``= + - @``). Open
result files in a spreadsheet with "import as text" if ids may come from untrusted input.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import mmap
import os
import re
import sys
import unicodedata
from typing import IO, Any, Callable, Iterator

from scoredsl.data import outcomes
from scoredsl.data.records import DataError, DataSchema, Event, ResultRow, TypeSpec
from scoredsl.data.sinks import AtomicFile, RowLayout, RunInfo, Sink, SinkError, columns
from scoredsl.data.sources import OnError, OrderError, PackedEvent, Source, SourceError, fail, order_error
from scoredsl.data.specs import Spec, SpecError, column_mapping
from scoredsl.data.values import MAX_INT_DIGITS, BadValue, csv_converter, json_converter
from scoredsl.plugins.hookspecs import hookimpl

FORMATS = ("csv", "jsonl")
#: Rows for standard output held in memory up to this many bytes, then in a temporary file.
STDOUT_SPOOL = 16 << 20
_TIMESTAMP = TypeSpec("datetime")
_BOM = b"\xef\xbb\xbf"
_DESCRIPTIONS = {
    "csv": "CSV files: FOLDER (contacts.csv, events.csv) or CONTACTS.csv?events=EVENTS.csv",
    "jsonl": "JSON Lines: FOLDER (contacts.jsonl, events.jsonl) or "
             "CONTACTS.jsonl?events=EVENTS.jsonl",
}


@hookimpl
def scoredsl_register_sources(registry) -> None:
    for fmt in FORMATS:
        registry.add(fmt, open_file_source, _DESCRIPTIONS[fmt])


@hookimpl
def scoredsl_register_sinks(registry) -> None:
    registry.add("csv", CsvSink.from_spec, "CSV file, one row per contact and model; - is stdout")
    registry.add("jsonl", JsonlSink.from_spec, "JSON Lines file, one object per contact and model; "
                 "- is stdout")
    registry.add("table", TableSink.from_spec, "aligned table for people; - is stdout")


@hookimpl
def scoredsl_register_outcomes(registry) -> None:
    registry.add("csv", _csv_outcomes, "outcomes from a CSV file with contact_id, outcome and at")
    registry.add("jsonl", _jsonl_outcomes, "outcomes from a JSON Lines file with contact_id, outcome and at")


def _csv_outcomes(spec: Spec):
    spec.check_options(("delimiter",))
    return outcomes.read_csv(_outcome_path(spec), _delimiter(spec) if "delimiter" in spec.options else ",")


def _jsonl_outcomes(spec: Spec):
    spec.check_options(())
    return outcomes.read_jsonl(_outcome_path(spec))


def _outcome_path(spec: Spec) -> str:
    if not spec.location or spec.location == "-":
        raise SpecError(f"{spec.text}: outcomes need a file, not standard input")
    if not os.path.isfile(spec.location):
        raise SpecError(f"{spec.text}: no such file")
    return spec.location


# ================================================================== sources

def open_file_source(spec: Spec, schema: DataSchema | None = None) -> "FileSource":
    """The source for a ``csv:`` or ``jsonl:`` spec; :class:`SpecError` if its files are missing."""
    fmt = spec.scheme
    spec.check_options(("events", "companies", "delimiter", "sorted", "columns", "event_columns", "company_columns")
                       if fmt == "csv" else ("events", "companies", "sorted", "columns", "event_columns",
                                             "company_columns"))
    location = spec.location
    if not location or location == "-":
        raise SpecError(f"{spec.text}: a source needs a folder or a contacts file, not standard "
                        "input")
    if os.path.isdir(location):
        if "events" in spec.options:
            raise SpecError(f"{spec.text}: events= is for a single contacts file; the folder "
                            f"must hold events.{fmt}")
        contacts, events = (os.path.join(location, f"{kind}.{fmt}") for kind in ("contacts", "events"))
        missing = [p for p in (contacts, events) if not os.path.isfile(p)]
        if missing:
            raise SpecError(f"{spec.text}: the folder has no {' and no '.join(map(os.path.basename, missing))}"
                            f" (a folder needs contacts.{fmt} and events.{fmt}; for contacts only, "
                            f"name the file: {fmt}:{contacts})")
        companies = os.path.join(location, f"companies.{fmt}")
        companies = spec.options.get("companies") or (companies if os.path.isfile(companies) else None)
    else:
        contacts, events = location, spec.options.get("events") or None
        companies = spec.options.get("companies") or None
    for path in (contacts, events, companies):
        if path is not None and not os.path.isfile(path):
            raise SpecError(f"{spec.text}: no such file or folder: {path}")
    return FileSource(fmt, contacts, events, delimiter=_delimiter(spec), sorted_by_contact=_sorted(spec),
                      columns=_mapping(spec, "columns"), event_columns=_mapping(spec, "event_columns"),
                      companies=companies, company_columns=_mapping(spec, "company_columns"))


def _mapping(spec: Spec, option: str) -> dict[str, str]:
    """``columns=id:Record ID,job_title:Job Title`` (or a TOML table ``{ id = "Record ID" }``):
    the schema's name -> the column of the file."""
    return column_mapping(spec.options.get(option), spec.text, option)


def _delimiter(spec: Spec) -> str:
    value = spec.options.get("delimiter", ",")
    value = "\t" if value.lower() == "tab" else value
    if len(value) != 1 or value in "\"\r\n":
        raise SpecError(f"{spec.text}: delimiter must be one character (or tab), not {value!r}")
    return value


def _sorted(spec: Spec) -> bool:
    value = spec.options.get("sorted")
    if value is None:
        return False
    if value != "contact_id":
        raise SpecError(f"{spec.text}: sorted= takes contact_id (both files are sorted by contact "
                        f"id), not {value!r}")
    return True


_SORTED_HINT = "sorted=contact_id says the file is; sort it, or leave the option out"
_EVENT_FIELDS = ("contact_id", "type", "timestamp")
# Records: first the position of each column name in the lists that follow, then
# (row, list of raw values) per record, or (row, DataError) for a record that cannot be read.
_Records = Iterator[Any]


class FileSource(Source):
    """Contacts and events read from two CSV or JSONL files, streaming.

    Each column gets one converter (:func:`scoredsl.data.values.csv_converter`), made before the
    first row; events can be read as :class:`Event` objects (:meth:`events`) or as the packed
    tuples of the generated evaluators (:meth:`packed_events`), with the same checks and
    messages. With ``sorted_by_contact`` (the spec option ``sorted=contact_id``) the source
    says that both files are sorted by contact id (:meth:`order_by_contact`), checks it as it
    reads, and finds duplicate contact ids by comparing neighbours instead of remembering every
    id.
    """

    def __init__(self, fmt: str, contacts: str, events: str | None, *, delimiter: str = ",",
                 sorted_by_contact: bool = False, columns: dict[str, str] | None = None,
                 event_columns: dict[str, str] | None = None, companies: str | None = None,
                 company_columns: dict[str, str] | None = None):
        if fmt not in FORMATS:
            raise ValueError(f"unknown file format {fmt!r}")
        self.format, self.contacts_path, self.events_path = fmt, contacts, events
        self.delimiter = delimiter
        self.sorted_by_contact = sorted_by_contact
        self.skipped_rows = 0
        self.ignored_events = 0
        self._open: list[Iterator] = []
        self._converter = csv_converter if fmt == "csv" else json_converter
        self.columns = dict(columns or {})               # schema name -> the file's column
        self.event_columns = dict(event_columns or {})
        self.companies_path = companies
        self.company_columns = dict(company_columns or {})
        self._given: dict[str, list] = {}           # path -> the only lines to read (for_contact)

    @property
    def mapped(self) -> bool:
        """Whether columns are renamed (then only Python reads the files, by these names)."""
        return bool(self.columns or self.event_columns)

    def order_by_contact(self) -> bool:
        return self.sorted_by_contact

    def contacts(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]]:
        return self._records_of(self.contacts_path, schema.contact, self.columns, "contact", on_error,
                                ordered=self.sorted_by_contact)

    def companies(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]] | None:
        """The companies file (``companies.csv`` in the folder, or ``companies=FILE``), read as
        the contacts file is; ``None`` when the source has none."""
        if self.companies_path is None:
            return None
        return self._records_of(self.companies_path, schema.company or {}, self.company_columns, "company",
                                on_error, ordered=False)

    def _records_of(self, path: str, declared, mapping: dict[str, str], what: str, on_error: OnError, *,
                    ordered: bool) -> Iterator[dict[str, Any]]:
        """The records of a contacts or companies file: ``id`` and the ``declared`` properties."""
        properties = [(name, spec) for name, spec in declared.items() if name != "id"]
        option = "columns" if what == "contact" else "company_columns"
        _known(mapping, ("id", *(name for name, _ in properties)), option, f"{what} property")
        records = self._records(path, ("id",), ("id", *(name for name, _ in properties)), mapping)
        at = next(records)
        id_at = at["id"]
        fields = tuple((name, at.get(name), self._converter(spec)) for name, spec in properties)
        build = _compiled(fields, inline_text=self.format == "csv", contact=True)
        seen: dict[str, int] = {}            # unsorted: every id; sorted: only the one before
        previous = ""
        for row, cells in records:
            try:
                if cells.__class__ is DataError:
                    raise cells
                contact_id = _identity(cells[id_at], f"{what} id", path, row, "id")
                if ordered and contact_id != previous:
                    if contact_id < previous:
                        raise order_error("contacts", contact_id, previous, _SORTED_HINT, file=path,
                                          row=row, column="id")
                    seen.clear()
                    previous = contact_id
                first = seen.setdefault(contact_id, row)
                if first != row:
                    raise DataError(f"duplicate {what} id {contact_id!r}: also at row {first}",
                                    file=path, row=row, column="id")
                contact = build(cells, contact_id)
            except BadValue:
                self._skip(_field_error(fields, cells, path, row), on_error)
                continue
            except OrderError:
                raise
            except DataError as problem:
                self._skip(problem, on_error)
                continue
            yield contact

    def events(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[Event]:
        names = {kind: tuple(declared) for kind, declared in schema.events.items()}
        for contact_id, kind, item in self._events(schema, on_error, packed=False):
            yield Event(contact_id=contact_id, type=kind, timestamp=item[0],
                        attrs=dict(zip(names[kind], item[1:])))

    def packed_events(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[PackedEvent]:
        return self._events(schema, on_error, packed=True)

    def close(self) -> None:
        while self._open:
            self._open.pop().close()

    def for_contact(self, contact_id: str, schema: DataSchema,
                    on_error: OnError = fail) -> tuple[dict[str, Any] | None, list[Event]] | None:
        """One contact's record and events without reading the others (see
        :meth:`Source.for_contact`), for CSV files without a single quote character: then every
        line is one record, so the lines holding the id as a whole cell are found by a byte
        search, and only they are parsed, by the same reader and checks as a full read (a
        problem names the file, not the row: lines are not counted). ``None`` for other files
        (quotes, JSONL, renamed columns) and for ids that appear on too many lines to be worth
        it."""
        rows = {}
        for path in (self.contacts_path, self.events_path):
            if path is not None:
                rows[path] = self.lines_for(path, contact_id)
                if rows[path] is None:
                    return None
        return self.one_contact(rows, contact_id, schema, on_error)

    def lines_for(self, path: str, contact_id: str) -> list[tuple[int, bytes]] | None:
        """The lines of one of the source's CSV files that may hold ``contact_id`` as a whole
        cell, for :meth:`one_contact`; ``None`` when the file holds a quote character (or is
        not CSV, or its columns are renamed), or too many lines hold the id."""
        if self.format != "csv" or self.mapped:
            return None
        return _lines_with(path, contact_id, self.delimiter)

    def one_contact(self, rows: dict[str, list], contact_id: str, schema: DataSchema,
                    on_error: OnError = fail) -> tuple[dict[str, Any] | None, list[Event]]:
        """The contact and events of ``contact_id`` among only the given rows of each file
        (``path -> [(row, line bytes or cells)]``, in file order), read with the same checks as
        a full read; rows of other contacts among them are passed over. No contact: ``None``
        and no events."""
        restricted = FileSource(self.format, self.contacts_path, self.events_path, delimiter=self.delimiter)
        restricted._given = rows
        try:
            contact = next((c for c in restricted.contacts(schema, on_error) if c["id"] == contact_id), None)
            events = [] if contact is None else \
                [e for e in restricted.events(schema, on_error) if e.contact_id == contact_id]
        finally:
            restricted.close()
        self.skipped_rows += restricted.skipped_rows
        self.ignored_events += restricted.ignored_events
        return contact, events

    def _events(self, schema: DataSchema, on_error: OnError, packed: bool) -> Iterator[PackedEvent]:
        """``(contact_id, type, (timestamp, value, ...))`` per event: typed values, or packed."""
        path = self.events_path
        if path is None:
            return
        attributes = list(dict.fromkeys(name for declared in schema.events.values() for name in declared))
        _known(self.event_columns, _EVENT_FIELDS + tuple(attributes), "event_columns", "event attribute")
        records = self._records(path, _EVENT_FIELDS, _EVENT_FIELDS + tuple(attributes), self.event_columns)
        at = next(records)
        id_at, type_at = at["contact_id"], at["type"]
        timestamp = ("timestamp", at["timestamp"], self._converter(_TIMESTAMP, packed=packed))
        fields = {kind: (timestamp, *((name, at.get(name), self._converter(spec, packed=packed))
                                      for name, spec in declared.items()))
                  for kind, declared in schema.events.items()}
        packers = {kind: _compiled(kind_fields, inline_text=self.format == "csv")
                   for kind, kind_fields in fields.items()}
        ordered, previous = self.sorted_by_contact, ""
        for row, cells in records:
            if cells.__class__ is DataError:
                self._skip(cells, on_error)
                continue
            kind = cells[type_at]
            try:
                pack = packers.get(kind)
            except TypeError:                # not hashable (JSON)
                pack = None
            if pack is None:                 # white space around the type, or not declared
                try:
                    kind = _identity(kind, "event type", path, row, "type")
                except DataError as problem:
                    self._skip(problem, on_error)
                    continue
                pack = packers.get(kind)
                if pack is None:
                    self.ignored_events += 1
                    continue
            try:
                contact_id = cells[id_at].strip()
            except AttributeError:           # not a string (JSON)
                contact_id = None
            if not contact_id:
                try:
                    contact_id = _identity(cells[id_at], "contact id", path, row, "contact_id")
                except DataError as problem:
                    self._skip(problem, on_error)
                    continue
            if ordered and contact_id != previous:
                if contact_id < previous:
                    raise order_error("events", contact_id, previous, _SORTED_HINT, file=path, row=row,
                                      column="contact_id")
                previous = contact_id
            try:
                item = pack(cells)
            except BadValue:
                item = None
            if item is None or item[0] is None:
                self._skip(_field_error(fields[kind], cells, path, row, _TIMESTAMP_FIELD), on_error)
                continue
            yield contact_id, kind, item

    def _records(self, path: str, required: tuple[str, ...], wanted: tuple[str, ...],
                 mapping: dict[str, str] | None = None) -> _Records:
        """Records of ``path``: first the position of each of ``wanted`` (by the schema's names,
        however ``mapping`` renames them in the file), then the rows."""
        mapping = mapping or {}
        column = [mapping.get(name, name) for name in wanted]
        needed = tuple(mapping.get(name, name) for name in required)
        given = self._given.get(path)
        if given is not None:
            reader = _given_records(path, needed, self.delimiter, given)
        else:
            reader = (_csv_records(path, needed, self.delimiter) if self.format == "csv"
                      else _jsonl_records(path, tuple(column)))
        self._open.append(reader)
        if mapping:
            return _renamed(reader, dict(zip(column, wanted)))
        return reader


def _renamed(records: _Records, names: dict[str, str]) -> _Records:
    """``records`` whose positions are keyed by the schema's names instead of the file's."""
    positions = next(records)
    yield {names.get(column, column): at for column, at in positions.items()
           if column in names or column not in names.values()}
    yield from records


def _known(mapping: dict[str, str], names: tuple[str, ...], option: str, what: str) -> None:
    unknown = [name for name in mapping if name not in names]
    if unknown:
        raise SourceError(f"{option} maps {unknown[0]!r}, which is neither 'id'/'contact_id'/'type'/'timestamp' "
                          f"nor a {what} the schema declares")


def _compiled(fields: tuple, inline_text: bool, contact: bool = False) -> Callable[..., Any]:
    """A small generated function that converts one record's cells: ``cells -> (value, ...)``,
    or with ``contact``, ``(cells, contact_id) -> {"id": contact_id, name: value, ...}``.

    ``fields`` are ``(name, position, convert)``; position ``None``: no such column, always
    missing. ``inline_text``: cells are always strings (CSV), so the test for a blank text is
    written out instead of calling its converter. Names and positions reach the code only
    through ``repr()``.
    """
    namespace: dict[str, Any] = {}
    values = []
    for number, (_, index, convert) in enumerate(fields):
        if index is None:
            values.append("None")
        elif inline_text and convert is _TEXT_CELL:
            values.append(f"(_v if (_v := cells[{index!r}]) and not _v.isspace() else None)")
        else:
            namespace[f"_c{number}"] = convert
            values.append(f"_c{number}(cells[{index!r}])")
    if contact:
        items = "".join(f", {name!r}: {value}" for (name, _, _), value in zip(fields, values))
        source = f"def build(cells, contact_id):\n    return {{'id': contact_id{items}}}\n"
    else:
        source = f"def build(cells):\n    return ({''.join(value + ', ' for value in values)})\n"
    exec(source, namespace)
    return namespace["build"]


_TEXT_CELL = csv_converter(TypeSpec("text"))
_TIMESTAMP_FIELD = "timestamp"


def _field_error(fields: tuple, cells: list, path: str, row: int, required: str | None = None) -> DataError:
    """The error of the first field of ``cells`` that does not convert, or that is missing
    while ``required``; one of them is wrong."""
    for name, index, convert in fields:
        if index is not None:
            try:
                value = convert(cells[index])
            except BadValue as exc:
                return DataError(str(exc), file=path, row=row, column=name)
            if name == required and value is None:
                return DataError(f"missing {name}", file=path, row=row, column=name)
    raise AssertionError("every field converts")  # pragma: no cover


def _identity(value: Any, what: str, path: str, row: int, column: str) -> str:
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif value is None:
        text = ""
    else:
        raise DataError(f"{json.dumps(value)[:40]} is not a valid {what} (expected a string or an "
                        "integer)", file=path, row=row, column=column)
    if not text:
        raise DataError(f"missing {what}", file=path, row=row, column=column)
    return text


# ------------------------------------------------------------------ CSV records

def _count_bad_utf8(error: UnicodeDecodeError) -> tuple[str, int]:
    """``surrogateescape`` that counts: bad bytes become surrogates, so the CSV reader goes on
    and the bad cell can be found and named."""
    _BAD_UTF8[0] += 1
    return _SURROGATEESCAPE(error)


_BAD_UTF8 = [0]                      # byte sequences replaced so far, by every reader
_SURROGATEESCAPE = codecs.lookup_error("surrogateescape")
_DECODING_ERRORS = "scoredsl.count-surrogateescape"
codecs.register_error(_DECODING_ERRORS, _count_bad_utf8)
_SURROGATE = re.compile("[\udc80-\udcff]")


def _csv_records(path: str, required: tuple[str, ...], delimiter: str) -> _Records:
    """Rows as lists of cells. The file is decoded as it is read; a row holds surrogates (and
    is an error) exactly when its bytes were not valid UTF-8, which is looked for only once
    any reader has met such bytes."""
    with open(path, "rb") as file:
        bad_before = _BAD_UTF8[0]
        lines = io.TextIOWrapper(file, encoding="utf-8-sig", errors=_DECODING_ERRORS, newline="\n")
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            header = [cell.strip() for cell in next(reader)]
        except StopIteration:
            raise DataError("the file is empty; expected a header row", file=path, row=1) from None
        except csv.Error as exc:
            raise DataError(f"not valid CSV: {exc}", file=path, row=1) from None
        _check_header(header, _BAD_UTF8[0] != bad_before and _has_surrogates(header), path, required)
        yield {name: index for index, name in enumerate(header) if name}
        width, row = len(header), 1
        while True:                          # once more after each row that is not valid CSV
            try:
                for cells in reader:
                    row += 1
                    if len(cells) == width and _BAD_UTF8[0] == bad_before:
                        yield row, cells
                    elif cells:              # (completely empty lines are skipped)
                        maybe_bad = _BAD_UTF8[0] != bad_before
                        yield row, _row_problem(cells, header, maybe_bad, path, row) or cells
                return
            except csv.Error as exc:
                row += 1
                yield row, DataError(f"not valid CSV: {exc}", file=path, row=row)


#: More lines than this holding a contact's id as a cell, and a full read is cheaper.
MAX_LINES_FOR_ONE_CONTACT = 100_000


def _lines_with(path: str, contact_id: str, delimiter: str) -> list[tuple[int, bytes]] | None:
    """``(-n, bytes)`` of the n-th line of a quote-free CSV file (the header aside) that may
    hold ``contact_id`` as a whole cell (white space around it allowed): the line's number is
    not counted, a negative number tells the lines apart. ``None`` when the file holds a quote
    character (a record may then span lines), the id cannot be searched for as bytes, or too
    many lines hold it."""
    needle = contact_id.encode("utf-8")
    if not needle or b'"' in needle or b"\n" in needle or b"\r" in needle:
        return None
    sep = delimiter.encode("utf-8")
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size == 0:
                return []
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if data.find(b'"') != -1:
                    return None
                header_end = data.find(b"\n")
                if header_end == -1:
                    return []
                found: dict[int, tuple[int, bytes]] = {}
                at = data.find(needle, header_end + 1)
                while at != -1:
                    before = data[at - 1] if at > 0 else 10
                    end = at + len(needle)
                    after = data[end] if end < size else 10
                    if _may_bound(before, sep) and _may_bound(after, sep):
                        start = data.rfind(b"\n", 0, at) + 1
                        if start not in found:
                            if len(found) >= MAX_LINES_FOR_ONE_CONTACT:
                                return None
                            stop = data.find(b"\n", at)
                            found[start] = (-(len(found) + 1), data[start:size if stop == -1 else stop + 1])
                    at = data.find(needle, end)
    except (OSError, ValueError):
        return None
    return list(found.values())


def _may_bound(byte: int, sep: bytes) -> bool:
    """Whether a byte may stand next to a whole cell: the delimiter, a line end, ASCII white
    space, or any byte of a multi-byte character (some of them are white space)."""
    return byte in sep or byte in (9, 10, 11, 12, 13, 28, 29, 30, 31, 32) or byte >= 0x80


def _given_records(path: str, required: tuple[str, ...], delimiter: str,
                   lines: list[tuple[int | None, Any]]) -> _Records:
    """What :func:`_csv_records` yields for the file, but only for the given records: the
    header's positions, read from the file, then each record's cells or problem. A record is
    the bytes of one line (of a file where every line is one record) or its cells as another
    reader of the same rules found them; its row number is whatever the finder gave it."""
    full = _csv_records(path, required, delimiter)
    try:
        positions = next(full)
    finally:
        full.close()
    yield positions
    header = [cell.strip() for cell in next(csv.reader([_header_line(path)], delimiter=delimiter, strict=True))]
    width = len(header)
    for row, raw in lines:
        if isinstance(raw, list):               # cells another reader found
            cells = raw
        else:
            text = raw.decode("utf-8", errors=_DECODING_ERRORS)
            try:
                cells = next(csv.reader([text], delimiter=delimiter, strict=True), [])
            except csv.Error as exc:
                yield row, DataError(f"not valid CSV: {exc}", file=path, row=row)
                continue
        if len(cells) == width and not _has_surrogates(cells):
            yield row, cells
        elif cells:
            yield row, _row_problem(cells, header, True, path, row) or cells


def _header_line(path: str) -> str:
    with open(path, encoding="utf-8-sig", errors=_DECODING_ERRORS, newline="\n") as file:
        return file.readline()


def _row_problem(cells: list[str], header: list[str], maybe_bad: bool, path: str,
                 row: int) -> DataError | None:
    """Why a row that does not look like the header cannot be read, if it cannot."""
    if maybe_bad and _has_surrogates(cells):
        return _bad_utf8(cells, header, path, row)
    width = len(header)
    if len(cells) != width and not (len(cells) > width and not any(cells[width:])):
        return DataError(f"the row has {len(cells)} cells, the header {width}", file=path, row=row)
    return None


def _has_surrogates(cells: list[str]) -> bool:
    return any(_SURROGATE.search(cell) for cell in cells)


def _check_header(header: list[str], bad: bool, path: str, required: tuple[str, ...]) -> None:
    if bad:
        raise DataError("the header is not valid UTF-8", file=path, row=1)
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise DataError("the column appears twice in the header", file=path, row=1, column=name)
        seen.add(name)
    for name in required:
        if name not in seen:
            found = ", ".join(repr(n) for n in header if n) or "nothing"
            raise DataError(f"the header has no {name!r} column (found {found})", file=path,
                            row=1, column=name)


def _bad_utf8(cells: list[str], header: list[str], path: str, row: int) -> DataError:
    for index, cell in enumerate(cells):
        if _SURROGATE.search(cell):
            column = header[index] if index < len(header) and header[index] else f"#{index + 1}"
            return DataError("the value is not valid UTF-8", file=path, row=row, column=column)
    return DataError("the row is not valid UTF-8", file=path, row=row)  # pragma: no cover


# ------------------------------------------------------------------ JSONL records

class _JsonProblem(ValueError):
    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _JsonProblem("the key appears twice in the object", key)
        result[key] = value
    return result


def _constant(name: str) -> Any:
    raise _JsonProblem(f"{name} is not valid JSON (use null or a finite number)")


def _jsonl_records(path: str, wanted: tuple[str, ...]) -> _Records:
    """Objects as lists of the values of the ``wanted`` keys (``None`` where absent)."""
    yield {name: index for index, name in enumerate(wanted)}
    with open(path, "rb") as file:
        for row, raw in enumerate(file, 1):
            if row == 1:
                raw = raw.removeprefix(_BOM)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield row, DataError(f"not valid UTF-8 (byte {exc.start + 1} of the line)",
                                     file=path, row=row)
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
            except _JsonProblem as exc:
                yield row, DataError(str(exc), file=path, row=row, column=exc.key)
                continue
            except json.JSONDecodeError as exc:
                yield row, DataError(f"not valid JSON: {exc.msg} (character {exc.colno})",
                                     file=path, row=row)
                continue
            except ValueError:          # an integer of more digits than Python reads
                yield row, DataError(f"a number has more than {MAX_INT_DIGITS:,} digits", file=path, row=row)
                continue
            except RecursionError:
                yield row, DataError("values are nested too deeply (arrays or objects in one another "
                                     "hundreds of levels deep)", file=path, row=row)
                continue
            if not isinstance(value, dict):
                yield row, DataError(f"expected a JSON object, found {type(value).__name__}",
                                     file=path, row=row)
                continue
            yield row, [value.get(name) for name in wanted]


# ================================================================== sinks

class _FileSink(Sink):
    """Where the bytes go: standard output as they come, or an :class:`AtomicFile`."""

    def __init__(self, path: str):
        self.path = path
        self.run: RunInfo | None = None
        self.names: tuple[str, ...] = ()
        self._layouts: dict[str, RowLayout] = {}
        self._file: AtomicFile | None = None
        self._out: IO[str] | None = None

    @classmethod
    def from_spec(cls, spec: Spec) -> "_FileSink":
        spec.check_options(())
        if not spec.location:
            raise SpecError(f"{spec.text}: give a file path, or - for standard output")
        if spec.location != "-":
            if os.path.isdir(spec.location):
                raise SpecError(f"{spec.text}: {spec.location} is a folder; give a file path")
            folder = os.path.dirname(spec.location) or "."
            if not os.path.isdir(folder):
                raise SpecError(f"{spec.text}: the folder {folder} does not exist")
        return cls(spec.location)

    def open(self, run: RunInfo) -> None:
        if self.run is not None:
            raise SinkError(f"{self.path}: the sink is already open")
        self.names = columns(run)
        self.run = run
        self._start()

    def open_table(self, names: tuple[str, ...]) -> None:
        if self._out is not None:
            raise SinkError(f"{self.path}: the sink is already open")
        self.names = tuple(names)
        self._start()

    def write_values(self, values: dict[str, Any]) -> None:
        if self._out is None or self.run is not None:
            raise SinkError(f"{self.path}: write_values() outside open_table() ... commit()")
        with self._naming_failures():
            self._row({name: values.get(name) for name in self.names})

    def _start(self) -> None:
        if self.path == "-":
            # held until commit, as a file is: a run that fails prints no row (in memory up to
            # STDOUT_SPOOL bytes, then in a temporary file)
            import tempfile     # (here, as shutil below: `check` loads this plugin and writes nothing)

            self._out = tempfile.SpooledTemporaryFile(max_size=STDOUT_SPOOL, mode="w+", encoding="utf-8",
                                                      newline="")
        else:
            with self._naming_failures():
                self._file = AtomicFile(self.path)
            self._out = self._file.file
        self._begin()

    def write(self, row: ResultRow) -> None:
        if self._out is None or self.run is None:
            raise SinkError(f"{self.path}: write() outside open() ... commit()")
        layout = self._layouts.get(row.model)
        if layout is None:
            layout = self._layouts[row.model] = RowLayout(self.run, row.model, self.names)
        try:
            self._row_values(layout.values(row))
        except OSError as exc:
            raise self._failure(exc) from None

    def commit(self) -> None:
        if self._out is None:
            raise SinkError(f"{self.path}: commit() without open()")
        with self._naming_failures():
            self._end()
            if self._file is not None:
                self._file.commit()
            else:
                import shutil

                self._out.seek(0)
                shutil.copyfileobj(self._out, sys.stdout)
                sys.stdout.flush()
                self._out.close()
        self._out = self._file = None

    @contextlib.contextmanager
    def _naming_failures(self):
        """A failure of the file system (a full disk, a read-only one, no permission) as a
        :class:`SinkError` that names the file and the cause."""
        try:
            yield
        except OSError as exc:
            raise self._failure(exc) from None

    def _failure(self, exc: OSError) -> SinkError:
        where = "standard output" if self.path == "-" else self.path
        return SinkError(f"cannot write {where}: {exc.strerror or exc}")

    def abort(self) -> None:
        if self._file is not None:
            self._file.abort()
        elif self._out is not None:
            self._out.close()           # the rows held for standard output: never printed
        self._out = self._file = None

    def _begin(self) -> None:
        """Called by :meth:`open`: write a header."""

    def _row(self, values: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _row_values(self, values: list[Any]) -> None:
        """:meth:`_row` for the values of :attr:`names` in order."""
        self._row(dict(zip(self.names, values)))

    def _end(self) -> None:
        """Called by :meth:`commit` before the file is renamed."""


class CsvSink(_FileSink):
    text_form = "csv"

    def write_text(self, file: IO[bytes]) -> None:
        if self._out is None or self.run is None:
            raise SinkError(f"{self.path}: write_text() outside open() ... commit()")
        with self._naming_failures():
            import shutil

            text = io.TextIOWrapper(file, encoding="utf-8", newline="")
            try:
                shutil.copyfileobj(text, self._out, 1 << 20)
            finally:
                text.detach()       # the file stays the caller's

    def _begin(self) -> None:
        self._writer = csv.writer(self._out, lineterminator="\n")
        self._writer.writerow(self.names)

    def _row(self, values: dict[str, Any]) -> None:
        self._row_values(list(values.values()))

    def _row_values(self, values: list[Any]) -> None:
        cells = ["" if v is None else v for v in values]
        if any(type(c) is str and "\r" in c for c in cells):
            # csv.writer leaves a carriage return unquoted on some Python versions, which no
            # reader reads back as one cell
            self._out.write(",".join(csv_quoted(str(c)) for c in cells) + "\n")
        else:
            self._writer.writerow(cells)


def csv_quoted(text: str) -> str:
    """``text`` as a cell of the CSV sink: in double quotes (its own doubled) when it holds a
    comma, a double quote, a carriage return or a line feed."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


class JsonlSink(_FileSink):
    def _row(self, values: dict[str, Any]) -> None:
        self._out.write(json.dumps(values, ensure_ascii=False, allow_nan=False,
                                   separators=(",", ":")) + "\n")


class TableSink(_FileSink):
    """Buffers the rows (a table needs every width) and prints them on commit."""

    def _begin(self) -> None:
        if self.run is None:                      # open_table(): every column as given
            self._shown, self._numeric = self.names, set()
        else:
            self._shown = self.names[:-2]            # without model_version and as_of
            self._numeric = {n for m in self.run.models for n in m.scores}
        self._rows: list[list[str]] = []

    def _row(self, values: dict[str, Any]) -> None:
        self._rows.append([_cell(values[name]) for name in self._shown])

    def _end(self) -> None:
        table = [list(self._shown)] + self._rows
        widths = [max(_width(row[i]) for row in table) for i in range(len(self._shown))]
        rule = ["-" * w for w in widths]
        for row in [table[0], rule] + table[1:]:
            cells = [_pad(cell, w, name in self._numeric)
                     for cell, w, name in zip(row, widths, self._shown)]
            self._out.write("  ".join(cells).rstrip() + "\n")
        self._rows = []

    def abort(self) -> None:
        self._rows = []
        super().abort()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill

