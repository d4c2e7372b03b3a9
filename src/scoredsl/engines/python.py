"""Score every contact of a source with one or more compiled models and write the results.

Each contact is evaluated by every selected model with its own events: per event type, the
timestamp-sorted tuples the generated evaluators read (:func:`scoredsl.compiler.python.packing.pack_event`).
The events come from :meth:`Source.packed_events` when the source has that fast path, else
from :meth:`Source.events`, packed here. A run brings each contact its events in one of the
ways below, chosen by the source, the models and the size of the data; the results are the
same in every way, row for row, and rows come out in the order the source yields the contacts.

``sorted``
    The source says that its contacts and its events are both sorted by contact id
    (:meth:`Source.order_by_contact`: a file source given ``sorted=contact_id``, or an SQL
    source given it, which has the database sort). The two streams are joined contact by contact: memory holds
    the events of one contact at a time. Events whose id is skipped over belong to no contact
    (orphans) and are only counted. A contact id smaller than the one before it, in either
    stream, is a :class:`~scoredsl.data.records.DataError` naming the file, row and both ids.
``memory``
    Otherwise every event is read first and held, grouped by contact, then the contacts are
    streamed and each takes its events. Memory grows with the events, up to ``event_budget``.
``spilled``
    When more than ``event_budget`` events arrive, the events held so far are written to a
    temporary SQLite database on disk (one row per contact and batch, its events packed with
    :mod:`marshal`, indexed by contact id) and memory is emptied; every further batch goes
    the same way. Each contact then reads its events back from the database. The database is
    in a temporary folder (``spill_dir``, default the system's), deleted when the run ends.

``folded``
    The source is not sorted and every model folds (:meth:`CompiledModel.folding`: its event
    filters read only the event): each event is folded into its contact's totals as it is
    read (:class:`Totals`), the events themselves are never held, and each contact is scored
    from its totals. Memory grows with the contacts that have events, not with the events.
``folded, spilled``
    Beyond ``event_budget // 2`` contacts' totals, the totals held and the events still to
    come go to temporary files split by contact, which are folded one at a time into a
    temporary SQLite database (:class:`Totals`).

At most ``event_budget`` events are in memory while reading, plus one contact's events while
scoring (:attr:`RunSummary.peak_events` is the most held at once). A failure at any point
aborts the sink, which leaves any previous output untouched.
"""

from __future__ import annotations

import contextlib
import itertools
import marshal
import operator
import os
import sqlite3
import tempfile
from typing import Iterator, Sequence

from scoredsl.check.ir import state_reads
from scoredsl.compiler.model import CompiledModel, Fold
from scoredsl.compiler.python.packing import event_layouts, pack_event
from scoredsl.data.collector import collector_paused
from scoredsl.data.companies import Companies
from scoredsl.data.records import DataSchema
from scoredsl.data.sources import PackedEvent, Source, order_error
from scoredsl.engines.base import DEFAULT_EVENT_BUDGET, Progress, RunOptions
from scoredsl.engines.results import ErrorPolicy, Output, Previous, RunSummary

PerType = dict[str, list]


