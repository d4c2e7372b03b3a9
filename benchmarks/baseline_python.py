#!/usr/bin/env python3
"""examples/b2b_saas/model.score written by hand in plain Python: the yardstick of scoredsl's
Python backend.

    python benchmarks/baseline_python.py DIR OUT.csv --model-version HASH [--as-of 2026-11-01]

reads ``DIR/contacts.csv`` and ``DIR/events.csv`` and writes ``OUT.csv`` byte for byte as
``scoredsl run examples/b2b_saas/model.score --source csv:DIR --as-of ... --sink csv:OUT.csv``
does. ``--model-version`` is the model's hash (the ``model_version`` column), which only
scoredsl can compute; ``benchmarks/run.py`` passes it.

How it reads: both files streamed with the ``csv`` module, as a merge join. The events must be
grouped by contact, in the order of the contacts file (``benchmarks/generate.py`` writes them
so; a group out of order is an error); events of ids with no contact are skipped. Memory holds
one contact at a time. With ``--unsorted`` the events may come in any order (as a CRM export of
activities comes, by time): the contacts are read first, and each event updates its contact's
running totals (:class:`Activity`, one per contact with events) before the results are written
in the contacts' order. The per-event rules are the same code in both, written out twice so that
the sorted reader keeps its totals in local variables. Only what the model needs is parsed, and validated as scoredsl does:
timestamps (``datetime.fromisoformat``, no offset = UTC), ints, numbers, bools, and the
``newsletter``, ``url`` and ``form`` attributes. Events of undeclared types are skipped
without parsing, and so are the events of a disqualified contact (its scores are never
computed). Every other rule of the language is implemented as docs/language.md says:
case-insensitive text tests, missing values (empty or white space only) never matching,
non-cumulative bands, ``min(cap, positives) + negatives``, ``once``/``max``, windows
``as_of - D <= ts <= as_of``, later events ignored, inactivity decay, rounding half up.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import operator
import sys

import re2

UTC = dt.timezone.utc
MODEL = "b2b"
COLUMNS = ["contact_id", "model", "status", "reason", "fit", "engagement", "lifecycle", "heat", "grade",
           "priority", "handoff", "model_version", "as_of"]

# ------------------------------------------------------------------ the model's constants
TOP_INDUSTRIES = frozenset(["software", "saas"])
GOOD_INDUSTRIES = frozenset(["fintech", "ecommerce", "marketing services"])
POOR_INDUSTRIES = frozenset(["education", "government", "non-profit"])
CORE_MARKETS = frozenset(["united states", "usa", "canada"])
SECONDARY_MARKETS = frozenset(["united kingdom", "germany", "france", "netherlands", "ireland"])
HIGH_VALUE_PAGES = frozenset(["/pricing", "/demo", "/contact", "/customers"])
DEMO_FORM = "demo-request"
BOTTOM_FORMS = frozenset(["contact-sales", "free-trial"])
MID_FORMS = frozenset(["case-study", "roi-calculator", "webinar-replay"])
CONTENT_FORMS = frozenset(["whitepaper", "ebook"])
TOP_FORMS = frozenset(["newsletter-signup", "checklist", "blog-subscribe"])
PERSONA_POINTS = {"decision maker": 15, "evaluator": 10, "practitioner": 5}
FEEDBACK_POINTS = {"unqualified": -100, "not ready": -30}


def _regex(pattern: str):
    """RE2, case-insensitive, as scoredsl compiles the model's regexes."""
    options = re2.Options()
    options.case_sensitive = False
    return re2.compile(pattern, options)


DECISION_MAKER = _regex(r"\b(chief|ceo|cto|cmo|cro|cfo|coo|vp|vice president|director|head)\b")
MANAGER = _regex(r"\b(manager|lead)\b")
JOB_SEEKER = _regex(r"\b(job seeker|open to work|looking for)\b")
STUDENT = _regex(r"\bstudent\b")
COMPETITOR = _regex(r"@(rivalytics|leadlens|scorehub)\.(com|io)$")

