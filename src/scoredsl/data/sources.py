"""What a data source is: the contract between the engine and source plugins.

A source is opened from a spec (``csv:data/``) by :func:`scoredsl.plugins.manager.open_source` and
then read twice, once for each kind of record, in either order or side by side (a run on a
sorted source reads a contact, then its events)::

    source = open_source("csv:examples/b2b_saas/data", schema)
    try:
        for event in source.events(schema, on_error): ...
        for contact in source.contacts(schema, on_error): ...
    finally:
        source.close()

**Contacts** are ``dict`` objects from property name to typed value (see
:mod:`scoredsl.data.records`): always ``"id"`` (a non-empty ``str``), and every property the schema
declares (``None`` when missing). Properties the schema does not declare are not included.
A contact id appears once per source; a duplicate is a data error.

**Events** are :class:`~scoredsl.data.records.Event` objects of the types the schema declares, with
every declared attribute of that type in ``attrs`` (``None`` when missing). Events of other
types are not yielded: they are counted in :attr:`Source.ignored_events`. Events come in no
particular order and may name contacts the source does not have.

**Errors.** A record that does not fit the schema is reported by calling
``on_error(DataError(...))``, naming the file (or table), the row and the column. ``on_error``
either raises (fail mode: the exception propagates out of the iterator) or returns (skip mode:
the record is not yielded and :attr:`Source.skipped_rows` is incremented). Problems that are
not about one record (a missing file, a missing required column) raise
:class:`~scoredsl.data.records.DataError` directly: there is nothing to skip.

Sources should stream: memory may grow with the number of contact ids (to detect duplicates)
but not with the data.

Two optional methods let a source make runs faster and lighter; a source that has neither
works exactly as before:

**Order** (:meth:`Source.order_by_contact`). The runner asks each source, before reading,
whether it will yield contacts and events sorted by contact id (plain ``str`` order, i.e.
code-point order; events grouped per contact, in any order within a contact). A source says
yes when its data is known to be sorted (a file source given ``sorted=contact_id``) or when it
sorts it (the SQL source given ``sorted=contact_id`` has the database sort). The runner then
joins the two streams contact by contact and holds one contact's events at a time; otherwise
it must hold (or spill to disk) all events before the first contact. A source that says yes
must raise the :class:`OrderError` of :func:`order_error` (not call ``on_error``) for a contact
id smaller than the one before it, in either stream, and may find duplicate contact ids by
comparing each with the one before.

**Companies** (:meth:`Source.companies`): when the schema declares a ``company`` block, each
contact's ``company_id`` property names its company, and the source yields the companies as
it yields contacts. A source without companies cannot run such a model.

**Packed events** (:meth:`Source.packed_events`): events as the tuples the generated
evaluators read, without building :class:`~scoredsl.data.records.Event` objects first.
"""

from __future__ import annotations

import abc
from typing import Any, Callable, Iterator, Tuple

from scoredsl.data.records import DataError, DataSchema, Event

__all__ = ["Source", "SourceError", "OnError", "fail", "OrderError", "order_error", "PackedEvent"]


class SourceError(Exception):
    """The source failed as a whole while reading (connection lost, API quota exhausted):
    not one bad record, so there is nothing to skip. The message is shown to the user as is,
    so it must name the source by its shown spec and never contain a secret."""

OnError = Callable[[DataError], None]
"""Called with each bad record: raise to stop, return to skip the record."""


def fail(error: DataError) -> None:
    """The fail-mode error handler: raise the error."""
    raise error


PackedEvent = Tuple[str, str, tuple]
"""``(contact_id, type, (timestamp, value, ...))`` as :meth:`Source.packed_events` yields it."""


class OrderError(DataError):
    """A source that said it is sorted by contact id is not. Raised, never passed to
    ``on_error``: the run cannot go on (or skip the record) without wrong results."""


def order_error(what: str, contact_id: str, previous: str, hint: str, *, file: str | None,
                row: int | None, column: str | None = None, record: str | None = None) -> OrderError:
    """The error of a source that said it is sorted by contact id (see
    :meth:`Source.order_by_contact`) when ``contact_id`` comes after a greater ``previous``.

    ``what`` names the records ("contacts", "events"); ``hint`` says what to do about it."""
    return OrderError(f"contact id {contact_id!r} comes after {previous!r}, but the {what} must be "
                      f"sorted by contact id in plain code-point order: {hint}", file=file, row=row,
                      column=column, record=record)


class Source(abc.ABC):
    """Base class of every source; subclasses implement :meth:`contacts` and :meth:`events`."""

    #: Records skipped because ``on_error`` returned (both kinds of record, all iterations).
    skipped_rows: int = 0
    #: Events whose type the schema does not declare, so were not yielded.
    ignored_events: int = 0

    @abc.abstractmethod
    def contacts(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]]:
        """Yield every contact as a typed ``dict`` with ``"id"``; see the module docs."""

    @abc.abstractmethod
    def events(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[Event]:
        """Yield every event of a declared type; see the module docs."""

    def companies(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]] | None:
        """Every company as a typed ``dict`` with ``"id"`` and the properties of
        ``schema.company`` (``None`` when missing), read and checked as contacts are; a duplicate
        id is a data error. ``None`` (the default): the source has no companies. Called only
        when the schema declares companies; a run then reads them once, before any contact."""
        return None

    def order_by_contact(self) -> bool:
        """Whether :meth:`contacts` and :meth:`events` will both yield in ascending contact id
        order (``str`` order); called once, before either is read. See the module docs.

        A source that can sort (a database) may decide to do so here. The default: ``False``.
        """
        return False

    def packed_events(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[PackedEvent] | None:
        """The events of :meth:`events` as :data:`PackedEvent` tuples, or ``None`` (the default)
        when the source has no such fast path; the runner then packs :meth:`events` itself.

        ``(contact_id, type, (timestamp, value, ...))``: the timestamp and each attribute the
        schema declares for the type, in declaration order, as
        :func:`scoredsl.compiler.python.packing.pack_event` makes them: dates and datetimes as epoch
        microseconds (:func:`scoredsl.data.records.epoch_micros`), a blank text as ``None``, other
        values as :meth:`events` has them. Errors, skipped rows and ignored events are counted
        exactly as by :meth:`events`; only one of the two is read in a run.
        """
        return None

    def for_contact(self, contact_id: str, schema: DataSchema,
                    on_error: OnError = fail) -> "tuple[dict[str, Any] | None, list[Event]] | None":
        """One contact and its events, as a full read would find them (the first contact of that
        id that :meth:`contacts` yields, and the events :meth:`events` yields for it, in order),
        without reading every record; ``None`` (the default) when the source has no such fast
        path, and the caller reads everything. Only the records of this contact are checked, so
        errors and skips of other records are not seen."""
        return None

    def close(self) -> None:
        """Release whatever the source holds (files, connections). Safe to call twice."""

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _skip(self, error: DataError, on_error: OnError) -> None:
        """Report a bad record; counts it when ``on_error`` returns (a helper for subclasses)."""
        on_error(error)
        self.skipped_rows += 1
