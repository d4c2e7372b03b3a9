"""The built-in ``parquet`` source: contacts and events from Parquet files.

``parquet:FOLDER`` reads ``FOLDER/contacts.parquet`` and ``FOLDER/events.parquet`` (and
``FOLDER/companies.parquet`` when there is one, or ``companies=FILE``);
``parquet:CONTACTS.parquet[?events=EVENTS.parquet]`` names the files. The columns are those of
the CSV source (``id``; ``contact_id``, ``type``, ``timestamp`` and attributes).

Every value is read as its text form (timestamps in UTC, as ``2026-06-01 09:30:00``, numbers
in their shortest exact form) and then follows the rules for CSV cells, so a Parquet file and
its CSV export give the same scores, on every engine. Row numbers in data errors count records
from 1. The files are read by DuckDB, in batches.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

from scoredsl.data.records import DataError, DataSchema, Event, TypeSpec
from scoredsl.data.sources import OnError, Source, fail
from scoredsl.data.specs import Spec, SpecError
from scoredsl.data.values import parse_csv_value
from scoredsl.plugins.builtin.files import _identity
from scoredsl.plugins.hookspecs import hookimpl

_TIMESTAMP = TypeSpec("datetime")


@hookimpl
def scoredsl_register_sources(registry) -> None:
    registry.add("parquet", open_parquet_source,
                 "Parquet files: FOLDER (contacts.parquet, events.parquet) or CONTACTS.parquet?events=EVENTS.parquet")


def open_parquet_source(spec: Spec, schema: DataSchema | None = None) -> "ParquetSource":
    spec.check_options(("events", "companies"))
    location = spec.location
    if os.path.isdir(location):
        contacts, events = (os.path.join(location, f"{kind}.parquet") for kind in ("contacts", "events"))
        if not os.path.isfile(contacts) or not os.path.isfile(events):
            raise SpecError(f"{spec.text}: the folder needs contacts.parquet and events.parquet")
        companies = os.path.join(location, "companies.parquet")
        companies = spec.options.get("companies") or (companies if os.path.isfile(companies) else None)
    else:
        contacts, events = location, spec.options.get("events") or None
        companies = spec.options.get("companies") or None
    for path in (contacts, events, companies):
        if path is not None and not os.path.isfile(path):
            raise SpecError(f"{spec.text}: no such file or folder: {path}")
    return ParquetSource(contacts, events, companies)


class ParquetSource(Source):
    """Contacts, events and (``companies.parquet`` or ``companies=FILE``) companies."""
    format = "parquet"
    delimiter = ","

    def __init__(self, contacts: str, events: str | None, companies: str | None = None):
        self.contacts_path, self.events_path, self.companies_path = contacts, events, companies
        self.ignored_events = 0

    def _records(self, path: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
        import duckdb

        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            names = [row[0] for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()]
            for name in required:
                if name not in names:
                    raise DataError(f"the file has no {name!r} column", file=path, column=name)
            columns = ", ".join('CAST("' + n.replace('"', '""') + '" AS VARCHAR)' for n in names)
            con.execute(f"SELECT {columns} FROM read_parquet(?)", [path])
            row = 0
            while True:
                batch = con.fetchmany(10_000)
                if not batch:
                    return
                for values in batch:
                    row += 1
                    yield row, dict(zip(names, values))
        finally:
            con.close()

    def contacts(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]]:
        return self._records_of(self.contacts_path, schema.contact, "contact", on_error)

    def companies(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]] | None:
        if self.companies_path is None:
            return None
        return self._records_of(self.companies_path, schema.company or {}, "company", on_error)

    def _records_of(self, path: str, declared, what: str, on_error: OnError) -> Iterator[dict[str, Any]]:
        seen: dict[str, int] = {}
        properties = [(name, spec) for name, spec in declared.items() if name != "id"]
        for row, item in self._records(path, ("id",)):
            try:
                contact_id = _identity(item.get("id"), f"{what} id", path, row, "id")
                first = seen.setdefault(contact_id, row)
                if first != row:
                    raise DataError(f"duplicate {what} id {contact_id!r}: also at row {first}",
                                    file=path, row=row, column="id")
                contact = {"id": contact_id}
                for name, spec in properties:
                    contact[name] = parse_csv_value(item.get(name), spec, file=path, row=row, column=name)
            except DataError as problem:
                self._skip(problem, on_error)
                continue
            yield contact

    def events(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[Event]:
        path = self.events_path
        if path is None:
            return
        types = {kind: tuple(declared.items()) for kind, declared in schema.events.items()}
        for row, item in self._records(path, ("contact_id", "type", "timestamp")):
            try:
                kind = _identity(item.get("type"), "event type", path, row, "type")
                declared = types.get(kind)
                if declared is None:
                    self.ignored_events += 1
                    continue
                contact_id = _identity(item.get("contact_id"), "contact id", path, row, "contact_id")
                timestamp = parse_csv_value(item.get("timestamp"), _TIMESTAMP, file=path, row=row,
                                            column="timestamp")
                if timestamp is None:
                    raise DataError("missing timestamp", file=path, row=row, column="timestamp")
                values = {name: parse_csv_value(item.get(name), spec, file=path, row=row, column=name)
                          for name, spec in declared}
            except DataError as problem:
                self._skip(problem, on_error)
                continue
            yield Event(contact_id=contact_id, type=kind, timestamp=timestamp, attrs=values)
