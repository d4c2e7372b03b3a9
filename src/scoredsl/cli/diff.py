"""``scoredsl diff``: what a change to a rule file does, before it merges.

``scoredsl diff OLD NEW`` (each a rule file or ``REF:PATH``) or ``scoredsl diff --base REF
FILE`` lists the semantic changes of every model and, with a source, scores the same
contacts with both sides: status and tier transitions, score distributions and the top
movers with the rules that moved them. ``--fail-on`` guards exit 1 when a change moves more
than a team accepts. See ``docs/workflow.md``.
"""

from __future__ import annotations

import json

import click

from scoredsl.cli.backtest import Backtesting, outcome_options
from scoredsl.cli.options import (EXIT_FINDINGS, Failure, as_of_option, handle_errors, model_option, parse_as_of,
                                  root_option)
from scoredsl.cli.sources import config_option, load_config, open_source_for
from scoredsl.compiler.model import EvaluationError
from scoredsl.data.records import DataError
from scoredsl.data.sinks import AtomicFile
from scoredsl.diagnostics import CompileError, render_text
from scoredsl.diff.gitrefs import GitError, load, load_base
from scoredsl.diff.impact import GUARD_FORM, GuardError, check_guards, compare, parse_guard, validate_guards
from scoredsl.diff.model import diff as model_diff
from scoredsl.diff.report import RENDERERS, Report, render_html, to_json


@click.command()
@click.argument("files", nargs=-1, metavar="OLD NEW | --base REF FILE")
@click.option("--base", metavar="REF",
              help="Compare FILE as it is at git REF (e.g. origin/main) with the working tree.")
@click.option("--source", "source_spec", metavar="SPEC",
              help="Contacts to score with both sides: a spec like csv:examples/b2b_saas/data, or the name "
                   "of a source in scoredsl.toml. Without one (and no default), only the model changes "
                   "are reported.")
@model_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for people (with charts), markdown for a pull-request comment, json for tools.")
@click.option("--html", "html_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also write a self-contained HTML report with histograms to FILE.")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True, metavar="N",
              help="Top movers to show per score (0: none).")
@click.option("--fail-on", "fail_on", multiple=True, metavar="EXPR",
              help=f"Exit 1 when the change moves more than this (repeatable): {GUARD_FORM}, e.g. "
                   "tier-change>5%, lifecycle-change>2%, score-change>10, status-change>0.")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="fail: stop at the first bad row; skip: skip it and count it.")
@outcome_options(required=False)
@root_option
@config_option
@handle_errors
def diff(files, base, source_spec, models, as_of, fmt, html_path, top, fail_on, on_error, root, config_path,
         **asked):
    """Show what changing a rule file does: model changes, tier moves, score shifts, top movers.

    OLD and NEW are rule files or REF:PATH (origin/main:examples/b2b_saas/model.score);
    with --base REF, the one FILE is compared at REF and in the working tree.
    """
    if base is not None and len(files) != 1:
        raise click.UsageError("with --base REF, give exactly one rule FILE")
    if base is None and len(files) != 2:
        raise click.UsageError("give OLD and NEW rule files (or REF:PATH), or --base REF FILE")
    try:
        guards = [parse_guard(text) for text in fail_on]
    except GuardError as exc:
        raise click.BadParameter(str(exc), param_hint="--fail-on") from None
    when = parse_as_of(as_of)
    config = load_config(config_path)
    source_spec = source_spec or config.default("source")
    if asked["outcomes_path"] and source_spec is None:
        raise click.UsageError("--outcomes needs contacts to score: give --source (or a default source in "
                               "scoredsl.toml)")
    if guards and source_spec is None:
        raise click.UsageError("--fail-on needs contacts to score: give --source (or a default source in "
                               "scoredsl.toml)")
    old, new = _load(files, base, root)
    known = set(old.models) | set(new.models)
    unknown = [name for name in models if name not in known]
    if unknown:
        raise click.BadParameter(f"no model named {', '.join(unknown)}; the files define "
                                 f"{', '.join(sorted(known)) or 'none'}", param_hint="--model")
    try:
        validate_guards(guards, old, new, models)
    except GuardError as exc:
        raise click.BadParameter(str(exc), param_hint="--fail-on") from None

    changes = model_diff(old, new, models)
    impact = None
    if source_spec is not None:
        if as_of is None:
            click.echo(f"scoredsl diff: scoring as of now ({when:%Y-%m-%dT%H:%M:%SZ}); pass --as-of for a "
                       "reproducible report", err=True)
        try:
            impact = compare(old, new, lambda schema: open_source_for(source_spec, schema, config), when,
                             models=models, top=top, on_error=on_error)
        except DataError as exc:
            raise Failure(f"bad data: {exc.describe()}\n  (use --on-error skip to skip bad rows)",
                          EXIT_FINDINGS) from None
        except EvaluationError as exc:
            raise Failure(_relabel_error(exc, old, new)) from None
    backtests = _backtests(old, new, models, source_spec, config, on_error, asked) if asked["outcomes_path"] else []
    report = Report(diff=changes, impact=impact, guards=tuple(check_guards(guards, impact)) if impact else ())
    click.echo(_with_backtests(report, fmt, backtests), nl=False)
    if html_path:
        out = AtomicFile(html_path)
        try:
            out.file.write(_with_backtests(report, "html", backtests))
            out.commit()
        except BaseException:
            out.abort()
            raise
    for result in report.tripped:
        click.echo(f"scoredsl: --fail-on '{result.guard.text}' tripped: {'; '.join(result.details)}", err=True)
    if report.tripped:
        raise SystemExit(EXIT_FINDINGS)


