"""The ``scoredsl`` command group."""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from . import check, compile as compile_cmd, explain, plugins_cmd, run


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="scoredsl")
def cli() -> None:
    """Lead scoring models as code: check, run, explain and compile rule files."""


cli.add_command(check.check)
cli.add_command(run.run)
cli.add_command(explain.explain)
cli.add_command(compile_cmd.compile_)
cli.add_command(plugins_cmd.plugins_)


def main() -> None:
    try:
        cli(prog_name="scoredsl")
    except BrokenPipeError:
        # the reader went away (``scoredsl run ... | head``): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
