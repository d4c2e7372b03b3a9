"""The packed form of events that generated evaluators read: per event type, a list of tuples
``(timestamp, attribute, ...)`` in the schema's attribute order, sorted by timestamp; instants
as epoch microseconds, blank text as ``None``."""

from __future__ import annotations

from typing import Iterable, Mapping

from scoredsl.data.records import DataSchema, Event, epoch_micros


def pack_events(events: Iterable[Event], schema: DataSchema) -> dict[str, list[tuple]]:
    """Group one contact's events by type as timestamp-sorted tuples (see :mod:`pycodegen`)."""
    packed: dict[str, list[tuple]] = {}
    layouts = event_layouts(schema)
    for event in events:
        layout = layouts.get(event.type)
        if layout is None:
            continue
        packed.setdefault(event.type, []).append(pack_event(event.timestamp, event.attrs, layout))
    for items in packed.values():
        items.sort(key=_timestamp)
    return packed


def _timestamp(item: tuple) -> int:
    return item[0]


def event_layouts(schema: DataSchema) -> dict[str, tuple[tuple[str, str], ...]]:
    return {name: tuple((attr, spec.base) for attr, spec in attributes.items())
            for name, attributes in schema.events.items()}


def pack_event(timestamp, values: Mapping, layout) -> tuple:
    row = [timestamp if isinstance(timestamp, int) else epoch_micros(timestamp)]
    for attr, base in layout:
        value = values.get(attr)
        if value is not None:
            if base == "text" and isinstance(value, str) and (not value or value.isspace()):
                value = None
            elif base in ("date", "datetime"):
                value = epoch_micros(value)
        row.append(value)
    return tuple(row)
