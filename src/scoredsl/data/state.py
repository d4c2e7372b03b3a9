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

import datetime as dt
import hashlib
import json
import os
import sqlite3
from typing import Iterable, Iterator, Mapping, Sequence

import attrs

from scoredsl.data.actions import payload
from scoredsl.data.records import ResultRow, from_epoch_micros
from scoredsl.data.values import format_datetime

__all__ = ["StateError", "RunRecord", "Transition", "SqliteState", "transition_key", "run_id",
           "TRANSITION_COLUMNS", "DEFAULT_FILE"]

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


_SCHEMA = """
CREATE TABLE IF NOT EXISTS scoredsl_runs (
    run_id TEXT PRIMARY KEY,
    as_of INTEGER NOT NULL,
    started TEXT NOT NULL,
    models TEXT NOT NULL,
    source TEXT NOT NULL,
    sink TEXT NOT NULL,
    contacts INTEGER NOT NULL,
    transitions INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS scoredsl_records (
    model TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    as_of INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    model_version TEXT NOT NULL,
    scores TEXT NOT NULL,
    tiers TEXT NOT NULL,
    PRIMARY KEY (model, contact_id, as_of)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS scoredsl_records_as_of ON scoredsl_records (model, as_of);
CREATE TABLE IF NOT EXISTS scoredsl_transitions (
    key TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    model TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    tier TEXT NOT NULL,
    old TEXT,
    new TEXT,
    as_of INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS scoredsl_transitions_run ON scoredsl_transitions (model, as_of);
CREATE TABLE IF NOT EXISTS scoredsl_deliveries (
    action TEXT NOT NULL,
    key TEXT NOT NULL,
    run_id TEXT NOT NULL,
    as_of INTEGER NOT NULL,
    payload TEXT NOT NULL,
    done INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT,
    PRIMARY KEY (action, key)
);
"""


