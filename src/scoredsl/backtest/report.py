"""A backtest's result as text (a compact table for a terminal or a CI log) and as JSON."""

from __future__ import annotations

import json

from scoredsl.backtest.metrics import Interval, Result


def render_json(result: Result) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"


def pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def interval(i: Interval, show=pct) -> str:
    """``31.2% [28.0%, 34.5%]``; the bracket only when there is an interval."""
    if i.value is None:
        return "-"
    if i.low is None:
        return show(i.value)
    return f"{show(i.value)} [{show(i.low)}, {show(i.high)}]"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out = []
    for r in [header] + rows:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def render_text(result: Result) -> str:
    r = result
    lines = [f"backtest of model {r.model} ({r.version}) · contacts ranked by {r.score}"]
    first, last = (r.as_ofs[0], r.as_ofs[-1]) if r.as_ofs else ("-", "-")
    lines.append(f"{len(r.as_ofs)} as-of instants from {first} to {last} · converted = "
                 f"{' or '.join(r.converting)} within {r.window_days:g} days after the as-of")
    lines.append(f"{r.observations:,} observations of {r.contacts:,} contacts · {r.converters:,} converted · "
                 f"base rate {interval(r.base_rate)}")
    if r.outcome_kinds:
        lines.append("outcomes read: " + ", ".join(f"{kind} {count:,}" for kind, count in r.outcome_kinds.items()))
    others = ", ".join(f"{name} {num(value)}" for name, value in r.aucs.items()) if len(r.aucs) > 1 else ""
    lines.append(f"AUC {interval(r.auc, num)}" + (f"   (each score alone: {others})" if others else ""))
    if r.bootstrap:
        lines.append(f"[intervals: 95%, {r.bootstrap} bootstrap samples of contacts]")
    if r.at_k:
        lines += ["", "top k of each as-of (sales capacity)"]
        lines += _table(["k", "precision", "recall"],
                        [[f"{a.k:,}", interval(a.precision), interval(a.recall)] for a in r.at_k], {0})
    for name, rows in r.tiers.items():
        lines += ["", f"tier {name}"]
        lines += _table(["label", "observations", "converted", "rate", "lift"],
                        [[row.label, f"{row.observations:,}", f"{row.converters:,}", interval(row.rate),
                          interval(row.lift, _times)] for row in rows], {1, 2})
    if r.bands:
        lines += ["", f"score bands of {r.score} (highest first; gain: share of converters at or above)"]
        rows = [[row.label, f"{row.observations:,}", f"{row.converters:,}", interval(row.rate),
                 interval(row.lift, _times), pct(row.share, 0), pct(row.gain, 0)] for row in r.bands]
        if r.unscored is not None:
            u = r.unscored
            rows.append([u.label, f"{u.observations:,}", f"{u.converters:,}", interval(u.rate),
                         interval(u.lift, _times), "", ""])
        lines += _table(["score", "observations", "converted", "rate", "lift", "contacts", "gain"], rows,
                        {1, 2, 5, 6})
    for note in r.calibration:
        lines.append(f"  ! {note}")
    if r.rules:
        lines += ["", "rules (relative risk: conversion when the rule gave points / when it did not)"]
        lines += _table(["rule", "fired", "converted", "rate", "relative risk", "verdict"],
                        [[f"{e.score}.{e.name} {e.sign}", f"{e.fired:,}", f"{e.converters:,}",
                          pct(e.rate_fired), interval(e.relative_risk, _times), e.verdict] for e in r.rules],
                        {1, 2})
    if r.suggestions:
        lines += ["", f"thresholds on {r.score} (suggestions: the model is not changed)"]
        lines += _table(["goal", "threshold", "per as-of", "precision", "recall"],
                        [[s.goal, "none" if s.threshold is None else f">= {s.threshold:g}",
                          f"{s.per_instant:,.1f}", pct(s.precision), pct(s.recall)] for s in r.suggestions], {2})
    notes = []
    c = r.counts
    if c.get("never_there"):
        notes.append(f"{c['never_there']:,} contacts have no creation date and no event: never scored")
    if c.get("converters_not_in_source"):
        notes.append(f"{c['converters_not_in_source']:,} contacts with a converting outcome are not in the source "
                     "(check that both use the same contact ids)")
    if c.get("already_converted"):
        notes.append(f"{c['already_converted']:,} (contact, as-of) pairs left out: the contact had already converted")
    if r.dropped:
        notes.append(f"{len(r.dropped)} as-of instants left out: their outcome window is not over "
                     f"({r.dropped[0]} and later)")
    if notes:
        lines += [""] + [f"note: {n}" for n in notes]
    return "\n".join(lines) + "\n"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