def _backtests(old, new, models, source_spec, config, on_error, asked) -> list[tuple]:
    """``(model, old result, new result)`` for every model of either side (or those chosen)."""
    asking = Backtesting.from_options(**asked)
    sides = [({} if s.program is None else s.program.models) for s in (old, new)]
    names = [n for n in dict.fromkeys(list(sides[1]) + list(sides[0])) if not models or n in models]

    def one(model):
        if model is None or not model.score_names:
            return None
        return asking.run(model, lambda schema: open_source_for(source_spec, schema, config), rules=False,
                          on_error=on_error)
    return [(name, one(sides[0].get(name)), one(sides[1].get(name))) for name in names]


def _with_backtests(report: Report, fmt: str, backtests) -> str:
    """The diff report in ``fmt`` (or ``html``), with the backtest of both sides added."""
    if fmt == "html":
        text = render_html(report)
    elif fmt == "json" and backtests:
        data = to_json(report)
    else:
        text = RENDERERS[fmt](report)
    if not backtests:
        return text
    from scoredsl.backtest import report as bt

    if fmt == "json":
        data["backtest"] = bt.comparison_json(backtests)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return text.replace("</body>", bt.render_comparison_html(backtests) + "</body>", 1)
    if fmt == "markdown":
        return text + bt.render_comparison_markdown(backtests)
    return text + bt.render_comparison_text(backtests)


def _load(files, base, root):
    if base is not None:
        return (_compiled(lambda: load_base(base, files[0], root=root), f"{files[0]} at {base}"),
                _compiled(lambda: load(files[0], root=root), files[0]))
    return (_compiled(lambda: load(files[0], root=root), files[0]),
            _compiled(lambda: load(files[1], root=root), files[1]))


def _compiled(loading, label):
    """Run ``loading``; git problems exit 2, rule-file errors are printed and exit 1."""
    try:
        return loading()
    except GitError as exc:
        raise Failure(str(exc)) from None
    except CompileError as exc:
        click.echo(render_text(exc.diagnostics, exc.sources), err=True)
        errors = sum(d.is_error for d in exc.diagnostics)
        raise Failure(f"{label} has {errors} error{'s' if errors != 1 else ''}; run 'scoredsl check' on it "
                      "before diffing", EXIT_FINDINGS) from None


def _relabel_error(exc: EvaluationError, old, new) -> str:
    text = str(exc)
    if exc.span is not None:
        shown = new.relabel(old.relabel(exc.span.file))
        text = text.replace(f"{exc.span.file}:", f"{shown}:", 1)
    return text
