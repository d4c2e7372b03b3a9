"""The entry points of one group, read from the installed distributions' metadata files.

:mod:`importlib.metadata` finds the same, but importing it (with ``email``, ``zipfile`` and
``csv``) and reading every distribution's metadata costs about as much as parsing a large rule
file, on every command. The entry points themselves are a few small text files: each
``*.dist-info`` or ``*.egg-info`` directory of each directory on :data:`sys.path` may hold an
``entry_points.txt``. This module reads those, in the order :mod:`importlib.metadata` finds
the distributions: by ``sys.path``, the first distribution of a name hiding later ones of the
same name (another environment's copy further down the path). Within one directory,
distributions are taken by name, so the result never depends on the order the file system
lists them in.

Where :mod:`importlib.metadata` could see distributions this module does not (a zip file on
``sys.path``, an import hook that finds distributions of its own), :func:`entry_points` asks
it instead.
"""

from __future__ import annotations

import importlib
import os
import re
import sys

__all__ = ["EntryPoint", "entry_points"]

_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(?::\s*(?P<attr>[\w.]+)\s*)?(?:\[.*\]\s*)?$")
_SUFFIXES = (".dist-info", ".egg-info")


class EntryPoint:
    """One entry point: its ``name`` and ``value`` (``module:attribute [extras]``), and where its
    distribution's metadata is (``folder``, or its ``known_version`` when importlib.metadata found it)."""

    __slots__ = ("name", "value", "folder", "known_version")

    def __init__(self, name: str, value: str, folder: str | None = None, known_version: str = "") -> None:
        self.name, self.value, self.folder, self.known_version = name, value, folder, known_version

    def version(self) -> str:
        """The version of the distribution that declares it ('' when unknown): the ``Version``
        field of its metadata, read only when asked for."""
        if self.folder is None:
            return self.known_version
        for name in ("METADATA", "PKG-INFO"):
            try:
                with open(os.path.join(self.folder, name), encoding="utf-8") as file:
                    for line in file:
                        if not line.strip():
                            break           # the headers end at the first empty line
                        if line.lower().startswith("version:"):
                            return line.split(":", 1)[1].strip()
            except (OSError, UnicodeDecodeError):
                continue
        return ""

    def load(self) -> object:
        """The object it names (importing its module); ``ValueError`` for a malformed value."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.name!r}: {self.value!r} is not 'module:attribute'")
        found = importlib.import_module(match["module"])
        for part in (match["attr"] or "").split(".") if match["attr"] else []:
            found = getattr(found, part)
        return found

    def __repr__(self) -> str:
        return f"EntryPoint({self.name!r}, {self.value!r})"


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group``, in the order the distributions are found (see the module docs)."""
    found = _from_files(group)
    if found is None:
        import importlib.metadata

        found = [EntryPoint(ep.name, ep.value, known_version=getattr(ep.dist, "version", "") or "")
                 for ep in importlib.metadata.entry_points(group=group)]
    return found


def _from_files(group: str) -> list[EntryPoint] | None:
    """The entry points read from the metadata directories; None when that might miss some."""
    from importlib.machinery import PathFinder

    if any(hasattr(finder, "find_distributions") and finder is not PathFinder for finder in sys.meta_path):
        return None
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for entry in sys.path:
        folder = entry or "."
        try:
            names = sorted(os.listdir(folder))
        except NotADirectoryError:
            return None             # a zip file: importlib.metadata reads inside it
        except OSError:
            continue                # missing or unreadable: nothing there, for importlib.metadata too
        for name in names:
            if not name.lower().endswith(_SUFFIXES):
                continue
            distribution = _normalized(name.rsplit(".", 1)[0].split("-", 1)[0])
            if distribution in seen:
                continue
            seen.add(distribution)
            found += _read(os.path.join(folder, name), group)
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _read(folder: str, group: str) -> list[EntryPoint]:
    """The ``group`` section of the ``entry_points.txt`` of one metadata folder (an INI file:
    ``[group]``, then ``name = value`` lines)."""
    try:
        with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as file:
            lines = file.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    section, found = None, []
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, value = line.split("=", 1)
            found.append(EntryPoint(name.strip(), value.strip(), folder))
    return found
