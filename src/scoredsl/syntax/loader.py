"""Read a rule file and everything it includes, safely.

An include names a ``.score`` file by a relative path; after resolving symbolic links it must
lie inside the project root (by default the directory of the file named on the command line).
This is the only way a rule file can make scoredsl read anything from disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import attrs

from scoredsl.diagnostics import Diagnostic, SourceMap, error
from scoredsl.syntax import nodes
from scoredsl.syntax.parser import MAX_SOURCE_BYTES, parse

MAX_INCLUDE_DEPTH = 32


@attrs.frozen(kw_only=True)
class Unit:
    """A compiled unit: the main file and every file it includes, includes first."""
    main: nodes.RuleFile
    files: tuple[nodes.RuleFile, ...]
    root: str


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def load(path: str | os.PathLike, *, root: str | os.PathLike | None = None,
         sources: SourceMap | None = None) -> tuple[Unit | None, list[Diagnostic], SourceMap]:
    sources = sources if sources is not None else SourceMap()
    main_path = Path(path)
    root_path = Path(root) if root is not None else main_path.parent
    diagnostics: list[Diagnostic] = []
    try:
        text = read_rule_file(main_path)
    except (OSError, UnicodeDecodeError, TooLarge) as exc:
        return None, [error("SD213", f"cannot read rule file {path}: {_reason(exc)}")], sources
    return _load(text, display_path(main_path) if main_path.is_absolute() else str(path),
                 main_path.resolve(), root_path.resolve(), sources, diagnostics, read_rule_file)


def load_text(text: str, file: str = "<input>", *, root: str | os.PathLike | None = None,
              sources: SourceMap | None = None,
              read: "Callable[[Path], str] | None" = None) -> tuple[Unit | None, list[Diagnostic], SourceMap]:
    """Compile text as if it were the file ``file`` (includes resolve next to it). ``read``
    gives the text of an included file by its resolved path (an editor passes the buffers it
    has open, and reads the rest from disk); it raises ``OSError`` for a file it cannot give."""
    sources = sources if sources is not None else SourceMap()
    here = Path(file).resolve()
    root_path = Path(root).resolve() if root is not None else here.parent
    return _load(text, file, here, root_path, sources, [], read or read_rule_file)


class TooLarge(Exception):
    """A rule file larger than :data:`~scoredsl.syntax.parser.MAX_SOURCE_BYTES`."""


def read_rule_file(path: Path) -> str:
    """The text of a rule file: UTF-8, a byte order mark at the start dropped. At most
    ``MAX_SOURCE_BYTES`` are read (``/dev/zero`` or a huge file is refused, not read to the end)."""
    with open(path, "rb") as file:
        data = file.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise TooLarge(f"it is larger than {MAX_SOURCE_BYTES:,} bytes")
    return data.decode("utf-8-sig")


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, TooLarge):
        return str(exc)
    return exc.strerror or str(exc)


def _load(text, display, real, root, sources, diagnostics, read):
    files: list[nodes.RuleFile] = []
    seen: set[Path] = set()
    incomplete = []     # a file that did not parse, or an include that could not be read

    def visit(text: str, display: str, real: Path, stack: tuple[Path, ...]) -> nodes.RuleFile | None:
        sources.add(display, text)
        tree, problems = parse(text, display)
        diagnostics.extend(problems)
        if tree is None:
            incomplete.append(display)
            return None
        seen.add(real)
        for inc in tree.includes:
            target, problem = _resolve(inc, display, real, root)
            if problem is not None:
                diagnostics.append(problem)
                incomplete.append(inc.path)
                continue
            if target in stack or target == real:
                diagnostics.append(error("SD211", f"include cycle: '{inc.path}' includes this file again",
                                         inc.span, "remove one of the includes"))
                incomplete.append(inc.path)
                continue
            if target in seen:
                continue
            if len(stack) >= MAX_INCLUDE_DEPTH:
                diagnostics.append(error("SD212", "includes are nested too deeply", inc.span))
                incomplete.append(inc.path)
                continue
            try:
                child_text = read(target)
            except (OSError, UnicodeDecodeError, TooLarge) as exc:
                diagnostics.append(error("SD213", f"cannot read included file '{inc.path}': {_reason(exc)}",
                                         inc.span))
                incomplete.append(inc.path)
                continue
            child_display = os.path.normpath(os.path.join(os.path.dirname(display), inc.path))
            visit(child_text, child_display, target, stack + (real,))
        files.append(tree)
        return tree

    main = visit(text, display, real, ())
    if main is None or incomplete:
        # checking a unit with a missing piece would only add noise (every name it declares
        # would be "unknown"), so the problems found so far are all that is reported
        return None, diagnostics, sources
    return Unit(main=main, files=tuple(files), root=str(root)), diagnostics, sources


def _resolve(inc: nodes.Include, display: str, real: Path, root: Path) -> tuple[Path | None, Diagnostic | None]:
    raw = inc.path
    if "\x00" in raw:
        return None, error("SD214", "an include path cannot hold a NUL character", inc.span)
    if not raw.endswith(".score"):
        return None, error("SD214", f"included file must end in .score: '{raw}'", inc.span)
    if os.path.isabs(raw) or raw.startswith(("/", "\\")) or (len(raw) > 1 and raw[1] == ":"):
        return None, error("SD214", f"include paths must be relative: '{raw}'", inc.span,
                           "write the path relative to this file")
    target = (real.parent / raw).resolve()
    try:
        target.relative_to(root)
    except ValueError:
        return None, error("SD215", f"'{raw}' is outside the project root {display_path(root)}", inc.span,
                           "move the shared file inside the project, or pass --root")
    if not target.is_file():
        return None, error("SD213", f"included file not found: '{raw}'", inc.span)
    return target, None

