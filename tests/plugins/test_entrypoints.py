"""scoredsl finds the entry points importlib.metadata finds (scoredsl.plugins.entrypoints), without
importing it: the same ones on this environment, for every group, and in the cases that differ
between environments (a second copy of a distribution further down sys.path, a zip file)."""

from __future__ import annotations

import importlib.metadata
import sys
import zipfile
from collections import Counter

import pytest

from scoredsl.plugins.entrypoints import EntryPoint, entry_points


def _theirs(group: str) -> Counter:
    return Counter((ep.name, ep.value) for ep in importlib.metadata.entry_points(group=group))


def _ours(group: str) -> Counter:
    return Counter((ep.name, ep.value) for ep in entry_points(group))


def test_every_group_of_this_environment_is_found_as_importlib_metadata_finds_it():
    groups = {ep.group for dist in importlib.metadata.distributions() for ep in dist.entry_points}
    assert {"scoredsl", "console_scripts"} <= groups
    for group in sorted(groups):
        assert _ours(group) == _theirs(group), group
    versions = {ep.name: ep.dist.version for ep in importlib.metadata.entry_points(group="scoredsl")}
    assert {ep.name: ep.version() for ep in entry_points("scoredsl")} == versions


def _distribution(folder, name: str, entry_points_text: str) -> None:
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points_text)


def test_the_first_copy_of_a_distribution_on_the_path_hides_the_others(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    _distribution(first, "scoredsl_test_twice", "[scoredsl]\ntwice = first_module\n")
    _distribution(second, "Scoredsl_Test.Twice", "[scoredsl]\ntwice = second_module\nother = second_module:x\n")
    _distribution(second, "scoredsl_test_else", "# a comment\n\n[scoredsl]\nelse = else_module:obj.attr [extra]\n"
                                                "[console_scripts]\nelse-cli = else_module:main\n")
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    found = [(ep.name, ep.value) for ep in entry_points("scoredsl") if ep.value.split(":")[0].endswith("_module")]
    assert found == [("twice", "first_module"), ("else", "else_module:obj.attr [extra]")]
    assert _ours("scoredsl") == _theirs("scoredsl")


def test_a_zip_file_on_the_path_is_read_by_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("scoredsl_test_zipped-1.0.dist-info/METADATA",
                        "Metadata-Version: 2.1\nName: scoredsl_test_zipped\nVersion: 1.0\n")
        zipped.writestr("scoredsl_test_zipped-1.0.dist-info/entry_points.txt", "[scoredsl]\nzipped = zipped_module\n")
    monkeypatch.syspath_prepend(str(archive))
    assert ("zipped", "zipped_module") in _ours("scoredsl")
    assert next(ep for ep in entry_points("scoredsl") if ep.name == "zipped").version() == "1.0"
    assert _ours("scoredsl") == _theirs("scoredsl")


def test_an_entry_point_loads_the_object_it_names(monkeypatch):
    assert EntryPoint("x", "os.path:join").load() is __import__("os").path.join
    assert EntryPoint("x", "os.path").load() is sys.modules["os.path"]
    assert EntryPoint("x", "os:path.join [extra]").load() is __import__("os").path.join
    with pytest.raises(ValueError, match="not 'module:attribute'"):
        EntryPoint("x", "os:").load()


def test_a_plugin_installed_beside_another_copy_is_loaded_from_the_first(install, tmp_path, monkeypatch):
    """The plugin manager loads the first distribution's plugin of a name, as Python would find it."""
    from scoredsl.plugins import manager

    later = tmp_path / "later"
    later.mkdir()
    (later / "scoredsl_test_shadowed.py").write_text("raise ImportError('the later copy was loaded')\n")
    _distribution(later, "scoredsl_test_dup", "[scoredsl]\ndup = scoredsl_test_shadowed\n")
    install("dup", "from scoredsl import hookimpl\n")
    monkeypatch.setattr(sys, "path", sys.path + [str(later)])      # after the installed one
    manager.reset()
    try:
        assert manager.get_plugin_manager().has_plugin("dup")
        assert "dup" not in manager.broken_plugins()
    finally:
        manager.reset()
