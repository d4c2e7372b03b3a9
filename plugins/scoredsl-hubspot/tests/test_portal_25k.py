"""End to end on a 25,000-contact fake portal: the same results as the CSV path, exactly-once
writes under faults, unchanged reruns that write nothing, pacing measured by the server, the
daily limit, an interrupted run, and the dry run."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from conftest import (AS_OF, RULES, SINK_PROPERTIES, TOKEN, assert_portal_holds, hubspot_values, read_rows,
                      rows_of, scoredsl, spec)

pytestmark = pytest.mark.slow
UPDATE = "/crm/v3/objects/contacts/batch/update"


# ---------------------------------------------------------------- (1) the same scores as CSV

def test_full_read_with_events_gives_the_csv_results(big, csv25k, tmp_path):
    """Full read (list endpoint, 100 per page) with page-view events from the events API."""
    hubspot_out, csv_out = tmp_path / "hubspot.csv", tmp_path / "csv.csv"
    result = scoredsl("run", str(RULES), "--source", spec(big, events="on"), "--sink", f"csv:{hubspot_out}",
                      "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert scoredsl("run", str(RULES), "--source", f"csv:{csv25k}", "--sink", f"csv:{csv_out}",
                    "--as-of", AS_OF, "-q").exit_code == 0
    assert hubspot_out.read_text() == csv_out.read_text()           # same rows, same order, byte for byte
    lists = big.calls("GET", "/crm/v3/objects/contacts")
    assert len(lists) == 250 and all(r.query["limit"] == ["100"] for r in lists)
    events = big.calls("GET", "/events/v3/events")
    active = sum(1 for c in big.contacts.values() if c["properties"]["hs_analytics_num_page_views"] != "0")
    assert len(events) == active < 25_000 / 2                          # contacts without page views skipped
    rows = read_rows(hubspot_out)
    assert any(r["engagement"] != "0" for r in rows.values())
    assert "25,000 contacts" in result.stderr


def test_incremental_read_across_the_search_cap_gives_the_csv_results(big, csv25k, expected25k, tmp_path):
    """since= reads through search, 200 per page, restarting at the 10,000-result cap."""
    out = tmp_path / "incremental.csv"
    result = scoredsl("run", str(RULES), "--source", spec(big, since="2020-01-01"), "--sink", f"csv:{out}",
                      "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.output
    assert read_rows(out) == expected25k                               # every contact once, same results
    searches = big.calls("POST", "/crm/v3/objects/contacts/search")
    assert all(r.body["limit"] == 200 and (int(r.body.get("after") or 0) + 200 <= 10_000) for r in searches)
    restarts = [r for r in searches if not r.body.get("after")]
    assert len(restarts) >= 3                                          # 25,000 results: three queries or more
    assert all(r.status == 200 for r in searches)


def test_incremental_read_of_recent_changes(big, expected25k, tmp_path):
    """Only contacts modified since the given instant are read and scored, with the same results."""
    since = "2026-10-01T00:00:00Z"
    out = tmp_path / "recent.csv"
    assert scoredsl("run", str(RULES), "--source", spec(big, since=since), "--sink", f"csv:{out}",
                    "--as-of", AS_OF, "-q").exit_code == 0
    rows = read_rows(out)
    recent = {cid for cid, c in big.contacts.items() if c["properties"]["lastmodifieddate"] >= "2026-10-01T00:00:00"}
    assert set(rows) == recent and 0 < len(recent) < 25_000
    assert rows == {cid: expected25k[cid] for cid in recent}


# ---------------------------------------------------------------- (2) faults: exactly once

def test_random_429s_and_5xx_every_change_arrives_exactly_once(big, expected25k):
    big.fault_rate = 0.05             # 5% of all requests: 429, 500, 502, 503, 504 after applying,
    result = scoredsl("run", str(RULES), "--source", spec(big), "--sink", spec(big),    # resets, drops
                      "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.output
    faults = collections.Counter(r.fault for r in big.requests if r.fault)
    assert faults["drop_after"] and faults["504_after"] and faults["429"] and faults["500"], faults
    assert_portal_holds(big, expected25k)
    assert set(big.updates) == set(expected25k) and set(big.updates.values()) == {1}   # each contact once
    assert all(set(changes) <= set(SINK_PROPERTIES) for _, changes in big.update_log)  # nothing else written
    batches = [r for r in big.calls("POST", UPDATE) if r.status == 200]
    assert all(len(r.body["inputs"]) <= 100 for r in big.calls("POST", UPDATE))
    assert sum(len(r.body["inputs"]) for r in batches) + sum(
        len(r.body["inputs"]) for r in big.calls("POST", UPDATE) if r.fault in ("504_after", "drop_after")) == 25_000


# ---------------------------------------------------------------- (3) an unchanged rerun

def test_an_unchanged_second_run_sends_no_update(big, expected25k):
    assert scoredsl("run", str(RULES), "--source", spec(big), "--sink", spec(big), "--as-of", AS_OF,
                    "-q").exit_code == 0
    assert len(big.calls("POST", UPDATE)) == 250
    big.reset_log()
    result = scoredsl("run", str(RULES), "--source", spec(big), "--sink", spec(big, progress="auto"),
                      "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert big.calls("POST", UPDATE) == []
    assert [(r.method, r.path) for r in big.requests].count(("GET", "/crm/v3/objects/contacts")) == 250
    assert len(big.requests) == 251                                   # the properties, then 250 pages
    assert "0 contacts updated in 0 batch requests, 25,000 unchanged" in result.stderr
    # one contact changes in HubSpot: exactly that contact is written, in one request
    contact = next(cid for cid, row in expected25k.items() if row["status"] == "scored" and row["fit"] != "0")
    big.set_property(contact, "jobtitle", "Chief Executive Officer")
    big.reset_log()
    assert scoredsl("run", str(RULES), "--source", spec(big), "--sink", spec(big), "--as-of", AS_OF,
                    "-q").exit_code == 0
    [update] = big.calls("POST", UPDATE)
    assert [i["id"] for i in update.body["inputs"]] == [contact]


# ---------------------------------------------------------------- (4) pacing, measured by the server

def test_the_client_never_exceeds_the_rolling_window(big, expected25k):
    """The ten-second window scaled down to 2 s with 100 requests (so the test takes seconds):
    a full run with writes (about 500 requests) never puts more than 100 in any 2 s."""
    big.rate_limit, big.rate_window = 100, 2.0
    result = scoredsl("run", str(RULES), "--source", spec(big, rate_limit=100, rate_window=2),
                      "--sink", spec(big, rate_limit=100, rate_window=2), "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.output
    assert len(big.requests) > 450
    assert big.max_in_window(2.0) <= 100
    assert not [r for r in big.requests if r.status == 429]
    assert_portal_holds(big, expected25k)


# ---------------------------------------------------------------- (5) the daily limit

def test_daily_limit_stops_cleanly_and_a_rerun_finishes(big, expected25k, tmp_path):
    big.daily_limit = 400             # 1 + 250 reads, then about 149 of the 250 batches
    first = scoredsl("run", str(RULES), "--source", spec(big), "--sink", spec(big), "--as-of", AS_OF, "-q")
    assert first.exit_code == 2
    assert "daily API limit" in first.stderr and "run the same command again after the reset" in first.stderr
    assert "Traceback" not in first.output
    checkpoint = tmp_path / ".scoredsl-hubspot" / "test.checkpoint.jsonl"
    journal = [json.loads(line) for line in checkpoint.read_text().splitlines()]
    assert journal[-1]["kind"] == "stopped" and "DAILY" in journal[-1]["reason"]
    written = set(big.updates)
    assert 0 < len(written) < 25_000
    assert not [r for r in big.requests if r.policy == "DAILY"][1:]  # stopped at the first DAILY, no spinning
    big.new_day()
    second = scoredsl("run", str(RULES), "--source", spec(big), "--sink", spec(big), "--as-of", AS_OF, "-q")
    assert second.exit_code == 0, second.output
    assert set(big.updates) == set(expected25k) and set(big.updates.values()) == {1}
    assert_portal_holds(big, expected25k)
    assert not checkpoint.exists()


# ---------------------------------------------------------------- (6) interrupted and rerun

def test_killed_after_k_batches_and_rerun_no_duplicates_nothing_lost(big, expected25k, tmp_path):
    """The process is killed (SIGKILL) while HubSpot is applying batch 40: that batch is applied
    but never confirmed. The rerun re-reads it and sends each remaining contact once."""
    env = dict(os.environ, HUBSPOT_ACCESS_TOKEN=TOKEN)
    command = [sys.executable, "-m", "scoredsl", "run", str(RULES), "--source", spec(big), "--sink", spec(big),
               "--as-of", AS_OF, "-q"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = threading.Event()

    def kill_at_40(record):
        if record.path == UPDATE and record.status == 200 and len(big.calls("POST", UPDATE)) == 40:
            process.send_signal(signal.SIGKILL)
            killed.set()
    big.on_request = kill_at_40
    process.communicate(timeout=300)
    big.on_request = None
    assert killed.is_set() and process.returncode == -signal.SIGKILL
    assert len(big.updates) == 4_000
    journal = [json.loads(line) for line in (tmp_path / ".scoredsl-hubspot" / "test.checkpoint.jsonl")
               .read_text().splitlines()]
    assert [j["batch"] for j in journal if j["kind"] == "done"][-1] == 39
    assert journal[-1]["kind"] == "send" and journal[-1]["batch"] == 40     # sent, never confirmed
    rerun = scoredsl("run", str(RULES), "--source", spec(big), "--sink", spec(big), "--as-of", AS_OF, "-q")
    assert rerun.exit_code == 0, rerun.output
    assert set(big.updates) == set(expected25k) and set(big.updates.values()) == {1}
    assert_portal_holds(big, expected25k)
    assert big.calls("POST", "/crm/v3/objects/contacts/batch/read")    # batch 40 was re-read


# ---------------------------------------------------------------- (10) the dry run

def test_dry_run_writes_nothing_and_reports_tier_transitions(big, expected25k):
    first = scoredsl("run", str(RULES), "--source", spec(big), "--sink", spec(big), "--as-of", AS_OF, "-q")
    assert first.exit_code == 0
    before = {cid: hubspot_values(row) for cid, row in expected25k.items()}
    big.reset_log()
    # a month later, some contacts change tiers as their activity ages
    result = scoredsl("run", str(RULES), "--source", spec(big), "--sink", spec(big, dry_run="true", show=5),
                      "--as-of", "2026-12-01", "-q")
    assert result.exit_code == 0, result.output
    assert big.calls("POST", UPDATE) == []
    assert all({n: big.value(cid, n) for n in SINK_PROPERTIES} == values for cid, values in before.items())
    later = scoredsl("run", str(RULES), "--source", f"csv:{_csv_of(big)}", "--as-of", "2026-12-01", "-q")
    after = rows_of(later.stdout)
    moves = collections.Counter((expected25k[c]["lifecycle"], after[c]["lifecycle"]) for c in after
                                if expected25k[c]["lifecycle"] != after[c]["lifecycle"])
    assert moves
    report = result.stdout
    changed = sum(1 for c in after if hubspot_values(after[c]) != before[c])
    assert f"{changed:,} of 25,000 contacts would change" in report and "nothing was written" in report
    for (old, new), count in moves.items():
        assert f"{old or '(none)'} -> {new or '(none)'}" in report and f"{count:,}" in report
    assert "first 5 changes:" in report and len(report.split("first 5 changes:")[1].strip().splitlines()) == 5


def _csv_of(fake) -> str:
    """The portal's current contacts as a CSV file (for results at another as-of)."""
    from scoredsl_hubspot.testing.portal import TEST_PROPERTIES
    import csv
    path = os.path.abspath("contacts-now.csv")
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["id", *TEST_PROPERTIES])
        for cid in sorted(fake.contacts, key=int):
            values = fake.contacts[cid]["properties"]
            writer.writerow([cid, *[values.get(h) or "" for h in TEST_PROPERTIES.values()]])
    return path
