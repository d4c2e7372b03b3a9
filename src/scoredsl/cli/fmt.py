"""``scoredsl fmt``: rewrite rule files in the canonical layout (``--check``, ``--diff``)."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

import click

from scoredsl.cli.options import EXIT_FINDINGS, EXIT_OK
from scoredsl.diagnostics import CompileError, render_text
from scoredsl.syntax.formatter import format_text


def _files(paths) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.score") if ".git" not in p.parts))
        else:
            found.append(path)
    return found


def _write_atomically(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print what would change as a unified diff.")
def fmt(paths, check, show_diff):
    """Format rule files (default: every .score file below the current directory)."""
    files = _files(paths or ["."])
    changed, failed = [], 0
    for path in files:
        try:
            original = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            click.echo(f"scoredsl: cannot read {path}: {exc}", err=True)
            failed += 1
            continue
        try:
            formatted = format_text(original, str(path))
        except CompileError as exc:
            click.echo(render_text(exc.diagnostics, exc.sources), err=True)
            failed += 1
            continue
        if formatted == original:
            continue
        changed.append(path)
        if show_diff:
            click.echo("".join(difflib.unified_diff(original.splitlines(True), formatted.splitlines(True),
                                                    f"{path} (original)", f"{path} (formatted)")), nl=False)
        elif check:
            click.echo(f"would reformat {path}", err=True)
        else:
            _write_atomically(path, formatted)
            click.echo(f"reformatted {path}", err=True)
    verb = "would be reformatted" if (check or show_diff) else "reformatted"
    summary = (f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}, "
               f"{len(files) - len(changed) - failed} unchanged")
    if failed:
        summary += f", {failed} could not be formatted"
    click.echo(summary, err=True)
    if failed or ((check or show_diff) and changed):
        raise SystemExit(EXIT_FINDINGS)
    raise SystemExit(EXIT_OK)