class PythonEngine:
    """The reference engine: the generated Python evaluators, contact by contact."""

    name = "python"

    def refusal(self, models: Sequence[CompiledModel], source) -> str | None:
        return None

    def score(self, models: Sequence[CompiledModel], source: Source, as_of: int, options: RunOptions,
              out: Output, previous: Previous | None = None) -> None:
        """See :class:`~scoredsl.engines.frame.Engine`; the module docs say how events are held."""
        summary, progress = out.summary, options.progress
        # Errors are listed events first, then contacts, as if the events were read first,
        # whichever way the two streams are read.
        event_errors, contact_errors = [], []
        event_policy = ErrorPolicy(options.on_error, summary, event_errors)
        contact_policy = ErrorPolicy(options.on_error, summary, contact_errors)
        schema = models[0].program.schema
        write = out.write
        folds = [model.folding() for model in models] if options.fold else [None]
        companies = Companies.read(source, schema, contact_policy)     # first, then the order
        ordered = source.order_by_contact()
        if not ordered and None not in folds:
            plan = [(model, fold, keys, values, missing)
                    for (model, keys, values, missing), fold in zip(state_plan(models, previous), folds)]
            with contacts_with_totals(source, schema, options, summary, event_policy, contact_policy, folds,
                                      as_of, companies) as pairs:
                for contact, record in pairs:
                    for index, (model, fold, keys, values, missing) in enumerate(plan, 1):
                        seen = contact
                        if keys:
                            seen = dict(contact)
                            seen.update(zip(keys, values.get(contact["id"], missing)))
                        write(model.row(contact, fold.finish(seen, record[index], as_of)))
                    if progress is not None and summary.contacts % 1000 == 0:
                        progress("contacts scored", summary.contacts)
            summary.errors[:] = (event_errors + contact_errors)[:ErrorPolicy.KEEP]
            return
        with contacts_with_events(source, schema, options, summary, event_policy, contact_policy, companies,
                                  ordered=ordered) as pairs:
            plan = state_plan(models, previous)
            for contact, per_type in pairs:
                for model, keys, values, missing in plan:
                    seen = contact
                    if keys:
                        seen = dict(contact)
                        seen.update(zip(keys, values.get(contact["id"], missing)))
                    write(model.row(contact, model.evaluate_packed(seen, per_type, as_of)))
                if progress is not None and summary.contacts % 1000 == 0:
                    progress("contacts scored", summary.contacts)
        summary.errors[:] = (event_errors + contact_errors)[:ErrorPolicy.KEEP]


@contextlib.contextmanager
def contacts_with_events(source: Source, schema: DataSchema, options: RunOptions, summary: RunSummary,
                         event_policy, contact_policy, companies: Companies | None = None,
                         ordered: bool | None = None) -> Iterator[Iterator[tuple[dict, PerType]]]:
    """``(contact, its packed events by type)`` for every contact of ``source``, in the source's
    contact order, held in one of the three ways the module docs describe. When the pairs are
    exhausted, ``summary`` has the events read, the orphans, the ignored events and the peak
    held; the temporary spill database lives as long as the ``with`` block. ``companies``: those
    already read (default: read here when the schema declares them). ``ordered``: what
    :meth:`Source.order_by_contact` said, when it was already asked."""
    with collector_paused(), EventStore(options.event_budget, options.spill_dir) as store:
        if companies is None:
            companies = Companies.read(source, schema, contact_policy)
        if ordered is None:
            ordered = source.order_by_contact()
        events = _packed_events(source, schema, event_policy, summary)
        contacts = source.contacts(schema, contact_policy)
        if companies is not None:
            contacts = companies.attached(contacts)
        if ordered:
            summary.mode = "sorted"
            pairs = _join(contacts, events, summary)
        else:
            store.add(events, summary, options.progress)
            summary.mode = "spilled" if store.spilled else "memory"
            pairs = ((contact, store.take(contact["id"])) for contact in contacts)
        matched = 0

        def counted():
            nonlocal matched
            for contact, per_type in pairs:
                matched += sum(map(len, per_type.values()))
                yield contact, per_type
            _count_the_rest(summary, matched, source, companies)

        yield counted()
        summary.peak_events = max(summary.peak_events, store.peak)


