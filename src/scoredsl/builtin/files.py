"""The built-in ``files`` plugin: CSV and JSONL sources, CSV, JSONL and table sinks.

Sources
-------
``csv:FOLDER`` / ``jsonl:FOLDER``
    ``FOLDER/contacts.csv`` and ``FOLDER/events.csv`` (``.jsonl`` for ``jsonl``); both must
    exist.
``csv:CONTACTS.csv[?events=EVENTS.csv]`` / ``jsonl:CONTACTS.jsonl[?events=EVENTS.jsonl]``
    A contacts file, and optionally an events file in the same format (without ``events=`` the
    source has no events). Relative paths are relative to the working directory, as on any
    command line.
Option ``delimiter`` (CSV only): one character, or ``tab``; default ``,``.

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

Row numbers in data errors are what a person sees: in CSV the header is row 1, so the first
contact is row 2, and a record spanning several lines (a quoted line break) is one row, as in
a spreadsheet; in JSONL the row is the line number (1-based, blank lines included).

Sinks
-----
``csv:PATH``, ``jsonl:PATH``
    One row (line) per contact and model, with the columns of :func:`scoredsl.sinks.columns`.
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

import csv
import json
import os
import sys
import unicodedata
from typing import IO, Any, Iterator, Mapping

from scoredsl import hookimpl
from scoredsl.data import DataError, DataSchema, Event, ResultRow, TypeSpec
from scoredsl.plugins import Spec, SpecError
from scoredsl.sinks import AtomicFile, RunInfo, Sink, SinkError, columns, record
from scoredsl.sources import OnError, Source, fail
from scoredsl.values import parse_csv_value, parse_json_value

FORMATS = ("csv", "jsonl")
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


# ================================================================== sources

def open_file_source(spec: Spec, schema: DataSchema | None = None) -> "FileSource":
    """The source for a ``csv:`` or ``jsonl:`` spec; :class:`SpecError` if its files are missing."""
    fmt = spec.scheme
    spec.check_options(("events", "delimiter") if fmt == "csv" else ("events",))
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
    else:
        contacts, events = location, spec.options.get("events") or None
        for path in (contacts, events):
            if path is not None and not os.path.isfile(path):
                raise SpecError(f"{spec.text}: no such file or folder: {path}")
    return FileSource(fmt, contacts, events, delimiter=_delimiter(spec))


def _delimiter(spec: Spec) -> str:
    value = spec.options.get("delimiter", ",")
    value = "\t" if value.lower() == "tab" else value
    if len(value) != 1 or value in "\"\r\n":
        raise SpecError(f"{spec.text}: delimiter must be one character (or tab), not {value!r}")
    return value


_Records = Iterator[tuple[int, Mapping[str, Any] | DataError]]


class FileSource(Source):
    """Contacts and events read from two CSV or JSONL files, streaming."""

    def __init__(self, fmt: str, contacts: str, events: str | None, *, delimiter: str = ","):
        if fmt not in FORMATS:
            raise ValueError(f"unknown file format {fmt!r}")
        self.format, self.contacts_path, self.events_path = fmt, contacts, events
        self.delimiter = delimiter
        self.skipped_rows = 0
        self.ignored_events = 0
        self._open: list[Iterator] = []
        self._parse = parse_csv_value if fmt == "csv" else parse_json_value

    def contacts(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]]:
        path, parse = self.contacts_path, self._parse
        seen: dict[str, int] = {}
        properties = [(name, spec) for name, spec in schema.contact.items() if name != "id"]
        for row, item in self._records(path, ("id",)):
            try:
                if isinstance(item, DataError):
                    raise item
                contact_id = _identity(item.get("id"), "contact id", path, row, "id")
                first = seen.setdefault(contact_id, row)
                if first != row:
                    raise DataError(f"duplicate contact id {contact_id!r}: also at row {first}",
                                    file=path, row=row, column="id")
                contact = {"id": contact_id}
                for name, spec in properties:
                    contact[name] = parse(item.get(name), spec, file=path, row=row, column=name)
            except DataError as problem:
                self._skip(problem, on_error)
                continue
            yield contact

    def events(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[Event]:
        path, parse = self.events_path, self._parse
        if path is None:
            return
        types = {kind: tuple(declared.items()) for kind, declared in schema.events.items()}
        for row, item in self._records(path, ("contact_id", "type", "timestamp")):
            try:
                if isinstance(item, DataError):
                    raise item
                kind = _identity(item.get("type"), "event type", path, row, "type")
                declared = types.get(kind)
                if declared is None:
                    self.ignored_events += 1
                    continue
                contact_id = _identity(item.get("contact_id"), "contact id", path, row, "contact_id")
                timestamp = parse(item.get("timestamp"), _TIMESTAMP, file=path, row=row,
                                  column="timestamp")
                if timestamp is None:
                    raise DataError("missing timestamp", file=path, row=row, column="timestamp")
                values = {name: parse(item.get(name), spec, file=path, row=row, column=name)
                          for name, spec in declared}
                event = Event(contact_id=contact_id, type=kind, timestamp=timestamp, attrs=values)
            except DataError as problem:
                self._skip(problem, on_error)
                continue
            yield event

    def close(self) -> None:
        while self._open:
            self._open.pop().close()

    def _records(self, path: str, required: tuple[str, ...]) -> _Records:
        reader = (_csv_records(path, required, self.delimiter) if self.format == "csv"
                  else _jsonl_records(path))
        self._open.append(reader)
        return reader


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

class _Lines:
    """A binary file's lines as text; remembers that a line was not valid UTF-8.

    Bad bytes are kept as surrogates (``surrogateescape``) so that the CSV reader goes on and
    the bad cell can be found and named.
    """

    def __init__(self, file: IO[bytes]):
        self.file = file
        self.bad = False

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self.file:
            if first:
                raw, first = raw.removeprefix(_BOM), False
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad = True
                yield raw.decode("utf-8", "surrogateescape")


def _csv_records(path: str, required: tuple[str, ...], delimiter: str) -> _Records:
    with open(path, "rb") as file:
        lines = _Lines(file)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            header = [cell.strip() for cell in next(reader)]
        except StopIteration:
            raise DataError("the file is empty; expected a header row", file=path, row=1) from None
        except csv.Error as exc:
            raise DataError(f"not valid CSV: {exc}", file=path, row=1) from None
        _check_header(header, lines.bad, path, required)
        width, row = len(header), 1
        while True:
            lines.bad = False
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row += 1
                yield row, DataError(f"not valid CSV: {exc}", file=path, row=row)
                continue
            row += 1
            if not cells:
                continue
            if lines.bad:
                yield row, _bad_utf8(cells, header, path, row)
            elif len(cells) != width and not (len(cells) > width and not any(cells[width:])):
                yield row, DataError(f"the row has {len(cells)} cells, the header {width}",
                                     file=path, row=row)
            else:
                yield row, dict(zip(header, cells))


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
        if any("\udc80" <= char <= "\udcff" for char in cell):
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


def _jsonl_records(path: str) -> _Records:
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
            if not isinstance(value, dict):
                yield row, DataError(f"expected a JSON object, found {type(value).__name__}",
                                     file=path, row=row)
                continue
            yield row, value


# ================================================================== sinks

class _FileSink(Sink):
    """Where the bytes go: standard output as they come, or an :class:`AtomicFile`."""

    def __init__(self, path: str):
        self.path = path
        self.run: RunInfo | None = None
        self.names: tuple[str, ...] = ()
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
        if self.path == "-":
            self._out = sys.stdout
        else:
            self._file = AtomicFile(self.path)
            self._out = self._file.file
        self._begin()

    def write(self, row: ResultRow) -> None:
        if self._out is None or self.run is None:
            raise SinkError(f"{self.path}: write() outside open() ... commit()")
        self._row(record(row, self.run, self.names))

    def commit(self) -> None:
        if self._out is None:
            raise SinkError(f"{self.path}: commit() without open()")
        self._end()
        if self._file is not None:
            self._file.commit()
        else:
            self._out.flush()
        self._out = self._file = None

    def abort(self) -> None:
        if self._file is not None:
            self._file.abort()
        self._out = self._file = None

    def _begin(self) -> None:
        """Called by :meth:`open`: write a header."""

    def _row(self, values: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _end(self) -> None:
        """Called by :meth:`commit` before the file is renamed."""


class CsvSink(_FileSink):
    def _begin(self) -> None:
        self._writer = csv.writer(self._out, lineterminator="\n")
        self._writer.writerow(self.names)

    def _row(self, values: dict[str, Any]) -> None:
        self._writer.writerow(["" if v is None else v for v in values.values()])


class JsonlSink(_FileSink):
    def _row(self, values: dict[str, Any]) -> None:
        self._out.write(json.dumps(values, ensure_ascii=False, allow_nan=False,
                                   separators=(",", ":")) + "\n")


class TableSink(_FileSink):
    """Buffers the rows (a table needs every width) and prints them on commit."""

    def _begin(self) -> None:
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

