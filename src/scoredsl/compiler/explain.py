"""Why a contact got its score: every rule, group, cap, decay step and tier, as data.

:func:`explain` turns the trace of the explain evaluator into an :class:`Explanation`, which
renders as a readable table or as JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping

import attrs

from scoredsl.check import ir
from scoredsl.check.ir import state_reads
from scoredsl.compiler.model import CompiledModel
from scoredsl.compiler.python.packing import pack_events
from scoredsl.data.records import Event, from_epoch_micros, to_micros
from scoredsl.data.values import iso

DAY = 86_400_000_000


@attrs.frozen(kw_only=True)
class RuleLine:
    name: str
    group: str | None
    outcome: str          # "matched", "not matched", "unknown", "band 2..5", "3 events", ...
    points: int | float
    location: str


@attrs.frozen(kw_only=True)
class GroupLine:
    name: str
    cap: int | None
    positive: int | float
    negative: int | float
    value: int | float
    #: in a weighted score: the group's share (percent) and what it adds to the score
    share: int | None = None
    contribution: int | float | None = None


@attrs.frozen(kw_only=True)
class ScoreLine:
    name: str
    value: int
    positive: int | float
    negative: int | float
    max: int | None
    raw: int | float
    idle_days: float | None
    keep_percent: int | None
    floor: int | None
    rules: tuple[RuleLine, ...]
    groups: tuple[GroupLine, ...]


@attrs.frozen(kw_only=True)
class AggregateLine:
    """An aggregate over a company's contacts: as written, its value, and what each contact
    that counted gave (``True`` for count and has)."""
    text: str
    value: object
    contacts: tuple[tuple[str, object], ...]
    location: str


@attrs.frozen(kw_only=True)
class Explanation:
    contact_id: str
    model: str
    version: str
    as_of: dt.datetime
    status: str
    reason: str | None
    scope: bool | None
    disqualifiers: tuple[tuple[str, bool | None], ...]
    scores: tuple[ScoreLine, ...]
    tiers: tuple[tuple[str, str | None], ...]
    #: what the model read of the previous run, by name (``None``: missing); empty if it reads none
    previous: tuple[tuple[str, object], ...] = ()
    #: monotonic tiers held at the previous label: (tier, the label computed now)
    held: tuple[tuple[str, str | None], ...] = ()
    #: the company properties the model reads, as the contact's company has them (``company.id``
    #: first); empty when the model reads none
    company: tuple[tuple[str, object], ...] = ()
    #: "contact", or "company" for a company model (then ``contact_id`` is the company's id)
    subject: str = "contact"
    #: a company model: the company's contacts, and each aggregate over them
    members: tuple[str, ...] = ()
    aggregates: tuple["AggregateLine", ...] = ()

    def to_json(self) -> dict:
        """As JSON. A contact that is not scored gets no score value and no tier label, as in
        ``run``'s output; what its rules would give is kept as ``computed``."""
        scored = self.status == "scored"
        return {
            "contact_id": self.contact_id, "model": self.model, "model_version": self.version,
            "as_of": iso(self.as_of), "status": self.status, "reason": self.reason, "scope": self.scope,
            "disqualifiers": [{"name": n, "matched": m} for n, m in self.disqualifiers],
            "scores": [{
                "name": s.name, "value": s.value if scored else None, **({} if scored else {"computed": s.value}),
                "positive": s.positive, "negative": s.negative,
                "max": s.max, "raw": s.raw, "idle_days": s.idle_days, "keep_percent": s.keep_percent,
                "min": s.floor,
                "groups": [attrs.asdict(g) for g in s.groups],
                "rules": [attrs.asdict(r) for r in s.rules],
            } for s in self.scores],
            "tiers": [{"name": n, "label": label if scored else None,
                       **({"held": True, "computed": dict(self.held)[n]} if n in dict(self.held) and scored
                          else {} if scored else {"computed": label})}
                      for n, label in self.tiers],
            "previous": dict(self.previous),
            **({"company": {_company_name(k): _json_value(v) for k, v in self.company}} if self.company else {}),
            **({} if self.subject == "contact" else {
                "subject": self.subject, "company_id": self.contact_id, "contacts": list(self.members),
                "aggregates": [{"aggregate": a.text, "value": a.value, "location": a.location,
                                "contacts": [{"contact_id": c, "value": v} for c, v in a.contacts]}
                               for a in self.aggregates]}),
        }

    def render(self) -> str:
        lines = [f"{self.subject} {self.contact_id} · model {self.model} ({self.version}) · as of {iso(self.as_of)}"]
        status = self.status + (f" ({self.reason})" if self.reason else "")
        lines.append(f"status: {status}")
        if self.status != "scored":
            lines.append(f"  (no score is reported for this {self.subject}; what its rules would give is shown below)")
        if self.subject == "company":
            shown = ", ".join(self.members[:50]) + (f", ... ({len(self.members) - 50} more)"
                                                    if len(self.members) > 50 else "")
            lines.append(f"contacts ({len(self.members)}): {shown or 'none'}")
            for a in self.aggregates:
                each = ", ".join(c if v is True else f"{c} {_shown(v)}" for c, v in a.contacts[:50])
                more = f", ... ({len(a.contacts) - 50} more)" if len(a.contacts) > 50 else ""
                lines.append(f"  {a.text} = {_shown(a.value)}   {a.location}")
                lines.append(f"    from: {each + more if each else 'no contact'}")
        if self.previous:
            shown = ", ".join(f"{n} {v if v is not None else '(missing)'}" for n, v in self.previous)
            lines.append(f"previous run: {shown}")
        if self.company:
            values = dict(self.company)
            if values.get("company.id") is None:
                lines.append("company: none (every company.NAME is missing)")
            else:
                shown = ", ".join(f"{_company_name(k)} {_shown(v)}" for k, v in self.company if k != "company.id")
                lines.append(f"company {values['company.id']}" + (f": {shown}" if shown else ""))
        if self.scope is not None:
            lines.append(f"scope: {_kleene(self.scope)}")
        for name, matched in self.disqualifiers:
            lines.append(f"disqualify {name}: {_kleene(matched)}")
        for s in self.scores:
            lines.append("")
            lines.append(f"score {s.name} = {s.value}")
            width = max([len(r.name) for r in s.rules] + [4]) + 2
            groups = {g.name: g for g in s.groups}
            current = object()
            for r in s.rules:
                if r.group != current:
                    current = r.group
                    if r.group is not None:
                        g = groups[r.group]
                        if g.share is not None:
                            lines.append(f"  group {g.name} = {_num(g.contribution)} of {g.share}   "
                                         f"({_num(g.value)} of {g.cap} points; positive {_num(g.positive)}, "
                                         f"negative {_num(g.negative)})")
                        else:
                            cap = f"cap {g.cap}" if g.cap is not None else "no cap"
                            lines.append(f"  group {g.name} = {_num(g.value)}   ({cap}; positive "
                                         f"{_num(g.positive)}, negative {_num(g.negative)})")
                indent = "    " if r.group is not None else "  "
                lines.append(f"{indent}{r.name:<{width}} {r.outcome:<22} {_signed(r.points):>7}   {r.location}")
            summary = [f"positive {_num(s.positive)}", f"negative {_num(s.negative)}"]
            if s.max is not None:
                summary.append(f"max {s.max}")
            summary.append(f"raw {_num(s.raw)}")
            if s.keep_percent is not None:
                idle = "no activity" if s.idle_days is None else f"idle {s.idle_days:g} days"
                summary.append(f"{idle}: keep {s.keep_percent}%")
            if s.floor is not None:
                summary.append(f"min {s.floor}")
            lines.append(f"  = {', '.join(summary)} -> {s.value}")
        if self.tiers:
            lines.append("")
            held = dict(self.held)
            for name, label in self.tiers:
                line = f"tier {name}: {label if label is not None else '(none)'}"
                if name in held:
                    now = held[name] if held[name] is not None else "(none)"
                    line += f"   (held: monotonic, and {now} now ranks below the previous {label})"
                lines.append(line)
        return "\n".join(lines)


