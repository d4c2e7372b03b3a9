"""Companies, weighted scores and distinct counts on the bundled accounts example
(examples/accounts): contact rules read their company's properties, on every engine and from
every kind of source, as the reference interpreter reads them."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import json
import shutil
import subprocess
import sys

import duckdb
import pytest

import paths
import reference
from scoredsl.compiler.pipeline import compile_file
from scoredsl.data.companies import Companies
from scoredsl.plugins.manager import open_source

EXAMPLE = paths.ROOT / "examples" / "accounts"
MODEL = EXAMPLE / "model.score"
DATA = EXAMPLE / "data"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def run(invoke, tmp_path, source, *extra, name="out"):
    out = tmp_path / f"{name}.csv"
    result = invoke("run", MODEL, "--source", source, "--as-of", "2026-11-01", "--sink", f"csv:{out}", *extra)
    return result, (out.read_bytes() if out.exists() else None)


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    """The Python engine's output on the CSV folder."""
    from click.testing import CliRunner
    from scoredsl.cli.main import cli

    out = tmp_path_factory.mktemp("accounts") / "python.csv"
    result = CliRunner().invoke(cli, ["run", str(MODEL), "--source", f"csv:{DATA}", "--as-of", "2026-11-01",
                                      "--sink", f"csv:{out}", "--engine", "python"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def rows_of(output: bytes) -> dict[str, dict]:
    return {r["contact_id"]: r for r in csv.DictReader(output.decode().splitlines())}


def test_the_example_checks_clean_and_is_formatted(invoke):
    assert invoke("check", "--strict", MODEL).exit_code == 0
    assert invoke("fmt", "--check", MODEL).exit_code == 0


def test_the_data_regenerates_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--out", str(tmp_path)], check=True)
    for name in ("companies.csv", "contacts.csv", "events.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_companies_have_1_to_200_contacts():
    with open(DATA / "contacts.csv", encoding="utf-8") as file:
        sizes: dict[str, int] = {}
        for row in csv.DictReader(file):
            if row["company_id"].strip():
                sizes[row["company_id"].strip()] = sizes.get(row["company_id"].strip(), 0) + 1
    with open(DATA / "companies.csv", encoding="utf-8") as file:
        companies = [row["id"] for row in csv.DictReader(file)]
    assert sizes.pop("a9999") == 10                      # a company the CRM no longer has
    assert sorted(sizes) == sorted(companies)
    assert min(sizes.values()) == 1 and max(sizes.values()) == 200


def test_named_contacts(expected):
    rows = rows_of(expected)
    # a0001: software +15, 2,342 employees +15, revenue +5, plan missing; a manager +4. The
    # company id is " a0001 " (padded): it still names a0001. One campaign opened within 90
    # days: 5 of 30 points at 30% = 5, idle 83 days: 50% -> 2.5 -> 3.
    assert (rows["p00072"]["fit"], rows["p00072"]["engagement"]) == ("39", "3")
    # a9999 names no company: every company rule is unknown; no company -10, a student -20
    assert rows["p03734"]["fit"] == "-30"
    # a0002 is tagged competitor: its contacts are disqualified
    assert (rows["p00201"]["status"], rows["p00201"]["reason"]) == ("disqualified", "competitor")
    assert {r["lifecycle"] for r in rows.values()} == {"sql", "mql", "lead", ""}


def test_the_engine_agrees_with_the_reference_interpreter_on_every_contact():
    program = compile_file(MODEL)
    files = reference.load(MODEL)
    with open_source(f"csv:{DATA}", program.schema) as source:
        companies = {c["id"]: c for c in source.companies(program.schema)}
        attach = Companies.read(source, program.schema)
        events: dict[str, list] = {}
        for event in source.events(program.schema):
            events.setdefault(event.contact_id, []).append(event)
        compared = 0
        for contact in source.contacts(program.schema):
            own = events.get(contact["id"], [])
            row = program.models["accounts"].evaluate(attach.attach(contact), own, AS_OF)
            scored = row.status == "scored"
            got = (row.status, row.reason, dict(row.scores) if scored else None, dict(row.tiers) if scored else None)
            assert got == reference.evaluate(files, "accounts", contact, own, AS_OF, companies=companies), \
                contact["id"]
            compared += 1
    assert compared == 3743


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_every_engine_writes_the_python_engines_bytes(invoke, tmp_path, expected, engine):
    result, output = run(invoke, tmp_path, f"csv:{DATA}", "--engine", engine)
    assert result.exit_code == 0, result.output
    assert output == expected
    assert "10 contacts name a company the source does not have" in result.output


def _jsonl(folder, target):
    target.mkdir()
    for name in ("companies", "contacts", "events"):
        with open(folder / f"{name}.csv", encoding="utf-8") as src, \
                open(target / f"{name}.jsonl", "w", encoding="utf-8") as out:
            for row in csv.DictReader(src):
                record = {k: v for k, v in row.items() if v != ""}
                for key in ("employees", "annual_revenue"):      # JSON numbers, not texts
                    if key in record:
                        record[key] = int(record[key])
                if "tags" in record:
                    record["tags"] = record["tags"].split(";")
                out.write(json.dumps(record) + "\n")


def _parquet(folder, target):
    target.mkdir()
    con = duckdb.connect()
    for name in ("companies", "contacts", "events"):
        con.execute(f"COPY (SELECT * FROM read_csv('{folder / name}.csv', all_varchar = true)) "
                    f"TO '{target / name}.parquet' (FORMAT PARQUET)")


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_jsonl_and_parquet_score_like_the_csv(invoke, tmp_path, expected, fmt, engine):
    (_jsonl if fmt == "jsonl" else _parquet)(DATA, tmp_path / fmt)
    result, output = run(invoke, tmp_path, f"{fmt}:{tmp_path / fmt}", "--engine", engine)
    assert result.exit_code == 0, result.output
    assert output == expected


def test_companies_file_option_and_renamed_columns(invoke, tmp_path, expected):
    with open(DATA / "companies.csv", encoding="utf-8") as src:
        text = src.read().replace("id,name,domain,industry,employees",
                                  "Company ID,name,domain,Industry,Employees", 1)
    (tmp_path / "firms.csv").write_text(text, encoding="utf-8")
    spec = (f"csv:{DATA / 'contacts.csv'}?events={DATA / 'events.csv'}&companies={tmp_path / 'firms.csv'}"
            "&company_columns=id:Company ID,industry:Industry,employees:Employees")
    result, output = run(invoke, tmp_path, spec)
    assert result.exit_code == 0, result.output
    assert output == expected


def test_a_source_without_companies_stops_before_writing(invoke, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    result = invoke("run", MODEL, "--source", f"csv:{DATA / 'contacts.csv'}?events={DATA / 'events.csv'}",
                    "--as-of", "2026-11-01", "--sink", f"csv:{out}")
    assert result.exit_code != 0
    assert "the schema declares companies" in result.output and "companies.csv" in result.output
    assert out.read_text() == "previous\n"


def test_a_duplicate_company_is_named_by_row_and_skip_keeps_the_first(invoke, tmp_path, expected):
    folder = tmp_path / "dup"
    shutil.copytree(DATA, folder)
    with open(folder / "companies.csv", "a", encoding="utf-8") as file:
        file.write("a0001,Copy,copy.example,retail,3,,US,free,\n")
    result, _output = run(invoke, tmp_path, f"csv:{folder}")
    assert result.exit_code != 0
    assert "companies.csv" in result.output and "row 152" in result.output
    assert "duplicate company id 'a0001': also at row 2" in result.output
    result, output = run(invoke, tmp_path, f"csv:{folder}", "--on-error", "skip", name="skipped")
    assert result.exit_code == 0, result.output
    assert "1 row skipped" in result.output
    assert output == expected


def test_explain_shows_what_the_company_gave(invoke):
    result = invoke("explain", MODEL, "--source", f"csv:{DATA}", "--as-of", "2026-11-01", "--contact", "p00072")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split()[:3] == ["industry", "matched", "+15"] for line in lines), result.output
    assert any(line.split()[:3] == ["size", "band", ">="] for line in lines), result.output
    assert "group emails = 5 of 30" in result.output
    # what the company gave: its id and the properties the model reads
    assert ("company a0001: annual_revenue 167008842, country 'BR', employees 2342, industry 'software', "
            "plan (missing), tags (missing)") in lines
    result = invoke("explain", MODEL, "--source", f"csv:{DATA}", "--as-of", "2026-11-01", "--contact", "p03734")
    assert "company: none (every company.NAME is missing)" in result.output.splitlines()
    result = invoke("explain", MODEL, "--source", f"csv:{DATA}", "--as-of", "2026-11-01", "--contact", "p00072",
                    "--format", "json")
    assert json.loads(result.output)["company"] == {
        "id": "a0001", "annual_revenue": 167008842.0, "country": "BR", "employees": 2342, "industry": "software",
        "plan": None, "tags": None}


def test_the_example_model_tests_pass(invoke):
    result = invoke("test", EXAMPLE, "--coverage", "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    assert "14 passed, 0 failed (2 test files)" in result.output
    # the contact model is covered by its own cases, also where company.score includes it
    assert "accounts (examples/accounts/model.score)" in result.output


def test_a_case_gives_the_contacts_company_and_mistakes_in_it_are_named(invoke, tmp_path):
    shutil.copy(MODEL, tmp_path / "model.score")
    (tmp_path / "model.test.toml").write_text('''rules = "model.score"
as_of = "2026-11-01"

[[case]]
name = "misspelt company property"
company = { industri = "saas", employees = "many" }
expect = { fit = 0 }

[[case]]
name = "a failure shows what the company gave"
company = { industry = "saas" }
expect = { fit = 1 }
''', encoding="utf-8")
    result = invoke("test", tmp_path)
    assert result.exit_code != 0
    assert ("company.industri: the schema declares no such company property: did you mean 'industry'?"
            in result.output)
    assert "company.employees" in result.output
    assert "fit: expected 1, got 15" in result.output
    # the explanation of the failure is the evaluation's: the company's industry matched
    assert any(line.split()[:3] == ["industry", "matched", "+15"] for line in result.output.splitlines())


def test_a_case_with_a_company_for_a_schema_without_one(invoke, tmp_path):
    (tmp_path / "m.score").write_text("schema { contact { title: text } }\n"
                                      "model m { score s { rule r: title is set => +1 } }\n")
    (tmp_path / "m.test.toml").write_text('rules = "m.score"\nas_of = "2026-11-01"\n[[case]]\nname = "x"\n'
                                          'company = { industry = "saas" }\nexpect = { s = 0 }\n')
    result = invoke("test", tmp_path)
    assert result.exit_code != 0
    assert "the schema declares no company" in result.output


def test_diff_measures_a_company_rule_change_as_the_runs_see_it(invoke, tmp_path, expected):
    changed = MODEL.read_text(encoding="utf-8").replace(
        "rule industry: company.industry in target_industries => +15",
        "rule industry: company.industry in target_industries => +25")
    new = tmp_path / "model.score"
    new.write_text(changed, encoding="utf-8")
    result = invoke("run", new, "--source", f"csv:{DATA}", "--as-of", "2026-11-01", "--sink", f"csv:{tmp_path}/new.csv")
    assert result.exit_code == 0, result.output
    before, after = rows_of(expected), rows_of((tmp_path / "new.csv").read_bytes())
    moved = sum(1 for cid in before if before[cid]["lifecycle"] != after[cid]["lifecycle"])
    fit_changed = sum(1 for cid in before if before[cid]["fit"] != after[cid]["fit"])
    assert moved > 0
    result = invoke("diff", MODEL, new, "--source", f"csv:{DATA}", "--as-of", "2026-11-01", "--format", "json")
    assert result.exit_code == 0, result.output
    impact = json.loads(result.output)["impact"]["models"][0]
    assert impact["tier_changed"] == moved
    assert impact["scores"][0]["name"] == "fit" and impact["scores"][0]["changed"] == fit_changed
    assert impact["statuses"]["before"]["disqualified: competitor"] == 92


# ---------------------------------------------------------------------- the company model (company.score)

COMPANY_MODEL = EXAMPLE / "company.score"


def run_companies(invoke, tmp_path, source, *extra):
    contacts, companies = tmp_path / "contacts_out.csv", tmp_path / "companies_out.csv"
    result = invoke("run", COMPANY_MODEL, "--source", source, "--as-of", "2026-11-01", "--sink", f"csv:{contacts}",
                    "--company-sink", f"csv:{companies}", *extra)
    return result, (contacts.read_bytes() if contacts.exists() else None,
                    companies.read_bytes() if companies.exists() else None)


@pytest.fixture(scope="module")
def expected_companies(tmp_path_factory):
    """The Python engine's contact and company rows for company.score."""
    from click.testing import CliRunner
    from scoredsl.cli.main import cli

    folder = tmp_path_factory.mktemp("companies")
    result = CliRunner().invoke(cli, ["run", str(COMPANY_MODEL), "--source", f"csv:{DATA}", "--as-of", "2026-11-01",
                                      "--sink", f"csv:{folder / 'contacts.csv'}",
                                      "--company-sink", f"csv:{folder / 'companies.csv'}"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "3,743 contacts, 150 companies" in result.output
    return (folder / "contacts.csv").read_bytes(), (folder / "companies.csv").read_bytes()


def test_the_company_model_checks_clean_and_is_formatted(invoke):
    assert invoke("check", COMPANY_MODEL).exit_code == 0
    assert invoke("fmt", "--check", COMPANY_MODEL).exit_code == 0


def test_company_rows_agree_with_the_reference_interpreter(expected_companies):
    contacts_out, companies_out = expected_companies
    program = compile_file(COMPANY_MODEL)
    files = reference.load(COMPANY_MODEL)
    with open_source(f"csv:{DATA}", program.schema) as source:
        companies = {c["id"]: c for c in source.companies(program.schema)}
        contacts = list(source.contacts(program.schema))
        events: dict[str, list] = {}
        for event in source.events(program.schema):
            events.setdefault(event.contact_id, []).append(event)
    rows = list(csv.DictReader(companies_out.decode().splitlines()))
    assert [r["company_id"] for r in rows] == list(companies), "every company, in the source's order"
    for row in rows:
        status, reason, scores, tiers = reference.evaluate_company(files, "account", row["company_id"], companies,
                                                                   contacts, events, AS_OF)
        assert (row["status"], row["reason"] or None) == (status, reason), row["company_id"]
        if status == "scored":
            assert {k: int(row[k]) for k in scores} == scores, row["company_id"]
            assert {k: row[k] for k in tiers} == tiers, row["company_id"]
    stages = collections.Counter(r["account_stage"] for r in rows)
    assert stages == {"target": 16, "engaged": 34, "watch": 31, "cold": 60, "": 9}, stages
    # the contact rows are those model.score gives on its own
    assert rows_of(contacts_out) == rows_of(contacts_out)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_every_engine_writes_the_same_company_rows(invoke, tmp_path, expected_companies, engine):
    result, outputs = run_companies(invoke, tmp_path, f"csv:{DATA}", "--engine", engine)
    assert result.exit_code == 0, result.output
    assert outputs == expected_companies


def test_company_rows_match_whatever_the_source_format(invoke, tmp_path, expected_companies):
    _parquet(DATA, tmp_path / "parquet")
    result, outputs = run_companies(invoke, tmp_path, f"parquet:{tmp_path / 'parquet'}")
    assert result.exit_code == 0, result.output
    assert outputs == expected_companies


def test_company_rows_need_a_sink_of_their_own(invoke, tmp_path):
    result = invoke("run", COMPANY_MODEL, "--source", f"csv:{DATA}", "--as-of", "2026-11-01",
                    "--sink", f"csv:{tmp_path / 'out.csv'}")
    assert result.exit_code != 0
    assert "model account scores companies" in result.output and "--company-sink" in result.output
    assert not (tmp_path / "out.csv").exists()
    result = invoke("run", MODEL, "--source", f"csv:{DATA}", "--as-of", "2026-11-01",
                    "--sink", f"csv:{tmp_path / 'out.csv'}", "--company-sink", f"csv:{tmp_path / 'c.csv'}")
    assert result.exit_code != 0 and "this run has none" in result.output
    # only company models: --sink takes their rows
    result = invoke("run", COMPANY_MODEL, "--source", f"csv:{DATA}", "--as-of", "2026-11-01", "--model", "account",
                    "--sink", f"csv:{tmp_path / 'only.csv'}")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "only.csv").read_text().startswith("company_id,model,status,reason,account_fit,")


def test_a_failing_company_stage_leaves_both_outputs_as_they_were(invoke, tmp_path):
    broken = tmp_path / "data"
    shutil.copytree(DATA, broken)
    with open(broken / "companies.csv", "a", encoding="utf-8") as f:
        f.write("a0001,Again,again.example,software,10,1,US,pro,\n")        # a duplicate company id
    (tmp_path / "contacts_out.csv").write_text("old contacts\n")
    (tmp_path / "companies_out.csv").write_text("old companies\n")
    result, outputs = run_companies(invoke, tmp_path, f"csv:{broken}", "--engine", "duckdb")
    assert result.exit_code != 0
    assert "duplicate company id 'a0001'" in result.output
    assert outputs == (b"old contacts\n", b"old companies\n")


def test_explain_a_company_shows_which_contacts_gave_what(invoke, expected_companies):
    rows = {r["company_id"]: r for r in csv.DictReader(expected_companies[1].decode().splitlines())}
    result = invoke("explain", COMPANY_MODEL, "--source", f"csv:{DATA}", "--as-of", "2026-11-01", "--company", "a0001")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("company a0001 · model account (")
    assert f"score account_fit = {rows['a0001']['account_fit']}" in lines
    assert f"score account_engagement = {rows['a0001']['account_engagement']}" in lines
    with open(DATA / "contacts.csv", encoding="utf-8") as f:
        own = [r["id"] for r in csv.DictReader(f) if r["company_id"].strip() == "a0001"]
    assert f"contacts ({len(own)}): {', '.join(sorted(own)[:50])}, ... ({len(own) - 50} more)" in lines
    data = json.loads(invoke("explain", COMPANY_MODEL, "--source", f"csv:{DATA}", "--as-of", "2026-11-01",
                             "--company", "a0001", "--format", "json").output)
    assert data["company_id"] == "a0001" and data["subject"] == "company" and sorted(data["contacts"]) == sorted(own)
    total = next(a for a in data["aggregates"] if a["aggregate"] == "total(accounts.engagement)")
    assert sum(c["value"] for c in total["contacts"]) == total["value"], "the contributions add up to the total"
    assert {c["contact_id"] for c in total["contacts"]} <= set(data["contacts"])
    committee = data["aggregates"][1]
    assert committee["value"] == len(committee["contacts"])
    assert [a["aggregate"] for a in data["aggregates"]][:2] == [
        "best(accounts.fit)", 'count(contacts where accounts.lifecycle in ["mql", "sql"])']
    result = invoke("explain", COMPANY_MODEL, "--source", f"csv:{DATA}", "--as-of", "2026-11-01", "--company", "zzz")
    assert result.exit_code != 0 and "no company with id 'zzz'" in result.output


def test_company_cases_name_their_mistakes(invoke, tmp_path):
    shutil.copy(EXAMPLE / "model.score", tmp_path / "model.score")
    shutil.copy(COMPANY_MODEL, tmp_path / "company.score")
    (tmp_path / "bad.test.toml").write_text("""
rules = "company.score"
as_of = "2026-11-01"

[[case]]
name = "a contact where contacts belong"
model = "account"
contact = { seniority = "vp" }
expect = { account_fit = 1 }

[[case]]
name = "mistakes inside the contacts"
model = "account"
company = { industri = "software" }
contacts = [{ contact = { senority = "vp" }, events = [{ type = "page_veiw", at = "-1d" }] }, { contakt = {} }]
expect = { account_fit = 1 }

[[case]]
name = "contacts for a contact model"
model = "accounts"
contacts = []
expect = { fit = 1 }

[[case]]
name = "a wrong expectation shows the company's explanation"
model = "account"
company = { industry = "software", employees = 5000 }
contacts = [{ contact = { seniority = "vp" }, events = [{ type = "form_submit", at = "-1d", form = "demo-request" }] }]
expect = { account_fit = 1 }
""", encoding="utf-8")
    result = invoke("test", tmp_path / "bad.test.toml")
    assert result.exit_code != 0
    out = result.output
    assert "model account scores companies: a case gives the company (company = { ... }) and its contacts" in out
    assert "company.industri: the schema declares no such company property: did you mean 'industry'?" in out
    assert "contacts[1].contact.senority: the schema declares no such contact property" in out
    assert "contacts[1].events[1].type: the schema declares no event 'page_veiw'" in out
    assert "unknown key in contacts[2]: a contact" in out
    assert "contacts = [...] gives the contacts of a company, for a company model" in out
    # the failed case: expected vs actual, then the company's explanation with its one contact
    # industry +25, 5000 people +25, no country (unknown), best fit 42 (+20)
    assert "account_fit: expected 1, got 70" in out
    assert "company case-4-company · model account" in out
    assert "contacts (1): case-4-contact-1" in out


def test_diff_measures_a_company_model_change_company_by_company(invoke, tmp_path, expected_companies):
    """A change of the company model, and a change of the contact model it reads: diff's
    impact on companies is what two runs write."""
    shutil.copy(MODEL, tmp_path / "model.score")
    company = COMPANY_MODEL.read_text(encoding="utf-8")
    cases = {
        "market": (company.replace("rule market: country in core_markets => +10",
                                   "rule market: country in core_markets => +30"), None),
        "seniority": (company, MODEL.read_text(encoding="utf-8").replace('"vp" => +12', '"vp" => +30')),
    }
    before = {r["company_id"]: r for r in csv.DictReader(expected_companies[1].decode().splitlines())}
    for name, (new_company, new_model) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "company.score").write_text(new_company, encoding="utf-8")
        (folder / "model.score").write_text(new_model or MODEL.read_text(encoding="utf-8"), encoding="utf-8")
        result = invoke("run", folder / "company.score", "--source", f"csv:{DATA}", "--as-of", "2026-11-01",
                        "--model", "account", "--sink", f"csv:{folder / 'after.csv'}")
        assert result.exit_code == 0, result.output
        with open(folder / "after.csv", encoding="utf-8") as f:
            after = {r["company_id"]: r for r in csv.DictReader(f)}
        moved = sum(before[c]["account_stage"] != after[c]["account_stage"] for c in before
                    if before[c]["status"] == after[c]["status"] == "scored")
        fit_changed = sum(before[c]["account_fit"] != after[c]["account_fit"] for c in before
                          if before[c]["status"] == after[c]["status"] == "scored")
        assert moved > 0 and fit_changed > 0, name
        result = invoke("diff", COMPANY_MODEL, folder / "company.score", "--source", f"csv:{DATA}",
                        "--as-of", "2026-11-01", "--model", "account", "--format", "json")
        assert result.exit_code == 0, result.output
        [impact] = json.loads(result.output)["impact"]["models"]
        assert impact["name"] == "account" and impact["subject"] == "company" and impact["contacts"] == 150
        assert impact["tier_changed"] == moved, name
        fit = next(s for s in impact["scores"] if s["name"] == "account_fit")
        assert fit["changed"] == fit_changed, name
        largest = fit["largest_change"]
        assert int(after[largest["contact_id"]]["account_fit"]) == largest["after"]
    text = invoke("diff", COMPANY_MODEL, tmp_path / "market" / "company.score", "--source", f"csv:{DATA}",
                  "--as-of", "2026-11-01", "--model", "account").output
    assert "Tier account_stage: 18 of 150 companies (12.0%) change" in text
    assert "  company  before   after  change  rules" in text


def test_the_company_stage_spills_its_events_to_disk_and_scores_the_same(invoke, tmp_path, monkeypatch,
                                                                         expected_companies):
    """With a small event budget the events of the companies' contacts go to a temporary file
    (in --spill-dir, deleted after the run), and every row is the same."""
    from scoredsl.engines.python import EventStore

    spills = []
    real = EventStore.seal

    def sealed(self):           # the company stage's store: spilled, and at most 500 in memory
        spills.append((self.spilled, self.peak))
        return real(self)

    monkeypatch.setattr(EventStore, "seal", sealed)
    spill = tmp_path / "spill"
    spill.mkdir()
    for engine in ("python", "duckdb"):
        result, outputs = run_companies(invoke, tmp_path, f"csv:{DATA}", "--engine", engine,
                                        "--max-events-in-memory", "500", "--spill-dir", spill)
        assert result.exit_code == 0, result.output
        assert outputs == expected_companies, engine
        assert len(spills) == 1 and spills[0][0] and spills[0][1] <= 500, (engine, spills)
        assert list(spill.iterdir()) == [], "the temporary files are gone"
        spills.clear()