# ------------------------------------------------------------------ values
BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class DataError(Exception):
    pass


def text(cell: str) -> str | None:
    """A text cell: missing when empty or white space only; otherwise kept as written."""
    return cell if cell and not cell.isspace() else None


def lower(cell: str) -> str | None:
    """A text cell lower-cased for the case-insensitive tests, ``None`` when missing."""
    return cell.lower() if cell and not cell.isspace() else None


def integer(cell: str) -> int | None:
    cell = cell.strip()
    return int(cell) if cell else None


def number(cell: str) -> float | None:
    cell = cell.strip()
    if not cell:
        return None
    value = float(cell)
    if not math.isfinite(value):
        raise ValueError(f"{cell!r} is not a finite number")
    return value


def boolean(cell: str) -> bool | None:
    cell = cell.strip()
    if not cell:
        return None
    value = BOOLS.get(cell.lower())
    if value is None:
        raise ValueError(f"{cell!r} is not a bool")
    return value


def parse_as_of(value: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(value)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def format_as_of(when: dt.datetime) -> str:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    return stamp + (f".{when.microsecond:06d}" if when.microsecond else "") + "Z"


# ------------------------------------------------------------------ contacts

class Contact:
    """What the events part of the model needs to know of a contact."""
    __slots__ = ("id", "reason", "fit", "top_industry", "opted_out")

    def __init__(self, id_: str, reason: str | None, fit: int, top_industry: bool, opted_out: bool):
        self.id, self.reason, self.fit = id_, reason, fit
        self.top_industry, self.opted_out = top_industry, opted_out


# The contact properties the model reads, in the order of contact()'s parameters.
PROPERTIES = ("lifecycle_stage", "open_deals", "email", "company_type", "email_opt_out", "employees",
              "annual_revenue", "job_title", "industry", "persona", "country", "phone", "original_source",
              "referrer", "company", "sales_feedback")


def read_contacts(path: str):
    """Each contact: its disqualifier, or its fit and what the engagement score needs."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file, strict=True)
        header = [name.strip() for name in next(reader)]
        width = len(header)
        col = {name: i for i, name in enumerate(header)}
        i_id, cells = col["id"], operator.itemgetter(*(col[name] for name in PROPERTIES))
        previous = ""
        for row in reader:
            if not row:
                continue
            if len(row) != width and (len(row) < width or any(row[width:])):
                raise DataError(f"{path}, line {reader.line_num}: {len(row)} cells, the header has {width}")
            cid = row[i_id].strip()
            if not cid or cid <= previous:
                raise DataError(f"{path}, line {reader.line_num}: contact id {cid!r} after {previous!r}; the "
                                "merge join needs contacts sorted by id, each once")
            previous = cid
            try:
                yield contact(cid, *cells(row))
            except ValueError as exc:
                raise DataError(f"{path}, line {reader.line_num}: {exc}") from None


def contact(cid, lifecycle_stage, open_deals, email, company_type, email_opt_out, employees, annual_revenue,
            job_title, industry, persona, country, phone, original_source, referrer, company,
            sales_feedback) -> Contact:
    """One contact from its CSV cells."""
    lifecycle = lower(lifecycle_stage)
    deals = integer(open_deals)
    email_l = lower(email)
    company_type = lower(company_type)
    opted_out = boolean(email_opt_out) is True
    employees = integer(employees)
    revenue = number(annual_revenue)
    # disqualifiers, first true one wins
    if lifecycle in ("customer", "evangelist"):
        return Contact(cid, "customer", 0, False, False)
    if lifecycle == "opportunity" or (deals is not None and deals > 0):
        return Contact(cid, "open_opportunity", 0, False, False)
    if email_l is not None and email_l.endswith("@acme.com"):
        return Contact(cid, "employee", 0, False, False)
    if company_type == "partner":
        return Contact(cid, "partner", 0, False, False)

    # fit: no cap, no decay, so positives and negatives simply add up
    title = text(job_title)
    industry = lower(industry)
    persona = lower(persona)
    fit = 0
    if title is not None:
        if DECISION_MAKER.search(title):
            fit += 20
        elif MANAGER.search(title):
            fit += 10
    if industry is not None:
        fit += (15 if industry in TOP_INDUSTRIES else 8 if industry in GOOD_INDUSTRIES
                else -5 if industry in POOR_INDUSTRIES else 0)
    if employees is not None:
        fit += (-15 if employees < 10 else 3 if employees <= 49 else 8 if employees <= 199
                else 15 if employees <= 999 else 10)
    if revenue is not None:
        fit += -10 if revenue < 1_000_000 else 5 if revenue <= 50_000_000 else 10
    country = lower(country)
    if country is not None:
        fit += 10 if country in CORE_MARKETS else 5 if country in SECONDARY_MARKETS else 0
    if persona is not None:
        fit += PERSONA_POINTS.get(persona, 0)
    if text(phone) is not None:
        fit += 5
    if lower(original_source) == "direct traffic":
        fit += 5
    referrer = lower(referrer)
    if referrer is not None and "partners.acme.com" in referrer:
        fit += 15
    # red flags
    if persona == "job seeker" or (title is not None and JOB_SEEKER.search(title)):
        fit -= 100
    if (persona == "student" or (email_l is not None and email_l.endswith(".edu"))
            or (title is not None and STUDENT.search(title))):
        fit -= 50
    if lower(company) == "acme":
        fit -= 200
    if company_type == "competitor" or (email_l is not None and COMPETITOR.search(email)):
        fit -= 100
    if company_type == "supplier":
        fit -= 50
    if persona == "agency / partner":
        fit -= 30
    feedback = lower(sales_feedback)
    if feedback is not None:
        fit += FEEDBACK_POINTS.get(feedback, 0)
    return Contact(cid, None, fit, industry in TOP_INDUSTRIES, opted_out)


# ------------------------------------------------------------------ events and results

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="folder with contacts.csv and events.csv")
    parser.add_argument("out", help="the result CSV to write")
    parser.add_argument("--model-version", required=True, help="the model_version column")
    parser.add_argument("--as-of", default="2026-11-01", help="ISO date or datetime (UTC by default)")
    parser.add_argument("--unsorted", action="store_true", help="the events may come in any order")
    args = parser.parse_args(argv)
    try:
        count = (score_unsorted if args.unsorted else score)(f"{args.data}/contacts.csv", f"{args.data}/events.csv", args.out,
                      parse_as_of(args.as_of), args.model_version)
    except DataError as exc:
        print(f"bad data: {exc}", file=sys.stderr)
        return 1
    print(f"{count:,} contacts scored", file=sys.stderr)
    return 0


class Results:
    """The result file: one row per contact, as scoredsl's CSV sink writes it."""

    def __init__(self, file, as_of: dt.datetime, version: str):
        self.as_of = as_of
        self.since30, self.since90, self.since180 = (as_of - dt.timedelta(days=n) for n in (30, 90, 180))
        self.trailer = (version, format_as_of(as_of))
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(COLUMNS)
        self.write = writer.writerow

    def disqualified(self, contact: Contact) -> None:
        self.write((contact.id, MODEL, "disqualified", contact.reason) + (None,) * 7 + self.trailer)

    def scored(self, contact: Contact, last_activity, last_click, sent90, sent180, opens90, opens180, first_open,
               newsletter90, clicks90, bounced, views, views90, pricing60, high_value60, blog90, careers, cta90,
               demo, demo30, contact_sales, mid, content, top, webinars180, social90) -> None:
        """Write a scored contact, from the event aggregates the engagement score and tiers need."""
        # emails, max 20% of 200
        emails = (min(40, (10 if first_open else 0) + min(5 * newsletter90, 10) + min(20 * clicks90, 40))
                  - (90 if bounced else 0)
                  - (20 if sent90 >= 3 and opens90 == 0 else 0)
                  - (10 if sent180 and opens180 == 0 else 0)
                  - (5 if last_click is not None and last_click < self.since90 else 0)
                  - (25 if contact.opted_out else 0))
        # web, max 20%
        web = (min(40, min(5 * high_value60, 20) + (15 if pricing60 >= 3 else 0)
                   + (3 if 2 <= views90 <= 5 else 6 if views90 >= 6 else 0)
                   + min(blog90, 5) + min(5 * cta90, 15))
               - (0 if views else 10) - (30 if careers else 0))
        events = min(40, min(20 * webinars180, 40) + min(3 * social90, 15))
        forms = min(100, (70 if demo else 0) + (50 if contact_sales else 0) + min(20 * mid, 40)
                    + min(10 * content, 20) + min(5 * top, 15))
        engagement = min(200, max(emails, 0) + max(web, 0) + events + forms) + min(emails, 0) + min(web, 0)
        # inactivity decay of a positive score: the last step reached (no activity: the last one)
        if engagement > 0 and (last_activity is None or last_activity <= self.since30):
            keep = (25 if last_activity is None or last_activity <= self.since180
                    else 50 if last_activity <= self.since90 else 75)
            engagement = (engagement * keep + 50) // 100        # floor(value * keep / 100 + 0.5)
        fit = contact.fit
        total = fit + engagement
        self.write((contact.id, MODEL, "scored", None, fit, engagement,
                    "sql" if total >= 200 else "mql" if total >= 100 else "lead",
                    "high" if engagement >= 100 else "medium" if engagement >= 40 else "low",
                    "A" if fit >= 60 else "B" if fit >= 30 else "C" if fit >= 10 else "D" if fit >= 0 else "F",
                    ("A" if fit >= 60 else "B" if fit >= 30 else "C")
                    + ("1" if engagement >= 100 else "2" if engagement >= 40 else "3"),
                    "route_to_sales" if contact.top_industry and fit >= 0 and demo30 else "nurture")
                   + self.trailer)

    def quiet(self, contact: Contact) -> None:
        """A contact whose events are not read: disqualified, or without any."""
        if contact.reason is not None:
            self.disqualified(contact)
        else:
            self.scored(contact, None, None, 0, False, 0, 0, False, 0, 0, False, False, 0, 0, 0, 0, False, 0,
                        False, False, False, 0, 0, 0, 0, 0)


class Cursor:
    """The contacts file, walked alongside the events file: the merge join."""

    def __init__(self, contacts, results: Results):
        self.contacts = contacts
        self.upcoming: Contact | None = next(contacts, None)
        self.results = results
        self.count = 0

    def seek(self, cid: str) -> Contact | None:
        """The contact ``cid`` if its events are to be read (it exists, not disqualified).

        Every contact before it, and ``cid`` itself when disqualified, is written on the way."""
        upcoming, found = self.upcoming, None
        while upcoming is not None and upcoming.id <= cid:
            if upcoming.id == cid and upcoming.reason is None:
                found = upcoming
            else:
                self.results.quiet(upcoming)
            self.count += 1
            upcoming = next(self.contacts, None)
        self.upcoming = upcoming
        return found

    def finish(self) -> None:
        while self.upcoming is not None:
            self.results.quiet(self.upcoming)
            self.count += 1
            self.upcoming = next(self.contacts, None)


def score(contacts_path: str, events_path: str, out_path: str, as_of: dt.datetime, version: str) -> int:
    """Score every contact; write the result file; return the number of contacts."""
    since30, since60, since90, since180 = (as_of - dt.timedelta(days=n) for n in (30, 60, 90, 180))
    fromisoformat = dt.datetime.fromisoformat

    with open(out_path, "w", encoding="utf-8", newline="") as out_file, \
            open(events_path, encoding="utf-8-sig", newline="") as events_file:
        results = Results(out_file, as_of, version)
        scored = results.scored
        contacts = Cursor(read_contacts(contacts_path), results)
        reader = csv.reader(events_file, strict=True)
        header = [name.strip() for name in next(reader)]
        width = len(header)
        col = {name: i for i, name in enumerate(header)}
        i_contact, i_type, i_time, i_newsletter, i_url, i_form = (
            col[n] for n in ("contact_id", "type", "timestamp", "newsletter", "url", "form"))

        current = None                      # the contact whose events are being read
        previous_raw = previous_id = None
        # the event aggregates of the current contact
        last_activity = last_click = None
        sent90 = opens90 = opens180 = newsletter90 = clicks90 = 0
        views90 = pricing60 = high_value60 = blog90 = cta90 = mid = content = top = webinars180 = social90 = 0
        sent180 = first_open = bounced = views = careers = demo = demo30 = contact_sales = False

        for row in reader:
            if not row:
                continue
            raw_id = row[i_contact]
            if raw_id != previous_raw:
                previous_raw, cid = raw_id, raw_id.strip()
                if cid != previous_id:       # a new group of events: finish the one before
                    if not cid or (previous_id is not None and cid < previous_id):
                        raise DataError(f"{events_path}, line {reader.line_num}: contact id {cid!r} after "
                                        f"{previous_id!r}; events must be grouped in the contacts' order")
                    previous_id = cid
                    if current is not None:
                        scored(current, last_activity, last_click, sent90, sent180, opens90, opens180,
                               first_open, newsletter90, clicks90, bounced, views, views90, pricing60,
                               high_value60, blog90, careers, cta90, demo, demo30, contact_sales, mid, content,
                               top, webinars180, social90)
                        last_activity = last_click = None
                        sent90 = opens90 = opens180 = newsletter90 = clicks90 = 0
                        views90 = pricing60 = high_value60 = blog90 = cta90 = mid = content = top = 0
                        webinars180 = social90 = 0
                        sent180 = first_open = bounced = views = careers = demo = demo30 = False
                        contact_sales = False
                    current = contacts.seek(cid)
            if current is None:             # disqualified, or events of no contact
                continue
            if len(row) != width and (len(row) < width or any(row[width:])):
                raise DataError(f"{events_path}, line {reader.line_num}: {len(row)} cells, the header "
                                f"has {width}")

            kind = row[i_type]
            if kind not in DECLARED and (kind := kind.strip()) not in DECLARED:
                continue
            try:
                t = fromisoformat(row[i_time])
            except ValueError:              # maybe white space around it, which scoredsl allows
                try:
                    t = fromisoformat(row[i_time].strip())
                except ValueError as exc:
                    raise DataError(f"{events_path}, line {reader.line_num}, column 'timestamp': "
                                    f"{exc}") from None
            if t.tzinfo is None:
                t = t.replace(tzinfo=UTC)
            if t > as_of:
                continue

            if kind == "email_sent":
                if t >= since90:
                    sent90 += 1
                if t >= since180:
                    sent180 = True
            elif kind == "page_view":
                views = True
                if last_activity is None or t > last_activity:
                    last_activity = t
                url = row[i_url]
                if url and not url.isspace():
                    url = url.lower()
                    if url.startswith("/careers"):
                        careers = True
                    if t >= since90:
                        views90 += 1
                        if url.startswith("/blog/"):
                            blog90 += 1
                        if t >= since60 and url in HIGH_VALUE_PAGES:
                            high_value60 += 1
                            if url == "/pricing":
                                pricing60 += 1
                elif t >= since90:
                    views90 += 1
            elif kind == "email_open":
                if last_activity is None or t > last_activity:
                    last_activity = t
                if t >= since180:
                    opens180 += 1
                    if t >= since90:
                        opens90 += 1
                try:
                    newsletter = boolean(row[i_newsletter])
                except ValueError as exc:
                    raise DataError(f"{events_path}, line {reader.line_num}, column 'newsletter': "
                                    f"{exc}") from None
                if newsletter is False:
                    first_open = True
                elif newsletter is True and t >= since90:
                    newsletter90 += 1
            elif kind == "form_submit":
                if last_activity is None or t > last_activity:
                    last_activity = t
                form = row[i_form]
                if form and not form.isspace():
                    form = form.lower()
                    if form == DEMO_FORM:
                        demo = True
                        if t >= since30:
                            demo30 = True
                    elif form in BOTTOM_FORMS:
                        contact_sales = True
                    elif form in MID_FORMS:
                        mid += 1
                    elif form in CONTENT_FORMS:
                        content += 1
                    elif form in TOP_FORMS:
                        top += 1
            elif kind == "email_click":
                if last_activity is None or t > last_activity:
                    last_activity = t
                if last_click is None or t > last_click:
                    last_click = t
                if t >= since90:
                    clicks90 += 1
            elif kind == "cta_click":
                if last_activity is None or t > last_activity:
                    last_activity = t
                if t >= since90:
                    cta90 += 1
            elif kind == "webinar_registration":
                if last_activity is None or t > last_activity:
                    last_activity = t
                if t >= since180:
                    webinars180 += 1
            elif kind == "social_interaction":
                if last_activity is None or t > last_activity:
                    last_activity = t
                if t >= since90:
                    social90 += 1
            else:                           # email_bounce
                bounced = True

        if current is not None:             # the last group
            scored(current, last_activity, last_click, sent90, sent180, opens90, opens180, first_open,
                   newsletter90, clicks90, bounced, views, views90, pricing60, high_value60, blog90, careers,
                   cta90, demo, demo30, contact_sales, mid, content, top, webinars180, social90)
        contacts.finish()                   # the contacts after the last event
    return contacts.count


class Activity:
    """The running totals of one contact's events, for events in any order."""
    __slots__ = ("last_activity", "last_click", "sent90", "sent180", "opens90", "opens180", "first_open",
                 "newsletter90", "clicks90", "bounced", "views", "views90", "pricing60", "high_value60", "blog90",
                 "careers", "cta90", "demo", "demo30", "contact_sales", "mid", "content", "top", "webinars180",
                 "social90")

    def __init__(self):
        self.last_activity = self.last_click = None
        self.sent90 = self.opens90 = self.opens180 = self.newsletter90 = self.clicks90 = 0
        self.views90 = self.pricing60 = self.high_value60 = self.blog90 = self.cta90 = 0
        self.mid = self.content = self.top = self.webinars180 = self.social90 = 0
        self.sent180 = self.first_open = self.bounced = self.views = self.careers = False
        self.demo = self.demo30 = self.contact_sales = False

    def totals(self) -> tuple:
        """In the order of :meth:`Results.scored`'s parameters after the contact."""
        return (self.last_activity, self.last_click, self.sent90, self.sent180, self.opens90, self.opens180,
                self.first_open, self.newsletter90, self.clicks90, self.bounced, self.views, self.views90,
                self.pricing60, self.high_value60, self.blog90, self.careers, self.cta90, self.demo, self.demo30,
                self.contact_sales, self.mid, self.content, self.top, self.webinars180, self.social90)


def score_unsorted(contacts_path: str, events_path: str, out_path: str, as_of: dt.datetime, version: str) -> int:
    """:func:`score` for events in any order: every contact read first, then every event added to
    its contact's :class:`Activity`, then the results written in the contacts' order."""
    since30, since60, since90, since180 = (as_of - dt.timedelta(days=n) for n in (30, 60, 90, 180))
    fromisoformat = dt.datetime.fromisoformat
    contacts = list(read_contacts(contacts_path))
    wanted = {c.id: c for c in contacts if c.reason is None}
    activity: dict[str, Activity] = {}
    with open(events_path, encoding="utf-8-sig", newline="") as events_file:
        reader = csv.reader(events_file, strict=True)
        header = [name.strip() for name in next(reader)]
        width = len(header)
        col = {name: i for i, name in enumerate(header)}
        i_contact, i_type, i_time, i_newsletter, i_url, i_form = (
            col[n] for n in ("contact_id", "type", "timestamp", "newsletter", "url", "form"))
        for row in reader:
            if not row:
                continue
            cid = row[i_contact]
            if cid not in wanted and (cid := cid.strip()) not in wanted:
                continue                    # disqualified, or events of no contact
            if len(row) != width and (len(row) < width or any(row[width:])):
                raise DataError(f"{events_path}, line {reader.line_num}: {len(row)} cells, the header "
                                f"has {width}")
            kind = row[i_type]
            if kind not in DECLARED and (kind := kind.strip()) not in DECLARED:
                continue
            try:
                t = fromisoformat(row[i_time])
            except ValueError:
                try:
                    t = fromisoformat(row[i_time].strip())
                except ValueError as exc:
                    raise DataError(f"{events_path}, line {reader.line_num}, column 'timestamp': "
                                    f"{exc}") from None
            if t.tzinfo is None:
                t = t.replace(tzinfo=UTC)
            if t > as_of:
                continue
            a = activity.get(cid)
            if a is None:
                a = activity[cid] = Activity()
            if kind == "email_sent":
                if t >= since90:
                    a.sent90 += 1
                if t >= since180:
                    a.sent180 = True
            elif kind == "page_view":
                a.views = True
                if a.last_activity is None or t > a.last_activity:
                    a.last_activity = t
                url = row[i_url]
                if url and not url.isspace():
                    url = url.lower()
                    if url.startswith("/careers"):
                        a.careers = True
                    if t >= since90:
                        a.views90 += 1
                        if url.startswith("/blog/"):
                            a.blog90 += 1
                        if t >= since60 and url in HIGH_VALUE_PAGES:
                            a.high_value60 += 1
                            if url == "/pricing":
                                a.pricing60 += 1
                elif t >= since90:
                    a.views90 += 1
            elif kind == "email_open":
                if a.last_activity is None or t > a.last_activity:
                    a.last_activity = t
                if t >= since180:
                    a.opens180 += 1
                    if t >= since90:
                        a.opens90 += 1
                try:
                    newsletter = boolean(row[i_newsletter])
                except ValueError as exc:
                    raise DataError(f"{events_path}, line {reader.line_num}, column 'newsletter': "
                                    f"{exc}") from None
                if newsletter is False:
                    a.first_open = True
                elif newsletter is True and t >= since90:
                    a.newsletter90 += 1
            elif kind == "form_submit":
                if a.last_activity is None or t > a.last_activity:
                    a.last_activity = t
                form = row[i_form]
                if form and not form.isspace():
                    form = form.lower()
                    if form == DEMO_FORM:
                        a.demo = True
                        if t >= since30:
                            a.demo30 = True
                    elif form in BOTTOM_FORMS:
                        a.contact_sales = True
                    elif form in MID_FORMS:
                        a.mid += 1
                    elif form in CONTENT_FORMS:
                        a.content += 1
                    elif form in TOP_FORMS:
                        a.top += 1
            elif kind == "email_click":
                if a.last_activity is None or t > a.last_activity:
                    a.last_activity = t
                if a.last_click is None or t > a.last_click:
                    a.last_click = t
                if t >= since90:
                    a.clicks90 += 1
            elif kind == "cta_click":
                if a.last_activity is None or t > a.last_activity:
                    a.last_activity = t
                if t >= since90:
                    a.cta90 += 1
            elif kind == "webinar_registration":
                if a.last_activity is None or t > a.last_activity:
                    a.last_activity = t
                if t >= since180:
                    a.webinars180 += 1
            elif kind == "social_interaction":
                if a.last_activity is None or t > a.last_activity:
                    a.last_activity = t
                if t >= since90:
                    a.social90 += 1
            else:                           # email_bounce
                a.bounced = True
    with open(out_path, "w", encoding="utf-8", newline="") as out_file:
        results = Results(out_file, as_of, version)
        for contact in contacts:
            a = activity.get(contact.id)
            if a is None:
                results.quiet(contact)
            else:
                results.scored(contact, *a.totals())
    return len(contacts)


DECLARED = frozenset(["email_sent", "email_open", "email_click", "email_bounce", "page_view", "cta_click",
                      "form_submit", "webinar_registration", "social_interaction"])

if __name__ == "__main__":
    sys.exit(main())
