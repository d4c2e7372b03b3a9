"""The ``scoredsl`` command group: its own commands, then the ones plugins add."""

from __future__ import annotations

import importlib
import os
import sys
import warnings

import click

#: Each built-in command and where it lives. A command's module (and what it needs: DuckDB,
#: SQLGlot, the engines) is imported only when that command runs, so `scoredsl check` starts
#: without loading what `scoredsl run` needs.
BUILTIN = {
    "backtest": "scoredsl.cli.backtest:backtest",
    "check": "scoredsl.cli.check:check",
    "run": "scoredsl.cli.run:run",
    "explain": "scoredsl.cli.explain:explain",
    "compile": "scoredsl.cli.compile:compile_",
    "plugins": "scoredsl.cli.plugins_cmd:plugins_",
    "fmt": "scoredsl.cli.fmt:fmt",
    "test": "scoredsl.cli.test:test",
    "diff": "scoredsl.cli.diff:diff",
    "history": "scoredsl.cli.history:history",
    "init": "scoredsl.cli.init:init",
    "lsp": "scoredsl.cli.lsp:lsp",
}


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
        own = sorted(BUILTIN)
        return own + sorted(set(self._plugin_commands()) - set(own))

    def get_command(self, ctx, name):
        where = BUILTIN.get(name)
        if where is not None:
            module, attribute = where.split(":")
            return getattr(_imported(module), attribute)
        return self._plugin_commands().get(name)


def _imported(module: str):
    """The command's module. In the ``scoredsl`` process itself (:func:`main`), imported with
    the cyclic garbage collector paused, then frozen (``gc.freeze``): importing builds thousands
    of functions and classes that live as long as the process, which the collector would walk
    again and again, during the imports and in every later collection. (Not where the command
    line is called inside another program, such as a test: freezing its objects would keep
    its garbage forever.)"""
    if not _in_own_process:
        return importlib.import_module(module)
    import gc

    from scoredsl.data.collector import collector_paused

    with collector_paused():
        found = importlib.import_module(module)
    gc.freeze()
    return found


_in_own_process = False


def _version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from scoredsl import __version__        # (read from the metadata only now)

        click.echo(f"scoredsl, version {__version__}")
        ctx.exit()


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit.")
def cli() -> None:
    """Lead scoring models as code: check, run, explain and compile rule files."""


def main() -> None:
    global _in_own_process
    _in_own_process = True
    try:
        cli(prog_name="scoredsl")
    except BrokenPipeError:
        # the reader went away (``scoredsl run ... | head``): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
