"""The ``hubspot:`` outcome source: what became of a portal's contacts, from its deals, for
``scoredsl backtest --outcomes hubspot:PORTAL`` (and ``scoredsl diff``).

**Reading.** ``GET /crm/v3/objects/deals`` with ``limit=100``, the few properties below and
``associations=contacts``, following ``paging.next.after``: one request per 100 deals. A deal's
contacts come with it (``associations.contacts.results[].id``); HubSpot pages them after the
first 100, and the rest are read from ``GET /crm/v3/objects/deals/ID/associations/contacts``.

**Classifying.** HubSpot's calculated properties say where a deal stands, whatever its pipeline
and stage names: ``hs_is_closed_won`` ``"true"`` gives the outcome ``won``; ``hs_is_closed``
``"true"`` (and not won) gives ``lost``; an open deal gives nothing (its ``closedate`` is only
the expected close). ``at`` is the deal's ``closedate``. A closed deal with contacts but
without a ``closedate`` (or with one that is not a date) is a
:class:`~scoredsl.api.DataError` naming the deal: outcomes decide every metric, so none is
skipped.

**Contacts.** One outcome per deal and associated contact, under the contact's HubSpot record
id: the id the ``hubspot:`` source gives the contact, so outcomes and contacts join. HubSpot
lists a contact once per association label (``deal_to_contact``, then each custom label); it
counts once per deal. A deal without contacts gives nothing.

**Options.** The client options of the source (``base_url``, ``token_env``, rate limits,
retries, ``daily_limit``, ``progress``, ...), ``pipelines`` (deal pipeline ids, separated by
commas: only deals of these pipelines) and ``page_size``. Requests go through the portal's
shared client, so they are paced, retried (429, 5xx) and authenticated as the source's are,
and counted against the same limits when both read the same portal in one run.
"""

from __future__ import annotations

from typing import Any, Iterator

from scoredsl.api import DataError, Outcome, Spec, TypeSpec, outcome

from . import hub
from .client import HubSpotClient
from .errors import EXIT_ERROR, DailyLimitReached, HubSpotError, RunStopped
from .mapping import convert
from .options import OutcomeSettings, outcome_settings
from .progress import Progress

__all__ = ["open_outcomes", "DealOutcomes", "DEAL_PROPERTIES", "WON", "LOST"]

#: The deal properties the outcome source reads.
DEAL_PROPERTIES = ("dealname", "pipeline", "closedate", "hs_is_closed", "hs_is_closed_won")
WON, LOST = "won", "lost"
#: Associated contacts per request when a deal has more than the list endpoint returns.
ASSOCIATIONS_PAGE = 500
_WHEN = TypeSpec("datetime")
_FLAGS = {"true": True, "false": False}


def open_outcomes(spec: Spec) -> "DealOutcomes":
    """The outcomes of a ``hubspot:`` spec: options checked and the client made (reading the
    token) now; the deals are read when the result is iterated."""
    settings = outcome_settings(spec)
    return DealOutcomes(settings, hub.client_for(settings.client))


