"""The bundled examples: they check clean, score as examples/README.md says, agree with the
reference interpreter on every contact, and their data regenerates byte for byte."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

import reference
import paths
from scoredsl.cli.main import cli
from scoredsl.compiler.pipeline import compile_file
from scoredsl.plugins.manager import open_source

ROOT = paths.ROOT
EXAMPLES = ROOT / "examples"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
MODELS = {"b2b_saas": EXAMPLES / "b2b_saas" / "model.score",
          "product_lines": EXAMPLES / "product_lines" / "model.score"}

# The named contacts of examples/README.md: (model, id) -> (status/reason, fit, engagement, tiers...)
B2B = {
    "c0001": ("scored", 90, 186, "sql", "high", "A", "A1", "route_to_sales"),
    "c0002": ("scored", 46, 86, "mql", "medium", "B", "B2", "nurture"),
    "c0003": ("scored", 3, -40, "lead", "low", "D", "C3", "nurture"),
    "c0004": ("scored", 90, 55, "mql", "medium", "A", "A2", "nurture"),      # decay halves 110
    "c0005": ("scored", -95, -27, "lead", "low", "F", "C3", "nurture"),
    "c0007": ("disqualified:employee",),
    "c0008": ("disqualified:partner",),
    "c0010": ("disqualified:customer",),
    "c0011": ("disqualified:open_opportunity",),                              # unknown or true
    "c0013": ("scored", 48, -85, "lead", "low", "B", "B3", "nurture"),       # negatives not decayed
    "c0014": ("scored", 45, 138, "mql", "high", "B", "B1", "nurture"),       # missing never negative
    "c0015": ("scored", 41, 33, "lead", "low", "B", "B3", "nurture"),        # view exactly at -60d
    "c0016": ("scored", 41, 13, "lead", "low", "B", "B3", "nurture"),        # one second earlier
    "c0017": ("scored", 65, 24, "lead", "low", "A", "A3", "nurture"),        # later events ignored
    "c0018": ("scored", 3, 6, "lead", "low", "D", "C3", "nurture"),          # band >= 6, not 3 + 6
    "c0019": ("scored", 3, 3, "lead", "low", "D", "C3", "nurture"),
    "c0020": ("scored", 73, 38, "mql", "low", "A", "A3", "nurture"),         # 37.5 rounds to 38
    "c0021": ("scored", 58, 20, "lead", "low", "B", "B3", "nurture"),
    "c0024": ("scored", 10, 78, "lead", "medium", "C", "C2", "route_to_sales"),
    "c0028": ("scored", 31, 20, "lead", "low", "B", "B3", "nurture"),        # once, and max
    "c0029": ("scored", 58, 40, "lead", "medium", "B", "B2", "nurture"),     # 20% share caps 61 at 40
    "c0030": ("scored", 85, 200, "sql", "high", "A", "A1", "route_to_sales"),  # score max 200
}
PRODUCT_LINES = {
    ("p0001", "analytics"): ("scored", 58, 120, "sql", "high"),
    ("p0001", "payments"): ("out_of_scope",),
    ("p0002", "payments"): ("scored", 45, 147, "sql", "high"),
    ("p0003", "analytics"): ("disqualified:analytics_customer",),
    ("p0004", "analytics"): ("out_of_scope",),
    ("p0004", "payments"): ("out_of_scope",),
    ("p0005", "payments"): ("scored", 33, 30, "mql", "medium"),              # half-life: 60 -> 30
    ("p0006", "payments"): ("scored", 33, 59, "mql", "medium"),              # 58.63 -> 59
    ("p0007", "payments"): ("disqualified:high_risk",),
    ("p0008", "analytics"): ("scored", 43, 33, "mql", "medium"),             # 32.5 -> 33
    ("p0010", "analytics"): ("scored", 33, 5, "lead", "low"),                # list contains ignores case
    ("p0010", "payments"): ("scored", 26, 14, "lead", "low"),
}


def run_csv(example: str) -> list[dict]:
    result = CliRunner().invoke(cli, ["run", str(MODELS[example]), "--source",
                                      f"csv:{EXAMPLES / example / 'data'}", "--as-of", "2026-11-01", "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def outcome(row: dict, tiers: tuple[str, ...]) -> tuple:
    if row["status"] == "disqualified":
        return (f"disqualified:{row['reason']}",)
    if row["status"] == "out_of_scope":
        return ("out_of_scope",)
    return ("scored", int(row["fit"]), int(row["engagement"]), *(row[t] for t in tiers))


@pytest.mark.parametrize("example", sorted(MODELS))
def test_examples_check_clean(example):
    result = CliRunner().invoke(cli, ["check", "--strict", str(MODELS[example])])
    assert result.exit_code == 0, result.output


def test_b2b_named_contacts():
    rows = {r["contact_id"]: r for r in run_csv("b2b_saas")}
    tiers = ("lifecycle", "heat", "grade", "priority", "handoff")
    assert {cid: outcome(rows[cid], tiers) for cid in B2B} == B2B


def test_b2b_funnel_totals():
    rows = run_csv("b2b_saas")
    lifecycle = {}
    for r in rows:
        key = r["lifecycle"] or r["status"]
        lifecycle[key] = lifecycle.get(key, 0) + 1
    assert lifecycle == {"sql": 23, "mql": 65, "lead": 169, "disqualified": 43}


def test_product_lines_named_contacts():
    rows = {(r["contact_id"], r["model"]): r for r in run_csv("product_lines")}
    assert {key: outcome(rows[key], ("lifecycle", "heat")) for key in PRODUCT_LINES} == PRODUCT_LINES


@pytest.mark.parametrize("example", sorted(MODELS))
def test_engine_agrees_with_the_reference_interpreter_on_every_contact(example):
    program = compile_file(MODELS[example])
    files = reference.load(MODELS[example])
    source = open_source(f"csv:{EXAMPLES / example / 'data'}", program.schema)
    events: dict[str, list] = {}
    for event in source.events(program.schema):
        events.setdefault(event.contact_id, []).append(event)
    compared = 0
    for contact in source.contacts(program.schema):
        for name, model in program.models.items():
            own = events.get(contact["id"], [])
            row = model.evaluate(contact, own, AS_OF)
            scored = row.status == "scored"
            got = (row.status, row.reason, dict(row.scores) if scored else None, dict(row.tiers) if scored else None)
            assert got == reference.evaluate(files, name, contact, own, AS_OF), (contact["id"], name)
            compared += 1
    assert compared == {"b2b_saas": 300, "product_lines": 400}[example]


def test_example_data_regenerates_byte_for_byte(tmp_path):
    shutil.copy(EXAMPLES / "generate_data.py", tmp_path / "generate_data.py")
    subprocess.run([sys.executable, str(tmp_path / "generate_data.py")], check=True, capture_output=True)
    for example in MODELS:
        for name in ("contacts.csv", "events.csv"):
            assert (tmp_path / example / "data" / name).read_bytes() == \
                (EXAMPLES / example / "data" / name).read_bytes(), f"{example}/{name}"


def test_the_lifecycle_example_does_what_the_readme_says(tmp_path):
    """The README's "Scores that remember" commands, run as written (on a free port): c1 reaches
    SQL, cools off and stays SQL, is sent back to lead by sales, and each crossing posts one
    webhook to the example's receiver."""
    import shutil
    import socket
    import subprocess
    import sys
    import time

    example = tmp_path / "lifecycle"
    shutil.copytree(ROOT / "examples" / "lifecycle", example, ignore=shutil.ignore_patterns("state.sqlite"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = example / "scoredsl.toml"
    config.write_text(config.read_text().replace("127.0.0.1:8765", f"127.0.0.1:{port}"))
    receiver = subprocess.Popen([sys.executable, "receiver.py", str(port)], cwd=example, stdout=subprocess.PIPE,
                                text=True)
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        readme = (ROOT / "README.md").read_text()
        commands = [line.split("#")[0].split() for line in readme.splitlines()
                    if line.startswith("scoredsl run model.score")]
        assert len(commands) == 4
        stages = []
        for command in commands:
            result = subprocess.run([sys.executable, "-m", "scoredsl", *command[1:]], cwd=example,
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
            c1 = next(line.split() for line in result.stdout.splitlines() if line.startswith("c1 "))
            stages.append(c1[-1])
        assert stages == ["MQL", "SQL", "SQL", "lead"]
    finally:
        receiver.terminate()
        output = receiver.communicate(timeout=10)[0]
    assert output.splitlines() == [
        "webhook: Contact c1 moved from MQL to SQL (lifecycle.stage, as of 2026-01-12T00:00:00Z)",
        "webhook: Contact c1 moved from SQL to lead (lifecycle.stage, as of 2026-03-09T00:00:00Z)",
    ]


def test_the_lifecycle_example_is_clean_and_formatted():
    model = ROOT / "examples" / "lifecycle" / "model.score"
    assert CliRunner().invoke(cli, ["check", "--strict", str(model)]).exit_code == 0
    assert CliRunner().invoke(cli, ["fmt", "--check", str(model)]).exit_code == 0


def test_the_readme_tour_is_shipped_clean_and_formatted():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("```\n", readme.index("## A five-minute tour of the language")) + 4
    block = readme[start:readme.index("```\n", start)]
    shipped = ROOT / "examples" / "b2b_saas" / "tour.score"
    assert shipped.read_text().split("\n", 1)[1] == block
    assert CliRunner().invoke(cli, ["check", "--strict", str(shipped)]).exit_code == 0
    assert CliRunner().invoke(cli, ["fmt", "--check", str(shipped)]).exit_code == 0


def test_checking_a_folder_of_models_and_their_shared_schema_is_clean():
    """`scoredsl check examples/b2b_saas/*.score`, as docs/testing.md suggests: schema.score has
    no model of its own, and the models include it."""
    files = sorted(str(p) for p in (ROOT / "examples" / "b2b_saas").glob("*.score"))
    assert len(files) == 3
    result = CliRunner().invoke(cli, ["check", "--strict", *files])
    assert result.exit_code == 0, result.output
    alone = CliRunner().invoke(cli, ["check", str(ROOT / "examples" / "b2b_saas" / "schema.score")])
    assert alone.exit_code == 1 and "SD220" in alone.output