def _shown(value) -> str:
    """A company property's value as explain shows it."""
    if value is None:
        return "(missing)"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return str(_json_value(value))


def _json_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return iso(value) if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _kleene(value) -> str:
    return {True: "true", False: "false", None: "unknown (a value is missing)"}[value]


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _signed(value) -> str:
    text = _num(value)
    return text if text.startswith("-") or text == "0" else "+" + text


def _outcome(rule, detail) -> str:
    if isinstance(rule, ir.WhenRule):
        return {True: "matched", False: "not matched", None: "unknown (missing)"}[detail]
    if isinstance(rule, ir.BandRule):
        return "no band" if detail is None else f"band {detail}"
    if rule.distinct is not None:
        return f"{detail} value{'' if detail == 1 else 's'} of {rule.distinct.name}"
    return f"{detail} event" + ("" if detail == 1 else "s")


def explain(model: CompiledModel, contact: Mapping, events: Iterable[Event], as_of,
            previous: Mapping[str, object] | None = None) -> Explanation:
    """Everything ``model`` computed for ``contact``; ``previous`` is what it reads of earlier
    runs, by :attr:`~scoredsl.check.ir.Previous.label` (``engagement``, ``engagement 7d ago``)."""
    return explain_packed(model, contact, pack_events(events, model.program.schema), to_micros(as_of), previous)


