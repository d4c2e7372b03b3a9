#!/usr/bin/env python3
"""Benchmark ``--engine pushdown`` on PostgreSQL against the same model written by hand in SQL.

    python benchmarks/pushdown.py --contacts 100000 [--events-per-contact 20] [--reps 3] [--seed 1]
                                  [--data-dir /tmp/scoredsl-bench]
                                  [--dsn postgresql://postgres@127.0.0.1:5432/test] [--json OUT]

(``python benchmarks/run.py --pushdown N`` calls :func:`bench_pushdown` too.)

The generated data set of that size (``run.dataset``: ``contacts.csv`` and ``events.csv``) is
loaded once into the database, in schema ``bench_c<N>_e<E>_s<S>`` (tables ``contacts`` and
``events``, in the layout the SQL plugin's source reads: the CSV columns, typed by the model's
schema, every cell converted exactly as the ``csv:`` source converts it; contacts keyed by ``id``).
A schema already holding the data set (same generator, same row counts) is used as it is.

Three contenders run as subprocesses, each once per repetition, in rotating order:

    postgres-baseline              baseline_postgres.sql through psql: the model as one hand-written
                                   PostgreSQL query, its result streamed out by COPY ... TO STDOUT
    scoredsl-pushdown              scoredsl run MODEL --source postgresql://...?contacts=...&events=...
                                   --engine pushdown --as-of ... --sink csv:OUT -q
    scoredsl-python-from-postgres  the same with --engine python (every row pulled into Python)

Each is timed like ``run.measure``: wall time, the child's CPU time and peak RSS (``os.wait4``).
The client's CPU leaves out the database's own work, so the table adds the CPU time the
PostgreSQL server spent meanwhile, when the server runs on this machine (its processes' CPU
counters in ``/proc``; other work on the server in that time counts too).

Before the repetitions, ``scoredsl run MODEL --source csv:FOLDER`` scores the CSV files once: the
reference. After every repetition each contender's output must be byte-identical to it; a
difference is reported with its first differing line, and the command line exits 1 at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run import (AS_OF, HERE, MODEL, PYTHON, ROOT, SCOREDSL, Measured, cache_bytecode, check, dataset,  # noqa: E402
                 first_difference, measure, model_version)

BASELINE_SQL = os.path.join(HERE, "baseline_postgres.sql")
DSN = "postgresql://postgres@127.0.0.1:5432/test"
CONTENDERS = ("postgres-baseline", "scoredsl-pushdown", "scoredsl-python-from-postgres")
RATIOS = (("scoredsl-pushdown", "postgres-baseline"), ("scoredsl-pushdown", "scoredsl-python-from-postgres"))
#: PostgreSQL column types of the schema's value types (lists are ``;``-separated text, as in CSV).
PG_TYPES = {"text": "text", "int": "bigint", "number": "double precision", "bool": "boolean", "date": "date",
            "datetime": "timestamp with time zone"}
COPY_ROWS = 20_000            # rows handed to COPY at a time


# ------------------------------------------------------------------ loading the data set

def schema_name(meta: dict) -> str:
    """The database schema that holds the data set ``meta``: ``bench_c10000_e20_s1`` for the
    folder ``c10000-e20-s1``."""
    folder = os.path.basename(meta["folder"].rstrip("/"))
    return "bench_" + "".join(c if c.isalnum() else "_" for c in folder.lower())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _layout() -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's schema as ``({contact column: TypeSpec}, {event column: TypeSpec})``, with the
    fixed columns (``id``; ``contact_id``, ``type``, ``timestamp``) the source reads."""
    from scoredsl.api import TypeSpec, compile_file

    schema = compile_file(MODEL).schema
    contact = {"id": TypeSpec("text"), **{name: spec for name, spec in schema.contact.items() if name != "id"}}
    event = {"contact_id": TypeSpec("text"), "type": TypeSpec("text"), "timestamp": TypeSpec("datetime")}
    for attributes in schema.events.values():
        for name, spec in attributes.items():
            event.setdefault(name, spec)
    return contact, event


def _pg_type(spec) -> str:
    return "text" if spec is None or spec.is_list else PG_TYPES[spec.base]


def _cell_writer(spec):
    """``raw CSV cell -> the text COPY reads`` for one column (``None``: SQL NULL).

    Text (and every column the schema does not type) is kept exactly as written, only an empty
    cell becomes NULL; a typed cell is parsed by scoredsl's own CSV converter (``None`` for a
    missing value: empty or white space only) and written in PostgreSQL's input syntax."""
    from scoredsl.api import csv_converter

    if spec is None or spec.is_list or spec.base == "text":
        return lambda raw: raw if raw else None
    convert = csv_converter(spec)
    base = spec.base

    def write(raw: str) -> str | None:
        value = convert(raw)
        if value is None:
            return None
        if base == "bool":
            return "t" if value else "f"
        if base == "number":
            return repr(value)                 # the shortest text that reads back as the same double
        if base in ("date", "datetime"):
            return value.isoformat()           # datetimes are aware (UTC): "+00:00"
        return str(value)

    return write


