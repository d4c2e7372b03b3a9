"""Test helpers that users of the plugin can use too: a fake HubSpot server and a generated
portal (contacts, events and deals). See :mod:`scoredsl_hubspot.testing.fake` and
:mod:`scoredsl_hubspot.testing.portal`."""

from .fake import FakeHubSpot, Recorded
from .portal import AS_OF, Portal, generate_deals, generate_portal

__all__ = ["FakeHubSpot", "Recorded", "Portal", "generate_portal", "generate_deals", "AS_OF"]
