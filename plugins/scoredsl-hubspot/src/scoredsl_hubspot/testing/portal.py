"""A deterministic fake portal: contacts with HubSpot's standard and analytics properties,
page-view events, deals, and the same data written as scoredsl CSV files.

    portal = generate_portal(25_000, seed=7)
    generate_deals(portal, seed=3)               # optional: won, lost and open deals
    portal.load(fake)                            # into a FakeHubSpot
    portal.write_csv("data/", TEST_PROPERTIES)   # contacts.csv and events.csv for csv:data/
    portal.write_outcomes("data/outcomes.csv")   # what the deals say, for scoredsl backtest

Values are the strings HubSpot holds (numbers as ``"12"``, datetimes as
``2026-10-01T09:30:00.123Z``), which scoredsl's CSV source reads the same way, so a run on the
fake portal and a run on the CSV files must give the same results.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
from typing import Mapping

import attrs

from .fake import FakeHubSpot, iso

__all__ = ["AS_OF", "Portal", "generate_portal", "generate_deals", "TEST_PROPERTIES", "TEST_EVENT_ATTRIBUTES"]

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)

#: How the test rule file (``tests/rules/hubspot.score``) names HubSpot's properties.
TEST_PROPERTIES = {
    "email": "email",
    "job_title": "jobtitle",
    "industry": "industry",
    "company_size": "numemployees",
    "country": "country",
    "lifecycle_stage": "lifecyclestage",
    "email_opens": "hs_email_open",
    "email_clicks": "hs_email_click",
    "email_bounces": "hs_email_bounce",
    "last_open": "hs_email_last_open_date",
    "last_click": "hs_email_last_click_date",
    "page_views": "hs_analytics_num_page_views",
    "visits": "hs_analytics_num_visits",
    "last_visit": "hs_analytics_last_visit_timestamp",
    "conversions": "num_conversion_events",
    "last_conversion": "recent_conversion_date",
    "last_form": "recent_conversion_event_name",
    "created": "createdate",
}
#: page_view's attributes, from the properties of HubSpot's e_visited_page events.
TEST_EVENT_ATTRIBUTES = {"url": "hs_url"}

_FIRST = ["ana", "ben", "chloe", "dev", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "lena", "mo",
          "nia", "omar", "pia", "quinn", "raj", "sara", "tom"]
_LAST = ["smith", "garcia", "chen", "novak", "okafor", "larsen", "rossi", "kim", "dubois", "silva"]
_DOMAINS = ["northwind.io", "ledgerly.co", "acme-retail.com", "gmail.com", "brightdata.ai", "uni.edu",
            "cityhall.gov", "fabrikam.de"]
_TITLES = ["VP of Sales", "Director of Marketing", "Head of RevOps", "CEO", "Marketing Manager",
           "Sales Manager", "Software Engineer", "Analyst", "Student", "Chief Technology Officer",
           "Product Lead", "Consultant", None, None]
_INDUSTRIES = ["Software", "SaaS", "FinTech", "eCommerce", "Education", "Government", "Retail",
               "Manufacturing", "Healthcare", None]
_SIZES = ["1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+", None]
_COUNTRIES = ["United States", "Canada", "United Kingdom", "Germany", "France", "India", "Brazil", None]
_STAGES = ["lead"] * 8 + ["subscriber"] * 3 + ["marketingqualifiedlead", "customer", "evangelist",
                                                "opportunity"]
_FORMS = ["demo-request", "ebook", "newsletter-signup", "contact-sales", "webinar-replay"]
_PAGES = ["/pricing", "/pricing", "/blog/lead-scoring", "/demo", "/careers/engineer", "/", "/customers",
          "/blog/mql-vs-sql"]


@attrs.define
class Portal:
    contacts: list[dict]                   # {"id", "created", "modified", "properties"}
    events: list[tuple]                    # (contact id, HubSpot event type, when, properties)
    deals: list[dict] = attrs.field(factory=list)   # {"id", "created", "properties", "contacts", "labels"}

    def load(self, fake: FakeHubSpot) -> None:
        for contact in self.contacts:
            fake.add_contact(contact["properties"], id=contact["id"], created=contact["created"],
                             modified=contact["modified"])
        for contact_id, kind, when, props in self.events:
            fake.add_event(contact_id, kind, when, props)
        for deal in self.deals:
            fake.add_deal(deal["properties"], id=deal["id"], contacts=deal["contacts"], labels=deal["labels"],
                          created=deal["created"])

    def outcomes(self) -> list[tuple[str, str, str]]:
        """``(contact_id, outcome, at)`` for every closed deal and each of its contacts, in deal
        order: ``won`` for the stage ``closedwon``, ``lost`` for ``closedlost``."""
        rows = []
        for deal in self.deals:
            stage = deal["properties"].get("dealstage")
            if stage in ("closedwon", "closedlost"):
                for contact_id in dict.fromkeys(deal["contacts"]):
                    rows.append((contact_id, "won" if stage == "closedwon" else "lost",
                                 deal["properties"]["closedate"]))
        return rows

    def write_outcomes(self, path: str | os.PathLike) -> None:
        """An outcomes CSV file (``contact_id``, ``outcome``, ``at``) of :meth:`outcomes`."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(["contact_id", "outcome", "at"])
            writer.writerows(self.outcomes())

    def write_csv(self, folder: str | os.PathLike, properties: Mapping[str, str] = TEST_PROPERTIES,
                  event_attributes: Mapping[str, str] = TEST_EVENT_ATTRIBUTES) -> None:
        """``contacts.csv`` (``id`` and the schema's properties) and ``events.csv`` (page_view
        events) in ``folder``, with the values the portal holds."""
        os.makedirs(folder, exist_ok=True)
        names = list(properties)
        with open(os.path.join(folder, "contacts.csv"), "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(["id", *names])
            for contact in self.contacts:
                values = dict(contact["properties"], createdate=iso(contact["created"]))
                writer.writerow([contact["id"], *[values.get(properties[n]) or "" for n in names]])
        with open(os.path.join(folder, "events.csv"), "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(["contact_id", "type", "timestamp", *event_attributes])
            for contact_id, kind, when, props in self.events:
                if kind == "e_visited_page":
                    writer.writerow([contact_id, "page_view", iso(when),
                                     *[props.get(h, "") for h in event_attributes.values()]])


def _when(rng: random.Random, base: dt.datetime, max_days: float, min_days: float = 0.0) -> dt.datetime:
    seconds = rng.uniform(min_days * 86400, max_days * 86400)
    return (base - dt.timedelta(seconds=seconds)).replace(microsecond=rng.randrange(1000) * 1000)


def generate_portal(n: int = 25_000, *, seed: int = 7, as_of: dt.datetime = AS_OF,
                    bulk_import: int = 300) -> Portal:
    """``n`` contacts (ids from 1001 with gaps), about a quarter with web activity and page-view
    events; ``bulk_import`` of them share one ``lastmodifieddate`` (as after a CSV import), which
    exercises paging over ties."""
    rng = random.Random(seed)
    contacts, events = [], []
    import_time = (as_of - dt.timedelta(days=240)).replace(microsecond=0)
    next_id = 1000
    for i in range(n):
        next_id += rng.choice((1, 1, 1, 2, 5))
        cid = str(next_id)
        created = _when(rng, import_time, 300, 1) if i < bulk_import else _when(rng, as_of, 700, 2)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        props: dict[str, str | None] = {
            "email": f"{first}.{last}{i}@{rng.choice(_DOMAINS)}",
            "firstname": first.title(), "lastname": last.title(),
            "jobtitle": rng.choice(_TITLES), "industry": rng.choice(_INDUSTRIES),
            "numemployees": rng.choice(_SIZES), "country": rng.choice(_COUNTRIES),
            "lifecyclestage": rng.choice(_STAGES),
        }
        delivered = rng.choice([0, 0, rng.randint(1, 40)])
        opens = rng.randint(0, delivered) if delivered and rng.random() < 0.7 else 0
        clicks = rng.randint(0, min(opens, 10)) if opens and rng.random() < 0.5 else 0
        props.update(hs_email_delivered=str(delivered), hs_email_open=str(opens), hs_email_click=str(clicks),
                     hs_email_bounce="1" if delivered and rng.random() < 0.03 else "0")
        if delivered:
            props["hs_email_last_send_date"] = iso(_when(rng, as_of, 60))
        if opens:
            props["hs_email_last_open_date"] = iso(_when(rng, as_of, 200))
        if clicks:
            props["hs_email_last_click_date"] = iso(_when(rng, as_of, 120))
        views = rng.randint(1, 60) if rng.random() < 0.25 else 0
        props.update(hs_analytics_num_page_views=str(views),
                     hs_analytics_num_visits=str(max(1, views // 3) if views else 0))
        if views:
            props["hs_analytics_last_visit_timestamp"] = iso(_when(rng, as_of, 90))
            for _ in range(min(views, rng.randint(1, 6))):
                events.append((cid, "e_visited_page", _when(rng, as_of, 150),
                               {"hs_url": rng.choice(_PAGES), "hs_page_title": "Acme"}))
        conversions = rng.randint(1, 4) if rng.random() < 0.15 else 0
        props["num_conversion_events"] = str(conversions)
        if conversions:
            props["recent_conversion_date"] = iso(_when(rng, as_of, 90))
            props["recent_conversion_event_name"] = rng.choice(_FORMS)
        modified = import_time if i < bulk_import else _when(rng, as_of, (as_of - created).days + 0.5, 0.01)
        contacts.append({"id": cid, "created": created, "modified": max(modified, created), "properties": props})
    return Portal(contacts=contacts, events=events)


def generate_deals(portal: Portal, *, seed: int = 3, as_of: dt.datetime = AS_OF, share: float = 0.15,
                   first_id: int = 50001) -> Portal:
    """Add deals to ``portal``: about ``share`` of the contacts get one, more often the engaged
    ones (email clicks, form submissions, senior titles), so a model has something to find. A
    deal is won, lost or still open (an open deal's ``closedate`` is its expected close, in the
    future); one in ten has a second contact, and some contacts carry an association label too
    (HubSpot then lists them twice). Close dates fall between the contact's creation and
    ``as_of``. Returns ``portal``."""
    rng = random.Random(seed)
    next_id = first_id
    contacts = portal.contacts
    for contact in contacts:
        props = contact["properties"]
        chance = share * 0.5
        if int(props.get("hs_email_click") or 0) > 0:
            chance += share
        if int(props.get("num_conversion_events") or 0) > 0:
            chance += share * 1.5
        if any(word in (props.get("jobtitle") or "") for word in ("VP", "Head", "Chief", "CEO", "Director")):
            chance += share * 0.5
        if props.get("jobtitle") == "Student":
            chance /= 4
        if rng.random() >= chance:
            continue
        created = contact["created"]
        stage = rng.choices(["closedwon", "closedlost", "contractsent", "qualifiedtobuy"], [35, 40, 15, 10])[0]
        span = max((as_of - created).total_seconds() - 2 * 86400, 3600.0)
        if stage in ("closedwon", "closedlost"):
            closed = created + dt.timedelta(seconds=86400 + rng.uniform(0, span))
        else:
            closed = as_of + dt.timedelta(days=rng.randint(10, 90))
        closed = closed.replace(microsecond=rng.randrange(1000) * 1000)
        deal_contacts = [contact["id"]]
        if rng.random() < 0.1:
            other = rng.choice(contacts)["id"]
            if other != contact["id"]:
                deal_contacts.append(other)
        labels = {contact["id"]: ["decision_maker"]} if rng.random() < 0.1 else {}
        portal.deals.append({
            "id": str(next_id), "created": min(created + dt.timedelta(hours=1), as_of), "contacts": deal_contacts,
            "labels": labels,
            "properties": {"dealname": f"{props.get('lastname') or 'Deal'} {next_id}", "dealstage": stage,
                           "pipeline": "default", "closedate": iso(closed),
                           "amount": str(rng.randrange(10, 500) * 100)}})
        next_id += 1
    return portal
