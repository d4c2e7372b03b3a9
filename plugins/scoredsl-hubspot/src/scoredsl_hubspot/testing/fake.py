"""A fake HubSpot portal: a real HTTP server on 127.0.0.1 that answers the endpoints the plugin
uses with HubSpot's request and response shapes, limits and faults.

    with FakeHubSpot(token="t0ken") as hub:          # starts on a random port
        hub.add_contact({"email": "a@b.io", "jobtitle": "VP Sales"})
        ... scoredsl run model.score --source "hubspot:test?base_url=" + hub.url

What it implements (the sources are cited in ``tests/test_fake_hubspot.py``):

* ``GET /crm/v3/objects/contacts`` (``limit`` <= 100, ``after`` cursor, ``properties``),
  ``POST /crm/v3/objects/contacts/search`` (``filterGroups``, one sort, ``limit`` <= 200,
  ``after``; paging past 10,000 results is a 400), ``POST .../batch/read`` and
  ``POST .../batch/update`` (at most 100 inputs, 400 above; unknown ids give 207 with errors;
  an unknown property or a value that does not fit its type rejects the whole batch with 400).
  Every update sets ``lastmodifieddate``.
* ``GET/POST /crm/v3/properties/contacts``, ``GET/PATCH /crm/v3/properties/contacts/NAME``,
  ``GET/POST /crm/v3/properties/contacts/groups`` (409 when the name exists).
* ``GET`` and ``PATCH /crm/v3/objects/contacts/ID`` (404 for an id it does not have);
  ``POST /crm/v3/objects/tasks`` (``hs_timestamp`` required; associations to existing contacts
  with type 204) and ``POST /crm/v3/objects/tasks/search`` (``EQ``, ``CONTAINS_TOKEN``).
* ``GET /events/v3/events`` (``objectType``, ``objectId``, ``eventType``, ``occurredAfter``,
  ``occurredBefore``, ``limit``, ``after``); 403 when the portal has no events API.
* Companies: ``GET /crm/v3/objects/companies`` (``limit`` <= 100, ``after`` cursor,
  ``properties``), ``POST .../batch/read`` and ``.../batch/update`` (as for contacts; an
  update needs ``crm.objects.companies.write``, 403 without it: ``companies_write_scope=False``;
  :attr:`FakeHubSpot.company_updates` counts the updates of each company),
  ``GET/POST /crm/v3/properties/companies`` (:data:`COMPANY_PROPERTIES`), ``GET/PATCH
  /crm/v3/properties/companies/NAME`` and ``GET/POST /crm/v3/properties/companies/groups``;
  :meth:`FakeHubSpot.add_company` makes a company the primary company of contacts, which sets
  their ``associatedcompanyid``. 403 when the app lacks the companies scope
  (``companies_scope=False``).
* Deals: ``GET /crm/v3/objects/deals`` (``limit`` <= 100, ``after`` cursor, ``properties``,
  ``associations=contacts``: each deal's contacts in ``associations.contacts.results`` as
  ``{"id", "type"}``, one entry per association label, the first 100 with the deal and a
  ``paging.next.after`` for the rest) and ``GET /crm/v3/objects/deals/ID/associations/contacts``
  (``after``, ``limit`` <= 500). :meth:`FakeHubSpot.add_deal` seeds a deal; HubSpot's
  calculated ``hs_is_closed``, ``hs_is_closed_won`` and ``hs_is_closed_lost`` follow from its
  ``dealstage`` (:data:`DEAL_STAGES`, the default sales pipeline) unless given. 403 when the
  app lacks the deals scope (``deals_scope=False``).
* Authentication: ``Authorization: Bearer TOKEN``, 401 otherwise.
* Rate limits measured by the server: a rolling 10-second window over every request
  (429 ``TEN_SECONDLY_ROLLING``), a rolling one-second window over search requests (429
  ``SECONDLY``), and a daily count (429 ``DAILY`` once ``daily_limit`` requests were
  answered; :meth:`FakeHubSpot.new_day` resets it). Responses carry the
  ``X-HubSpot-RateLimit-*`` headers (search responses do not), 429s a ``Retry-After``.
* Faults, injected after authentication and rate limiting: at random (``fault_rate``,
  ``seed``, restricted by ``fault_filter``) or on the Nth request (``fault_on``). Kinds:
  ``"429"`` (a secondly 429), ``"500"``, ``"502"``, ``"503"`` (nothing processed), ``"504_after"``
  (processed, then a 504), ``"reset"`` (connection closed before processing) and
  ``"drop_after"`` (processed, then the connection closed without a response).
* Every request is recorded (:attr:`FakeHubSpot.requests`), and :attr:`FakeHubSpot.updates`
  counts how many batch updates touched each contact. :meth:`max_in_window` measures the
  most requests the server saw in any rolling window.

It is a test double, not a database: everything is in memory, guarded by one lock.
"""

from __future__ import annotations

import base64
import bisect
import collections
import datetime as dt
import json
import math
import random
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeHubSpot", "Recorded", "STANDARD_PROPERTIES", "COMPANY_PROPERTIES", "DEAL_STAGES", "iso",
           "FAULT_KINDS"]

