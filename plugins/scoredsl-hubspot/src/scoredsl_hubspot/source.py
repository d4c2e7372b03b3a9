"""The ``hubspot:`` source: contacts (and, optionally, events) of a HubSpot portal.

**Opening** checks, with one request to the properties API, that every HubSpot property the
schema is mapped to exists and has a type that fits (see :mod:`scoredsl_hubspot.mapping`);
otherwise the run stops before reading anything, listing every missing property.

**Full read** (the default): ``GET /crm/v3/objects/contacts`` with ``limit=100`` and the
``properties`` needed, following ``paging.next.after`` (one request per 100 contacts).

**Incremental read** (``since=ISO`` or ``incremental=true``): ``POST .../contacts/search`` for
``lastmodifieddate >= since``, sorted ascending, 200 per page. A search query returns at most
10,000 results, so when the next page would pass that cap the source starts a new query from
the last ``lastmodifieddate`` it saw (``>=``, so contacts sharing that instant are not
missed) and skips the contacts it already returned. If more than 10,000 contacts share one
instant (a bulk import), it pages through that instant by ``hs_object_id`` and goes on with
``>``. Search is paced to ``search_rate`` requests per second. With ``incremental=true`` the
source remembers, in ``STATE_DIR/PORTAL.source-state.json``, when its last *successful* run
started (minus ``overlap``, 10 minutes by default, for HubSpot's search index lag), and reads
from there; the first run reads everything. A run is successful when the HubSpot sink of the
same portal committed, or, with another sink, when every contact was read.

Note that HubSpot sets ``lastmodifieddate`` when the sink writes scores too, so an incremental
run after a run that wrote N contacts reads those N again (and, as their scores did not
change, writes nothing). And an incremental run scores only contacts modified since: a score
that depends on time (``age``, windows, decay) goes stale on contacts nobody touches, so run
a full read regularly.

**Events** (``events=on``): page views and other behavioral events from
``GET /events/v3/events`` (HubSpot Enterprise), one contact per request (the API needs an
``objectId``), 100 events per page. Contacts whose summary count says they have no such event
(``hs_analytics_num_page_views`` = 0 for ``e_visited_page``) are skipped
(``skip_inactive=false`` to fetch every contact). ``events=auto`` uses the events API when the
portal has it and warns otherwise. Because the runner reads events before contacts, the
source reads the contacts once, keeps them in a temporary file, and replays them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from typing import Any, Iterator, Mapping

from scoredsl.api import (DataError, DataSchema, Event, OnError, Source, Spec, SpecError, TypeSpec, epoch_micros,
                          fail, parse_datetime)

from . import hub
from .client import HubSpotClient
from .errors import EXIT_ERROR, DailyLimitReached, HubSpotError, RunStopped
from .mapping import DEFAULT_COMPANY_PROPERTIES, check_types, contact_mapping, convert, resolve
from .options import SourceSettings, source_settings, state_file
from .progress import Progress

__all__ = ["open_source", "HubSpotSource"]

#: HubSpot event type -> the summary count that is 0 when a contact has no such event.
ACTIVITY_COUNTS = {"e_visited_page": "hs_analytics_num_page_views"}
_TIMESTAMP = TypeSpec("datetime")


def open_source(spec: Spec, schema: DataSchema) -> "HubSpotSource":
    """The source for a ``hubspot:`` spec: options checked, mapped properties verified."""
    settings = source_settings(spec)
    unknown = sorted(set(settings.properties) - set(schema.contact))
    if unknown:
        raise SpecError(f"{spec.text}: properties maps {', '.join(unknown)}, which the schema does not declare "
                        f"(it declares {', '.join(n for n in schema.contact if n != 'id') or 'nothing'})")
    client = hub.client_for(settings.client)
    mapping = contact_mapping(schema, settings.properties)
    try:
        definitions = client.properties()
    except HubSpotError as exc:
        raise SpecError(f"{spec.text}: {exc}") from None
    missing, mismatched = check_types(mapping, schema.contact, definitions)
    if missing:
        plural = "property" if len(missing) == 1 else "properties"
        raise SpecError(f"{spec.text}: HubSpot has no contact {plural} {', '.join(missing)}. Map each schema "
                        "property to an existing HubSpot property with the properties option (properties = "
                        "{ job_title = \"jobtitle\" } in scoredsl.toml, or properties=job_title:jobtitle), or "
                        "create the missing ones in HubSpot; 'scoredsl hubspot check' shows the whole mapping")
    if mismatched:
        raise SpecError(f"{spec.text}: mapped properties do not fit the schema's types: {'; '.join(mismatched)}")
    company_mapping = _company_mapping(spec, settings, client, schema)
    return HubSpotSource(settings, client, schema, mapping, definitions, company_mapping)


def _company_mapping(spec: Spec, settings: SourceSettings, client: HubSpotClient,
                     schema: DataSchema) -> dict[str, str] | None:
    """The schema's company property -> HubSpot company property, checked against HubSpot's
    definitions (``None``: the schema declares no company)."""
    if schema.company is None:
        if settings.company_properties:
            raise SpecError(f"{spec.text}: company_properties is given, and the schema declares no company")
        return None
    unknown = sorted(set(settings.company_properties) - set(schema.company))
    if unknown:
        raise SpecError(f"{spec.text}: company_properties maps {', '.join(unknown)}, which the schema's company "
                        f"does not declare (it declares {', '.join(schema.company) or 'nothing'})")
    mapping = resolve(schema.company, settings.company_properties, DEFAULT_COMPANY_PROPERTIES)
    try:
        definitions = client.properties("companies")
    except HubSpotError as exc:
        hint = (" (the private app needs the crm.objects.companies.read scope)" if exc.status == 403 else "")
        raise SpecError(f"{spec.text}: {exc}{hint}") from None
    missing, mismatched = check_types(mapping, schema.company, definitions)
    if missing:
        plural = "property" if len(missing) == 1 else "properties"
        raise SpecError(f"{spec.text}: HubSpot has no company {plural} {', '.join(missing)}. Map each property "
                        "of the schema's company block to an existing HubSpot company property with the "
                        "company_properties option (company_properties=employees:numberofemployees)")
    if mismatched:
        raise SpecError(f"{spec.text}: mapped company properties do not fit the schema's types: "
                        f"{'; '.join(mismatched)}")
    return mapping


class HubSpotSource(Source):
    def __init__(self, settings: SourceSettings, client: HubSpotClient, schema: DataSchema,
                 mapping: Mapping[str, str], definitions: Mapping[str, Mapping],
                 company_mapping: Mapping[str, str] | None = None):
        self.settings = settings
        self.client = client
        self.schema = schema
        self.mapping = dict(mapping)
        self.company_mapping = None if company_mapping is None else dict(company_mapping)
        self.definitions = definitions
        self.portal = hub.portal_for(settings.client)
        self.skipped_rows = 0
        self.ignored_events = 0
        self.contacts_read = 0
        self.events_read = 0
        self.event_requests = 0
        self._spill = None
        self._needs_events: list[str] | None = None
        self._contacts_done = False
        self._started: dt.datetime | None = None
        self._events_enabled = settings.events != "off"
        self._closed = False
        if self.portal.progress is None:
            progress = Progress(settings.client.portal, settings.client.progress)
            progress.requests = lambda: client.stats.requests
            self.portal.progress = progress
        self.progress: Progress = self.portal.progress  # type: ignore[assignment]

    # ---------------------------------------------------------------- the Source contract
    def events(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[Event]:
        types = self._event_types(schema)
        if not types:
            return
        if self._needs_events is None:
            self._spill = tempfile.TemporaryFile("w+", encoding="utf-8")
            for raw in self._read_raw():
                self._spill.write(json.dumps(raw, separators=(",", ":")) + "\n")
        for contact_id in self._needs_events or ():
            if not self._events_enabled:
                return
            yield from self._contact_events(contact_id, types, schema, on_error)

    def contacts(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]]:
        properties = [(name, spec, self.mapping[name]) for name, spec in schema.contact.items() if name != "id"]
        raws = self._replay() if self._spill is not None else self._read_raw()
        for raw in raws:
            contact_id = str(raw["id"])
            values = raw.get("properties") or {}
            contact: dict[str, Any] = {"id": contact_id}
            try:
                for name, spec, hubspot in properties:
                    contact[name] = self._convert(values.get(hubspot), spec, contact_id, name, hubspot)
            except DataError as problem:
                self._skip(problem, on_error)
                continue
            yield contact
        self._contacts_done = True

    def companies(self, schema: DataSchema, on_error: OnError = fail) -> Iterator[dict[str, Any]] | None:
        """Every company of the portal (``GET /crm/v3/objects/companies``, 100 a page), with the
        properties of the schema's company block; contacts name theirs by
        ``associatedcompanyid``, their primary company."""
        if self.company_mapping is None:
            return None
        return self._companies(schema, on_error)

    def _companies(self, schema: DataSchema, on_error: OnError) -> Iterator[dict[str, Any]]:
        properties = [(name, spec, self.company_mapping[name]) for name, spec in (schema.company or {}).items()]
        wanted = ",".join(dict.fromkeys(hubspot for _n, _s, hubspot in properties)) or "hs_object_id"
        after = None
        while True:
            params = {"limit": self.settings.page_size, "properties": wanted, "archived": "false"}
            if after:
                params["after"] = after
            try:
                body = self.client.request("GET", "/crm/v3/objects/companies", params=params, kind="list",
                                           what="reading companies").body or {}
            except DailyLimitReached as exc:
                raise RunStopped(f"{self.settings.text}: {exc}. Stopped while reading companies: nothing was "
                                 "written. Run the same command again after the reset.", EXIT_ERROR) from None
            except HubSpotError as exc:
                raise RunStopped(f"{self.settings.text}: {exc}", EXIT_ERROR) from None
            for raw in body.get("results", ()):
                company_id = str(raw["id"])
                values = raw.get("properties") or {}
                company: dict[str, Any] = {"id": company_id}
                try:
                    for name, spec, hubspot in properties:
                        try:
                            company[name] = convert(values.get(hubspot), spec)
                        except DataError as problem:
                            raise DataError(f"company {company_id}: {problem.message} (HubSpot property {hubspot})",
                                            file=self.settings.text, column=name) from None
                except DataError as problem:
                    self._skip(problem, on_error)
                    continue
                yield company
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        if self.settings.incremental and self._contacts_done and self._started is not None:
            if not self.portal.sink_open or self.portal.sink_committed:
                self._save_state()

    # ---------------------------------------------------------------- reading contacts
    def _wanted(self) -> list[str]:
        wanted = dict.fromkeys(self.mapping.values())
        wanted.update(dict.fromkeys(sorted(self.portal.sink_properties)))
        if self._events_enabled and self.settings.skip_inactive:
            for hubspot_type in self._event_types(self.schema).values():
                counter = ACTIVITY_COUNTS.get(hubspot_type)
                if counter:
                    wanted[counter] = None
        wanted["lastmodifieddate"] = None
        return list(wanted)

    def _read_raw(self) -> Iterator[dict]:
        """Every contact as HubSpot returns it (``id``, ``properties``), noting for the sink and
        the events what they need on the way."""
        since = self._since()
        self._started = dt.datetime.now(dt.timezone.utc)
        properties = self._wanted()
        sink_properties = sorted(self.portal.sink_properties)
        types = self._event_types(self.schema) if self._events_enabled else {}
        counters = [ACTIVITY_COUNTS.get(t) for t in types.values()]
        self._needs_events = []
        self.portal.current_from_search = since is not None
        pages = self._search(properties, since) if since is not None else self._list(properties)
        try:
            for raw in pages:
                values = raw.get("properties") or {}
                contact_id = str(raw["id"])
                if sink_properties:
                    self.portal.current[contact_id] = {p: values.get(p) for p in sink_properties}
                if types and (not self.settings.skip_inactive or any(
                        counter is None or values.get(counter) not in ("0", "0.0") for counter in counters)):
                    self._needs_events.append(contact_id)
                self.contacts_read += 1
                self.progress.set("contacts", self.contacts_read)
                yield raw
        except DailyLimitReached as exc:
            raise RunStopped(f"{self.settings.text}: {exc}. Stopped while reading contacts: nothing was written. "
                             "Run the same command again after the reset.", EXIT_ERROR) from None
        except HubSpotError as exc:
            raise RunStopped(f"{self.settings.text}: {exc}", EXIT_ERROR) from None

    def _replay(self) -> Iterator[dict]:
        assert self._spill is not None
        self._spill.seek(0)
        for line in self._spill:
            yield json.loads(line)

    def _list(self, properties: list[str]) -> Iterator[dict]:
        after = None
        while True:
            params = {"limit": self.settings.page_size, "properties": ",".join(properties), "archived": "false"}
            if after:
                params["after"] = after
            body = self.client.request("GET", "/crm/v3/objects/contacts", params=params, kind="list",
                                       what="reading contacts").body or {}
            yield from body.get("results", ())
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def _search(self, properties: list[str], since: dt.datetime) -> Iterator[dict]:
        """Contacts with ``lastmodifieddate >= since``, each once, across the 10,000-result cap."""
        seen: set[str] = set()
        operator, value = "GTE", epoch_micros(since) // 1000
        while True:
            filters = [{"propertyName": "lastmodifieddate", "operator": operator, "value": str(value)}]
            state: dict[str, Any] = {}
            last = None
            for raw in self._search_query(filters, "lastmodifieddate", properties, state):
                last = _millis((raw.get("properties") or {}).get("lastmodifieddate"))
                if str(raw["id"]) not in seen:
                    seen.add(str(raw["id"]))
                    yield raw
            if not state["capped"] or last is None:
                return
            if operator == "GTE" and last == value:
                # more contacts share this instant than one query returns: page through them by id
                yield from self._search_instant(value, properties, seen)
                operator = "GT"
            else:
                operator, value = "GTE", last

    def _search_instant(self, instant: int, properties: list[str], seen: set[str]) -> Iterator[dict]:
        last_id = 0
        while True:
            filters = [{"propertyName": "lastmodifieddate", "operator": "EQ", "value": str(instant)},
                       {"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)}]
            state: dict[str, Any] = {}
            for raw in self._search_query(filters, "hs_object_id", properties, state):
                last_id = max(last_id, int(raw["id"]))
                if str(raw["id"]) not in seen:
                    seen.add(str(raw["id"]))
                    yield raw
            if not state["capped"]:
                return

    def _search_query(self, filters: list[dict], sort: str, properties: list[str],
                      state: dict[str, Any]) -> Iterator[dict]:
        """The results of one search query, page by page; ``state["capped"]`` is true afterwards
        when the query stopped at the result cap rather than at its last result."""
        size = self.settings.search_page_size
        state["capped"] = False
        after = None
        while True:
            body: dict[str, Any] = {"filterGroups": [{"filters": filters}],
                                    "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
                                    "properties": properties, "limit": size}
            if after:
                body["after"] = after
            try:
                page = self.client.request("POST", "/crm/v3/objects/contacts/search", json_body=body, kind="search",
                                           what="searching contacts").body or {}
            except HubSpotError as exc:
                if exc.status == 400 and after:      # paged into the cap after all: start a new query
                    state["capped"] = True
                    return
                raise
            yield from page.get("results", ())
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            if int(after) + size > self.settings.search_cap:
                state["capped"] = True
                return

    # ---------------------------------------------------------------- incremental state
    def _since(self) -> dt.datetime | None:
        if self.settings.since is not None:
            return self.settings.since
        if not self.settings.incremental:
            return None
        try:
            with open(state_file(self.settings.client, "source-state.json"), encoding="utf-8") as file:
                state = json.load(file)
            return parse_datetime(state["since"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            raise RunStopped(f"{self.settings.text}: the incremental state file "
                             f"{state_file(self.settings.client, 'source-state.json')} is damaged; delete it for a "
                             "full read", EXIT_ERROR) from None

    def _save_state(self) -> None:
        assert self._started is not None
        path = state_file(self.settings.client, "source-state.json")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        since = self._started - self.settings.overlap
        temp = path + ".tmp"
        with open(temp, "w", encoding="utf-8") as file:
            json.dump({"since": since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "contacts": self.contacts_read}, file)
        os.replace(temp, path)

    # ---------------------------------------------------------------- events
    def _event_types(self, schema: DataSchema) -> dict[str, str]:
        """scoredsl event type -> HubSpot event type, for the types the schema declares."""
        if not self._events_enabled:
            return {}
        return {kind: self.settings.event_types[kind] for kind in schema.events if kind in self.settings.event_types}

    def _contact_events(self, contact_id: str, types: Mapping[str, str], schema: DataSchema,
                        on_error: OnError) -> Iterator[Event]:
        by_hubspot = {hubspot: kind for kind, hubspot in types.items()}
        params: dict[str, Any] = {"objectType": "contact", "objectId": contact_id, "limit": 100}
        if len(by_hubspot) == 1:
            params["eventType"] = next(iter(by_hubspot))
        since = self.settings.events_since
        if isinstance(since, dt.timedelta):
            since = dt.datetime.now(dt.timezone.utc) - since
        if since is not None:
            params["occurredAfter"] = since.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        after = None
        while True:
            if after:
                params["after"] = after
            try:
                self.event_requests += 1
                body = self.client.request("GET", "/events/v3/events", params=params, kind="events",
                                           what=f"reading the events of contact {contact_id}").body or {}
            except DailyLimitReached as exc:
                raise RunStopped(f"{self.settings.text}: {exc}. Stopped while reading events: nothing was written. "
                                 "Run the same command again after the reset.", EXIT_ERROR) from None
            except HubSpotError as exc:
                if exc.status in (403, 404) and self.settings.events == "auto":
                    self._events_enabled = False
                    self.progress.clear()
                    print(f"scoredsl: warning: {self.settings.text}: the events API is not available ({exc}); "
                          "scoring without events (set events=off to silence this)", file=sys.stderr)
                    return
                if exc.status in (403, 404):
                    raise RunStopped(f"{self.settings.text}: the events API is not available for this portal: {exc}. "
                                     "It needs HubSpot Enterprise and the scope to read behavioral events; set "
                                     "events=off to score without events", EXIT_ERROR) from None
                raise RunStopped(f"{self.settings.text}: {exc}", EXIT_ERROR) from None
            for item in body.get("results", ()):
                kind = by_hubspot.get(item.get("eventType"))
                if kind is None:
                    self.ignored_events += 1
                    continue
                event = self._event(item, kind, contact_id, schema, on_error)
                if event is not None:
                    self.events_read += 1
                    yield event
            self.progress.set("events", self.events_read)
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def _event(self, item: dict, kind: str, contact_id: str, schema: DataSchema, on_error: OnError) -> Event | None:
        attributes = self.settings.event_attributes.get(kind, {})
        props = item.get("properties") or {}
        try:
            timestamp = self._convert(item.get("occurredAt"), _TIMESTAMP, contact_id, "timestamp", "occurredAt")
            if timestamp is None:
                raise DataError(f"contact {contact_id}: an event {item.get('id')} without occurredAt",
                                file=self.settings.text, column="timestamp")
            values = {name: self._convert(props.get(attributes.get(name, name)), spec, contact_id, name,
                                          attributes.get(name, name))
                      for name, spec in schema.events[kind].items()}
        except DataError as problem:
            self._skip(problem, on_error)
            return None
        return Event(contact_id=contact_id, type=kind, timestamp=timestamp, attrs=values)

    def _convert(self, raw: Any, spec: TypeSpec, contact_id: str, name: str, hubspot: str) -> Any:
        try:
            return convert(raw, spec)
        except DataError as problem:
            raise DataError(f"contact {contact_id}: {problem.message} (HubSpot property {hubspot})",
                            file=self.settings.text, column=name) from None


def _millis(value: Any) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return epoch_micros(parse_datetime(text)) // 1000
