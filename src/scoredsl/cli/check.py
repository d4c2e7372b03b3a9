"""``scoredsl check``: every problem in the rule files, with file:line:col, a caret and a hint."""

from __future__ import annotations

import os

import click

from scoredsl.cli.options import EXIT_FINDINGS, EXIT_OK, Failure, handle_errors, render_diagnostics, root_option
from scoredsl.compiler.pipeline import check_file
from scoredsl.compiler.sql.dialects import DIALECTS
from scoredsl.diagnostics import sort


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text",
              show_default=True, help="text for people, json for tools, github for workflow annotations, "
                                      "sarif for code-scanning tools.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--engine", "engines", multiple=True, type=click.Choice(DIALECTS), metavar="DIALECT",
              help="Also report what this SQL engine cannot run exactly (repeatable): "
                   + ", ".join(DIALECTS) + " (mysql also means MariaDB).")
@root_option
@handle_errors
def check(files, fmt, strict, engines, root):
    """Check rule files. Exit 0 when clean, 1 when there are errors (or warnings with --strict).

    Without FILES, every rule file of the project: below the folder of scoredsl.toml (or this
    folder), hidden folders and virtual environments aside. A file that defines no model is
    fine when another file of the same check includes it (a shared schema), so `scoredsl check
    models/*.score` checks a whole folder."""
    if not files:
        files = project_rule_files()
    diagnostics, failed = [], False
    checked = [(path, *check_file(path, root=root)) for path in files]
    # a file without a model that another file of this check includes is a part of that file
    # (a shared schema): `scoredsl check models/*.score` is clean when every model is
    included = {os.path.realpath(f) for path, _found, sources in checked
                for f in sources.texts() if os.path.realpath(f) != os.path.realpath(path)}
    for path, found, sources in checked:
        if os.path.realpath(path) in included:
            found = [d for d in found if d.code != "SD220"]
        if engines and not any(d.is_error for d in found):
            found = found + _engine_diagnostics(path, root, engines)
        diagnostics.extend(found)
        failed |= any(d.is_error for d in found) or (strict and bool(found))
        if fmt == "text" and found:
            click.echo(render_diagnostics(sort(found), sources, fmt), err=True)
    if fmt != "text":
        click.echo(render_diagnostics(sort(diagnostics), None, fmt))
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if fmt == "text":
        verdict = "failed" if failed else "ok"
        click.echo(f"{len(files)} file{'s' if len(files) != 1 else ''} checked: {errors} error"
                   f"{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''} "
                   f"({verdict})", err=True)
    raise SystemExit(EXIT_FINDINGS if failed else EXIT_OK)


def project_rule_files() -> tuple[str, ...]:
    """Every rule file of the project, as paths relative to this folder, in order."""
    from scoredsl.data import config as project_config      # (only without FILES)

    top = project_config.project_folder()
    files = tuple(os.path.relpath(path) for path in project_config.rule_files(top))
    if not files:
        raise Failure(f"no rule file (*.score) below {os.path.relpath(top)}; name the files to check")
    return files


def _engine_diagnostics(path, root, engines) -> list:
    from scoredsl.compiler.pipeline import compile_file
    from scoredsl.compiler.sql.generator import engine_diagnostics

    program = compile_file(path, root=root)
    found, seen = [], set()
    for dialect in engines:
        for model in program.ir.models:
            for diagnostic in engine_diagnostics(model, dialect):
                key = (diagnostic.code, diagnostic.message)
                if key not in seen:
                    seen.add(key)
                    found.append(diagnostic)
    return found
