"""The scoredsl entry point of the HubSpot plugin: one source, one sink, one outcome source, two
actions, one lint, one command group. Everything else lives in the modules it names."""

from __future__ import annotations

import click

from scoredsl.api import hookimpl

from .lint import hubspot_data


# The source, the sink, the outcome source, the actions and the commands (and the HTTP client
# they use) are imported when one is opened or run, not when the plugin is registered:
# `scoredsl check` loads every plugin, runs its lints and opens none.
def open_source(*args, **kwargs):
    from .source import open_source as open_

    return open_(*args, **kwargs)


def open_sink(*args, **kwargs):
    from .sink import open_sink as open_

    return open_(*args, **kwargs)


def open_outcomes(*args, **kwargs):
    from .outcomes import open_outcomes as open_

    return open_(*args, **kwargs)


def set_property(options):
    from .actions import SetProperty

    return SetProperty(options)


def create_task(options):
    from .actions import CreateTask

    return CreateTask(options)


class _Commands(click.Group):
    """``scoredsl hubspot``: the group of :mod:`scoredsl_hubspot.commands`, imported when used."""

    def _group(self) -> click.Group:
        from .commands import hubspot as group

        return group

    def list_commands(self, ctx):
        return self._group().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._group().get_command(ctx, name)


hubspot = _Commands("hubspot", help="HubSpot: create the score properties, check a rule file against HubSpot data.")


@hookimpl
def scoredsl_register_sources(registry) -> None:
    registry.add("hubspot", open_source, "contacts (and events) of a HubSpot portal: hubspot:PORTAL?since=...")


@hookimpl
def scoredsl_register_sinks(registry) -> None:
    registry.add("hubspot", open_sink, "scores and tiers written into HubSpot contact properties: hubspot:PORTAL")


@hookimpl
def scoredsl_register_outcomes(registry) -> None:
    registry.add("hubspot", open_outcomes, "won and lost deals of a HubSpot portal, per associated contact: "
                 "hubspot:PORTAL")


@hookimpl
def scoredsl_register_lints(registry) -> None:
    registry.add("hubspot-data", hubspot_data,
                 "HS101-HS104: rules that need data the project's hubspot: source cannot provide")


@hookimpl
def scoredsl_register_commands(registry) -> None:
    registry.add(hubspot)


@hookimpl
def scoredsl_register_actions(registry) -> None:
    registry.add("hubspot-property", set_property, "set a contact property to the new label: portal, property, values")
    registry.add("hubspot-task", create_task, "a task for the contact's owner: portal, subject, body, due, priority")