def explain_packed(model: CompiledModel, contact: Mapping, events: Mapping[str, list], as_of: int,
                   previous: Mapping[str, object] | None = None, *, members: tuple[str, ...] = (),
                   aggregates: tuple[AggregateLine, ...] = ()) -> Explanation:
    """:func:`explain` for packed events (see :func:`pack_events`) and an as-of in epoch
    microseconds; a company model's ``contact`` is the company's record, with its contacts
    (``members``) and what each gave to its aggregates (see :func:`explain_company`)."""
    reads = state_reads(model.ir)
    seen = {**contact, **{p.key: (previous or {}).get(p.label) for p in reads}}
    status, reason, _scores, tiers, trace = model.trace_packed(seen, events, as_of)
    score_lines = []
    for score in model.ir.scores:
        rule_lines, group_lines = [], []
        for item in score.items:
            group = item.name if isinstance(item, ir.Group) else None
            for rule in (item.rules if isinstance(item, ir.Group) else (item,)):
                points, detail = trace["rules"][rule.name]
                rule_lines.append(RuleLine(name=rule.name, group=group, outcome=_outcome(rule, detail),
                                           points=points, location=f"{rule.span.file}:{rule.span.line}"))
            if group is not None:
                g = trace["groups"][(score.name, group)]
                group_lines.append(GroupLine(name=group, cap=g["cap"], positive=g["positive"],
                                             negative=g["negative"], value=g["value"], share=g.get("share"),
                                             contribution=g.get("contribution")))
        t = trace["scores"][score.name]
        idle = t.get("idle")
        score_lines.append(ScoreLine(
            name=score.name, value=t["final"], positive=t["positive"], negative=t["negative"], max=t["max"],
            raw=t["raw"], idle_days=None if idle is None else round(idle / DAY, 2),
            keep_percent=t.get("keep"), floor=t.get("min"), rules=tuple(rule_lines), groups=tuple(group_lines)))
    return Explanation(
        contact_id=contact["id"], model=model.name, version=model.version,
        as_of=from_epoch_micros(to_micros(as_of)), status=status, reason=reason, scope=trace.get("scope"),
        disqualifiers=tuple(trace["disqualifiers"]), scores=tuple(score_lines),
        tiers=tuple(zip(model.tier_names, tiers)),
        previous=tuple((p.label, (previous or {}).get(p.label)) for p in reads),
        held=tuple(trace.get("held", {}).items()),
        company=_company_read(model, contact), subject=model.subject, members=members, aggregates=aggregates)


def as_written(program):
    """``text_of(span)``: the text of a one-line span of ``program``'s rule files (the whole
    line, stripped, for a span over several lines)."""
    def text_of(span) -> str:
        line = program.sources.line(span.file, span.line) or ""
        return line[span.column - 1:span.end_column - 1] if span.end_line == span.line else line.strip()
    return text_of


def aggregate_lines(model: CompiledModel, record: Mapping, parts: list[tuple[Mapping, tuple]],
                    text_of) -> tuple[AggregateLine, ...]:
    """What each aggregate over contacts of a company model gave: ``record`` is the company's
    record (its aggregates under their keys), ``parts`` each contact with what it added to every
    aggregate (``(counts, value)`` pairs, in :attr:`CompiledModel.contact_aggs` order), and
    ``text_of(span)`` the aggregate as written."""
    lines = []
    for i, agg in enumerate(model.contact_aggs):
        counted = tuple((contact["id"], True if agg.value is None else part[2 * i + 1])
                        for contact, part in parts if part[2 * i])
        if agg.value is not None:
            counted = tuple((c, v) for c, v in counted if v is not None)
        lines.append(AggregateLine(text=text_of(agg.span), value=record.get(agg.key), contacts=counted,
                                   location=f"{agg.span.file}:{agg.span.line}"))
    return tuple(lines)


def _company_name(key: str) -> str:
    """How explain names what a contact read of its company: ``industry``, or a company
    model's result as ``account.engagement``."""
    return key[len("company."):] if key.startswith("company.") else key


def _company_read(model: CompiledModel, contact: Mapping) -> tuple[tuple[str, object], ...]:
    """The company properties the model reads, and its company's results in company models it
    reads (``account.engagement``), with the contact's company's values."""
    if model.subject == "company":
        return ()
    names = {e.name for e in ir.model_exprs(model.ir) if isinstance(e, ir.Prop) and "." in e.name}
    if not names:
        return ()
    ordered = ["company.id"] + sorted(names - {"company.id"})
    return tuple((name, contact.get(name)) for name in ordered)
