"""The state store: what every run recorded, so that the next run can read it.

A run records, per contact and model, its status, every score and tier, the model's version,
the as-of and the run's id; and one row per run (when it ran, as of when, the models and their
versions, the counts, the source and sink as written, secrets masked). From these the store
answers the two questions a run asks:

* **previous**: each contact's latest record of a model *strictly before* an as-of. A contact
  that no earlier run scored has none. Rerunning an as-of therefore reads the same state as the
  first time, and its records replace the first ones (a *replay*).
* **transitions**: each tier label of this run that differs from the contact's previous record
  (a missing label, when the contact was not scored, is ``None``). A model's first recorded
  run is its baseline and has no transitions, so that adopting a model does not report every
  contact as a change.

The default store is one SQLite file (:class:`SqliteState`); the SQL plugin keeps the same
tables in PostgreSQL or MariaDB. A run writes its records inside one transaction, begun by
:meth:`SqliteState.begin` and ended by :meth:`~SqliteState.commit` or
:meth:`~SqliteState.abort`, so a run that fails leaves the store as it was.
"""

from __future__ import annotations

import abc
import datetime as dt
import hashlib
import json
import os
import sqlite3
from typing import Iterator, Mapping, Sequence

import attrs

from scoredsl.data.actions import payload
from scoredsl.data.records import ResultRow, from_epoch_micros
from scoredsl.data.values import format_datetime

__all__ = ["StateError", "RunRecord", "Transition", "SqlState", "SqliteState", "transition_key", "run_id",
           "TRANSITION_COLUMNS", "DEFAULT_FILE", "TABLES", "INDEXES"]

#: The store's file next to ``scoredsl.toml`` when ``[state]`` names none.
DEFAULT_FILE = "scoredsl-state.sqlite"

TRANSITION_COLUMNS = ("contact_id", "model", "tier", "from", "to", "as_of", "run_id", "key")

_BATCH = 5000


class StateError(Exception):
    """The store cannot be opened or read, or a run conflicts with what it holds."""


@attrs.frozen(kw_only=True)
class RunRecord:
    """What the runs table keeps of one run."""
    run_id: str
    as_of: int                              # epoch microseconds
    models: Mapping[str, str]               # name -> version
    source: str = ""                        # as written, secrets masked
    sink: str = ""
    started: str = ""                       # when it ran, ISO 8601 UTC


@attrs.frozen(kw_only=True)
class Transition:
    contact_id: str
    model: str
    tier: str
    old: str | None
    new: str | None
    as_of: int
    run_id: str

    @property
    def key(self) -> str:
        return transition_key(self.model, self.contact_id, self.tier, self.old, self.new, self.as_of)

    def values(self) -> dict:
        """The row ``--transitions`` writes, keyed by :data:`TRANSITION_COLUMNS`."""
        return {"contact_id": self.contact_id, "model": self.model, "tier": self.tier, "from": self.old,
                "to": self.new, "as_of": format_datetime(from_epoch_micros(self.as_of)),
                "run_id": self.run_id, "key": self.key}


