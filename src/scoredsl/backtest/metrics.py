"""The metrics of a backtest, from its observations (:class:`~.snapshots.Observations`).

Every metric pools the observations of all instants (one per contact and instant). Contacts
the model does not score (disqualified, out of scope) rank below every scored contact: sales
would not call them. Intervals are percentile bootstrap intervals (2.5% to 97.5%): contacts are
drawn with replacement, each with all of its observations, ``bootstrap`` times, from a fixed
seed, so the same data gives the same intervals. docs/backtest.md explains each metric.
"""

from __future__ import annotations

import math
from typing import Sequence

import attrs
import numpy as np

from scoredsl.backtest.snapshots import BacktestError, Observations
from scoredsl.data.records import from_epoch_micros
from scoredsl.data.values import iso

DAY = 86_400_000_000
BANDS = 10
CURVE_POINTS = 200
SEED = 20_261_205


@attrs.frozen
class Interval:
    value: float | None
    low: float | None = None
    high: float | None = None

    def to_json(self) -> dict:
        return {"value": _round(self.value), "low": _round(self.low), "high": _round(self.high)}


@attrs.frozen(kw_only=True)
class Row:
    """One tier label or score band: how many observations, how many converted, the rate and
    its lift over the base rate."""
    label: str
    observations: int
    converters: int
    rate: Interval
    lift: Interval
    low: float | None = None            # bands: the lowest and highest score in the band
    high: float | None = None
    mean_score: float | None = None
    share: float | None = None          # bands: share of observations in this band and above
    gain: float | None = None           # bands: share of converters in this band and above

    def to_json(self) -> dict:
        out = {"label": self.label, "observations": self.observations, "converters": self.converters,
               "rate": self.rate.to_json(), "lift": self.lift.to_json()}
        for name in ("low", "high", "mean_score", "share", "gain"):
            value = getattr(self, name)
            if value is not None:
                out[name] = _round(value)
        return out


@attrs.frozen(kw_only=True)
class RuleEffect:
    score: str
    name: str
    location: str
    sign: str                   # "+" (gave points) or "-" (took them)
    fired: int
    converters: int
    rate_fired: float | None
    rate_not: float | None
    relative_risk: Interval     # rate when it fired / rate when it did not
    lift: float | None          # rate when it fired / base rate
    verdict: str

    def to_json(self) -> dict:
        return {"score": self.score, "rule": self.name, "location": self.location, "sign": self.sign,
                "fired": self.fired, "converters": self.converters, "rate_fired": _round(self.rate_fired),
                "rate_not": _round(self.rate_not), "relative_risk": self.relative_risk.to_json(),
                "lift": _round(self.lift), "verdict": self.verdict}


@attrs.frozen(kw_only=True)
class AtK:
    k: int
    precision: Interval
    recall: Interval

    def to_json(self) -> dict:
        return {"k": self.k, "precision": self.precision.to_json(), "recall": self.recall.to_json()}


@attrs.frozen(kw_only=True)
class Suggestion:
    goal: str
    threshold: float | None
    per_instant: float
    precision: float | None
    recall: float | None

    def to_json(self) -> dict:
        return {"goal": self.goal, "threshold": _round(self.threshold), "per_instant": _round(self.per_instant),
                "precision": _round(self.precision), "recall": _round(self.recall)}


@attrs.frozen(kw_only=True)
class Result:
    model: str
    version: str
    score: str
    as_ofs: tuple[str, ...]
    dropped: tuple[str, ...]           # instants whose outcome window is not over yet
    window_days: float
    converting: tuple[str, ...]
    outcome_kinds: dict
    counts: dict
    observations: int
    converters: int
    contacts: int
    base_rate: Interval
    auc: Interval
    aucs: dict                          # every score's AUC (point value)
    tiers: dict                         # tier -> tuple[Row, ...]
    bands: tuple[Row, ...]
    unscored: Row | None
    calibration: tuple[str, ...]        # bands where a higher score converts less, in words
    at_k: tuple[AtK, ...]
    rules: tuple[RuleEffect, ...]
    suggestions: tuple[Suggestion, ...]
    gain: tuple[tuple[float, float], ...]
    roc: tuple[tuple[float, float], ...]
    distribution: dict                  # {"edges": [...], "converters": [...], "others": [...]}
    bootstrap: int
    seed: int

    def to_json(self) -> dict:
        return {
            "model": self.model, "model_version": self.version, "score": self.score,
            "as_of": list(self.as_ofs), "dropped_as_of": list(self.dropped), "window_days": self.window_days,
            "converting_outcomes": list(self.converting), "outcomes": self.outcome_kinds, "counts": self.counts,
            "observations": self.observations, "converters": self.converters, "contacts": self.contacts,
            "base_rate": self.base_rate.to_json(), "auc": self.auc.to_json(),
            "auc_by_score": {k: _round(v) for k, v in self.aucs.items()},
            "tiers": {name: [r.to_json() for r in rows] for name, rows in self.tiers.items()},
            "bands": [r.to_json() for r in self.bands],
            "unscored": self.unscored.to_json() if self.unscored else None,
            "calibration": list(self.calibration),
            "at_k": [a.to_json() for a in self.at_k], "rules": [r.to_json() for r in self.rules],
            "suggestions": [s.to_json() for s in self.suggestions],
            "gain": [[_round(x), _round(y)] for x, y in self.gain],
            "roc": [[_round(x), _round(y)] for x, y in self.roc],
            "distribution": self.distribution, "bootstrap": self.bootstrap, "seed": self.seed,
        }


