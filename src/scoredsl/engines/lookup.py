"""One contact and its events, for ``scoredsl explain``, without reading every event into
Python when the source allows it.

In order: the source's own fast path (:meth:`~scoredsl.data.sources.Source.for_contact`: a
byte search in quote-free CSV files); DuckDB's CSV reader finding the contact's records in
files with quotes (:func:`~scoredsl.engines.duckdb_files.contact_rows`), read then by the
Python rules; else a full read. Each gives the contact and events a full read gives.
"""

from __future__ import annotations

from typing import Any

from scoredsl.data.records import DataSchema, Event
from scoredsl.data.sources import OnError, Source
from scoredsl.engines.duckdb_files import Files, contact_rows


def one_contact(source: Source, schema: DataSchema, contact_id: str,
                on_error: OnError) -> tuple[dict[str, Any] | None, list[Event]]:
    """The first contact of id ``contact_id`` and its events (``None`` and ``[]`` when there is
    no such contact); records of other contacts are not checked on the fast paths."""
    found = source.for_contact(contact_id, schema, on_error)
    if found is not None:
        return found
    files = Files.of(source)
    if files is not None and hasattr(source, "one_contact"):
        rows = contact_rows(files, contact_id)
        if rows is not None:
            return source.one_contact(rows, contact_id, schema, on_error)
    contact = next((c for c in source.contacts(schema, on_error) if c["id"] == contact_id), None)
    if contact is None:
        return None, []
    return contact, [e for e in source.events(schema, on_error) if e.contact_id == contact_id]
