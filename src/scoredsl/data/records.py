"""The data a model reads and writes, independent of where it comes from.

* A **contact** is a ``dict`` from property name to a typed Python value (``None`` or absent
  when missing), always with an ``"id"`` (``str``).
* An **event** is an :class:`Event`.
* A **result row** is a :class:`ResultRow`, one per contact and model.

Typed values: ``text`` -> ``str``; ``int`` -> ``int``; ``number`` -> ``float``; ``bool`` ->
``bool``; ``date`` -> ``datetime.date``; ``datetime`` -> timezone-aware ``datetime`` in UTC;
``list[text]`` -> ``tuple[str, ...]``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import attrs

SCALAR_TYPES = ("text", "int", "number", "bool", "date", "datetime")


@attrs.frozen
class TypeSpec:
    base: str                 # one of SCALAR_TYPES
    is_list: bool = False

    def __str__(self) -> str:
        return f"list[{self.base}]" if self.is_list else self.base


#: The contact property that names the contact's company, when the schema declares companies.
COMPANY_ID = "company_id"


@attrs.frozen(kw_only=True)
class DataSchema:
    """What a compiled unit declares: contact properties and event attributes by name, and the
    properties of companies (``None``: the schema declares no company). With companies, the
    contact properties include :data:`COMPANY_ID`, the text id of the contact's company."""
    contact: Mapping[str, TypeSpec]
    events: Mapping[str, Mapping[str, TypeSpec]]
    company: Mapping[str, TypeSpec] | None = None


@attrs.frozen(kw_only=True)
class Event:
    contact_id: str
    type: str
    timestamp: dt.datetime          # aware, UTC
    attrs: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ResultRow:
    contact_id: str | None          # None in a company model's row
    model: str
    status: str                     # "scored" | "out_of_scope" | "disqualified"
    reason: str | None
    scores: Mapping[str, int | None]
    tiers: Mapping[str, str | None]
    company_id: str | None = None   # a company model's row: the company scored

    @property
    def subject_id(self) -> str:
        """The id of what the row scores: the contact, or the company of a company model."""
        return self.contact_id if self.company_id is None else self.company_id


STATUSES = ("scored", "out_of_scope", "disqualified")


class DataError(Exception):
    """A value or record that does not fit the schema; names where it is and why."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, record: str | None = None):
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.record = record
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        text = f"{prefix}: {self.message}" if prefix else self.message
        if self.record:
            text += f"\n  record: {self.record}"
        return text


def epoch_micros(value: dt.datetime | dt.date) -> int:
    """Microseconds since 1970-01-01T00:00Z; a date is its midnight UTC. Exact integers."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def from_epoch_micros(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)


def to_micros(as_of: dt.datetime | dt.date | int) -> int:
    return as_of if isinstance(as_of, int) else epoch_micros(as_of)
