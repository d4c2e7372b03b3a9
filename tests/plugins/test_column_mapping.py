"""Column mapping for CSV and JSONL files: an export's own headers (``Record ID``, ``Job
Title``) read as the schema's names, on every engine, from a spec or from scoredsl.toml."""

from __future__ import annotations

import csv
import io
import json

import pytest

MODEL = """\
schema {
  contact { job_title: text, employees: int }
  event page_view { url: text }
}
model m {
  score fit {
    rule vp: job_title matches /\\bvp\\b/ => +20
    rule big: employees > 100 => +10
    rule pricing: has(page_view where url == "/pricing") => +5
  }
}
"""

CONTACTS = "id,job_title,employees\n101,VP Sales,120\n102,Engineer,5\n"
EVENTS = "contact_id,type,timestamp,url\n101,page_view,2026-10-20T10:00:00Z,/pricing\n"
# The same data as a CRM exports it
EXPORT_CONTACTS = "Record ID,Job Title,Number of Employees,Lifecycle Stage\n101,VP Sales,120,lead\n102,Engineer,5,lead\n"
EXPORT_EVENTS = "Contact,Activity,When,Page URL\n101,page_view,2026-10-20T10:00:00Z,/pricing\n"
COLUMNS = "id:Record ID,job_title:Job Title,employees:Number of Employees"
EVENT_COLUMNS = "contact_id:Contact,type:Activity,timestamp:When,url:Page URL"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.score").write_text(MODEL)
    (tmp_path / "contacts.csv").write_text(CONTACTS)
    (tmp_path / "events.csv").write_text(EVENTS)
    (tmp_path / "export.csv").write_text(EXPORT_CONTACTS)
    (tmp_path / "export_events.csv").write_text(EXPORT_EVENTS)
    return tmp_path


def scores(result) -> dict[str, str]:
    assert result.exit_code == 0, result.output
    return {r["contact_id"]: r["fit"] for r in csv.DictReader(io.StringIO(result.stdout))}


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_an_export_with_its_own_headers_scores_as_the_plain_files_do(folder, invoke, engine):
    plain = scores(invoke("run", "m.score", "--source", "csv:contacts.csv?events=events.csv", "--as-of",
                          "2026-11-01", "--engine", engine, "-q"))
    mapped = scores(invoke("run", "m.score", "--source", f"csv:export.csv?events=export_events.csv&columns={COLUMNS}"
                           f"&event_columns={EVENT_COLUMNS}", "--as-of", "2026-11-01", "--engine", engine, "-q"))
    assert mapped == plain == {"101": "35", "102": "0"}


def test_jsonl_keys_are_mapped_too(folder, invoke):
    rows = [{"Record ID": "101", "Job Title": "VP Sales", "Number of Employees": 120}]
    (folder / "export.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    events = [{"Contact": "101", "Activity": "page_view", "When": "2026-10-20T10:00:00Z", "Page URL": "/pricing"}]
    (folder / "export_events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    result = invoke("run", "m.score", "--source", f"jsonl:export.jsonl?events=export_events.jsonl&columns={COLUMNS}"
                    f"&event_columns={EVENT_COLUMNS}", "--as-of", "2026-11-01", "-q")
    assert scores(result) == {"101": "35"}


def test_mapping_in_scoredsl_toml(folder, invoke):
    (folder / "scoredsl.toml").write_text('''
[sources.hubspot_export]
spec = "csv:export.csv?events=export_events.csv"
columns = { id = "Record ID", job_title = "Job Title", employees = "Number of Employees" }
event_columns = { contact_id = "Contact", type = "Activity", timestamp = "When", url = "Page URL" }
[state]
enabled = false
''')
    assert scores(invoke("run", "m.score", "--source", "hubspot_export", "--as-of", "2026-11-01", "-q")) == \
        {"101": "35", "102": "0"}


@pytest.mark.parametrize("columns, message", [
    ("id:Record ID,jobtitle:Job Title", "columns maps 'jobtitle', which is neither"),
    ("id:Record Id", "the header has no 'Record Id' column (found 'Record ID', 'Job Title'"),
    ("id=Record ID", "'id=Record ID' is not NAME:COLUMN"),
    ("id:Record ID,job_title:Record ID", "maps two names to the column 'Record ID'"),
])
def test_a_wrong_mapping_says_what_is_wrong(folder, invoke, columns, message):
    result = invoke("run", "m.score", "--source", f"csv:export.csv?columns={columns}", "--as-of", "2026-11-01")
    assert result.exit_code != 0
    assert message in result.stderr
