"""Actions on transitions in HubSpot: set a contact property, or create a task for the
contact's owner, when a contact's tier changes (``[[actions]]`` in ``scoredsl.toml``).

```toml
[[actions]]
name = "stage-to-hubspot"
kind = "hubspot-property"
portal = "hubspot:acme"                     # as the source and sink name it (base_url, token_env)
property = "scoredsl_stage"                 # set to the new label ("" when there is none)
values = { SQL = "salesqualifiedlead" }     # optional: the value to write for a label

[[actions]]
name = "call-new-sqls"
kind = "hubspot-task"
portal = "hubspot:acme"
to = ["SQL"]
subject = "Call {name}: now {to}"           # {name} {email} {contact_id} {model} {tier} {from} {to} {as_of}
body = "Scored {to} by {model}.{tier} as of {as_of}."
due = "1d"                                  # after the transition's as-of (m, h, d, w)
priority = "HIGH"                           # LOW, MEDIUM, HIGH
```

Each is done once per transition. Setting a property is idempotent: doing it again after a
crash changes nothing. A task is created only after a search for the tasks this action already
created for this transition finds none: every task's body ends with a reference token made from
the action and the transition (``scoredsl ref sd...``), so a delivery repeated after a crash finds the
task it made. (HubSpot's search index trails writes by a few seconds: a repeat within those
seconds could still create a second task.) A contact that HubSpot no longer has is nothing to
act on: the delivery is done.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any, Mapping

from scoredsl.api import ActionError, SpecError, parse_spec

from .errors import HubSpotError
from .hub import client_for
from .options import client_settings

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
TASK_TO_CONTACT = 204            # HubSpot's association type: task to contact


def _client(options: Mapping[str, Any]):
    portal = options.get("portal")
    if not isinstance(portal, str) or not portal.startswith("hubspot:"):
        raise ActionError('portal = "hubspot:PORTAL" is required (with base_url and token_env as the source takes)')
    try:
        return client_for(client_settings(parse_spec(portal, "sink")))
    except (SpecError, HubSpotError) as exc:
        raise ActionError(str(exc)) from None


def _check(options: Mapping[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ActionError(f"unknown option(s) {', '.join(unknown)}; this kind takes {', '.join(known)}")


def _gone(exc: HubSpotError) -> bool:
    return getattr(exc, "status", None) == 404


class SetProperty:
    """``hubspot-property``: the contact's property set to the new label (or its mapped value)."""

    def __init__(self, options: Mapping[str, Any]):
        _check(options, ("portal", "property", "values"))
        prop = options.get("property")
        if not isinstance(prop, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", prop):
            raise ActionError('property = "NAME" is required: a HubSpot property\'s internal name')
        values = options.get("values", {})
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise ActionError("values is a table of labels to the values to write")
        self.property, self.values = prop, dict(values)
        self.client = _client(options)

    def deliver(self, payload: Mapping[str, Any], key: str) -> None:
        t = payload["transition"]
        value = "" if t["to"] is None else self.values.get(t["to"], t["to"])
        try:
            self.client.request("PATCH", f"/crm/v3/objects/contacts/{t['contact_id']}", kind="update", write=True,
                                json_body={"properties": {self.property: value}},
                                what=f"setting {self.property} of contact {t['contact_id']}")
        except HubSpotError as exc:
            if _gone(exc):
                return
            raise ActionError(str(exc)) from None


class CreateTask:
    """``hubspot-task``: a task for the contact's owner, associated with the contact."""

    def __init__(self, options: Mapping[str, Any]):
        _check(options, ("portal", "subject", "body", "due", "priority"))
        self.subject = options.get("subject", "{name}: {from} → {to} ({tier})")
        self.body = options.get("body", "{model}.{tier} moved from {from} to {to} as of {as_of}.")
        for name in ("subject", "body"):
            text = getattr(self, name)
            if not isinstance(text, str):
                raise ActionError(f"{name} is a text with {{placeholders}}")
            try:
                text.format(**dict.fromkeys(("name", "email", "contact_id", "model", "tier", "from", "to", "as_of"), ""))
            except (KeyError, IndexError, ValueError) as exc:
                raise ActionError(f"{name}: {exc!s} is not a placeholder; use {{name}} {{email}} {{contact_id}} "
                                  "{model} {tier} {from} {to} {as_of}") from None
        due = options.get("due", "1d")
        match = re.fullmatch(r"(\d+)([mhdw])", due) if isinstance(due, str) else None
        if not match:
            raise ActionError('due is a duration like "4h" or "1d" after the transition\'s as-of')
        self.due = dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
        self.priority = options.get("priority", "MEDIUM")
        if self.priority not in ("LOW", "MEDIUM", "HIGH"):
            raise ActionError("priority is LOW, MEDIUM or HIGH")
        self.client = _client(options)

    @staticmethod
    def reference(key: str) -> str:
        """One search token that names this action's task for this transition."""
        return "sd" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:30]

    def deliver(self, payload: Mapping[str, Any], key: str) -> None:
        t = payload["transition"]
        token = self.reference(key)
        try:
            found = self.client.request("POST", "/crm/v3/objects/tasks/search", kind="search", json_body={
                "filterGroups": [{"filters": [{"propertyName": "hs_task_body", "operator": "CONTAINS_TOKEN",
                                               "value": token}]}], "properties": ["hs_task_body"], "limit": 1},
                what="looking for the task already made")
            if found.body.get("total", 0):
                return
            contact = self.client.request("GET", f"/crm/v3/objects/contacts/{t['contact_id']}", params={
                "properties": "hubspot_owner_id,firstname,lastname,email"}, what=f"reading contact {t['contact_id']}")
        except HubSpotError as exc:
            if _gone(exc):
                return
            raise ActionError(str(exc)) from None
        props = contact.body.get("properties", {})
        name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p) or props.get("email") \
            or f"contact {t['contact_id']}"
        fields = {"name": name, "email": props.get("email") or "", "contact_id": t["contact_id"],
                  "model": t["model"], "tier": t["tier"], "from": t["from"] or "(none)", "to": t["to"] or "(none)",
                  "as_of": t["as_of"]}
        when = dt.datetime.fromisoformat(t["as_of"].replace("Z", "+00:00")) + self.due
        properties = {"hs_task_subject": self.subject.format(**fields),
                      "hs_task_body": f"{self.body.format(**fields)}\n\nscoredsl ref {token}",
                      "hs_timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                      "hs_task_status": "NOT_STARTED", "hs_task_priority": self.priority, "hs_task_type": "TODO"}
        if props.get("hubspot_owner_id"):
            properties["hubspot_owner_id"] = props["hubspot_owner_id"]
        try:
            self.client.request("POST", "/crm/v3/objects/tasks", kind="create", write=True, json_body={
                "properties": properties,
                "associations": [{"to": {"id": t["contact_id"]}, "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TASK_TO_CONTACT}]}]},
                what=f"creating a task for contact {t['contact_id']}")
        except HubSpotError as exc:
            raise ActionError(str(exc)) from None
