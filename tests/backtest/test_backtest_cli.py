"""``scoredsl backtest`` end to end, and its HTML report in a real headless Chromium."""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import subprocess

import pytest

import paths

HERE = paths.EXAMPLES / "backtest"
ARGS = [HERE / "model.score", "--source", f"csv:{HERE / 'data'}", "--outcomes", HERE / "data" / "outcomes.csv",
        "--capacity", "50", "--target-precision", "30%", "--bootstrap", "50"]
REQUIRE = os.environ.get("SCOREDSL_REQUIRE_SERVICES") == "1"


def test_text_report(invoke):
    done = invoke("backtest", *ARGS)
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0].startswith("backtest of model planted (") and lines[0].endswith("ranked by fit + interest")
    assert re.match(r"12 as-of instants from 2025-05-06T00:00:00Z to 2026-04-01T00:00:00Z · converted = won "
                    r"within 90 days after the as-of$", lines[1])
    assert re.match(r"outcomes read: lost \d+, won \d+$", lines[3])
    assert re.match(r"AUC 0\.7\d \[0\.7\d, 0\.[78]\d\]   \(each score alone: fit 0\.\d\d, interest 0\.\d\d\)$",
                    lines[4])
    assert any(re.match(r"\s+interest\.demo \+\s+[\d,]+\s+[\d,]+\s+[\d.]+%\s+.*earns its points$", x) for x in lines)
    assert any("interest.using_product +" in x and x.endswith("never gave points") for x in lines)
    assert any(x.lstrip().startswith("at most 50 contacts per as-of") for x in lines)


def test_json_is_the_same_on_every_run(invoke):
    one = invoke("backtest", *ARGS, "--format", "json")
    two = invoke("backtest", *ARGS, "--format", "json")
    assert one.exit_code == 0, one.output
    assert one.output == two.output
    data = json.loads(one.output)
    assert data["score"] == "fit + interest" and len(data["as_of"]) == 12
    assert [t["label"] for t in data["tiers"]["stage"]] == ["sql", "mql", "lead"]
    assert data["at_k"][0]["k"] == 50 and 0 < data["at_k"][0]["precision"]["value"] <= 1


@pytest.mark.parametrize("extra,message", [
    (["--score", "fit + nothing"], "has no score 'nothing'; it has fit, interest"),
    (["--converted", "signed"], "has no outcome signed (it has lost, won); choose with --converted"),
    (["--from", "2026-05-01", "--to", "2026-06-01"], "no as-of instant has its whole outcome window observed"),
    (["--window", "soon"], "'soon' is not a duration like 30d"),
    (["--target-precision", "130%"], "'130%' is not a precision like 30% or 0.3"),
    (["--created", "birthday"], "--created names 'birthday', which is not a contact property"),
])
def test_bad_requests_are_explained(invoke, extra, message):
    done = invoke("backtest", *ARGS, *extra)
    assert done.exit_code != 0
    assert message in done.output


def test_instants_whose_window_is_still_open_are_left_out(invoke):
    done = invoke("backtest", *ARGS, "--to", "2026-06-01", "--bootstrap", "0")
    assert done.exit_code == 0, done.output
    assert "note: 3 as-of instants left out: their outcome window is not over (2026-04-02T00:00:00Z and later)" \
        in done.output


def test_bad_outcomes_name_the_row(invoke, tmp_path):
    bad = tmp_path / "outcomes.csv"
    bad.write_text("contact_id,outcome,at\np00001,won,2026-01-01\np00002,won,last tuesday\n")
    args = list(ARGS)
    args[args.index("--outcomes") + 1] = bad
    done = invoke("backtest", *args)
    assert done.exit_code == 1
    assert f"bad outcomes: {bad}, row 3, column 'at'" in done.output


def test_a_failed_run_leaves_the_old_report(invoke, tmp_path):
    page = tmp_path / "report.html"
    page.write_text("the old report")
    done = invoke("backtest", *ARGS, "--score", "nothing", "--html", page)
    assert done.exit_code != 0
    assert page.read_text() == "the old report"


class _Tables(html.parser.HTMLParser):
    """Every table of a page as rows of cell texts, and the attributes of every canvas."""

    def __init__(self):
        super().__init__()
        self.tables, self.canvases, self.body = [], {}, {}
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "canvas":
            self.canvases[attrs["id"]] = attrs
        elif tag == "body":
            self.body = attrs

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if REQUIRE:
        pytest.fail("the HTML report is tested in headless Chromium, which is not installed "
                    "(SCOREDSL_REQUIRE_SERVICES=1)")
    pytest.skip("Chromium is not installed")


