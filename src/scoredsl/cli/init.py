"""``scoredsl init``: a new scoring project that checks, tests and runs as it is."""

from __future__ import annotations

import os

import click

from scoredsl.cli.options import Failure, handle_errors

SCHEMA = """\
# What the models read: a CRM export of contacts and of what they did.
schema {
  contact {
    email: text
    job_title: text
    industry: text
    employees: int
    sales_status: text  # set by sales: "unqualified" sends a contact back to lead
  }
  event page_view { url: text }
  event form_submit { form: text }
  event email_open
}

let target_industries = ["software", "saas", "fintech"]
"""

MODEL = """\
# Who is worth a call: fit (who they are) and engagement (what they do), and a lifecycle stage
# that never goes back unless sales says so. docs/language.md has every construct.
include "schema.score"

model leads {
  disqualify employee: email ends_with "@example.com"

  score fit {
    rule decision_maker: job_title matches /\\b(vp|chief|director|head)\\b/ => +20
    rule industry: industry in target_industries => +10
    rule company_size: employees { < 10 => -10; 10..199 => +5; >= 200 => +15 }
  }

  score engagement min 0 {
    decay inactivity { 30d => 50%, 90d => 0% }
    rule pricing: each page_view where url contains "/pricing" within 30d => +10 max 30
    rule demo: each form_submit where form == "demo-request" within 60d => +50 once
    rule opens: each email_open within 30d => +2 max 10
  }

  tier lifecycle by fit + engagement monotonic unless sales_status == "unqualified" {
    SQL: >= 90
    MQL: >= 40
    lead: otherwise
  }
}
"""

TESTS = """\
# scoredsl test: what the model must give for contacts you know (docs/testing.md).
rules = "leads.score"
as_of = "2026-11-01"

[[case]]
name = "a VP who asked for a demo is SQL"
contact = { job_title = "VP Marketing", industry = "SaaS", employees = 250 }
events = [
  { type = "page_view", at = "-2d", url = "/pricing" },
  { type = "form_submit", at = "-1d", form = "demo-request" },
]
expect = { fit = 45, engagement = 60, lifecycle = "SQL" }

[[case]]
name = "a stage reached stays while the contact cools off"
contact = { job_title = "Engineer", employees = 50 }
previous = { lifecycle = "MQL" }
expect = { lifecycle = "MQL" }

[[case]]
name = "sales sends it back"
contact = { job_title = "Engineer", employees = 50, sales_status = "unqualified" }
previous = { lifecycle = "SQL" }
expect = { lifecycle = "lead" }

[[case]]
name = "colleagues are never scored"
contact = { email = "ann@example.com" }
expect = { status = "disqualified", reason = "employee" }
"""

CONFIG = """\
# scoredsl's project file: named sources and sinks, and what runs remember.
[defaults]
source = "sample"

[sources.sample]
spec = "csv:data"               # data/contacts.csv and data/events.csv

[state]
path = "scoredsl-state.sqlite"  # every run's scores and stages (docs/state.md)
keep = "400d"

# Tell someone when a contact reaches SQL (docs/state.md, "Actions"):
# [[actions]]
# name = "sql-to-slack"
# kind = "webhook"
# to = ["SQL"]
# url = "https://hooks.slack.com/services/${SLACK_WEBHOOK}"
"""

CONTACTS = """\
id,email,job_title,industry,employees,sales_status
c1,maya@acme.io,VP Marketing,SaaS,250,
c2,li@globex.com,Marketing Manager,Retail,40,
c3,ann@example.com,Engineer,Software,120,
"""

EVENTS = """\
contact_id,type,timestamp,url,form
c1,page_view,2026-10-28T09:00:00Z,/pricing,
c1,form_submit,2026-10-30T10:00:00Z,,demo-request
c2,page_view,2026-10-20T09:00:00Z,/pricing,
c2,email_open,2026-10-21T09:00:00Z,,
"""

WORKFLOW = """\
# Every change to the models is checked, formatted and tested before it merges.
name: scoredsl
on:
  pull_request:
    paths: ["**.score", "**.test.toml", "scoredsl.toml"]
  push:
    branches: [main]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install scoredsl
      - run: scoredsl check --strict --format github
      - run: scoredsl fmt --check
      - run: scoredsl test --format junit --output scoredsl-tests.xml
"""

PRE_COMMIT = """\
# pre-commit install: check and format rule files before each commit.
repos:
  - repo: local
    hooks:
      - id: scoredsl-check
        name: scoredsl check
        entry: scoredsl check --strict
        language: system
        files: \\.score$
      - id: scoredsl-fmt
        name: scoredsl fmt
        entry: scoredsl fmt
        language: system
        files: \\.score$
"""

GITIGNORE = """\
scoredsl-state.sqlite
scoredsl-tests.xml
"""

FILES = {
    "scoredsl.toml": CONFIG,
    "models/schema.score": SCHEMA,
    "models/leads.score": MODEL,
    "models/leads.test.toml": TESTS,
    "data/contacts.csv": CONTACTS,
    "data/events.csv": EVENTS,
    ".github/workflows/scoredsl.yml": WORKFLOW,
    ".pre-commit-config.yaml": PRE_COMMIT,
    ".gitignore": GITIGNORE,
}


@click.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@handle_errors
def init(folder):
    """Start a scoring project in FOLDER (default: here): a schema, a model with its tests,
    sample data, scoredsl.toml, a CI workflow and a pre-commit configuration. Nothing is
    overwritten: a folder that already has any of these files is refused."""
    there = [name for name in FILES if os.path.exists(os.path.join(folder, name))]
    if there:
        raise Failure(f"{folder} already has {', '.join(there)}; nothing was written "
                      "(start in a new folder, or move those away)")
    for name, text in FILES.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as file:
            file.write(text)
        click.echo(f"  wrote {os.path.normpath(path)}", err=True)
    steps = ["scoredsl check", "scoredsl test", "scoredsl run models/leads.score --as-of 2026-11-01 --sink table:-"]
    if os.path.abspath(folder) != os.getcwd():
        steps.insert(0, f"cd {folder}")
    click.echo("next:\n" + "".join(f"  {step}\n" for step in steps), err=True, nl=False)
