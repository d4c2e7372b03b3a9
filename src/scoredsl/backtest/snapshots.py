"""Point-in-time scoring: every contact as it was at each as-of, and what became of it after.

A backtest scores the source's contacts at a series of as-of instants (a :class:`Plan`). At
each instant ``t``:

- a contact **is there** from its ``created`` property (when the plan names one) or else from
  its first event; a contact with neither is never there;
- a contact that **already converted** (a converting outcome at or before ``t``) is left out:
  it is a customer, not a lead;
- the model sees **only the events at or before ``t``** (every aggregate, rule and decay ignores
  later ones: docs/language.md); contact properties are read as the source has them;
- the contact **converted** when it has a converting outcome in ``(t, t + window]``.

Each (instant, contact) that is there and not yet converted is one *observation*. A model that
reads earlier runs (``previous``, ``change``, ``monotonic``) reads the contact's observations at
earlier instants of the same backtest, as if each instant had been a nightly run.

The contacts stream through the Python engine's reader (:func:`contacts_with_events`: sorted,
in memory or spilled), each contact's events are read once and it is scored at every instant.
"""

from __future__ import annotations

import array
import bisect
import datetime as dt
from typing import Callable, Iterable, Sequence

import attrs
import numpy as np

from scoredsl.check import ir
from scoredsl.check.ir import state_reads
from scoredsl.compiler.model import CompiledModel
from scoredsl.data.outcomes import Outcome
from scoredsl.data.records import epoch_micros
from scoredsl.data.state import previous_values
from scoredsl.engines.base import RunOptions
from scoredsl.engines.frame import ErrorPolicy, RunSummary
from scoredsl.engines.python import contacts_with_events

DAY = 86_400_000_000
NO_LABEL, DISQUALIFIED, OUT_OF_SCOPE = "(none)", "(disqualified)", "(out_of_scope)"


class BacktestError(ValueError):
    """A backtest that cannot be run as asked (no instants, a window that is never observed)."""


@attrs.frozen(kw_only=True)
class Plan:
    #: the as-of instants, epoch microseconds, ascending
    as_ofs: tuple[int, ...]
    #: how long after an as-of a converting outcome counts, microseconds
    window: int
    #: the outcomes (casefolded) that count as converting
    converted: frozenset[str]
    #: the contact property that says when a contact came to exist (``None``: its first event)
    created: str | None = None
    #: record which rules gave points (the explain evaluator; slower than the fast one)
    rules: bool = True


def series(start: int, end: int, step: int) -> tuple[int, ...]:
    """``start``, ``start + step``, ... up to ``end`` included."""
    if step <= 0:
        raise BacktestError("the step between as-of instants must be positive")
    if end < start:
        raise BacktestError("--to is before --from")
    return tuple(range(start, end + 1, step))


