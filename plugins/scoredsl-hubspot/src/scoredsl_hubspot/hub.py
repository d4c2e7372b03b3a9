"""What a HubSpot source and a HubSpot sink of the same portal share within one process.

* **One client per portal** (base URL, token variable, portal label): one pacer, so a run that
  reads and writes the same portal never exceeds the rate limit however the work is split
  between source and sink. The first source or sink opened for a portal sets its rate options.
* **Current values.** A sink registers the properties it writes when it is opened; a source of
  the same portal that reads contacts afterwards (``scoredsl run`` opens the sink before it
  reads) asks for those properties too and hands each contact's current values to the sink.
  An unchanged nightly run then costs the reads of the source and nothing else.
* **Incremental state.** A source that reads incrementally remembers where it stopped only when
  the run succeeded: a HubSpot sink of the same portal reports its commit here, and the
  source saves its state when it is closed after that.

:func:`reset` forgets everything (for tests).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable

import attrs

from .options import ClientSettings, read_token

if TYPE_CHECKING:      # the HTTP client (httpx) is imported when a client is made, not at registration
    from .client import HubSpotClient

__all__ = ["Portal", "client_for", "portal_for", "reset"]


@attrs.define(eq=False)
class Portal:
    key: tuple
    sink_properties: set[str] = attrs.field(factory=set)            # what an open sink writes
    current: dict[str, dict[str, str | None]] = attrs.field(factory=dict)   # contact -> values read
    current_from_search: bool = False      # values came through search (whose index may lag)
    sink_open: bool = False
    sink_committed: bool = False
    progress: object = None                 # the Progress shared by the portal's source and sink


_lock = threading.Lock()
_clients: dict[tuple, HubSpotClient] = {}
_portals: dict[tuple, Portal] = {}


def client_for(settings: ClientSettings, factory: Callable[[ClientSettings, str], HubSpotClient] | None = None
               ) -> HubSpotClient:
    """The shared client of ``settings.key``, created (reading the token) on first use."""
    with _lock:
        client = _clients.get(settings.key)
        if client is None:
            token = read_token(settings)
            if factory is None:
                from .client import HubSpotClient as factory
            client = factory(settings, token)
            _clients[settings.key] = client
        return client


def portal_for(settings: ClientSettings) -> Portal:
    with _lock:
        portal = _portals.get(settings.key)
        if portal is None:
            portal = _portals[settings.key] = Portal(settings.key)
        return portal


def reset() -> None:
    """Close every client and forget every portal."""
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
        _portals.clear()
