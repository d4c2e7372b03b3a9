#!/usr/bin/env python3
"""Benchmark scoredsl against hand-written baselines on generated data.

    python benchmarks/run.py --sizes 10000,100000,1000000 --events-per-contact 20 --reps 3 \\
                             --data-dir /tmp/scoredsl-bench [--only python|duckdb] [--json OUT]
    python benchmarks/run.py --check-rules 1000 [--reps 3] [--data-dir ...]

For each size, generates the data once (cached in ``DATA_DIR/c<size>-e<epc>-s<seed>/``), then
runs every contender ``--reps`` times as a subprocess, in turn within each repetition:

    python-baseline   benchmarks/baseline_python.py (hand-written plain Python)
    scoredsl-python   scoredsl run ... [--engine python]
    duckdb-baseline   benchmarks/baseline_duckdb.sql via baseline_duckdb.py (hand-written SQL)
    scoredsl-duckdb   scoredsl run ... --engine duckdb (skipped while the engine does not exist)

and measures wall time (interpreter start included), the child's CPU time and peak RSS
(``os.wait4``). Every contender runs from compiled bytecode, as an installed package does: the
repository's modules are compiled first, and ``PYTHONDONTWRITEBYTECODE`` is unset for them.
After each repetition the outputs of all contenders must be byte-identical; a difference is
reported with the first differing line, and the run exits 1 at the end.

``--check-rules N`` writes a model of N rules into the data dir and times ``scoredsl check``
and ``scoredsl compile --emit python`` on it.

``--explain N`` times ``scoredsl explain --contact ID`` of the middle contact of the N-contact
data set, on its CSV files as generated (no quotes) and on a copy whose events quote every
cell (DuckDB's reader then finds the contact's rows).

``--backtest N`` generates N contacts of the planted backtest example
(``examples/backtest/generate.py``) and times, interleaved, one ``scoredsl run --engine
python`` of its model, and ``scoredsl backtest`` over its 12 monthly as-of instants with and
without the rules table and the bootstrap intervals; each is reported as a ratio to the one run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL = os.path.join(ROOT, "examples", "b2b_saas", "model.score")
EXAMPLE_DATA = os.path.join(ROOT, "examples", "b2b_saas", "data")
AS_OF = "2026-11-01T00:00:00Z"
PYTHON = sys.executable
SCOREDSL = [PYTHON, "-m", "scoredsl"]
CONTENDERS = ("python-baseline", "scoredsl-python", "duckdb-baseline", "scoredsl-duckdb", "scoredsl-auto")
RATIOS = (("scoredsl-python", "python-baseline"), ("scoredsl-duckdb", "duckdb-baseline"),
          ("scoredsl-auto", "duckdb-baseline"), ("scoredsl-python", "scoredsl-duckdb"))


# ------------------------------------------------------------------ subprocesses

class Measured(NamedTuple):
    seconds: float      # wall clock
    cpu: float          # the child's user + system CPU seconds
    rss_mb: float       # the child's peak resident set
    status: int
    stderr: str


def measure(command: list[str], stdout=subprocess.DEVNULL) -> Measured:
    """Run ``command``: wall and CPU seconds, peak RSS (MB), exit status and stderr of the child."""
    with tempfile.TemporaryFile() as err:        # not a pipe: a full pipe would block the child
        started = time.perf_counter()
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)     # reaped: Popen must not wait again
        err.seek(0)
        return Measured(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode,
                        err.read().decode("utf-8", "replace"))


def check(result: Measured, what: str) -> Measured:
    if result.status != 0:
        sys.exit(f"{what} failed with exit status {result.status}:\n{result.stderr}")
    return result


# ------------------------------------------------------------------ data and contenders

def dataset(data_dir: str, contacts: int, events_per_contact: float, seed: int) -> dict:
    """The generated data of one size (generated when missing, or by another generate.py);
    its folder and counts."""
    folder = os.path.join(data_dir, f"c{contacts}-e{events_per_contact:g}-s{seed}")
    meta_path = os.path.join(folder, "meta.json")
    with open(os.path.join(HERE, "generate.py"), "rb") as file:
        generator = hashlib.sha256(file.read()).hexdigest()[:16]
    if os.path.exists(meta_path):
        with open(meta_path, encoding="utf-8") as file:
            meta = json.load(file)
        if meta.get("generator") == generator and all(os.path.exists(p) for p in meta["paths"]):
            return meta
    print(f"generating {contacts:,} contacts into {folder} ...", file=sys.stderr)
    command = [PYTHON, os.path.join(HERE, "generate.py"), "--contacts", str(contacts),
               "--events-per-contact", f"{events_per_contact:g}", "--seed", str(seed), "--out", folder]
    check(measure(command), "the generator")
    with open(os.path.join(folder, "events.csv"), "rb") as file:
        events = sum(1 for _ in file) - 1
    meta = {"folder": folder, "contacts": contacts, "events": events, "seed": seed, "generator": generator,
            "paths": [os.path.join(folder, name) for name in ("contacts.csv", "events.csv")]}
    with open(meta_path, "w", encoding="utf-8") as file:
        json.dump(meta, file, indent=1)
    return meta


def engine_option() -> bool:
    """Whether ``scoredsl run`` has an ``--engine`` option."""
    result = subprocess.run(SCOREDSL + ["run", "--help"], capture_output=True, text=True, check=True)
    return "--engine" in result.stdout


def model_version() -> str:
    """The B2B model's ``model_version``, as scoredsl writes it (scoring the example data)."""
    result = subprocess.run(SCOREDSL + ["run", MODEL, "--source", f"csv:{EXAMPLE_DATA}", "--as-of", AS_OF,
                                        "--sink", "csv:-", "-q"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"scoredsl cannot run the model:\n{result.stderr}")
    header, first = result.stdout.splitlines()[:2]
    return first.split(",")[header.split(",").index("model_version")]


def commands(folder: str, out: str, version: str, engine: bool, order: str) -> dict[str, list[str]]:
    """Each contender's command; ``order``: "sorted" (scoredsl told so), "unsorted" (the events
    shuffled, the Python baseline told so) or "" (sorted files, scoredsl not told)."""
    source = f"csv:{folder}" + ("?sorted=contact_id" if order == "sorted" else "")
    scoredsl = SCOREDSL + ["run", MODEL, "--source", source, "--as-of", AS_OF, "--sink", f"csv:{out}", "-q"]
    baseline = [folder, out, "--model-version", version, "--as-of", AS_OF]
    return {
        "python-baseline": [PYTHON, os.path.join(HERE, "baseline_python.py"), *baseline]
        + (["--unsorted"] if order == "unsorted" else []),
        "scoredsl-python": scoredsl + (["--engine", "python"] if engine else []),
        "duckdb-baseline": [PYTHON, os.path.join(HERE, "baseline_duckdb.py"), *baseline],
        "scoredsl-duckdb": scoredsl + ["--engine", "duckdb"],
        "scoredsl-auto": scoredsl,
    }


def shuffled_copy(meta: dict, seed: int) -> dict:
    """The data set with its events in a random order (the same for the same seed), as an export
    of activities comes: not grouped by contact. The contacts file is the same."""
    folder = meta["folder"] + "-unsorted"
    events = os.path.join(folder, "events.csv")
    if not os.path.exists(events):
        os.makedirs(folder, exist_ok=True)
        contacts = os.path.join(folder, "contacts.csv")
        if not os.path.exists(contacts):
            os.link(os.path.join(meta["folder"], "contacts.csv"), contacts)
        # in a process of its own: the lines are held in memory to be shuffled, and a child
        # forked from a large process reports that process's memory as its own peak (ru_maxrss)
        check(measure([PYTHON, os.path.abspath(__file__), "--shuffle-lines", os.path.join(meta["folder"], "events.csv"),
                       events, str(seed)]), "shuffling the events")
    return dict(meta, folder=folder)


def shuffle_lines(source: str, target: str, seed: int) -> None:
    """``target``: ``source``'s header, then its other lines in a random order (by ``seed``)."""
    import random

    with open(source, "rb") as file:
        header = file.readline()
        lines = file.readlines()
    if any(b'"' in line for line in lines):
        sys.exit("the events file has quoted cells: shuffling it by lines could split a record")
    random.Random(seed).shuffle(lines)
    with open(target + ".tmp", "wb") as file:
        file.write(header)
        file.writelines(lines)
    os.replace(target + ".tmp", target)


def is_usage_error(result: Measured) -> bool:
    return result.status == 2 and ("Invalid value" in result.stderr or "No such option" in result.stderr
                                   or "Usage:" in result.stderr)


# ------------------------------------------------------------------ comparing outputs

def first_difference(path_a: str, path_b: str) -> str | None:
    """``None`` when the files are byte-identical, else where and how they first differ."""
    with open(path_a, "rb") as a, open(path_b, "rb") as b:
        number = 0
        while True:
            number += 1
            line_a, line_b = a.readline(), b.readline()
            if line_a != line_b:
                return f"line {number}:\n    {line_a!r}\n    {line_b!r}"
            if not line_a:
                return None


# ------------------------------------------------------------------ the benchmark

def bench_size(meta: dict, names: list[str], reps: int, version: str, engine: bool, order: str,
               skipped: dict[str, str]) -> tuple[dict[str, list[Measured]], list[str]]:
    folder = meta["folder"]
    outputs = {name: os.path.join(folder, f"out-{name}.csv") for name in names}
    runs: dict[str, list[Measured]] = {name: [] for name in names}
    mismatches: list[str] = []
    for rep in range(reps):
        turn = names[rep % len(names):] + names[:rep % len(names)]     # a different one goes first
        for name in turn:
            if name in skipped:
                continue
            if os.path.exists(outputs[name]):
                os.unlink(outputs[name])
            result = measure(commands(folder, outputs[name], version, engine, order)[name])
            if name == "scoredsl-duckdb" and result.status != 0 and is_usage_error(result):
                skipped[name] = "scoredsl has no duckdb engine yet (usage error)"
                print(f"  {name}: skipped, {skipped[name]}", file=sys.stderr)
                continue
            check(result, f"{name} on {meta['contacts']:,} contacts")
            runs[name].append(result)
            print(f"  {meta['contacts']:>9,}  rep {rep + 1}  {name:<16} {result.seconds:8.2f}s "
                  f"{result.cpu:8.2f}s CPU {result.rss_mb:8.0f} MB", file=sys.stderr)
        done = [n for n in names if n not in skipped]
        for name in done[1:]:
            difference = first_difference(outputs[done[0]], outputs[name])
            if difference is not None:
                message = (f"MISMATCH at {meta['contacts']:,} contacts, rep {rep + 1}: {name} differs from "
                           f"{done[0]} at {difference}")
                print("!" * 80 + f"\n{message}\n" + "!" * 80, file=sys.stderr)
                mismatches.append(message)
    return runs, mismatches


def summarize(meta: dict, runs: dict[str, list[Measured]]) -> list[dict]:
    rows = []
    for name, measured in runs.items():
        if not measured:
            continue
        seconds = statistics.median(m.seconds for m in measured)
        rows.append({"size": meta["contacts"], "events": meta["events"], "contender": name,
                     "median_s": seconds, "median_cpu_s": statistics.median(m.cpu for m in measured),
                     "contacts_per_s": meta["contacts"] / seconds,
                     "events_per_s": meta["events"] / seconds, "peak_rss_mb": max(m.rss_mb for m in measured),
                     "runs_s": [m.seconds for m in measured], "runs_cpu_s": [m.cpu for m in measured]})
    return rows


def ratios(rows: list[dict]) -> list[dict]:
    out = []
    for size in sorted({r["size"] for r in rows}):
        medians = {r["contender"]: r for r in rows if r["size"] == size}
        for a, b in RATIOS:
            if a in medians and b in medians:
                out.append({"size": size, "ratio": f"{a} / {b}",
                            "wall": medians[a]["median_s"] / medians[b]["median_s"],
                            "cpu": medians[a]["median_cpu_s"] / medians[b]["median_cpu_s"],
                            "rss": medians[a]["peak_rss_mb"] / medians[b]["peak_rss_mb"]})
    return out


def markdown(rows: list[dict], ratio_rows: list[dict]) -> str:
    lines = ["| size | contender | median wall s | median CPU s | contacts/s | events/s | peak RSS MB |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['size']:,} | {r['contender']} | {r['median_s']:.2f} | {r['median_cpu_s']:.2f} | "
                     f"{r['contacts_per_s']:,.0f} | {r['events_per_s']:,.0f} | {r['peak_rss_mb']:,.0f} |")
    if ratio_rows:
        lines += ["", "| size | ratio of medians | wall | CPU | peak RSS |", "|---:|---|---:|---:|---:|"]
        lines += [f"| {r['size']:,} | {r['ratio']} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss']:.2f} |"
                  for r in ratio_rows]
    return "\n".join(lines)


def bench_rules(data_dir: str, count: int, reps: int, seed: int) -> list[dict]:
    """Times ``scoredsl check`` and ``scoredsl compile --emit python`` on a model of ``count`` rules."""
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, f"rules{count}.score")
    check(measure([PYTHON, os.path.join(HERE, "generate.py"), "--rules", str(count), "--seed", str(seed),
                   "--out", data_dir]), "the rule generator")
    results = []
    for label, command in ((f"scoredsl check (rules{count}.score)", SCOREDSL + ["check", path]),
                           (f"scoredsl compile --emit python (rules{count}.score)",
                            SCOREDSL + ["compile", path, "--emit", "python"])):
        measured = [check(measure(command), label) for _ in range(reps)]
        results.append({"command": label, "rules": count,
                        "median_s": statistics.median(m.seconds for m in measured),
                        "median_cpu_s": statistics.median(m.cpu for m in measured),
                        "peak_rss_mb": max(m.rss_mb for m in measured), "runs_s": [m.seconds for m in measured]})
    return results