@contextlib.contextmanager
def contacts_with_totals(source: Source, schema: DataSchema, options: RunOptions, summary: RunSummary,
                         event_policy, contact_policy, folds: Sequence[Fold], as_of: int,
                         companies: Companies | None = None) -> Iterator[Iterator[tuple[dict, list]]]:
    """``(contact, its record)`` for every contact of an unsorted ``source``, in the source's
    contact order, each event folded into its contact's totals as it is read (``folded`` in
    the module docs). A record is ``[events, totals of folds[0], totals of folds[1], ...]``.
    When the pairs are exhausted, ``summary`` has the events read, the orphans and the ignored
    events, as :func:`contacts_with_events` counts them. ``companies``: those already read."""
    with collector_paused(), Totals(folds, as_of, options.event_budget, options.spill_dir) as totals:
        events = _packed_events(source, schema, event_policy, summary)
        contacts = source.contacts(schema, contact_policy)
        if companies is not None:
            contacts = companies.attached(contacts)
        totals.add(events, summary, options.progress)
        summary.mode = "folded, spilled" if totals.spilled else "folded"
        matched = 0

        def counted():
            nonlocal matched
            for contact in contacts:
                record = totals.take(contact["id"])
                matched += record[0]
                yield contact, record
            _count_the_rest(summary, matched, source, companies)

        yield counted()


def _count_the_rest(summary: RunSummary, matched: int, source: Source, companies: Companies | None) -> None:
    """Once every contact has had its events (``matched`` of them): the orphan events, the
    events of undeclared types and the contacts naming an unknown company."""
    summary.orphan_events = summary.events - matched
    summary.ignored_events += getattr(source, "ignored_events", 0)
    if companies is not None:
        summary.unknown_companies = companies.unmatched


def state_plan(models: Sequence[CompiledModel], previous: Previous | None) -> list[tuple]:
    """``(model, keys, values, missing)`` per model: the contact keys under which its evaluator
    reads the previous run (none: it reads none), each contact's values, and the values of a
    contact the previous run did not score."""
    plan = []
    for model in models:
        keys = tuple(p.key for p in state_reads(model.ir))
        values = previous.of(model) if previous is not None else {}
        plan.append((model, keys, values, (None,) * len(keys)))
    return plan


# ------------------------------------------------------------------ events

def _packed_events(source: Source, schema: DataSchema, on_error,
                   summary: RunSummary) -> Iterator[PackedEvent]:
    """The source's packed events: its fast path, or its :class:`Event` objects packed here."""
    packed = source.packed_events(schema, on_error)
    if packed is not None:
        return packed
    return _pack(source.events(schema, on_error), event_layouts(schema), summary)


def _pack(events, layouts, summary: RunSummary) -> Iterator[PackedEvent]:
    for event in events:
        layout = layouts.get(event.type)
        if layout is None:                    # the source should not yield it; count it anyway
            summary.ignored_events += 1
            continue
        yield event.contact_id, event.type, pack_event(event.timestamp, event.attrs, layout)


_contact_of = operator.itemgetter(0)
_timestamp = operator.itemgetter(0)


def _by_type(events) -> PerType:
    """One contact's packed events by type, each list sorted by timestamp (stably)."""
    per_type: PerType = {}
    for _, kind, item in events:
        items = per_type.get(kind)
        if items is None:
            per_type[kind] = [item]
        else:
            items.append(item)
    for items in per_type.values():
        if len(items) > 1:
            items.sort(key=_timestamp)
    return per_type


# ------------------------------------------------------------------ sorted: a merge join

def _join(contacts, events: Iterator[PackedEvent], summary: RunSummary) -> Iterator[tuple[dict, PerType]]:
    """``(contact, its events by type)`` for two streams sorted by contact id; counts events."""
    groups = _groups(events)
    group_id, group = next(groups, (None, None))
    previous = ""
    for contact in contacts:
        contact_id = contact["id"]
        if contact_id < previous:
            raise order_error("contacts", contact_id, previous, "the source says they are",
                              file=None, row=None)
        previous = contact_id
        while group_id is not None and group_id < contact_id:      # orphans
            summary.events += _length(group)
            group_id, group = next(groups, (None, None))
        if group_id == contact_id:
            per_type = _by_type(group)
            held = sum(map(len, per_type.values()))
            summary.events += held
            if held > summary.peak_events:
                summary.peak_events = held
            group_id, group = next(groups, (None, None))
        else:
            per_type = {}
        yield contact, per_type
    while group_id is not None:                                    # orphans after the last contact
        summary.events += _length(group)
        group_id, group = next(groups, (None, None))


