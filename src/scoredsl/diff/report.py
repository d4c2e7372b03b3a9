"""Render a diff report: text (with terminal charts), markdown (a PR comment), JSON, HTML.

A :class:`Report` holds the semantic changes (:mod:`scoredsl.diff.model`), the impact on the
contacts (:mod:`scoredsl.diff.impact`, absent without a source) and the ``--fail-on`` results.
Every renderer is a pure function of the report: the same report gives the same bytes (no
clock, no random ids, sorted everything). The HTML page is self-contained and well-formed
XML (inline CSS, inline SVG histograms, no scripts, no external assets).
"""

from __future__ import annotations

import html
import json
from typing import Sequence

import attrs

from scoredsl.data.values import iso
from scoredsl.diff.impact import (GuardResult, Histogram, Impact, ModelImpact, Mover, ScoreImpact, Transitions,
                                  histogram, percent)
from scoredsl.diff.model import Change, ModelDiff, RuleSet

BAR_WIDTH = 28
MARKDOWN_BUCKETS = 8
MARKER = "<!-- scoredsl-diff -->"
_EIGHTHS = " ▏▎▍▌▋▊▉"


@attrs.frozen(kw_only=True)
class Report:
    diff: ModelDiff
    impact: Impact | None = None
    guards: tuple[GuardResult, ...] = ()

    @property
    def tripped(self) -> list[GuardResult]:
        return [g for g in self.guards if g.tripped]

    def model_names(self) -> list[str]:
        names = self.diff.models
        if self.impact is not None:
            names += [m.name for m in self.impact.models if m.name not in names]
        return names

    def model_impact(self, name: str) -> ModelImpact | None:
        return self.impact.model(name) if self.impact is not None else None


# ------------------------------------------------------------------ shared wording

def side_text(side: RuleSet) -> str:
    return side.label + (f" ({side.commit[:10]})" if side.commit else "")


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _signed(value) -> str:
    text = _num(value)
    return text if text.startswith("-") or text == "0" else "+" + text


def _stat(value) -> str:
    return "-" if value is None else _num(value)


def mover_reasons(mover: Mover, limit: int | None = 4) -> str:
    parts = [f"{r.name} {_signed(r.delta)}" for r in mover.rules]
    if mover.caps:
        parts.append(f"caps {_signed(mover.caps)}")
    if mover.decay:
        parts.append(f"decay {_signed(mover.decay)}")
    if limit is not None and len(parts) > limit:
        parts = parts[:limit] + [f"{len(parts) - limit} more"]
    return ", ".join(parts) or "-"


def mover_tiers(mover: Mover, arrow: str = "->") -> str:
    return ", ".join(f"{name} {a} {arrow} {b}" for name, a, b in mover.tiers) or "-"


def _one(noun: str) -> str:
    """``contact`` for ``contacts``, ``company`` for ``companies``."""
    return "company" if noun == "companies" else "contact"


def score_summary(s: ScoreImpact, arrow: str = "->", noun: str = "contacts") -> str:
    before, after = s.stats
    if s.sides != "both":
        st = before if s.sides == "old" else after
        where = "removed; was" if s.sides == "old" else "new"
        return f"{where}: {st.count} {noun} scored, mean {_stat(st.mean)}, median {_stat(st.median)}"
    return (f"{s.changed} of {s.compared} {noun} change; mean {_stat(before.mean)} {arrow} {_stat(after.mean)}, "
            f"median {_stat(before.median)} {arrow} {_stat(after.median)}, "
            f"range {_stat(before.min)}..{_stat(before.max)} {arrow} {_stat(after.min)}..{_stat(after.max)}")


def tier_summary(t: Transitions, contacts: int, noun: str = "contacts") -> str:
    if t.sides != "both":
        return f"{'removed; was' if t.sides == 'old' else 'new'}: {one_sided(t, noun)}"
    if not t.changed:
        return f"no {_one(noun)} changes"
    return f"{t.changed} of {contacts} {noun} ({percent(t.changed, contacts)}) change"


