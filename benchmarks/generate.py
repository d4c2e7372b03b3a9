#!/usr/bin/env python3
"""Generate benchmark contacts and events for the schema of examples/b2b_saas, at any size.

    python benchmarks/generate.py --contacts 10000 --events-per-contact 20 --out DIR
                                  [--format csv|jsonl|parquet] [--seed N]

writes ``DIR/contacts.csv`` and ``DIR/events.csv`` in the layout the ``csv:`` source reads
(``--format jsonl`` writes ``.jsonl`` files instead; ``--format parquet`` writes the CSV files
and converts them to ``.parquet`` with DuckDB). The data is meant to be scored as of
``2026-11-01T00:00:00Z`` (``AS_OF``) with ``examples/b2b_saas/model.score``.

Deterministic: the same seed and arguments give byte-identical files (randomness comes only
from one seeded ``random.Random``). Streaming: one contact's events are in memory at a time.

What makes the data realistic (and hard):

* contacts sorted by id (``c0000001``, zero-padded, code-point order) with gaps, some of
  which still have events (orphans, as after a CRM deletion); events grouped by contact in
  the same order, in random time order within a contact;
* blank values in most properties (5-30%, some white space only), mixed case and stray
  spaces in text, bools written ``true``/``False``/``yes``/``0``...;
* heavy-tailed event counts (a lognormal mixture whose mean is ``--events-per-contact``:
  many contacts have few or none, some have hundreds);
* values on every band edge of the model (employees 9/10/49/50/199/200/999/1000, revenue
  999999.99/1000000/50000000/50000000.01), job titles that do and do not match its regexes,
  customers, open opportunities, employees, partners, competitors, students;
* timestamps exactly on window and decay edges (as_of - 30d, 60d, 90d, 180d, and 1 µs either
  side), exactly at as_of, after as_of (to be ignored), some with a UTC offset;
* event types the schema does not declare (skipped by every reader).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import json
import math
import os
import random
import sys
import time

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
DAY = 86_400
CONTACT_COLUMNS = ["id", "email", "company", "job_title", "industry", "employees", "annual_revenue",
                   "country", "phone", "persona", "original_source", "referrer", "company_type",
                   "lifecycle_stage", "open_deals", "email_opt_out", "sales_feedback", "created"]
ATTRIBUTES = ["campaign", "newsletter", "url", "cta", "form", "webinar", "network"]
EVENT_COLUMNS = ["contact_id", "type", "timestamp", *ATTRIBUTES]
# The schema's types of the non-text columns (for JSONL and Parquet output).
TYPES = {"employees": "int", "open_deals": "int", "annual_revenue": "number", "email_opt_out": "bool",
         "newsletter": "bool", "created": "date", "timestamp": "datetime"}

OLDEST_DAYS = 800          # no event is older than this
LATEST_DAYS = 60           # nor this far after as_of


# ====================================================================== vocabulary
# (value, weight) pairs; Pool turns them into flat lists with blanks and messy variants.

FIRST = ["ava", "ben", "chloe", "daniel", "elena", "felix", "grace", "hugo", "isla", "jonas", "kira",
         "liam", "maya", "noah", "olivia", "pedro", "quinn", "rosa", "samir", "tara", "umar", "vera",
         "wei", "ximena", "yusuf", "zoe", "aisha", "bruno", "carmen", "dev", "emma", "farah", "kenji",
         "leila", "marco", "nina", "oscar", "priya", "rafael", "sofia", "tomas", "viktor", "zain"]
LAST = ["adams", "berg", "costa", "dubois", "eriksen", "fischer", "garcia", "hughes", "ito", "jensen",
        "kowalski", "lopez", "moreau", "nakamura", "okafor", "patel", "rossi", "schmidt", "tanaka",
        "visser", "walsh", "xu", "yilmaz", "ahmed", "chen", "das", "gupta", "kim", "novak", "singh"]
CO_HEAD = ["North", "Blue", "Bright", "Iron", "Silver", "Cedar", "Summit", "Harbor", "Vertex", "Lumen",
           "Nova", "Atlas", "Pine", "Quantum", "Orbit", "Red", "Clear", "Swift", "Copper", "Willow"]
CO_TAIL = ["wind", "stone", "path", "field", "peak", "works", "labs", "logic", "ware", "point",
           "bridge", "line", "grid", "stack", "flow", "leaf"]
CO_SUFFIX = ["", "", "", " Inc", " Ltd", " GmbH", " Group", " Software", " Systems", ", Inc."]
TLDS = [".com", ".com", ".com", ".io", ".co", ".de", ".co.uk", ".fr"]
PERSONAL = ["gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com"]
COMPETITOR_DOMAINS = [("rivalytics.io", 3), ("leadlens.com", 3), ("scorehub.io", 2), ("ScoreHub.COM", 1),
                      ("rivalytics.io.example.net", 1), ("leadlens.co", 1)]   # the last two: no match

JOB_TITLES = [
    # decision makers (+20)
    ("VP of Sales", 30), ("vp marketing", 20), ("VP, Revenue Operations", 10), ("Vice President Marketing", 10),
    ("Chief Revenue Officer", 8), ("CMO", 8), ("CEO", 8), ("Founder & CEO", 6), ("Director of Marketing", 25),
    ("Sales Director", 15), ("Head of Growth", 15), ("head of demand generation", 8), ("HEAD OF SALES", 6),
    ("Chief of Staff", 4), ("Director Comercial", 3), ("CTO / Co-founder", 4),
    # managers (+10)
    ("Marketing Manager", 40), ("Sales Manager", 30), ("marketing operations manager", 10),
    ("Team Lead, SDR", 10), ("Growth Marketing Lead", 10), ("Product Marketing Manager", 15), ("CRM Manager", 8),
    # both lists: a decision maker, not a manager
    ("Director, Account Management", 5), ("Head of Lead Generation", 4),
    # neither: individual contributors and near misses of the patterns
    ("Marketing Specialist", 40), ("Sales Development Representative", 30), ("Analyst", 25),
    ("Marketing Coordinator", 20), ("Consultant", 15), ("Account Executive", 25), ("Software Engineer", 20),
    ("Headhunter", 4), ("Leadership Coach", 4), ("Vice-President", 3), ("Directorate Officer", 2),
    ("Managing Partner", 5), ("Directeur Général", 3), ("Geschäftsführer", 3), ("Jefe de Ventas", 2),
    # red flags
    ("Open to work | Sales Development", 4), ("Looking for new opportunities", 3), ("job seeker", 2),
    ("Student", 6), ("PhD Student", 3), ("Student Success Manager", 2), ("Head of Student Recruitment", 2),
]
INDUSTRIES = [("Software", 30), ("SaaS", 25), ("saas", 5), ("SOFTWARE", 3), ("Saas ", 2),
              ("FinTech", 10), ("Ecommerce", 8), ("eCommerce", 4), ("Marketing Services", 8),
              ("Education", 6), ("Government", 4), ("Non-Profit", 4), ("non-profit", 2),
              ("Retail", 10), ("Manufacturing", 10), ("Healthcare", 10), ("Logistics", 6), ("Media", 6),
              ("Real Estate", 4), ("Hospitality", 4), ("Soft ware", 1)]
COUNTRIES = [("United States", 40), ("USA", 10), ("united states", 5), ("US", 4), ("Canada", 10),
             ("United Kingdom", 12), ("UK", 3), ("Germany", 10), ("France", 8), ("Netherlands", 5),
             ("Ireland", 3), ("India", 8), ("Brazil", 5), ("Australia", 5), ("Spain", 4), ("Japan", 3),
             ("Österreich", 1)]
PERSONAS = [("Decision maker", 20), ("decision maker", 4), ("DECISION MAKER", 2), ("Evaluator", 20),
            ("Practitioner", 25), ("Job seeker", 3), ("Student", 4), ("Agency / Partner", 3),
            ("agency/partner", 1), ("Other", 8)]
SOURCES = [("Organic Search", 30), ("Direct Traffic", 12), ("direct traffic", 2), ("DIRECT TRAFFIC", 1),
           ("Direct", 2), ("Paid Search", 15), ("Referrals", 10), ("Social Media", 12), ("Email Marketing", 8),
           ("Offline Sources", 5), ("Paid Social", 5)]
REFERRERS = [("https://www.google.com/", 30), ("https://www.linkedin.com/", 20),
             ("https://www.g2.com/products/acme/reviews", 10), ("https://partners.acme.com/directory/brightpath", 5),
             ("https://Partners.Acme.com/directory/northloop", 2), ("https://acme.com/partners", 2),
             ("https://news.ycombinator.com/", 5), ("https://www.capterra.com/p/acme/", 5)]
COMPANY_TYPES = [("Prospect", 70), ("prospect", 5), ("Partner", 3), ("partner", 1), ("Supplier", 3),
                 ("Competitor", 2), ("Customer", 5), ("Reseller", 2), ("Other", 4)]
LIFECYCLE = [("subscriber", 30), ("lead", 40), ("Lead", 5), ("marketingqualifiedlead", 8),
             ("salesqualifiedlead", 4), ("opportunity", 3), ("Opportunity", 1), ("customer", 5),
             ("Customer", 2), ("evangelist", 1), ("other", 3), ("former customer", 1)]
OPEN_DEALS = [("0", 150), ("1", 5), ("2", 2), ("3", 1), ("-1", 1)]
BOOLS_FALSE = [("false", 85), ("False", 4), ("FALSE", 2), ("no", 3), ("0", 3)]
BOOLS_TRUE = [("true", 85), ("True", 4), ("TRUE", 2), ("yes", 3), ("1", 3)]
FEEDBACK = [("Unqualified", 4), ("unqualified", 2), ("UNQUALIFIED", 1), ("Not ready", 4), ("not ready", 2),
            ("not ready yet", 1), ("Good fit", 5), ("Call back later", 2)]

EMPLOYEE_EDGES = ["0", "1", "9", "10", "11", "49", "50", "51", "199", "200", "201", "999", "1000", "1001"]
REVENUE_EDGES = ["999999", "999999.99", "1000000", "1000000.0", "1e6", "1000000.01", "49999999.99",
                 "50000000", "5.0E7", "50000000.01", "50000001"]

INTENT_URLS = [("/pricing", 30), ("/Pricing", 2), ("/pricing/", 2), ("/pricing?plan=pro", 2), ("/demo", 8),
               ("/contact", 6), ("/customers", 6), ("/CUSTOMERS", 1), (" /pricing", 1)]
PRODUCT_URLS = [("/", 30), ("/product", 15), ("/product/scoring", 8), ("/product/integrations", 6),
                ("/integrations/hubspot", 5), ("/integrations/salesforce", 5), ("/about", 6), ("/security", 3),
                ("/docs/getting-started", 6)]
BLOG_URLS = [("/blog/what-is-lead-scoring", 10), ("/blog/mql-vs-sql", 8), ("/blog/lead-scoring-models", 8),
             ("/blog/fit-vs-engagement", 6), ("/blog/negative-scoring", 5), ("/blog/score-decay", 5),
             ("/Blog/hubspot-lead-scoring-tips", 2), ("/blog", 2), ("/blogs/old-post", 1)]
CAREER_URLS = [("/careers", 6), ("/careers/account-executive-berlin", 2), ("/Careers/sdr-london", 1),
               ("/careers-at-acme", 1)]
FORMS = [("demo-request", 10), ("Demo-Request", 2), ("demo request", 1), ("contact-sales", 6), ("free-trial", 6),
         ("case-study", 8), ("roi-calculator", 5), ("webinar-replay", 5), ("whitepaper", 12), ("ebook", 12),
         ("EBOOK", 1), ("newsletter-signup", 12), ("checklist", 6), ("blog-subscribe", 6), ("event-signup", 4),
         ("unsubscribe", 2)]
CAMPAIGNS = [("nurture-welcome", 10), ("nurture-roi", 8), ("nurture-case-study", 6), ("nurture-pricing", 6),
             ("launch-ai-scoring", 4), ("event-invite-revops", 3), ("promo-annual-plan", 3),
             ("newsletter-2026-10-13", 8), ("newsletter-2026-10-27", 8)]
CTAS = [("book-a-demo", 4), ("see-pricing", 4), ("start-free-trial", 3), ("download-guide", 3),
        ("talk-to-sales", 2)]
WEBINARS = [("scoring-masterclass", 3), ("fit-vs-engagement-live", 2), ("revops-roundtable", 2),
            ("q3-product-update", 1)]
NETWORKS = [("linkedin", 5), ("twitter", 2), ("youtube", 1), ("facebook", 1)]

ACTIVITY = ["email_open", "email_click", "page_view", "cta_click", "form_submit", "webinar_registration",
            "social_interaction"]
UNDECLARED = ["meeting_booked", "list_membership", "chat_started", "Page_View"]
# Edges of the model's windows and decay steps (days before as_of), and 1 µs either side.
EDGE_DAYS = (30, 60, 90, 180)


# ====================================================================== helpers

class Picker:
    """Weighted picks from flat lists: one random() per pick, no per-pick arithmetic."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pool(self, pairs, *, blank: float = 0.0, messy: float = 0.0, size: int = 2000) -> list[str]:
        """A list in which each value appears in proportion to its weight.

        ``blank``: share of missing values (4 in 5 empty, 1 in 5 white space only);
        ``messy``: share of values in another case or with a stray space.
        """
        total = sum(w for _, w in pairs)
        out: list[str] = []
        for value, weight in pairs:
            out += [value] * max(1, round(size * (1 - blank) * weight / total))
        for i, value in enumerate(out):
            if self.rng.random() < messy:
                out[i] = self.mess(value)
        blanks = round(len(out) * blank / (1 - blank)) if blank else 0
        out += ["" if i % 5 else " " * (1 + i % 3) for i in range(blanks)]
        return out

    def mess(self, value: str) -> str:
        kind = self.rng.random()
        if kind < 0.35:
            return value.lower()
        if kind < 0.6:
            return value.upper()
        if kind < 0.8:
            return value.title()
        if kind < 0.9:
            return value + " "
        return " " + value

    def numbers(self, edges: list[str], count: int, draw, edge_share: float) -> list[str]:
        """``count`` numbers from ``draw()``, ``edge_share`` of them band edges."""
        out = []
        for _ in range(count):
            if self.rng.random() < edge_share:
                out.append(edges[int(self.rng.random() * len(edges))])
            else:
                out.append(draw())
        return out


