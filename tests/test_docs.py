"""Documentation that cannot drift: every diagnostic code and every hook is documented."""

from __future__ import annotations

import re

import paths
from scoredsl.plugins import hookspecs

ROOT = paths.ROOT


def test_every_diagnostic_code_in_the_source_is_documented():
    used = set()
    for path in (ROOT / "src" / "scoredsl").rglob("*.py"):
        used |= set(re.findall(r'"(SD\d{3})"', path.read_text("utf-8")))
    documented = set(re.findall(r"^\| (SD\d{3}) \|", (ROOT / "docs" / "diagnostics.md").read_text("utf-8"), re.M))
    assert used - documented == set(), "codes used but not in docs/diagnostics.md"
    assert documented - used == set(), "codes documented but never used"


def test_every_hook_has_a_section_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugins.md").read_text("utf-8")
    hooks = [name for name in dir(hookspecs) if name.startswith("scoredsl_")]
    assert len(hooks) == 8
    for name in hooks:
        assert f"## Hook: `{name}(registry)`" in guide, name


def test_every_hook_documents_its_parameter():
    for name in dir(hookspecs):
        if name.startswith("scoredsl_"):
            assert ":param registry:" in getattr(hookspecs, name).__doc__, name