# ------------------------------------------------------------------ the computation

def measure(obs: Observations, *, score: Sequence[str] = (), capacity: Sequence[int] = (),
            target_precision: Sequence[float] = (), bootstrap: int = 200, seed: int = SEED,
            dropped: Sequence[int] = (), outcome_kinds: dict | None = None) -> Result:
    """Every metric of ``obs``, contacts ranked by the sum of the scores named in ``score``
    (default: every score of the model, as ``fit + engagement``)."""
    model = obs.model
    if not model.score_names:
        raise BacktestError(f"model '{model.name}' has no score to rank contacts by")
    names = tuple(score) or model.score_names
    unknown = [name for name in names if name not in model.score_names]
    if unknown:
        raise BacktestError(f"model '{model.name}' has no score {', '.join(repr(u) for u in unknown)}; it has "
                            f"{', '.join(model.score_names)}")
    y = obs.converted.astype(np.float64)
    n = len(obs)
    key = _key(obs, names)
    boot = _Bootstrap(obs, y, bootstrap, seed)
    base = boot(lambda s: _ratio(s.converted, s.total))
    ranking = _Ranking(key)
    auc = boot(lambda s: ranking.auc(s.w, s.wy))
    aucs = {name: _Ranking(_key(obs, (name,))).auc(np.ones(n), y) for name in model.score_names}
    tiers = {name: _table(obs.labels[name], obs.label_names[name], y, boot) for name in model.tier_names}
    bands, unscored = _bands(key, obs.scored, y, boot)
    per_instant = _PerInstant(obs.snap, key, len(obs.plan.as_ofs))
    at_k = [(k, boot(lambda s, k=k: per_instant.cached(s, k)[0]), boot(lambda s, k=k: per_instant.cached(s, k)[1]))
            for k in capacity]
    rules = _rules(obs, y, boot)
    boot.run()
    bands = tuple(_resolved(row) for row in bands)
    suggestions = tuple(_for_capacity(key, y, k, len(obs.plan.as_ofs)) for k in capacity) + \
        tuple(_for_precision(key, y, p, len(obs.plan.as_ofs)) for p in target_precision)
    return Result(
        model=model.name, version=model.version, score=" + ".join(names),
        as_ofs=tuple(iso(from_epoch_micros(t)) for t in obs.plan.as_ofs),
        dropped=tuple(iso(from_epoch_micros(t)) for t in dropped), window_days=obs.plan.window / DAY,
        converting=tuple(sorted(obs.plan.converted)), outcome_kinds=dict(outcome_kinds or {}),
        counts=dict(obs.counts), observations=n, converters=int(y.sum()), contacts=len(obs.contact_ids),
        base_rate=base.interval, auc=auc.interval, aucs=aucs,
        tiers={name: tuple(_resolved(row) for row in rows) for name, rows in tiers.items()},
        bands=bands, unscored=_resolved(unscored) if unscored is not None else None,
        calibration=_calibration(bands),
        at_k=tuple(AtK(k=k, precision=p.interval, recall=r.interval) for k, p, r in at_k),
        rules=tuple(attrs.evolve(e, relative_risk=e.relative_risk.interval,
                                 verdict=_verdict(e.sign, e.fired, e.relative_risk.interval)) for e in rules),
        suggestions=suggestions, gain=ranking.gain(y), roc=ranking.roc(y),
        distribution=_distribution(key, obs.scored, y), bootstrap=boot.done, seed=seed)