def test_the_html_report_renders_its_charts_in_chromium(invoke, tmp_path):
    browser = _chromium()
    page = tmp_path / "report.html"
    done = invoke("backtest", *ARGS, "--format", "json", "--html", page)
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    text = page.read_text()
    assert "<script src" not in text and "https://" not in text.split("<script>")[0]   # self-contained
    shown = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,2000",
                            "--virtual-time-budget=5000", f"--user-data-dir={tmp_path / 'profile'}",
                            "--dump-dom", page.as_uri()],
                           capture_output=True, text=True, timeout=120, check=True).stdout
    dom = _Tables()
    dom.feed(shown)
    # the page's script ran and Chart.js drew every chart onto a sized canvas
    assert dom.body.get("data-charts") == "6"
    assert set(dom.canvases) == {"gain", "lift", "roc", "bands", "tiers", "distribution"}
    for canvas in dom.canvases.values():
        assert int(canvas["width"]) > 100 and int(canvas["height"]) > 100
    # the numbers read back from the rendered tables are the report's
    tier = next(t for t in dom.tables if t[0][0] == "label")
    assert [row[0] for row in tier[1:]] == ["sql", "mql", "lead"]
    assert [int(row[2].replace(",", "")) for row in tier[1:]] == [r["converters"] for r in data["tiers"]["stage"]]
    rules = next(t for t in dom.tables if t[0][0] == "rule")
    demo = next(row for row in rules if row[0] == "interest.demo +")
    assert demo[6] == "earns its points"
    assert int(demo[1].replace(",", "")) == next(r["fired"] for r in data["rules"] if r["rule"] == "demo")
    assert f"AUC {data['auc']['value']:.2f}" in shown


def test_diff_judges_a_change_on_the_outcomes(invoke, tmp_path):
    """Giving the demo more points and the core market (which the data gives no effect) a lot
    more ranks the contacts worse: the review says so in numbers."""
    old = HERE / "model.score"
    new = tmp_path / "model.score"
    new.write_text(old.read_text().replace("=> +30", "=> +45").replace(
        'country == "United States" => +5', 'country == "United States" => +25'))
    common = ["--source", f"csv:{HERE / 'data'}", "--outcomes", HERE / "data" / "outcomes.csv",
              "--as-of", "2026-06-30", "--capacity", "50", "--bootstrap", "50", "--top", "0"]
    done = invoke("diff", old, new, *common, "--format", "markdown")
    assert done.exit_code == 0, done.output
    head = re.search(r"Model `planted`: \*\*AUC (0\.\d\d) → (0\.\d\d), sql precision (\d+)% → (\d+)%\*\* \(won within "
                     r"90 days, 12 as-of instants from 2025-05-06 to 2026-04-01\)", done.output)
    assert head, done.output
    assert float(head.group(2)) < float(head.group(1)) and int(head.group(4)) < int(head.group(3))
    assert re.search(r"\| AUC \| 0\.\d\d \[0\.\d\d, 0\.\d\d\] \| 0\.\d\d \[0\.\d\d, 0\.\d\d\] \|", done.output)
    assert re.search(r"\| top 50 precision \| [\d.]+% \| [\d.]+% \|", done.output)

    data = json.loads(invoke("diff", old, new, *common, "--format", "json").output)
    both = data["backtest"]["planted"]
    assert both["old"]["auc"]["value"] > both["new"]["auc"]["value"]
    # the old side's backtest is the backtest command's own
    alone = json.loads(invoke("backtest", old, *common[:4], "--capacity", "50", "--bootstrap", "50", "--no-rules",
                              "--format", "json").output)
    assert both["old"]["auc"] == alone["auc"] and both["old"]["tiers"] == alone["tiers"]

    page = tmp_path / "diff.html"
    assert invoke("diff", old, new, *common, "--html", page).exit_code == 0
    assert "<h2>Backtest on the outcomes</h2>" in page.read_text()


def test_diff_outcomes_needs_a_source(invoke):
    done = invoke("diff", HERE / "model.score", HERE / "model.score", "--outcomes", HERE / "data" / "outcomes.csv")
    assert done.exit_code == 2
    assert "--outcomes needs contacts to score" in done.output


