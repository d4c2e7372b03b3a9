"""Open sources and sinks for a command, turning spec and plugin problems into exit code 2."""

from __future__ import annotations

import warnings

import click

from ..plugins import PluginError, PluginWarning, SpecError, open_sink, open_source
from ..sinks import ModelInfo, RunInfo, SinkError
from .options import Failure


def _opening(kind: str, spec: str, opener):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        try:
            return opener()
        except (SpecError, PluginError, SinkError) as exc:
            raise Failure(f"cannot open {kind} '{spec}': {exc}") from None
        finally:
            for warning in caught:
                if issubclass(warning.category, PluginWarning):
                    click.echo(f"scoredsl: warning: {warning.message}", err=True)


def open_source_for(spec: str, schema):
    return _opening("source", spec, lambda: open_source(spec, schema))


def open_sink_for(spec: str):
    return _opening("sink", spec, lambda: open_sink(spec))


def run_info(models, as_of) -> RunInfo:
    return RunInfo(as_of=as_of, models=[ModelInfo(name=m.name, scores=m.score_names, tiers=m.tier_names,
                                                  version=m.version) for m in models])
