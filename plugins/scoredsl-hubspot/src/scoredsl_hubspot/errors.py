"""What can go wrong talking to HubSpot, as exceptions with messages for people.

No message ever contains the access token: the client builds messages from HubSpot's answer
and its own words, and :func:`redact` removes the token from anything else before it is shown.

:class:`RunStopped` is what a run that cannot go on raises out of a source or a sink: it is a
:class:`click.ClickException`, so ``scoredsl run`` prints its message (without a traceback and
without "internal error") and exits with its code. See the report of this plugin for the core
change that would make this unnecessary.
"""

from __future__ import annotations

from typing import Any

import click

from scoredsl.api import SinkError

__all__ = ["HubSpotError", "DailyLimitReached", "RequestFailed", "AmbiguousWrite", "RunStopped",
           "EXIT_FINDINGS", "EXIT_ERROR"]

EXIT_FINDINGS, EXIT_ERROR = 1, 2


class HubSpotError(Exception):
    """HubSpot answered with an error (or not at all); the message is safe to show."""

    def __init__(self, message: str, *, status: int | None = None, category: str | None = None,
                 correlation_id: str | None = None, body: Any = None):
        self.status = status
        self.category = category
        self.correlation_id = correlation_id
        self.body = body
        super().__init__(message)


class DailyLimitReached(HubSpotError):
    """The portal's daily API limit is used up (a 429 with policy DAILY, or the client's own
    daily budget): stop, do not retry."""


class RequestFailed(HubSpotError):
    """A request that still failed after every retry (5xx, connection errors)."""


class AmbiguousWrite(HubSpotError):
    """A write whose outcome is unknown (the connection broke, or a 5xx came back, after the
    request was sent): HubSpot may or may not have applied it. The caller re-reads and decides."""


class RunStopped(SinkError, click.ClickException):
    """A HubSpot source or sink cannot go on: printed as ``scoredsl: MESSAGE``, exit code
    ``exit_code`` (1 when HubSpot rejected records, 2 when the run could not be completed)."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR):
        click.ClickException.__init__(self, message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"scoredsl: {self.format_message()}", err=True)


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    if secret and len(secret) >= 4:
        return text.replace(secret, "***")
    return text