def observable(as_ofs: Sequence[int], window: int, until: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(kept, dropped)``: the instants whose whole outcome window ends by ``until`` (the last
    instant outcomes are known for), and those whose window is still open."""
    kept = tuple(t for t in as_ofs if t + window <= until)
    return kept, tuple(t for t in as_ofs if t + window > until)


@attrs.frozen(kw_only=True)
class RuleRef:
    score: str
    name: str
    location: str
    #: how the rule is shown when it never gave points: "-" for a rule that can only take them
    sign: str = "+"


@attrs.define
class Observations:
    """Every observation of a backtest, column by column (numpy arrays of one length)."""
    model: CompiledModel
    plan: Plan
    contact_ids: list[str]     # the contacts with at least one observation
    snap: np.ndarray           # int: index into plan.as_ofs
    contact: np.ndarray        # int: index into contact_ids
    scored: np.ndarray         # bool: status "scored"
    scores: dict[str, np.ndarray]        # float, NaN when not scored
    labels: dict[str, np.ndarray]        # int codes into label_names[tier]
    label_names: dict[str, list[str]]
    rules: tuple[RuleRef, ...]
    #: ``rule name + "+"`` (or ``"-"``) -> indices of the observations where it gave (took) points
    fired: dict[str, np.ndarray]
    converted: np.ndarray      # bool
    #: what was read and left out, for the report
    counts: dict[str, int] = attrs.field(factory=dict)

    def __len__(self) -> int:
        return len(self.snap)


def model_rules(model: CompiledModel) -> tuple[RuleRef, ...]:
    return tuple(RuleRef(score=s.name, name=r.name, location=f"{r.span.file}:{r.span.line}",
                         sign="-" if getattr(r, "sign", 1) < 0 else "+")
                 for s in model.ir.scores for r in s.rules())


def tier_labels(tier: ir.Tier) -> list[str]:
    """A tier's labels from the highest entry down, then what a contact without one shows."""
    return list(dict.fromkeys([e.label for e in tier.entries] + [NO_LABEL, DISQUALIFIED, OUT_OF_SCOPE]))


def conversions(outcomes: Iterable[Outcome], converted: frozenset[str]) -> tuple[dict[str, list[int]], dict]:
    """``contact id -> sorted converting instants``, and how many outcomes of each kind there were."""
    found: dict[str, list[int]] = {}
    kinds: dict[str, int] = {}
    for o in outcomes:
        kinds[o.outcome] = kinds.get(o.outcome, 0) + 1
        if o.outcome in converted:
            found.setdefault(o.contact_id, []).append(o.at)
    for times in found.values():
        times.sort()
    return found, dict(sorted(kinds.items()))


def collect(model: CompiledModel, source, plan: Plan, converting: dict[str, list[int]], *,
            options: RunOptions | None = None,
            progress: Callable[[str, int], None] | None = None) -> Observations:
    """Score every contact of ``source`` at each instant of ``plan`` (see the module docs)."""
    options = options or RunOptions()
    if not plan.as_ofs:
        raise BacktestError("no as-of instant to score at")
    schema = model.program.schema
    if plan.created is not None and plan.created not in schema.contact:
        raise BacktestError(f"--created names '{plan.created}', which is not a contact property of the schema")
    summary = RunSummary()
    policy = ErrorPolicy(options.on_error, summary)
    rules = model_rules(model) if plan.rules else ()
    tiers = {t.name: t for t in model.ir.tiers}
    label_names = {name: tier_labels(t) for name, t in tiers.items()}
    codes = {name: {label: i for i, label in enumerate(labels)} for name, labels in label_names.items()}
    reads = state_reads(model.ir)
    keys = tuple(p.key for p in reads)
    read_specs = [(p.kind, p.name, p.window) for p in reads]

    snap, who, scored_col, converted_col = (array.array("i"), array.array("q"), array.array("b"),
                                            array.array("b"))
    score_cols = {name: array.array("d") for name in model.score_names}
    label_cols = {name: array.array("i") for name in model.tier_names}
    fired = {r.name + sign: array.array("q") for r in rules for sign in "+-"}
    ids: list[str] = []
    counts = dict(contacts=0, never_there=0, observations=0, already_converted=0, not_yet_there=0)
    matched = 0
    nan = float("nan")
    as_ofs = plan.as_ofs
    window = plan.window

    with contacts_with_events(source, schema, options, summary, policy, policy) as pairs:
        for contact, per_type in pairs:
            counts["contacts"] += 1
            cid = contact["id"]
            start = _start(contact, per_type, plan.created)
            if start is None:
                counts["never_there"] += 1
                continue
            times = converting.get(cid, ())
            matched += bool(times)
            index = None
            history: list[tuple] = []
            for k, t in enumerate(as_ofs):
                if t < start:
                    counts["not_yet_there"] += 1
                    continue
                first_after = bisect.bisect_right(times, t)
                if first_after > 0:
                    counts["already_converted"] += len(as_ofs) - k
                    break
                seen = contact
                if keys:
                    seen = dict(contact)
                    seen.update(zip(keys, _previous(history, cid, t, read_specs)))
                if rules:
                    status, _reason, scores, labels, trace = model.trace_packed(seen, per_type, t)
                else:
                    status, _reason, scores, labels = model.evaluate_packed(seen, per_type, t)[:4]
                is_scored = status == "scored"
                if index is None:
                    index = len(ids)
                    ids.append(cid)
                n = len(snap)
                snap.append(k)
                who.append(index)
                scored_col.append(is_scored)
                converted_col.append(first_after < len(times) and times[first_after] <= t + window)
                for i, name in enumerate(model.score_names):
                    score_cols[name].append(scores[i] if is_scored else nan)
                for name, label in zip(model.tier_names, labels or (None,) * len(model.tier_names)):
                    shown = label if is_scored and label is not None else (
                        NO_LABEL if is_scored else DISQUALIFIED if status == "disqualified" else OUT_OF_SCOPE)
                    label_cols[name].append(codes[name][shown])
                if rules and is_scored:
                    points = trace["rules"]
                    for r in rules:
                        given = points[r.name][0]
                        if given:
                            fired[r.name + ("+" if given > 0 else "-")].append(n)
                if keys:
                    history.append((t, status, dict(zip(model.score_names, scores or ())),
                                    dict(zip(model.tier_names, labels or ()))))
            if progress is not None and counts["contacts"] % 1000 == 0:
                progress("contacts scored", counts["contacts"])
    counts["observations"] = len(snap)
    counts["converters_not_in_source"] = len(converting) - matched
    if converting and not matched:
        some = ", ".join(sorted(converting)[:3])
        raise BacktestError(f"none of the {len(converting):,} contacts with a converting outcome is in the source "
                            f"(the outcomes name {some}, ...): do the outcomes and the source use the same "
                            "contact ids?")
    counts["events"] = summary.events
    counts["skipped_rows"] = summary.skipped_rows
    return Observations(
        model=model, plan=plan, contact_ids=ids,
        snap=np.frombuffer(snap, dtype=np.int32).copy(), contact=np.frombuffer(who, dtype=np.int64).copy(),
        scored=np.frombuffer(scored_col, dtype=np.int8).astype(bool),
        scores={k: np.frombuffer(v, dtype=np.float64).copy() for k, v in score_cols.items()},
        labels={k: np.frombuffer(v, dtype=np.int32).copy() for k, v in label_cols.items()},
        label_names=label_names, rules=rules,
        fired={k: np.frombuffer(v, dtype=np.int64).copy() for k, v in fired.items()},
        converted=np.frombuffer(converted_col, dtype=np.int8).astype(bool), counts=counts)


def _start(contact, per_type, created: str | None) -> int | None:
    """When the contact is there: its ``created`` value, else its first event, else never."""
    if created is not None:
        value = contact.get(created)
        if isinstance(value, (dt.date, dt.datetime)):
            return epoch_micros(value)
        if isinstance(value, int):
            return value
    firsts = [items[0][0] for items in per_type.values() if items]
    return min(firsts) if firsts else None


def _previous(history: list[tuple], cid: str, t: int, reads) -> tuple:
    """What the model reads of the contact's earlier observations, as a state store gives it."""
    def latest(before: int):
        for when, status, scores, labels in reversed(history):
            if when < before:
                return [(cid, status, scores, labels)]
        return []
    return previous_values(latest, t, reads).get(cid, (None,) * len(reads))
