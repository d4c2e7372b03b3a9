"""Open sources and sinks for a command: names from scoredsl.toml or specs, with spec, config
and plugin problems turned into exit code 2."""

from __future__ import annotations

import os
import warnings

import click

from scoredsl.cli.options import Failure
from scoredsl.data import config as project_config
from scoredsl.check.ir import state_reads
from scoredsl.data.sinks import SinkError
from scoredsl.data.state import SqliteState, StateError
from scoredsl.data.specs import SpecError, mask_known, redact
from scoredsl.plugins.manager import PluginWarning, open_sink, open_source, open_store
from scoredsl.plugins.registries import PluginError


def config_option(f):
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True),
                        help="Project configuration with named sources and sinks (default: scoredsl.toml "
                             "in this directory or the nearest parent).")(f)


def load_config(path: str | None) -> project_config.Config:
    try:
        return project_config.load(path)
    except project_config.ConfigError as exc:
        raise Failure(str(exc)) from None


def _opening(kind: str, text: str, config: project_config.Config, opener):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        try:
            spec = config.spec(text, kind)
            return opener(spec)
        except (SpecError, PluginError, SinkError, project_config.ConfigError) as exc:
            raise Failure(f"cannot open {kind} '{spec_text(text, config, kind)}': {exc}") from None
        finally:
            for warning in caught:
                if issubclass(warning.category, PluginWarning):
                    click.echo(f"scoredsl: warning: {mask_known(str(warning.message))}", err=True)


def spec_text(text: str, config, kind: str) -> str:
    """How a message shows ``--source``/``--sink`` TEXT: a name from scoredsl.toml as it is, a
    spec with its secrets masked."""
    return text if text in (config.sources if kind == "source" else config.sinks) else redact(text)


def choose(kind: str, given: str | None, config: project_config.Config) -> str:
    """The --source/--sink to use: as given, else the config's default, else a usage error."""
    if given:
        return given
    default = config.default(kind)
    if default:
        return default
    raise click.UsageError(f"Missing option '--{kind}' (and no [defaults] {kind} in scoredsl.toml).")


def open_source_for(spec: str, schema, config: project_config.Config | None = None):
    config = config or project_config.Config(path=None)
    return _opening("source", spec, config, lambda s: open_source(s, schema))


def open_sink_for(spec: str, config: project_config.Config | None = None):
    config = config or project_config.Config(path=None)
    return _opening("sink", spec, config, open_sink)


def state_options(f):
    f = click.option("--no-state", is_flag=True,
                     help="Read and record no state: every contact is new to this run, and nothing is "
                          "remembered.")(f)
    return click.option("--state", "state_path", type=click.Path(dir_okay=False), metavar="FILE",
                        help="The state store, a SQLite file (default: [state] of scoredsl.toml, or "
                             "scoredsl-state.sqlite next to it; none without a scoredsl.toml). See "
                             "docs/state.md.")(f)


def open_state(config, path: str | None, off: bool, models, transitions_spec: str | None = None,
               create: bool = True):
    """The run's state store, or ``None``; a Failure when the models need one and there is none."""
    if off:
        if transitions_spec is not None:
            raise Failure("--transitions needs state: it compares this run with the previous one; drop --no-state")
        return None
    url = path if path is not None and "://" in path else (None if path is not None else _state_url(config))
    if url is not None:
        try:
            return open_store(url, config.state_keep())
        except (SpecError, StateError, PluginError) as exc:
            raise Failure(f"state: {exc}") from None
    path = path or config.state_path()
    if path is None:
        readers = [m.name for m in models if state_reads(m.ir)]
        if readers or transitions_spec is not None:
            what = (f"model {', '.join(readers)} reads the previous run" if readers
                    else "--transitions compares this run with the previous one")
            raise Failure(f"{what}, but this run keeps no state\n  hint: give --state FILE, or add a scoredsl.toml "
                          "(state is kept next to it), or pass --no-state to score every contact as new")
        return None
    if not create and not os.path.exists(path):
        return None                 # nothing recorded yet: every contact is new
    try:
        return SqliteState(path, keep=config.state_keep(), create=create)
    except StateError as exc:
        raise Failure(str(exc)) from None


def _state_url(config) -> str | None:
    try:
        return config.state_url()
    except project_config.ConfigError as exc:
        raise Failure(str(exc)) from None
