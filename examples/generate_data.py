#!/usr/bin/env python3
"""Generate the bundled example data for examples/b2b_saas and examples/product_lines.

    python examples/generate_data.py

Deterministic: fixed seeds, standard library only, no network, no clock. Running it twice
writes byte-identical files. Randomness comes only from ``random.Random.random()``, whose
sequence for an integer seed is stable across Python versions (``choice``, ``shuffle``,
``randint`` etc. are reimplemented on top of it for that reason).

The data is meant to be scored "as of" 2026-11-01T00:00:00Z (``AS_OF``). Events span the
~400 days before it; a few are dated after it (an export taken later: every rule must ignore
them) and a few sit exactly on window edges (as_of - 30d, 60d, 90d, 180d).

Each folder gets:
    data/contacts.csv   id + the properties of the folder's schema.score
                        (empty cell = missing, bool true/false, date YYYY-MM-DD,
                        list[text] separated by ';')
    data/events.csv     contact_id,type,timestamp,<attributes: union over event types>
                        (timestamp ISO 8601 with Z; empty where not applicable)

The first contacts of each file (c0001-c0030, p0001-p0012) are hand-written cases described
in examples/README.md; the rest is a generated population of realistic personas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import random

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
HERE = os.path.dirname(os.path.abspath(__file__))


# ====================================================================== helpers

class Rng:
    """A seeded generator built only on random(), for cross-version stability."""

    def __init__(self, seed: int):
        self._r = random.Random(seed)

    def random(self) -> float:
        return self._r.random()

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def randint(self, a: int, b: int) -> int:
        return a + min(int(self.random() * (b - a + 1)), b - a)

    def chance(self, p: float) -> bool:
        return self.random() < p

    def choice(self, seq):
        return seq[min(int(self.random() * len(seq)), len(seq) - 1)]

    def weighted(self, pairs):
        """pairs: [(value, weight), ...]"""
        total = sum(w for _, w in pairs)
        x = self.random() * total
        for value, weight in pairs:
            x -= weight
            if x < 0:
                return value
        return pairs[-1][0]

    def shuffle(self, items: list) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = min(int(self.random() * (i + 1)), i)
            items[i], items[j] = items[j], items[i]

    def sample(self, seq, k: int) -> list:
        items = list(seq)
        self.shuffle(items)
        return items[:k]

    def heavy(self, scale: float, alpha: float = 1.4, cap: int = 200) -> int:
        """A heavy-tailed count: most small, a few very large (Pareto)."""
        u = 1.0 - self.random()            # (0, 1]
        return min(cap, int(scale * (u ** (-1.0 / alpha) - 1.0)))


def ago(d: float = 0, h: float = 0, m: float = 0, s: float = 0) -> dt.datetime:
    """The instant d days, h hours, m minutes, s seconds before AS_OF."""
    return AS_OF - dt.timedelta(days=d, hours=h, minutes=m, seconds=s)


def after(d: float = 0, h: float = 0, m: float = 0, s: float = 0) -> dt.datetime:
    """The instant d days, h hours, m minutes, s seconds after AS_OF (ignored by scoring)."""
    return AS_OF + dt.timedelta(days=d, hours=h, minutes=m, seconds=s)


def ts(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(value)
    if isinstance(value, dt.datetime):
        return ts(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        text = f"{value:.2f}"
        return text[:-3] if text.endswith(".00") else text
    return str(value)


def write_csv(path: str, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())


class Events:
    """Collects the events of one example."""

    def __init__(self, attributes: list[str]):
        self.attributes = attributes
        self.rows: list[tuple] = []

    def add(self, contact_id: str, kind: str, when: dt.datetime, **attrs) -> None:
        unknown = set(attrs) - set(self.attributes)
        assert not unknown, f"undeclared attribute(s) {unknown} on {kind}"
        when = when.replace(microsecond=0)
        self.rows.append((contact_id, kind, when, tuple(attrs.get(a) for a in self.attributes)))

    def write(self, path: str) -> None:
        rows = sorted(self.rows, key=lambda r: (r[0], r[2], r[1], tuple(cell(v) for v in r[3])))
        write_csv(path, ["contact_id", "type", "timestamp", *self.attributes],
                  [[cid, kind, when, *attrs] for cid, kind, when, attrs in rows])


# ====================================================================== vocabulary

FIRST_NAMES = ["Ava", "Ben", "Chloe", "Daniel", "Elena", "Felix", "Grace", "Hugo", "Isla", "Jonas",
               "Kira", "Liam", "Maya", "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tara",
               "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Carmen", "Dev",
               "Emma", "Farah", "Gustav", "Hana", "Ivan", "Julia", "Kenji", "Leila", "Marco", "Nina",
               "Oscar", "Priya", "Rafael", "Sofia", "Tomas", "Uma", "Viktor", "Wanda", "Yara", "Zain"]
LAST_NAMES = ["Adams", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito",
              "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi",
              "Schmidt", "Tanaka", "Urban", "Visser", "Walsh", "Xu", "Yilmaz", "Zimmermann", "Ahmed",
              "Brennan", "Chen", "Das", "Evans", "Ferreira", "Gupta", "Hansen", "Iqbal", "Jovanovic",
              "Kim", "Larsen", "Mendes", "Novak", "Olsen", "Park", "Reyes", "Singh", "Torres", "Weber"]
CO_HEAD = ["North", "Blue", "Bright", "Iron", "Silver", "Cedar", "Summit", "Harbor", "Vertex", "Lumen",
           "Nova", "Atlas", "Pine", "Quantum", "Orbit", "Red", "Clear", "Swift", "Copper", "Willow"]
CO_TAIL = ["wind", "stone", "path", "field", "peak", "works", "labs", "logic", "ware", "point",
           "bridge", "line", "grid", "stack", "flow", "leaf"]
CO_SUFFIX = ["", "", "", " Inc", " Ltd", " GmbH", " Group", " Software", " Systems", " Co"]
PERSONAL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com"]


def person(rng: Rng) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def company(rng: Rng) -> tuple[str, str]:
    head, tail = rng.choice(CO_HEAD), rng.choice(CO_TAIL)
    name = head + tail + rng.choice(CO_SUFFIX)
    domain = (head + tail).lower() + rng.choice([".com", ".com", ".com", ".io", ".co", ".de", ".co.uk"])
    return name, domain


def work_email(first: str, last: str, domain: str, rng: Rng) -> str:
    style = rng.choice(["{f}.{l}", "{f}.{l}", "{f}{l}", "{fi}{l}", "{f}"])
    local = style.format(f=first.lower(), l=last.lower(), fi=first[0].lower())
    return f"{local}@{domain}"


def personal_email(first: str, last: str, rng: Rng) -> str:
    return f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@{rng.choice(PERSONAL_DOMAINS)}"


def phone(rng: Rng, country: str | None) -> str:
    prefix = {"united states": "+1", "usa": "+1", "canada": "+1", "united kingdom": "+44",
              "germany": "+49", "france": "+33", "netherlands": "+31", "ireland": "+353",
              "india": "+91", "brazil": "+55", "australia": "+61"}.get((country or "").lower(), "+1")
    return f"{prefix} {rng.randint(200, 989)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def created_before(first_event: dt.datetime | None, rng: Rng) -> dt.date:
    base = first_event if first_event is not None else ago(rng.randint(5, 500))
    return (base - dt.timedelta(days=rng.randint(0, 45))).date()


# ====================================================================== b2b_saas

B2B_PROPERTIES = ["email", "company", "job_title", "industry", "employees", "annual_revenue", "country",
                  "phone", "persona", "original_source", "referrer", "company_type", "lifecycle_stage",
                  "open_deals", "email_opt_out", "sales_feedback", "created"]
B2B_ATTRIBUTES = ["campaign", "newsletter", "url", "cta", "form", "webinar", "network"]

DM_TITLES = ["VP of Sales", "vp marketing", "VP, Revenue Operations", "Vice President Marketing",
             "Chief Revenue Officer", "CMO", "Director of Marketing", "Sales Director", "Head of Growth",
             "head of demand generation", "Director, Marketing Operations", "CEO", "Chief Marketing Officer",
             "HEAD OF SALES", "Director of Sales Operations", "VP Demand Gen"]
MANAGER_TITLES = ["Marketing Manager", "Sales Manager", "marketing operations manager",
                  "Demand Generation Manager", "Team Lead, SDR", "Growth Marketing Lead",
                  "Product Marketing Manager", "CRM Manager", "Revenue Operations Manager"]
IC_TITLES = ["Marketing Specialist", "Sales Development Representative", "Analyst", "Marketing Coordinator",
             "Content Writer", "Consultant", "Account Executive", "Operations Associate", "Data Analyst",
             "Software Engineer", "marketing assistant"]
TOP_INDUSTRIES = ["Software", "software", "SaaS", "saas", "SOFTWARE", "Saas"]
GOOD_INDUSTRIES = ["FinTech", "Fintech", "Ecommerce", "eCommerce", "Marketing Services", "marketing services"]
POOR_INDUSTRIES = ["Education", "Government", "Non-Profit"]
OTHER_INDUSTRIES = ["Retail", "Manufacturing", "Healthcare", "Logistics", "Media", "Real Estate", "Hospitality"]
CORE_COUNTRIES = ["United States", "United States", "USA", "united states", "Canada"]
SECONDARY_COUNTRIES = ["United Kingdom", "Germany", "France", "Netherlands", "Ireland"]
OTHER_COUNTRIES = ["India", "Brazil", "Australia", "Spain", "Singapore", "Mexico", "Poland", "Japan"]
SOURCES = [("Organic Search", 30), ("Direct Traffic", 15), ("Paid Search", 15), ("Referrals", 10),
           ("Social Media", 12), ("Email Marketing", 8), ("Offline Sources", 5), ("Paid Social", 5)]
REFERRERS = ["https://www.google.com/", "https://www.linkedin.com/", "https://www.g2.com/products/acme/reviews",
             "https://partners.acme.com/directory/brightpath", "https://partners.acme.com/directory/northloop",
             "https://news.ycombinator.com/", "https://www.capterra.com/p/acme/"]

INTENT_PAGES = ["/pricing", "/pricing", "/demo", "/contact", "/customers"]
PRODUCT_PAGES = ["/", "/", "/product", "/product/scoring", "/product/integrations", "/integrations/hubspot",
                 "/integrations/salesforce", "/about", "/security", "/docs/getting-started"]
BLOG_PAGES = ["/blog/what-is-lead-scoring", "/blog/mql-vs-sql", "/blog/lead-scoring-models",
              "/blog/fit-vs-engagement", "/blog/negative-scoring", "/blog/score-decay",
              "/blog/hubspot-lead-scoring-tips", "/blog/sales-marketing-alignment"]
CAREER_PAGES = ["/careers", "/careers", "/careers/account-executive-berlin", "/careers/sdr-london",
                "/careers/product-designer"]
CTAS = ["book-a-demo", "see-pricing", "start-free-trial", "download-guide", "talk-to-sales"]
WEBINARS = ["scoring-masterclass", "fit-vs-engagement-live", "revops-roundtable", "q3-product-update"]
NETWORKS = ["linkedin", "linkedin", "twitter", "youtube", "facebook"]
NURTURE = ["nurture-welcome", "nurture-roi", "nurture-case-study", "nurture-pricing", "launch-ai-scoring",
           "event-invite-revops", "promo-annual-plan"]
# Newsletters go out every other Tuesday, 09:00 UTC, over the whole period.
NEWSLETTERS = [ago(399 - 14 * i, 0) + dt.timedelta(hours=9) for i in range(29)]


def newsletter_name(t: dt.datetime) -> str:
    return "newsletter-" + t.strftime("%Y-%m-%d")


def b2b_named(ev: Events) -> list[dict]:
    """The hand-written cases (c0001-c0030) described in examples/README.md."""
    rows: list[dict] = []

    def contact(cid, **props):
        rows.append({"id": cid, **props})

    def send(cid, when, campaign):
        ev.add(cid, "email_sent", when, campaign=campaign)

    def newsletter(cid, when, opened_after_hours=None):
        name = newsletter_name(when)
        ev.add(cid, "email_sent", when, campaign=name)
        if opened_after_hours is not None:
            ev.add(cid, "email_open", when + dt.timedelta(hours=opened_after_hours), campaign=name,
                   newsletter=True)

    def nurture(cid, when, campaign, open_at=None, click_at=None, url="/blog/lead-scoring-models"):
        ev.add(cid, "email_sent", when, campaign=campaign)
        if open_at is not None:
            ev.add(cid, "email_open", open_at, campaign=campaign, newsletter=False)
        if click_at is not None:
            ev.add(cid, "email_click", click_at, campaign=campaign, url=url)

    def view(cid, when, url):
        ev.add(cid, "page_view", when, url=url)

    def form(cid, when, name):
        ev.add(cid, "form_submit", when, form=name)

    # c0001 -- strong-fit decision maker, demo request 5 days ago: SQL, A1, routed to sales.
    c = "c0001"
    contact(c, email="dana.whitfield@northwind-analytics.com", company="Northwind Analytics",
            job_title="VP of Sales", industry="SaaS", employees=350, annual_revenue=42000000,
            country="United States", phone="+1 415 555 0134", persona="Decision maker",
            original_source="Direct Traffic", company_type="Prospect", lifecycle_stage="lead",
            open_deals=0, email_opt_out=False, created=dt.date(2026, 6, 14))
    for d, o, k in [(118, None, None), (95, None, None), (70, ago(69, 20), None),
                    (50, ago(49, 22), ago(49, 21, 30)), (30, ago(29, 18), ago(29, 17)), (9, ago(8, 21), ago(8, 20))]:
        nurture(c, ago(d, 15), "nurture-roi" if d > 60 else "nurture-pricing", o, k, url="/pricing")
    newsletter(c, ago(40, 15), 5)
    newsletter(c, ago(26, 15), 3)
    newsletter(c, ago(12, 15))
    for w in [ago(20, 3), ago(12, 2), ago(6, 4), ago(3, 1)]:
        view(c, w, "/pricing")
    view(c, ago(5, 2), "/demo")
    view(c, ago(4), "/customers")
    view(c, ago(25), "/product")
    view(c, ago(33), "/blog/mql-vs-sql")
    view(c, ago(31), "/blog/lead-scoring-models")
    view(c, ago(18), "/blog/fit-vs-engagement")
    ev.add(c, "cta_click", ago(5, 1), cta="book-a-demo")
    ev.add(c, "webinar_registration", ago(45, 9), webinar="scoring-masterclass")
    ev.add(c, "social_interaction", ago(15, 2), network="linkedin")
    ev.add(c, "social_interaction", ago(7, 5), network="linkedin")
    form(c, ago(52, 5), "whitepaper")
    form(c, ago(5, 1, 30), "demo-request")

    # c0002 -- mid-funnel manager: content downloads, newsletter reader: MQL, B2.
    c = "c0002"
    contact(c, email="priya.raman@ledgerly.co", company="Ledgerly", job_title="Marketing Manager",
            industry="FinTech", employees=120, annual_revenue=8500000, country="United Kingdom",
            persona="Evaluator", original_source="Organic Search", company_type="Prospect",
            lifecycle_stage="lead", email_opt_out=False, created=dt.date(2026, 7, 30))
    nurture(c, ago(80, 15), "nurture-welcome")
    nurture(c, ago(55, 15), "nurture-roi", open_at=ago(54, 20))
    nurture(c, ago(33, 15), "nurture-case-study", click_at=ago(33, 13), url="/customers")
    newsletter(c, ago(68, 15))
    newsletter(c, ago(54, 15))
    newsletter(c, ago(40, 15), 3)
    newsletter(c, ago(26, 15), 2)
    newsletter(c, ago(12, 15), 4)
    view(c, ago(41), "/blog/what-is-lead-scoring")
    view(c, ago(27), "/blog/negative-scoring")
    view(c, ago(13), "/blog/score-decay")
    view(c, ago(12, 10), "/product")
    form(c, ago(41, 1), "whitepaper")
    form(c, ago(20, 2), "ebook")
    form(c, ago(12, 9), "case-study")

    # c0003 -- cold lead: 5 emails in 90 days, never opened, never visited the site.
    c = "c0003"
    contact(c, email="r.khan@tradepost-retail.com", company="Tradepost Retail", job_title="Analyst",
            industry="Retail", employees=30, country="India", original_source="Paid Social",
            company_type="Prospect", lifecycle_stage="subscriber", email_opt_out=False,
            created=dt.date(2026, 7, 20))
    for d in (85, 60, 35, 10):
        send(c, ago(d, 15), "nurture-welcome" if d == 85 else "nurture-roi")
    newsletter(c, ago(26, 15))

    # c0004 -- good fit, demo request 120 days ago, silent for exactly 100 days:
    #          engagement 110 halved to 55 by decay (200 = SQL without decay, 145 = MQL with it).
    c = "c0004"
    contact(c, email="m.okafor@cedarstack.com", company="Cedarstack Software", job_title="Director of Marketing",
            industry="Software", employees=600, annual_revenue=75000000, country="Canada",
            phone="+1 604 555 0199", persona="Decision maker", original_source="Organic Search",
            company_type="Prospect", lifecycle_stage="lead", open_deals=0, email_opt_out=False,
            created=dt.date(2026, 3, 2))
    nurture(c, ago(170, 15), "nurture-welcome", open_at=ago(169, 20))
    newsletter(c, ago(68, 15))
    newsletter(c, ago(12, 15))
    ev.add(c, "webinar_registration", ago(130, 10), webinar="revops-roundtable")
    form(c, ago(140, 3), "whitepaper")
    view(c, ago(121), "/pricing")
    view(c, ago(120, 3), "/demo")
    form(c, ago(120, 2), "demo-request")
    view(c, ago(100), "/pricing")                       # last activity: exactly 100 days

    # c0005 -- job seeker: persona and careers pages.
    c = "c0005"
    contact(c, email="lukas.meyer.jobs@gmail.com", job_title="Open to work | Sales Development",
            country="Germany", persona="Job seeker", original_source="Organic Search",
            lifecycle_stage="subscriber", created=dt.date(2026, 10, 10))
    view(c, ago(20, 2), "/careers")
    view(c, ago(20, 1), "/careers/sdr-london")
    view(c, ago(9, 4), "/careers")
    view(c, ago(9, 3), "/careers/account-executive-berlin")
    view(c, ago(9, 2), "/about")

    # c0006 -- student (.edu address, persona) who reads a lot: engaged, but fit -45.
    c = "c0006"
    contact(c, email="mia.chen@stanford.edu", company="Stanford University", job_title="Student",
            industry="Education", country="United States", persona="Student",
            original_source="Organic Search", lifecycle_stage="subscriber", email_opt_out=False,
            created=dt.date(2026, 8, 28))
    newsletter(c, ago(54, 15))
    newsletter(c, ago(40, 15), 6)
    newsletter(c, ago(26, 15))
    newsletter(c, ago(12, 15), 20)
    for d, u in [(40, "/blog/what-is-lead-scoring"), (33, "/blog/lead-scoring-models"), (25, "/blog/mql-vs-sql"),
                 (18, "/blog/fit-vs-engagement"), (11, "/blog/negative-scoring"), (10, "/blog/score-decay")]:
        view(c, ago(d, 2), u)
    form(c, ago(40, 1), "ebook")
    form(c, ago(25, 1), "ebook")
    form(c, ago(10, 1), "whitepaper")

    # c0007 -- Acme employee testing the demo form: disqualified (employee).
    c = "c0007"
    contact(c, email="jonas.berg@acme.com", company="Acme", job_title="Head of Marketing", industry="Software",
            employees=400, annual_revenue=55000000, country="Germany", phone="+49 30 5550 1200",
            persona="Decision maker", original_source="Direct Traffic", email_opt_out=False,
            created=dt.date(2025, 2, 3))
    for d in (14, 9, 2):
        view(c, ago(d, 3), "/pricing")
    view(c, ago(2, 2), "/demo")
    form(c, ago(2, 1), "demo-request")
    form(c, ago(2), "contact-sales")
    nurture(c, ago(20, 15), "launch-ai-scoring", open_at=ago(20, 14), click_at=ago(20, 13), url="/product/scoring")

    # c0008 -- partner agency flagged in the CRM: disqualified (partner).
    c = "c0008"
    contact(c, email="olivia.walsh@brightpath-consulting.com", company="BrightPath Consulting",
            job_title="Managing Partner", industry="Marketing Services", employees=25, annual_revenue=3200000,
            country="Ireland", persona="Agency / Partner", original_source="Referrals",
            referrer="https://partners.acme.com/directory/brightpath", company_type="Partner",
            lifecycle_stage="other", email_opt_out=False, created=dt.date(2025, 11, 18))
    ev.add(c, "webinar_registration", ago(45, 9), webinar="scoring-masterclass")
    ev.add(c, "webinar_registration", ago(16, 9), webinar="revops-roundtable")
    form(c, ago(30, 2), "case-study")
    for d in (30, 22, 16, 3):
        view(c, ago(d, 4), "/pricing" if d < 20 else "/customers")

    # c0009 -- competitor not flagged in the CRM, caught by the email domain: fit -57.
    c = "c0009"
    contact(c, email="sam.ortiz@rivalytics.io", company="Rivalytics", job_title="Product Marketing Manager",
            industry="Software", employees=80, country="United States", original_source="Organic Search",
            lifecycle_stage="lead", email_opt_out=False, created=dt.date(2026, 8, 20))
    for d in (50, 41, 33, 20, 8):
        view(c, ago(d, 5), "/pricing")
    view(c, ago(8, 4), "/customers")
    view(c, ago(33, 4), "/product")
    form(c, ago(20, 4), "whitepaper")

    # c0010 -- customer (lifecycle stage "Customer", any case) with high engagement: disqualified.
    c = "c0010"
    contact(c, email="hugo.moreau@lumenware.fr", company="Lumenware", job_title="VP Marketing",
            industry="Software", employees=260, annual_revenue=31000000, country="France",
            phone="+33 1 55 55 01 23", persona="Decision maker", original_source="Paid Search",
            company_type="Customer", lifecycle_stage="Customer", open_deals=0, email_opt_out=False,
            created=dt.date(2025, 1, 12))
    for d in (40, 26, 12):
        newsletter(c, ago(d, 15), 2)
    ev.add(c, "webinar_registration", ago(20, 9), webinar="q3-product-update")
    for d in (15, 7, 3):
        view(c, ago(d, 6), "/docs/getting-started")
    form(c, ago(7, 5), "webinar-replay")

    # c0011 -- open opportunity: no lifecycle stage in the export, 1 open deal: disqualified.
    c = "c0011"
    contact(c, email="kenji.tanaka@atlasgrid.io", company="Atlasgrid", job_title="Director of Sales Operations",
            industry="SaaS", employees=180, annual_revenue=19000000, country="United States",
            phone="+1 646 555 0177", persona="Evaluator", original_source="Referrals",
            company_type="Prospect", open_deals=1, email_opt_out=False, created=dt.date(2026, 5, 9))
    form(c, ago(35, 2), "demo-request")
    for d in (35, 21, 6):
        view(c, ago(d, 3), "/pricing")

    # c0012 -- unsubscribed from all email (we stopped mailing 200 days ago), still browsing.
    c = "c0012"
    contact(c, email="nina.visser@willowpeak.nl", company="Willowpeak", job_title="Head of Growth",
            industry="eCommerce", employees=150, annual_revenue=12000000, country="Netherlands",
            persona="Evaluator", original_source="Social Media", company_type="Prospect",
            lifecycle_stage="lead", email_opt_out=True, created=dt.date(2025, 12, 1))
    nurture(c, ago(230, 15), "nurture-welcome", open_at=ago(229, 20))
    newsletter(c, ago(215, 15))
    newsletter(c, ago(201, 15))
    view(c, ago(40, 3), "/pricing")
    view(c, ago(15, 3), "/pricing")
    view(c, ago(15, 4), "/product")
    form(c, ago(15, 2), "checklist")

    # c0013 -- hard bounce 40 days ago: -90.
    c = "c0013"
    contact(c, email="ben.adams@copperline.com", company="Copperline", job_title="Sales Manager",
            industry="SaaS", employees=45, annual_revenue=2500000, country="USA", persona="Practitioner",
            original_source="Paid Search", company_type="Prospect", lifecycle_stage="lead",
            email_opt_out=False, created=dt.date(2025, 12, 20))
    nurture(c, ago(300, 15), "nurture-welcome", open_at=ago(299, 20))
    newsletter(c, ago(54, 15))
    send(c, ago(40, 15), newsletter_name(ago(40, 15)))
    ev.add(c, "email_bounce", ago(40, 14, 59), campaign=newsletter_name(ago(40, 15)))
    view(c, ago(60, 2), "/blog/mql-vs-sql")
    view(c, ago(45, 2), "/blog/score-decay")

    # c0014 -- missing industry/size/revenue, mixed-case values ("vp marketing", "canada",
    #          "DECISION MAKER"): hot, but the criteria-based hand-off needs an industry.
    c = "c0014"
    contact(c, email="tara.singh@summitflow.com", company="Summitflow", job_title="vp marketing",
            country="canada", persona="DECISION MAKER", original_source="Organic Search",
            lifecycle_stage="lead", email_opt_out=False, created=dt.date(2026, 9, 1))
    nurture(c, ago(40, 15), "nurture-welcome", open_at=ago(40, 10))
    nurture(c, ago(20, 15), "nurture-pricing", click_at=ago(20, 10), url="/pricing")
    for d in (30, 14):
        view(c, ago(d, 3), "/pricing")
    view(c, ago(12, 5), "/pricing")
    view(c, ago(12, 4), "/demo")
    form(c, ago(12, 3), "demo-request")

    # c0015 / c0016 -- the 60-day window edge: the third pricing view is exactly at as_of - 60d
    #          (counted: 3 views, +15) or one second earlier (not counted: 2 views).
    for c, third in (("c0015", ago(60)), ("c0016", ago(60, s=1))):
        first, last = ("felix", "hansen") if c == "c0015" else ("grace", "hughes")
        contact(c, email=f"{first}.{last}@harborpoint.fr", company="Harborpoint",
                job_title="Director of Operations", industry="Marketing Services", employees=60,
                country="France", original_source="Organic Search", lifecycle_stage="lead",
                email_opt_out=False, created=dt.date(2026, 8, 1))
        view(c, ago(10, 2), "/pricing")
        view(c, ago(30, 2), "/pricing")
        view(c, third, "/pricing")

    # c0017 -- events after as_of are ignored: a demo request, pricing views and a webinar
    #          registration dated after 2026-11-01 count for nothing; one view at exactly
    #          as_of counts.
    c = "c0017"
    contact(c, email="viktor.novak@ironbridge.de", company="Ironbridge GmbH", job_title="Chief Revenue Officer",
            industry="software", employees=1200, annual_revenue=300000000, country="Germany",
            phone="+49 89 5550 3300", original_source="Paid Search", company_type="Prospect",
            lifecycle_stage="lead", email_opt_out=False, created=dt.date(2026, 9, 15))
    nurture(c, ago(40, 15), "nurture-welcome")
    nurture(c, ago(20, 15), "nurture-roi", open_at=ago(20, 10))
    newsletter(c, ago(12, 15), 3)
    view(c, ago(20, 9), "/product")
    view(c, ago(18), "/blog/fit-vs-engagement")
    view(c, AS_OF, "/pricing")                          # exactly as_of: counted
    view(c, after(1, 2), "/pricing")                    # after as_of: ignored
    view(c, after(1, 3), "/pricing")
    view(c, after(1, 4), "/pricing")
    form(c, after(2, 10), "demo-request")
    ev.add(c, "webinar_registration", after(s=1), webinar="revops-roundtable")

    # c0018 / c0019 -- non-cumulative visit bands and the 90-day edge: 6 visits (the 6th at
    #          exactly as_of - 90d) give +6, not +9; 5 visits give +3.
    for c, sixth in (("c0018", ago(90)), ("c0019", ago(90, s=1))):
        first, last = ("quinn", "larsen") if c == "c0018" else ("zoe", "park")
        contact(c, email=f"{first}.{last}@clearleaf.com.au", company="Clearleaf", job_title="Consultant",
                employees=12, country="Australia", original_source="Organic Search",
                lifecycle_stage="subscriber", created=dt.date(2026, 7, 1))
        for d, u in [(5, "/product"), (10, "/integrations/hubspot"), (20, "/"), (30, "/about"),
                     (40, "/product/scoring")]:
            view(c, ago(d, 4), u)
        view(c, sixth, "/")

    # c0020 -- inactive for exactly 30 days (last click at as_of - 30d): 75%, 50 -> 37.5 -> 38.
    c = "c0020"
    contact(c, email="elena.costa@swiftledger.com", company="Swiftledger", job_title="Head of Sales",
            industry="FinTech", employees=220, annual_revenue=30000000, country="United States",
            phone="+1 212 555 0142", persona="Evaluator", original_source="Referrals",
            company_type="Prospect", lifecycle_stage="lead", email_opt_out=False,
            created=dt.date(2026, 6, 20))
    nurture(c, ago(75, 15), "nurture-welcome")
    nurture(c, ago(46), "nurture-roi", open_at=ago(45, 20))
    nurture(c, ago(30, 1), "nurture-pricing", open_at=ago(30, m=10), click_at=ago(30), url="/pricing")
    newsletter(c, ago(26, 15))
    newsletter(c, ago(12, 15))
    ev.add(c, "webinar_registration", ago(60), webinar="fit-vs-engagement-live")
    view(c, ago(50), "/about")

    # c0021 -- inactive for exactly 180 days (last pricing view at as_of - 180d): 25%, 80 -> 20.
    c = "c0021"
    contact(c, email="wei.xu@quantumworks.io", company="Quantumworks", job_title="CTO", industry="Software",
            employees=90, annual_revenue=6000000, country="Ireland", phone="+353 1 555 0101",
            original_source="Organic Search", company_type="Prospect", lifecycle_stage="lead",
            email_opt_out=False, created=dt.date(2026, 3, 10))
    nurture(c, ago(191, 15), "nurture-welcome", open_at=ago(190))
    form(c, ago(200), "demo-request")
    ev.add(c, "webinar_registration", ago(200, 1), webinar="scoring-masterclass")   # outside 180d
    view(c, ago(180), "/pricing")

    # c0022 -- sales feedback "Unqualified": hot (contact-sales form) but fit -52: C1.
    c = "c0022"
    contact(c, email="umar.iqbal@vertexlabs.com", company="Vertexlabs", job_title="VP Engineering",
            industry="saas", employees=40, country="United States", original_source="Paid Search",
            company_type="Prospect", lifecycle_stage="lead", email_opt_out=False,
            sales_feedback="Unqualified", created=dt.date(2026, 8, 5))
    form(c, ago(15), "contact-sales")
    view(c, ago(15, 1), "/pricing")
    view(c, ago(25), "/pricing")
    view(c, ago(40), "/pricing")
    nurture(c, ago(60, 15), "nurture-welcome", open_at=ago(60, 10), click_at=ago(60, 9), url="/product")
    nurture(c, ago(25, 15), "nurture-pricing", click_at=ago(25, 10), url="/pricing")

    # c0023 -- late bloomer: created two years ago, ignored a year of newsletters, active in the
    #          last 3 weeks: no decay (decay is by inactivity, not by age of the record): SQL.
    c = "c0023"
    contact(c, email="carmen.reyes@pinegrid.com", company="Pinegrid", job_title="Head of Revenue Operations",
            industry="Software", employees=450, annual_revenue=60000000, country="United States",
            phone="+1 512 555 0160", persona="Decision maker", original_source="Offline Sources",
            company_type="Prospect", lifecycle_stage="lead", open_deals=0, email_opt_out=False,
            created=dt.date(2024, 9, 10))
    for t in NEWSLETTERS[::2]:
        newsletter(c, t)
    view(c, ago(380), "/")
    nurture(c, ago(20, 15), "launch-ai-scoring", open_at=ago(20, 10), click_at=ago(20, 9), url="/product/scoring")
    for d in (18, 9, 3):
        view(c, ago(d, 5), "/pricing")
    view(c, ago(19), "/blog/mql-vs-sql")
    view(c, ago(10), "/product")
    form(c, ago(3, 1), "demo-request")

    # c0024 -- founder of a tiny SaaS company asks for a demo: points say "lead" (fit 10),
    #          the criteria-based hand-off routes it to sales.
    c = "c0024"
    contact(c, email="rafael@orbitflow.com.br", company="Orbitflow", job_title="Founder & CEO", industry="SaaS",
            employees=8, annual_revenue=400000, country="Brazil", original_source="Organic Search",
            lifecycle_stage="lead", email_opt_out=False, created=dt.date(2026, 10, 18))
    view(c, ago(10, 2), "/product")
    view(c, ago(10, 1), "/demo")
    form(c, ago(10), "demo-request")

    # c0025 -- hot but poor fit (tiny retailer, webinar and content fan): lifecycle MQL on
    #          engagement alone, grid C1.
    c = "c0025"
    contact(c, email="aisha.ahmed@redstone-shop.in", company="Redstone Shop", job_title="Marketing Coordinator",
            industry="Retail", employees=5, annual_revenue=300000, country="India", persona="Practitioner",
            original_source="Social Media", lifecycle_stage="subscriber", email_opt_out=False,
            created=dt.date(2026, 4, 1))
    for d in (150, 90, 30):
        ev.add(c, "webinar_registration", ago(d, 8), webinar=WEBINARS[d % 4])
    for d in (70, 55, 41, 28, 14, 4):
        ev.add(c, "social_interaction", ago(d, 6), network="linkedin" if d % 2 else "youtube")
    for d in (80, 50, 20):
        nurture(c, ago(d, 15), "nurture-roi", open_at=ago(d, 12), click_at=ago(d, 11), url="/blog/score-decay")
    for d in (68, 54, 40, 26):
        newsletter(c, ago(d, 15), 2)
    for i, d in enumerate((85, 78, 66, 59, 47, 39, 33, 25, 19, 12, 6, 2)):
        view(c, ago(d, 3), BLOG_PAGES[i % len(BLOG_PAGES)])
    for d in (33, 19, 12, 2):
        ev.add(c, "cta_click", ago(d, 2), cta="download-guide")
    form(c, ago(60), "ebook")
    for d in (33, 19, 12, 2):
        form(c, ago(d, 1), "checklist")

    # c0026 -- perfect fit but cold (one visit): fit 110, engagement 0: grid A3.
    c = "c0026"
    contact(c, email="ivan.jovanovic@summitstack.com", company="Summitstack", job_title="Chief Marketing Officer",
            industry="Software", employees=800, annual_revenue=120000000, country="United States",
            phone="+1 617 555 0188", persona="Decision maker", original_source="Direct Traffic",
            referrer="https://partners.acme.com/directory/northloop", company_type="Prospect",
            lifecycle_stage="lead", email_opt_out=False, created=dt.date(2026, 10, 12))
    view(c, ago(20), "/")

    # c0027 -- Acme employee using a personal address (company "ACME"): not disqualified, but
    #          -200 brings the score back below zero.
    c = "c0027"
    contact(c, email="lena.vogel84@gmail.com", company="ACME", job_title="Sales Engineer", industry="Software",
            employees=300, annual_revenue=80000000, country="United States", original_source="Direct Traffic",
            lifecycle_stage="lead", email_opt_out=False, created=dt.date(2026, 10, 27))
    view(c, ago(5, 2), "/")
    view(c, ago(5, 1), "/demo")
    form(c, ago(5), "demo-request")

    # c0028 -- opens everything: 20 promo opens and 12 newsletter opens count +10 and +10.
    c = "c0028"
    contact(c, email="oscar.eriksen@bluefield.co.uk", company="Bluefield Ltd", job_title="Account Manager",
            industry="Ecommerce", employees=60, country="United Kingdom", original_source="Email Marketing",
            company_type="Prospect", lifecycle_stage="subscriber", email_opt_out=False,
            created=dt.date(2026, 6, 1))
    for i in range(20):
        d = 118 - 6 * i
        nurture(c, ago(d, 15), NURTURE[i % len(NURTURE)], open_at=ago(d, 13))
    for t in NEWSLETTERS[-12:]:
        newsletter(c, t, 4)
    view(c, ago(50), "/")

    # c0029 -- browses a lot (40 views in 60 days): the web group stops at its 20% share (40).
    c = "c0029"
    contact(c, email="sofia.ferreira@northpath.com", company="Northpath", job_title="Director of Sales",
            industry="software", employees=150, country="United States", phone="+1 303 555 0111",
            original_source="Organic Search", company_type="Prospect", lifecycle_stage="lead",
            email_opt_out=False, created=dt.date(2026, 8, 15))
    pages = ["/pricing"] * 10 + BLOG_PAGES[:5] + PRODUCT_PAGES * 2 + ["/integrations/hubspot"] * 5
    for i, u in enumerate(pages):
        view(c, ago(58 - (i * 57) // len(pages), 3 + i % 7), u)
    for d in (40, 20, 5):
        ev.add(c, "cta_click", ago(d, 1), cta="see-pricing")

    # c0030 -- does everything: engagement would be 220, the score's max holds it at 200.
    c = "c0030"
    contact(c, email="julia.weber@lumenlogic.com", company="Lumenlogic", job_title="Head of Demand Generation",
            industry="Software", employees=300, annual_revenue=20000000, country="United States",
            phone="+1 206 555 0150", persona="Decision maker", original_source="Paid Search",
            company_type="Prospect", lifecycle_stage="lead", open_deals=0, email_opt_out=False,
            created=dt.date(2026, 5, 20))
    for d in (80, 60, 40, 20, 6):
        nurture(c, ago(d, 15), "nurture-case-study", open_at=ago(d, 12), click_at=ago(d, 11), url="/customers")
    for d in (54, 40, 26, 12):
        newsletter(c, ago(d, 15), 3)
    for i in range(24):
        pages = INTENT_PAGES + BLOG_PAGES + PRODUCT_PAGES
        view(c, ago(2 + i * 2, 4), pages[i % len(pages)])
    for d in (30, 10):
        ev.add(c, "cta_click", ago(d), cta="talk-to-sales")
    for d in (120, 60, 20):
        ev.add(c, "webinar_registration", ago(d, 8), webinar=WEBINARS[d % 4])
    for d in (50, 35, 21, 9, 3):
        ev.add(c, "social_interaction", ago(d, 7), network="linkedin")
    for d, f in [(90, "newsletter-signup"), (75, "whitepaper"), (61, "ebook"), (44, "case-study"),
                 (30, "roi-calculator"), (16, "contact-sales"), (4, "demo-request")]:
        form(c, ago(d, 6), f)
    return rows


# Population archetypes: (name, share of the generated contacts).
B2B_ARCHETYPES = [
    ("sql_hot", 8), ("mql", 18), ("engaged_poor_fit", 5), ("cold_good_fit", 6), ("cold", 20),
    ("inactive_good_fit", 8), ("job_seeker", 4), ("student", 3), ("employee", 2), ("partner", 3),
    ("competitor", 2), ("supplier", 1), ("customer", 6), ("opportunity", 4), ("unsubscribed", 4),
    ("bounced", 3), ("sales_feedback", 3),
]


def spread(total: int, shares: list[tuple[str, int]], rng: Rng) -> list[str]:
    """Exactly `total` archetype names in proportion to their shares, in random order."""
    weight = sum(s for _, s in shares)
    counts = [(name, share * total // weight) for name, share in shares]
    short = total - sum(n for _, n in counts)
    names = [name for name, n in counts for _ in range(n)]
    names += [shares[i % len(shares)][0] for i in range(short)]
    rng.shuffle(names)
    return names


def b2b_fit(rng: Rng, level: str) -> dict:
    """Firmographic and demographic fields for a strong / medium / weak fit."""
    if level == "strong":
        title = rng.choice(DM_TITLES)
        industry = rng.choice(TOP_INDUSTRIES if rng.chance(0.75) else GOOD_INDUSTRIES)
        employees = rng.choice([rng.randint(200, 999), rng.randint(200, 999), rng.randint(1000, 12000),
                                rng.randint(50, 199)])
        country = rng.choice(CORE_COUNTRIES if rng.chance(0.7) else SECONDARY_COUNTRIES)
        persona = rng.weighted([("Decision maker", 6), ("Evaluator", 2), (None, 3)])
    elif level == "medium":
        title = rng.choice(MANAGER_TITLES if rng.chance(0.7) else DM_TITLES)
        industry = rng.choice(GOOD_INDUSTRIES if rng.chance(0.6) else TOP_INDUSTRIES + OTHER_INDUSTRIES)
        employees = rng.choice([rng.randint(50, 199), rng.randint(10, 49), rng.randint(200, 999)])
        country = rng.choice(SECONDARY_COUNTRIES + CORE_COUNTRIES + OTHER_COUNTRIES[:3])
        persona = rng.weighted([("Evaluator", 4), ("Practitioner", 3), ("Decision maker", 1), (None, 4)])
    else:
        title = rng.choice(IC_TITLES + MANAGER_TITLES[:2])
        industry = rng.choice(OTHER_INDUSTRIES + POOR_INDUSTRIES + GOOD_INDUSTRIES[:2])
        employees = rng.choice([rng.randint(1, 9), rng.randint(1, 9), rng.randint(10, 49), rng.randint(50, 199)])
        country = rng.choice(OTHER_COUNTRIES + SECONDARY_COUNTRIES[:2] + CORE_COUNTRIES[:1])
        persona = rng.weighted([("Practitioner", 4), ("Other", 2), (None, 5)])
    revenue = int(employees * rng.uniform(60000, 260000) / 1000) * 1000
    fields = {"job_title": title, "industry": industry, "employees": employees, "annual_revenue": revenue,
              "country": country, "persona": persona}
    # Real exports are full of holes.
    for key, p in (("job_title", 0.06), ("industry", 0.12), ("employees", 0.15), ("annual_revenue", 0.3),
                   ("country", 0.05), ("persona", 0.1)):
        if rng.chance(p):
            fields[key] = None
    fields["phone"] = phone(rng, fields["country"]) if rng.chance(0.6 if level == "strong" else 0.35) else None
    fields["original_source"] = rng.weighted(SOURCES) if rng.chance(0.92) else None
    fields["referrer"] = rng.choice(REFERRERS) if rng.chance(0.25) else None
    return fields


class B2BActivity:
    """Generates the events of one contact from a behaviour profile."""

    def __init__(self, ev: Events, rng: Rng, cid: str):
        self.ev, self.rng, self.cid = ev, rng, cid
        self.first: dt.datetime | None = None

    def add(self, kind: str, when: dt.datetime, **attrs) -> None:
        self.ev.add(self.cid, kind, when, **attrs)
        if when <= AS_OF and (self.first is None or when < self.first):
            self.first = when

    def moment(self, newest: float, oldest: float) -> dt.datetime:
        """A random instant between `newest` and `oldest` days before AS_OF."""
        return ago(self.rng.uniform(newest, max(newest, oldest)))

    def run(self, *, active_from: float, active_to: float, open_rate: float, click_rate: float,
            views: int, page_mix: list, forms: list[tuple[str, float, float]] = (),
            webinars: int = 0, socials: int = 0, ctas: int = 0, newsletter_share: float = 0.6,
            nurtures: int = 4, sends_stop: float | None = None, subscribed_since: float = 400,
            future: bool = False, edges: bool = False) -> None:
        """Activity happens between active_to and active_from days ago (active_to is the newest);
        emails are sent over the whole period, whether the contact reacts or not."""
        rng = self.rng
        stop = sends_stop if sends_stop is not None else -20     # keep mailing past as_of
        sends = [(t, newsletter_name(t), True) for t in NEWSLETTERS
                 if (AS_OF - t).days <= subscribed_since and (AS_OF - t).days >= stop
                 and rng.chance(newsletter_share)]
        for _ in range(nurtures):
            t = self.moment(max(stop, 0), subscribed_since)
            sends.append((t.replace(hour=15, minute=0, second=0), rng.choice(NURTURE), False))
        sends.sort()
        for t, campaign, is_newsletter in sends:
            self.add("email_sent", t, campaign=campaign)
            days = (AS_OF - t).total_seconds() / 86400
            if active_to - 3 <= days <= active_from and rng.chance(open_rate):
                opened = t + dt.timedelta(hours=rng.uniform(0.3, 30))
                self.add("email_open", opened, campaign=campaign, newsletter=is_newsletter)
                if rng.chance(click_rate):
                    url = rng.choice(INTENT_PAGES + BLOG_PAGES) if not is_newsletter else rng.choice(BLOG_PAGES)
                    self.add("email_click", opened + dt.timedelta(minutes=rng.randint(1, 40)),
                             campaign=campaign, url=url)
        for i in range(views):
            url = rng.weighted(page_mix)()
            self.add("page_view", self.moment(active_to, active_from), url=url)
        if views and edges:
            # a view exactly on a window edge
            self.add("page_view", ago(rng.choice([60, 90, 180])), url=rng.choice(INTENT_PAGES))
        for name, newest, oldest in forms:
            self.add("form_submit", self.moment(newest, oldest), form=name)
        for _ in range(webinars):
            self.add("webinar_registration", self.moment(active_to, active_from), webinar=rng.choice(WEBINARS))
        for _ in range(socials):
            self.add("social_interaction", self.moment(active_to, active_from), network=rng.choice(NETWORKS))
        for _ in range(ctas):
            self.add("cta_click", self.moment(active_to, active_from), cta=rng.choice(CTAS))
        if future:
            # the export was taken a few days after as_of: these must be ignored
            for _ in range(rng.randint(1, 4)):
                self.add("page_view", after(rng.uniform(0.01, 12)), url=rng.choice(INTENT_PAGES + PRODUCT_PAGES))
            if rng.chance(0.3):
                self.add("form_submit", after(rng.uniform(0.1, 12)), form=rng.choice(["demo-request", "ebook"]))


def mix(intent: float, product: float, blog: float, careers: float = 0.0) -> list:
    rng_pick = []
    for pages, weight in ((INTENT_PAGES, intent), (PRODUCT_PAGES, product), (BLOG_PAGES, blog),
                          (CAREER_PAGES, careers)):
        if weight:
            rng_pick.append((pages, weight))
    return rng_pick


def b2b_population(rng: Rng, ev: Events, start: int, end: int) -> list[dict]:
    rows = []
    archetypes = spread(end - start + 1, B2B_ARCHETYPES, rng)
    for n, kind in zip(range(start, end + 1), archetypes):
        cid = f"c{n:04d}"
        first, last = person(rng)
        co_name, domain = company(rng)
        fit_level = {"sql_hot": "strong", "mql": "medium", "engaged_poor_fit": "weak",
                     "cold_good_fit": "strong", "cold": rng.choice(["weak", "medium"]),
                     "inactive_good_fit": "strong", "customer": "strong", "opportunity": "strong",
                     "partner": "medium", "competitor": "medium"}.get(kind, rng.choice(["weak", "medium"]))
        row = {"id": cid, "email": work_email(first, last, domain, rng), "company": co_name,
               **b2b_fit(rng, fit_level), "company_type": "Prospect" if rng.chance(0.6) else None,
               "lifecycle_stage": rng.weighted([("lead", 6), ("subscriber", 3), ("Lead", 1)]),
               "open_deals": 0 if rng.chance(0.5) else None, "email_opt_out": False if rng.chance(0.9) else None,
               "sales_feedback": None}
        act = B2BActivity(ev, rng, cid)
        heavy = rng.heavy(6)                      # heavy-tailed extra activity
        pick = lambda pages: (lambda: rng.choice(pages))   # noqa: E731
        page_mix = lambda i, p, b, c=0.0: [(pick(pages), w) for pages, w in mix(i, p, b, c)]  # noqa: E731
        future = rng.chance(0.12)
        if kind == "sql_hot":
            act.run(active_from=rng.uniform(40, 120), active_to=rng.uniform(0, 6), open_rate=0.7, click_rate=0.5,
                    views=8 + heavy * 2, page_mix=page_mix(4, 3, 2), webinars=rng.randint(0, 2),
                    socials=rng.randint(0, 4), ctas=rng.randint(1, 3), edges=rng.chance(0.2), future=future,
                    forms=[("demo-request", 0, 25)]
                    + ([("contact-sales", 0, 20)] if rng.chance(0.3) else [])
                    + ([(rng.choice(["whitepaper", "ebook"]), 10, 90)] if rng.chance(0.7) else [])
                    + ([(rng.choice(["case-study", "roi-calculator"]), 5, 60)] if rng.chance(0.5) else []))
            row["lifecycle_stage"] = rng.choice(["lead", "marketingqualifiedlead"])
        elif kind == "mql":
            forms = [(rng.choice(["whitepaper", "ebook"]), 3, 80) for _ in range(rng.randint(1, 3))]
            if rng.chance(0.4):
                forms.append((rng.choice(["case-study", "roi-calculator", "webinar-replay"]), 3, 60))
            if rng.chance(0.4):
                forms.append((rng.choice(["newsletter-signup", "checklist", "blog-subscribe"]), 10, 200))
            act.run(active_from=rng.uniform(60, 200), active_to=rng.uniform(0, 25), open_rate=0.5, click_rate=0.3,
                    views=3 + heavy, page_mix=page_mix(1, 2, 4), webinars=rng.randint(0, 1),
                    socials=rng.randint(0, 2), ctas=rng.randint(0, 1), forms=forms, future=future,
                    edges=rng.chance(0.15))
        elif kind == "engaged_poor_fit":
            act.run(active_from=rng.uniform(60, 200), active_to=rng.uniform(0, 10), open_rate=0.8, click_rate=0.4,
                    views=10 + heavy * 2, page_mix=page_mix(1, 2, 6), webinars=rng.randint(1, 3),
                    socials=rng.randint(2, 8), ctas=rng.randint(0, 4), future=future,
                    forms=[(rng.choice(["ebook", "checklist", "whitepaper", "newsletter-signup"]), 0, 150)
                           for _ in range(rng.randint(2, 5))])
        elif kind in ("cold", "cold_good_fit"):
            never = rng.chance(0.45)
            act.run(active_from=rng.uniform(200, 400), active_to=rng.uniform(150, 200), open_rate=0.1,
                    click_rate=0.1, views=0 if never else rng.randint(1, 2), page_mix=page_mix(0.2, 3, 2),
                    newsletter_share=0.5, nurtures=rng.randint(2, 6), subscribed_since=rng.uniform(100, 400),
                    forms=[] if never or rng.chance(0.6) else [("newsletter-signup", 150, 300)])
        elif kind == "inactive_good_fit":
            quiet = rng.choice([rng.uniform(30, 89), rng.uniform(90, 179), rng.uniform(180, 320)])
            act.run(active_from=quiet + rng.uniform(30, 90), active_to=quiet, open_rate=0.6, click_rate=0.4,
                    views=5 + heavy, page_mix=page_mix(3, 3, 2), webinars=rng.randint(0, 2),
                    ctas=rng.randint(0, 2), newsletter_share=0.3,
                    forms=[(rng.choice(["demo-request", "whitepaper", "case-study", "contact-sales"]),
                            quiet + 1, quiet + 30)])
        elif kind == "job_seeker":
            row.update(email=personal_email(first, last, rng), company=None, industry=None, employees=None,
                       annual_revenue=None, persona=rng.choice(["Job seeker", "Job Seeker", None]),
                       job_title=rng.choice(["Looking for new opportunities", "Open to work", "SDR",
                                             "Job seeker", None]), company_type=None)
            act.run(active_from=rng.uniform(10, 120), active_to=rng.uniform(0, 10), open_rate=0.2, click_rate=0.1,
                    views=2 + heavy, page_mix=page_mix(0, 1, 0.5, 4), nurtures=0, newsletter_share=0.1,
                    forms=[("newsletter-signup", 5, 60)] if rng.chance(0.3) else [])
        elif kind == "student":
            uni = rng.choice(["stanford.edu", "mit.edu", "umich.edu", "berkeley.edu", "nyu.edu"])
            row.update(email=f"{first.lower()}.{last.lower()}@{uni}", company=uni.split(".")[0].upper(),
                       job_title=rng.choice(["Student", "MBA Candidate", "Graduate Student", "student"]),
                       industry="Education", employees=None, annual_revenue=None,
                       persona=rng.choice(["Student", "Student", None]), company_type=None)
            act.run(active_from=rng.uniform(30, 150), active_to=rng.uniform(0, 20), open_rate=0.4, click_rate=0.2,
                    views=4 + heavy, page_mix=page_mix(0.2, 1, 5), nurtures=1,
                    forms=[(rng.choice(["ebook", "whitepaper", "checklist"]), 0, 100)
                           for _ in range(rng.randint(1, 3))])
        elif kind == "employee":
            row.update(email=f"{first.lower()}.{last.lower()}@acme.com", company="Acme",
                       industry="Software", employees=400, annual_revenue=55000000, company_type=None)
            act.run(active_from=rng.uniform(30, 300), active_to=rng.uniform(0, 5), open_rate=0.9, click_rate=0.6,
                    views=10 + heavy * 3, page_mix=page_mix(3, 3, 2), ctas=rng.randint(1, 5),
                    forms=[("demo-request", 0, 30), ("contact-sales", 0, 60), ("ebook", 0, 120)])
        elif kind == "partner":
            row.update(company_type=rng.choice(["Partner", "partner"]), industry="Marketing Services",
                       persona=rng.choice(["Agency / Partner", None]),
                       referrer=rng.choice(REFERRERS[3:5]))
            act.run(active_from=rng.uniform(60, 300), active_to=rng.uniform(0, 30), open_rate=0.6, click_rate=0.3,
                    views=5 + heavy, page_mix=page_mix(1, 2, 2), webinars=rng.randint(1, 3),
                    forms=[("case-study", 0, 100), ("webinar-replay", 0, 100)])
        elif kind == "competitor":
            brand, tld = rng.choice([("rivalytics", "io"), ("leadlens", "com"), ("scorehub", "io")])
            row.update(email=f"{first.lower()}.{last.lower()}@{brand}.{tld}", company=brand.capitalize(),
                       industry="Software", company_type="Competitor" if rng.chance(0.5) else None)
            act.run(active_from=rng.uniform(30, 200), active_to=rng.uniform(0, 15), open_rate=0.5, click_rate=0.3,
                    views=6 + heavy * 2, page_mix=page_mix(5, 3, 1), nurtures=2,
                    forms=[(rng.choice(["whitepaper", "ebook", "roi-calculator"]), 0, 120)])
        elif kind == "supplier":
            row.update(company_type="Supplier", industry=rng.choice(OTHER_INDUSTRIES))
            act.run(active_from=rng.uniform(30, 200), active_to=rng.uniform(0, 60), open_rate=0.3, click_rate=0.1,
                    views=rng.randint(1, 4), page_mix=page_mix(1, 3, 1))
        elif kind == "customer":
            row.update(lifecycle_stage=rng.choice(["customer", "Customer", "evangelist"]),
                       company_type="Customer", open_deals=0)
            act.run(active_from=rng.uniform(100, 380), active_to=rng.uniform(0, 20), open_rate=0.6, click_rate=0.3,
                    views=6 + heavy * 2, page_mix=page_mix(1, 5, 2), webinars=rng.randint(0, 3),
                    forms=[("webinar-replay", 0, 200)], future=future)
        elif kind == "opportunity":
            if rng.chance(0.5):
                row.update(lifecycle_stage="opportunity", open_deals=rng.randint(1, 2))
            else:
                row.update(lifecycle_stage=rng.choice([None, "salesqualifiedlead"]), open_deals=rng.randint(1, 3))
            act.run(active_from=rng.uniform(40, 150), active_to=rng.uniform(0, 15), open_rate=0.6, click_rate=0.4,
                    views=8 + heavy, page_mix=page_mix(4, 3, 1), ctas=rng.randint(0, 2),
                    forms=[("demo-request", 15, 60)])
        elif kind == "unsubscribed":
            quit_day = rng.uniform(40, 300)
            row.update(email_opt_out=True)
            act.run(active_from=quit_day + 60, active_to=rng.uniform(0, quit_day), open_rate=0.4, click_rate=0.2,
                    views=rng.randint(0, 6), page_mix=page_mix(1, 2, 2), sends_stop=quit_day,
                    forms=[("newsletter-signup", quit_day, quit_day + 60)])
        elif kind == "bounced":
            bounce_day = rng.uniform(10, 200)
            act.run(active_from=bounce_day + 100, active_to=bounce_day + 5, open_rate=0.4, click_rate=0.2,
                    views=rng.randint(0, 4), page_mix=page_mix(1, 2, 2), sends_stop=bounce_day)
            t = ago(bounce_day)
            act.add("email_sent", t, campaign=newsletter_name(t))
            act.add("email_bounce", t + dt.timedelta(minutes=2), campaign=newsletter_name(t))
        elif kind == "sales_feedback":
            row.update(sales_feedback=rng.choice(["unqualified", "Unqualified", "not ready", "Not Ready"]))
            act.run(active_from=rng.uniform(60, 200), active_to=rng.uniform(0, 40), open_rate=0.5, click_rate=0.3,
                    views=4 + heavy, page_mix=page_mix(2, 2, 2),
                    forms=[(rng.choice(["demo-request", "contact-sales", "whitepaper"]), 20, 100)])
        if kind not in ("sales_feedback",) and rng.chance(0.05):
            row["sales_feedback"] = "good fit"
        row["created"] = created_before(act.first, rng)
        rows.append(row)
    return rows


def generate_b2b() -> None:
    rng = Rng(20261101)
    ev = Events(B2B_ATTRIBUTES)
    rows = b2b_named(ev) + b2b_population(rng, ev, 31, 300)
    folder = os.path.join(HERE, "b2b_saas", "data")
    write_csv(os.path.join(folder, "contacts.csv"), ["id", *B2B_PROPERTIES],
              [[r["id"], *(r.get(p) for p in B2B_PROPERTIES)] for r in rows])
    ev.write(os.path.join(folder, "events.csv"))


# ====================================================================== product_lines

PL_PROPERTIES = ["email", "company", "job_title", "industry", "employees", "country", "lifecycle_stage",
                 "email_opt_out", "product_interest", "customer_of", "data_warehouse", "data_team_size",
                 "monthly_payment_volume", "current_processor", "created"]
PL_ATTRIBUTES = ["campaign", "product", "url", "form", "webinar", "amount", "currency"]

DATA_TITLES = ["Head of Data", "Director of Analytics", "VP Data & Analytics", "Analytics Engineer",
               "Senior Data Analyst", "BI Manager", "data engineer", "Chief Data Officer", "Insights Lead"]
FINANCE_TITLES = ["CFO", "VP Finance", "Head of Payments", "Finance Manager", "Treasury Analyst",
                  "Financial Controller", "Director of Finance"]
ENG_TITLES = ["CTO", "Software Engineer", "Engineering Manager", "Backend Developer", "VP Engineering",
              "Staff Engineer"]
OTHER_TITLES = ["Operations Manager", "Marketing Manager", "Founder", "Product Manager", "Consultant"]
WAREHOUSES = ["Snowflake", "BigQuery", "Databricks", "Redshift", "snowflake", "none", "None"]
PROCESSORS = ["Stripe", "Adyen", "PayPal", "Square", "in-house", "In-House", "Braintree"]
PL_INDUSTRIES = ["Ecommerce", "Marketplace", "SaaS", "Travel", "Retail", "Healthcare", "Media", "Logistics",
                 "Fintech", "Education"]
ANALYTICS_PAGES = ["/analytics", "/analytics/features", "/analytics/pricing", "/analytics/connectors/snowflake",
                   "/analytics/docs/quickstart", "/analytics/customers"]
PAYMENTS_PAGES = ["/payments", "/payments/pricing", "/payments/docs/api", "/payments/docs/webhooks",
                  "/payments/docs/checkout", "/payments/fees"]
GENERAL_PAGES = ["/", "/about", "/blog/modern-data-stack", "/blog/payment-fees-explained", "/careers"]


def pl_named(ev: Events) -> list[dict]:
    rows: list[dict] = []

    def contact(cid, **props):
        rows.append({"id": cid, **props})

    def view(cid, when, url):
        ev.add(cid, "page_view", when, url=url)

    # p0001 -- analytics only: data leader, trial + demo: analytics SQL, payments out_of_scope.
    c = "p0001"
    contact(c, email="hana.kim@copperstack.com", company="Copperstack", job_title="Head of Data",
            industry="Ecommerce", employees=420, country="United States", lifecycle_stage="lead",
            email_opt_out=False, product_interest=["analytics"], data_warehouse="Snowflake", data_team_size=12,
            created=dt.date(2026, 8, 2))
    for d in (30, 21, 9, 4):
        view(c, ago(d, 3), ANALYTICS_PAGES[d % 6])
    ev.add(c, "email_open", ago(25, 10), campaign="analytics-launch", product="analytics")
    ev.add(c, "email_click", ago(25, 9), campaign="analytics-launch", product="analytics")
    ev.add(c, "trial_start", ago(20), product="analytics")
    ev.add(c, "form_submit", ago(4, 2), form="demo-request", product="analytics")

    # p0002 -- payments only: CFO at a marketplace, reading the API docs, testing in the sandbox.
    c = "p0002"
    contact(c, email="marco.rossi@silverbridge.it", company="Silverbridge", job_title="CFO",
            industry="Marketplace", employees=150, country="Italy", lifecycle_stage="lead", email_opt_out=False,
            product_interest=["payments"], monthly_payment_volume=2400000, current_processor="PayPal",
            created=dt.date(2026, 9, 10))
    for d in (12, 8, 6, 3, 2, 1):
        view(c, ago(d, 5), PAYMENTS_PAGES[d % 6])
    for i in range(12):
        ev.add(c, "sandbox_payment", ago(13 - i, 2), amount=[19.99, 250.0, 1200.0][i % 3], currency="EUR")
    ev.add(c, "form_submit", ago(7), form="fee-calculator", product="payments")
    ev.add(c, "form_submit", ago(2), form="demo-request", product="payments")

    # p0003 -- interested in both, already an analytics customer: disqualified in analytics
    #          (analytics_customer), scored in payments (cross-sell).
    c = "p0003"
    contact(c, email="yusuf.yilmaz@harborflow.com", company="Harborflow", job_title="VP Finance",
            industry="SaaS", employees=300, country="Germany", lifecycle_stage="customer", email_opt_out=False,
            product_interest=["analytics", "payments"], customer_of=["analytics"], data_warehouse="BigQuery",
            data_team_size=6, monthly_payment_volume=650000, current_processor="in-house",
            created=dt.date(2025, 3, 3))
    for d in (20, 10, 5):
        view(c, ago(d, 2), "/payments/pricing")
    view(c, ago(5, 1), "/analytics/docs/quickstart")
    ev.add(c, "email_click", ago(15), campaign="payments-for-saas", product="payments")

    # p0004 -- no product interest at all: out_of_scope in both models.
    c = "p0004"
    contact(c, email="leila.das@orbitline.com", company="Orbitline", job_title="Operations Manager",
            industry="Logistics", employees=80, country="India", lifecycle_stage="subscriber",
            email_opt_out=False, created=dt.date(2026, 6, 6))
    view(c, ago(15), "/")
    view(c, ago(14), "/analytics")

    # p0005 / p0006 -- payments half-life: the same demo request 30 days ago (worth 60 * 0.5 = 30)
    #          and 1 day ago (worth 60 * 0.5^(1/30), about 58.6).
    for c, d in (("p0005", 30), ("p0006", 1)):
        first, last = ("gustav", "olsen") if c == "p0005" else ("carmen", "mendes")
        contact(c, email=f"{first}.{last}@nova-travel.com", company="Nova Travel", job_title="Head of Payments",
                industry="Travel", employees=250, country="Spain", lifecycle_stage="lead", email_opt_out=False,
                product_interest=["payments"], monthly_payment_volume=900000, current_processor="Adyen",
                created=dt.date(2026, 8, 1))
        ev.add(c, "form_submit", ago(d), form="demo-request", product="payments")

    # p0007 -- high-risk industry ("Gambling"): disqualified in payments, scored in analytics.
    c = "p0007"
    contact(c, email="ava.torres@luckyleaf.bet", company="Luckyleaf", job_title="Director of Analytics",
            industry="Gambling", employees=120, country="Malta", lifecycle_stage="lead", email_opt_out=False,
            product_interest=["analytics", "payments"], data_warehouse="Redshift", data_team_size=4,
            monthly_payment_volume=5000000, current_processor="in-house", created=dt.date(2026, 7, 7))
    view(c, ago(6), "/analytics/pricing")
    view(c, ago(6, 1), "/payments/fees")
    ev.add(c, "webinar_registration", ago(18), webinar="modern-bi-live", product="analytics")

    # p0008 -- analytics lead quiet for exactly 60 days (trial then silence): 50%.
    c = "p0008"
    contact(c, email="noah.park@clearstone.io", company="Clearstone", job_title="Analytics Engineer",
            industry="SaaS", employees=90, country="Canada", lifecycle_stage="lead", email_opt_out=False,
            product_interest=["analytics"], data_warehouse="Databricks", data_team_size=5,
            created=dt.date(2026, 5, 15))
    ev.add(c, "webinar_registration", ago(80), webinar="modern-bi-live", product="analytics")
    ev.add(c, "trial_start", ago(61), product="analytics")
    view(c, ago(60), "/analytics/docs/quickstart")

    # p0009 -- Acme employee interested in both products: disqualified (employee) in both.
    c = "p0009"
    contact(c, email="samir.patel@acme.com", company="Acme", job_title="Product Manager", industry="SaaS",
            employees=400, country="United Kingdom", email_opt_out=False,
            product_interest=["analytics", "payments"], created=dt.date(2025, 9, 1))
    ev.add(c, "trial_start", ago(3), product="analytics")
    ev.add(c, "form_submit", ago(2), form="demo-request", product="payments")

    # p0010 -- product interest typed in mixed case ("Analytics;PAYMENTS"): in scope of both,
    #          because list 'contains' is case-insensitive.
    c = "p0010"
    contact(c, email="kira.jensen@pinepoint.dk", company="Pinepoint", job_title="CTO", industry="Ecommerce",
            employees=60, country="Denmark", lifecycle_stage="lead", email_opt_out=False,
            product_interest=["Analytics", "PAYMENTS"], data_warehouse="BigQuery", data_team_size=2,
            monthly_payment_volume=180000, current_processor="Stripe", created=dt.date(2026, 9, 20))
    view(c, ago(9), "/analytics/features")
    view(c, ago(8), "/payments/docs/api")
    ev.add(c, "email_click", ago(11), campaign="payments-devs", product="payments")

    # p0011 -- building an integration: 40 sandbox payments in the last 14 days (the sandbox
    #          group caps at 40; the 14-day count rule is not decayed by the half-life).
    c = "p0011"
    contact(c, email="dev.singh@gridleaf.com", company="Gridleaf", job_title="Backend Developer",
            industry="SaaS", employees=35, country="United States", lifecycle_stage="lead", email_opt_out=False,
            product_interest=["payments"], monthly_payment_volume=40000, current_processor="Square",
            created=dt.date(2026, 10, 1))
    for i in range(40):
        ev.add(c, "sandbox_payment", ago(13 - i * 0.3, 1), amount=[5.0, 49.0, 1500.0, 12.5][i % 4],
               currency="USD")
    for d in (14, 12, 9, 5, 2):
        view(c, ago(d, 6), "/payments/docs/api")

    # p0012 -- student (.edu) interested in analytics: fit -50.
    c = "p0012"
    contact(c, email="farah.iqbal@umich.edu", company="University of Michigan", job_title="Graduate Student",
            industry="Education", country="United States", lifecycle_stage="subscriber", email_opt_out=False,
            product_interest=["analytics"], data_warehouse="none", data_team_size=0,
            created=dt.date(2026, 9, 30))
    for d in (20, 12, 3):
        view(c, ago(d), "/analytics/docs/quickstart")
    ev.add(c, "trial_start", ago(12), product="analytics")
    return rows


PL_SEGMENTS = [("analytics", 35), ("payments", 35), ("both", 15), ("none", 15)]


def pl_population(rng: Rng, ev: Events, start: int, end: int) -> list[dict]:
    rows = []
    segments = spread(end - start + 1, PL_SEGMENTS, rng)
    for n, segment in zip(range(start, end + 1), segments):
        cid = f"p{n:04d}"
        first, last = person(rng)
        co_name, domain = company(rng)
        interest = {"analytics": ["analytics"], "payments": ["payments"],
                    "both": ["analytics", "payments"], "none": []}[segment]
        if interest and rng.chance(0.1):
            interest = [i.capitalize() for i in interest]
        role = rng.weighted([("data", 3 if "analytics" in segment or segment == "both" else 0.5),
                             ("finance", 3 if "payments" in segment or segment == "both" else 0.5),
                             ("eng", 2), ("other", 2)])
        title = rng.choice({"data": DATA_TITLES, "finance": FINANCE_TITLES, "eng": ENG_TITLES,
                            "other": OTHER_TITLES}[role])
        employees = rng.choice([rng.randint(2, 19), rng.randint(20, 199), rng.randint(20, 199),
                                rng.randint(200, 5000)])
        row = {"id": cid, "email": work_email(first, last, domain, rng), "company": co_name, "job_title": title,
               "industry": rng.choice(PL_INDUSTRIES), "employees": employees,
               "country": rng.choice(CORE_COUNTRIES + SECONDARY_COUNTRIES + OTHER_COUNTRIES),
               "lifecycle_stage": rng.weighted([("lead", 6), ("subscriber", 3), ("customer", 1)]),
               "email_opt_out": rng.chance(0.06), "product_interest": interest, "customer_of": []}
        if row["lifecycle_stage"] == "customer":
            row["customer_of"] = [rng.choice(["analytics", "payments"])]
        if "analytics" in segment or segment == "both" or rng.chance(0.2):
            row["data_warehouse"] = rng.choice(WAREHOUSES) if rng.chance(0.8) else None
            row["data_team_size"] = rng.choice([0, rng.randint(1, 4), rng.randint(5, 19), rng.randint(20, 80)]) \
                if rng.chance(0.75) else None
        if "payments" in segment or segment == "both" or rng.chance(0.2):
            row["monthly_payment_volume"] = (round(math.exp(rng.uniform(math.log(2000), math.log(8000000))), -2)
                                             if rng.chance(0.7) else None)
            row["current_processor"] = rng.choice(PROCESSORS) if rng.chance(0.7) else None
        if rng.chance(0.03):
            row["industry"] = rng.choice(["Gambling", "Crypto"])
        if rng.chance(0.03):
            row.update(email=f"{first.lower()}.{last.lower()}@acme.com", company="Acme")
        if rng.chance(0.04):
            row.update(email=f"{first.lower()}.{last.lower()}@mit.edu", company="MIT", job_title="Student")
        for key, p in (("industry", 0.1), ("employees", 0.12), ("country", 0.05), ("job_title", 0.05)):
            if rng.chance(p):
                row[key] = None
        # activity: heavy-tailed, concentrated on the products of interest
        first_seen: list[dt.datetime] = []

        def add(kind, when, **attrs):
            ev.add(cid, kind, when, **attrs)
            if when <= AS_OF:
                first_seen.append(when)

        products = [p.lower() for p in interest] or [rng.choice(["analytics", "payments"])]
        quiet = rng.choice([rng.uniform(0, 10), rng.uniform(0, 30), rng.uniform(20, 100), rng.uniform(90, 300)])
        span = rng.uniform(20, 150)
        moment = lambda: ago(rng.uniform(quiet, quiet + span))   # noqa: E731
        engaged = 0.2 if segment == "none" else 1.0
        for _ in range(int((2 + rng.heavy(5)) * engaged)):
            product = rng.choice(products)
            pages = ANALYTICS_PAGES if product == "analytics" else PAYMENTS_PAGES
            add("page_view", moment(), url=rng.choice(pages + GENERAL_PAGES[:3]))
        for _ in range(rng.randint(0, 6)):
            product = rng.choice(products)
            campaign = f"{product}-{rng.choice(['newsletter', 'launch', 'webinar-invite', 'case-study'])}"
            t = moment()
            add("email_open", t, campaign=campaign, product=product)
            if rng.chance(0.35):
                add("email_click", t + dt.timedelta(minutes=rng.randint(1, 30)), campaign=campaign, product=product)
        for product in products:
            if segment != "none" and rng.chance(0.25):
                add("webinar_registration", moment(), webinar=f"{product}-live", product=product)
            if product == "analytics" and segment != "none" and rng.chance(0.2):
                add("trial_start", moment(), product="analytics")
            if rng.chance(0.12 * engaged):
                add("form_submit", moment(), form="demo-request", product=product)
            if product == "payments" and rng.chance(0.2 * engaged):
                add("form_submit", moment(), form="fee-calculator", product="payments")
            if product == "payments" and rng.chance(0.25 * engaged):
                for _ in range(1 + rng.heavy(4, cap=60)):
                    add("sandbox_payment", moment(), amount=round(rng.uniform(1, 2500), 2),
                        currency=rng.choice(["USD", "EUR", "GBP"]))
        if rng.chance(0.08):
            add("page_view", ago(rng.choice([21, 60, 120])), url=rng.choice(ANALYTICS_PAGES + PAYMENTS_PAGES))
        if rng.chance(0.1):
            ev.add(cid, "page_view", after(rng.uniform(0.01, 10)), url=rng.choice(ANALYTICS_PAGES + PAYMENTS_PAGES))
        row["created"] = created_before(min(first_seen) if first_seen else None, rng)
        rows.append(row)
    return rows


def generate_product_lines() -> None:
    rng = Rng(20261102)
    ev = Events(PL_ATTRIBUTES)
    rows = pl_named(ev) + pl_population(rng, ev, 13, 200)
    folder = os.path.join(HERE, "product_lines", "data")
    write_csv(os.path.join(folder, "contacts.csv"), ["id", *PL_PROPERTIES],
              [[r["id"], *(r.get(p) for p in PL_PROPERTIES)] for r in rows])
    ev.write(os.path.join(folder, "events.csv"))


if __name__ == "__main__":
    generate_b2b()
    generate_product_lines()
    for folder in ("b2b_saas", "product_lines"):
        for name in ("contacts.csv", "events.csv"):
            path = os.path.join(HERE, folder, "data", name)
            with open(path, encoding="utf-8") as f:
                lines = sum(1 for _ in f) - 1
            print(f"wrote {os.path.relpath(path, os.path.dirname(HERE))}: {lines} rows, "
                  f"{os.path.getsize(path) // 1024} KiB")
