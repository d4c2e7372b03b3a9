"""The scoredsl entry point of the HubSpot plugin: one source, one sink, one outcome source, two
actions, one lint, one command group. Everything else lives in the modules it names."""

from __future__ import annotations

from scoredsl.api import hookimpl

from .actions import CreateTask, SetProperty
from .commands import hubspot
from .lint import hubspot_data


# The source, the sink and the outcome source (and the HTTP client they use) are imported when
# one is opened, not when the plugin is registered: `scoredsl check` loads every plugin and
# opens none.
def open_source(*args, **kwargs):
    from .source import open_source as open_

    return open_(*args, **kwargs)


def open_sink(*args, **kwargs):
    from .sink import open_sink as open_

    return open_(*args, **kwargs)


def open_outcomes(*args, **kwargs):
    from .outcomes import open_outcomes as open_

    return open_(*args, **kwargs)


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
    registry.add("hubspot-property", SetProperty, "set a contact property to the new label: portal, property, values")
    registry.add("hubspot-task", CreateTask, "a task for the contact's owner: portal, subject, body, due, priority")