class SqliteState:
    """The state store in one SQLite file (created with its folder when missing)."""

    def __init__(self, path: str, keep: int | None = None, create: bool = True):
        self.path = path
        self.keep = keep                    # microseconds of history kept; None: all
        folder = os.path.dirname(os.path.abspath(path))
        if not create and not os.path.exists(path):
            raise StateError(f"there is no state store at {path}: no run has recorded state there yet")
        try:
            os.makedirs(folder, exist_ok=True)
            self._con = sqlite3.connect(path, isolation_level=None, timeout=30)
            self._con.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the state store {path}: {exc}") from None
        self._run: RunRecord | None = None
        self._pending: list[tuple] = []
        self._contacts = 0

    def __repr__(self) -> str:
        return f"SqliteState({self.path!r})"

    def close(self) -> None:
        self._con.close()

    # ---------------------------------------------------------------- reading
    def latest(self, model: str) -> int | None:
        """The as-of of the latest recorded run of ``model`` (epoch microseconds), or ``None``."""
        return self._con.execute("SELECT MAX(as_of) FROM scoredsl_records WHERE model = ?", (model,)).fetchone()[0]

    def previous(self, model: str, as_of: int, contact_id: str | None = None) -> Iterator[tuple[str, str, dict, dict]]:
        """``(contact_id, status, scores, tiers)``: each contact's latest record of ``model``
        before ``as_of`` (only ``contact_id``'s, if given)."""
        query = ("SELECT r.contact_id, r.status, r.scores, r.tiers FROM scoredsl_records r "
                 "WHERE r.model = ? AND r.as_of = (SELECT MAX(t.as_of) FROM scoredsl_records t "
                 "WHERE t.model = r.model AND t.contact_id = r.contact_id AND t.as_of < ?)")
        args: tuple = (model, as_of)
        if contact_id is not None:
            query += " AND r.contact_id = ?"
            args += (contact_id,)
        cursor = self._con.execute(query, args)
        for contact_id, status, scores, tiers in cursor:
            yield contact_id, status, json.loads(scores), json.loads(tiers)

    def runs(self, model: str | None = None) -> list[dict]:
        """Every recorded run, oldest as-of first (those of ``model`` only, if given)."""
        rows = self._con.execute("SELECT run_id, as_of, started, models, source, sink, contacts, transitions "
                                 "FROM scoredsl_runs ORDER BY as_of, run_id").fetchall()
        out = []
        for run, as_of, started, models, source, sink, contacts, transitions in rows:
            versions = json.loads(models)
            if model is None or model in versions:
                out.append({"run_id": run, "as_of": as_of, "started": started, "models": versions,
                            "source": source, "sink": sink, "contacts": contacts, "transitions": transitions})
        return out

    def history(self, contact_id: str, model: str | None = None) -> list[dict]:
        """A contact's records, oldest first."""
        query = ("SELECT model, as_of, run_id, status, reason, model_version, scores, tiers FROM scoredsl_records "
                 "WHERE contact_id = ?")
        args: tuple = (contact_id,)
        if model is not None:
            query += " AND model = ?"
            args += (model,)
        rows = self._con.execute(query + " ORDER BY model, as_of", args).fetchall()
        return [{"model": m, "as_of": a, "run_id": r, "status": s, "reason": why, "model_version": v,
                 "scores": json.loads(sc), "tiers": json.loads(ti)} for m, a, r, s, why, v, sc, ti in rows]

    def transitions(self, model: str, as_of: int) -> Iterator[Transition]:
        """The transitions recorded for ``model`` at ``as_of``, by contact id and tier."""
        cursor = self._con.execute(
            "SELECT contact_id, tier, old, new, run_id FROM scoredsl_transitions WHERE model = ? AND as_of = ? "
            "ORDER BY contact_id, tier", (model, as_of))
        for contact_id, tier, old, new, run in cursor:
            yield Transition(contact_id=contact_id, model=model, tier=tier, old=old, new=new, as_of=as_of,
                             run_id=run)

    # ---------------------------------------------------------------- recording a run
    def begin(self, run: RunRecord) -> None:
        """Start recording ``run``; its as-of's earlier records (a replay) are replaced."""
        if self._run is not None:
            raise StateError("a run is already being recorded")
        try:
            self._con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StateError(f"the state store {self.path} is busy ({exc}): is another run going on?") from None
        self._run = run
        self._contacts = 0
        for model in run.models:
            self._con.execute("DELETE FROM scoredsl_records WHERE model = ? AND as_of = ?", (model, run.as_of))
            # deliveries not yet made of the transitions replaced; those made stay made
            self._con.execute("DELETE FROM scoredsl_deliveries WHERE done = 0 AND key IN (SELECT key FROM "
                              "scoredsl_transitions WHERE model = ? AND as_of = ?)", (model, run.as_of))
            self._con.execute("DELETE FROM scoredsl_transitions WHERE model = ? AND as_of = ?", (model, run.as_of))
        replaced = self._con.execute("SELECT run_id, models FROM scoredsl_runs WHERE as_of = ?", (run.as_of,))
        for old, models in replaced.fetchall():
            if set(json.loads(models)) <= set(run.models):
                self._con.execute("DELETE FROM scoredsl_runs WHERE run_id = ?", (old,))

    def add(self, row: ResultRow) -> None:
        run = self._run
        self._pending.append((row.model, row.contact_id, run.as_of, run.run_id, row.status, row.reason,
                              run.models[row.model], _json(row.scores), _json(row.tiers)))
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self._con.executemany("INSERT INTO scoredsl_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending)
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
            self._con.execute("INSERT OR REPLACE INTO scoredsl_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              (run.run_id, run.as_of, run.started, _json(dict(run.models)), run.source, run.sink,
                               contacts, sum(counts.values())))
            if self.keep is not None:
                self._forget(run.as_of - self.keep)
            self._con.execute("COMMIT")
        except BaseException:
            self.abort()
            raise
        self._run = None
        return counts

    def abort(self) -> None:
        self._pending.clear()
        if self._con.in_transaction:
            self._con.execute("ROLLBACK")
        self._run = None

    def _transitions(self, run: RunRecord, actions: Sequence) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        outbox = []
        for model in run.models:
            first = self._con.execute("SELECT 1 FROM scoredsl_records WHERE model = ? AND as_of < ? LIMIT 1",
                                      (model, run.as_of)).fetchone() is None
            if first:
                continue
            cursor = self._con.execute(
                "SELECT n.contact_id, n.tiers, p.tiers FROM scoredsl_records n LEFT JOIN scoredsl_records p "
                "ON p.model = n.model AND p.contact_id = n.contact_id AND p.as_of = (SELECT MAX(t.as_of) "
                "FROM scoredsl_records t WHERE t.model = n.model AND t.contact_id = n.contact_id AND t.as_of < n.as_of) "
                "WHERE n.model = ? AND n.as_of = ?", (model, run.as_of))
            found = []
            for contact_id, new_tiers, old_tiers in cursor.fetchall():
                new = json.loads(new_tiers)
                old = json.loads(old_tiers) if old_tiers is not None else {}
                for tier, label in new.items():
                    before = old.get(tier)
                    if before != label:
                        t = Transition(contact_id=contact_id, model=model, tier=tier, old=before, new=label,
                                       as_of=run.as_of, run_id=run.run_id)
                        found.append((t.key, run.run_id, model, contact_id, tier, before, label, run.as_of))
                        counts[(model, tier)] = counts.get((model, tier), 0) + 1
                        for action in actions:
                            if action.takes(model, tier, before, label):
                                body = payload(model, contact_id, tier, before, label, run.as_of, run.run_id, t.key)
                                outbox.append((action.name, t.key, run.run_id, run.as_of, _json(body)))
            self._con.executemany("INSERT OR REPLACE INTO scoredsl_transitions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                  found)
        # a delivery already made keeps its row: the same transition is never delivered twice
        self._con.executemany("INSERT OR IGNORE INTO scoredsl_deliveries VALUES (?, ?, ?, ?, ?, 0, 0, NULL)",
                              outbox)
        return counts

    # ---------------------------------------------------------------- the outbox
    def pending(self, action: str) -> list[tuple[str, dict]]:
        """``(key, payload)`` of each delivery of ``action`` not yet made, oldest as-of first."""
        rows = self._con.execute("SELECT key, payload FROM scoredsl_deliveries WHERE action = ? AND done = 0 "
                                 "ORDER BY as_of, key", (action,)).fetchall()
        return [(key, json.loads(body)) for key, body in rows]

    def delivered(self, action: str, key: str) -> None:
        """Remember that a delivery was made (at once, in its own transaction)."""
        self._con.execute("UPDATE scoredsl_deliveries SET done = 1, attempts = attempts + 1, error = NULL "
                          "WHERE action = ? AND key = ?", (action, key))

    def failed(self, action: str, key: str, error: str) -> None:
        self._con.execute("UPDATE scoredsl_deliveries SET attempts = attempts + 1, error = ? "
                          "WHERE action = ? AND key = ?", (error[:1000], action, key))

    def deliveries(self) -> list[dict]:
        """Every delivery in the outbox, made or not."""
        rows = self._con.execute("SELECT action, key, run_id, as_of, done, attempts, error FROM scoredsl_deliveries "
                                 "ORDER BY as_of, action, key").fetchall()
        return [{"action": a, "key": k, "run_id": r, "as_of": t, "done": bool(d), "attempts": n, "error": e}
                for a, k, r, t, d, n, e in rows]

    def _forget(self, before: int) -> None:
        """Delete records older than ``before``, but for each contact's latest one (which a
        monotonic tier still needs), and the runs and transitions of that time."""
        self._con.execute(
            "DELETE FROM scoredsl_records WHERE as_of < ? AND as_of < (SELECT MAX(t.as_of) FROM scoredsl_records t "
            "WHERE t.model = scoredsl_records.model AND t.contact_id = scoredsl_records.contact_id)", (before,))
        self._con.execute("DELETE FROM scoredsl_transitions WHERE as_of < ?", (before,))
        self._con.execute("DELETE FROM scoredsl_deliveries WHERE done = 1 AND as_of < ?", (before,))
        self._con.execute("DELETE FROM scoredsl_runs WHERE as_of < ?", (before,))


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def started_now() -> str:
    return format_datetime(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


def previous_values(rows: Iterable[tuple[str, str, dict, dict]],
                    reads: Sequence[tuple[str, str]]) -> dict[str, tuple]:
    """``contact_id -> values`` of ``reads`` (``(kind, name)``: ``score`` or ``tier``) from
    :meth:`SqliteState.previous` rows; a contact whose record was not scored has none."""
    out = {}
    for contact_id, status, scores, tiers in rows:
        if status != "scored":
            continue
        out[contact_id] = tuple((scores if kind == "score" else tiers).get(name) for kind, name in reads)
    return out
