#!/usr/bin/env python3
"""Run benchmarks/baseline_duckdb.sql: the B2B model as one hand-written DuckDB query.

    python benchmarks/baseline_duckdb.py DIR OUT.csv --model-version HASH [--as-of 2026-11-01]
                                         [--threads N]

reads ``DIR/contacts.csv`` and ``DIR/events.csv`` and writes ``OUT.csv`` as ``scoredsl run
examples/b2b_saas/model.score --source csv:DIR --as-of ... --sink csv:OUT.csv`` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

import duckdb

QUERY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "baseline_duckdb.sql")


def as_of_text(value: str) -> str:
    """``value`` (ISO date or datetime, UTC unless it says otherwise) as scoredsl prints it."""
    when = dt.datetime.fromisoformat(value)
    when = when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{when.microsecond:06d}" if when.microsecond else "") + "Z"


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="folder with contacts.csv and events.csv")
    parser.add_argument("out", help="the result CSV to write")
    parser.add_argument("--model-version", required=True, help="the model_version column")
    parser.add_argument("--as-of", default="2026-11-01", help="ISO date or datetime (UTC by default)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: one per core)")
    args = parser.parse_args(argv)

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    for name, value in (("contacts_path", os.path.join(args.data, "contacts.csv")),
                        ("events_path", os.path.join(args.data, "events.csv")),
                        ("as_of", as_of_text(args.as_of)), ("model_version", args.model_version)):
        con.execute(f"SET VARIABLE {name} = ?", [value])
    with open(QUERY, encoding="utf-8") as file:
        query = file.read().replace("'__OUT__'", sql_string(args.out))
    con.execute(query)
    return 0


if __name__ == "__main__":
    sys.exit(main())
