"""One contact and its events, for ``scoredsl explain``, without reading every event into
Python when the source allows it.

For CSV files, each file on its own: a byte search when it has no quote character
(:meth:`~scoredsl.plugins.builtin.files.FileSource.lines_for`), else DuckDB's CSV reader
(:func:`~scoredsl.engines.duckdb_files.contact_rows`); the records found are then read by the
Python rules (:meth:`~scoredsl.plugins.builtin.files.FileSource.one_contact`). Other sources:
their own fast path (:meth:`~scoredsl.data.sources.Source.for_contact`). Otherwise, or when a
file cannot be searched, a full read. Each gives the contact and events a full read gives.
"""

from __future__ import annotations

from typing import Any

from scoredsl.data.companies import Companies
from scoredsl.data.records import DataSchema, Event
from scoredsl.data.sources import OnError, Source
from scoredsl.engines.duckdb_files import Files, contact_rows


def one_contact(source: Source, schema: DataSchema, contact_id: str,
                on_error: OnError) -> tuple[dict[str, Any] | None, list[Event]]:
    """The first contact of id ``contact_id`` and its events (``None`` and ``[]`` when there is
    no such contact), with its company's values when the schema declares companies
    (:mod:`scoredsl.data.companies`); records of other contacts are not checked on the fast
    paths."""
    contact, events = _one_contact(source, schema, contact_id, on_error)
    companies = Companies.read(source, schema, on_error)
    if contact is not None and companies is not None:
        contact = companies.attach(contact)
    return contact, events


def _one_contact(source: Source, schema: DataSchema, contact_id: str,
                 on_error: OnError) -> tuple[dict[str, Any] | None, list[Event]]:
    files = Files.of(source)
    if files is not None and files.format == "csv" and hasattr(source, "lines_for"):
        rows: dict[str, list] | None = {}
        for path, key in ((files.contacts, "id"), (files.events, "contact_id")):
            if path is None:
                continue
            found = source.lines_for(path, contact_id)
            if found is None:
                found = contact_rows(files, path, key, contact_id)
            if found is None:
                rows = None
                break
            rows[path] = found
        if rows is not None:
            return source.one_contact(rows, contact_id, schema, on_error)
    else:
        found = source.for_contact(contact_id, schema, on_error)
        if found is not None:
            return found if found[0] is not None else (None, [])
    contact = next((c for c in source.contacts(schema, on_error) if c["id"] == contact_id), None)
    if contact is None:
        return None, []
    return contact, [e for e in source.events(schema, on_error) if e.contact_id == contact_id]