class _Sample:
    """One bootstrap sample: each observation's weight (how often its contact was drawn), the
    weights of the converted ones, and both totals."""
    __slots__ = ("w", "wy", "total", "converted", "cache")

    def __init__(self, w: np.ndarray, y: np.ndarray):
        self.w = w
        self.wy = w * y
        self.total = float(w.sum())
        self.converted = float(self.wy.sum())
        self.cache: dict = {}


class _Pending:
    __slots__ = ("statistic", "interval")

    def __init__(self, statistic):
        self.statistic = statistic
        self.interval: Interval | None = None


class _Bootstrap:
    """Statistics are registered first (``boot(statistic)`` gives a pending interval), then
    :meth:`run` draws each sample once and computes every statistic on it: memory holds one
    sample's weights at a time, whatever the number of samples."""

    def __init__(self, obs: Observations, y: np.ndarray, count: int, seed: int):
        self.obs, self.y, self.count, self.seed = obs, y, count, seed
        self.pending: list[_Pending] = []
        self.done = 0

    def __call__(self, statistic) -> _Pending:
        pending = _Pending(statistic)
        self.pending.append(pending)
        return pending

    def run(self) -> None:
        full = _Sample(np.ones(len(self.y)), self.y)
        points = [p.statistic(full) for p in self.pending]
        samples: list[list[float]] = [[] for _ in self.pending]
        contacts = len(self.obs.contact_ids)
        if self.count > 0 and contacts:
            rng = np.random.default_rng(self.seed)
            for _ in range(self.count):
                drawn = np.bincount(rng.integers(0, contacts, contacts), minlength=contacts)
                sample = _Sample(drawn[self.obs.contact].astype(np.float64), self.y)
                for i, pending in enumerate(self.pending):
                    if points[i] is not None:
                        value = pending.statistic(sample)
                        if value is not None:
                            samples[i].append(value)
            self.done = self.count
        for pending, value, values in zip(self.pending, points, samples):
            if value is None or not values:
                pending.interval = Interval(value)
            else:
                low, high = np.percentile(np.array(values, dtype=float), [2.5, 97.5])
                pending.interval = Interval(value, float(low), float(high))


def _resolved(row: "Row") -> "Row":
    return attrs.evolve(row, rate=row.rate.interval, lift=row.lift.interval)


def _key(obs: Observations, names: Sequence[str]) -> np.ndarray:
    """The ranking key: the sum of the named scores, and minus infinity for an unscored contact."""
    total = np.zeros(len(obs))
    for name in names:
        total = total + obs.scores[name]
    return np.where(obs.scored, np.nan_to_num(total, nan=-np.inf), -np.inf)


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else float(a) / float(b)


class _Ranking:
    """The observations ranked by one key, ties together."""

    def __init__(self, key: np.ndarray):
        self.values, self.group = np.unique(key, return_inverse=True)   # ascending
        self.groups = len(self.values)

    def _sums(self, w, wy):
        pos = np.bincount(self.group, weights=wy, minlength=self.groups)
        neg = np.bincount(self.group, weights=w, minlength=self.groups) - pos
        return pos, neg

    def auc(self, w: np.ndarray, wy: np.ndarray) -> float | None:
        """The chance that a converter ranks above a non-converter (ties count half), each
        observation weighted by ``w`` (``wy``: the weights times converted, 1 or 0)."""
        pos, neg = self._sums(w, wy)
        total = pos.sum() * neg.sum()
        if total == 0:
            return None
        below = np.cumsum(neg) - neg
        return float((pos * (below + 0.5 * neg)).sum() / total)

    def _cumulative(self, y):
        """From the top: share of observations and of converters at or above each key."""
        pos, neg = self._sums(np.ones(len(y)), y)
        pos, neg = pos[::-1], neg[::-1]
        return np.cumsum(pos), np.cumsum(neg), pos.sum(), neg.sum()

    def gain(self, y) -> tuple[tuple[float, float], ...]:
        cp, cn, p, q = self._cumulative(y)
        if p == 0:
            return ()
        return _thin([(0.0, 0.0)] + list(zip(((cp + cn) / (p + q)).tolist(), (cp / p).tolist())))

    def roc(self, y) -> tuple[tuple[float, float], ...]:
        cp, cn, p, q = self._cumulative(y)
        if p == 0 or q == 0:
            return ()
        return _thin([(0.0, 0.0)] + list(zip((cn / q).tolist(), (cp / p).tolist())))