class DealOutcomes:
    """The outcomes of every closed deal with contacts, deal by deal (an iterable, read once per
    iteration). The counters say what the last iteration found."""

    def __init__(self, settings: OutcomeSettings, client: HubSpotClient):
        self.settings = settings
        self.client = client
        self.deals_read = 0
        self.won = 0
        self.lost = 0
        self.open = 0
        self.without_contacts = 0      # closed deals no contact is associated with
        self.other_pipelines = 0       # deals outside the pipelines option
        portal = hub.portal_for(settings.client)
        if portal.progress is None:
            progress = Progress(settings.client.portal, settings.client.progress)
            progress.requests = lambda: client.stats.requests
            portal.progress = progress
        self.progress: Progress = portal.progress  # type: ignore[assignment]

    def __iter__(self) -> Iterator[Outcome]:
        self.deals_read = self.won = self.lost = self.open = self.without_contacts = self.other_pipelines = 0
        try:
            for deal in self._deals():
                self.deals_read += 1
                self.progress.set("deals", self.deals_read)
                yield from self._outcomes(deal)
        except DailyLimitReached as exc:
            raise RunStopped(f"{self.settings.text}: {exc}. Stopped while reading deals. Run the same command "
                             "again after the reset.", EXIT_ERROR) from None
        except HubSpotError as exc:
            hint = ("; reading deals needs the private app's scope crm.objects.deals.read"
                    if exc.status == 403 else "")
            raise RunStopped(f"{self.settings.text}: {exc}{hint}", EXIT_ERROR) from None
        self.progress.say(self.summary())

    def summary(self) -> str:
        text = (f"  hubspot {self.settings.client.portal}: {self.deals_read:,} deals read: {self.won:,} won, "
                f"{self.lost:,} lost, {self.open:,} open")
        if self.without_contacts:
            text += f"; {self.without_contacts:,} closed without contacts (no outcome)"
        if self.other_pipelines:
            text += f"; {self.other_pipelines:,} in other pipelines"
        return text

    # ---------------------------------------------------------------- reading
    def _deals(self) -> Iterator[dict]:
        after = None
        last = None
        while True:
            params: dict[str, Any] = {"limit": self.settings.page_size, "properties": ",".join(DEAL_PROPERTIES),
                                      "associations": "contacts", "archived": "false"}
            if after:
                params["after"] = after
            what = "reading deals" if last is None else f"reading deals after deal {last}"
            body = self.client.request("GET", "/crm/v3/objects/deals", params=params, kind="list",
                                       what=what).body or {}
            for deal in body.get("results", ()):
                last = deal.get("id")
                yield deal
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def _contacts(self, deal_id: str, deal: dict) -> list[str]:
        """The ids of the deal's contacts, each once, in HubSpot's order."""
        block = (deal.get("associations") or {}).get("contacts") or {}
        found: dict[str, None] = {}
        while True:
            for item in block.get("results") or ():
                if isinstance(item, dict) and item.get("id") not in (None, ""):
                    found[str(item["id"])] = None
            after = ((block.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return list(found)
            block = self.client.request(
                "GET", f"/crm/v3/objects/deals/{deal_id}/associations/contacts",
                params={"after": after, "limit": ASSOCIATIONS_PAGE}, kind="associations",
                what=f"reading the contacts of deal {deal_id}").body or {}

    # ---------------------------------------------------------------- classifying
    def _outcomes(self, deal: dict) -> Iterator[Outcome]:
        deal_id = str(deal.get("id"))
        values = deal.get("properties") or {}
        if self.settings.pipelines and values.get("pipeline") not in self.settings.pipelines:
            self.other_pipelines += 1
            return
        won = self._flag(values, "hs_is_closed_won", deal_id)
        if not (won or self._flag(values, "hs_is_closed", deal_id)):
            self.open += 1
            return
        what = WON if won else LOST
        if won:
            self.won += 1
        else:
            self.lost += 1
        contacts = self._contacts(deal_id, deal)
        if not contacts:
            self.without_contacts += 1
            return
        when = self._closed_at(values, deal_id, what)
        where = f"{self.settings.text}, deal {deal_id}"
        for contact_id in contacts:
            yield outcome(contact_id, what, when, where=where)

    def _closed_at(self, values: dict, deal_id: str, what: str):
        raw = values.get("closedate")
        try:
            when = convert(raw, _WHEN)
        except DataError as problem:
            raise DataError(f"{_deal(deal_id, values)}: closedate {raw!r}: {problem.message}",
                            file=self.settings.text, column="closedate") from None
        if when is None:
            raise DataError(f"{_deal(deal_id, values)} is closed {what} but has no closedate; set its close date "
                            "in HubSpot", file=self.settings.text, column="closedate")
        return when

    def _flag(self, values: dict, name: str, deal_id: str) -> bool:
        raw = values.get(name)
        if raw in (None, ""):
            return False
        flag = _FLAGS.get(str(raw).strip().lower())
        if flag is None:
            raise DataError(f"{_deal(deal_id, values)}: {name} is {raw!r}, not true or false",
                            file=self.settings.text, column=name)
        return flag


def _deal(deal_id: str, values: dict) -> str:
    name = values.get("dealname")
    return f"deal {deal_id} ({name!r})" if name else f"deal {deal_id}"