def test_the_readme_backtest_does_what_the_readme_says(tmp_path):
    """The README's "Is the model any good?" command, run as written, prints what it says."""
    import sys

    readme = (paths.ROOT / "README.md").read_text()
    section = readme[readme.index("## Is the model any good?"):readme.index("## Command line")]
    commands = [line.split() for line in section.splitlines() if line.startswith("scoredsl backtest ")]
    assert len(commands) == 1
    (tmp_path / "examples").symlink_to(paths.EXAMPLES)
    done = subprocess.run([sys.executable, "-m", "scoredsl", *commands[0][1:]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    said = {"AUC": re.search(r"It prints the AUC \((0\.\d\d) here", section).group(1),
            "demo": re.search(r"`demo` earns them \(relative risk ([\d.]+x)\)", section).group(1)}
    lines = done.stdout.splitlines()
    assert lines[4].startswith(f"AUC {said['AUC']} [")
    demo = next(x for x in lines if "interest.demo +" in x)
    measured = float(re.search(r"%\s+([\d.]+)x \[", demo).group(1))
    assert f"{measured:.1f}x" == said["demo"]
    assert demo.endswith("earns its points")
    assert next(x for x in lines if "fit.core_market +" in x).endswith("not clear")
    assert next(x for x in lines if "interest.using_product +" in x).endswith("never gave points")
    assert (tmp_path / "backtest.html").read_text().startswith("<!DOCTYPE html>")


def test_outcomes_by_spec_give_the_same_report(invoke, tmp_path):
    rows = (HERE / "data" / "outcomes.csv").read_text().splitlines()[1:]
    jsonl = tmp_path / "outcomes.jsonl"
    jsonl.write_text("".join(json.dumps(dict(zip(("contact_id", "outcome", "at"), r.split(",")))) + "\n" for r in rows))
    semicolons = tmp_path / "deals.txt"
    semicolons.write_text("contact_id;outcome;at\n" + "\n".join(r.replace(",", ";") for r in rows) + "\n")
    outputs = []
    for spec in (HERE / "data" / "outcomes.csv", f"csv:{HERE / 'data' / 'outcomes.csv'}", f"jsonl:{jsonl}", jsonl,
                 f"csv:{semicolons}?delimiter=;"):
        args = list(ARGS)
        args[args.index("--outcomes") + 1] = spec
        done = invoke("backtest", *args, "--format", "json", "--bootstrap", "0")
        assert done.exit_code == 0, done.output
        outputs.append(done.output)
    assert len(set(outputs)) == 1


@pytest.mark.parametrize("spec,message", [
    ("nosuch:x", "unknown outcome source scheme 'nosuch'; known outcome sources:"),
    ("outcomes.parquet", "cannot tell what kind of outcome source this is; write SCHEME:LOCATION, e.g. "
                         "csv:outcomes.csv, jsonl:outcomes.jsonl"),
    ("csv:missing.csv", "csv:missing.csv: no such file"),
])
def test_an_outcome_spec_that_names_nothing_is_explained(invoke, spec, message):
    args = list(ARGS)
    args[args.index("--outcomes") + 1] = spec
    done = invoke("backtest", *args)
    assert done.exit_code == 2
    assert message in done.output


def test_outcomes_whose_ids_do_not_match_the_source_are_reported(invoke, tmp_path):
    rows = (HERE / "data" / "outcomes.csv").read_text().splitlines()
    partly = tmp_path / "partly.csv"
    partly.write_text("\n".join(rows + ["x-unknown-1,won,2025-06-01", "x-unknown-2,won,2025-07-01"]) + "\n")
    none = tmp_path / "none.csv"
    none.write_text(rows[0] + "\n" + "\n".join("x" + r for r in rows[1:]) + "\n")
    args = list(ARGS)
    at = args.index("--outcomes") + 1
    args[at] = partly
    done = invoke("backtest", *args, "--bootstrap", "0")
    assert done.exit_code == 0, done.output
    assert "note: 2 contacts with a converting outcome are not in the source (check that both use the same " \
           "contact ids)" in done.output
    args[at] = none
    done = invoke("backtest", *args, "--bootstrap", "0")
    assert done.exit_code == 2
    assert "none of the " in done.output and "do the outcomes and the source use the same contact ids?" in done.output