def quoted_copy(meta: dict) -> str:
    """A folder with the data set's contacts and its events with every cell quoted."""
    folder = meta["folder"] + "-quoted"
    if not os.path.exists(os.path.join(folder, "events.csv")):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(meta["folder"], "contacts.csv"), "rb") as source, \
                open(os.path.join(folder, "contacts.csv"), "wb") as out:
            out.write(source.read())
        with open(os.path.join(meta["folder"], "events.csv"), encoding="utf-8") as source, \
                open(os.path.join(folder, "events.csv"), "w", encoding="utf-8") as out:
            for line in source:
                out.write(",".join(f'"{cell}"' for cell in line.rstrip("\n").split(",")) + "\n")
    return folder


def bench_explain(data_dir: str, contacts: int, events_per_contact: float, reps: int, seed: int) -> list[dict]:
    """Times ``scoredsl explain`` of one contact on the N-contact data set, plain and quoted."""
    meta = dataset(data_dir, contacts, events_per_contact, seed)
    with open(os.path.join(meta["folder"], "contacts.csv"), encoding="utf-8") as file:
        for _ in range(contacts // 2 + 1):
            line = file.readline()
    contact = line.split(",", 1)[0]
    results = []
    for label, folder in (("explain, CSV without quotes", meta["folder"]),
                          ("explain, events with every cell quoted", quoted_copy(meta))):
        command = SCOREDSL + ["explain", MODEL, "--contact", contact, "--source", f"csv:{folder}", "--as-of", AS_OF]
        measured = [check(measure(command), label) for _ in range(reps)]
        results.append({"command": label, "contacts": contacts, "events": meta["events"], "contact": contact,
                        "median_s": statistics.median(m.seconds for m in measured),
                        "peak_rss_mb": max(m.rss_mb for m in measured), "runs_s": [m.seconds for m in measured]})
    return results


def bench_backtest(data_dir: str, contacts: int, reps: int, seed: int) -> list[dict]:
    """Times a year of monthly backtest instants against one run of the same model and data."""
    folder = os.path.join(data_dir, f"backtest-c{contacts}-s{seed}")
    if not os.path.exists(os.path.join(folder, "outcomes.csv")):
        check(measure([PYTHON, os.path.join(ROOT, "examples", "backtest", "generate.py"), "--contacts",
                       str(contacts), "--seed", str(seed), "--out", folder]), "the backtest generator")
    model = os.path.join(ROOT, "examples", "backtest", "model.score")
    source = f"csv:{folder}"
    outcomes = os.path.join(folder, "outcomes.csv")
    out = os.path.join(folder, "run.csv")
    contenders = {
        "one run (scoredsl run --engine python)":
            SCOREDSL + ["run", model, "--source", source, "--as-of", "2026-04-01", "--engine", "python",
                        "--sink", f"csv:{out}", "--quiet"],
        "backtest, 12 instants, --no-rules --bootstrap 0":
            SCOREDSL + ["backtest", model, "--source", source, "--outcomes", outcomes, "--no-rules",
                        "--bootstrap", "0"],
        "backtest, 12 instants, rules and 200 bootstrap samples":
            SCOREDSL + ["backtest", model, "--source", source, "--outcomes", outcomes, "--capacity", "500"],
    }
    runs: dict[str, list[Measured]] = {name: [] for name in contenders}
    for _ in range(reps):
        for name, command in contenders.items():
            runs[name].append(check(measure(command), name))
    base = statistics.median(m.seconds for m in runs[next(iter(contenders))])
    return [{"command": name, "contacts": contacts, "median_s": statistics.median(m.seconds for m in measured),
             "ratio": statistics.median(m.seconds for m in measured) / base,
             "peak_rss_mb": max(m.rss_mb for m in measured), "runs_s": [m.seconds for m in measured]}
            for name, measured in runs.items()]


def table(header: list[str], rows: list[list[str]]) -> None:
    """Print a markdown table after a blank line, every column but the first right-aligned."""
    print()
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def cache_bytecode() -> None:
    """Run every contender as an installed package runs: from compiled bytecode. (pip compiles
    a wheel's modules when it installs them; with ``PYTHONDONTWRITEBYTECODE`` set, an editable
    install would compile scoredsl's modules again in every timed run.)"""
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        print("note: PYTHONDONTWRITEBYTECODE is set; the contenders run without it, from compiled bytecode",
              file=sys.stderr)
    subprocess.run([PYTHON, "-m", "compileall", "-q", os.path.join(ROOT, "src"), os.path.join(ROOT, "plugins"), HERE],
                   check=True, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--shuffle-lines"]:          # (shuffled_copy's child process)
        shuffle_lines(argv[1], argv[2], int(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="contacts per data set, comma-separated "
                                        "(default 10000,100000,1000000; none with --check-rules alone)")
    parser.add_argument("--events-per-contact", type=float, default=20.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--data-dir", default="/tmp/scoredsl-bench")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("python", "duckdb"),
                        help="only these contenders (duckdb: the DuckDB baseline, --engine duckdb and auto)")
    parser.add_argument("--json", metavar="OUT", help="also save the results as JSON")
    parser.add_argument("--sorted", action="store_true",
                        help="tell scoredsl that the files are sorted by contact id (csv:DIR?sorted=contact_id), "
                             "as the Python baseline assumes")
    parser.add_argument("--unsorted", action="store_true",
                        help="shuffle the events first (a copy in DATA_DIR), as a CRM export of activities comes; "
                             "the Python baseline then keeps running totals per contact")
    parser.add_argument("--pushdown", type=int, metavar="N",
                        help="time --engine pushdown on PostgreSQL against the hand-written query there "
                             "(N contacts; see pushdown.py)")
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="the PostgreSQL database of --pushdown")
    parser.add_argument("--check-rules", type=int, metavar="N", help="time check and compile of an N-rule model")
    parser.add_argument("--explain", type=int, metavar="N",
                        help="time scoredsl explain of one contact of the N-contact data set")
    parser.add_argument("--backtest", type=int, metavar="N",
                        help="time a 12-instant backtest of N planted contacts against one run")
    args = parser.parse_args(argv)
    cache_bytecode()
    if args.sizes is None:
        args.sizes = "" if args.check_rules or args.backtest or args.explain or args.pushdown else "10000,100000,1000000"
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    if args.sorted and args.unsorted:
        parser.error("--sorted and --unsorted exclude each other")
    order = "sorted" if args.sorted else "unsorted" if args.unsorted else ""
    results: dict = {"as_of": AS_OF, "order": order or "sorted files, scoredsl not told", "model": os.path.relpath(MODEL, ROOT), "python": sys.version.split()[0],
                     "cpus": os.cpu_count(), "sizes": [], "ratios": [], "skipped": {}, "mismatches": [],
                     "rules": [], "backtest": [], "explain": [], "pushdown": []}
    if sizes:
        engine = engine_option()
        names = [n for n in CONTENDERS if args.only is None or args.only in n.split("-")
                 or (args.only == "duckdb" and n == "scoredsl-auto")]
        skipped: dict[str, str] = {}
        if not engine and "scoredsl-duckdb" in names:
            skipped["scoredsl-duckdb"] = "scoredsl run has no --engine option yet"
        for name, why in skipped.items():
            print(f"note: {name} skipped: {why}", file=sys.stderr)
        version = model_version()
        for size in sizes:
            meta = dataset(args.data_dir, size, args.events_per_contact, args.seed)
            if order == "unsorted":
                meta = shuffled_copy(meta, args.seed)
            runs, mismatches = bench_size(meta, names, args.reps, version, engine, order, skipped)
            results["sizes"] += summarize(meta, runs)
            results["mismatches"] += mismatches
        results["ratios"] = ratios(results["sizes"])
        results["skipped"] = skipped
        print()
        print(f"B2B model, as of {AS_OF}, {args.events_per_contact:g} events per contact on average, "
              f"median of {args.reps}, {os.cpu_count()} CPUs"
              + {"sorted": ", scoredsl told the files are sorted", "unsorted": ", events shuffled"}.get(order, ""))
        print()
        print(markdown(results["sizes"], results["ratios"]))
        for name, why in skipped.items():
            print(f"\n{name}: skipped ({why})")
    if args.check_rules:
        results["rules"] = bench_rules(args.data_dir, args.check_rules, args.reps, args.seed)
        table(["command", "median wall s", "median CPU s", "peak RSS MB"],
              [[r["command"], f"{r['median_s']:.2f}", f"{r['median_cpu_s']:.2f}", f"{r['peak_rss_mb']:,.0f}"]
               for r in results["rules"]])
    if args.explain:
        results["explain"] = bench_explain(args.data_dir, args.explain, args.events_per_contact, args.reps, args.seed)
        table([f"{args.explain:,} contacts", "median wall s", "peak RSS MB"],
              [[f"{r['command']} ({r['events']:,} events)", f"{r['median_s']:.2f}", f"{r['peak_rss_mb']:,.0f}"]
               for r in results["explain"]])
    if args.pushdown:       # pushdown.py, which uses this module's pieces, in a process of its own
        with tempfile.TemporaryDirectory() as scratch:
            saved = os.path.join(scratch, "pushdown.json")
            subprocess.run([PYTHON, os.path.join(HERE, "pushdown.py"), "--contacts", str(args.pushdown),
                            "--events-per-contact", f"{args.events_per_contact:g}", "--reps", str(args.reps),
                            "--seed", str(args.seed), "--data-dir", args.data_dir, "--dsn", args.dsn,
                            "--json", saved], check=True)
            with open(saved, encoding="utf-8") as file:
                results["pushdown"] = json.load(file)["rows"]
    if args.backtest:
        results["backtest"] = bench_backtest(args.data_dir, args.backtest, args.reps, args.seed)
        table([f"{args.backtest:,} planted contacts", "median wall s", "x one run", "peak RSS MB"],
              [[r["command"], f"{r['median_s']:.1f}", f"{r['ratio']:.2f}", f"{r['peak_rss_mb']:,.0f}"]
               for r in results["backtest"]])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(results, file, indent=1)
    if results["mismatches"]:
        print(f"\n{len(results['mismatches'])} output mismatch(es):", *results["mismatches"], sep="\n",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
