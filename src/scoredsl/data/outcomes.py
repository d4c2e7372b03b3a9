"""What became of contacts: deals won and lost, contacts that became customers, with dates.

Outcomes come from an outcome source named by a spec, as sources are: the built-in
``csv:FILE`` and ``jsonl:FILE`` (a bare ``*.csv`` or ``*.jsonl`` path is enough), and what
plugins register (``scoredsl_register_outcomes``: a SQL table or query, HubSpot deals).
Every outcome source gives one :class:`Outcome` per row, from three fields:

``contact_id`` (or ``id``)
    the contact, as the source names it;
``outcome``
    what happened, free text (``won``, ``lost``, ``customer``); compared without regard to case
    or surrounding space;
``at``
    when: an ISO 8601 date (midnight UTC) or datetime, by the language's value rules.

Other columns (an amount, a deal id) are ignored. A contact may have any number of rows. A
row without one of the three, or with an ``at`` that is not a date, is a
:class:`~scoredsl.data.records.DataError` naming the file (or table) and row: outcomes decide
every metric, so none is skipped. :func:`outcome` builds one from a row's three values the
same way for every source.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from typing import Iterator

import attrs

from scoredsl.data.records import DataError, TypeSpec, epoch_micros
from scoredsl.data.values import parse_csv_value, parse_json_value

_WHEN = TypeSpec("datetime")


@attrs.frozen
class Outcome:
    contact_id: str
    outcome: str          # casefolded, stripped
    at: int               # epoch microseconds


def read_outcomes(path: str) -> list[Outcome]:
    """Every outcome of the CSV or JSON Lines file ``path`` (by its ending), in file order."""
    return list(read_jsonl(path) if path.endswith((".jsonl", ".ndjson")) else read_csv(path))


def read_csv(path: str, delimiter: str = ",") -> Iterator[Outcome]:
    """The outcomes of a CSV file with a header row (row numbers as a spreadsheet shows them)."""
    if not os.path.isfile(path):
        raise DataError("no such file", file=path)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = csv.DictReader(handle, delimiter=delimiter)
        header = rows.fieldnames or []
        key = "contact_id" if "contact_id" in header else "id"
        missing = [name for name in (key, "outcome", "at") if name not in header]
        if missing:
            raise DataError(f"no column {', '.join(repr(m) for m in missing)}; an outcomes file has the "
                            "columns contact_id (or id), outcome and at", file=path, row=1)
        for row in rows:
            line = rows.line_num
            yield _outcome(row.get(key), row.get("outcome"),
                           lambda raw, line=line: parse_csv_value(raw, _WHEN, file=path, row=line, column="at"),
                           row.get("at"), path, line, key)


def read_jsonl(path: str) -> Iterator[Outcome]:
    """The outcomes of a JSON Lines file, one flat object per line."""
    if not os.path.isfile(path):
        raise DataError("no such file", file=path)
    with open(path, encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                item = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataError(f"not JSON: {exc.msg}", file=path, row=line) from None
            if not isinstance(item, dict):
                raise DataError("not a JSON object", file=path, row=line)
            key = "contact_id" if "contact_id" in item else "id"
            contact = item.get(key)
            yield _outcome(None if contact is None else str(contact), item.get("outcome"),
                           lambda raw, line=line: parse_json_value(raw, _WHEN, file=path, row=line, column="at"),
                           item.get("at"), path, line, key)


def _outcome(contact, outcome_text, parse, at, path: str, line: int, key: str) -> Outcome:
    if contact is None or not str(contact).strip():
        raise DataError("no contact id", file=path, row=line, column=key)
    if not isinstance(outcome_text, str) or not outcome_text.strip():
        raise DataError("no outcome", file=path, row=line, column="outcome")
    when = parse(at)
    if when is None:
        raise DataError("no date", file=path, row=line, column="at")
    return Outcome(contact_id=str(contact).strip(), outcome=outcome_text.strip().casefold(), at=epoch_micros(when))


def outcome(contact_id, outcome_text, at, *, where: str, row: int | None = None) -> Outcome:
    """One outcome from the values a source read: ``at`` a ``datetime`` (naive: UTC), a ``date``,
    or ISO 8601 text; ``where`` (a file or table) and ``row`` name the row in errors."""
    def parse(value):
        if isinstance(value, dt.datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
        if isinstance(value, dt.date):
            return value
        if value is None or isinstance(value, str):
            return parse_csv_value(value, _WHEN, file=where, row=row, column="at")
        raise DataError(f"not a date: {value!r}", file=where, row=row, column="at")
    contact = None if contact_id is None else str(contact_id)
    return _outcome(contact, outcome_text, parse, at, where, row, "contact_id")