class Clock:
    """Pre-built timestamp strings, seconds relative to as_of (positive = before)."""

    def __init__(self):
        base = AS_OF - dt.timedelta(days=OLDEST_DAYS)
        self.days = [(base + dt.timedelta(days=d)).strftime("%Y-%m-%dT")
                     for d in range(OLDEST_DAYS + LATEST_DAYS + 1)]
        self.times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(DAY)]
        self.base_seconds = OLDEST_DAYS * DAY

    def before(self, seconds: int) -> str:
        """The timestamp ``seconds`` before as_of (negative: after)."""
        day, second = divmod(self.base_seconds - min(seconds, self.base_seconds), DAY)
        return self.days[day] + self.times[second]


def iso(instant: dt.datetime, offset_hours: int = 0) -> str:
    local = instant.astimezone(dt.timezone(dt.timedelta(hours=offset_hours)))
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}"
    return text + ("Z" if offset_hours == 0 else f"{offset_hours:+03d}:00")


def edge_stamps() -> tuple[list[str], list[tuple[str, int]]]:
    """Timestamps on the model's edges: every one, and those usable as the last activity
    (with the seconds before as_of of the next older activity)."""
    stamps: list[str] = []
    recent: list[tuple[str, int]] = []
    for days in EDGE_DAYS:
        edge = AS_OF - dt.timedelta(days=days)
        for micros in (0, -1, 1):
            stamps.append(iso(edge + dt.timedelta(microseconds=micros)))
            recent.append((stamps[-1], days * DAY + 1))
        stamps.append(iso(edge, 2))                     # the same instant, written in +02:00
        stamps.append(iso(edge, -5))
    for micros in (0, -1, 1):                           # as_of itself and 1 µs either side
        stamps.append(iso(AS_OF + dt.timedelta(microseconds=micros)))
    return stamps, recent


