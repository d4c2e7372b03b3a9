"""Companies from the fake portal: contact rules read the properties of each contact's primary
company (``associatedcompanyid``) as they read them from CSV files, across pages, with every
problem named before or while reading."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import AS_OF, TOKEN, read_rows, scoredsl, spec

MODEL = """
schema {
  contact { job_title: text }
  company { name: text, industry: text, employees: int, annual_revenue: number, country: text }
}
model accounts {
  score fit {
    rule software: company.industry == "COMPUTER_SOFTWARE" => +10
    rule size: company.employees { < 50 => 0; 50..999 => +5; >= 1000 => +10 }
    rule revenue: company.annual_revenue >= 1000000 => +3
    rule domestic: company.country == "United States" => +2
    rule vp: job_title contains "vp" => +7
    rule none: company.id is missing => -1
  }
  tier t by fit { a: >= 20; b: >= 5; c: otherwise }
}
"""
INDUSTRIES = ["COMPUTER_SOFTWARE", "RETAIL", "FINANCIAL_SERVICES", None]
COUNTRIES = ["United States", "Germany", None]


@pytest.fixture()
def model(tmp_path):
    path = tmp_path / "accounts.score"
    path.write_text(MODEL, encoding="utf-8")
    return path


def seed(fake, companies: int, per_company: int = 2):
    """Companies with contacts, plus contacts without one; the same data as CSV rows."""
    firms, people = [], []
    for n in range(companies):
        values = {"name": f"Firm {n}", "industry": INDUSTRIES[n % 4], "numberofemployees": [10, 120, 4000][n % 3],
                  "annualrevenue": None if n % 5 == 0 else 250_000 * (n + 1), "country": COUNTRIES[n % 3]}
        contacts = []
        for k in range(per_company):
            title = "VP Sales" if (n + k) % 3 == 0 else "Engineer"
            contacts.append((fake.add_contact({"jobtitle": title}), title))
        coid = fake.add_company(values, contacts=[c for c, _t in contacts])
        firms.append({"id": coid, "name": values["name"], "industry": values["industry"] or "",
                      "employees": values["numberofemployees"], "annual_revenue": values["annualrevenue"] or "",
                      "country": values["country"] or ""})
        people += [{"id": c, "job_title": t, "company_id": coid} for c, t in contacts]
    for k in range(3):
        people.append({"id": fake.add_contact({"jobtitle": "VP Ops"}), "job_title": "VP Ops", "company_id": ""})
    return firms, people


def write_csv(folder, firms, people):
    folder.mkdir()
    for name, rows in (("companies", firms), ("contacts", people)):
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def run(model, source, out):
    result = scoredsl("run", str(model), "--source", source, "--sink", f"csv:{out}", "--as-of", AS_OF)
    return result, (read_rows(out) if out.exists() else None)


def test_contacts_read_their_primary_companys_properties_as_from_csv(fake, model, tmp_path):
    firms, people = seed(fake, 240)                 # three pages of companies
    write_csv(tmp_path / "csv", firms, people)
    result, expected = run(model, f"csv:{tmp_path / 'csv' / 'contacts.csv'}?companies={tmp_path / 'csv'}"
                                  "/companies.csv", tmp_path / "expected.csv")
    assert result.exit_code == 0, result.output
    result, got = run(model, spec(fake, company_properties="employees:numberofemployees,annual_revenue:annualrevenue"),
                      tmp_path / "got.csv")
    assert result.exit_code == 0, result.output
    assert got == expected
    assert {r["t"] for r in got.values()} == {"a", "b", "c"}
    pages = fake.calls("GET", "/crm/v3/objects/companies")
    assert len(pages) == 3 and pages[0].query["limit"] == ["100"]
    assert set(pages[0].query["properties"][0].split(",")) == {"name", "industry", "numberofemployees",
                                                               "annualrevenue", "country"}
    # contacts name their company by associatedcompanyid, read with the contacts
    [first] = fake.calls("GET", "/crm/v3/objects/contacts")[:1]
    assert "associatedcompanyid" in first.query["properties"][0].split(",")


def test_the_default_names_need_no_mapping(fake, model, tmp_path):
    """employees and annual_revenue are HubSpot's numberofemployees and annualrevenue."""
    seed(fake, 3)
    result, got = run(model, spec(fake), tmp_path / "got.csv")
    assert result.exit_code == 0, result.output
    assert len(got) == 9


def test_a_missing_company_property_is_named_before_reading(fake, model, tmp_path):
    seed(fake, 2)
    result, _got = run(model, spec(fake, company_properties="country:hq_country"), tmp_path / "got.csv")
    assert result.exit_code != 0
    assert "HubSpot has no company property hq_country (for country)" in result.output
    assert fake.calls("GET", "/crm/v3/objects/companies") == []


