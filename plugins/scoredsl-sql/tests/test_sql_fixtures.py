"""The database fixtures themselves: an unreachable server skips, unless services are required."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def run_one_server_test(closed_port: int, require: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCOREDSL_TEST_POSTGRES=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/postgres",
               SCOREDSL_TEST_MARIADB=f"mysql+pymysql://root@127.0.0.1:{closed_port}/")
    env.pop("SCOREDSL_REQUIRE_SERVICES", None)
    if require:
        env["SCOREDSL_REQUIRE_SERVICES"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           "tests/test_sql_sink.py::test_an_empty_run_creates_the_table"],
                          cwd=HERE.parent, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_servers_skip(closed_port):
    done = run_one_server_test(closed_port, require=False)
    assert done.returncode == 0, done.stdout
    assert "2 passed, 2 skipped" in done.stdout and "is unreachable" in done.stdout


def test_unreachable_servers_fail_when_services_are_required(closed_port):
    done = run_one_server_test(closed_port, require=True)
    assert done.returncode == 1, done.stdout
    assert "2 passed, 2 errors" in done.stdout
    assert "SCOREDSL_REQUIRE_SERVICES=1: the database servers are required" in done.stdout
