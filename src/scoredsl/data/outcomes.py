"""What became of contacts: deals won and lost, contacts that became customers, with dates.

An outcomes file is CSV (with a header) or JSON Lines (``.jsonl``), one outcome per row:

``contact_id`` (or ``id``)
    the contact, as the source names it;
``outcome``
    what happened, free text (``won``, ``lost``, ``customer``); compared without regard to case
    or surrounding space;
``at``
    when: an ISO 8601 date (midnight UTC) or datetime, by the language's value rules.

Other columns (an amount, a deal id) are ignored. A contact may have any number of rows. A
row without one of the three, or with an ``at`` that is not a date, is a
:class:`~scoredsl.data.records.DataError` naming the file and row: outcomes decide every
metric, so none is skipped.
"""

from __future__ import annotations

import csv
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
    """Every outcome of the CSV or JSON Lines file ``path``, in file order."""
    if not os.path.isfile(path):
        raise DataError("no such file", file=path)
    reader = _jsonl if path.endswith((".jsonl", ".ndjson")) else _csv
    return list(reader(path))


def _csv(path: str) -> Iterator[Outcome]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = csv.DictReader(handle)
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


def _jsonl(path: str) -> Iterator[Outcome]:
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


def _outcome(contact, outcome, parse, at, path: str, line: int, key: str) -> Outcome:
    if contact is None or not str(contact).strip():
        raise DataError("no contact id", file=path, row=line, column=key)
    if not isinstance(outcome, str) or not outcome.strip():
        raise DataError("no outcome", file=path, row=line, column="outcome")
    when = parse(at)
    if when is None:
        raise DataError("no date", file=path, row=line, column="at")
    return Outcome(contact_id=str(contact).strip(), outcome=outcome.strip().casefold(), at=epoch_micros(when))
