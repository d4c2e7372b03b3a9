"""Structural checks of a model: band order and overlap, tier reachability, caps, decay steps.

Each function reports into a diagnostics list; the ones that find errors return False.
"""

from __future__ import annotations

import math

from scoredsl.check import ir
from scoredsl.check.types import Type
from scoredsl.diagnostics import Diagnostic, error, warning
from scoredsl.syntax import nodes

INF = math.inf


def _interval(band: ir.Band):
    low = -INF if band.low is None else band.low
    high = INF if band.high is None else band.high
    return low, band.low_inclusive or band.low is None, high, band.high_inclusive or band.high is None


def _overlap(a, b) -> bool:
    (alo, alin, ahi, ahin), (blo, blin, bhi, bhin) = a, b
    if ahi < blo or bhi < alo:
        return False
    if ahi == blo:
        return ahin and blin
    if bhi == alo:
        return bhin and alin
    return True


def band_order(bands: list[ir.Band], subject: Type, out: list[Diagnostic]) -> bool:
    ok = True
    others = [b for b in bands if b.otherwise]
    if others:
        if len(others) > 1:
            out.append(error("SD403", "a band rule has at most one 'otherwise'", others[1].span))
            ok = False
        if not bands[-1].otherwise:
            out.append(error("SD403", "'otherwise' must be the last band", others[0].span))
            ok = False
    if subject == Type.TEXT:
        seen: dict[str, ir.Band] = {}
        for band in bands:
            for value in band.values or ():
                if value in seen:
                    out.append(error("SD402", f'"{value}" appears in two bands (case-insensitively)', band.span,
                                     f"it is already in band {seen[value].label}"))
                    ok = False
                seen.setdefault(value, band)
        return ok
    ranged = []   # (interval, band) for every numeric band, points as degenerate intervals
    for band in bands:
        if band.otherwise:
            continue
        if band.values is not None:
            ranged.extend(((v, True, v, True), band) for v in band.values)
        else:
            ranged.append((_interval(band), band))
    for i, (a, band_a) in enumerate(ranged):
        for b, band_b in ranged[i + 1:]:
            if band_a is not band_b and _overlap(a, b):
                out.append(error("SD401", f"band {band_b.label} overlaps band {band_a.label}", band_b.span,
                                 "bands do not accumulate: each value must fall in one band only"))
                ok = False
    if ok:
        previous = None
        for interval, band in ranged:
            if previous is not None and interval[0] < previous[0][0]:
                out.append(error("SD401", f"band {band.label} comes after the higher band {previous[1].label}",
                                 band.span, "list bands in ascending order"))
                ok = False
            previous = (interval, band)
    return ok


def decay_steps(decay: nodes.InactivityDecay, out: list[Diagnostic]) -> bool:
    ok = True
    if not decay.steps:
        out.append(error("SD406", "an inactivity decay needs at least one step, like 30d => 75%", decay.span))
        return False
    previous = None
    for step in decay.steps:
        if not 0 <= step.percent <= 100:
            out.append(error("SD406", f"a decay step keeps between 0% and 100%, not {step.percent}%", step.span))
            ok = False
        if step.after.amount <= 0:
            out.append(error("SD406", "a decay step needs a duration longer than zero", step.after.span))
            ok = False
        if previous is not None:
            if step.after.seconds <= previous.after.seconds:
                out.append(error("SD406", "decay steps must be in order of increasing duration", step.span,
                                 f"this step comes after the longer or equal {previous.after.amount}"
                                 f"{previous.after.unit.value}"))
                ok = False
            elif step.percent > previous.percent:
                out.append(error("SD406", "a later decay step must keep less, not more: "
                                          f"{step.percent}% after {previous.percent}%", step.span))
                ok = False
        previous = step
    return ok


def _max_positive(rule) -> int | None:
    """The most positive points one rule can award, None if unbounded."""
    if isinstance(rule, ir.WhenRule):
        if rule.value is not None:
            return max(rule.value.low * rule.value.sign, rule.value.high * rule.value.sign, 0)
        return max(rule.points, 0)
    if isinstance(rule, ir.BandRule):
        return max([b.points for b in rule.bands] + [0])
    if rule.points <= 0:
        return 0
    return rule.limit


def caps(score: ir.Score, node: nodes.Score, out: list[Diagnostic]) -> None:
    """Warn about a cap below what a single rule awards: the rule can never count in full."""
    spans = {g.name.name: g.cap.span for g in node.contributions if isinstance(g, nodes.Group) and g.cap}
    for item in score.items:
        if not isinstance(item, ir.Group) or item.cap is None:
            continue
        for rule in item.rules:
            best = _max_positive(rule)
            if best is not None and best > item.cap:
                out.append(warning("SD413", f"group '{item.name}' is capped at {item.cap}, below the {best} points "
                                            f"of rule '{rule.name}' alone", spans.get(item.name, item.span),
                                   "raise the cap or lower the rule's points"))


def _threshold_interval(entry: ir.TierEntry):
    cond = entry.condition
    if not isinstance(cond, ir.Cmp) or not isinstance(cond.right, ir.Const) or not cond.left.type.is_numeric \
            or not cond.right.type.is_numeric:
        return None
    v = cond.right.value
    return {
        nodes.CmpOp.GE: (v, True, INF, False), nodes.CmpOp.GT: (v, False, INF, False),
        nodes.CmpOp.LE: (-INF, False, v, True), nodes.CmpOp.LT: (-INF, False, v, False),
        nodes.CmpOp.EQ: (v, True, v, True),
    }.get(cond.op)


def _contains(interval, x) -> bool:
    lo, lo_in, hi, hi_in = interval
    return (lo < x or (lo == x and lo_in)) and (x < hi or (x == hi and hi_in))


def _covered(target, earlier) -> bool:
    """Whether interval ``target`` lies inside the union of ``earlier`` intervals.

    Membership in a union of intervals only changes at their end points, so it is enough to
    test every end point, a point between each two consecutive end points, and one beyond each
    extreme.
    """
    points = sorted({p for iv in (target, *earlier) for p in (iv[0], iv[2]) if math.isfinite(p)})
    if not points:
        points = [0]
    candidates = [points[0] - 1, points[-1] + 1, *points]
    candidates += [(a + b) / 2 for a, b in zip(points, points[1:])]
    return not any(_contains(target, x) and not any(_contains(iv, x) for iv in earlier) for x in candidates)


def tier_reachability(tier: ir.Tier, out: list[Diagnostic]) -> None:
    """An error for a threshold entry that earlier thresholds always pre-empt, and a warning
    for an ``otherwise`` that they leave nothing to."""
    earlier = []
    subject = None
    for entry in tier.entries:
        if entry.condition is None:
            if earlier and _covered((-INF, False, INF, False), earlier):
                out.append(warning("SD415", f"'{entry.label}: otherwise' can never be assigned: the thresholds "
                                            "before it already take every value", entry.span))
            return
        interval = _threshold_interval(entry)
        if interval is None:
            return
        if subject is not None and entry.condition.left != subject:
            return
        subject = entry.condition.left
        if earlier and _covered(interval, earlier):
            out.append(error("SD414", f"tier entry '{entry.label}' can never be assigned: earlier entries "
                                      "already take every value it matches", entry.span,
                             "order thresholds from the highest to the lowest"))
        earlier.append(interval)
