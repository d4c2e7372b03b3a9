"""What a data source is: the contract between the engine and source plugins.

A source is opened from a spec (``csv:data/``) by :func:`scoredsl.plugins.open_source` and
then read twice, once for each kind of record, in either order::

    source = open_source("csv:examples/b2b_saas/data", schema)
    try:
        for event in source.events(schema, on_error): ...
        for contact in source.contacts(schema, on_error): ...
    finally:
        source.close()

**Contacts** are ``dict`` objects from property name to typed value (see
:mod:`scoredsl.data`): always ``"id"`` (a non-empty ``str``), and every property the schema
declares (``None`` when missing). Properties the schema does not declare are not included.
A contact id appears once per source; a duplicate is a data error.

**Events** are :class:`~scoredsl.data.Event` objects of the types the schema declares, with
every declared attribute of that type in ``attrs`` (``None`` when missing). Events of other
types are not yielded: they are counted in :attr:`Source.ignored_events`. Events come in no
particular order and may name contacts the source does not have.

**Errors.** A record that does not fit the schema is reported by calling
``on_error(DataError(...))``, naming the file (or table), the row and the column. ``on_error``
either raises (fail mode: the exception propagates out of the iterator) or returns (skip mode:
the record is not yielded and :attr:`Source.skipped_rows` is incremented). Problems that are
not about one record (a missing file, a missing required column) raise
:class:`~scoredsl.data.DataError` directly: there is nothing to skip.

Sources should stream: memory may grow with the number of contact ids (to detect duplicates)
but not with the data.
"""

from __future__ import annotations

import abc
from typing import Any, Callable, Iterator

from .data import DataError, DataSchema, Event

__all__ = ["Source", "SourceError", "OnError", "fail"]


class SourceError(Exception):
    """The source failed as a whole while reading (connection lost, API quota exhausted):
    not one bad record, so there is nothing to skip. The message is shown to the user as is,
    so it must name the source by its shown spec and never contain a secret."""

OnError = Callable[[DataError], None]
"""Called with each bad record: raise to stop, return to skip the record."""


def fail(error: DataError) -> None:
    """The fail-mode error handler: raise the error."""
    raise error


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