def transition_key(model: str, contact_id: str, tier: str, old: str | None, new: str | None, as_of: int) -> str:
    """The idempotency key of a transition: the same change at the same as-of has the same key,
    however often the run is repeated."""
    text = json.dumps([model, contact_id, tier, old, new, as_of], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def run_id(as_of: int, models: Mapping[str, str]) -> str:
    """A run's id: its as-of and its models' versions, so that a repeated run keeps its id."""
    text = json.dumps([as_of, sorted(models.items())])
    return format_datetime(from_epoch_micros(as_of)).replace(":", "").replace("-", "") + "-" + \
        hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


#: The tables, in portable SQL: ``{text}`` is a text column that is part of a key (MariaDB
#: needs a length and a binary collation there), ``{big}`` a 64-bit integer, ``{long}`` any text.
TABLES = {
    "scoredsl_runs": """
        run_id {text} NOT NULL PRIMARY KEY,
        as_of {big} NOT NULL,
        started {long} NOT NULL,
        models {long} NOT NULL,
        source {long} NOT NULL,
        sink {long} NOT NULL,
        contacts {big} NOT NULL,
        transitions {big} NOT NULL""",
    "scoredsl_records": """
        model {text} NOT NULL,
        contact_id {text} NOT NULL,
        as_of {big} NOT NULL,
        run_id {text} NOT NULL,
        status {text} NOT NULL,
        reason {long},
        model_version {text} NOT NULL,
        scores {long} NOT NULL,
        tiers {long} NOT NULL,
        PRIMARY KEY (model, contact_id, as_of)""",
    "scoredsl_transitions": """
        transition_key {text} NOT NULL PRIMARY KEY,
        run_id {text} NOT NULL,
        model {text} NOT NULL,
        contact_id {text} NOT NULL,
        tier {text} NOT NULL,
        from_label {long},
        to_label {long},
        as_of {big} NOT NULL""",
    "scoredsl_deliveries": """
        action {text} NOT NULL,
        transition_key {text} NOT NULL,
        run_id {text} NOT NULL,
        as_of {big} NOT NULL,
        payload {long} NOT NULL,
        done {big} NOT NULL,
        attempts {big} NOT NULL,
        error {long},
        PRIMARY KEY (action, transition_key)""",
}
INDEXES = {"scoredsl_records_as_of": "scoredsl_records (model, as_of)",
           "scoredsl_transitions_run": "scoredsl_transitions (model, as_of)"}


class SqlState(abc.ABC):
    """The state store in any SQL database. A subclass says how to talk to its database:
    :meth:`_execute`, :meth:`_executemany`, :meth:`_begin`, :meth:`_commit`, :meth:`_rollback`
    and the few statements that differ (:meth:`_insert_ignore`, :meth:`_forget_records`). SQL
    here is written with ``?`` for parameters; ``param`` is what the driver wants instead."""

    param = "?"
    where = "the state store"

    def __init__(self, keep: int | None = None):
        self.keep = keep                    # microseconds of history kept; None: all
        self._run: RunRecord | None = None
        self._pending: list[tuple] = []

    # ---------------------------------------------------------------- what a database says
    @abc.abstractmethod
    def _execute(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Run one statement; its rows as tuples (none for a statement without rows)."""

    @abc.abstractmethod
    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        """Run one statement for each of ``rows``."""

    @abc.abstractmethod
    def _begin(self) -> None:
        """Start the run's transaction, holding the store's write lock until it ends."""

    @abc.abstractmethod
    def _commit(self) -> None:
        """Make the transaction's work visible, and release the lock."""

    @abc.abstractmethod
    def _rollback(self) -> None:
        """Undo the transaction's work (if one is open), and release the lock."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection."""

    def _insert_ignore(self, table: str, width: int) -> str:
        """An INSERT of one row that does nothing when the row's key is there already."""
        return f"INSERT INTO {table} VALUES ({', '.join('?' * width)}) ON CONFLICT DO NOTHING"

    def _forget_records(self) -> str:
        """DELETE the records older than ``?`` but each contact's latest one."""
        return ("DELETE FROM scoredsl_records WHERE as_of < ? AND as_of < (SELECT MAX(t.as_of) FROM "
                "scoredsl_records t WHERE t.model = scoredsl_records.model AND "
                "t.contact_id = scoredsl_records.contact_id)")

    def _sql(self, sql: str) -> str:
        return sql if self.param == "?" else sql.replace("?", self.param)

    def _one(self, sql: str, args: tuple = ()):
        rows = self._execute(sql, args)
        return rows[0] if rows else None

    # ---------------------------------------------------------------- reading
    def latest(self, model: str) -> int | None:
        """The as-of of the latest recorded run of ``model`` (epoch microseconds), or ``None``."""
        return self._one("SELECT MAX(as_of) FROM scoredsl_records WHERE model = ?", (model,))[0]

    def previous(self, model: str, as_of: int, contact_id: str | None = None) -> Iterator[tuple[str, str, dict, dict]]:
        """``(contact_id, status, scores, tiers)``: each contact's latest record of ``model``
        before ``as_of`` (only ``contact_id``'s, if given)."""
        query, args = _where("SELECT r.contact_id, r.status, r.scores, r.tiers FROM scoredsl_records r "
                             "WHERE r.model = ? AND r.as_of = (SELECT MAX(t.as_of) FROM scoredsl_records t "
                             "WHERE t.model = r.model AND t.contact_id = r.contact_id AND t.as_of < ?)",
                             (model, as_of), {"r.contact_id": contact_id})
        for found, status, scores, tiers in self._execute(query, args):
            yield found, status, json.loads(scores), json.loads(tiers)

    def runs(self, model: str | None = None) -> list[dict]:
        """Every recorded run, oldest as-of first (those of ``model`` only, if given)."""
        rows = self._execute("SELECT run_id, as_of, started, models, source, sink, contacts, transitions "
                             "FROM scoredsl_runs ORDER BY as_of, run_id")
        out = []
        for run, as_of, started, models, source, sink, contacts, transitions in rows:
            versions = json.loads(models)
            if model is None or model in versions:
                out.append({"run_id": run, "as_of": as_of, "started": started, "models": versions,
                            "source": source, "sink": sink, "contacts": contacts, "transitions": transitions})
        return out

    def history(self, contact_id: str, model: str | None = None) -> list[dict]:
        """A contact's records, oldest first."""
        query, args = _where("SELECT model, as_of, run_id, status, reason, model_version, scores, tiers "
                             "FROM scoredsl_records WHERE contact_id = ?", (contact_id,), {"model": model})
        rows = self._execute(query + " ORDER BY model, as_of", args)
        return [{"model": m, "as_of": a, "run_id": r, "status": s, "reason": why, "model_version": v,
                 "scores": json.loads(sc), "tiers": json.loads(ti)} for m, a, r, s, why, v, sc, ti in rows]

    def tier_counts(self, model: str) -> dict[int, dict]:
        """``as_of -> {"statuses": {status: n}, "tiers": {tier: {label: n}}}`` for every
        recorded run of ``model``, oldest first."""
        out: dict[int, dict] = {}
        for as_of, status, tiers in self._execute("SELECT as_of, status, tiers FROM scoredsl_records WHERE model = ? "
                                                  "ORDER BY as_of", (model,)):
            run = out.setdefault(as_of, {"statuses": {}, "tiers": {}})
            run["statuses"][status] = run["statuses"].get(status, 0) + 1
            if status != "scored":
                continue
            for tier, label in json.loads(tiers).items():
                counts = run["tiers"].setdefault(tier, {})
                counts[label] = counts.get(label, 0) + 1
        return out

    def transition_counts(self, model: str) -> dict[int, dict]:
        """``as_of -> {(tier, from, to): n}`` for every run of ``model`` with transitions."""
        out: dict[int, dict] = {}
        rows = self._execute("SELECT as_of, tier, from_label, to_label, COUNT(*) FROM scoredsl_transitions "
                             "WHERE model = ? GROUP BY as_of, tier, from_label, to_label", (model,))
        for as_of, tier, old, new, n in rows:
            out.setdefault(as_of, {})[(tier, old, new)] = n
        return out

    def transitions(self, model: str, as_of: int | None = None) -> Iterator[Transition]:
        """The transitions recorded for ``model`` (at ``as_of`` only, if given), by as-of,
        contact id and tier."""
        query, args = _where("SELECT contact_id, tier, from_label, to_label, run_id, as_of FROM scoredsl_transitions "
                             "WHERE model = ?", (model,), {"as_of": as_of})
        for contact_id, tier, old, new, run, when in self._execute(query + " ORDER BY as_of, contact_id, tier", args):
            yield Transition(contact_id=contact_id, model=model, tier=tier, old=old, new=new, as_of=when,
                             run_id=run)

    # ---------------------------------------------------------------- recording a run
    def begin(self, run: RunRecord) -> None:
        """Start recording ``run``; its as-of's earlier records (a replay) are replaced."""
        if self._run is not None:
            raise StateError("a run is already being recorded")
        self._begin()
        self._run = run
        try:
            for model in run.models:
                self._execute("DELETE FROM scoredsl_records WHERE model = ? AND as_of = ?", (model, run.as_of))
                # deliveries not yet made of the transitions replaced; those made stay made
                self._execute("DELETE FROM scoredsl_deliveries WHERE done = 0 AND transition_key IN (SELECT "
                              "transition_key FROM scoredsl_transitions WHERE model = ? AND as_of = ?)",
                              (model, run.as_of))
                self._execute("DELETE FROM scoredsl_transitions WHERE model = ? AND as_of = ?", (model, run.as_of))
            for old, models in self._execute("SELECT run_id, models FROM scoredsl_runs WHERE as_of = ?",
                                             (run.as_of,)):
                if set(json.loads(models)) <= set(run.models):
                    self._execute("DELETE FROM scoredsl_runs WHERE run_id = ?", (old,))
        except BaseException:
            self.abort()
            raise

    def add(self, row: ResultRow) -> None:
        run = self._run
        self._pending.append((row.model, row.subject_id, run.as_of, run.run_id, row.status, row.reason,
                              run.models[row.model], _json(row.scores), _json(row.tiers)))
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._executemany("INSERT INTO scoredsl_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending)
        self._pending.clear()

    def commit(self, contacts: int, actions: Sequence = ()) -> dict[tuple[str, str], int]:
        """Record the transitions of the run, put those that ``actions``
        (:class:`~scoredsl.data.actions.ActionRule`) take into the outbox, record the run
        itself, and make it all visible at once; returns the transitions per (model, tier)."""
        run = self._run
        if run is None:
            raise StateError("commit() without begin()")
        try:
            self._flush()
            counts = self._transitions(run, actions)
            self._execute("INSERT INTO scoredsl_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          (run.run_id, run.as_of, run.started, _json(dict(run.models)), run.source, run.sink,
                           contacts, sum(counts.values())))
            if self.keep is not None:
                self._forget(run.as_of - self.keep)
            self._commit()
        except BaseException:
            self.abort()
            raise
        self._run = None
        return counts

    def abort(self) -> None:
        self._pending.clear()
        if self._run is not None:
            self._run = None
            self._rollback()

    def _transitions(self, run: RunRecord, actions: Sequence) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        outbox = []
        for model in run.models:
            if self._one("SELECT 1 FROM scoredsl_records WHERE model = ? AND as_of < ? LIMIT 1",
                         (model, run.as_of)) is None:
                continue            # the model's first recorded run: the baseline
            rows = self._execute(
                "SELECT n.contact_id, n.tiers, p.tiers FROM scoredsl_records n LEFT JOIN scoredsl_records p "
                "ON p.model = n.model AND p.contact_id = n.contact_id AND p.as_of = (SELECT MAX(t.as_of) "
                "FROM scoredsl_records t WHERE t.model = n.model AND t.contact_id = n.contact_id AND t.as_of < n.as_of) "
                "WHERE n.model = ? AND n.as_of = ? ORDER BY n.contact_id", (model, run.as_of))
            found = []
            for contact_id, new_tiers, old_tiers in rows:
                new = json.loads(new_tiers)
                old = json.loads(old_tiers) if old_tiers is not None else {}
                for tier, label in new.items():
                    before = old.get(tier)
                    if before == label:
                        continue
                    key = transition_key(model, contact_id, tier, before, label, run.as_of)
                    found.append((key, run.run_id, model, contact_id, tier, before, label, run.as_of))
                    counts[(model, tier)] = counts.get((model, tier), 0) + 1
                    for action in actions:
                        if action.takes(model, tier, before, label):
                            body = payload(model, contact_id, tier, before, label, run.as_of, run.run_id, key)
                            outbox.append((action.name, key, run.run_id, run.as_of, _json(body), 0, 0, None))
            if found:
                self._executemany("INSERT INTO scoredsl_transitions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", found)
        # a delivery already made keeps its row: the same transition is never delivered twice
        for row in outbox:
            self._execute(self._insert_ignore("scoredsl_deliveries", 8), row)
        return counts

    def _forget(self, before: int) -> None:
        """Delete records older than ``before``, but for each contact's latest one (which a
        monotonic tier still needs), and the runs, transitions and deliveries made of that time."""
        self._execute(self._forget_records(), (before,))
        self._execute("DELETE FROM scoredsl_transitions WHERE as_of < ?", (before,))
        self._execute("DELETE FROM scoredsl_deliveries WHERE done = 1 AND as_of < ?", (before,))
        self._execute("DELETE FROM scoredsl_runs WHERE as_of < ?", (before,))

    # ---------------------------------------------------------------- the outbox
    def pending(self, action: str) -> list[tuple[str, dict]]:
        """``(key, payload)`` of each delivery of ``action`` not yet made, oldest as-of first."""
        rows = self._execute("SELECT transition_key, payload FROM scoredsl_deliveries WHERE action = ? AND done = 0 "
                             "ORDER BY as_of, transition_key", (action,))
        return [(key, json.loads(body)) for key, body in rows]

    def delivered(self, action: str, key: str) -> None:
        """Remember that a delivery was made (at once, in its own transaction)."""
        self._single("UPDATE scoredsl_deliveries SET done = 1, attempts = attempts + 1, error = NULL "
                     "WHERE action = ? AND transition_key = ?", (action, key))

    def failed(self, action: str, key: str, error: str) -> None:
        self._single("UPDATE scoredsl_deliveries SET attempts = attempts + 1, error = ? "
                     "WHERE action = ? AND transition_key = ?", (error[:1000], action, key))

    def _single(self, sql: str, args: tuple) -> None:
        """One statement in a transaction of its own."""
        self._begin()
        try:
            self._execute(sql, args)
        except BaseException:
            self._rollback()
            raise
        self._commit()

    def deliveries(self) -> list[dict]:
        """Every delivery in the outbox, made or not."""
        rows = self._execute("SELECT action, transition_key, run_id, as_of, done, attempts, error "
                             "FROM scoredsl_deliveries ORDER BY as_of, action, transition_key")
        return [{"action": a, "key": k, "run_id": r, "as_of": t, "done": bool(d), "attempts": n, "error": e}
                for a, k, r, t, d, n, e in rows]


class SqliteState(SqlState):
    """The state store in one SQLite file (created with its folder when missing)."""

    def __init__(self, path: str, keep: int | None = None, create: bool = True):
        super().__init__(keep)
        self.path = path
        self.where = path
        folder = os.path.dirname(os.path.abspath(path))
        if not create and not os.path.exists(path):
            raise StateError(f"there is no state store at {path}: no run has recorded state there yet")
        try:
            os.makedirs(folder, exist_ok=True)
            self._con = sqlite3.connect(path, isolation_level=None, timeout=30)
            for table, body in TABLES.items():
                rowid = " WITHOUT ROWID" if table == "scoredsl_records" else ""
                self._con.execute(f"CREATE TABLE IF NOT EXISTS {table} ("
                                  f"{body.format(text='TEXT', big='INTEGER', long='TEXT')}\n){rowid}")
            for index, on in INDEXES.items():
                self._con.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {on}")
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the state store {path}: {exc}") from None

    def __repr__(self) -> str:
        return f"SqliteState({self.path!r})"

    def close(self) -> None:
        self._con.close()

    def _execute(self, sql: str, args: tuple = ()) -> list[tuple]:
        return self._con.execute(sql, args).fetchall()

    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        self._con.executemany(sql, rows)

    def _begin(self) -> None:
        try:
            self._con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StateError(f"the state store {self.path} is busy ({exc}): is another run going on?") from None

    def _commit(self) -> None:
        self._con.execute("COMMIT")

    def _rollback(self) -> None:
        if self._con.in_transaction:
            self._con.execute("ROLLBACK")


def _where(query: str, args: tuple, optional: dict[str, object]) -> tuple[str, tuple]:
    """``query`` (ending in a WHERE clause) narrowed by each ``column = value`` of
    ``optional`` whose value is given."""
    for column, value in optional.items():
        if value is not None:
            query += f" AND {column} = ?"
            args += (value,)
    return query, args


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def started_now() -> str:
    return format_datetime(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


def previous_values(previous, as_of: int, reads: Sequence[tuple[str, str, int | None]]) -> dict[str, tuple]:
    """``contact_id -> values`` of ``reads`` (``(kind, name, window)``: a score or tier, as the
    previous run recorded it, or the latest run ``window`` microseconds or more before
    ``as_of``). ``previous(before)`` gives each contact's latest record before an instant
    (:meth:`SqlState.previous`); a record that was not scored has no values."""
    out: dict[str, list] = {}
    for window in sorted({w for _k, _n, w in reads}, key=lambda w: -1 if w is None else w):
        before = as_of if window is None else as_of - window + 1
        places = [(i, kind, name) for i, (kind, name, w) in enumerate(reads) if w == window]
        for contact_id, status, scores, tiers in previous(before):
            if status != "scored":
                continue
            values = out.setdefault(contact_id, [None] * len(reads))
            for i, kind, name in places:
                values[i] = (scores if kind == "score" else tiers).get(name)
    return {contact_id: tuple(values) for contact_id, values in out.items()}
