"""The hubspot: sink on small portals: any source, rejected records, tier labels, renames,
the checkpoint's search-lag rule, and progress lines."""

from __future__ import annotations

import datetime as dt
import io
import json

from scoredsl_hubspot.progress import Progress

from conftest import AS_OF, RULES, SINK_PROPERTIES, read_rows, scoredsl, spec

UTC = dt.timezone.utc
UPDATE = "/crm/v3/objects/contacts/batch/update"
READ = "/crm/v3/objects/contacts/batch/read"


def small_portal(fake, n=250):
    from scoredsl_hubspot.testing import generate_portal
    portal = generate_portal(n, seed=11, bulk_import=0)
    portal.load(fake)
    return portal


def setup(fake, **options):
    result = scoredsl("hubspot", "setup", str(RULES), "--sink", spec(fake, **options))
    assert result.exit_code == 0, result.output
    fake.reset_log()


def test_a_csv_source_with_the_hubspot_sink_reads_current_values_itself(fake, tmp_path):
    portal = small_portal(fake)
    portal.write_csv(tmp_path / "data")
    setup(fake)
    source = f"csv:{tmp_path / 'data' / 'contacts.csv'}"
    result = scoredsl("run", str(RULES), "--source", source, "--sink", spec(fake), "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.output
    assert len(fake.calls("POST", READ)) == 3 and len(fake.calls("POST", UPDATE)) == 3     # 250 contacts
    assert set(fake.updates.values()) == {1} and len(fake.updates) == 250
    fake.reset_log()
    again = scoredsl("run", str(RULES), "--source", source, "--sink", spec(fake), "--as-of", AS_OF, "-q")
    assert again.exit_code == 0 and fake.calls("POST", UPDATE) == [] and len(fake.calls("POST", READ)) == 3


def test_contacts_hubspot_does_not_have_are_reported_with_their_ids(fake, tmp_path):
    portal = small_portal(fake, 20)
    portal.write_csv(tmp_path / "data")
    with open(tmp_path / "data" / "contacts.csv", "a") as file:
        file.write("999991,x@y.io,,,,,lead,0,0,0,,,0,0,,0,,,\n999992,z@y.io,,,,,lead,0,0,0,,,0,0,,0,,,\n")
    setup(fake)
    result = scoredsl("run", str(RULES), "--source", f"csv:{tmp_path / 'data' / 'contacts.csv'}",
                      "--sink", spec(fake), "--as-of", AS_OF, "-q")
    assert result.exit_code == 1
    assert "2 contacts were not updated" in result.stderr and "999991, 999992" in result.stderr
    assert "no such contact in HubSpot" in result.stderr and len(fake.updates) == 20


def test_rejected_batches_are_reported_with_their_contact_ids_and_stop_after_three(fake, tmp_path):
    small_portal(fake, 500)
    setup(fake)
    fake.properties["scoredsl_leads_reason"]["modificationMetadata"]["readOnlyValue"] = True
    result = scoredsl("run", str(RULES), "--source", spec(fake), "--sink", spec(fake, progress="auto"),
                      "--as-of", AS_OF, "-q")
    assert result.exit_code == 2
    assert len(fake.calls("POST", UPDATE)) == 3                                 # then it stops
    message = result.stderr
    assert "500 contacts were not updated" in message and "batch 1: HubSpot rejected" in message
    assert "READ_ONLY_VALUE" in message and "batch 4: not sent: 3 batches in a row failed" in message
    first_batch = [i["id"] for i in fake.calls("POST", UPDATE)[0].body["inputs"]]
    assert ", ".join(first_batch) in message


def test_a_tier_label_missing_from_the_property_stops_before_writing(fake, tmp_path):
    small_portal(fake, 50)
    setup(fake)
    rules = tmp_path / "m.score"
    rules.write_text(RULES.read_text().replace("mql: >= 35;", "mql: >= 35; warm: >= 20;"))
    result = scoredsl("run", str(rules), "--source", spec(fake), "--sink", spec(fake), "--as-of", AS_OF, "-q")
    assert result.exit_code == 2 and fake.calls("POST", UPDATE) == []
    assert "scoredsl_leads_lifecycle: warm" in result.stderr and "scoredsl hubspot setup" in result.stderr
    assert scoredsl("hubspot", "setup", str(rules), "--sink", spec(fake)).exit_code == 0
    assert scoredsl("run", str(rules), "--source", spec(fake), "--sink", spec(fake), "--as-of", AS_OF,
                    "-q").exit_code == 0


def test_without_setup_the_sink_says_how_to_create_the_properties(fake):
    small_portal(fake, 5)
    result = scoredsl("run", str(RULES), "--source", spec(fake), "--sink", spec(fake), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "HubSpot has no contact properties scoredsl_leads_fit" in result.stderr
    assert "scoredsl hubspot setup RULES.score --sink SPEC" in result.stderr


def test_renamed_properties_and_prefix(fake):
    small_portal(fake, 10)
    options = {"prefix": "sd_", "properties": "leads.fit:lead_fit_score,priority:lead_priority"}
    setup(fake, **options)
    assert {"lead_fit_score", "lead_priority", "sd_leads_engagement", "sd_leads_status"} <= set(fake.properties)
    assert scoredsl("run", str(RULES), "--source", spec(fake), "--sink", spec(fake, **options), "--as-of", AS_OF,
                    "-q").exit_code == 0
    changes = {name for _, values in fake.update_log for name in values}
    assert changes == {"lead_fit_score", "lead_priority", "sd_leads_engagement", "sd_leads_lifecycle",
                       "sd_leads_status", "sd_leads_reason"}
    bad = scoredsl("run", str(RULES), "--source", spec(fake), "--sink", spec(fake, properties="fitt:x"),
                   "--as-of", AS_OF)
    assert bad.exit_code == 2 and "renames fitt, which this run does not write" in bad.stderr


def test_values_written_by_an_interrupted_run_are_trusted_only_over_search(fake, tmp_path):
    """Search results can lag behind a write for a few seconds: right after an interrupted run, a
    value its journal says it wrote is not sent again when search still shows the old one."""
    small_portal(fake, 30)
    setup(fake)
    assert scoredsl("run", str(RULES), "--source", spec(fake), "--sink", spec(fake), "--as-of", AS_OF,
                    "-q").exit_code == 0
    contact = next(c for c in fake.contacts if fake.value(c, "scoredsl_leads_status") == "scored")
    written = {name: fake.value(contact, name) or "" for name in SINK_PROPERTIES}
    journal = tmp_path / ".scoredsl-hubspot" / "test.checkpoint.jsonl"
    journal.write_text("\n".join(json.dumps(line) for line in [
        {"kind": "run", "portal": "test", "models": {}, "contacts": 1, "batches": 1},
        {"kind": "send", "batch": 1, "ids": [contact]},
        {"kind": "done", "batch": 1, "values": {contact: written}}]) + "\n")
    fake.contacts[contact]["properties"]["scoredsl_leads_fit"] = "-999"        # what a lagging index shows
    fake.reset_log()
    assert scoredsl("run", str(RULES), "--source", spec(fake, since="2020-01-01"), "--sink", spec(fake),
                    "--as-of", AS_OF, "-q").exit_code == 0
    assert fake.calls("POST", UPDATE) == []
    assert not journal.exists()                                                # a complete run removes it
    assert scoredsl("run", str(RULES), "--source", spec(fake), "--sink", spec(fake), "--as-of", AS_OF,
                    "-q").exit_code == 0                                      # a list read is consistent
    assert fake.value(contact, "scoredsl_leads_fit") == written["scoredsl_leads_fit"]


def test_csv_output_of_the_hubspot_source_matches_what_the_sink_wrote(fake, tmp_path):
    small_portal(fake, 40)
    setup(fake)
    out = tmp_path / "out.csv"
    assert scoredsl("run", str(RULES), "--source", spec(fake), "--sink", f"csv:{out}", "--as-of", AS_OF,
                    "-q").exit_code == 0
    assert scoredsl("run", str(RULES), "--source", spec(fake), "--sink", spec(fake), "--as-of", AS_OF,
                    "-q").exit_code == 0
    for contact, row in read_rows(out).items():
        assert fake.value(contact, "scoredsl_leads_fit") == (row["fit"] or None)
        assert fake.value(contact, "scoredsl_leads_lifecycle") == (row["lifecycle"] or None)
        assert fake.value(contact, "scoredsl_leads_reason") == (row["reason"] or None)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_live_line_on_a_terminal_and_periodic_lines_otherwise():
    clock = [0.0]
    live = Terminal()
    progress = Progress("prod", stream=live, clock=lambda: clock[0])
    progress.requests = lambda: 50
    for step in range(1, 5):
        clock[0] = step * 0.3
        progress.set("contacts", step * 100)
    assert live.getvalue().count("\r") == 4 and "400 contacts read" in live.getvalue()
    assert "\n" not in live.getvalue()
    log = io.StringIO()
    clock[0] = 0.0
    progress = Progress("prod", stream=log, interval=30, clock=lambda: clock[0])
    progress.requests = lambda: 300
    for step in range(1, 100):
        clock[0] = step
        progress.set("contacts", step * 100)
    lines = log.getvalue().splitlines()
    assert len(lines) == 3 and lines[0].startswith("  hubspot prod: 3,000 contacts read, 300 requests")
    quiet = io.StringIO()
    Progress("prod", "off", stream=quiet).set("contacts", 1)
    assert quiet.getvalue() == ""
