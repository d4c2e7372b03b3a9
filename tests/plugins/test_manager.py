"""The plugin contract: documented hooks, built-ins loaded like third-party plugins, broken
plugins reported by name, specs resolved to sources and sinks."""

import importlib.metadata
import inspect
import re
import warnings

import pluggy
import pytest

import paths
import scoredsl
from scoredsl.data.records import DataSchema, TypeSpec
from scoredsl.data.sources import Source
from scoredsl.data.specs import Spec, SpecError, parse_spec
from scoredsl.plugins import hookspecs, manager as plugins
from scoredsl.plugins.builtin import files
from scoredsl.plugins.manager import PluginWarning
from scoredsl.plugins.registries import PluginError

SCHEMA = DataSchema(contact={"email": TypeSpec("text")}, events={})
HOOKS = [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
         if name.startswith("scoredsl_")]


@pytest.fixture(autouse=True)
def fresh_manager():
    plugins.reset()
    yield
    plugins.reset()


# ------------------------------------------------------------------ the contract

def test_there_are_hooks():
    assert HOOKS == ["scoredsl_register_actions", "scoredsl_register_commands", "scoredsl_register_functions",
                     "scoredsl_register_lints", "scoredsl_register_outcomes",
                     "scoredsl_register_sinks",
                     "scoredsl_register_sources", "scoredsl_register_stores"]


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_documents_every_parameter(name):
    hook = getattr(hookspecs, name)
    doc = inspect.getdoc(hook)
    assert doc, f"hook {name} has no docstring"
    for parameter in inspect.signature(hook).parameters:
        assert re.search(rf":param {parameter}:", doc), f"hook {name} does not document {parameter!r}"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_implemented_by_a_builtin_or_a_test_plugin(name):
    if callable(getattr(files, name, None)):
        return
    implemented = any(f"def {name}(" in p.read_text("utf-8") for p in paths.TESTS.rglob("test_*.py"))
    assert implemented, f"neither a built-in nor a test plugin implements {name}"


def test_hookimpl_is_exported_from_the_package_root():
    assert isinstance(scoredsl.hookimpl, pluggy.HookimplMarker)
    assert scoredsl.hookimpl.project_name == "scoredsl"
    assert "hookimpl" in scoredsl.__all__ and scoredsl.__version__


# ------------------------------------------------------------------ loading

def test_builtins_are_loaded_through_the_entry_point():
    pm = plugins.get_plugin_manager()
    assert pm.get_plugin("files") is files
    # through the entry point: its version is the scoredsl distribution's (registered directly,
    # a plugin has none)
    assert plugins.plugin_versions()["files"] == importlib.metadata.version("scoredsl")
    assert plugins.get_plugin_manager() is pm               # created once, lazily
    builtin = {k: e.plugin for k, e in plugins.source_registry().entries.items() if e.plugin == "files"}
    assert builtin == {"csv": "files", "jsonl": "files"}
    assert [k for k, e in plugins.sink_registry().entries.items() if e.plugin == "files"] == ["csv", "jsonl", "table"]


def test_builtins_are_registered_directly_without_distribution_metadata(monkeypatch):
    monkeypatch.setattr(plugins, "ENTRY_POINT_GROUP", "scoredsl-not-installed")
    pm = plugins.get_plugin_manager()
    assert pm.get_plugin("files") is files and plugins.plugin_versions()["files"] == ""
    assert list(plugins.source_registry().entries) == ["csv", "jsonl", "parquet"]


def test_a_working_third_party_plugin(install, tmp_path):
    install("memory", """
        from scoredsl.api import Source, hookimpl

        class Memory(Source):
            def __init__(self, spec):
                self.ids = spec.location.split(",")
            def contacts(self, schema, on_error=None):
                return iter([{"id": i, "email": None} for i in self.ids])
            def events(self, schema, on_error=None):
                return iter([])

        @hookimpl
        def scoredsl_register_sources(registry):
            registry.add("memory", lambda spec, schema: Memory(spec), "contacts listed in the spec")
    """)
    source = plugins.open_source("memory:a,b", SCHEMA)
    assert [c["id"] for c in source.contacts(SCHEMA)] == ["a", "b"]
    with pytest.raises(SpecError, match=r"memory +contacts listed in the spec"):
        plugins.open_source("nope:x", SCHEMA)