def tier_moves(t: Transitions) -> list[tuple[str, str, int]]:
    """The off-diagonal cells of a transition matrix, most contacts first (then label order)."""
    order = {label: i for i, label in enumerate(t.labels)}
    moves = [(a, b, n) for (a, b), n in t.counts.items() if a != b]
    return sorted(moves, key=lambda m: (-m[2], order[m[0]], order[m[1]]))


def status_changes(t: Transitions) -> list[tuple[str, str, int]]:
    return [(a, b, n) for (a, b), n in t.counts.items() if a != b]


def one_sided(t: Transitions, noun: str = "contacts") -> str:
    counts = t.before if t.sides == "old" else t.after
    return ", ".join(f"{label} {n}" for label, n in counts.items()) or f"no {_one(noun)}"


def _guard_line(g: GuardResult) -> str:
    return "; ".join(g.details) or "no model compared on both sides"


def _groups(changes: Sequence[Change]):
    """Changes grouped by subject, in order: (subject, location, [changes])."""
    out: list[tuple[str, str | None, list[Change]]] = []
    for c in changes:
        if out and out[-1][0] == c.subject:
            out[-1][2].append(c)
        else:
            out.append((c.subject, c.new_location or c.old_location, [c]))
    return out


def _texts(changes: Sequence[Change]):
    """(change, old text, new text) with each pair of texts only the first time it is shown."""
    shown = set()
    for c in changes:
        key = (c.old_text, c.new_text)
        if key in shown or (c.old_text is None and c.new_text is None):
            yield c, None, None
        else:
            shown.add(key)
            yield c, c.old_text, c.new_text


# ------------------------------------------------------------------ text

def render_text(report: Report) -> str:
    d = report.diff
    lines = ["scoredsl diff", f"  old: {side_text(d.old)}", f"  new: {side_text(d.new)}"]
    imp = report.impact
    if imp is not None:
        lines.append(f"  as of {iso(imp.as_of)}: {imp.contacts:,} contacts, {imp.events:,} events"
                     + (f", {imp.skipped_rows:,} rows skipped" if imp.skipped_rows else ""))
    general = d.for_model(None)
    if general:
        lines += ["", "Schema and file changes"]
        lines += _text_changes(general)
    for name in report.model_names():
        lines += ["", *_text_model(report, name)]
    if report.guards:
        lines += ["", "Guards (--fail-on)"]
        for g in report.guards:
            lines.append(f"  {'FAILED' if g.tripped else 'ok':<6}  {g.guard.text}: {_guard_line(g)}")
    return "\n".join(lines) + "\n"


def _text_changes(changes: Sequence[Change]) -> list[str]:
    lines = []
    for subject, where, group in _groups(changes):
        lines.append(f"  {subject}" + (f"  ({where})" if where else ""))
        for c, old, new in _texts(group):
            lines.append(f"    {c.detail}")
            if old is not None:
                lines.append(f"      - {old}")
            if new is not None:
                lines.append(f"      + {new}")
    return lines


def _versions(d: ModelDiff, name: str) -> tuple[str | None, str | None]:
    return next(((o, n) for m, o, n in d.versions if m == name), (None, None))


