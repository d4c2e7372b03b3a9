"""Specs, options, URLs, the plugin's registration, and passwords that never show."""

from __future__ import annotations

import importlib.metadata
import socket

import pytest
from click.testing import CliRunner

from scoredsl.cli.main import cli
from scoredsl.data.records import DataSchema, TypeSpec
from scoredsl.data.specs import Spec, SpecError, parse_spec
from scoredsl.plugins import manager as plugins

from scoredsl_sql.database import Database, TableName
from scoredsl_sql.sink import SINK_OPTIONS
from scoredsl_sql.source import SOURCE_OPTIONS

from sqltest import EXAMPLE

SCHEMA = DataSchema(contact={"email": TypeSpec("text")}, events={})
SCHEMES = ("sqlite", "duckdb", "postgresql", "postgres", "mysql", "mariadb")
PASSWORD = "s3cr3t-Pa55"


def database(text: str, kind: str = "sink") -> Database:
    return Database.from_spec(parse_spec(text, kind), SOURCE_OPTIONS if kind == "source" else SINK_OPTIONS,
                              kind)


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ================================================================== the plugin

def test_every_scheme_is_registered_as_source_and_sink():
    sources, sinks = plugins.source_registry().entries, plugins.sink_registry().entries
    for scheme in SCHEMES:
        assert sources[scheme].plugin == "sql" and sinks[scheme].plugin == "sql"
    assert plugins.broken_plugins() == {}


def test_the_entry_point_is_in_the_scoredsl_group():
    points = importlib.metadata.entry_points(group="scoredsl")
    assert [p.value for p in points if p.name == "sql"] == ["scoredsl_sql.plugin"]


# ================================================================== URLs

@pytest.mark.parametrize("text, driver", [
    ("postgresql://u@127.0.0.1:5432/crm?table=lead_scores", "postgresql+psycopg"),
    ("postgres://u@127.0.0.1/crm", "postgresql+psycopg"),
    ("mysql://u@127.0.0.1:3306/crm", "mysql+pymysql"),
    ("mariadb://u@127.0.0.1/crm", "mysql+pymysql"),
])
def test_server_urls_name_their_driver(text, driver):
    db = database(text)
    assert db.url.drivername == driver and db.url.database == "crm" and db.url.host == "127.0.0.1"