def event_count(rng: random.Random, mean: float) -> int:
    """Heavy-tailed: 15% of contacts have no event, the rest a lognormal count; mean ``mean``."""
    if mean <= 0 or rng.random() < 0.15:
        return 0
    sigma = 1.25
    mu = math.log(mean / 0.85) - sigma * sigma / 2
    return min(int(rng.lognormvariate(mu, sigma) + rng.random()), int(60 * mean) + 50)


# ====================================================================== the population

def row(**values: str) -> tuple[str, ...]:
    """An event's attribute cells, in ATTRIBUTES order."""
    return tuple(values.get(name, "") for name in ATTRIBUTES)


class Population:
    """Contacts and their events, one contact at a time."""

    def __init__(self, seed: int):
        self.rng = rng = random.Random(seed)
        self.clock = Clock()
        self.edges, self.recent_edges = edge_stamps()
        pick = Picker(rng)
        self.titles = pick.pool(JOB_TITLES, blank=0.12, messy=0.05)
        self.industries = pick.pool(INDUSTRIES, blank=0.2, messy=0.05)
        self.countries = pick.pool(COUNTRIES, blank=0.1, messy=0.04)
        self.personas = pick.pool(PERSONAS, blank=0.3, messy=0.03)
        self.sources = pick.pool(SOURCES, blank=0.05)
        self.referrers = pick.pool(REFERRERS, blank=0.3)
        self.company_types = pick.pool(COMPANY_TYPES, blank=0.25, messy=0.02)
        self.lifecycle = pick.pool(LIFECYCLE, blank=0.06, messy=0.02)
        self.open_deals = pick.pool(OPEN_DEALS, blank=0.4)
        self.opt_out = pick.pool(BOOLS_FALSE, blank=0.05) + pick.pool(BOOLS_TRUE, size=150)
        self.feedback = pick.pool(FEEDBACK, blank=0.88)
        self.employees = pick.numbers(EMPLOYEE_EDGES, 4000, lambda: str(int(rng.lognormvariate(4.5, 1.8))),
                                      0.15) + [""] * 1100
        self.revenue = pick.numbers(REVENUE_EDGES, 4000, lambda: self._revenue(), 0.12) + [""] * 1700
        self.created = [(AS_OF - dt.timedelta(days=int(rng.random() * 1500))).strftime("%Y-%m-%d")
                        for _ in range(3000)] + [""] * 60
        self.phones = [f"+{int(rng.random() * 98) + 1} {int(rng.random() * 800) + 200} "
                       f"{int(rng.random() * 900) + 100} {int(rng.random() * 9000) + 1000}"
                       for _ in range(3000)] + [""] * 2000 + [" "] * 100
        self.attributes = self._attribute_pools(pick)
        # what the model looks at most closely, for the events placed on an edge
        self.edge_attributes = {**self.attributes,
                                "page_view": [row(url="/pricing"), row(url="/demo"), row(url="/blog/score-decay")],
                                "form_submit": [row(form="demo-request"), row(form="Demo-Request")]}

    def _revenue(self) -> str:
        value = self.rng.lognormvariate(16, 2)
        return str(int(value)) if self.rng.random() < 0.7 else f"{value:.2f}"

    def _attribute_pools(self, pick: Picker) -> dict[str, list[tuple[str, ...]]]:
        """Per event type, a pool of attribute tuples (in ATTRIBUTES order)."""
        campaigns = pick.pool(CAMPAIGNS, blank=0.03, size=400)
        urls = (pick.pool(INTENT_URLS, size=300) + pick.pool(PRODUCT_URLS, size=500)
                + pick.pool(BLOG_URLS, size=400) + pick.pool(CAREER_URLS, size=20) + ["", " "] * 15)
        newsletters = pick.pool(BOOLS_FALSE, size=250) + pick.pool(BOOLS_TRUE, size=150) + ["", ""] * 10
        return {
            "email_sent": [row(campaign=c) for c in campaigns],
            "email_bounce": [row(campaign=c) for c in campaigns],
            "email_open": [row(campaign=c, newsletter=n) for c in campaigns[::7] for n in newsletters],
            "email_click": [row(campaign=c, url=u) for c in campaigns[::9] for u in urls[::5]],
            "page_view": [row(url=u) for u in urls],
            "cta_click": [row(cta=c) for c in pick.pool(CTAS, blank=0.05, size=100)],
            "form_submit": [row(form=f) for f in pick.pool(FORMS, blank=0.03, messy=0.01, size=500)],
            "webinar_registration": [row(webinar=w) for w in pick.pool(WEBINARS, size=50)],
            "social_interaction": [row(network=n) for n in pick.pool(NETWORKS, blank=0.05, size=50)],
            **{kind: [row()] for kind in UNDECLARED},
        }

    # ------------------------------------------------------------ contacts

    def contact(self, cid: str) -> list[str]:
        random = self.rng.random

        def pick(pool):
            return pool[int(random() * len(pool))]

        first, last = pick(FIRST), pick(LAST)
        head, tail = pick(CO_HEAD), pick(CO_TAIL)
        company = head + tail + pick(CO_SUFFIX)
        domain = (head + tail).lower() + pick(TLDS)
        kind = random()
        if kind < 0.01:                      # an employee
            domain, company = ("acme.com" if random() < 0.8 else "Acme.com"), "Acme"
        elif kind < 0.015:                   # a colleague with a personal address
            domain, company = pick(PERSONAL), pick(["Acme", "acme", "ACME", "Acme Inc"])
        elif kind < 0.035:                   # a student
            domain, company = pick(["stanford.edu", "mit.edu", "uni-example.edu", "ox.ac.uk"]), "University"
        elif kind < 0.045:                   # a competitor
            domain = COMPETITOR_DOMAINS[int(random() * len(COMPETITOR_DOMAINS))][0]
        elif kind < 0.2:                     # a personal address
            domain = pick(PERSONAL)
        style = random()
        local = (f"{first}.{last}" if style < 0.6 else f"{first[0]}{last}" if style < 0.85
                 else f"{first}{int(random() * 99)}")
        email = f"{local}@{domain}"
        shape = random()
        if shape < 0.03:
            email = ""
        elif shape < 0.06:
            email = email.title()            # Ava.Chen@Stanford.Edu
        elif shape < 0.07:
            email = email.upper()
        if random() < 0.08:
            company = "" if random() < 0.8 else "  "
        return [cid, email, company, pick(self.titles), pick(self.industries), pick(self.employees),
                pick(self.revenue), pick(self.countries), pick(self.phones), pick(self.personas),
                pick(self.sources), pick(self.referrers), pick(self.company_types), pick(self.lifecycle),
                pick(self.open_deals), pick(self.opt_out), pick(self.feedback), pick(self.created)]

    # ------------------------------------------------------------ events

    def events(self, cid: str, count: int) -> list[tuple[str, ...]]:
        """``count`` events of one contact, in random time order."""
        if count == 0:
            return []
        random = self.rng.random
        # how hot the contact is: how long ago it was last active, over how long, doing what
        segment = random()
        if segment < 0.15:                   # hot: active this week, over the last weeks
            recent, span, keen = int(random() * 7 * DAY), int((10 + random() * 50) * DAY), 0.9
        elif segment < 0.4:                  # warm
            recent, span, keen = int(random() * 40 * DAY), int((30 + random() * 120) * DAY), 0.6
        elif segment < 0.75:                 # cooling down
            recent, span, keen = int((30 + random() * 150) * DAY), int((30 + random() * 330) * DAY), 0.4
        else:                                # dormant
            recent, span, keen = int((180 + random() * 250) * DAY), int((5 + random() * 360) * DAY), 0.3
        kinds, cumulative = self._mix(keen)
        total = cumulative[-1]
        attributes, before, edges = self.attributes, self.clock.before, self.edges
        out: list[tuple[str, ...]] = []
        if random() < 0.06:                  # the last activity exactly on a decay/window edge
            stamp, recent = self.recent_edges[int(random() * len(self.recent_edges))]
            kind = ACTIVITY[int(random() * len(ACTIVITY))]
            pool = attributes[kind] if random() < 0.5 else self.edge_attributes[kind]
            out.append((cid, kind, stamp) + pool[int(random() * len(pool))])
            count -= 1
        for _ in range(count):
            kind = kinds[bisect.bisect(cumulative, random() * total)]
            pool = attributes[kind]
            odd = random()
            if odd < 0.02:
                stamp = edges[int(odd * 50 * len(edges))]
            elif odd < 0.025:                # dated after as_of: every reader must ignore it
                stamp = before(-int(1 + random() * 30 * DAY))
            elif kind == "email_sent" or kind == "email_bounce":   # we mail whether or not they read
                stamp = before(int(random() * 400 * DAY))
            else:
                stamp = before(recent + int(span * random() ** 2))
            out.append((cid, kind, stamp) + pool[int(random() * len(pool))])
        return out

    def _mix(self, keen: float) -> tuple[list[str], list[float]]:
        """This contact's event types and their cumulative weights: who reads, who browses,
        who fills in forms (``keen``: the chance of each kind of interest)."""
        random = self.rng.random
        reads, browses = random() < 0.4 + keen / 2, random() < 0.5 + keen / 2
        weights = {
            "email_sent": 30.0 * (1.2 - keen),
            "email_open": 10.0 * random() if reads else 0.0,
            "email_click": 3.0 * random() if reads else 0.0,
            "email_bounce": 1.0 if random() < 0.03 else 0.0,
            "page_view": 35.0 * random() if browses else 0.0,
            "cta_click": 2.0 * random() if browses else 0.0,
            "form_submit": 6.0 * random() if random() < keen else 0.0,
            "webinar_registration": 2.0 if random() < keen / 2 else 0.0,
            "social_interaction": 3.0 * random() if random() < keen / 2 else 0.0,
            "meeting_booked": 0.5, "list_membership": 2.0, "chat_started": 0.5, "Page_View": 0.2,
        }
        kinds, cumulative, total = [], [], 0.0
        for kind, weight in weights.items():
            if weight > 0:
                total += weight
                kinds.append(kind)
                cumulative.append(total)
        return kinds, cumulative