def _copy_csv(cursor, table: str, path: str, types: dict[str, Any], key: str | None = None) -> int:
    """Create ``table`` (with primary key ``key``) and load CSV file ``path`` into it with
    ``COPY ... FROM STDIN``; the number of rows."""
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader)
        specs = [types.get(name) for name in header]
        body = ", ".join(f"{_quote(name)} {_pg_type(spec)}" for name, spec in zip(header, specs))
        cursor.execute(f"CREATE TABLE {table} ({body}{f', PRIMARY KEY ({_quote(key)})' if key else ''})")
        writers = [_cell_writer(spec) for spec in specs]
        rows = 0
        with cursor.copy(f"COPY {table} ({', '.join(_quote(n) for n in header)}) FROM STDIN "
                         "WITH (FORMAT csv)") as copy:
            buffer: list[str] = []
            out = csv.writer(_Lines(buffer), lineterminator="\n")
            for record in reader:
                rows += 1
                if len(record) != len(header):
                    sys.exit(f"{path}, row {rows + 1}: {len(record)} cells, the header has {len(header)}")
                try:
                    out.writerow([write(raw) for write, raw in zip(writers, record)])
                except ValueError as exc:        # scoredsl's BadValue: the CSV source would stop here too
                    sys.exit(f"{path}, row {rows + 1}: {exc}")
                if len(buffer) >= COPY_ROWS:
                    copy.write("".join(buffer))
                    buffer.clear()
            if buffer:
                copy.write("".join(buffer))
    return rows


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Lines:
    """A file-like target of ``csv.writer`` that collects the written lines in a list."""

    def __init__(self, lines: list[str]):
        self.write = lines.append


def load(meta: dict, dsn: str) -> str:
    """The data set ``meta`` in PostgreSQL (loaded unless already there); its schema's name.

    The schema's comment records the generator's hash and the row counts: a schema whose comment
    and tables' row counts fit ``meta`` is kept, any other is dropped and loaded again."""
    import psycopg

    name = schema_name(meta)
    stamp = f"generator {meta['generator']}, {meta['contacts']} contacts, {meta['events']} events"
    with psycopg.connect(dsn, autocommit=True) as conn:
        found = conn.execute("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
                             (name,)).fetchone()
        if found is not None and found[0] == stamp:
            counts = conn.execute(f"SELECT (SELECT count(*) FROM {_quote(name)}.contacts), "
                                  f"(SELECT count(*) FROM {_quote(name)}.events)").fetchone()
            if counts == (meta["contacts"], meta["events"]):
                return name
        print(f"loading {meta['folder']} into schema {name} ...", file=sys.stderr)
        contact_types, event_types = _layout()
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(name)} CASCADE")
            cursor.execute(f"CREATE SCHEMA {_quote(name)}")
            counts = (_copy_csv(cursor, f"{_quote(name)}.contacts", os.path.join(meta["folder"], "contacts.csv"),
                                contact_types, key="id"),
                      _copy_csv(cursor, f"{_quote(name)}.events", os.path.join(meta["folder"], "events.csv"),
                                event_types))
            if counts != (meta["contacts"], meta["events"]):
                sys.exit(f"{meta['folder']}: read {counts[0]:,} contacts and {counts[1]:,} events, "
                         f"its meta.json says {meta['contacts']:,} and {meta['events']:,}")
            cursor.execute(f"COMMENT ON SCHEMA {_quote(name)} IS {_literal(stamp)}")
        # hint bits and the visibility map set, statistics fresh: every repetition reads alike
        for table in ("contacts", "events"):
            conn.execute(f"VACUUM (FREEZE, ANALYZE) {_quote(name)}.{table}")
    return name


# ------------------------------------------------------------------ the server's CPU time

def _postmaster(dsn: str) -> int | None:
    """The pid of the postmaster of the server at ``dsn`` when it runs on this machine: the parent
    of the backend that serves a connection. ``None`` when that backend is not a local process."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        stat = _stat(backend)
    if stat is None or stat[0] != "postgres":
        return None
    parent = _stat(stat[1])
    return stat[1] if parent is not None and parent[0] == "postgres" else None


def _stat(pid: int) -> tuple[str, int, list[int]] | None:
    """``(command name, parent pid, [utime, stime, cutime, cstime])`` of ``pid`` in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return comm, int(fields[1]), [int(v) for v in fields[11:15]]


