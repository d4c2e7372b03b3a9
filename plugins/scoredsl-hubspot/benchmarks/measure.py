"""Requests and wall time of scoredsl runs against the fake HubSpot at HubSpot's own limits.

    python plugins/scoredsl-hubspot/benchmarks/measure.py                 # 25,000 contacts
    python plugins/scoredsl-hubspot/benchmarks/measure.py --contacts 5000 --events

Starts the fake on 127.0.0.1 with HubSpot's Professional/Enterprise limits (190 requests per
rolling 10 s, 5 searches per second), loads a generated portal, creates the score properties,
and runs ``scoredsl run`` in a new process with the plugin's default pacing (190 per 10 s,
4 searches per second) for each scenario:

* full: a full read and the first write of every score (every contact changes);
* rerun: the same again, nothing changed (reads only);
* incremental: ``since=`` a date before every contact, through search (reads only);
* events (with ``--events``): a full read with page-view events from the events API.

For each it prints the requests by endpoint as the server saw them, 429s, the most requests
in any 10 s window, and the wall time.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from scoredsl_hubspot.testing import FakeHubSpot, generate_portal  # noqa: E402

RULES = HERE.parent / "tests" / "rules" / "hubspot.score"
TOKEN = "benchmark-token"


def scoredsl(args: list[str], cwd: str) -> tuple[int, float, str]:
    env = dict(os.environ, HUBSPOT_ACCESS_TOKEN=TOKEN)
    started = time.monotonic()
    process = subprocess.run([sys.executable, "-m", "scoredsl", *args], env=env, cwd=cwd, capture_output=True,
                             text=True)
    return process.returncode, time.monotonic() - started, process.stderr


def describe(fake: FakeHubSpot) -> str:
    kinds = collections.Counter()
    for r in fake.requests:
        kinds[f"{r.method} {r.path.replace('/crm/v3/objects/contacts', 'contacts')}"] += 1
    limited = sum(1 for r in fake.requests if r.status == 429)
    parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda item: -item[1]))
    return (f"{len(fake.requests)} requests ({parts}); 429s: {limited}; most in any 10 s: {fake.max_in_window(10)}; "
            f"most searches in any 1 s: {fake.max_in_window(1.0, path_prefix='/crm/v3/objects/contacts/search')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=25_000)
    parser.add_argument("--events", action="store_true", help="also measure a run that reads the events API")
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="scoredsl-hubspot-bench-")
    with FakeHubSpot(token=TOKEN, rate_limit=190, rate_window=10.0, search_rate=5) as fake:
        portal = generate_portal(options.contacts, seed=7)
        portal.load(fake)
        spec = f"hubspot:bench?base_url={fake.url}"
        code, _, err = scoredsl(["hubspot", "setup", str(RULES), "--sink", spec], work)
        assert code == 0, err
        print(f"{options.contacts:,} contacts, {len(portal.events):,} page-view events; rules {RULES.name}; "
              "fake at 190 requests / 10 s, 5 searches / s; client defaults (190 / 10 s, 4 searches / s)")
        scenarios = [("full", [spec, spec]), ("rerun", [spec, spec]),
                     ("incremental", [spec + "&since=2020-01-01", spec])]
        if options.events:
            scenarios.append(("events", [spec + "&events=on", spec]))
        for name, (source, sink) in scenarios:
            time.sleep(10.5)                      # let the rolling window empty between scenarios
            fake.reset_log()
            code, seconds, err = scoredsl(["run", str(RULES), "--source", source, "--sink", sink,
                                           "--as-of", "2026-11-01", "-q"], work)
            summary = [line for line in err.splitlines() if "contacts updated" in line]
            print(f"\n{name}: exit {code}, {seconds:.1f} s wall time (process included)\n  {describe(fake)}")
            if summary:
                print("  " + summary[-1].split(": ", 1)[-1])
            if code:
                print(err)


if __name__ == "__main__":
    main()