# ====================================================================== output

class CsvOut:
    def __init__(self, folder: str):
        self.paths = [os.path.join(folder, f"{k}.csv") for k in ("contacts", "events")]
        self.files = [open(p, "w", encoding="utf-8", newline="", buffering=1 << 20) for p in self.paths]
        self.contacts, self.events = (csv.writer(f, lineterminator="\n") for f in self.files)
        self.contacts.writerow(CONTACT_COLUMNS)
        self.events.writerow(EVENT_COLUMNS)
        self.contact = self.contacts.writerow
        self.event_rows = self.events.writerows

    def close(self) -> None:
        for f in self.files:
            f.close()


class JsonlOut:
    """One JSON object per line, values typed by the schema; blank cells are left out."""

    def __init__(self, folder: str):
        self.paths = [os.path.join(folder, f"{k}.jsonl") for k in ("contacts", "events")]
        self.files = [open(p, "w", encoding="utf-8", newline="", buffering=1 << 20) for p in self.paths]

    def contact(self, row: list[str]) -> None:
        self.files[0].write(_json_line(CONTACT_COLUMNS, row))

    def event_rows(self, rows) -> None:
        self.files[1].writelines(_json_line(EVENT_COLUMNS, row) for row in rows)

    def close(self) -> None:
        for f in self.files:
            f.close()