def test_company_properties_for_a_schema_without_companies(fake, tmp_path):
    path = tmp_path / "plain.score"
    path.write_text("schema { contact { job_title: text } }\nmodel m { score s { rule r: job_title is set => +1 } }")
    result, _got = run(path, spec(fake, company_properties="employees:numberofemployees"), tmp_path / "got.csv")
    assert result.exit_code != 0 and "the schema declares no company" in result.output


def test_without_the_companies_scope_the_run_says_which_scope(model, tmp_path):
    from scoredsl_hubspot.testing import FakeHubSpot

    with FakeHubSpot(token=TOKEN, rate_limit=100_000, search_rate=10_000, companies_scope=False) as fake:
        fake.add_contact({"jobtitle": "VP"})
        result, _got = run(model, spec(fake), tmp_path / "got.csv")
    assert result.exit_code != 0
    assert "crm.objects.companies.read" in result.output


def test_a_bad_company_value_names_the_company_and_skip_drops_only_it(fake, model, tmp_path):
    firms, people = seed(fake, 3)
    bad = firms[1]["id"]
    fake.companies[bad]["properties"]["numberofemployees"] = "lots"
    result, _got = run(model, spec(fake), tmp_path / "got.csv")
    assert result.exit_code != 0
    assert f"company {bad}" in result.output and "numberofemployees" in result.output
    result = scoredsl("run", str(model), "--source", spec(fake), "--sink", f"csv:{tmp_path / 'skip.csv'}",
                      "--as-of", AS_OF, "--on-error", "skip")
    assert result.exit_code == 0, result.output
    rows = read_rows(tmp_path / "skip.csv")
    # the company is skipped, so its contacts have no company
    for person in people:
        if person["company_id"] == bad:
            assert int(rows[person["id"]]["fit"]) in (-1, 6)


