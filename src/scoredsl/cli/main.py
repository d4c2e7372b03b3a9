"""The ``scoredsl`` command group: its own commands, then the ones plugins add."""

from __future__ import annotations

import os
import sys
import warnings

import click

from scoredsl import __version__
from scoredsl.cli import (check, compile as compile_cmd, diff as diff_cmd, explain, fmt, history, init, lsp,
                          plugins_cmd, run, test)


class Commands(click.Group):
    """Built-in commands, then the commands of plugins (loaded only when the CLI needs them)."""

    def _plugin_commands(self) -> dict:
        from scoredsl.plugins.manager import PluginWarning, command_registry
        from scoredsl.plugins.registries import PluginError

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PluginWarning)
            try:
                return {name: entry.command for name, entry in command_registry().entries.items()}
            except PluginError:  # a broken built-in: the built-in commands still work
                return {}

    def list_commands(self, ctx):
        own = super().list_commands(ctx)
        return own + sorted(set(self._plugin_commands()) - set(own))

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._plugin_commands().get(name)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="scoredsl")
def cli() -> None:
    """Lead scoring models as code: check, run, explain and compile rule files."""


cli.add_command(check.check)
cli.add_command(run.run)
cli.add_command(explain.explain)
cli.add_command(compile_cmd.compile_)
cli.add_command(plugins_cmd.plugins_)
cli.add_command(fmt.fmt)
cli.add_command(test.test)
cli.add_command(diff_cmd.diff)
cli.add_command(history.history)
cli.add_command(init.init)
cli.add_command(lsp.lsp)


def main() -> None:
    try:
        cli(prog_name="scoredsl")
    except BrokenPipeError:
        # the reader went away (``scoredsl run ... | head``): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