def _text_model(report: Report, name: str) -> list[str]:
    old_v, new_v = _versions(report.diff, name)
    lines = [f"== model {name} (version {old_v or '-'} -> {new_v or '-'})"]
    changes = report.diff.for_model(name)
    if changes:
        lines += ["", f"Model changes ({len(changes)})", *_text_changes(changes)]
    else:
        lines += ["", "Model changes: none (same meaning; comments, layout and names of constants do not count)"]
    m = report.model_impact(name)
    if m is None:
        return lines
    if m.sides == "both":
        moves = status_changes(m.statuses)
        total = m.statuses.changed
        lines += ["", f"Status: {total} of {m.contacts} {m.noun} ({percent(total, m.contacts)}) change"
                  if total else f"Status: no {_one(m.noun)} changes"]
        width = max([len(a) + len(b) for a, b, _n in moves] + [0]) + 4
        for a, b, n in moves:
            lines.append(f"  {(a + ' -> ' + b):<{width}} {n:>6}")
        lines.append("  unchanged: " + ", ".join(f"{a} {n}" for (a, b), n in m.statuses.counts.items() if a == b))
    else:
        lines += ["", f"Status ({'new' if m.sides == 'new' else 'removed'} model): {one_sided(m.statuses, m.noun)}"]
    for t in m.tiers:
        lines += ["", f"Tier {t.name}: {tier_summary(t, m.contacts, m.noun)}"]
        if t.sides == "both":
            lines += _text_matrix(t)
    for s in m.scores:
        lines += ["", f"Score {s.name}: {score_summary(s, noun=m.noun)}", *_text_chart(s.histogram, m.noun)]
    for s in m.scores:
        if s.movers:
            lines += ["", f"Top movers: {s.name}", *_text_movers(s.movers, _one(m.noun))]
    return lines


def _text_matrix(t: Transitions) -> list[str]:
    labels = list(t.labels)
    corner = "before \\ after"
    first = max([len(corner)] + [len(x) for x in labels])
    widths = [max(len(x), 5) for x in labels]
    lines = ["  " + corner.ljust(first) + "".join(f"  {x:>{w}}" for x, w in zip(labels, widths))]
    for a in labels:
        if not t.before.get(a):
            continue
        cells = "".join(f"  {(str(t.cell(a, b)) if t.cell(a, b) else '.'):>{w}}" for b, w in zip(labels, widths))
        lines.append("  " + a.ljust(first) + cells)
    return lines


