"""Actions on transitions: what ``[[actions]]`` of ``scoredsl.toml`` says, which transitions
each action takes, and what it is handed.

```toml
[[actions]]
name = "sql-to-slack"              # stable: deliveries are remembered by action name and key
kind = "webhook"                   # an action kind a plugin registers (webhook is built in)
model = "b2b"                      # optional: only this model's transitions
tier = "lifecycle"                 # optional: only this tier's
to = ["SQL"]                       # optional: only transitions into these labels
from = ["lead", "MQL"]             # optional: only transitions out of these labels
url = "https://hooks.slack.com/services/${SLACK_WEBHOOK}"   # the kind's own options
```

A run puts every transition an action takes into the state store's outbox, in the same
transaction that records the run; then it delivers what the outbox holds. A delivery that
succeeded is never made again, however often the run is repeated; one that failed, or was cut
short by a crash, is made again by the next run, with the same idempotency key, so a receiver
that remembers keys acts on each transition exactly once.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import attrs

from scoredsl.data.records import from_epoch_micros
from scoredsl.data.values import format_datetime

__all__ = ["ActionError", "ActionRule", "payload", "FILTERS"]

FILTERS = ("model", "tier", "to", "from")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class ActionError(Exception):
    """An action could not be carried out (the message says why, for the user)."""


@attrs.frozen(kw_only=True)
class ActionRule:
    """One ``[[actions]]`` entry: its name, its kind, which transitions it takes, its options."""
    name: str
    kind: str
    model: str | None = None
    tier: str | None = None
    to: tuple[str, ...] | None = None
    old: tuple[str, ...] | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def of(cls, entry: Mapping[str, Any], where: str) -> "ActionRule":
        """The rule an ``[[actions]]`` table describes; :class:`ActionError` naming ``where``."""
        name, kind = entry.get("name"), entry.get("kind")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ActionError(f"{where}: name = \"...\" is required (letters, digits, '_', '.', '-')")
        if not isinstance(kind, str) or not kind:
            raise ActionError(f"{where} ({name}): kind = \"...\" is required, e.g. kind = \"webhook\"")
        filters = {}
        for key in ("model", "tier"):
            value = entry.get(key)
            if value is not None and not isinstance(value, str):
                raise ActionError(f"{where} ({name}): {key} is one name")
            filters[key] = value
        for key in ("to", "from"):
            value = entry.get(key)
            if isinstance(value, str):
                value = [value]
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ActionError(f"{where} ({name}): {key} is a label or a list of labels")
            filters["old" if key == "from" else key] = tuple(value) if value is not None else None
        options = {k: v for k, v in entry.items() if k not in ("name", "kind", *FILTERS)}
        return cls(name=name, kind=kind, options=options, **filters)

    def takes(self, model: str, tier: str, old: str | None, new: str | None) -> bool:
        """Whether this action acts on a transition (a label missing before or after matches
        no ``from`` / ``to`` list)."""
        return ((self.model is None or self.model == model) and (self.tier is None or self.tier == tier)
                and (self.to is None or new in self.to) and (self.old is None or old in self.old))


def payload(model: str, contact_id: str, tier: str, old: str | None, new: str | None, as_of: int,
            run_id: str, key: str) -> dict:
    """What an action is handed for one transition. ``text`` is a sentence for a chat
    message (Slack incoming webhooks show it); the rest is the transition itself."""
    when = format_datetime(from_epoch_micros(as_of))
    moved = f"from {old} to {new}" if old is not None and new is not None else (
        f"into {new}" if new is not None else f"out of {old}")
    return {
        "text": f"Contact {contact_id} moved {moved} ({model}.{tier}, as of {when})",
        "transition": {"contact_id": contact_id, "model": model, "tier": tier, "from": old, "to": new,
                       "as_of": when, "run_id": run_id, "key": key},
    }