def _json_line(names: list[str], cells) -> str:
    record = {}
    for name, cell in zip(names, cells):
        kind = TYPES.get(name, "text")
        if cell if kind == "text" else cell.strip():
            record[name] = _typed(kind, cell)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _typed(kind: str, cell: str):
    text = cell.strip()
    if kind == "text":
        return cell
    if kind == "int":
        return int(text)
    if kind == "number":
        value = float(text)
        return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value
    if kind == "bool":
        return text.lower() in ("true", "yes", "1")
    return text


def to_parquet(folder: str) -> list[str]:
    """Convert the CSV files to Parquet with the schema's column types (needs duckdb)."""
    import duckdb

    def select(names: list[str], path: str) -> str:
        exprs = []
        for name in names:
            kind = TYPES.get(name, "text")
            sql_type = {"int": "BIGINT", "number": "DOUBLE", "bool": "BOOLEAN", "date": "DATE",
                        "datetime": "TIMESTAMPTZ"}.get(kind)
            exprs.append(f"CAST(NULLIF(TRIM({name}), '') AS {sql_type}) AS {name}" if sql_type else name)
        return (f"SELECT {', '.join(exprs)} FROM read_csv('{path}', header = true, all_varchar = true)")

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    out = []
    for kind, names in (("contacts", CONTACT_COLUMNS), ("events", EVENT_COLUMNS)):
        source, target = (os.path.join(folder, f"{kind}.{ext}") for ext in ("csv", "parquet"))
        con.execute(f"COPY ({select(names, source)}) TO '{target}' (FORMAT parquet)")
        out.append(target)
    return out