def bar(count: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a character, ``count`` of ``largest`` over ``width``."""
    if count <= 0 or largest <= 0:
        return ""
    units = (count * width * 8 + largest // 2) // largest
    units = max(units, 1)
    return "█" * (units // 8) + (_EIGHTHS[units % 8] if units % 8 else "")


def _text_chart(h: Histogram, noun: str = "contacts") -> list[str]:
    if not h.buckets:
        return [f"  (no {_one(noun)} scored)"]
    largest = max(max(b.before, b.after) for b in h.buckets)
    labels = [b.label for b in h.buckets]
    first = max(len(x) for x in labels + ["bucket"])
    digits = max(len(str(largest)), 6)
    lines = [f"  {'bucket':<{first}}  {'before':>{digits}} {'':<{BAR_WIDTH}}  {'after':>{digits}}"
             + (f"   (bucket width {h.width})" if h.width > 1 else "")]
    for b, label in zip(h.buckets, labels):
        lines.append(f"  {label:<{first}}  {b.before:>{digits}} {bar(b.before, largest):<{BAR_WIDTH}}  "
                     f"{b.after:>{digits}} {bar(b.after, largest)}".rstrip())
    return lines


def _text_movers(movers: Sequence[Mover], who: str = "contact") -> list[str]:
    first = max([len(m.contact_id) for m in movers] + [len(who)])
    lines = [f"  {who:<{first}}  {'before':>6}  {'after':>6}  {'change':>6}  rules"]
    for m in movers:
        tiers = mover_tiers(m)
        lines.append(f"  {m.contact_id:<{first}}  {m.before:>6}  {m.after:>6}  {_signed(m.delta):>6}  "
                     f"{mover_reasons(m)}" + (f"  [{tiers}]" if m.tiers else ""))
    return lines


# ------------------------------------------------------------------ markdown

def _md(text) -> str:
    """Text for a markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(report: Report) -> str:
    d = report.diff
    imp = report.impact
    out = [MARKER, f"### scoredsl diff: {_code(d.new.label)}", ""]
    head = f"{_code(side_text(d.old))} → {_code(side_text(d.new))}"
    if imp is not None:
        head += f" · as of {iso(imp.as_of)} · {imp.contacts:,} contacts"
    out += [head, ""]
    if report.guards:
        for g in report.guards:
            out.append(f"- {'❌' if g.tripped else '✅'} {_code(g.guard.text)}: {_guard_line(g)}")
        out.append("")
    general = d.for_model(None)
    if general:
        out += ["**Schema and file changes**", "", *_md_changes(general), ""]
    for name in report.model_names():
        out += _md_model(report, name)
    return "\n".join(out).rstrip("\n") + "\n"


def _md_changes(changes: Sequence[Change]) -> list[str]:
    out = []
    for subject, where, group in _groups(changes):
        details = "; ".join(c.detail for c in group)
        out.append(f"- {_code(subject)}: {details}")
        pairs = [(old, new) for _c, old, new in _texts(group) if old is not None or new is not None]
        if pairs:
            out.append("  ```diff")
            for old, new in pairs:
                if old is not None:
                    out.append(f"  - {old}")
                if new is not None:
                    out.append(f"  + {new}")
            out.append("  ```")
    return out


def _md_model(report: Report, name: str) -> list[str]:
    old_v, new_v = _versions(report.diff, name)
    out = [f"#### Model {_code(name)} ({old_v or '-'} → {new_v or '-'})", ""]
    changes = report.diff.for_model(name)
    out += [f"**Changes** ({len(changes)})", "", *_md_changes(changes), ""] if changes else \
        ["**Changes**: none (same meaning)", ""]
    m = report.model_impact(name)
    if m is None:
        return out
    if not changes and m.sides == "both" and _untouched(m):
        return [f"#### Model {_code(name)} ({old_v or '-'} → {new_v or '-'}): no change, no {_one(m.noun)} moves",
                ""]
    if m.sides == "both":
        moves = status_changes(m.statuses)
        if moves:
            out.append(f"**Status**: {m.statuses.changed} of {m.contacts} {m.noun} "
                       f"({percent(m.statuses.changed, m.contacts)}) change: "
                       + ", ".join(f"{a} → {b} {n}" for a, b, n in moves))
        else:
            out.append(f"**Status**: no {_one(m.noun)} changes")
        out.append("")
    else:
        out += [f"**Status** ({'new' if m.sides == 'new' else 'removed'} model): {one_sided(m.statuses, m.noun)}", ""]
    both_sides = [t for t in m.tiers if t.sides == "both"]
    moving = [t for t in both_sides if t.changed]
    if moving:
        out += [f"| tier | {m.noun} changing | moves |", "|---|--:|---|"]
        for t in moving:
            moves = " · ".join(f"{_md(a)} → {_md(b)} {n}" for a, b, n in tier_moves(t))
            out.append(f"| **{_md(t.name)}** | {t.changed} ({percent(t.changed, m.contacts)}) | {moves} |")
        out.append("")
    quiet = [t.name for t in both_sides if not t.changed]
    if quiet:
        out += [("Tiers with no change: " if moving else f"No {_one(m.noun)} changes tier: ") + ", ".join(quiet), ""]
    for t in m.tiers:
        if t.sides != "both":
            out += [f"**{_md(t.name)}**: {tier_summary(t, m.contacts, m.noun)}", ""]
    if moving:
        out += ["<details><summary>Transition matrices</summary>", ""]
        for t in moving:
            out += [f"**{_md(t.name)}**", "", *_md_matrix(t), ""]
        out += ["</details>", ""]
    shifted = [s for s in m.scores if s.sides != "both" or s.changed]
    if shifted:
        out += ["<details><summary>Score distributions</summary>", ""]
        for s in shifted:
            out += [f"**{_md(s.name)}**: {score_summary(s, '→', m.noun)}", "", *_md_histogram(s), ""]
        out += ["</details>", ""]
    unshifted = [s.name for s in m.scores if s.sides == "both" and not s.changed]
    if unshifted:
        out += [f"No {_one(m.noun)}'s score changes: " + ", ".join(unshifted), ""]
    for s in m.scores:
        if s.movers:
            out += [f"**Top movers: {_md(s.name)}**", "", f"| {_one(m.noun)} | before | after | Δ | rules | tiers |",
                    "|---|--:|--:|--:|---|---|"]
            for mv in s.movers:
                out.append(f"| {_md(mv.contact_id)} | {mv.before} | {mv.after} | {_signed(mv.delta)} | "
                           f"{_md(mover_reasons(mv))} | {_md(mover_tiers(mv, '→'))} |")
            out.append("")
    return out


def _untouched(m: ModelImpact) -> bool:
    """No contact changes status, tier or score in this model."""
    return (not m.statuses.changed and all(t.sides == "both" and not t.changed for t in m.tiers)
            and all(s.sides == "both" and not s.changed for s in m.scores))


def _md_matrix(t: Transitions) -> list[str]:
    labels = list(t.labels)
    rows = ["| before ＼ after | " + " | ".join(_md(x) for x in labels) + " |",
            "|---|" + "--:|" * len(labels)]
    for a in labels:
        if not t.before.get(a):
            continue
        cells = []
        for b in labels:
            n = t.cell(a, b)
            cells.append("·" if not n else (f"**{n}**" if a != b else str(n)))
        rows.append(f"| **{_md(a)}** | " + " | ".join(cells) + " |")
    return rows


def _md_histogram(s: ScoreImpact) -> list[str]:
    h = histogram(s.before, s.after, MARKDOWN_BUCKETS)
    if not h.buckets:
        return ["(no contact scored)"]
    rows = [f"| {_md(s.name)} | before | after | Δ |", "|---|--:|--:|--:|"]
    for b in h.buckets:
        rows.append(f"| {b.label} | {b.before} | {b.after} | {_signed(b.after - b.before)} |")
    return rows


# ------------------------------------------------------------------ json

def to_json(report: Report) -> dict:
    d = report.diff
    return {
        "format": "scoredsl-diff", "version": 1,
        "old": {"label": d.old.label, "commit": d.old.commit, "exists": d.old.program is not None},
        "new": {"label": d.new.label, "commit": d.new.commit, "exists": d.new.program is not None},
        "models": [{"name": n, "old_version": o, "new_version": v} for n, o, v in d.versions],
        "changes": [c.to_json() for c in d.changes],
        "impact": report.impact.to_json() if report.impact is not None else None,
        "guards": [g.to_json() for g in report.guards],
        "tripped": bool(report.tripped),
    }


def render_json(report: Report) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------ html

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2rem auto;max-width:72rem;
color:#1f2328;padding:0 1rem;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.25rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
h3{font-size:1.05rem;margin-top:1.5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #d0d7de;padding:.25rem .6rem}
th{background:#f6f8fa;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.same{background:#eef1f4}td.moved{background:#ffe3c2;font-weight:600}td.zero{color:#8c959f}
pre{margin:.2rem 0;padding:.3rem .5rem;background:#f6f8fa;white-space:pre-wrap;font-size:.85rem}
pre.old{background:#ffebe9}pre.new{background:#dafbe1}
.meta{color:#59636e}.ok{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}
svg{display:block;margin:.5rem 0 1rem;max-width:100%;height:auto}
"""

OLD_COLOUR, NEW_COLOUR = "#8c959f", "#0969da"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def render_html(report: Report) -> str:
    d = report.diff
    imp = report.impact
    title = f"scoredsl diff: {d.new.label}"
    body = [f"<h1>{_e(title)}</h1>",
            f"<p class=\"meta\">old: <code>{_e(side_text(d.old))}</code><br/>"
            f"new: <code>{_e(side_text(d.new))}</code>"
            + (f"<br/>as of {_e(iso(imp.as_of))}: {imp.contacts:,} contacts, {imp.events:,} events" if imp else "")
            + "</p>"]
    if report.guards:
        body.append("<h2>Guards</h2><ul>")
        for g in report.guards:
            cls, word = ("fail", "FAILED") if g.tripped else ("ok", "ok")
            body.append(f"<li><span class=\"{cls}\">{word}</span> <code>{_e(g.guard.text)}</code>: "
                        f"{_e(_guard_line(g))}</li>")
        body.append("</ul>")
    general = d.for_model(None)
    if general:
        body += ["<h2>Schema and file changes</h2>", _html_changes(general)]
    for name in report.model_names():
        body += _html_model(report, name)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _html_changes(changes: Sequence[Change]) -> str:
    rows = ["<table><tr><th>what</th><th>change</th><th>source</th></tr>"]
    for subject, where, group in _groups(changes):
        for i, (c, old, new) in enumerate(_texts(group)):
            texts = "".join(f"<pre class=\"{cls}\">{_e(t)}</pre>" for cls, t in (("old", old), ("new", new))
                            if t is not None)
            head = ""
            if i == 0:
                shown = f"<br/><span class=\"meta\">{_e(where)}</span>" if where else ""
                head = f"<td rowspan=\"{len(group)}\"><code>{_e(subject)}</code>{shown}</td>"
            rows.append(f"<tr>{head}<td>{_e(c.detail)}</td><td>{texts}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _html_model(report: Report, name: str) -> list[str]:
    old_v, new_v = _versions(report.diff, name)
    versions = f"{old_v or '-'} → {new_v or '-'}"
    out = [f"<h2>Model <code>{_e(name)}</code> <span class=\"meta\">{_e(versions)}</span></h2>"]
    changes = report.diff.for_model(name)
    out += ["<h3>Model changes</h3>", _html_changes(changes) if changes else "<p>None (same meaning).</p>"]
    m = report.model_impact(name)
    if m is None:
        return out
    out.append("<h3>Status</h3>")
    out.append(_html_matrix(m.statuses) if m.sides == "both" else _html_counts(m.statuses, m.noun))
    for t in m.tiers:
        out.append(f"<h3>Tier <code>{_e(t.name)}</code>: {_e(tier_summary(t, m.contacts, m.noun))}</h3>")
        out.append(_html_matrix(t) if t.sides == "both" else _html_counts(t, m.noun))
    for s in m.scores:
        out.append(f"<h3>Score <code>{_e(s.name)}</code></h3>")
        out.append(f"<p>{_e(score_summary(s, noun=m.noun))}</p>")
        out.append(svg_histogram(s.histogram, f"{name}.{s.name}"))
        if s.movers:
            out.append(_html_movers(s, _one(m.noun)))
    return out


def _html_matrix(t: Transitions) -> str:
    labels = list(t.labels)
    rows = ["<table><tr><th>before \\ after</th>" + "".join(f"<th>{_e(x)}</th>" for x in labels) + "</tr>"]
    for a in labels:
        if not t.before.get(a):
            continue
        cells = []
        for b in labels:
            n = t.cell(a, b)
            cls = "n zero" if not n else ("n same" if a == b else "n moved")
            cells.append(f"<td class=\"{cls}\">{n if n else '·'}</td>")
        rows.append(f"<tr><th>{_e(a)}</th>{''.join(cells)}</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _html_counts(t: Transitions, noun: str = "contacts") -> str:
    counts = t.before if t.sides == "old" else t.after
    return (f"<table><tr><th>label</th><th>{noun}</th></tr>"
            + "".join(f"<tr><td>{_e(k)}</td><td class=\"n\">{v}</td></tr>" for k, v in counts.items())
            + "</table>")


def _html_movers(s: ScoreImpact, who: str = "contact") -> str:
    rows = [f"<table><tr><th>{who}</th><th>before</th><th>after</th><th>Δ</th><th>rules</th><th>tiers</th></tr>"]
    for m in s.movers:
        rows.append(f"<tr><td>{_e(m.contact_id)}</td><td class=\"n\">{m.before}</td><td class=\"n\">{m.after}</td>"
                    f"<td class=\"n\">{_e(_signed(m.delta))}</td><td>{_e(mover_reasons(m, None))}</td>"
                    f"<td>{_e(mover_tiers(m, '→'))}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _nice_step(largest: int, ticks: int = 4) -> int:
    step = 1
    factors = (2, 2.5, 2)
    i = 0
    while largest / step > ticks:
        step = int(step * factors[i % 3])
        i += 1
    return step


def svg_histogram(h: Histogram, ident: str, width: int = 720, height: int = 260) -> str:
    """Before/after bars per bucket as an inline SVG (deterministic: fixed-precision numbers)."""
    if not h.buckets:
        return "<p class=\"meta\">No contact scored.</p>"
    left, right, top, bottom = 48, 12, 24, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max(max(b.before, b.after) for b in h.buckets)
    step = _nice_step(largest)
    ceiling = max(step * -(-largest // step), 1)
    slot = plot_w / len(h.buckets)
    bar_w = max(slot * 0.4, 0.5)

    def y(count: int) -> float:
        return top + plot_h - plot_h * count / ceiling

    parts = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" "
             f"height=\"{height}\" role=\"img\" aria-label=\"{_e('distribution of ' + ident)}\">",
             f"<title>{_e('distribution of ' + ident + ' before and after')}</title>",
             "<g font-family=\"sans-serif\" font-size=\"11\" fill=\"#59636e\">"]
    for tick in range(0, ceiling + 1, step):
        ty = y(tick)
        parts.append(f"<line x1=\"{left}\" y1=\"{ty:.1f}\" x2=\"{width - right}\" y2=\"{ty:.1f}\" "
                     "stroke=\"#d0d7de\" stroke-width=\"1\"/>")
        parts.append(f"<text x=\"{left - 6}\" y=\"{ty + 4:.1f}\" text-anchor=\"end\">{tick}</text>")
    every = max(1, -(-len(h.buckets) // 10))
    for i, b in enumerate(h.buckets):
        x0 = left + i * slot + slot * 0.1
        sides = ((b.before, OLD_COLOUR, "before"), (b.after, NEW_COLOUR, "after"))
        for j, (count, colour, side) in enumerate(sides):
            bx, by = x0 + j * bar_w, y(count)
            parts.append(f"<rect x=\"{bx:.1f}\" y=\"{by:.1f}\" width=\"{bar_w:.1f}\" "
                         f"height=\"{top + plot_h - by:.1f}\" fill=\"{colour}\">"
                         f"<title>{_e(b.label)}: {side} {count}</title></rect>")
        if i % every == 0:        # the bucket's lower bound, at its left edge
            tx = left + i * slot
            parts.append(f"<line x1=\"{tx:.1f}\" y1=\"{top + plot_h}\" x2=\"{tx:.1f}\" y2=\"{top + plot_h + 4}\" "
                         "stroke=\"#59636e\" stroke-width=\"1\"/>")
            parts.append(f"<text x=\"{tx:.1f}\" y=\"{top + plot_h + 16}\" text-anchor=\"middle\">"
                         f"{_e(b.low)}</text>")
    parts.append(f"<line x1=\"{left}\" y1=\"{top + plot_h}\" x2=\"{width - right}\" y2=\"{top + plot_h}\" "
                 "stroke=\"#59636e\" stroke-width=\"1\"/>")
    parts.append(f"<text x=\"{left + plot_w / 2:.1f}\" y=\"{height - 8}\" text-anchor=\"middle\">"
                 f"{_e(ident)} (bucket width {h.width})</text>")
    legend_x = width - right - 150
    parts.append(f"<rect x=\"{legend_x}\" y=\"6\" width=\"10\" height=\"10\" fill=\"{OLD_COLOUR}\"/>"
                 f"<text x=\"{legend_x + 14}\" y=\"15\">before</text>"
                 f"<rect x=\"{legend_x + 70}\" y=\"6\" width=\"10\" height=\"10\" fill=\"{NEW_COLOUR}\"/>"
                 f"<text x=\"{legend_x + 84}\" y=\"15\">after</text>")
    parts.append("</g></svg>")
    return "\n".join(parts)


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}

__all__ = ["Report", "render_text", "render_markdown", "render_json", "render_html", "to_json", "svg_histogram",
           "bar", "RENDERERS", "MARKER"]