def _thin(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """At most about :data:`CURVE_POINTS` points, the first and last kept."""
    if len(points) <= CURVE_POINTS:
        return tuple(points)
    step = len(points) / (CURVE_POINTS - 1)
    picked = [points[min(len(points) - 1, round(i * step))] for i in range(CURVE_POINTS - 1)]
    return tuple(dict.fromkeys(picked + [points[-1]]))


def _table(codes, names, y, boot) -> tuple[Row, ...]:
    rows = []
    for code, label in enumerate(names):
        mask = codes == code
        count = int(mask.sum())
        if count == 0:
            continue
        rows.append(_row(label, mask, y, boot))
    return tuple(rows)


def _row(label: str, mask, y, boot, **extra) -> Row:
    """A row whose intervals are pending until the bootstrap runs (:func:`_resolved`)."""
    index = np.flatnonzero(mask)
    rate = boot(lambda s: _ratio(s.wy[index].sum(), s.w[index].sum()))
    lift = boot(lambda s: _lift(s.wy[index].sum(), s.w[index].sum(), s.converted, s.total))
    return Row(label=label, observations=len(index), converters=int(y[index].sum()), rate=rate, lift=lift,
               **extra)


def _lift(conv_in, n_in, conv_all, n_all) -> float | None:
    if n_in == 0 or conv_all == 0:
        return None
    return float(conv_in / n_in) / float(conv_all / n_all)


def _bands(key, scored, y, boot):
    """Up to :data:`BANDS` score bands of about equal size (ties kept together), from the
    highest down, and the unscored row."""
    values = key[scored]
    if len(values) == 0:
        return (), (_row("not scored", ~scored, y, boot) if (~scored).any() else None)
    cuts = np.unique(np.quantile(values, [i / BANDS for i in range(1, BANDS)], method="higher"))
    cuts = cuts[cuts > values.min()]
    band = np.searchsorted(cuts, key, side="right")
    total_n, total_y = len(key), y.sum()
    rows, above_n, above_y = [], 0, 0.0
    for b in range(len(cuts), -1, -1):
        mask = scored & (band == b)
        if not mask.any():
            continue
        above_n += int(mask.sum())
        above_y += float(y[mask].sum())
        low, high = float(key[mask].min()), float(key[mask].max())
        rows.append(_row(_range(low, high), mask, y, boot, low=low, high=high,
                         mean_score=float(key[mask].mean()), share=above_n / total_n,
                         gain=None if total_y == 0 else above_y / total_y))
    unscored = _row("not scored", ~scored, y, boot) if (~scored).any() else None
    return rows, unscored


def _calibration(rows: Sequence[Row]) -> tuple[str, ...]:
    """Where a higher band converts less than the band below it, beyond both intervals."""
    notes = []
    for higher, lower in zip(rows, rows[1:]):
        if higher.rate.high is not None and lower.rate.low is not None and higher.rate.high < lower.rate.low:
            notes.append(f"score {higher.label} converts less ({_pct(higher.rate.value)}) than score "
                         f"{lower.label} ({_pct(lower.rate.value)}), beyond the intervals")
    return tuple(notes)


def _range(low: float, high: float) -> str:
    return _num(low) if low == high else f"{_num(low)}..{_num(high)}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


class _PerInstant:
    """Each instant's observations ranked from the highest key down, ties together, for the
    top ``k`` of each instant (what sales can call in one period)."""

    def __init__(self, snap, key, instants: int):
        self.parts = []
        for s in range(instants):
            index = np.flatnonzero(snap == s)
            if len(index) == 0:
                continue
            values, group = np.unique(-key[index], return_inverse=True)     # highest key first
            self.parts.append((index, group, len(values)))

    def cached(self, sample: "_Sample", k: int) -> tuple[float | None, float | None]:
        found = sample.cache.get(("top", k))
        if found is None:
            found = sample.cache[("top", k)] = self.top(sample.w, sample.wy, k)
        return found

    def top(self, w, wy, k: int) -> tuple[float | None, float | None]:
        """Mean over instants of precision and recall of the top ``k`` (a tie across the
        ``k``-th place counts in proportion, the expected value of breaking it at random)."""
        precisions, recalls = [], []
        for index, group, groups in self.parts:
            weight = np.bincount(group, weights=w[index], minlength=groups)
            hits = np.bincount(group, weights=wy[index], minlength=groups)
            total, converters = weight.sum(), hits.sum()
            if total == 0:
                continue
            take = min(k, total)
            cumulative = np.cumsum(weight)
            at = int(np.searchsorted(cumulative, take, side="left"))
            before_w = cumulative[at - 1] if at > 0 else 0.0
            before_h = hits[:at].sum()
            fraction = (take - before_w) / weight[at] if weight[at] else 0.0
            captured = before_h + fraction * hits[at]
            precisions.append(captured / take)
            if converters:
                recalls.append(captured / converters)
        return (float(np.mean(precisions)) if precisions else None,
                float(np.mean(recalls)) if recalls else None)


def _rules(obs: Observations, y, boot) -> list[RuleEffect]:
    """Each rule's effect, its relative risk pending until the bootstrap runs."""
    effects = []
    n = len(obs)
    for ref in obs.rules:
        signs = [sign for sign in "+-" if len(obs.fired[ref.name + sign])] or [ref.sign]
        for sign in signs:
            index = obs.fired[ref.name + sign]
            fired = len(index)
            converters = int(y[index].sum())
            rr = boot(lambda s, index=index: _relative_risk(s, index))
            effects.append(RuleEffect(
                score=ref.score, name=ref.name, location=ref.location, sign=sign, fired=fired,
                converters=converters, rate_fired=_ratio(converters, fired),
                rate_not=_ratio(y.sum() - converters, n - fired), relative_risk=rr,
                lift=_lift(converters, fired, y.sum(), n), verdict=""))
    return effects


def _relative_risk(s: "_Sample", index) -> float | None:
    fired_w, fired_y = s.w[index].sum(), s.wy[index].sum()
    rest_w, rest_y = s.total - fired_w, s.converted - fired_y
    if fired_w == 0 or rest_w == 0 or rest_y == 0:
        return None
    return float((fired_y / fired_w) / (rest_y / rest_w))


def _verdict(sign: str, fired: int, rr: Interval) -> str:
    if fired == 0:
        return "never gave points"
    if rr.value is None:
        return "not enough data"
    if rr.low is None:
        return "no interval (--bootstrap 0)"
    up, down = rr.low > 1, rr.high < 1
    if sign == "+":
        return "earns its points" if up else "points against the outcome" if down else "not clear"
    return "earns its penalty" if down else "penalises converters" if up else "not clear"


def _candidates(key, y):
    """Scored thresholds from the highest down with, for each, how many observations and
    converters have at least that key."""
    scored = np.isfinite(key)
    values, group = np.unique(-key[scored], return_inverse=True)
    count = np.cumsum(np.bincount(group, minlength=len(values)))
    hits = np.cumsum(np.bincount(group, weights=y[scored], minlength=len(values)))
    return -values, count, hits


def _for_capacity(key, y, k: int, instants: int) -> Suggestion:
    """The lowest threshold whose contacts per instant stay within ``k``."""
    thresholds, count, hits = _candidates(key, y)
    per = count / max(instants, 1)
    ok = np.flatnonzero(per <= k)
    goal = f"at most {k} contacts per as-of"
    if len(ok) == 0:
        return Suggestion(goal=goal, threshold=None, per_instant=0.0, precision=None, recall=None)
    i = int(ok[-1])
    return Suggestion(goal=goal, threshold=float(thresholds[i]), per_instant=float(per[i]),
                      precision=float(hits[i] / count[i]), recall=_ratio(hits[i], y.sum()))


def _for_precision(key, y, target: float, instants: int) -> Suggestion:
    """The lowest threshold at which the contacts at or above it converted at ``target`` or more."""
    thresholds, count, hits = _candidates(key, y)
    precision = hits / np.maximum(count, 1)
    ok = np.flatnonzero(precision >= target)
    goal = f"precision at least {100 * target:g}%"
    if len(ok) == 0:
        return Suggestion(goal=goal, threshold=None, per_instant=0.0, precision=None, recall=None)
    i = int(ok[-1])
    return Suggestion(goal=goal, threshold=float(thresholds[i]), per_instant=float(count[i] / max(instants, 1)),
                      precision=float(precision[i]), recall=_ratio(hits[i], y.sum()))


def _distribution(key, scored, y, bins: int = 20) -> dict:
    """Histograms of the score for converters and for the rest, each as shares of its group."""
    values = key[scored]
    if len(values) == 0:
        return {"edges": [], "converters": [], "others": []}
    low, high = float(values.min()), float(values.max())
    width = max(1.0, math.ceil((high - low + 1) / bins))
    edges = [low + i * width for i in range(int((high - low) // width) + 2)]
    conv = y[scored] > 0
    counts_c, _ = np.histogram(values[conv], bins=edges)
    counts_o, _ = np.histogram(values[~conv], bins=edges)
    share = lambda c: [_round(x) for x in (c / c.sum() if c.sum() else c.astype(float)).tolist()]  # noqa: E731
    return {"edges": [_round(e) for e in edges], "converters": share(counts_c), "others": share(counts_o)}


def _round(value):
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return round(float(value), 6)

