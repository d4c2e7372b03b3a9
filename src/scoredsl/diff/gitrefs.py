"""Compile a rule file from the working tree or from a git ref (``origin/main:model.score``).

A rule file at a ref is compiled from a temporary copy of the ref's ``.score`` files below the
project root (the rule file's directory, or ``--root``), laid out as in the repository, so
includes resolve within the ref's tree exactly as they would in a checkout, with the same
project-root rule. The copy is made with ``git ls-tree`` and ``git cat-file`` (no checkout,
no change to the working tree or the index) and removed once the file is compiled. Spans
and diagnostics name the files as ``REF:path`` instead of the temporary copy.

Paths in ``REF:PATH`` follow git: relative to the top of the repository, or to the current
directory when they start with ``./`` or ``../``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

import attrs

from scoredsl.compiler.pipeline import compile_file
from scoredsl.diagnostics import CompileError
from scoredsl.diff.model import RuleSet
from scoredsl.syntax.loader import display_path


class GitError(Exception):
    """Git is missing, the directory is not in a repository, or a ref or path does not exist."""


class MissingAtRef(GitError):
    """The rule file does not exist at the ref (a file the change adds)."""


@attrs.frozen
class RefPath:
    ref: str
    path: str           # as given after the colon


def parse_target(text: str) -> str | RefPath:
    """A working-tree path (when it exists, or has no colon), else ``REF:PATH``."""
    if os.path.exists(text) or ":" not in text:
        return text
    ref, _colon, path = text.partition(":")
    if not ref or not path or (len(ref) == 1 and ref.isalpha() and os.name == "nt"):
        return text
    return RefPath(ref, path)


def load(text: str, *, root: str | None = None) -> RuleSet:
    """Compile ``text`` (a path or ``REF:PATH``); :class:`CompileError` or :class:`GitError`."""
    target = parse_target(text)
    if isinstance(target, RefPath):
        return load_at_ref(target.ref, target.path, root=root, cwd_relative=target.path.startswith(("./", "../")))
    if not os.path.isfile(text):
        raise GitError(f"no such rule file: {text}" + ("" if ":" in text else
                                                       " (a file at a git ref is written REF:PATH)"))
    program = compile_file(text, root=root)
    return RuleSet(program=program, label=text)


def load_base(ref: str, path: str, *, root: str | None = None) -> RuleSet:
    """The working-tree file ``path`` as it is at ``ref``: an empty side when the file is new."""
    if not os.path.isfile(path):
        raise GitError(f"no such rule file: {path}")
    top = toplevel(os.path.dirname(os.path.abspath(path)))
    rel = _inside(top, path, "the rule file")
    try:
        return load_at_ref(ref, rel, root=root, top=top)
    except MissingAtRef:
        return RuleSet(program=None, label=f"{ref}:{rel}", commit=resolve(ref, top))


def load_at_ref(ref: str, path: str, *, root: str | None = None, top: str | None = None,
                cwd_relative: bool = False) -> RuleSet:
    top = top or toplevel(os.getcwd())
    if cwd_relative:
        rel = _inside(top, path, "the rule file")
    else:
        rel = str(PurePosixPath(os.path.normpath(path.replace(os.sep, "/")))).lstrip("/")
        if rel.startswith(".."):
            raise GitError(f"{ref}:{path} is outside the repository")
    rel_root = _inside(top, root, "--root") if root is not None else str(PurePosixPath(rel).parent)
    commit = resolve(ref, top)
    label = f"{ref}:{rel}"
    entries = _tree(top, commit, [rel_root, rel])
    if rel not in {path for _mode, _kind, path in entries}:
        raise MissingAtRef(f"{rel} does not exist at {ref}")
    with tempfile.TemporaryDirectory(prefix="scoredsl-ref-") as tmp:
        _materialise(top, entries, tmp)
        prefix = display_path(Path(tmp))
        main = os.path.join(tmp, *rel.split("/"))
        base = os.path.join(tmp, *rel_root.split("/")) if rel_root not in ("", ".") else tmp

        def relabel(file: str) -> str:
            if file.startswith(prefix + os.sep):
                return f"{ref}:{file[len(prefix) + 1:].replace(os.sep, '/')}"
            return file

        try:
            program = compile_file(main, root=base)
        except CompileError as exc:
            raise _relabelled(exc, relabel) from None
    return RuleSet(program=program, label=label, relabel=relabel, commit=commit)


# ------------------------------------------------------------------ git

def _git(args: list[str], cwd: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (needed to read a rule file at a git ref)") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def toplevel(directory: str) -> str:
    try:
        out = _git(["rev-parse", "--show-toplevel"], directory or ".")
    except GitError as exc:
        raise GitError(f"{os.path.abspath(directory or '.')} is not in a git repository ({exc})") from None
    return out.decode("utf-8").strip()


def resolve(ref: str, top: str) -> str:
    """The commit ``ref`` names (full hash); :class:`GitError` if none."""
    if ref.startswith("-"):
        raise GitError(f"'{ref}' is not a git ref")
    try:
        return _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                    top).decode().strip()
    except GitError:
        raise GitError(f"'{ref}' is not a commit in the repository at {top} "
                       "(in CI, fetch it first: git fetch origin BRANCH)") from None


def _inside(top: str, path: str, what: str) -> str:
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(top))
    if rel == ".." or rel.startswith(".." + os.sep):
        raise GitError(f"{what} {path} is outside the repository at {top}")
    return "" if rel == "." else rel.replace(os.sep, "/")


def _tree(top: str, commit: str, paths: list[str]) -> list[tuple[str, str, str]]:
    """(mode, object, path) of the .score files (and links) below ``paths`` at ``commit``."""
    args = ["ls-tree", "-r", "-z", "--full-tree", commit]
    if not any(p in ("", ".") for p in paths):     # else: the whole tree
        args += ["--", *sorted(set(paths))]
    out = _git(args, top)
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _tab, name = record.partition(b"\t")
        mode, kind, obj = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape")
        if kind == "blob" and path.endswith(".score"):
            entries.append((mode, obj, path))
    return sorted(set(entries), key=lambda e: e[2])


def _materialise(top: str, entries, tmp: str) -> None:
    if not entries:
        return
    batch = _git(["cat-file", "--batch"], top, "".join(f"{obj}\n" for _m, obj, _p in entries).encode())
    offset = 0
    for mode, obj, path in entries:
        header_end = batch.index(b"\n", offset)
        size = int(batch[offset:header_end].split()[2])
        content = batch[header_end + 1:header_end + 1 + size]
        offset = header_end + 1 + size + 1
        target = os.path.join(tmp, *path.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if mode == "120000":       # a symbolic link: the loader resolves it and applies the root rule
            os.symlink(os.fsdecode(content), target)
        else:
            with open(target, "wb") as f:
                f.write(content)


# ------------------------------------------------------------------ diagnostics at a ref

class _RelabelledSources:
    """Source lines by the names diagnostics show (``REF:path``) instead of the temporary copy."""

    def __init__(self, sources, names: dict[str, str]):
        self.sources, self.names = sources, names

    def line(self, file: str, line: int):
        return self.sources.line(self.names.get(file, file), line)


def _relabelled(exc: CompileError, relabel) -> CompileError:
    names = {}
    diagnostics = []
    for d in exc.diagnostics:
        if d.span is not None:
            shown = relabel(d.span.file)
            names[shown] = d.span.file
            d = attrs.evolve(d, span=attrs.evolve(d.span, file=shown))
        diagnostics.append(d)
    return CompileError(diagnostics, _RelabelledSources(exc.sources, names))


__all__ = ["GitError", "MissingAtRef", "RefPath", "parse_target", "load", "load_base", "load_at_ref",
           "toplevel", "resolve"]
