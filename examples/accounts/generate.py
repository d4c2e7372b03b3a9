"""Writes examples/accounts/data: companies with 1 to 200 contacts each, and their contacts'
marketing activity, as of 2026-11-01T00:00:00Z.

Deterministic: a fixed seed, the standard library only, no clock and no network; randomness
comes only from ``random.Random.random()``, whose sequence is the same on every Python 3.
Run ``python examples/accounts/generate.py [--out FOLDER]``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import random

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
INDUSTRIES = ["software", "saas", "fintech", "retail", "manufacturing", "healthcare", "education", ""]
COUNTRIES = ["US", "DE", "GB", "FR", "NL", "IN", "BR"]
PLANS = ["free", "starter", "pro", "enterprise", ""]
SENIORITY = ["c-level", "vp", "director", "manager", "individual", "student", ""]
STAGES = ["lead"] * 8 + ["subscriber"] * 3 + ["customer"]
CAMPAIGNS = ["spring-launch", "Spring-Launch", "webinar-invite", "product-update", "case-study", "pricing-news"]
PAGES = ["/", "/pricing", "/pricing/enterprise", "/blog/scoring", "/blog/decay", "/docs", "/careers",
         "/customers", "/integrations", "/security", "/about", "/demo"]
FORMS = ["demo-request", "ebook", "whitepaper", "newsletter", "contact-us"]
WEBINARS = ["scoring-101", "account-based", "decay-deep-dive"]


class Draw:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def uniform(self) -> float:
        return self.rng.random()

    def pick(self, items):
        return items[int(self.uniform() * len(items))]

    def chance(self, p: float) -> bool:
        return self.uniform() < p

    def integer(self, low: int, high: int) -> int:
        return low + int(self.uniform() * (high - low + 1))


def companies(draw: Draw) -> list[dict]:
    out = []
    for n in range(1, 151):
        employees = int(math.exp(1.5 + draw.uniform() * 8.5))
        tags = [t for t in ("vip", "partner", "competitor") if draw.chance(0.06)]
        out.append({
            "id": f"a{n:04d}", "name": f"Company {n}", "domain": f"company{n}.example",
            "industry": draw.pick(INDUSTRIES), "employees": "" if draw.chance(0.05) else employees,
            "annual_revenue": "" if draw.chance(0.1) else round(employees * (50_000 + draw.uniform() * 150_000)),
            "country": draw.pick(COUNTRIES), "plan": draw.pick(PLANS), "tags": ";".join(tags),
        })
    return out


def contact_counts(draw: Draw, count: int) -> list[int]:
    """1 to 200 contacts a company, most with a few: the first has 200, the second 1."""
    sizes = [min(200, 1 + int(199 * draw.uniform() ** 8)) for _ in range(count)]
    sizes[0], sizes[1] = 200, 1
    return sizes


def at(draw: Draw, max_days: int) -> str:
    moment = AS_OF - dt.timedelta(seconds=int(draw.uniform() * max_days * 86400))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def main(out: str) -> None:
    draw = Draw(20261101)
    firms = companies(draw)
    contacts, events = [], []
    number = 0

    def person(company_id: str) -> None:
        nonlocal number
        number += 1
        cid = f"p{number:05d}"
        contacts.append({"id": cid, "email": f"person{number}@example.com", "job_title": "",
                         "seniority": draw.pick(SENIORITY), "lifecycle_stage": draw.pick(STAGES),
                         "company_id": company_id})
        activity = draw.uniform() ** 2          # most contacts are quiet
        for _ in range(int(activity * 15)):
            kind = draw.pick(["email_open", "email_open", "email_click", "page_view", "page_view",
                              "page_view", "form_submit", "webinar_attended"])
            event = {"contact_id": cid, "type": kind, "timestamp": at(draw, 200), "campaign": "", "url": "",
                     "form": "", "webinar": ""}
            if kind in ("email_open", "email_click"):
                event["campaign"] = draw.pick(CAMPAIGNS)
            if kind in ("email_click", "page_view"):
                event["url"] = draw.pick(PAGES)
            if kind == "form_submit":
                event["form"] = draw.pick(FORMS)
            if kind == "webinar_attended":
                event["webinar"] = draw.pick(WEBINARS)
            events.append(event)

    for firm, size in zip(firms, contact_counts(draw, len(firms))):
        for _ in range(size):
            person(firm["id"] if not draw.chance(0.02) else f" {firm['id']} ")   # a padded id names it too
    for _ in range(40):
        person("")                 # no company
    for _ in range(10):
        person("a9999")            # a company the CRM no longer has
    events.sort(key=lambda e: (e["timestamp"], e["contact_id"], e["type"]))
    os.makedirs(out, exist_ok=True)
    for name, rows in (("companies", firms), ("contacts", contacts), ("events", events)):
        with open(os.path.join(out, f"{name}.csv"), "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    main(parser.parse_args().out)
