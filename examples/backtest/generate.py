"""Contacts, events and outcomes with a planted signal, for ``scoredsl backtest``.

Every contact has a daily chance of becoming a customer (a constant hazard) from the day it is
created: a base rate times a known factor for each trait it has. The traits show in its
properties and in events dated on the day it is created, so the model in ``model.score`` sees
them from its first day:

==============  ==============================================  ==========
trait           how it shows                                     factor
==============  ==============================================  ==========
senior          job title VP / Director / Head                   x2
big company     200 or more employees                            x2
pricing         a view of /pricing                               x4
demo            a demo-request form                              x8
student         an e-mail address at a .edu domain               x0.5
core market     country United States                            x1 (none)
blog reader     blog views, all through its life                 x1 (none)
==============  ==============================================  ==========

After becoming a customer a contact logs in to the product (``product_login`` events): a signal
that only exists after the outcome, which an honest backtest must never credit. Some contacts
that do not convert have a lost deal. ``truth.csv`` keeps each contact's daily hazard, so tests
can compare what the backtest measures with what was planted.

    python examples/backtest/generate.py [--contacts N] [--seed S] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import random

START = dt.date(2025, 1, 1)
LAST_CREATED = dt.date(2026, 3, 1)
END = dt.date(2026, 6, 30)            # the data export: nothing happens after this day
BASE = 0.0002                         # daily chance of converting with no trait
FACTORS = {"senior": 2.0, "big": 2.0, "pricing": 4.0, "demo": 8.0, "student": 0.5, "core": 1.0, "blog": 1.0}
SHARES = {"senior": 0.35, "big": 0.4, "pricing": 0.3, "demo": 0.15, "student": 0.15, "core": 0.5, "blog": 0.5}

SENIOR_TITLES = ["VP Marketing", "Director of Sales", "Head of Growth", "VP of Revenue"]
OTHER_TITLES = ["Marketing Manager", "Sales Analyst", "Growth Associate", "Coordinator"]


def hazard(traits: dict[str, bool]) -> float:
    return BASE * math.prod(FACTORS[name] for name, on in traits.items() if on)


def generate(contacts: int, seed: int, out: str) -> None:
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    span = (LAST_CREATED - START).days
    contact_rows, event_rows, outcome_rows, truth_rows = [], [], [], []
    for i in range(1, contacts + 1):
        cid = f"p{i:05d}"
        traits = {name: rng.random() < share for name, share in SHARES.items()}
        created = START + dt.timedelta(days=rng.randrange(span + 1))
        domain = f"school{i % 97}.edu" if traits["student"] else f"company{i % 389}.com"
        contact_rows.append({
            "id": cid, "email": f"person{i}@{domain}",
            "job_title": rng.choice(SENIOR_TITLES if traits["senior"] else OTHER_TITLES),
            "employees": rng.randrange(200, 5000) if traits["big"] else rng.randrange(5, 200),
            "country": "United States" if traits["core"] else rng.choice(["Germany", "France", "Brazil"]),
            "created": created.isoformat()})
        h = hazard(traits)
        truth_rows.append({"id": cid, "hazard": repr(h), **{k: int(v) for k, v in traits.items()}})
        born = dt.datetime.combine(created, dt.time(), tzinfo=dt.timezone.utc)
        end = dt.datetime.combine(END, dt.time(23, 59), tzinfo=dt.timezone.utc)
        converts = born + dt.timedelta(days=rng.expovariate(h))
        won = converts if converts <= end else None
        last = won or end
        if traits["pricing"]:
            event_rows.append((cid, "page_view", born, "/pricing", ""))
        if traits["demo"]:
            event_rows.append((cid, "form_submit", born, "", "demo-request"))
        day = born
        while True:                                        # e-mail opens and blog views, all life long
            day += dt.timedelta(days=rng.expovariate(1 / 30))
            if day > last:
                break
            if traits["blog"] and rng.random() < 0.6:
                event_rows.append((cid, "page_view", day, f"/blog/post-{rng.randrange(40)}", ""))
            else:
                event_rows.append((cid, "email_open", day, "", ""))
        if won is not None:
            outcome_rows.append({"contact_id": cid, "outcome": "won", "at": _iso(won)})
            login = won
            while True:                                    # customers use the product
                login += dt.timedelta(days=rng.expovariate(1 / 14))
                if login > end:
                    break
                event_rows.append((cid, "product_login", login, "", ""))
        elif rng.random() < 0.1:
            lost = born + dt.timedelta(days=rng.randrange(10, 200))
            if lost <= end:
                outcome_rows.append({"contact_id": cid, "outcome": "lost", "at": _iso(lost)})
    _write(os.path.join(out, "contacts.csv"), ["id", "email", "job_title", "employees", "country", "created"],
           contact_rows)
    event_rows.sort(key=lambda e: (e[2], e[0], e[1]))
    _write(os.path.join(out, "events.csv"), ["contact_id", "type", "timestamp", "url", "form"],
           [{"contact_id": c, "type": t, "timestamp": _iso(w), "url": u, "form": f} for c, t, w, u, f in event_rows])
    outcome_rows.sort(key=lambda o: (o["at"], o["contact_id"]))
    _write(os.path.join(out, "outcomes.csv"), ["contact_id", "outcome", "at"], outcome_rows)
    _write(os.path.join(out, "truth.csv"), ["id", "hazard", *FACTORS], truth_rows)


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(path: str, header, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=os.path.join(here, "data"))
    args = parser.parse_args()
    generate(args.contacts, args.seed, args.out)


if __name__ == "__main__":
    main()