# ====================================================================== a large rule file

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "b2b_saas", "schema.score")
WORDS = ["vp", "director", "head", "chief", "manager", "lead", "founder", "owner", "engineer", "analyst",
         "marketing", "sales", "growth", "revenue", "operations", "product", "finance", "it", "security"]
TEXT_VALUES = {
    "industry": ["software", "saas", "fintech", "ecommerce", "education", "retail", "healthcare", "media",
                 "logistics", "manufacturing", "government", "non-profit"],
    "country": ["united states", "usa", "canada", "united kingdom", "germany", "france", "india", "brazil",
                "spain", "japan", "australia", "netherlands"],
    "persona": ["decision maker", "evaluator", "practitioner", "student", "job seeker", "other"],
    "original_source": ["direct traffic", "organic search", "paid search", "referrals", "social media"],
    "company_type": ["prospect", "partner", "supplier", "competitor", "customer", "reseller"],
    "lifecycle_stage": ["subscriber", "lead", "marketingqualifiedlead", "opportunity", "customer"],
    "sales_feedback": ["unqualified", "not ready", "good fit", "call back later"],
}
URL_PREFIXES = ["/pricing", "/demo", "/blog/", "/careers", "/product", "/docs/", "/integrations/", "/customers"]
EVENT_FILTERS = {
    "page_view": lambda r: f'url starts_with "{r.choice(URL_PREFIXES)}"',
    "form_submit": lambda r: f'form in ["{r.choice(FORMS)[0].lower()}", "{r.choice(FORMS)[0].lower()}"]',
    "email_open": lambda r: "not newsletter" if r.random() < 0.5 else "newsletter",
    "email_click": lambda r: f'url contains "{r.choice(URL_PREFIXES).strip("/")}"',
    "cta_click": lambda r: f'cta == "{r.choice(CTAS)[0]}"',
    "webinar_registration": lambda r: f'webinar starts_with "{r.choice(WEBINARS)[0][:6]}"',
    "social_interaction": lambda r: f'network in ["{r.choice(NETWORKS)[0]}", "twitter"]',
    "email_sent": lambda r: f'campaign starts_with "{r.choice(CAMPAIGNS)[0][:8]}"',
}


