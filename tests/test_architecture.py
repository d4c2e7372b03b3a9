"""The layers of the package hold: no module imports a layer above its own, no modules import
each other in a circle, and plugin distributions import only ``scoredsl.api``. Imports inside
functions and under ``if TYPE_CHECKING`` count. See docs/architecture.md."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import layering
import paths
import scoredsl.api

ROOT = paths.ROOT
SRC = ROOT / "src"
PLUGINS = sorted(p for p in (ROOT / "plugins").glob("*/src"))


def test_no_module_imports_a_layer_above_its_own():
    edges, files = layering.graph(SRC, "scoredsl"), layering.modules(SRC, "scoredsl")
    assert layering.upward_imports(edges, files) == []


def test_no_modules_import_each_other_in_a_circle():
    assert layering.cycles(layering.graph(SRC, "scoredsl")) == []


@pytest.mark.parametrize("plugin_src", PLUGINS, ids=lambda p: p.parent.name)
def test_plugin_distributions_import_only_the_public_api(plugin_src):
    assert layering.private_imports(plugin_src) == []


@pytest.mark.parametrize("plugin_src", PLUGINS, ids=lambda p: p.parent.name)
def test_plugin_distributions_have_no_circles(plugin_src):
    for package in sorted(d.name for d in plugin_src.iterdir() if (d / "__init__.py").exists()):
        assert layering.cycles(layering.graph(plugin_src, package)) == [], package


def test_the_public_api_holds_every_name_it_lists():
    missing = [name for name in scoredsl.api.__all__ if not hasattr(scoredsl.api, name)]
    assert missing == []
    assert len(set(scoredsl.api.__all__)) == len(scoredsl.api.__all__)
    assert set(scoredsl.api.__all__) <= set(dir(scoredsl.api))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        scoredsl.api.nothing


def test_the_public_apis_names_for_type_checkers_are_the_names_it_resolves():
    """``scoredsl.api`` imports under ``if TYPE_CHECKING`` exactly what ``_WHERE`` resolves."""
    import ast
    import importlib
    import importlib.util

    tree = ast.parse(Path(scoredsl.api.__file__).read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING")
    imported = {}
    for node in block.body:
        for alias in node.names:
            submodule = f"{node.module}.{alias.name}"          # from a package import a module
            is_module = hasattr(importlib.import_module(node.module), "__path__") \
                and importlib.util.find_spec(submodule) is not None
            imported[alias.asname or alias.name] = (submodule, "") if is_module else (node.module, alias.name)
    assert imported == scoredsl.api._WHERE


def test_check_imports_no_code_generation_engine_or_store(tmp_path):
    """`scoredsl check` loads every plugin (each imports ``scoredsl.api``) and parses and checks;
    it must not pay for importing what only a run, a compile or a syntax error uses."""
    code = textwrap.dedent("""
        import sys
        from scoredsl.cli.main import main
        sys.argv = ["scoredsl", "check", sys.argv[1]]
        try:
            main()
        except SystemExit as stop:
            assert stop.code == 0, stop.code
        print(" ".join(sorted(sys.modules)))
    """)
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / "b2b_saas" / "model.score")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "scoredsl.check.checker" in loaded and "scoredsl.syntax.parser" in loaded
    # Lark too: a file that parses is read by the hand-written parser; Lark only reports errors.
    # And importlib.metadata: the plugins' entry points are read from their files, the version
    # only for --version; importlib.resources finds the grammar, which only Lark reads
    for unwanted in ("scoredsl.compiler.python.build", "scoredsl.compiler.python.codegen", "scoredsl.engines.frame",
                     "scoredsl.engines.duckdb", "scoredsl.data.state", "sqlglot", "duckdb", "sqlalchemy", "lark",
                     "importlib.metadata", "importlib.resources"):
        assert unwanted not in loaded, unwanted


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_the_contract_fails_on_an_upward_import_even_inside_a_function(tmp_path):
    src = _tree(tmp_path, {
        "scoredsl/__init__.py": "",
        "scoredsl/data/__init__.py": "",
        "scoredsl/data/records.py": """
            def load():
                from scoredsl.engines.frame import run   # the data layer reaching up
                return run
            """,
        "scoredsl/engines/__init__.py": "",
        "scoredsl/engines/frame.py": "from scoredsl.data.records import load\n",
        "scoredsl/check/__init__.py": "",
        "scoredsl/check/types.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from scoredsl.compiler.model import CompiledModel
            """,
        "scoredsl/compiler/__init__.py": "",
        "scoredsl/compiler/model.py": "",
        "scoredsl/diff/__init__.py": "from scoredsl.modeltests import cases\n",
        "scoredsl/modeltests/__init__.py": "",
        "scoredsl/modeltests/cases.py": "",
        "scoredsl/extra.py": "",
    })
    edges, files = layering.graph(src, "scoredsl"), layering.modules(src, "scoredsl")
    problems = layering.upward_imports(edges, files)
    assert any("records.py:3: scoredsl.data.records imports scoredsl.engines.frame, which is a layer above"
               in p for p in problems), problems
    assert any("types.py:4: scoredsl.check.types imports scoredsl.compiler.model" in p for p in problems)
    assert any("scoredsl.diff imports scoredsl.modeltests.cases, which is beside it" in p for p in problems)
    assert any("module scoredsl.extra belongs to no layer" in p for p in problems)
    assert len(problems) == 4, problems


def test_the_contract_fails_on_a_circle_of_relative_imports(tmp_path):
    src = _tree(tmp_path, {
        "scoredsl/__init__.py": "",
        "scoredsl/engines/__init__.py": "",
        "scoredsl/engines/a.py": "from . import b\n",
        "scoredsl/engines/b.py": "def f():\n    from .c import g\n",
        "scoredsl/engines/c.py": "from scoredsl.engines.a import x\n",
        "scoredsl/engines/d.py": "from scoredsl.engines import a\n",
    })
    assert layering.cycles(layering.graph(src, "scoredsl")) == [
        ["scoredsl.engines.a", "scoredsl.engines.b", "scoredsl.engines.c"]]


def test_the_contract_fails_on_a_plugin_importing_internals(tmp_path):
    src = _tree(tmp_path, {
        "myplugin/__init__.py": """
            from scoredsl.api import hookimpl
            from scoredsl import hookimpl as also
            import scoredsl.data.records
            def later():
                from scoredsl.engines.duckdb import DuckDBEngine
            """,
    })
    problems = layering.private_imports(src)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "imports scoredsl.hookimpl; a plugin imports only scoredsl.api",
        "imports scoredsl.data.records; a plugin imports only scoredsl.api",
        "imports scoredsl.engines.duckdb; a plugin imports only scoredsl.api"]


def test_every_test_module_has_a_name_of_its_own():
    """All test suites run in one pytest session without packages: two test files of one name
    would stop the whole run at collection."""
    import collections

    roots = [paths.ROOT / "tests"] + sorted((paths.ROOT / "plugins").glob("*/tests"))
    found = collections.defaultdict(list)
    for root in roots:
        for path in root.rglob("*.py"):
            if path.name.startswith("test_") or path.name in ("conftest.py",):
                found[path.name].append(str(path.relative_to(paths.ROOT)))
    twice = {name: where for name, where in found.items() if len(where) > 1 and name != "conftest.py"}
    assert twice == {}
