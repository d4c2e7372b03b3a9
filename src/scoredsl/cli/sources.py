"""Open sources and sinks for a command: names from scoredsl.toml or specs, with spec, config
and plugin problems turned into exit code 2."""

from __future__ import annotations

import warnings

import click

from scoredsl.cli.options import Failure
from scoredsl.data import config as project_config
from scoredsl.data.sinks import SinkError
from scoredsl.data.specs import SpecError, mask_known, redact
from scoredsl.plugins.manager import PluginWarning, open_sink, open_source
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