def test_the_fake_lists_companies_as_hubspot_does(fake):
    import httpx

    contact = fake.add_contact({"jobtitle": "VP"})
    coid = fake.add_company({"name": "Acme", "domain": "acme.example"}, contacts=[contact])
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = httpx.get(f"{fake.url}/crm/v3/objects/companies", headers=headers).json()
    [company] = body["results"]
    assert company["id"] == coid
    assert set(company["properties"]) == {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"}
    assert fake.value(contact, "associatedcompanyid") == coid
    kinds = {p["name"]: p["type"] for p in
             httpx.get(f"{fake.url}/crm/v3/properties/companies", headers=headers).json()["results"]}
    assert kinds["numberofemployees"] == "number" and kinds["industry"] == "enumeration"
    assert httpx.get(f"{fake.url}/crm/v3/objects/companies?limit=101", headers=headers).status_code == 400


def test_hubspot_check_shows_the_company_mapping_and_checks_it_online(fake, model, tmp_path):
    result = scoredsl("hubspot", "check", str(model), "--source", spec(fake))
    assert result.exit_code == 0, result.output
    assert "company_id: text  <- associatedcompanyid" in result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "employees: int <- numberofemployees" in lines and "annual_revenue: number <- annualrevenue" in lines
    result = scoredsl("hubspot", "check", str(model), "--source", spec(fake, company_properties="country:hq_country"),
                      "--online", "--format", "json")
    body = json.loads(result.stdout)
    assert {"property": "country", "type": "text", "hubspot": "hq_country"} in body["company_properties"]
    assert "HubSpot has no company properties hq_country (for country)" in body["problems"]


# ---------------------------------------------------------------------- company scores into company properties

COMPANY_MODEL = MODEL + """
model account for company {
  score reach {
    rule people: count(contacts) { 1 => +5; >= 2 => +10 }
    rule vps: count(contacts where job_title contains "vp") >= 1 => +20
    rule best: best(accounts.fit) >= 10 => +3
    rule big: employees >= 1000 => +7
  }
  tier stage by reach { hot: >= 30; warm: >= 10; cold: otherwise }
}
"""
COMPANY_PROPS = ("scoredsl_account_reach", "scoredsl_account_stage", "scoredsl_account_status",
                 "scoredsl_account_reason")


@pytest.fixture()
def company_model(tmp_path):
    path = tmp_path / "account.score"
    path.write_text(COMPANY_MODEL, encoding="utf-8")
    return path


def run_both(model, source, sink, company_sink, tmp_path):
    return scoredsl("run", str(model), "--source", source, "--sink", sink, "--company-sink", company_sink,
                    "--as-of", AS_OF)


def test_setup_creates_the_company_properties_on_companies(fake, company_model):
    result = scoredsl("hubspot", "setup", str(company_model), "--sink", spec(fake))
    assert result.exit_code == 0, result.output
    for name in COMPANY_PROPS:
        assert name in fake.company_properties and name not in fake.properties, name
    assert "scoredsl_accounts_fit" in fake.properties and "scoredsl_accounts_fit" not in fake.company_properties
    assert fake.company_properties["scoredsl_account_stage"]["type"] == "enumeration"
    assert [o["value"] for o in fake.company_properties["scoredsl_account_stage"]["options"]] == ["hot", "warm", "cold"]
    assert "scoredsl" in fake.company_groups
    again = scoredsl("hubspot", "setup", str(company_model), "--sink", spec(fake))
    assert "0 changed" in again.output, again.output


def test_company_scores_are_written_to_companies_once_and_only_when_they_change(fake, company_model, tmp_path):
    firms, people = seed(fake, 30)
    assert scoredsl("hubspot", "setup", str(company_model), "--sink", spec(fake)).exit_code == 0
    write_csv(tmp_path / "csv", firms, people)
    source = f"csv:{tmp_path / 'csv' / 'contacts.csv'}?companies={tmp_path / 'csv'}/companies.csv"
    expected = tmp_path / "expected.csv"
    result = scoredsl("run", str(company_model), "--source", source, "--sink", f"csv:{tmp_path / 'c.csv'}",
                      "--company-sink", f"csv:{expected}", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    with open(expected, newline="", encoding="utf-8") as file:
        want = {r["company_id"]: r for r in csv.DictReader(file)}
    assert len(want) == 30 and {r["stage"] for r in want.values()} >= {"hot", "warm"}
    fake.reset_log()
    result = run_both(company_model, spec(fake), spec(fake), spec(fake), tmp_path)
    assert result.exit_code == 0, result.output
    for company_id, row in want.items():
        held = fake.companies[company_id]["properties"]
        assert held["scoredsl_account_reach"] == row["reach"], company_id
        assert held["scoredsl_account_stage"] == row["stage"], company_id
        assert held["scoredsl_account_status"] == "scored"
    assert set(fake.company_updates.values()) == {1} and len(fake.company_updates) == 30
    batches = fake.calls("POST", "/crm/v3/objects/companies/batch/update")
    assert len(batches) == 1 and len(batches[0].body["inputs"]) == 30
    # contacts got their own scores, on contacts
    assert all(c["properties"].get("scoredsl_accounts_fit") is not None for c in fake.contacts.values())
    # an unchanged rerun reads and sends nothing
    fake.reset_log()
    result = run_both(company_model, spec(fake), spec(fake), spec(fake), tmp_path)
    assert result.exit_code == 0, result.output
    assert fake.company_updates == {} and fake.calls("POST", "/crm/v3/objects/companies/batch/update") == []


def test_an_update_that_may_have_landed_is_never_sent_twice(company_model, tmp_path):
    from scoredsl_hubspot.testing import FakeHubSpot

    update = "/crm/v3/objects/companies/batch/update"
    with FakeHubSpot(token=TOKEN, rate_limit=100_000, search_rate=10_000, fault_rate=1.0,
                     fault_kinds=("504_after", "drop_after"),
                     fault_filter=lambda method, path: path == update) as fake:
        seed(fake, 150)                                   # two batches of companies
        assert scoredsl("hubspot", "setup", str(company_model), "--sink", spec(fake)).exit_code == 0
        result = run_both(company_model, spec(fake), f"csv:{tmp_path / 'c.csv'}", spec(fake), tmp_path)
        assert result.exit_code == 0, result.output
        assert len(fake.company_updates) == 150 and set(fake.company_updates.values()) == {1}
        assert len(fake.calls("POST", update)) == 2       # each applied, then re-read, never resent
        assert fake.calls("POST", "/crm/v3/objects/companies/batch/read")


def test_without_the_write_scope_nothing_is_written_and_the_run_says_which_scope(company_model, tmp_path):
    from scoredsl_hubspot.testing import FakeHubSpot

    with FakeHubSpot(token=TOKEN, rate_limit=100_000, search_rate=10_000, companies_write_scope=False) as fake:
        seed(fake, 3)
        assert scoredsl("hubspot", "setup", str(company_model), "--sink", spec(fake)).exit_code == 0
        result = run_both(company_model, spec(fake), f"csv:{tmp_path / 'c.csv'}", spec(fake), tmp_path)
        assert result.exit_code != 0
        assert "crm.objects.companies.write" in result.output
        assert fake.company_updates == {}


def test_missing_company_properties_are_named_before_anything_is_read(fake, company_model, tmp_path):
    seed(fake, 2)
    result = run_both(company_model, spec(fake), f"csv:{tmp_path / 'c.csv'}", spec(fake), tmp_path)
    assert result.exit_code != 0
    assert "HubSpot has no company properties scoredsl_account_reach" in result.output
    assert fake.calls("GET", "/crm/v3/objects/contacts") == []
