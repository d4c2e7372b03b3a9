"""Carrying out actions: the kinds registered by plugins, opened from ``[[actions]]`` of
``scoredsl.toml``, and the delivery of what the state store's outbox holds (see
:mod:`scoredsl.data.actions`)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import attrs

from scoredsl.data.actions import ActionError, ActionRule
from scoredsl.plugins.manager import action_registry

__all__ = ["Action", "open_actions", "deliver", "Deliveries"]


@attrs.frozen
class Action:
    rule: ActionRule
    handler: Any                      # what the kind's factory returned: has deliver(payload, key)


def open_actions(entries: Sequence[Mapping[str, Any]], where: str) -> list[Action]:
    """The actions of ``[[actions]]`` entries; :class:`ActionError` for an entry that is wrong."""
    actions, names = [], set()
    registry = action_registry()
    for index, entry in enumerate(entries):
        place = f"{where}: [[actions]] #{index + 1}"
        rule = ActionRule.of(entry, place)
        if rule.name in names:
            raise ActionError(f"{place}: a second action named {rule.name!r}")
        names.add(rule.name)
        kind = registry.entries.get(rule.kind)
        if kind is None:
            raise ActionError(f"{place} ({rule.name}): unknown kind {rule.kind!r}; known kinds:"
                              f"{registry.known() or ' none'}")
        try:
            handler = kind.factory(rule.options)
        except ActionError as exc:
            raise ActionError(f"{place} ({rule.name}): {exc}") from None
        if not callable(getattr(handler, "deliver", None)):
            raise ActionError(f"{place} ({rule.name}): the {rule.kind!r} factory returned {handler!r}, "
                              "which has no deliver(payload, key)")
        actions.append(Action(rule, handler))
    return actions


@attrs.define
class Deliveries:
    made: int = 0
    failed: int = 0                                # deliveries that failed now
    waiting: int = 0                               # not tried, after their action failed
    errors: list = attrs.field(factory=list)       # (action, key, message), the first few


def deliver(store, actions: Sequence[Action], keep_errors: int = 5) -> Deliveries:
    """Make every delivery the outbox holds for ``actions``, oldest first; each one made is
    remembered at once. After an action's first failure its other deliveries wait for the next
    run (a receiver that is down is not hammered)."""
    out = Deliveries()
    for action in actions:
        pending = store.pending(action.rule.name)
        for done, (key, payload) in enumerate(pending):
            try:
                # the key a receiver sees names the action too: two actions on one transition differ
                action.handler.deliver(payload, f"{action.rule.name}:{key}")
            except ActionError as exc:
                store.failed(action.rule.name, key, str(exc))
                out.failed += 1
                out.waiting += len(pending) - done - 1
                if len(out.errors) < keep_errors:
                    out.errors.append((action.rule.name, key, str(exc)))
                break
            store.delivered(action.rule.name, key)
            out.made += 1
    return out
