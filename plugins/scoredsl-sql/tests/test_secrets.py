"""No password is ever printed: on every failure a spec can meet (a refused connection, a table
that does not fit, a permission denied, a failure in the middle of writing, a wrong password, a
source that is not there), typed in the spec, given as a connect option, or read from
``${VAR}`` in scoredsl.toml, whatever characters the password holds."""

from __future__ import annotations

import itertools
import os
import pathlib
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoredsl.cli.main import cli
from sqltest import EXAMPLE, make_database

pytestmark = pytest.mark.services

MODEL = str(EXAMPLE / "model.score")
SOURCE = f"csv:{EXAMPLE / 'data'}"
# Four characters at least: shorter secrets are masked where they stand in a spec, not in every
# message (a two-letter password would otherwise garble every word that holds its letters).
PASSWORDS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r"),
                    min_size=4, max_size=16).filter(lambda p: p.strip() and "${" not in p and "$" not in p)
SETTINGS = settings(max_examples=8, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_count = itertools.count()


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    databases = make_database("postgresql", tmp_path_factory.mktemp("pg"))
    db = next(databases)
    db.execute("CREATE ROLE sd_no_rights LOGIN" if not db.query(
        "SELECT 1 FROM pg_roles WHERE rolname = 'sd_no_rights'") else "SELECT 1")
    db.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
    yield db
    next(databases, None)


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    databases = make_database("mariadb", tmp_path_factory.mktemp("maria"))
    yield next(databases)
    next(databases, None)


def run(*args: str, env: dict | None = None, cwd: pathlib.Path | None = None):
    """``scoredsl run`` in this process; its exit code and everything it printed."""
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = CliRunner().invoke(cli, ["run", MODEL, "--source", SOURCE, "--as-of", "2026-11-01", *args],
                                    env=env, catch_exceptions=True)
    finally:
        os.chdir(old)
    return result.exit_code, result.output + (repr(result.exception) if result.exception else "")


def assert_hidden(password: str, printed: str) -> None:
    for shown in {password, quote(password, safe=""), quote(password)}:
        assert shown not in printed, printed


def url(db, password: str, *, user: str | None = None, port: int | None = None, encode: bool = False) -> str:
    base = db.url
    pw = quote(password, safe="") if encode else password
    scheme = "postgresql" if db.kind == "postgresql" else "mariadb"
    return (f"{scheme}://{user or base.username}:{pw}@{base.host}:{port or base.port or 5432}"
            f"/{base.database}")


@SETTINGS
@given(password=PASSWORDS, encode=st.booleans())
def test_refused_connection(postgres, password, encode):
    code, printed = run("--sink", url(postgres, password, port=1, encode=encode) + "?table=t")
    assert code == 2
    assert_hidden(password, printed)


@SETTINGS
@given(password=PASSWORDS, encode=st.booleans())
def test_a_table_that_does_not_fit(postgres, password, encode):
    code, printed = run("--sink", url(postgres, password, encode=encode) + "?table=pg_catalog.pg_class")
    assert code == 2
    assert_hidden(password, printed)


@SETTINGS
@given(password=PASSWORDS)
def test_permission_denied(postgres, password):
    code, printed = run("--sink", url(postgres, password, user="sd_no_rights", encode=True)
                        + f"?table=denied_{next(_count)}")
    assert code == 2 and ("permission denied" in printed or "cannot" in printed), printed
    assert_hidden(password, printed)


@SETTINGS
@given(password=PASSWORDS)
def test_a_failure_in_the_middle_of_writing(postgres, password):
    table = f"half_{next(_count)}"
    spec = url(postgres, password, encode=True) + f"?table={table}"
    assert run("--sink", spec)[0] == 0
    postgres.execute(f"DELETE FROM {table} WHERE contact_id LIKE '%%7%%'",
                     f"ALTER TABLE {table} ADD CONSTRAINT no_sevens CHECK (contact_id NOT LIKE '%%7%%')")
    code, printed = run("--sink", spec, "--as-of", "2026-11-02")
    assert code == 2 and "the previous results are unchanged" in printed, printed
    assert_hidden(password, printed)


@SETTINGS
@given(password=PASSWORDS, encode=st.booleans())
def test_a_wrong_password(mariadb, password, encode):
    code, printed = run("--sink", url(mariadb, password, encode=encode) + "?table=t")
    assert code == 2
    assert_hidden(password, printed)


@SETTINGS
@given(password=PASSWORDS)
def test_a_source_that_is_not_there(postgres, password):
    spec = url(postgres, password, encode=True) + "?contacts=no_such_table&events=no_such_either"
    code, printed = run("--source", spec)
    assert code == 2
    assert_hidden(password, printed)


@SETTINGS
@given(password=PASSWORDS)
def test_a_connect_option(postgres, password):
    spec = url(postgres, "").replace(":@", "@") + "?" + "&".join([
        "table=pg_catalog.pg_class", f"connect.password={quote(password, safe='')}"])
    code, printed = run("--sink", spec)
    assert code == 2
    assert_hidden(password, printed)


@SETTINGS
@given(password=PASSWORDS, in_url=st.booleans())
def test_a_password_from_the_environment_in_scoredsl_toml(postgres, password, in_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("project")
    where = url(postgres, "${SD_TEST_PW}", port=1) if in_url else url(postgres, "", port=1).replace(":@", "@")
    (folder / "scoredsl.toml").write_text(
        f'[sinks.crm]\nspec = "{where}?table=t"\n'
        + ("" if in_url else '[sinks.crm.connect]\npassword = "${SD_TEST_PW}"\n'), encoding="utf-8")
    code, printed = run("--sink", "crm", env={"SD_TEST_PW": password}, cwd=folder)
    assert code == 2
    assert_hidden(password, printed)


def test_a_password_with_an_at_sign_is_refused_not_cut(postgres):
    code, printed = run("--sink", url(postgres, "S3cr3t@W") + "?table=t")
    assert code == 2 and "percent-encoded" in printed, printed
    assert "S3cr3t" not in printed and "W@" not in printed
