"""``scoredsl plugins``: what is installed, and what each plugin provides."""

from __future__ import annotations

import json
import warnings

import click

from scoredsl.plugins import manager as registry


@click.command("plugins")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def plugins_(fmt):
    """List installed plugins with their version and the sources, sinks, actions, functions and
    lints they provide. Broken plugins are listed with the reason they were skipped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", registry.PluginWarning)
        versions = registry.plugin_versions()
        kinds = ("sources", "sinks", "stores", "actions", "functions", "lints", "commands")
        provided: dict[str, dict[str, list]] = {name: {k: [] for k in kinds} for name in versions}
        for kind, entries in (("sources", registry.source_registry().entries),
                              ("sinks", registry.sink_registry().entries),
                              ("stores", registry.store_registry().entries),
                              ("actions", registry.action_registry().entries),
                              ("functions", registry.function_registry().entries),
                              ("lints", registry.lint_registry().entries),
                              ("commands", registry.command_registry().entries)):
            for key, entry in entries.items():
                item = {"name": key, "description": entry.description}
                if kind == "functions":
                    item["signature"] = (f"{key}({', '.join(str(p) for p in entry.params)}) -> "
                                         f"{entry.returns}")
                provided.setdefault(entry.plugin, {k: [] for k in kinds})
                provided[entry.plugin][kind].append(item)
        broken = registry.broken_plugins()
    names = sorted(provided)
    kinds = ("sources", "sinks", "stores", "actions", "functions", "lints", "commands")
    if fmt == "json":
        click.echo(json.dumps({"plugins": [{"name": n, "version": versions.get(n, ""), **provided[n]}
                                           for n in names],
                               "broken": [{"name": n, "reason": r} for n, r in sorted(broken.items())]},
                              indent=2))
        return
    for name in names:
        click.echo(f"{name} {versions.get(name, '')}".rstrip())
        for kind in kinds:
            for item in provided[name][kind]:
                label = item.get("signature", item["name"])
                click.echo(f"  {kind[:-1]:<8} {label:<32} {item['description']}")
    for name, reason in sorted(broken.items()):
        click.echo(f"{name} (broken: {reason})")
