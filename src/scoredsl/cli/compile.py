"""``scoredsl compile``: show what a rule file compiles to."""

from __future__ import annotations

import click

from scoredsl.cli.options import (Failure, as_of_option, compile_or_fail, handle_errors, model_option, parse_as_of,
                                  root_option, select_models)
from scoredsl.check.ir import models_read
from scoredsl.compiler.sql.dialects import DIALECTS
from scoredsl.data.records import to_micros
from scoredsl.data.values import iso


@click.command("compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--emit", type=click.Choice(["python", "fold", "ir", "sql"]), default="python", show_default=True,
              help="python: the generated evaluator source; fold: each model as the accumulators the "
                   "python engine folds an unsorted source's events into; ir: the checked intermediate "
                   "form; sql: one query per model (see --dialect).")
@click.option("--dialect", type=click.Choice(DIALECTS), default="duckdb", show_default=True,
              help="The SQL dialect of --emit sql (mysql also serves MariaDB).")
@model_option
@as_of_option
@root_option
@handle_errors
def compile_(file, emit, dialect, models, as_of, root):
    """Print the generated Python evaluators (or the intermediate form, or SQL) of a rule file.

    The SQL reads the canonical tables described in the language reference ("Running on SQL
    engines") and has the as-of time written in, as every run does."""
    program = compile_or_fail(file, root)
    if emit == "sql":
        from scoredsl.compiler.sql.generator import model_sql
        from scoredsl.compiler.sql.dialects import SqlError
        when = to_micros(parse_as_of(as_of))
        for model in select_models(program, models):
            if model.subject == "company" or models_read(model.ir):
                # no query: the company stage runs these in Python on every engine
                reason = "scores companies" if model.subject == "company" else "reads its company's results"
                click.echo(f"-- model {model.name} ({model.version}) {reason}: it runs in the company stage, in "
                           "Python, whatever the engine; no SQL")
                continue
            try:
                text = model_sql(model.ir, program.schema, when, dialect, pretty=True)
            except SqlError as exc:
                raise Failure(f"model '{model.name}' cannot run on SQL engines: {exc}") from None
            click.echo(f"-- model {model.name} ({model.version}), as of {iso(parse_as_of(as_of))}, {dialect}")
            click.echo(text + ";")
    elif emit == "python":
        click.echo(program.python_source, nl=False)
    elif emit == "fold":
        for model in select_models(program, models):
            fold = model.folding()
            if fold is None:
                reason = ("it scores companies" if model.subject == "company" else
                          "an event filter reads more than its event (a property, a score, a function)")
                click.echo(f"# model {model.name}: no accumulators, {reason}; runs hold its events")
            else:
                click.echo(fold.source, nl=False)
    else:
        for model in program.ir.models:
            if model.scores_companies:
                click.echo(f"# model {model.name} scores companies (model {model.name} for company)")
            click.echo(repr(model))