FAULT_KINDS = ("429", "500", "502", "503", "504_after", "reset", "drop_after")
_UTC = dt.timezone.utc
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_FIELD_TYPES = {
    "string": {"text", "textarea", "phonenumber", "html", "file"},
    "number": {"number", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
    "bool": {"booleancheckbox", "calculation_equation"},
}


def iso(value: dt.datetime) -> str:
    """HubSpot's datetime format: ``2026-10-01T09:30:00.123Z``."""
    value = value.astimezone(_UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _parse_instant(text: str) -> float:
    """Epoch milliseconds from an epoch-milliseconds string or an ISO datetime or date."""
    text = str(text).strip()
    if re.fullmatch(r"-?[0-9]+", text):
        return float(text)
    if len(text) == 10:
        text += "T00:00:00Z"
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    return value.timestamp() * 1000


def _option(value: str, label: str | None = None, order: int = 0) -> dict:
    return {"label": label or value, "value": value, "displayOrder": order, "hidden": False}


def _prop(name: str, label: str, type_: str, field: str, group: str = "contactinformation",
          options: Iterable[str] = (), read_only: bool = False) -> dict:
    return {"name": name, "label": label, "type": type_, "fieldType": field, "description": "",
            "groupName": group, "options": [_option(o, order=i) for i, o in enumerate(options)],
            "displayOrder": -1, "calculated": False, "externalOptions": False,
            "hasUniqueValue": name == "hs_object_id", "hidden": False, "hubspotDefined": True,
            "modificationMetadata": {"archivable": False, "readOnlyDefinition": True,
                                     "readOnlyValue": read_only},
            "formField": not read_only, "createdAt": "2019-08-06T02:41:08.029Z",
            "updatedAt": "2019-08-06T02:41:08.029Z", "archived": False}


#: A few of the contact properties every portal has, with their HubSpot types.
STANDARD_PROPERTIES = [
    _prop("email", "Email", "string", "text"),
    _prop("firstname", "First Name", "string", "text"),
    _prop("lastname", "Last Name", "string", "text"),
    _prop("jobtitle", "Job Title", "string", "text"),
    _prop("company", "Company Name", "string", "text"),
    _prop("industry", "Industry", "string", "text"),
    _prop("numemployees", "Number of Employees", "enumeration", "select",
          options=["1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+"]),
    _prop("annualrevenue", "Annual Revenue", "string", "text"),
    _prop("country", "Country/Region", "string", "text"),
    _prop("phone", "Phone Number", "string", "phonenumber"),
    _prop("website", "Website URL", "string", "text"),
    _prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio",
          options=["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                   "customer", "evangelist", "other"]),
    _prop("hs_lead_status", "Lead Status", "enumeration", "radio",
          options=["NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT",
                   "CONNECTED", "BAD_TIMING"]),
    _prop("hs_analytics_source", "Original Source", "enumeration", "select", "analyticsinformation",
          options=["ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS",
                   "OTHER_CAMPAIGNS", "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL"], read_only=True),
    _prop("hs_email_optout", "Unsubscribed from all email", "bool", "booleancheckbox",
          options=["true", "false"], read_only=True),
    _prop("createdate", "Create Date", "datetime", "date", read_only=True),
    _prop("lastmodifieddate", "Last Modified Date", "datetime", "date", read_only=True),
    _prop("hs_object_id", "Record ID", "number", "number", read_only=True),
    # the primary company (set by HubSpot from the contact's primary company association)
    _prop("associatedcompanyid", "Primary Associated Company ID", "number", "number", read_only=True),
    # email engagement (HubSpot keeps these up to date; they are read-only)
    _prop("hs_email_delivered", "Marketing emails delivered", "number", "number", "emailinformation",
          read_only=True),
    _prop("hs_email_open", "Marketing emails opened", "number", "number", "emailinformation", read_only=True),
    _prop("hs_email_click", "Marketing emails clicked", "number", "number", "emailinformation",
          read_only=True),
    _prop("hs_email_bounce", "Marketing emails bounced", "number", "number", "emailinformation",
          read_only=True),
    _prop("hs_email_last_send_date", "Last marketing email send date", "datetime", "date",
          "emailinformation", read_only=True),
    _prop("hs_email_last_open_date", "Last marketing email open date", "datetime", "date",
          "emailinformation", read_only=True),
    _prop("hs_email_last_click_date", "Last marketing email click date", "datetime", "date",
          "emailinformation", read_only=True),
    _prop("hs_email_first_open_date", "First marketing email open date", "datetime", "date",
          "emailinformation", read_only=True),
    # web analytics
    _prop("hs_analytics_num_page_views", "Number of Pageviews", "number", "number", "analyticsinformation",
          read_only=True),
    _prop("hs_analytics_num_visits", "Number of Sessions", "number", "number", "analyticsinformation",
          read_only=True),
    _prop("hs_analytics_last_visit_timestamp", "Time of Last Session", "datetime", "date",
          "analyticsinformation", read_only=True),
    _prop("hs_analytics_first_visit_timestamp", "Time of First Session", "datetime", "date",
          "analyticsinformation", read_only=True),
    # conversions (form submissions)
    _prop("num_conversion_events", "Number of Form Submissions", "number", "number", "conversioninformation",
          read_only=True),
    _prop("num_unique_conversion_events", "Number of Unique Forms Submitted", "number", "number",
          "conversioninformation", read_only=True),
    _prop("recent_conversion_date", "Recent Conversion Date", "datetime", "date", "conversioninformation",
          read_only=True),
    _prop("recent_conversion_event_name", "Recent Conversion", "string", "text", "conversioninformation",
          read_only=True),
    _prop("first_conversion_date", "First Conversion Date", "datetime", "date", "conversioninformation",
          read_only=True),
]

#: A few of the company properties every portal has, with their HubSpot types.
COMPANY_PROPERTIES = [
    _prop("name", "Company name", "string", "text", "companyinformation"),
    _prop("domain", "Company Domain Name", "string", "text", "companyinformation"),
    _prop("industry", "Industry", "enumeration", "select", "companyinformation",
          options=["COMPUTER_SOFTWARE", "INFORMATION_TECHNOLOGY_AND_SERVICES", "FINANCIAL_SERVICES", "RETAIL",
                   "MACHINERY", "HOSPITAL_HEALTH_CARE", "EDUCATION_MANAGEMENT", "INTERNET"]),
    _prop("numberofemployees", "Number of Employees", "number", "number", "companyinformation"),
    _prop("annualrevenue", "Annual Revenue", "number", "number", "companyinformation"),
    _prop("country", "Country/Region", "string", "text", "companyinformation"),
    _prop("city", "City", "string", "text", "companyinformation"),
    _prop("type", "Type", "enumeration", "select", "companyinformation",
          options=["PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER"]),
    _prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation",
          options=["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                   "customer", "evangelist", "other"]),
    _prop("hs_object_id", "Record ID", "number", "number", "companyinformation", read_only=True),
    _prop("createdate", "Create Date", "datetime", "date", "companyinformation", read_only=True),
    _prop("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "companyinformation",
          read_only=True),
]
_COMPANY_DEFAULT_PROPERTIES = ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name")
_COMPANY_ALWAYS = ("hs_object_id", "createdate", "hs_lastmodifieddate")

#: The stages of HubSpot's default sales pipeline (``default``): stage id -> (closed, won).
DEAL_STAGES = {
    "appointmentscheduled": (False, False), "qualifiedtobuy": (False, False),
    "presentationscheduled": (False, False), "decisionmakerboughtin": (False, False),
    "contractsent": (False, False), "closedwon": (True, True), "closedlost": (True, False),
}
#: What a deal list returns without ``properties``, and what it always adds.
_DEAL_DEFAULT_PROPERTIES = ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
                            "hs_object_id", "pipeline")
_DEAL_ALWAYS = ("hs_object_id", "createdate", "hs_lastmodifieddate")
#: Associations listed with each object of a list; the rest are paged.
_ASSOCIATIONS_INLINE = 100
_CONTACT_TYPES = {"contacts", "contact", "0-1"}

_STANDARD_GROUPS = ["contactinformation", "emailinformation", "analyticsinformation",
                    "conversioninformation", "salesforceinformation"]
_DEFAULT_PROPERTIES = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")


class Recorded:
    """One request as the server saw it."""

    __slots__ = ("number", "time", "method", "path", "query", "body", "status", "policy", "fault", "auth_ok")

    def __init__(self, number: int, time_: float, method: str, path: str, query: dict, body: Any):
        self.number, self.time, self.method, self.path = number, time_, method, path
        self.query, self.body = query, body
        self.status: int | None = None
        self.policy: str | None = None
        self.fault: str | None = None
        self.auth_ok = False

    def __repr__(self) -> str:
        return f"<#{self.number} {self.method} {self.path} -> {self.status}{' ' + self.fault if self.fault else ''}>"


class _Reply(Exception):
    """Raised inside a handler to answer with an error."""

    def __init__(self, status: int, message: str, category: str, *, errors=None, context=None,
                 headers: Mapping[str, str] | None = None, body: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.category = status, message, category
        self.errors, self.context, self.headers, self.body = errors, context, headers or {}, body


class _Drop(Exception):
    """Close the connection without an answer."""


class FakeHubSpot:
    def __init__(self, *, token: str = "fake-hubspot-token", rate_limit: int = 190, rate_window: float = 10.0,
                 search_rate: int = 5, daily_limit: int | None = None, events_api: bool = True,
                 deals_scope: bool = True, companies_scope: bool = True, companies_write_scope: bool = True,
                 search_cap: int = 10_000, seed: int = 0, fault_rate: float = 0.0,
                 fault_kinds: Iterable[str] = ("429", "500", "502", "503", "504_after", "reset", "drop_after"),
                 fault_filter: Callable[[str, str], bool] | None = None,
                 fault_on: Mapping[int, str] | None = None, record_bodies: bool = True):
        self.token = token
        self.rate_limit, self.rate_window, self.search_rate = rate_limit, rate_window, search_rate
        self.daily_limit = daily_limit
        self.events_api = events_api
        self.deals_scope = deals_scope
        self.companies_scope = companies_scope
        self.companies_write_scope = companies_write_scope
        self.search_cap = search_cap
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(fault_kinds)
        for kind in self.fault_kinds:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}")
        self.fault_filter = fault_filter
        self.fault_on = dict(fault_on or {})
        self.record_bodies = record_bodies
        self.on_request: Callable[[Recorded], None] | None = None
        self._random = random.Random(seed)
        self.lock = threading.RLock()
        # data
        self.contacts: dict[str, dict] = {}
        self._ids: list[int] = []                     # sorted numeric ids
        self._next_id = 1001
        self.properties: dict[str, dict] = {p["name"]: json.loads(json.dumps(p)) for p in STANDARD_PROPERTIES}
        self.groups: dict[str, dict] = {g: {"name": g, "label": g, "displayOrder": i, "archived": False}
                                        for i, g in enumerate(_STANDARD_GROUPS)}
        self.events: dict[str, list[dict]] = collections.defaultdict(list)
        self.tasks: dict[str, dict] = {}              # id -> {"id", "properties", "associations"}
        self.deals: dict[str, dict] = {}              # id -> {"id", "properties", ..., "_contacts"}
        self._deal_ids: list[int] = []
        self._next_deal_id = 50001
        self.deal_stages: dict[str, tuple[bool, bool]] = dict(DEAL_STAGES)
        self.companies: dict[str, dict] = {}          # id -> {"id", "properties", ...}
        self._company_ids: list[int] = []
        self._next_company_id = 8001
        self.company_properties: dict[str, dict] = {p["name"]: json.loads(json.dumps(p))
                                                    for p in COMPANY_PROPERTIES}
        self.company_groups: dict[str, dict] = {"companyinformation": {"name": "companyinformation",
                                                                       "label": "Company information",
                                                                       "displayOrder": 0, "archived": False}}
        #: how many batch updates touched each company, and what they changed
        self.company_updates: collections.Counter = collections.Counter()
        self.company_update_log: list[tuple[str, dict]] = []
        # accounting
        self.requests: list[Recorded] = []
        self.updates: collections.Counter = collections.Counter()
        self.update_log: list[tuple[str, dict]] = []
        self._window: collections.deque = collections.deque()       # accepted request times
        self._search_window: collections.deque = collections.deque()
        self._daily_used = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._version = 0                  # bumped by every change of contacts (search cache key)
        self._search_cache: tuple | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> "FakeHubSpot":
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hubspot", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeHubSpot":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---------------------------------------------------------------- data
    def add_contact(self, properties: Mapping[str, Any], *, id: str | int | None = None,
                    created: dt.datetime | None = None, modified: dt.datetime | None = None) -> str:
        """Add a contact (property values as HubSpot holds them: strings or None)."""
        with self.lock:
            number, created, modified, values = self._new_object(properties, id, "_next_id", created, modified)
            cid = str(number)
            values.update(hs_object_id=cid, createdate=iso(created), lastmodifieddate=iso(modified))
            self.contacts[cid] = {"id": cid, "properties": values, "createdAt": iso(created),
                                  "updatedAt": iso(modified), "archived": False,
                                  "_modified": _parse_instant(values["lastmodifieddate"])}
            bisect.insort(self._ids, number)
            self._version += 1
            return cid

    def add_event(self, contact_id: str, event_type: str, occurred: dt.datetime,
                  properties: Mapping[str, str] | None = None) -> None:
        with self.lock:
            items = self.events[str(contact_id)]
            items.append({"objectType": "CONTACT", "objectId": str(contact_id), "eventType": event_type,
                          "occurredAt": iso(occurred), "id": str(uuid.UUID(int=self._random.getrandbits(128))),
                          "properties": dict(properties or {}), "_ms": occurred.timestamp() * 1000})
            items.sort(key=lambda e: e["_ms"])

    def add_deal(self, properties: Mapping[str, Any], *, contacts: Iterable[str | int] = (),
                 labels: Mapping[str, Iterable[str]] | None = None, id: str | int | None = None,
                 created: dt.datetime | None = None, modified: dt.datetime | None = None) -> str:
        """Add a deal associated with ``contacts`` (which must exist), in that order; ``labels``
        gives contacts association labels besides the unlabeled ``deal_to_contact`` (HubSpot
        lists a contact once per label). ``pipeline`` defaults to ``default``; HubSpot's
        calculated ``hs_is_closed``, ``hs_is_closed_won`` and ``hs_is_closed_lost`` are derived
        from ``dealstage`` (:attr:`deal_stages`) unless ``properties`` gives them."""
        with self.lock:
            contact_ids = [str(c) for c in contacts]
            unknown = [c for c in contact_ids if c not in self.contacts]
            if unknown:
                raise KeyError(f"no contact {', '.join(unknown)} to associate the deal with")
            number, created, modified, values = self._new_object(properties, id, "_next_deal_id", created,
                                                                 modified)
            did = str(number)
            values.setdefault("pipeline", "default")
            closed, won = self.deal_stages.get(values.get("dealstage") or "", (False, False))
            values.setdefault("hs_is_closed", "true" if closed else "false")
            values.setdefault("hs_is_closed_won", "true" if won else "false")
            values.setdefault("hs_is_closed_lost", "true" if closed and not won else "false")
            values.update(hs_object_id=did, createdate=iso(created), hs_lastmodifieddate=iso(modified))
            entries = [{"id": c, "type": "deal_to_contact"} for c in dict.fromkeys(contact_ids)]
            for contact, names in (labels or {}).items():
                if str(contact) not in contact_ids:
                    raise KeyError(f"labels name contact {contact}, which the deal is not associated with")
                entries += [{"id": str(contact), "type": name} for name in names]
            self.deals[did] = {"id": did, "properties": values, "createdAt": iso(created),
                               "updatedAt": iso(modified), "archived": False, "_contacts": entries}
            bisect.insort(self._deal_ids, number)
            return did

    def add_company(self, properties: Mapping[str, Any], *, contacts: Iterable[str | int] = (),
                    id: str | int | None = None, created: dt.datetime | None = None,
                    modified: dt.datetime | None = None) -> str:
        """Add a company, the primary company of ``contacts`` (which must exist): HubSpot then
        sets their ``associatedcompanyid`` (and their ``lastmodifieddate``)."""
        with self.lock:
            contact_ids = [str(c) for c in contacts]
            unknown = [c for c in contact_ids if c not in self.contacts]
            if unknown:
                raise KeyError(f"no contact {', '.join(unknown)} to associate the company with")
            number, created, modified, values = self._new_object(properties, id, "_next_company_id", created,
                                                                 modified)
            coid = str(number)
            values.update(hs_object_id=coid, createdate=iso(created), hs_lastmodifieddate=iso(modified))
            self.companies[coid] = {"id": coid, "properties": values, "createdAt": iso(created),
                                    "updatedAt": iso(modified), "archived": False}
            bisect.insort(self._company_ids, number)
            for cid in contact_ids:
                self.contacts[cid]["properties"]["associatedcompanyid"] = coid
                self._touch(self.contacts[cid], modified)
            return coid

    def _new_object(self, properties: Mapping[str, Any], id, counter: str, created: dt.datetime | None,
                    modified: dt.datetime | None) -> tuple[int, dt.datetime, dt.datetime, dict]:
        """A new object's number (``id``, or the next of ``counter``, which moves past it), its
        creation and modification instants (default now, and the creation), and its property
        values as HubSpot holds them (strings or None)."""
        number = int(id) if id is not None else getattr(self, counter)
        setattr(self, counter, max(getattr(self, counter), number + 1))
        created = created or dt.datetime.now(_UTC)
        values = {k: (None if v is None else str(v)) for k, v in properties.items()}
        return number, created, modified or created, values

    def set_property(self, contact_id: str, name: str, value: str | None, *,
                     modified: dt.datetime | None = None) -> None:
        """Change a value as HubSpot itself would (a form, a workflow): bumps lastmodifieddate."""
        with self.lock:
            contact = self.contacts[str(contact_id)]
            contact["properties"][name] = value
            self._touch(contact, modified or dt.datetime.now(_UTC))

    def value(self, contact_id: str, name: str) -> str | None:
        return self.contacts[str(contact_id)]["properties"].get(name)

    def new_day(self) -> None:
        """The daily limit resets (midnight in the portal's time zone)."""
        with self.lock:
            self._daily_used = 0

    def _touch(self, contact: dict, when: dt.datetime) -> None:
        self._version += 1
        contact["properties"]["lastmodifieddate"] = iso(when)
        contact["updatedAt"] = iso(when)
        contact["_modified"] = _parse_instant(contact["properties"]["lastmodifieddate"])

    # ---------------------------------------------------------------- measurements
    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if (method is None or r.method == method)
                    and (path is None or r.path == path)]

    def max_in_window(self, seconds: float | None = None, *, path_prefix: str | None = None) -> int:
        """The most requests received within any rolling window of ``seconds`` (default: the
        10-second rate window), optionally only those whose path starts with ``path_prefix``."""
        seconds = self.rate_window if seconds is None else seconds
        with self.lock:
            times = [r.time for r in self.requests if path_prefix is None or r.path.startswith(path_prefix)]
        best, start = 0, 0
        for end, t in enumerate(times):
            while times[start] <= t - seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def reset_log(self) -> None:
        """Forget the recorded requests and update counts, and the rate windows (as if the portal
        had been idle for a while); the daily count stays."""
        with self.lock:
            self._window.clear()
            self._search_window.clear()
            self.requests.clear()
            self.updates.clear()
            self.update_log.clear()
            self.company_updates.clear()
            self.company_update_log.clear()

    # ---------------------------------------------------------------- request handling
    def _handle(self, handler: "_Handler") -> None:
        started = time.monotonic()
        parts = urlsplit(handler.path)
        query: dict[str, Any] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self.lock:
            record = Recorded(len(self.requests) + 1, started, handler.command, parts.path, query, None)
            self.requests.append(record)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        if self.record_bodies:
            record.body = body
        headers: dict[str, str] = {}
        try:
            status, payload = self._dispatch(handler, record, body, headers)
        except _Drop:
            record.status = 0
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        except _Reply as reply:
            status = reply.status
            payload = reply.body or _error_body(reply.message, reply.category, reply.errors, reply.context)
            headers.update(reply.headers)
        record.status = status
        if self.on_request is not None:
            self.on_request(record)
        data = json.dumps(payload).encode() if payload is not None else b""
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json;charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:                     # the client went away (killed, timed out)
            handler.close_connection = True

    def _dispatch(self, handler, record: Recorded, body, headers: dict) -> tuple[int, Any]:
        if handler.headers.get("Authorization", "") != f"Bearer {self.token}":
            raise _Reply(401, "Authentication credentials not found. This API supports OAuth 2.0 "
                              "authentication and you can find more details at https://developers.hubspot.com/"
                              "docs/methods/auth/oauth-overview", "INVALID_AUTHENTICATION")
        record.auth_ok = True
        is_search = record.path.endswith("/search")
        self._rate_limit(record, is_search, headers)
        fault = self._fault(record)
        if fault in ("500", "502", "503"):
            raise _Reply(int(fault), "internal error" if fault == "500" else "Bad gateway"
                         if fault == "502" else "Service unavailable", "INTERNAL_ERROR")
        if fault == "429":
            record.policy = "TEN_SECONDLY_ROLLING"
            raise self._too_many("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.",
                                 1, headers)
        if fault == "reset":
            raise _Drop()
        with self.lock:
            status, payload = self._route(record.method, record.path, record.query, body)
        if fault == "504_after":
            raise _Reply(504, "Gateway timeout", "INTERNAL_ERROR")
        if fault == "drop_after":
            raise _Drop()
        return status, payload

    def _fault(self, record: Recorded) -> str | None:
        with self.lock:
            kind = self.fault_on.get(record.number)
            if kind is None and self.fault_rate and self.fault_kinds and (
                    self.fault_filter is None or self.fault_filter(record.method, record.path)):
                if self._random.random() < self.fault_rate:
                    kind = self._random.choice(self.fault_kinds)
        record.fault = kind
        return kind

    def _rate_limit(self, record: Recorded, is_search: bool, headers: dict) -> None:
        with self.lock:
            now = record.time
            while self._window and self._window[0] <= now - self.rate_window:
                self._window.popleft()
            while self._search_window and self._search_window[0] <= now - 1.0:
                self._search_window.popleft()
            daily_max = self.daily_limit if self.daily_limit is not None else 1_000_000
            if self.daily_limit is not None and self._daily_used >= self.daily_limit:
                record.policy = "DAILY"
                raise self._too_many("DAILY", "You have reached your daily limit.", None, headers,
                                     daily_max=daily_max)
            if len(self._window) >= self.rate_limit:
                record.policy = "TEN_SECONDLY_ROLLING"
                wait = self._window[0] + self.rate_window - now
                raise self._too_many("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.",
                                     max(1, math.ceil(wait)), headers, daily_max=daily_max)
            if is_search and len(self._search_window) >= self.search_rate:
                record.policy = "SECONDLY"
                raise self._too_many("SECONDLY", "You have reached your secondly limit.", 1, headers,
                                     daily_max=daily_max)
            self._window.append(now)
            if is_search:
                self._search_window.append(now)
            self._daily_used += 1
            if not is_search:
                headers.update(self._limit_headers(daily_max))

    def _limit_headers(self, daily_max: int) -> dict[str, str]:
        return {"X-HubSpot-RateLimit-Daily": str(daily_max),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, daily_max - self._daily_used)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.rate_window * 1000)),
                "X-HubSpot-RateLimit-Max": str(self.rate_limit),
                "X-HubSpot-RateLimit-Remaining": str(max(0, self.rate_limit - len(self._window)))}

    def _too_many(self, policy: str, message: str, retry_after: int | None, headers: dict,
                  daily_max: int | None = None) -> _Reply:
        extra = self._limit_headers(daily_max if daily_max is not None else
                                    (self.daily_limit if self.daily_limit is not None else 1_000_000))
        if retry_after is not None:
            extra["Retry-After"] = str(retry_after)
        body = {"status": "error", "message": message, "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()), "policyName": policy, "requestId": str(uuid.uuid4())}
        return _Reply(429, message, "RATE_LIMITS", headers=extra, body=body)

    # ---------------------------------------------------------------- routes
    def _route(self, method: str, path: str, query: dict, body) -> tuple[int, Any]:
        path = path.rstrip("/")
        if path == "/crm/v3/objects/contacts" and method == "GET":
            return 200, self._list(query)
        if path == "/crm/v3/objects/contacts/search" and method == "POST":
            return 200, self._search(body)
        if path == "/crm/v3/objects/contacts/batch/read" and method == "POST":
            return self._batch_read(body)
        if path == "/crm/v3/objects/contacts/batch/update" and method == "POST":
            return self._batch_update(body)
        if path == "/crm/v3/properties/contacts/groups":
            if method == "GET":
                return 200, {"results": [dict(g) for g in self.groups.values()]}
            if method == "POST":
                return 201, self._create_group(body)
        if path == "/crm/v3/properties/contacts":
            if method == "GET":
                return 200, {"results": [json.loads(json.dumps(p)) for p in self.properties.values()]}
            if method == "POST":
                return 201, self._create_property(body)
        match = re.fullmatch(r"/crm/v3/properties/contacts/([A-Za-z0-9_]+)", path)
        if match and method in ("GET", "PATCH"):
            name = match.group(1)
            if name not in self.properties:
                raise _Reply(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")
            if method == "PATCH":
                return 200, self._update_property(name, body)
            return 200, json.loads(json.dumps(self.properties[name]))
        if path == "/events/v3/events" and method == "GET":
            return 200, self._events(query)
        match = re.fullmatch(r"/crm/v3/objects/contacts/([0-9]+)", path)
        if match and method in ("GET", "PATCH"):
            return self._one_contact(method, match.group(1), query, body)
        companies = path.startswith(("/crm/v3/objects/companies", "/crm/v3/properties/companies"))
        if companies and not self.companies_scope:
            raise _Reply(403, "This app hasn't been granted all required scopes to make this call. Read more "
                              "about required scopes here: https://developers.hubspot.com/scopes.",
                         "MISSING_SCOPES", errors=[{"message": "One or more of the following scopes are "
                                                               "required.", "context": {"requiredScopes": [
                                                                   "crm.objects.companies.read"]}}])
        if path == "/crm/v3/objects/companies" and method == "GET":
            return 200, self._list_companies(query)
        if path == "/crm/v3/objects/companies/batch/read" and method == "POST":
            return self._batch_read(body, "companies")
        if path == "/crm/v3/objects/companies/batch/update" and method == "POST":
            if not self.companies_write_scope:
                raise _Reply(403, "This app hasn't been granted all required scopes to make this call.",
                             "MISSING_SCOPES", errors=[{"message": "One or more of the following scopes are "
                                                                   "required.", "context": {"requiredScopes": [
                                                                       "crm.objects.companies.write"]}}])
            return self._batch_update(body, "companies")
        if path == "/crm/v3/properties/companies/groups":
            if method == "GET":
                return 200, {"results": [dict(g) for g in self.company_groups.values()]}
            if method == "POST":
                return 201, self._create_group(body, "companies")
        if path == "/crm/v3/properties/companies":
            if method == "GET":
                return 200, {"results": [json.loads(json.dumps(p)) for p in self.company_properties.values()]}
            if method == "POST":
                return 201, self._create_property(body, "companies")
        match = re.fullmatch(r"/crm/v3/properties/companies/([A-Za-z0-9_]+)", path)
        if match and method in ("GET", "PATCH"):
            name = match.group(1)
            if name not in self.company_properties:
                raise _Reply(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")
            if method == "PATCH":
                return 200, self._update_property(name, body, "companies")
            return 200, json.loads(json.dumps(self.company_properties[name]))
        if path.startswith("/crm/v3/objects/deals") and not self.deals_scope:
            raise _Reply(403, "This app hasn't been granted all required scopes to make this call. Read more "
                              "about required scopes here: https://developers.hubspot.com/scopes.",
                         "MISSING_SCOPES", errors=[{"message": "One or more of the following scopes are "
                                                               "required.", "context": {"requiredScopes": [
                                                                   "crm.objects.deals.read"]}}])
        if path == "/crm/v3/objects/deals" and method == "GET":
            return 200, self._list_deals(query)
        match = re.fullmatch(r"/crm/v3/objects/deals/([0-9]+)/associations/([A-Za-z0-9_-]+)", path)
        if match and method == "GET":
            return 200, self._deal_associations(match.group(1), match.group(2), query)
        if path == "/crm/v3/objects/tasks" and method == "POST":
            return 201, self._create_task(body)
        if path == "/crm/v3/objects/tasks/search" and method == "POST":
            return 200, self._search_tasks(body)
        raise _Reply(404, f"No route for {method} {path}", "OBJECT_NOT_FOUND")

    def _one_contact(self, method: str, cid: str, query: dict, body) -> tuple[int, dict]:
        """``GET /crm/v3/objects/contacts/ID?properties=a,b`` and ``PATCH`` with ``{"properties": {...}}``."""
        contact = self.contacts.get(cid)
        if contact is None:
            raise _Reply(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                         context={"id": [cid]})
        if method == "GET":
            properties = [p for value in query.get("properties", []) for p in value.split(",") if p]
            return 200, self._shape(contact, properties)
        changes = (body or {}).get("properties")
        if not isinstance(changes, dict):
            raise _Reply(400, "Invalid input JSON: properties is required", "VALIDATION_ERROR")
        problems = [p for p in (self._invalid_value(n, v) for n, v in changes.items()) if p]
        if problems:
            raise _Reply(400, "Property values were not valid: " + "; ".join(problems), "VALIDATION_ERROR")
        changes = {k: (None if v == "" else str(v)) for k, v in changes.items()}
        contact["properties"].update(changes)
        self._touch(contact, dt.datetime.now(_UTC))
        self.updates[cid] += 1
        self.update_log.append((cid, changes))
        return 200, self._shape(contact, list(changes))

    def _create_task(self, body) -> dict:
        """``POST /crm/v3/objects/tasks``: ``hs_timestamp`` is required; an association to a
        contact must name one that exists, with the task-to-contact type (204)."""
        body = body or {}
        properties = body.get("properties") or {}
        if not properties.get("hs_timestamp"):
            raise _Reply(400, "Property values were not valid: hs_timestamp is required", "VALIDATION_ERROR")
        owner = properties.get("hubspot_owner_id")
        if owner is not None and not str(owner).isdigit():
            raise _Reply(400, f"Property values were not valid: {owner!r} is not a valid owner id", "VALIDATION_ERROR")
        for association in body.get("associations") or []:
            target = str((association.get("to") or {}).get("id"))
            types = association.get("types") or []
            if target not in self.contacts:
                raise _Reply(400, f"Associations were not valid: contact {target} does not exist", "VALIDATION_ERROR")
            if not any(t.get("associationTypeId") == 204 and t.get("associationCategory") == "HUBSPOT_DEFINED"
                       for t in types):
                raise _Reply(400, "Associations were not valid: a task is associated with a contact by type 204",
                             "VALIDATION_ERROR")
        with self.lock:
            tid = str(90000 + len(self.tasks) + 1)
            values = {k: (None if v is None else str(v)) for k, v in properties.items()}
            values["hs_object_id"] = tid
            self.tasks[tid] = {"id": tid, "properties": values, "associations": body.get("associations") or [],
                               "_modified": 0.0}
        return {"id": tid, "properties": values, "createdAt": iso(dt.datetime.now(_UTC)), "archived": False}

    def _search_tasks(self, body) -> dict:
        """Tasks search: ``EQ`` and ``CONTAINS_TOKEN`` (a whole word of the value, any case)."""
        groups = (body or {}).get("filterGroups") or []
        found = [t for t in self.tasks.values() if _matches(t, groups)]
        limit = (body or {}).get("limit", 10)
        return {"total": len(found), "results": [{"id": t["id"], "properties": dict(t["properties"])}
                                                 for t in found[:limit]]}

    def _shape(self, contact: dict, properties: Iterable[str] | None) -> dict:
        names = list(properties) if properties else list(_DEFAULT_PROPERTIES)
        values = contact["properties"]
        shown = {name: values.get(name) for name in names}
        for name in ("hs_object_id", "createdate", "lastmodifieddate"):
            shown.setdefault(name, values.get(name))
        return {"id": contact["id"], "properties": shown, "createdAt": contact["createdAt"],
                "updatedAt": contact["updatedAt"], "archived": False}

    def _list(self, query: dict) -> dict:
        limit = _int_param(query, "limit", 10)
        if not 1 <= limit <= 100:
            raise _Reply(400, f"limit must be between 1 and 100, was {limit}", "VALIDATION_ERROR",
                         errors=[{"message": "limit must be <= 100", "in": "limit"}])
        properties = [p for value in query.get("properties", []) for p in value.split(",") if p]
        after = query.get("after", [None])[0]
        start = bisect.bisect_left(self._ids, int(after)) if after else 0
        chosen = self._ids[start:start + limit]
        out: dict[str, Any] = {"results": [self._shape(self.contacts[str(i)], properties) for i in chosen]}
        if start + limit < len(self._ids):
            cursor = str(self._ids[start + limit])
            out["paging"] = {"next": {"after": cursor,
                                      "link": f"{self.url}/crm/v3/objects/contacts?after={cursor}"}}
        return out

    def _list_companies(self, query: dict) -> dict:
        """``GET /crm/v3/objects/companies``: as the contacts list (``limit`` <= 100, ``after``,
        ``properties``; without them ``name``, ``domain`` and the record's dates and id)."""
        limit = _int_param(query, "limit", 10)
        if not 1 <= limit <= 100:
            raise _Reply(400, f"limit must be between 1 and 100, was {limit}", "VALIDATION_ERROR",
                         errors=[{"message": "limit must be <= 100", "in": "limit"}])
        properties = [p for value in query.get("properties", []) for p in value.split(",") if p]
        names = properties or list(_COMPANY_DEFAULT_PROPERTIES)
        if (query.get("archived") or ["false"])[0].lower() == "true":
            return {"results": []}                  # the fake archives nothing
        after = query.get("after", [None])[0]
        try:
            start = bisect.bisect_left(self._company_ids, int(after)) if after else 0
        except ValueError:
            raise _Reply(400, f"Invalid paging cursor {after!r}", "VALIDATION_ERROR") from None
        results = []
        for number in self._company_ids[start:start + limit]:
            company = self.companies[str(number)]
            values = company["properties"]
            shown = {name: values.get(name) for name in names}
            for name in _COMPANY_ALWAYS:
                shown.setdefault(name, values.get(name))
            results.append({"id": company["id"], "properties": shown, "createdAt": company["createdAt"],
                            "updatedAt": company["updatedAt"], "archived": False})
        out: dict[str, Any] = {"results": results}
        if start + limit < len(self._company_ids):
            cursor = str(self._company_ids[start + limit])
            out["paging"] = {"next": {"after": cursor,
                                      "link": f"{self.url}/crm/v3/objects/companies?after={cursor}"}}
        return out

    def _list_deals(self, query: dict) -> dict:
        """``GET /crm/v3/objects/deals``: as the contacts list, plus ``associations`` (object
        types separated by commas; types it does not know are ignored, as HubSpot does)."""
        limit = _int_param(query, "limit", 10)
        if not 1 <= limit <= 100:
            raise _Reply(400, f"limit must be between 1 and 100, was {limit}", "VALIDATION_ERROR",
                         errors=[{"message": "limit must be <= 100", "in": "limit"}])
        properties = [p for value in query.get("properties", []) for p in value.split(",") if p]
        wanted = {a.strip().lower() for value in query.get("associations", []) for a in value.split(",")}
        if (query.get("archived") or ["false"])[0].lower() == "true":
            return {"results": []}                  # the fake archives nothing
        after = query.get("after", [None])[0]
        try:
            start = bisect.bisect_left(self._deal_ids, int(after)) if after else 0
        except ValueError:
            raise _Reply(400, f"Invalid paging cursor {after!r}", "VALIDATION_ERROR") from None
        chosen = self._deal_ids[start:start + limit]
        out: dict[str, Any] = {"results": [self._deal_shape(self.deals[str(i)], properties,
                                                            bool(wanted & _CONTACT_TYPES)) for i in chosen]}
        if start + limit < len(self._deal_ids):
            cursor = str(self._deal_ids[start + limit])
            out["paging"] = {"next": {"after": cursor, "link": f"{self.url}/crm/v3/objects/deals?after={cursor}"}}
        return out

    def _deal_shape(self, deal: dict, properties: Iterable[str] | None, contacts: bool) -> dict:
        names = list(properties) if properties else list(_DEAL_DEFAULT_PROPERTIES)
        values = deal["properties"]
        shown = {name: values.get(name) for name in names}
        for name in _DEAL_ALWAYS:
            shown.setdefault(name, values.get(name))
        out = {"id": deal["id"], "properties": shown, "createdAt": deal["createdAt"], "updatedAt": deal["updatedAt"],
               "archived": False}
        if contacts and deal["_contacts"]:       # HubSpot leaves out an association type with none
            block: dict[str, Any] = {"results": [dict(e) for e in deal["_contacts"][:_ASSOCIATIONS_INLINE]]}
            if len(deal["_contacts"]) > _ASSOCIATIONS_INLINE:
                cursor = _cursor(_ASSOCIATIONS_INLINE)
                block["paging"] = {"next": {"after": cursor, "link": f"{self.url}/crm/v3/objects/deals/"
                                                                     f"{deal['id']}/associations/contacts?after={cursor}"}}
            out["associations"] = {"contacts": block}
        return out

    def _deal_associations(self, did: str, to_type: str, query: dict) -> dict:
        """``GET /crm/v3/objects/deals/ID/associations/contacts``: ``{"results": [{"id", "type"}]}``,
        ``limit`` (default and most 500) and ``after``."""
        deal = self.deals.get(did)
        if deal is None:
            raise _Reply(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                         context={"id": [did]})
        if to_type.lower() not in _CONTACT_TYPES:
            return {"results": []}
        limit = _int_param(query, "limit", 500)
        if not 1 <= limit <= 500:
            raise _Reply(400, f"limit must be between 1 and 500, was {limit}", "VALIDATION_ERROR")
        cursor = (query.get("after") or [None])[0]
        try:
            start = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
        except ValueError:
            raise _Reply(400, f"Invalid paging cursor {cursor!r}", "VALIDATION_ERROR") from None
        entries = deal["_contacts"]
        out: dict[str, Any] = {"results": [dict(e) for e in entries[start:start + limit]]}
        if start + limit < len(entries):
            token = _cursor(start + limit)
            out["paging"] = {"next": {"after": token, "link": f"{self.url}/crm/v3/objects/deals/{did}/associations/"
                                                              f"contacts?after={token}"}}
        return out

    def _search(self, body) -> dict:
        body = body or {}
        limit = body.get("limit", 10)
        if not isinstance(limit, int) or not 1 <= limit <= 200:
            raise _Reply(400, "limit must be between 1 and 200", "VALIDATION_ERROR")
        after = int(body.get("after") or 0)
        if after + limit > self.search_cap:
            raise _Reply(400, f"There was a problem with the request. Paging is limited to "
                              f"{self.search_cap} results (after={after}, limit={limit})", "VALIDATION_ERROR")
        groups = body.get("filterGroups") or []
        if len(groups) > 5 or sum(len(g.get("filters", [])) for g in groups) > 18:
            raise _Reply(400, "Too many filter groups or filters", "VALIDATION_ERROR")
        sorts = body.get("sorts") or []
        if len(sorts) > 1:
            raise _Reply(400, "Only one sort is supported", "VALIDATION_ERROR")
        key = (json.dumps(groups, sort_keys=True), json.dumps(sorts, sort_keys=True), self._version)
        if self._search_cache is not None and self._search_cache[0] == key:
            matches = self._search_cache[1]          # the next page of the same query
        else:
            matches = [c for c in self.contacts.values() if _matches(c, groups)]
            if sorts:
                sort = sorts[0]
                name = sort.get("propertyName")
                descending = str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"
                numeric = self.properties.get(name, {}).get("type") in ("number", "datetime", "date")
                matches.sort(key=lambda c: (_sort_key(c, name, numeric), int(c["id"])), reverse=descending)
            else:
                matches.sort(key=lambda c: int(c["id"]))
            self._search_cache = (key, matches)
        page = matches[after:after + limit]
        out: dict[str, Any] = {"total": len(matches),
                               "results": [self._shape(c, body.get("properties")) for c in page]}
        if after + limit < len(matches):
            out["paging"] = {"next": {"after": str(after + limit)}}
        return out

    def _inputs(self, body, what: str) -> list:
        inputs = (body or {}).get("inputs")
        if not isinstance(inputs, list):
            raise _Reply(400, "Invalid input JSON: inputs is required", "VALIDATION_ERROR")
        if len(inputs) > 100:
            raise _Reply(400, f"Batch input limit exceeded: {len(inputs)} inputs were given, the maximum for "
                              f"{what} is 100", "VALIDATION_ERROR",
                         context={"limit": ["100"], "given": [str(len(inputs))]})
        return inputs

    def _kind(self, object_type: str):
        """``(objects by id, property definitions, update counter, update log, shape, label)``."""
        if object_type == "companies":
            return (self.companies, self.company_properties, self.company_updates, self.company_update_log,
                    self._company_shape, "COMPANY")
        return self.contacts, self.properties, self.updates, self.update_log, self._shape, "CONTACT"

    def _company_shape(self, company: dict, properties: Iterable[str] | None) -> dict:
        names = list(properties) if properties else list(_COMPANY_DEFAULT_PROPERTIES)
        values = company["properties"]
        shown = {name: values.get(name) for name in names}
        for name in _COMPANY_ALWAYS:
            shown.setdefault(name, values.get(name))
        return {"id": company["id"], "properties": shown, "createdAt": company["createdAt"],
                "updatedAt": company["updatedAt"], "archived": False}

    def _touch_object(self, record: dict, when: dt.datetime, object_type: str) -> None:
        if object_type == "companies":
            record["properties"]["hs_lastmodifieddate"] = iso(when)
            record["updatedAt"] = iso(when)
        else:
            self._touch(record, when)

    def _batch_read(self, body, object_type: str = "contacts") -> tuple[int, dict]:
        started = iso(dt.datetime.now(_UTC))
        inputs = self._inputs(body, "batch read")
        objects, _props, _updates, _log, shape, label = self._kind(object_type)
        results, missing = [], []
        for item in inputs:
            contact = objects.get(str(item.get("id")))
            if contact is None:
                missing.append(str(item.get("id")))
            else:
                results.append(shape(contact, body.get("properties")))
        out = {"status": "COMPLETE", "results": results, "startedAt": started,
               "completedAt": iso(dt.datetime.now(_UTC))}
        if missing:
            out["numErrors"] = 1
            out["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                              "message": f"Could not get some {label} objects, they may be deleted or not exist. "
                                         "Check that ids are valid.", "context": {"ids": missing}}]
            return 207, out
        return 200, out

    def _batch_update(self, body, object_type: str = "contacts") -> tuple[int, dict]:
        started = iso(dt.datetime.now(_UTC))
        inputs = self._inputs(body, "batch update")
        objects, _props, updates, log, shape, label = self._kind(object_type)
        ids = [str(item.get("id")) for item in inputs]
        if len(set(ids)) != len(ids):
            raise _Reply(400, "Duplicate IDs found in batch input: " + ", ".join(
                sorted({i for i in ids if ids.count(i) > 1})), "VALIDATION_ERROR")
        problems = []
        for item in inputs:
            for name, value in (item.get("properties") or {}).items():
                problem = self._invalid_value(name, value, object_type)
                if problem:
                    problems.append({"message": problem, "code": problem.split(":")[0], "in": name})
        if problems:
            raise _Reply(400, "Property values were not valid: " + json.dumps(
                [{"isValid": False, "message": p["message"], "name": p["in"]} for p in problems[:10]]),
                "VALIDATION_ERROR", errors=problems[:10])
        now = dt.datetime.now(_UTC)
        results, missing = [], []
        for item in inputs:
            contact = objects.get(str(item.get("id")))
            if contact is None:
                missing.append(str(item.get("id")))
                continue
            changes = {k: (None if v == "" else str(v)) for k, v in (item.get("properties") or {}).items()}
            contact["properties"].update(changes)
            self._touch_object(contact, now, object_type)
            updates[contact["id"]] += 1
            log.append((contact["id"], changes))
            results.append(shape(contact, list(changes)))
        out = {"status": "COMPLETE", "results": results, "startedAt": started,
               "completedAt": iso(dt.datetime.now(_UTC))}
        if missing:
            out["numErrors"] = 1
            out["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                              "message": f"Could not update some {label} objects, they may be deleted or not exist.",
                              "context": {"ids": missing}}]
            return 207, out
        return 200, out

    def _invalid_value(self, name: str, value, object_type: str = "contacts") -> str | None:
        prop = self._kind(object_type)[1].get(name)
        if prop is None:
            return f"PROPERTY_DOESNT_EXIST: Property \"{name}\" does not exist"
        if prop["modificationMetadata"].get("readOnlyValue"):
            return f"READ_ONLY_VALUE: \"{name}\" is a read only property; its value cannot be set."
        if value is None or value == "":
            return None
        text = str(value)
        kind = prop["type"]
        if kind == "number":
            try:
                number = float(text)
            except ValueError:
                return f"INVALID_LONG: {text!r} is not a valid number for \"{name}\""
            if not math.isfinite(number):
                return f"INVALID_LONG: {text!r} is not a valid number for \"{name}\""
        elif kind == "enumeration":
            allowed = {o["value"] for o in prop.get("options", [])}
            parts = text.split(";") if prop["fieldType"] == "checkbox" else [text]
            bad = [p for p in parts if p not in allowed]
            if bad:
                return (f"INVALID_OPTION: {bad[0]!r} was not one of the allowed options: "
                        f"{', '.join(sorted(allowed))}")
        elif kind == "bool" and text not in ("true", "false"):
            return f"INVALID_BOOLEAN: {text!r} is not a valid boolean"
        elif kind in ("date", "datetime"):
            try:
                _parse_instant(text)
            except ValueError:
                return f"INVALID_DATE: {text!r} is not a valid date"
        return None

    def _create_group(self, body, object_type: str = "contacts") -> dict:
        groups = self.company_groups if object_type == "companies" else self.groups
        body = body or {}
        name, label = body.get("name"), body.get("label")
        if not isinstance(name, str) or not _NAME.fullmatch(name) or not label:
            raise _Reply(400, "Invalid input JSON: name and label are required; the name must be lower-case "
                              "letters, digits and underscores", "VALIDATION_ERROR")
        if name in groups:
            raise _Reply(409, f"A property group named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        group = {"name": name, "label": label, "displayOrder": int(body.get("displayOrder", -1)), "archived": False}
        groups[name] = group
        return dict(group)

    def _create_property(self, body, object_type: str = "contacts") -> dict:
        body = body or {}
        properties = self._kind(object_type)[1]
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise _Reply(400, f"Invalid input JSON: missing {', '.join(missing)}", "VALIDATION_ERROR")
        name = body["name"]
        if not _NAME.fullmatch(name) or len(name) > 100:
            raise _Reply(400, f"Property name '{name}' is not valid: use lower-case letters, digits and "
                              "underscores, starting with a letter", "VALIDATION_ERROR")
        if name in properties:
            raise _Reply(409, f"Property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        self._check_definition(body, object_type)
        now = iso(dt.datetime.now(_UTC))
        prop = {"name": name, "label": body["label"], "type": body["type"], "fieldType": body["fieldType"],
                "description": body.get("description", ""), "groupName": body["groupName"],
                "options": [_clean_option(o, i) for i, o in enumerate(body.get("options") or [])],
                "displayOrder": body.get("displayOrder", -1), "calculated": False, "externalOptions": False,
                "hasUniqueValue": bool(body.get("hasUniqueValue", False)), "hidden": bool(body.get("hidden", False)),
                "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False},
                "formField": bool(body.get("formField", False)), "createdAt": now, "updatedAt": now,
                "archived": False}
        properties[name] = prop
        return json.loads(json.dumps(prop))

    def _check_definition(self, body, object_type: str = "contacts") -> None:
        kind, field = body.get("type"), body.get("fieldType")
        if kind not in _FIELD_TYPES:
            raise _Reply(400, f"Invalid type '{kind}'", "VALIDATION_ERROR")
        if field not in _FIELD_TYPES[kind]:
            raise _Reply(400, f"fieldType '{field}' is not valid for type '{kind}'", "VALIDATION_ERROR")
        groups = self.company_groups if object_type == "companies" else self.groups
        if body.get("groupName") is not None and body["groupName"] not in groups:
            raise _Reply(400, f"The group '{body['groupName']}' does not exist", "VALIDATION_ERROR")
        if kind == "enumeration" and not body.get("options"):
            raise _Reply(400, "An enumeration property needs options", "VALIDATION_ERROR")

    def _update_property(self, name: str, body, object_type: str = "contacts") -> dict:
        properties = self._kind(object_type)[1]
        prop = properties[name]
        if prop["modificationMetadata"].get("readOnlyDefinition"):
            raise _Reply(400, f"Property {name} is read only", "VALIDATION_ERROR")
        body = dict(body or {})
        merged = {**prop, **{k: v for k, v in body.items() if k != "options"}}
        if "options" in body:
            merged["options"] = [_clean_option(o, i) for i, o in enumerate(body["options"])]
        self._check_definition(merged, object_type)
        merged["updatedAt"] = iso(dt.datetime.now(_UTC))
        properties[name] = merged
        return json.loads(json.dumps(merged))

    def _events(self, query: dict) -> dict:
        if not self.events_api:
            raise _Reply(403, "This app hasn't been granted all required scopes to make this call. Read more "
                              "about required scopes here: https://developers.hubspot.com/scopes.",
                         "MISSING_SCOPES", errors=[{"message": "One or more of the following scopes are "
                                                               "required.", "context": {"requiredScopes": [
                                                                   "analytics.behavioral_events.read"]}}])
        object_type = (query.get("objectType") or [None])[0]
        object_id = (query.get("objectId") or [None])[0]
        if object_type not in ("contact", "0-1"):
            raise _Reply(400, "objectType is required (e.g. contact)", "VALIDATION_ERROR")
        if not object_id and not any(k.startswith("objectProperty.") for k in query):
            raise _Reply(400, "objectId is required when no objectProperty.* parameter is given",
                         "VALIDATION_ERROR")
        limit = _int_param(query, "limit", 20)
        if not 1 <= limit <= 100:
            raise _Reply(400, "limit must be between 1 and 100", "VALIDATION_ERROR")
        items = list(self.events.get(str(object_id), ()))
        event_type = (query.get("eventType") or [None])[0]
        if event_type:
            items = [e for e in items if e["eventType"] == event_type]
        after_time = (query.get("occurredAfter") or [None])[0]
        before_time = (query.get("occurredBefore") or [None])[0]
        if after_time:
            low = _parse_instant(after_time)
            items = [e for e in items if e["_ms"] >= low]
        if before_time:
            high = _parse_instant(before_time)
            items = [e for e in items if e["_ms"] <= high]
        if (query.get("sort") or [""])[0].startswith("-"):
            items.reverse()
        cursor = (query.get("after") or [None])[0]
        start = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
        page = items[start:start + limit]
        out: dict[str, Any] = {"results": [{k: v for k, v in e.items() if not k.startswith("_")} for e in page]}
        if start + limit < len(items):
            token = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
            out["paging"] = {"next": {"after": token, "link": f"{self.url}/events/v3/events?after={token}"}}
        return out


# ------------------------------------------------------------------ search filters

def _sort_key(contact: dict, name: str, numeric: bool):
    value = contact["properties"].get(name)
    if name == "lastmodifieddate":
        return contact["_modified"]
    if value is None:
        return math.inf if numeric else "\uffff"
    if numeric:
        try:
            return _parse_instant(value) if not re.fullmatch(r"-?[0-9.]+", value) else float(value)
        except ValueError:
            return math.inf
    return value.lower()


def _matches(contact: dict, groups: list) -> bool:
    if not groups:
        return True
    return any(all(_filter(contact, f) for f in group.get("filters", [])) for group in groups)


def _filter(contact: dict, f: dict) -> bool:
    name, op = f.get("propertyName"), str(f.get("operator", "EQ")).upper()
    raw = contact["properties"].get(name)
    if op == "HAS_PROPERTY":
        return raw not in (None, "")
    if op == "NOT_HAS_PROPERTY":
        return raw in (None, "")
    if raw in (None, ""):
        return False
    value = contact["_modified"] if name == "lastmodifieddate" else raw

    def number(x):
        if isinstance(x, float):
            return x
        text = str(x)
        if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
            return float(text)
        return _parse_instant(text)

    try:
        if op in ("EQ", "NEQ"):
            try:
                same = number(value) == number(f.get("value"))
            except ValueError:
                same = str(value).lower() == str(f.get("value")).lower()
            return same if op == "EQ" else not same
        if op in ("LT", "LTE", "GT", "GTE"):
            left, right = number(value), number(f.get("value"))
            return {"LT": left < right, "LTE": left <= right, "GT": left > right, "GTE": left >= right}[op]
        if op == "BETWEEN":
            return number(f.get("value")) <= number(value) <= number(f.get("highValue"))
        if op == "IN":
            return str(value).lower() in {str(v).lower() for v in f.get("values", [])}
        if op == "CONTAINS_TOKEN":
            return str(f.get("value")).lower() in re.findall(r"[a-z0-9]+", str(value).lower())
    except ValueError:
        return False
    raise _Reply(400, f"Unsupported operator {op}", "VALIDATION_ERROR")


def _cursor(offset: int) -> str:
    """An opaque paging cursor for an offset (as the events and association cursors look)."""
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _int_param(query: dict, name: str, default: int) -> int:
    try:
        return int((query.get(name) or [default])[0])
    except ValueError:
        raise _Reply(400, f"{name} must be an integer", "VALIDATION_ERROR") from None


def _clean_option(option: Mapping, order: int) -> dict:
    return {"label": option.get("label", option.get("value")), "value": option.get("value"),
            "displayOrder": option.get("displayOrder", order), "hidden": bool(option.get("hidden", False))}


def _error_body(message: str, category: str, errors=None, context=None) -> dict:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    if errors:
        body["errors"] = errors
    if context:
        body["context"] = context
    return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # headers and body are two writes: do not wait for an ACK
    server_fake: FakeHubSpot

    def do_GET(self):  # noqa: N802
        self.server_fake._handle(self)

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
        pass