def rule_file(count: int, seed: int = 1) -> str:
    """A valid rule file: the B2B schema and one model with ``count`` varied rules (comparisons,
    lists, regexes, text tests, numeric, text and count bands, ``each`` rules with windows,
    ``once`` and ``max``, aggregates, ``age()``) in capped groups of three scores (one with
    inactivity decay, one with half-life decay), and tiers."""
    r = random.Random(seed)
    with open(SCHEMA, encoding="utf-8") as file:
        schema = file.read()
    property_rules = [_comparison, _membership, _regex, _text_test, _numeric_band, _text_band, _presence]
    event_rules = [_each, _each, _aggregate, _count_band, _age]
    scores = [("fit", "", property_rules, None),
              ("engagement", " max 1000", event_rules,
               "decay inactivity { 30d => 75%, 90d => 50%, 180d => 25% } activity [page_view, email_open]"),
              ("intent", " max 600", [_each], "decay half_life 30d")]
    shares = [count * 2 // 5, count * 2 // 5, count - 2 * (count * 2 // 5)]
    lines = [schema, "", f"# {count} generated rules (benchmarks/generate.py --rules {count})",
             "model generated {", '  disqualify customer: lifecycle_stage in ["customer", "evangelist"]',
             '  disqualify employee: email ends_with own_domain', ""]
    number = 0
    for (name, score_cap, makers, decay), share in zip(scores, shares):
        lines.append(f"  score {name}{score_cap} {{")
        if decay:
            lines.append(f"    {decay}")
        made = group = 0
        while made < share:
            size = min(share - made, 5 + int(r.random() * 20))
            group += 1
            # absolute caps in the score without a max, shares of the max in the others
            cap = f"{60 + 10 * int(r.random() * 10)}" if not score_cap else f"{20 + 5 * int(r.random() * 4)}%"
            lines.append(f"    group {name}_g{group:03d} max {cap} {{")
            for _ in range(size):
                number += 1
                lines.append(f"      rule r{number:04d}: {r.choice(makers)(r)}")
            lines.append("    }")
            made += size
        lines.append("  }")
    lines += ["  tier lifecycle by fit + engagement + intent { sql: >= 400; mql: >= 200; lead: otherwise }",
              "  tier grade by fit { A: >= 300; B: >= 150; C: >= 0; F: otherwise }",
              "  tier focus {",
              '    hot: engagement >= 300 and has(form_submit where form == "demo-request" within 30d)',
              "    warm: engagement >= 100 or intent >= 100",
              "    cold: otherwise",
              "  }",
              "}", ""]
    return "\n".join(lines)


def _points(r: random.Random, low: int = -30, high: int = 40) -> str:
    value = 0
    while value == 0:
        value = low + int(r.random() * (high - low + 1))
    return f"{value:+d}"


def _comparison(r):
    name, bound = r.choice([("employees", 1000), ("annual_revenue", 100_000_000), ("open_deals", 5)])
    op = r.choice(["<", "<=", ">", ">=", "==", "!="])
    extra = ""
    if r.random() < 0.5:
        prop = r.choice(list(TEXT_VALUES))
        extra = f' {r.choice(["and", "or"])} {prop} == "{r.choice(TEXT_VALUES[prop])}"'
    return f"{name} {op} {int(r.random() * bound)}{extra} => {_points(r)}"


def _membership(r):
    prop = r.choice(list(TEXT_VALUES))
    values = ", ".join(f'"{v}"' for v in r.sample(TEXT_VALUES[prop], 3))
    negated = "not in" if r.random() < 0.25 else "in"
    return f"{prop} {negated} [{values}] => {_points(r)}"


def _regex(r):
    words = "|".join(r.sample(WORDS, 2 + int(r.random() * 4)))
    prop = r.choice(["job_title", "job_title", "email", "company", "referrer"])
    return f"{prop} matches /\\b({words})\\b/ => {_points(r)}"


def _text_test(r):
    prop, op, value = r.choice([("email", "ends_with", ".edu"), ("email", "ends_with", ".io"),
                                ("referrer", "contains", "partners"), ("referrer", "starts_with", "https://www."),
                                ("company", "contains", "labs"), ("phone", "starts_with", "+1")])
    sensitive = " case_sensitive" if r.random() < 0.1 else ""
    return f'{prop} {op} "{value}"{sensitive} => {_points(r)}'


def _numeric_band(r):
    name, edges = r.choice([("employees", [10, 50, 200, 1000, 5000]), ("open_deals", [1, 2, 3, 5]),
                            ("annual_revenue", [1_000_000, 10_000_000, 50_000_000, 250_000_000])])
    edges = sorted(r.sample(edges, 2 + int(r.random() * (len(edges) - 2))))
    bands = [f"< {edges[0]} => {_points(r)}"]
    bands += [f"{a}..<{b} => {_points(r)}" for a, b in zip(edges, edges[1:])]
    bands.append(f">= {edges[-1]} => {_points(r)}")
    return f"{name} {{ {'; '.join(bands)} }}"


def _text_band(r):
    prop = r.choice(list(TEXT_VALUES))
    values = r.sample(TEXT_VALUES[prop], 3)
    bands = [f'"{values[0]}" => {_points(r)}', f'["{values[1]}", "{values[2]}"] => {_points(r)}']
    if r.random() < 0.3:
        bands.append("otherwise => 0")
    return f"{prop} {{ {'; '.join(bands)} }}"


def _presence(r):
    prop = r.choice(["phone", "company", "industry", "persona", "referrer", "employees", "created"])
    return f"{prop} is {r.choice(['set', 'missing'])} => {_points(r)}"


def _window(r) -> str:
    return f" within {r.choice([7, 14, 30, 60, 90, 180, 365])}d" if r.random() < 0.7 else ""


def _each(r):
    kind = r.choice(list(EVENT_FILTERS))
    where = f" where {EVENT_FILTERS[kind](r)}" if r.random() < 0.6 else ""
    points = _points(r, -10, 30)
    bound = "once" if r.random() < 0.3 else f"max {abs(int(points)) * (1 + int(r.random() * 3))}"
    return f"each {kind}{where}{_window(r)} => {points} {bound}"


def _aggregate(r):
    kind = r.choice(list(EVENT_FILTERS))
    where = f" where {EVENT_FILTERS[kind](r)}" if r.random() < 0.5 else ""
    if r.random() < 0.5:
        return f"has({kind}{where}{_window(r)}) => {_points(r)}"
    other = r.choice(list(EVENT_FILTERS))
    return (f"count({kind}{where}{_window(r)}) >= {1 + int(r.random() * 5)} and "
            f"count({other}{_window(r)}) == 0 => {_points(r)}")


def _count_band(r):
    kind = r.choice(list(EVENT_FILTERS))
    low = 1 + int(r.random() * 3)
    high = low + 1 + int(r.random() * 5)
    return (f"count({kind}{_window(r)}) {{ {low}..{high} => {_points(r, 1, 10)}; "
            f"> {high} => {_points(r, 11, 25)} }}")


def _age(r):
    kind = r.choice(list(EVENT_FILTERS))
    which = r.choice(["last", "first"])
    return f"age({which}({kind})) {r.choice(['>', '<=', '>='])} {r.choice([7, 30, 90, 180])}d => {_points(r)}"


# ====================================================================== main

def generate(contacts: int, events_per_contact: float, folder: str, fmt: str = "csv", seed: int = 1) -> dict:
    """Write the files; returns counts and paths."""
    os.makedirs(folder, exist_ok=True)
    people = Population(seed)
    random = people.rng.random
    out = JsonlOut(folder) if fmt == "jsonl" else CsvOut(folder)
    width = max(7, len(str(2 * contacts)))
    written_contacts = written_events = orphans = most = 0
    number = 0
    try:
        while written_contacts < contacts:
            number += 1
            cid = f"c{number:0{width}d}"
            if random() < 0.01:              # a gap in the ids: a deleted contact, maybe with events
                if random() < 0.5:
                    rows = people.events(cid, 1 + int(random() * 5))
                    out.event_rows(rows)
                    orphans += len(rows)
                continue
            out.contact(people.contact(cid))
            rows = people.events(cid, event_count(people.rng, events_per_contact))
            out.event_rows(rows)
            written_contacts += 1
            written_events += len(rows)
            most = max(most, len(rows))
    finally:
        out.close()
    paths = list(out.paths)
    if fmt == "parquet":
        paths += to_parquet(folder)
    return {"contacts": written_contacts, "events": written_events + orphans, "orphan_events": orphans,
            "max_events_per_contact": most, "paths": paths}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, help="how many contacts to write")
    parser.add_argument("--events-per-contact", type=float, default=20.0,
                        help="the mean of a heavy-tailed distribution (default 20)")
    parser.add_argument("--out", required=True, help="the folder to write")
    parser.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv",
                        help="parquet writes the CSV files too")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rules", type=int, metavar="N",
                        help="also write OUT/rulesN.score: the B2B schema and a model of N rules")
    args = parser.parse_args(argv)
    if args.contacts is None and args.rules is None:
        parser.error("give --contacts, --rules, or both")
    if args.rules is not None:
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, f"rules{args.rules}.score")
        with open(path, "w", encoding="utf-8") as file:
            file.write(rule_file(args.rules, args.seed))
        print(f"  {path}  {args.rules:,} rules", file=sys.stderr)
    if args.contacts is None:
        return 0
    started = time.perf_counter()
    result = generate(args.contacts, args.events_per_contact, args.out, args.format, args.seed)
    seconds = time.perf_counter() - started
    print(f"{result['contacts']:,} contacts, {result['events']:,} events "
          f"({result['events'] / max(1, result['contacts']):.1f} per contact, at most "
          f"{result['max_events_per_contact']:,}; {result['orphan_events']:,} orphans) in {seconds:.1f}s",
          file=sys.stderr)
    for path in result["paths"]:
        print(f"  {path}  {os.path.getsize(path) / 1e6:,.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