def _groups(events: Iterator[PackedEvent]) -> Iterator[tuple[str, Iterator[PackedEvent]]]:
    """The events of each contact id in turn; an id smaller than the one before is an error."""
    previous = ""
    for contact_id, group in itertools.groupby(events, key=_contact_of):
        if contact_id < previous:
            raise order_error("events", contact_id, previous, "the source says they are",
                              file=None, row=None)
        previous = contact_id
        yield contact_id, group


def _length(group) -> int:
    return sum(1 for _ in group)


# ------------------------------------------------------------------ unsorted: in memory, then on disk

class _SpillFiles:
    """A store's temporary folder on disk and its SQLite database there (journal and sync off:
    nothing in it outlives the run), made on first use; :meth:`close` deletes both."""

    directory: str | None = None
    _folder: tempfile.TemporaryDirectory | None = None
    _db: sqlite3.Connection | None = None

    @property
    def spilled(self) -> bool:
        return self._db is not None

    def _folder_path(self, prefix: str) -> str:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix=prefix, dir=self.directory)
        return self._folder.name

    def _database(self, prefix: str, name: str, table: str) -> sqlite3.Connection:
        self._db = sqlite3.connect(os.path.join(self._folder_path(prefix), name), isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(table)
        return self._db

    def close(self) -> None:
        """Forget what is held and delete the files. Safe to call twice."""
        self.memory = {}
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Totals(_SpillFiles):
    """Every contact's totals for a run whose models all fold (:meth:`CompiledModel.folding`):
    each event is folded into its contact's record as it is read, and only the records are
    kept, never the events. A record is ``[events, totals of each fold]``.

    Records are held in memory for up to ``budget // 2`` contacts (a record of a typical model
    takes about the memory of two held events). When one more contact arrives, the run goes to
    disk, split by contact: the records held so far and every event still to come are written,
    packed with :mod:`marshal`, to one of :data:`PARTS` temporary files chosen by a hash of the
    contact id. Each file is then folded on its own (its records first, then its events: the
    totals of one contact combine in any order, :meth:`Fold.merge`), and its contacts' final
    records go to a temporary SQLite database, one row per contact, from which each contact
    takes its own. So every event and record is written and read once, whatever the order of
    the events; memory holds one file's contacts at a time (more than the budget only beyond
    ``PARTS`` times it)."""

    PARTS = 64

    def __init__(self, folds: Sequence[Fold], as_of: int, budget: int = DEFAULT_EVENT_BUDGET,
                 directory: str | None = None):
        self.folds = list(folds)
        self.as_of = as_of
        self.budget = max(1, budget // 2)
        self.directory = directory
        self.memory: dict[str, list] = {}

    def fresh(self) -> list:
        return [0, *(fold.fresh() for fold in self.folds)]

    def add(self, events: Iterator[PackedEvent], summary: RunSummary, progress: Progress | None = None) -> None:
        """Fold every event into its contact's record; counts them in ``summary.events``."""
        tick = None if progress is None else (lambda n: progress("events read", summary.events + n))
        added, pending = self._fold(events, self.memory, self.budget, tick)
        if pending is not None:      # memory is full
            added += self._partition(pending, events, added, tick)
        summary.events += added

    def _fold(self, events: Iterator[PackedEvent], memory: dict, budget: float, tick) -> tuple[int, tuple | None]:
        """Fold ``events`` into ``memory`` until a new contact, or the values held in sets,
        would take it past ``budget``: ``(events folded, that contact's event, or () once sets
        have grown past it, or None when every event is folded)``."""
        if len(self.folds) == 1:      # one model: its own loop, written out
            return self.folds[0].fold_events(events, memory, self.fresh, budget, self.as_of, tick)
        dispatch: dict[str, list] = {}
        for index, fold in enumerate(self.folds, 1):
            for kind, function in fold.folds(self.as_of).items():
                dispatch.setdefault(kind, []).append((index, function))
        added = held = 0               # held: values added to sets (see fold_events)
        for event in events:
            contact_id, kind, item = event
            record = memory.get(contact_id)
            if record is None:
                if len(memory) + (held >> 1) >= budget:
                    return added, event
                record = memory[contact_id] = self.fresh()
            record[0] += 1
            grown = 0
            for index, function in dispatch.get(kind, ()):
                grown += function(record[index], item)
            added += 1
            if tick is not None and added % 100_000 == 0:
                tick(added)
            if grown:
                held += grown
                if len(memory) + (held >> 1) > budget:
                    return added, ()
        return added, None

    def _partition(self, pending: tuple, events: Iterator[PackedEvent], added: int, tick) -> int:
        """Memory is full: the records held and the rest of the events to the part files, then
        each part folded into the database. Returns how many events were read here."""
        folder = self._folder_path("scoredsl-totals-")
        paths = [os.path.join(folder, f"part{i}.marshal") for i in range(self.PARTS)]
        parts = [open(path, "wb") for path in paths]
        batches: list[list] = [[] for _ in paths]     # a few thousand at a time, each its length
        # then its bytes (marshal.load() of a file reads it a few bytes at a time: slow); in all,
        # the batches hold at most a quarter of the budget's events
        size = max(16, min(4096, self.budget // (2 * self.PARTS)))
        try:
            mask = self.PARTS - 1

            def dump(batch: list, part) -> None:
                data = marshal.dumps(batch)
                part.write(len(data).to_bytes(8, "little"))
                part.write(data)

            def put(item: tuple) -> None:
                part = hash(item[0]) & mask
                batch = batches[part]
                batch.append(item)
                if len(batch) == size:
                    dump(batch, parts[part])
                    batch.clear()

            for contact_id, record in self.memory.items():
                put((contact_id, None, record))
            self.memory.clear()
            read = 0
            for event in itertools.chain((pending,) if pending else (), events):
                put(event)
                read += 1
                if tick is not None and (added + read) % 100_000 == 0:
                    tick(added + read)
            for batch, part in zip(batches, parts):
                if batch:
                    dump(batch, part)
        finally:
            for part in parts:
                part.close()
        self._database("scoredsl-totals-", "totals.sqlite",
                       "CREATE TABLE totals (contact_id TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID")
        for path in paths:
            memory: dict[str, list] = {}
            with open(path, "rb") as part:
                self._fold(_part_events(part, memory, self._merge), memory, float("inf"), None)
            os.remove(path)
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO totals VALUES (?, ?)",
                                 ((contact_id, marshal.dumps(record)) for contact_id, record in memory.items()))
            self._db.execute("COMMIT")
        return read

    def _merge(self, record: list, other: list) -> None:
        """Add ``other``'s totals into ``record``, both of one contact."""
        record[0] += other[0]
        for index, fold in enumerate(self.folds, 1):
            fold.merge(record[index], other[index])

    def take(self, contact_id: str) -> list:
        """The record of ``contact_id``: ``[events, totals per fold]`` (fresh when it has no events)."""
        if self._db is None:
            return self.memory.pop(contact_id, None) or self.fresh()
        found = self._db.execute("SELECT record FROM totals WHERE contact_id = ?", (contact_id,)).fetchone()
        return self.fresh() if found is None else marshal.loads(found[0])


def _part_events(part, memory: dict, merge) -> Iterator[PackedEvent]:
    """The events of one part file of :class:`Totals`; the records it holds go into ``memory``
    (merged with ``merge`` into one already there: they come first, one per contact, but the
    totals would be the same in any order)."""
    while True:
        size = part.read(8)
        if not size:
            return
        for item in marshal.loads(part.read(int.from_bytes(size, "little"))):
            if item[1] is None:
                record = memory.get(item[0])
                if record is None:
                    memory[item[0]] = item[2]
                else:
                    merge(record, item[2])
            else:
                yield item


class EventStore(_SpillFiles):
    """Every event of a run by contact: in memory up to ``budget`` events, then on disk.

    :meth:`add` reads the events, once; :meth:`take` then gives each contact its events (ask
    once per contact: sources yield each contact id once). Spilling writes the events in
    memory as one row per contact (its per-type lists, packed with :mod:`marshal`) into a
    temporary SQLite database, empties memory and goes on; once spilled, every event ends up
    on disk. A contact's rows are read back in the order they were written, so its events keep
    the source's order before the (stable) sort by timestamp, exactly as in memory.
    """

    def __init__(self, budget: int = DEFAULT_EVENT_BUDGET, directory: str | None = None):
        self.budget = budget
        self.directory = directory
        self.memory: dict[str, PerType] = {}
        self.peak = 0                  # the most events in memory at once
        self._held = 0                 # events in memory, for put()

    def add(self, events: Iterator[PackedEvent], summary: RunSummary,
            progress: Progress | None = None) -> None:
        """Read every event; counts them in ``summary.events``."""
        memory, budget = self.memory, self.budget
        held = added = 0
        report = 100_000 if progress is not None else -1
        for contact_id, kind, item in events:
            if held == budget:
                self._spill(held)
                held = 0
            per_type = memory.get(contact_id)
            if per_type is None:
                memory[contact_id] = {kind: [item]}
            else:
                items = per_type.get(kind)
                if items is None:
                    per_type[kind] = [item]
                else:
                    items.append(item)
            held += 1
            added += 1
            if added == report:
                progress("events read", summary.events + added)
                report += 100_000
        self.peak = max(self.peak, held)
        summary.events += added
        if self._db is not None:
            self._spill(held)
            self._db.execute("CREATE INDEX spilled_contact ON spilled (contact_id)")

    def put(self, key: str, per_type: PerType) -> None:
        """Instead of :meth:`add`: hold events already grouped by type under ``key`` (several
        calls may add to one key; a company stage keys them by company), spilling as
        :meth:`add` does; then :meth:`seal` once, then :meth:`take`."""
        held = self._held
        for kind, items in per_type.items():
            if held and held + len(items) > self.budget:
                self._spill(held)
                held = 0
            kinds = self.memory.get(key)
            if kinds is None:
                kinds = self.memory[key] = {}
            kept = kinds.get(kind)
            if kept is None:
                kinds[kind] = list(items)
            else:
                kept.extend(items)
            held += len(items)
        self._held = held
        self.peak = max(self.peak, held)

    def seal(self) -> None:
        """The end of :meth:`put`: what is held goes to disk too once anything has spilled."""
        if self._db is not None:
            self._spill(self._held)
            self._held = 0
            self._db.execute("CREATE INDEX spilled_contact ON spilled (contact_id)")

    def take(self, contact_id: str) -> PerType:
        """The events of ``contact_id`` by type, sorted by timestamp; ``{}`` when it has none."""
        if self._db is None:
            per_type = self.memory.pop(contact_id, None) or {}
        else:
            per_type = {}
            for (blob,) in self._db.execute("SELECT events FROM spilled WHERE contact_id = ? ORDER BY rowid",
                                            (contact_id,)):
                for kind, items in marshal.loads(blob).items():
                    if kind in per_type:
                        per_type[kind].extend(items)
                    else:
                        per_type[kind] = items
            self.peak = max(self.peak, sum(map(len, per_type.values())))
        for items in per_type.values():
            if len(items) > 1:
                items.sort(key=_timestamp)
        return per_type

    def _spill(self, held: int) -> None:
        """Write the ``held`` events in memory to the database, which is made the first time."""
        self.peak = max(self.peak, held)
        if self._db is None:
            self._database("scoredsl-events-", "events.sqlite",
                           "CREATE TABLE spilled (contact_id TEXT NOT NULL, events BLOB NOT NULL)")
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO spilled VALUES (?, ?)",
                             ((contact_id, marshal.dumps(per_type))
                              for contact_id, per_type in self.memory.items()))
        self._db.execute("COMMIT")
        self.memory.clear()
