"""``scoredsl test``: run the test cases that live next to the models (``*.test.toml``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from scoredsl.cli.options import EXIT_FINDINGS, EXIT_OK, Failure, handle_errors
from scoredsl.data.sinks import AtomicFile
from scoredsl.diagnostics import render_text
from scoredsl.modeltests.cases import SUFFIX, Programs, discover, load_suite
from scoredsl.modeltests.render import render_coverage, render_text as render_report, to_json, to_junit
from scoredsl.modeltests.runner import run_suites


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="text for people, json for tools, junit (JUnit XML) for CI test reports.")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the report to FILE instead of stdout (the summary line still goes to stderr).")
@click.option("--coverage", is_flag=True,
              help="Report which scopes, disqualifiers, rules, bands and tier labels no case exercised.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="Fail (exit 1) when coverage of all models is below PERCENT. Implies --coverage.")
@click.option("-k", "--match", "match", metavar="TEXT", help="Run only the cases whose name contains TEXT.")
@handle_errors
def test(paths, fmt, output, coverage, min_coverage, match):
    """Run the test cases of PATHS: *.test.toml files, or directories searched for them
    (default: the current directory). Exit 0 when every case passes, 1 when a case fails,
    a test file has a mistake, or coverage is below --min-coverage."""
    paths = paths or (".",)
    files = discover(paths)
    if not files:
        raise Failure(f"no *{SUFFIX} files in {', '.join(paths)}", EXIT_FINDINGS)
    programs = Programs()
    suites = [load_suite(path, programs) for path in files]
    shown = set()
    for suite in suites:  # rule-file errors, as scoredsl check shows them (once per rule file)
        if suite.compile_error is not None and id(suite.compile_error) not in shown:
            shown.add(id(suite.compile_error))
            click.echo(render_text(suite.compile_error.diagnostics, suite.compile_error.sources), err=True)
    report = run_suites(suites, match=match)
    coverage = coverage or min_coverage is not None
    if fmt == "json":
        text = json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "junit":
        text = to_junit(report)
    else:
        text = render_report(report, coverage=coverage) + "\n"
    if output is not None:
        _write(Path(output), text)
        click.echo(report.summary(), err=True)
    else:
        click.echo(text, nl=False)
    if coverage and fmt == "junit":
        click.echo(render_coverage(report.coverage), err=True)
    failed = not report.ok
    if min_coverage is not None and report.coverage.below(min_coverage):
        click.echo(f"coverage {report.coverage.percent:.1f}% is below --min-coverage {min_coverage:g}%", err=True)
        failed = True
    raise SystemExit(EXIT_FINDINGS if failed else EXIT_OK)


def _write(path: Path, text: str) -> None:
    """Write as every sink does (:class:`~scoredsl.data.sinks.AtomicFile`): atomically, with the
    permissions of the report it replaces or those the umask gives a new file, into a special
    file as it is; a failed write leaves the previous report untouched."""
    try:
        out = AtomicFile(path)
        try:
            out.file.write(text)
        except BaseException:
            out.abort()
            raise
        out.commit()
    except OSError as exc:
        raise Failure(f"cannot write {path}: {exc.strerror or exc}") from None
