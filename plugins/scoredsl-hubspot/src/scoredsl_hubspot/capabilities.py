"""What HubSpot data can feed which rule constructs, and what ``check`` says when a rule needs
data HubSpot cannot provide.

HubSpot holds a contact's activity in two forms:

* **Summary properties** that HubSpot keeps up to date on the contact: counts
  (``hs_email_open``, ``hs_analytics_num_page_views``, ``num_conversion_events``...) and times
  (``hs_email_last_open_date``, ``hs_analytics_last_visit_timestamp``,
  ``recent_conversion_date``...). Mapped to ``int`` and ``datetime`` contact properties they
  feed comparisons, bands, ``is set`` and ``age(...)``: ``email_opens >= 1``,
  ``page_views { 2..5 => +3; >= 6 => +6 }``, ``age(last_open) < 30d``. They are lifetime
  totals and single instants: no window (``within``), no filter (``where``), no per-event
  points (``each``), no decay by event age, no inactivity decay (which reads events).
* **Events** from the events API (``GET /events/v3/events``, Enterprise portals, one contact
  per request): page views (``e_visited_page``) and other behavioral events with their
  properties (``hs_url``...). Only these become scoredsl events, and only events support
  ``count/has/first/last(E where ... within ...)``, ``each E``, half-life decay and inactivity
  decay. Marketing email opens, clicks, bounces and sends are *not* in the events API
  (HubSpot's own documentation says so): in scoredsl they can only be counts and times.

:func:`needs` finds every place a model reads events; :func:`diagnose` turns the ones a
``hubspot:`` source cannot feed into diagnostics (``HS101`` to ``HS104``) with the rule's
location and a hint naming the summary property that can replace it.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import attrs

from scoredsl.api import Diagnostic, Span, ir, warning

__all__ = ["SUMMARIES", "NO_EVENTS_API", "Need", "needs", "diagnose", "describe_property"]


@attrs.frozen
class Summary:
    property: str           # HubSpot property
    event: str              # the scoredsl event type it summarizes
    kind: str               # "count" | "first" | "last" | "last name"
    what: str               # for people


SUMMARIES: tuple[Summary, ...] = (
    Summary("hs_email_open", "email_open", "count", "marketing emails opened"),
    Summary("hs_email_first_open_date", "email_open", "first", "first marketing email open"),
    Summary("hs_email_last_open_date", "email_open", "last", "last marketing email open"),
    Summary("hs_email_click", "email_click", "count", "marketing emails clicked"),
    Summary("hs_email_first_click_date", "email_click", "first", "first marketing email click"),
    Summary("hs_email_last_click_date", "email_click", "last", "last marketing email click"),
    Summary("hs_email_bounce", "email_bounce", "count", "marketing emails bounced"),
    Summary("hs_email_delivered", "email_sent", "count", "marketing emails delivered"),
    Summary("hs_email_last_send_date", "email_sent", "last", "last marketing email sent"),
    Summary("hs_analytics_num_page_views", "page_view", "count", "page views"),
    Summary("hs_analytics_first_visit_timestamp", "page_view", "first", "first session"),
    Summary("hs_analytics_last_visit_timestamp", "page_view", "last", "last session"),
    Summary("hs_analytics_num_visits", "visit", "count", "sessions"),
    Summary("num_conversion_events", "form_submit", "count", "form submissions"),
    Summary("first_conversion_date", "form_submit", "first", "first form submission"),
    Summary("recent_conversion_date", "form_submit", "last", "last form submission"),
    Summary("recent_conversion_event_name", "form_submit", "last name", "name of the last form submitted"),
)
_BY_PROPERTY = {s.property: s for s in SUMMARIES}

#: Event types HubSpot's events API does not have (marketing email events).
NO_EVENTS_API = {"email_open": "marketing email opens", "email_click": "marketing email clicks",
                 "email_bounce": "marketing email bounces", "email_sent": "marketing email sends"}

_PLURAL = {"page_view": "page views", "form_submit": "form submissions", "visit": "sessions"}


def describe_property(hubspot: str) -> str:
    """How a HubSpot property can be used, for the mapping table of ``scoredsl hubspot check``."""
    summary = _BY_PROPERTY.get(hubspot)
    if summary is None:
        return "CRM property: any test on the contact"
    if summary.kind == "count":
        return (f"count of {summary.event} ({summary.what}, lifetime): comparisons and bands; "
                "no within/where/each")
    if summary.kind == "last name":
        return f"{summary.what}: text tests"
    return f"{summary.kind} {summary.event} time ({summary.what}): age(...) and comparisons; no within/where/each"


@attrs.frozen
class Need:
    """One place where a model reads events of one type."""
    model: str
    where: str              # "rule 'pricing'", "tier 'lifecycle'", "score 'engagement'", ...
    event: str
    construct: str          # count | has | first | last | each | inactivity
    window: int | None      # microseconds
    filtered: bool
    attributes: tuple[str, ...]
    span: Span


def needs(program: ir.Program) -> list[Need]:
    """Every read of events in ``program``, in file order."""
    found: list[Need] = []
    for model in program.models:
        def scan(expr, where: str) -> None:
            if expr is None:
                return
            for node in ir.walk(expr):
                if isinstance(node, ir.Agg):
                    found.append(Need(model.name, where, node.event, node.func.value, node.window,
                                      node.filter is not None, _attributes(node.filter), node.span))

        scan(model.scope, "the scope")
        for d in model.disqualifiers:
            scan(d.condition, f"disqualifier '{d.name}'")
        for score in model.scores:
            for rule in score.rules():
                where = f"rule '{rule.name}'"
                if isinstance(rule, ir.EachRule):
                    found.append(Need(model.name, where, rule.event, "each", rule.window, rule.filter is not None,
                                      _attributes(rule.filter), rule.span))
                    scan(rule.filter, where)
                elif isinstance(rule, ir.WhenRule):
                    scan(rule.condition, where)
                else:
                    scan(rule.subject, where)
            if score.inactivity is not None:
                kinds = score.inactivity.activity or tuple(program.schema.events)
                for kind in kinds:
                    found.append(Need(model.name, f"score '{score.name}'", kind, "inactivity", None, False, (),
                                      score.inactivity.span))
        for tier in model.tiers:
            for entry in tier.entries:
                scan(entry.condition, f"tier '{tier.name}'")
    return found


def _attributes(expr) -> tuple[str, ...]:
    if expr is None:
        return ()
    return tuple(sorted({n.name for n in ir.walk(expr) if isinstance(n, ir.Attr)}))


def _days(micros: int) -> str:
    days, rest = divmod(micros, 86_400_000_000)
    if rest == 0:
        return f"{days}d"
    hours, rest = divmod(micros, 3_600_000_000)
    return f"{hours}h" if rest == 0 else f"{micros / 1e6:.0f}s"


def _what(need: Need) -> str:
    name = need.event
    within = f" within {_days(need.window)}" if need.window is not None else ""
    filtered = " matching a where filter" if need.filtered else ""
    return {
        "count": f"counts {name} events{filtered}{within}",
        "has": f"tests for a {name} event{filtered}{within}",
        "first": f"uses the time of the first {name} event{filtered}{within}",
        "last": f"uses the time of the last {name} event{filtered}{within}",
        "each": f"awards points for each {name} event{filtered}{within}",
        "inactivity": f"decays on inactivity measured from {name} events",
    }[need.construct]


def _needs_events_because(need: Need) -> str:
    if need.construct == "inactivity":
        return "inactivity decay needs"
    if need.construct == "each":
        return "per-event points need"
    if need.window is not None:
        return "windows need"
    if need.filtered:
        return "where filters need"
    return "this needs"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _held(event: str, mapping: Mapping[str, str]) -> str:
    """``a count (hs_analytics_num_page_views, as page_views) and a last time (...)``: the summaries
    of ``event`` the mapping uses, or all of them when it uses none."""
    by_hubspot = {hubspot: name for name, hubspot in mapping.items()}
    summaries = [s for s in _summaries(event) if s.kind != "last name"]
    used = [s for s in summaries if s.property in by_hubspot]
    parts = []
    for s in used or summaries:
        noun = "a count" if s.kind == "count" else f"a {s.kind} time"
        alias = f", as {by_hubspot[s.property]}" if s.property in by_hubspot else ""
        parts.append(f"{noun} ({s.property}{alias})")
    return _join(parts) if parts else ""


def _summaries(event: str) -> list[Summary]:
    return [s for s in SUMMARIES if s.event == event]


def _alternative(need: Need, mapping: Mapping[str, str]) -> str | None:
    """A test on a summary property that says the same, or comes closest; None when a where
    filter is involved (no summary can filter by an event's attributes)."""
    if need.filtered:
        return None
    by_hubspot = {hubspot: name for name, hubspot in mapping.items()}
    summaries = {s.kind: s for s in _summaries(need.event)}

    def named(kind: str) -> str | None:
        summary = summaries.get(kind)
        if summary is None:
            return None
        return by_hubspot.get(summary.property) or f"<property mapped to {summary.property}>"

    count, last = named("count"), named("last")
    window = _days(need.window) if need.window is not None else None
    if need.construct == "has":
        if window is None and count:
            return f"`{count} >= 1` says the same"
        if window and last:
            return f"`age({last}) <= {window}` says the same"
    if need.construct == "count":
        if window is None and count:
            return f"`{count}` is the same count"
        closest = [f"the lifetime count `{count}`" if count else None,
                   f"the recency test `age({last}) <= {window}`" if last else None]
        closest = [c for c in closest if c]
        if closest:
            return "the closest are " + " and ".join(closest)
    if need.construct in ("first", "last"):
        own = named(need.construct)
        if own:
            return f"`{own}` is that time" if window is None else f"`{own}` is that time (test its age instead of a window)"
    if need.construct == "each":
        if window and last:
            return f"the closest is a recency test like `age({last}) <= {window}`"
        if count:
            return f"the closest are bands on the count `{count}`, like `{count} {{ 1..2 => +5; >= 3 => +10 }}`"
    if need.construct == "inactivity" and last:
        return f"a rule on `age({last})` can stand in for decay"
    return None


def diagnose(needs_found: Iterable[Need], *, events_on: bool, event_types: Mapping[str, str],
             event_attributes: Mapping[str, Mapping[str, str]], mapping: Mapping[str, str],
             source_text: str = "the hubspot source") -> list[Diagnostic]:
    """Diagnostics for the reads of events a ``hubspot:`` source configured so cannot feed.

    ``HS101``: the event type has HubSpot events, but the source reads none (``events=off``).
    ``HS102``: HubSpot has no events of this type at all (marketing email), only summaries.
    ``HS103``: the event type is not mapped to a HubSpot event type (``event_types``).
    ``HS104``: a where filter tests an attribute no HubSpot event property is mapped to.
    """
    out: list[Diagnostic] = []
    for need in needs_found:
        plural = _PLURAL.get(need.event, need.event.replace("_", " ") + " events")
        held = _held(need.event, mapping)
        alternative = _alternative(need, mapping)
        subject = f"{need.where} {_what(need)}"
        reason = _needs_events_because(need)
        if need.event in NO_EVENTS_API and need.event not in event_types:
            message = (f"{subject}, but HubSpot's events API has no {NO_EVENTS_API[need.event]}"
                       + (f": HubSpot keeps {plural} only as {held}" if held else "")
                       + f"; {reason} events, which HubSpot does not provide")
            hint = "map the summary properties to contact properties and test those"
            out.append(warning("HS102", message, need.span, f"{hint}: {alternative}" if alternative else hint))
            continue
        hubspot_type = event_types.get(need.event)
        if hubspot_type is None:
            message = (f"{subject}, but {source_text} maps no HubSpot event type to {need.event}"
                       + (f" and has {plural} only as {held}" if held else ""))
            hint = (f"add event_types = {{ {need.event} = \"<HubSpot event type>\" }} to the source (GET "
                    "/events/v3/events/event-types lists them) and events=on")
            if alternative:
                hint += f"; or, without events: {alternative}"
            out.append(warning("HS103", message, need.span, hint))
            continue
        if not events_on:
            message = (f"{subject}, but {source_text} reads no events (events=off)"
                       + (f" and maps {plural} only as {held}" if held else "")
                       + f": {reason} the events API ({hubspot_type})")
            hint = ("set events=on in the source (the events API needs an Enterprise portal and costs one "
                    "request per active contact)")
            if alternative:
                hint += f", or test a summary property: {alternative}"
            out.append(warning("HS101", message, need.span, hint))
            continue
        mapped = event_attributes.get(need.event, {})
        for attribute in need.attributes:
            if attribute not in mapped:
                out.append(warning(
                    "HS104", f"{need.where} filters {need.event} events on '{attribute}', but no property of "
                             f"HubSpot's {hubspot_type} events is mapped to it, so it is always missing",
                    need.span, f"add event_attributes = {{ {need.event} = {{ {attribute} = \"<event property>\" }} }}"))
    return out