def _children(postmaster: int) -> set[int]:
    """The pids of the postmaster's children (backends, parallel workers, background processes)."""
    found = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            stat = _stat(int(pid))
            if stat is not None and stat[1] == postmaster:
                found.add(int(pid))
    return found


def server_cpu(postmaster: int | None, settle: set[int] | None = None) -> tuple[float | None, set[int]]:
    """CPU seconds the PostgreSQL server has used so far: the postmaster's own and its children's,
    live ones (their counters) and ended ones (the postmaster's counters of waited-for children);
    and the children's pids.

    A process that has exited but is not yet waited for shows no CPU time: with ``settle`` (the
    children before a run), first wait (up to 5 s) until every child not among them has been
    waited for, such as the backend of a client that has just closed its connection."""
    if postmaster is None:
        return None, set()
    deadline = time.monotonic() + 5
    children = _children(postmaster)
    while settle is not None and children - settle and time.monotonic() < deadline:
        time.sleep(0.02)
        children = _children(postmaster)
    own = _stat(postmaster)
    if own is None:
        return None, set()
    ticks = sum(own[2])
    for pid in children:
        stat = _stat(pid)
        if stat is not None and stat[1] == postmaster:
            ticks += stat[2][0] + stat[2][1]
    return ticks / os.sysconf("SC_CLK_TCK"), children


# ------------------------------------------------------------------ the contenders

def source_spec(dsn: str, schema: str) -> str:
    """scoredsl's source spec of the data set's tables in ``schema`` of database ``dsn``."""
    return f"{dsn}{'&' if '?' in dsn else '?'}contacts={schema}.contacts&events={schema}.events"


def commands(dsn: str, schema: str, out: str, version: str) -> dict[str, list[str]]:
    """Each contender's command, writing its results to ``out``."""
    scoredsl = SCOREDSL + ["run", MODEL, "--source", source_spec(dsn, schema), "--as-of", AS_OF,
                           "--sink", f"csv:{out}", "-q"]
    return {
        "postgres-baseline": ["psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--dbname", dsn,
                              "--set", f"schema={schema}", "--set", f"as_of={AS_OF}",
                              "--set", f"model_version={version}", "--file", BASELINE_SQL, "--output", out],
        "scoredsl-pushdown": scoredsl + ["--engine", "pushdown"],
        "scoredsl-python-from-postgres": scoredsl + ["--engine", "python"],
    }


def reference(meta: dict, version: str) -> str:
    """The output every contender must match byte for byte: ``scoredsl run`` of the data set's CSV
    files (its path)."""
    out = os.path.join(meta["folder"], "out-pushdown-reference.csv")
    check(measure(SCOREDSL + ["run", MODEL, "--source", f"csv:{meta['folder']}", "--as-of", AS_OF,
                              "--sink", f"csv:{out}", "-q"]), "scoredsl on the CSV files")
    with open(out, encoding="utf-8") as file:
        header, first = file.readline(), file.readline()
    if first and first.rstrip("\n").split(",")[header.rstrip("\n").split(",").index("model_version")] != version:
        sys.exit(f"{out}: the model_version is not {version}")
    return out


# ------------------------------------------------------------------ the benchmark

def bench_pushdown(data_dir: str, contacts: int, events_per_contact: float, reps: int, seed: int,
                   dsn: str) -> list[dict]:
    """Times the three contenders on ``contacts`` generated contacts in PostgreSQL ``dsn``.

    Returns one row per contender (``kind`` ``"contender"``: medians of wall, client CPU and
    server CPU seconds, peak RSS, every run, and the output mismatches found), then one per
    ratio of :data:`RATIOS` (``kind`` ``"ratio"``: ratios of the medians)."""
    meta = dataset(data_dir, contacts, events_per_contact, seed)
    schema = load(meta, dsn)
    version = model_version()
    expected = reference(meta, version)
    postmaster = _postmaster(dsn)
    outputs = {name: os.path.join(meta["folder"], f"out-{name}.csv") for name in CONTENDERS}
    runs: dict[str, list[Measured]] = {name: [] for name in CONTENDERS}
    server: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    mismatches: dict[str, list[str]] = {name: [] for name in CONTENDERS}
    for rep in range(reps):
        turn = CONTENDERS[rep % len(CONTENDERS):] + CONTENDERS[:rep % len(CONTENDERS)]
        for name in turn:
            if os.path.exists(outputs[name]):
                os.unlink(outputs[name])
            command = commands(dsn, schema, outputs[name], version)[name]
            before, children = server_cpu(postmaster)
            result = check(measure(command), f"{name} on {contacts:,} contacts")
            after, _ = server_cpu(postmaster, settle=children)
            runs[name].append(result)
            if before is not None and after is not None:
                server[name].append(after - before)
            print(f"  {contacts:>9,}  rep {rep + 1}  {name:<30} {result.seconds:7.2f}s {result.cpu:7.2f}s CPU "
                  + (f"{server[name][-1]:7.2f}s server " if server[name] else "")
                  + f"{result.rss_mb:6.0f} MB", file=sys.stderr)
        for name in CONTENDERS:
            difference = first_difference(expected, outputs[name])
            if difference is not None:
                message = (f"MISMATCH at {contacts:,} contacts, rep {rep + 1}: {name} differs from scoredsl "
                           f"on the CSV files ({expected}) at {difference}")
                print("!" * 80 + f"\n{message}\n" + "!" * 80, file=sys.stderr)
                mismatches[name].append(message)
    rows = []
    for name in CONTENDERS:
        measured = runs[name]
        seconds = statistics.median(m.seconds for m in measured)
        rows.append({"kind": "contender", "size": contacts, "events": meta["events"], "contender": name,
                     "median_s": seconds, "median_cpu_s": statistics.median(m.cpu for m in measured),
                     "median_server_cpu_s": statistics.median(server[name]) if server[name] else None,
                     "peak_rss_mb": max(m.rss_mb for m in measured), "contacts_per_s": contacts / seconds,
                     "runs_s": [m.seconds for m in measured], "runs_cpu_s": [m.cpu for m in measured],
                     "runs_server_cpu_s": server[name], "schema": schema, "mismatches": mismatches[name]})
    return rows + ratios(rows)


