"""``scoredsl history``: a contact's scores and stages run by run, a model's tier counts and
transitions, as text, JSON and a page with a chart per tier, read from a real state store."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

MODEL = """\
schema {
  event page_view
}

model leads {
  score engagement { rule views: each page_view within 30d => +10 }
  tier lifecycle monotonic {
    SQL: engagement >= 80
    MQL: engagement >= 40
    lead: otherwise
  }
}
"""

RUNS = ("2026-01-01", "2026-01-03", "2026-01-06", "2026-01-09", "2026-02-20")


@pytest.fixture
def recorded(tmp_path, monkeypatch, invoke):
    (tmp_path / "scoredsl.toml").write_text("")
    (tmp_path / "model.score").write_text(MODEL)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "contacts.csv").write_text("id\nc1\nc2\n")
    views = [f"c1,page_view,2026-01-{d:02d}T10:00:00Z" for d in range(1, 10)] + ["c2,page_view,2026-01-05T10:00:00Z"]
    (tmp_path / "data" / "events.csv").write_text("contact_id,type,timestamp\n" + "\n".join(views) + "\n")
    monkeypatch.chdir(tmp_path)
    for as_of in RUNS:
        assert invoke("run", "model.score", "--source", "csv:data", "--as-of", as_of, "-q").exit_code == 0
    return tmp_path


def test_a_contacts_history_with_sparklines(recorded, invoke):
    result = invoke("history", "--contact", "c1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "contact c1 · model leads · 5 runs"
    assert lines[3].split() == ["2026-01-01T00:00:00Z", "scored", "0", "lead"]
    assert lines[6].split() == ["2026-01-09T00:00:00Z", "scored", "80", "SQL"]
    assert lines[7].split() == ["2026-02-20T00:00:00Z", "scored", "0", "SQL"]     # held
    assert "  engagement: ▁▃▅█▁  (0 to 80)" in lines
    assert "  lifecycle: lead → MQL → SQL" in lines
    as_json = json.loads(invoke("history", "--contact", "c1", "--format", "json").stdout)
    assert [(r["as_of"], r["scores"]["engagement"], r["tiers"]["lifecycle"]) for r in as_json][-2:] == [
        ("2026-01-09T00:00:00Z", 80, "SQL"), ("2026-02-20T00:00:00Z", 0, "SQL")]


def test_a_models_history_counts_tiers_and_transitions(recorded, invoke):
    result = invoke("history", "--model", "leads")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()[3:8]]
    assert rows == [["2026-01-01T00:00:00Z", "2", "0", "0", "0"], ["2026-01-03T00:00:00Z", "2", "0", "0", "0"],
                    ["2026-01-06T00:00:00Z", "1", "1", "0", "1"], ["2026-01-09T00:00:00Z", "1", "0", "1", "1"],
                    ["2026-02-20T00:00:00Z", "1", "0", "1", "0"]]
    as_json = json.loads(invoke("history", "--model", "leads", "--format", "json").stdout)
    assert as_json["runs"][2]["transitions"] == [{"tier": "lifecycle", "from": "lead", "to": "MQL", "count": 1}]
    assert as_json["runs"][3]["tiers"] == {"lifecycle": {"lead": 1, "SQL": 1}}


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts, self.series, self.cells = [], {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.charts.append(attrs["data-tier"])
        if tag == "polyline":
            self.series[attrs["data-label"]] = [tuple(map(float, p.split(","))) for p in attrs["points"].split()]
        if tag == "script" or attrs.get("src") or attrs.get("href"):
            raise AssertionError(f"the page must be self-contained: {tag} {attrs}")

    def handle_data(self, data):
        self.cells.append(data)


def test_a_models_history_as_a_page(recorded, invoke, tmp_path):
    result = invoke("history", "--model", "leads", "--html", "history.html")
    assert result.exit_code == 0, result.output
    page = Page()
    page.feed((recorded / "history.html").read_text())
    assert page.charts == ["lifecycle"]
    assert sorted(page.series) == ["MQL", "SQL", "lead"]
    assert all(len(points) == 5 for points in page.series.values())
    sql_heights = [y for _x, y in page.series["SQL"]]
    assert sql_heights[3] < sql_heights[2]            # SQL rises in the fourth run (y grows downwards)
    assert "Model leads: 5 recorded runs" in page.cells
    first = invoke("history", "--model", "leads", "--html", "again.html")
    assert first.exit_code == 0
    assert (recorded / "again.html").read_bytes() == (recorded / "history.html").read_bytes()


@pytest.mark.parametrize("args, message", [
    ((), "say what to show: --contact ID, or --model NAME"),
    (("--contact", "nobody"), "no record of contact 'nobody'"),
    (("--model", "other"), "no recorded run of model other"),
    (("--contact", "c1", "--html", "x.html"), "--html draws a model's history"),
])
def test_history_says_what_is_wrong(recorded, invoke, args, message):
    result = invoke("history", *args)
    assert result.exit_code in (1, 2) and message in result.stderr


def test_history_without_a_store(tmp_path, monkeypatch, invoke):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scoredsl.toml").write_text("")
    result = invoke("history", "--model", "leads")
    assert result.exit_code == 1 and "nothing has been recorded yet" in result.stderr
    assert not (tmp_path / "scoredsl-state.sqlite").exists()