# ------------------------------------------------------------------ two sides, for diff

def _arrow(old, new, show) -> str:
    if old is None:
        return f"(new) {show(new)}"
    if new is None:
        return f"{show(old)} (removed)"
    return f"{show(old)} → {show(new)}"


def comparison_lines(old: Result | None, new: Result | None) -> list[tuple[str, str, str]]:
    """``(what, before, after)`` for the figures a reviewer weighs: AUC, each tier label's
    conversion rate (its precision) and share of observations, and the top k per as-of."""
    rows = [("AUC", interval(old.auc, num) if old else "-", interval(new.auc, num) if new else "-")]
    tiers = list(dict.fromkeys(list(new.tiers if new else ()) + list(old.tiers if old else ())))
    for tier in tiers:
        def labels(result):
            return {row.label: row for row in (result.tiers.get(tier, ()) if result else ())}
        a, b = labels(old), labels(new)
        for label in dict.fromkeys(list(b) + list(a)):
            x, y = a.get(label), b.get(label)
            total_a = old.observations if old else 0
            total_b = new.observations if new else 0
            rows.append((f"{tier} {label} precision", pct(x.rate.value) if x else "-", pct(y.rate.value) if y else "-"))
            rows.append((f"{tier} {label} share", pct(x.observations / total_a) if x and total_a else "-",
                         pct(y.observations / total_b) if y and total_b else "-"))
    ks = list(dict.fromkeys([a.k for a in (new.at_k if new else ())] + [a.k for a in (old.at_k if old else ())]))
    for k in ks:
        def at(result):
            return next((a for a in (result.at_k if result else ()) if a.k == k), None)
        x, y = at(old), at(new)
        rows.append((f"top {k} precision", pct(x.precision.value) if x else "-", pct(y.precision.value) if y else "-"))
    return rows


def _headline(old: Result | None, new: Result | None) -> str:
    """``AUC 0.71 -> 0.74, MQL precision 31% -> 36%``: the AUC and the top label of the first tier."""
    parts = [f"AUC {_arrow(old and old.auc.value, new and new.auc.value, num)}"]
    side = new or old
    if side is not None and side.tiers:
        tier, rows = next(iter(side.tiers.items()))
        if rows:
            label = rows[0].label

            def rate(result):
                row = next((r for r in (result.tiers.get(tier, ()) if result else ()) if r.label == label), None)
                return None if row is None else row.rate.value
            parts.append(f"{label} precision {_arrow(rate(old), rate(new), lambda v: pct(v, 0))}")
    return ", ".join(parts)


def _setting(result: Result) -> str:
    first, last = (result.as_ofs[0], result.as_ofs[-1]) if result.as_ofs else ("-", "-")
    return (f"{' or '.join(result.converting)} within {result.window_days:g} days, {len(result.as_ofs)} as-of "
            f"instants from {first[:10]} to {last[:10]}")


def render_comparison_text(pairs) -> str:
    """``pairs``: ``(model name, old result or None, new result or None)``."""
    lines = ["", "backtest on the outcomes (old → new)"]
    for name, old, new in pairs:
        side = new or old
        lines.append(f"  model {name}: {_headline(old, new)}   ({_setting(side)})")
        lines += ["  " + x for x in _table(["", "old", "new"], [list(r) for r in comparison_lines(old, new)], {1, 2})]
    return "\n".join(lines) + "\n"


def render_comparison_markdown(pairs) -> str:
    out = ["", "**Backtest on the outcomes**", ""]
    for name, old, new in pairs:
        side = new or old
        out += [f"Model `{name}`: **{_headline(old, new)}** ({_setting(side)})", "",
                "| | old | new |", "|---|---:|---:|"]
        out += [f"| {what} | {a} | {b} |" for what, a, b in comparison_lines(old, new)]
        out.append("")
    return "\n".join(out)


def comparison_json(pairs) -> dict:
    return {name: {"headline": _headline(old, new), "old": old.to_json() if old else None,
                   "new": new.to_json() if new else None} for name, old, new in pairs}


def render_comparison_html(pairs) -> str:
    import html

    out = ["<h2>Backtest on the outcomes</h2>"]
    for name, old, new in pairs:
        side = new or old
        out.append(f"<p><b>Model <code>{html.escape(name)}</code>: {html.escape(_headline(old, new))}</b> "
                   f"({html.escape(_setting(side))})</p>")
        out.append("<table><tr><th></th><th>old</th><th>new</th></tr>" + "".join(
            f"<tr><td>{html.escape(w)}</td><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>"
            for w, a, b in comparison_lines(old, new)) + "</table>")
    return "\n".join(out) + "\n"