def ratios(rows: list[dict]) -> list[dict]:
    """The ratios of :data:`RATIOS` of the contender rows' medians."""
    medians = {r["contender"]: r for r in rows if r.get("kind") == "contender"}
    out = []
    for a, b in RATIOS:
        if a in medians and b in medians:
            ra, rb = medians[a], medians[b]
            server = (ra["median_server_cpu_s"] / rb["median_server_cpu_s"]
                      if ra["median_server_cpu_s"] and rb["median_server_cpu_s"] else None)
            total = None
            if ra["median_server_cpu_s"] is not None and rb["median_server_cpu_s"] is not None:
                total = ((ra["median_cpu_s"] + ra["median_server_cpu_s"])
                         / (rb["median_cpu_s"] + rb["median_server_cpu_s"]))
            out.append({"kind": "ratio", "size": ra["size"], "ratio": f"{a} / {b}",
                        "wall": ra["median_s"] / rb["median_s"], "cpu": ra["median_cpu_s"] / rb["median_cpu_s"],
                        "server_cpu": server, "total_cpu": total, "rss": ra["peak_rss_mb"] / rb["peak_rss_mb"]})
    return out


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def markdown(rows: list[dict]) -> str:
    """The contender rows and the ratio rows of :func:`bench_pushdown` as markdown tables."""
    lines = ["| size | contender | median wall s | median CPU s | server CPU s | peak RSS MB |",
             "|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        if r.get("kind") == "contender":
            lines.append(f"| {r['size']:,} | {r['contender']} | {r['median_s']:.2f} | {r['median_cpu_s']:.2f} | "
                         f"{_seconds(r['median_server_cpu_s'])} | {r['peak_rss_mb']:,.0f} |")
    ratio_rows = [r for r in rows if r.get("kind") == "ratio"]
    if ratio_rows:
        lines += ["", "| size | ratio of medians | wall | CPU | server CPU | CPU + server CPU | peak RSS |",
                  "|---:|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['size']:,} | {r['ratio']} | {r['wall']:.2f} | {r['cpu']:.2f} | {_seconds(r['server_cpu'])} "
                  f"| {_seconds(r['total_cpu'])} | {r['rss']:.2f} |" for r in ratio_rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, required=True, help="contacts of the generated data set")
    parser.add_argument("--events-per-contact", type=float, default=20.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default="/tmp/scoredsl-bench")
    parser.add_argument("--dsn", default=DSN, help="the PostgreSQL database (a postgresql:// URL)")
    parser.add_argument("--json", metavar="OUT", help="also save the results as JSON")
    args = parser.parse_args(argv)
    cache_bytecode()
    rows = bench_pushdown(args.data_dir, args.contacts, args.events_per_contact, args.reps, args.seed, args.dsn)
    print()
    print(f"B2B model on PostgreSQL, as of {AS_OF}, {args.events_per_contact:g} events per contact on average, "
          f"median of {args.reps}, {os.cpu_count()} CPUs")
    print()
    print(markdown(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump({"as_of": AS_OF, "model": os.path.relpath(MODEL, ROOT), "python": PYTHON, "rows": rows},
                      file, indent=1)
    found = [m for r in rows for m in r.get("mismatches", ())]
    if found:
        print(f"\n{len(found)} output mismatch(es):", *found, sep="\n", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