@pytest.mark.parametrize("location, path", [
    ("scores.db", "scores.db"), ("///scores.db", "scores.db"), ("data/x.db", "data/x.db"),
])
def test_file_urls(tmp_path, monkeypatch, location, path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    for scheme in ("sqlite", "duckdb"):
        db = database(f"{scheme}:{location}")
        assert db.url.drivername == scheme and db.url.database == path and db.path == path


def test_an_absolute_path_in_sqlalchemy_spelling(tmp_path):
    assert database(f"sqlite:///{tmp_path}/x.db").path == f"{tmp_path}/x.db"


def test_file_spec_problems(tmp_path):
    with pytest.raises(SpecError, match="no such database file"):
        database(f"sqlite:{tmp_path}/missing.db", "source")
    with pytest.raises(SpecError, match="does not exist"):
        database(f"duckdb:{tmp_path}/no/such/folder/x.duckdb")
    with pytest.raises(SpecError, match="give the path of a database file"):
        database("sqlite:")


def test_server_spec_problems():
    with pytest.raises(SpecError, match=r"write postgresql://USER@HOST\[:PORT\]/DATABASE"):
        database("postgresql:crm")
    with pytest.raises(SpecError, match="name the database"):
        database("mysql://root@127.0.0.1")


def test_connect_options_go_to_the_driver():
    db = database("postgresql://u@h/crm?connect.sslmode=require&table=t")
    assert db.url.query == {"sslmode": "require"}
    spec = Spec(scheme="postgresql", location="//u@h/crm", options={"connect": {"sslmode": "disable",
                                                                           "connect_timeout": 3}})
    assert Database.from_spec(spec, SINK_OPTIONS, "sink").url.query == {
        "sslmode": "disable", "connect_timeout": "3"}


# ================================================================== options

def test_unknown_options_are_listed():
    with pytest.raises(SpecError, match=r"unknown option 'tabel' for sqlite \(allowed: table, history"):
        database("sqlite:x.db?tabel=scores")


def test_options_may_be_strings_or_toml_values():
    options = {"columns": "job_title:title, employees:num_employees,phone:", "batch_size": "50"}
    db = Database.from_spec(Spec(scheme="sqlite", location="x.db", options=options), SOURCE_OPTIONS, "sink")
    assert db.options.mapping("columns") == {"job_title": "title", "employees": "num_employees",
                                             "phone": None}
    assert db.options.integer("batch_size", 1000) == 50
    toml = {"columns": {"job_title": "title", "phone": ""}, "batch_size": 50}
    db = Database.from_spec(Spec(scheme="sqlite", location="x.db", options=toml), SOURCE_OPTIONS, "sink")
    assert db.options.mapping("columns") == {"job_title": "title", "phone": None}
    assert db.options.integer("batch_size", 1000) == 50


@pytest.mark.parametrize("options, message", [
    ({"batch_size": True}, "batch_size must be a whole number"),
    ({"batch_size": "0"}, "batch_size must be a whole number >= 1"),
    ({"columns": "job_title=title"}, "is not NAME:COLUMN"),
    ({"columns": ["a"]}, "must be NAME:COLUMN,... or a table"),
    ({"columns": "a:x,a:y"}, "maps 'a' twice"),
    ({"contacts": 3}, "contacts must be a string"),
])
def test_bad_option_values(options, message):
    db = Database.from_spec(Spec(scheme="sqlite", location="x.db", options=options), SOURCE_OPTIONS, "sink")
    with pytest.raises(SpecError, match=message):
        db.options.mapping("columns")
        db.options.integer("batch_size", 1000)
        db.options.text("contacts")


def test_table_names():
    assert TableName.parse("scores") == TableName("scores")
    assert TableName.parse(" crm.scores ") == TableName("scores", "crm")
    assert TableName.parse('"my.scores"') == TableName("my.scores")
    for bad in ("", "a.b.c", "a.", '"a'):
        with pytest.raises(ValueError):
            TableName.parse(bad)


def test_history_must_be_another_table(tmp_path):
    with pytest.raises(SpecError, match="history= must name another table"):
        plugins.open_sink(f"sqlite:{tmp_path}/x.db?table=scores&history=SCORES")


# ================================================================== passwords

@pytest.mark.parametrize("scheme", ["postgresql", "mariadb"])
@pytest.mark.parametrize("kind", ["source", "sink"])
def test_a_password_never_appears_in_a_connection_error(scheme, kind, closed_port):
    spec = f"{scheme}://scorer:{PASSWORD}@127.0.0.1:{closed_port}/crm"
    with pytest.raises(SpecError) as caught:
        plugins.open_source(spec, SCHEMA) if kind == "source" else plugins.open_sink(spec)
    message = str(caught.value)
    assert PASSWORD not in message and "scorer:***@127.0.0.1" in message
    assert "cannot connect" in message


def test_a_password_never_appears_in_an_option_error():
    with pytest.raises(SpecError) as caught:
        plugins.open_sink(f"postgresql://scorer:{PASSWORD}@127.0.0.1:5432/crm?tabel=x")
    assert PASSWORD not in str(caught.value) and "***" in str(caught.value)


def test_a_password_from_the_environment_is_used_and_never_shown(monkeypatch, closed_port):
    monkeypatch.setenv("CRM_DB_PASSWORD", PASSWORD)
    db = database(f"postgresql://scorer@127.0.0.1:{closed_port}/crm?password_env=CRM_DB_PASSWORD")
    assert db.url.password == PASSWORD and PASSWORD not in db.display
    assert db.scrub(f"auth failed for {PASSWORD}") == "auth failed for ***"
    with pytest.raises(SpecError) as caught:
        plugins.open_sink(f"postgresql://scorer@127.0.0.1:{closed_port}/crm?password_env=CRM_DB_PASSWORD")
    assert PASSWORD not in str(caught.value)
    with pytest.raises(SpecError, match="environment variable NOPE is not set"):
        database("mysql://scorer@127.0.0.1/crm?password_env=NOPE")


def test_the_cli_never_shows_a_password(closed_port):
    result = CliRunner().invoke(cli, ["run", str(EXAMPLE / "model.score"), "--source",
                                      f"csv:{EXAMPLE / 'data'}", "--sink",
                                      f"postgresql://scorer:{PASSWORD}@127.0.0.1:{closed_port}/crm"])
    assert result.exit_code == 2
    assert "cannot open sink" in result.output and "scorer:***@" in result.output
    assert PASSWORD not in result.output