BROKEN = {
    "import_error": ("import no_such_module_anywhere\n", "ModuleNotFoundError"),
    "misspelled": ("""
        from scoredsl import hookimpl
        @hookimpl
        def scoredsl_register_source(registry):
            pass
    """, "unknown hook 'scoredsl_register_source'"),
    "bad_signature": ("""
        from scoredsl import hookimpl
        @hookimpl
        def scoredsl_register_sinks(registry, config):
            pass
    """, "config"),
    "raises": ("""
        from scoredsl import hookimpl
        @hookimpl
        def scoredsl_register_sources(registry):
            registry.add("half", lambda spec, schema: None, "registered before the crash")
            raise RuntimeError("boom")
    """, "failed to register sources: RuntimeError: boom"),
    "bad_scheme": ("""
        from scoredsl import hookimpl
        @hookimpl
        def scoredsl_register_sources(registry):
            registry.add("X", lambda spec, schema: None, "upper case")
    """, "bad source scheme 'X'"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_plugin_is_reported_by_name_and_skipped(install, name):
    source, problem = BROKEN[name]
    install(name, source)
    with pytest.warns(PluginWarning) as caught:
        plugins.source_registry()
        plugins.sink_registry()
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and messages[0].startswith(f"scoredsl plugin {name!r} skipped: ")
    assert problem in messages[0]
    assert name in plugins.broken_plugins()
    assert not plugins.get_plugin_manager().has_plugin(name)
    # nothing half-added (other installed plugins, like the SQL one, may register schemes too)
    assert all(e.plugin != name for e in plugins.source_registry().entries.values())
    assert all(e.plugin != name for e in plugins.sink_registry().entries.values())
    assert [k for k, e in plugins.source_registry().entries.items() if e.plugin == "files"] == ["csv", "jsonl"]


def test_a_plugin_registered_at_run_time_is_checked_the_same_way():
    class Broken:
        @scoredsl.hookimpl
        def scoredsl_register_sinks(self, registry):
            registry.add("table", lambda spec: None, "a second table")
            registry.add("s3", lambda spec: None, "")

    with pytest.warns(PluginWarning, match="plugin 'broken' skipped: failed to register sinks: "
                                           "PluginError: sink 's3': a one-line description"):
        assert plugins.register(Broken(), "broken") is True
        plugins.sink_registry()
    assert "s3" not in plugins.sink_registry().entries


def test_a_scheme_cannot_be_taken_over(install):
    install("shadow", """
        from scoredsl import hookimpl
        @hookimpl
        def scoredsl_register_sinks(registry):
            registry.add("csv", lambda spec: None, "another csv")
            registry.add("parquet", lambda spec: None, "Parquet files")
    """)
    with pytest.warns(PluginWarning, match="'shadow': sink scheme 'csv' ignored, plugin 'files' "
                                           "already provides it"):
        registry = plugins.sink_registry()
    assert registry.entries["csv"].plugin == "files"
    assert registry.entries["parquet"].plugin == "shadow"


def test_a_broken_builtin_is_an_error():
    class Files:
        @scoredsl.hookimpl
        def scoredsl_register_source(self, registry):
            pass

    pm = plugins.get_plugin_manager()
    pm.unregister(name="files")
    with pytest.raises(PluginError, match="built-in plugin 'files' cannot be loaded"):
        plugins.register(Files(), "files")


def test_a_healthy_setup_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plugins.source_registry()
        plugins.sink_registry()
    assert plugins.broken_plugins() == {}


# ------------------------------------------------------------------ specs

@pytest.mark.parametrize("text, expected", [
    ("csv:examples/data", Spec(scheme="csv", location="examples/data", text="csv:examples/data")),
    ("CSV:-", Spec(scheme="csv", location="-", text="CSV:-")),
    ("csv:c.csv?events=e%26f.csv&delimiter=%3B",
     Spec(scheme="csv", location="c.csv", options={"events": "e&f.csv", "delimiter": ";"},
          text="csv:c.csv?events=e%26f.csv&delimiter=%3B")),
    ("postgresql://u@h/db?sslmode=require",
     Spec(scheme="postgresql", location="//u@h/db", options={"sslmode": "require"},
          text="postgresql://u@h/db?sslmode=require")),
    (r"C:\data\out.csv", Spec(scheme="csv", location=r"C:\data\out.csv", text=r"C:\data\out.csv")),
    ("out.JSONL", Spec(scheme="jsonl", location="out.JSONL", text="out.JSONL")),
])
def test_parse_spec(text, expected):
    assert parse_spec(text, "sink") == expected


def test_a_folder_is_inferred_from_its_contacts_file(tmp_path):
    (tmp_path / "contacts.jsonl").write_text("")
    assert parse_spec(str(tmp_path)).scheme == "jsonl"
    with pytest.raises(SpecError, match="cannot tell what kind of sink"):
        parse_spec(str(tmp_path), "sink")


@pytest.mark.parametrize("text, message", [
    ("-", "'-': cannot tell what kind of sink this is; write SCHEME:LOCATION, e.g. csv:PATH"),
    ("csv:a.csv?events", "options must be written"),
    ("csv:a.csv?x=1&x=2", "option 'x' is given twice"),
])
def test_bad_specs(text, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_spec(text, "sink")


def test_unknown_scheme_lists_the_known_ones():
    with pytest.raises(SpecError) as info:
        plugins.open_source("xlsx:book.xlsx", SCHEMA)
    message = str(info.value)
    assert message.startswith("xlsx:book.xlsx: unknown source scheme 'xlsx'; known sources:\n")
    lines = message.splitlines()[1:]
    width = max(len(line.split()[0]) for line in lines)       # one aligned line per known scheme
    assert f"  {'csv':<{width}}  CSV files: FOLDER (contacts.csv, events.csv) or CONTACTS.csv?events=EVENTS.csv" in lines
    assert any(line.startswith(f"  {'jsonl':<{width}}  JSON Lines: FOLDER") for line in lines)
    with pytest.raises(SpecError, match=r"unknown sink scheme 'xlsx'; known sinks:\n  csv "):
        plugins.open_sink("xlsx:book.xlsx")


def test_a_factory_must_return_a_source(install):
    install("liar", """
        from scoredsl import hookimpl
        @hookimpl
        def scoredsl_register_sources(registry):
            registry.add("liar", lambda spec, schema: "not a source", "returns a string")
    """)
    with pytest.raises(PluginError, match="the 'liar' factory returned 'not a source', not a Source"):
        plugins.open_source("liar:x", SCHEMA)


def test_open_source_and_sink_use_the_builtins(tmp_path):
    (tmp_path / "contacts.csv").write_text("id\nc1\n")
    source = plugins.open_source(f"csv:{tmp_path / 'contacts.csv'}", SCHEMA)
    assert isinstance(source, Source) and isinstance(source, files.FileSource)
    assert isinstance(plugins.open_sink("table:-"), files.TableSink)
