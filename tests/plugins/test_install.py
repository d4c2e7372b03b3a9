"""The entry-point path end to end: install the example plugin from plugins/ with pip, then
use its function from a rule file through the command line, in a new process."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import paths

ROOT = paths.ROOT
PLUGIN = ROOT / "plugins" / "scoredsl-example"

MODEL = """schema { contact { email: text } }
model m {
  score fit {
    rule free:    is_free_email(email) => -10
    rule partner: email_domain(email) in ["partner.io"] => +20
  }
}
"""


def installed() -> bool:
    try:
        importlib.metadata.distribution("scoredsl-example")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def example_plugin():
    was_installed = installed()
    if not was_installed:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", str(PLUGIN)],
                       check=True, capture_output=True)
    yield
    if not was_installed:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", "scoredsl-example"],
                       check=True, capture_output=True)


def scoredsl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scoredsl", *args], cwd=cwd, capture_output=True, text=True)


def test_plugins_lists_the_installed_plugin(example_plugin, tmp_path):
    result = scoredsl("plugins", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "example 0.1.0" in result.stdout
    assert "email_domain(text) -> text" in result.stdout


def test_a_rule_file_uses_the_plugin_function_through_the_cli(example_plugin, tmp_path):
    (tmp_path / "model.score").write_text(MODEL)
    (tmp_path / "contacts.csv").write_text("id,email\nc1,ann@gmail.com\nc2,bob@Partner.io\nc3,\n")
    check = scoredsl("check", "model.score", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    run = scoredsl("run", "model.score", "--source", "csv:contacts.csv", "--as-of", "2026-11-01", "-q",
                   cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    rows = [line.split(",")[:5] for line in run.stdout.splitlines()[1:]]
    assert rows == [["c1", "m", "scored", "", "-10"], ["c2", "m", "scored", "", "20"],
                    ["c3", "m", "scored", "", "0"]]
