"""``scoredsl compile``: show what a rule file compiles to."""

from __future__ import annotations

import click

from .options import compile_or_fail, handle_errors, root_option


@click.command("compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--emit", type=click.Choice(["python", "ir"]), default="python", show_default=True,
              help="python: the generated evaluator source; ir: the checked intermediate form.")
@root_option
@handle_errors
def compile_(file, emit, root):
    """Print the generated Python evaluators (or the intermediate form) of a rule file."""
    program = compile_or_fail(file, root)
    if emit == "python":
        click.echo(program.python_source, nl=False)
    else:
        for model in program.ir.models:
            click.echo(repr(model))
