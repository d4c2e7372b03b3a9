"""Which HubSpot contact properties hold a run's results, and how they are defined.

For each model ``M`` of the run the sink writes, on the contact:

===================== ===================== ============================================
property              HubSpot type          value
===================== ===================== ============================================
``PREFIX M_SCORE``    number                the score (empty when not scored)
``PREFIX M_TIER``     enumeration (select)  the tier label; options: the tier's labels
``PREFIX M_status``   enumeration (select)  ``scored``, ``disqualified``, ``out_of_scope``
``PREFIX M_reason``   string                the disqualifier's name (empty otherwise)
===================== ===================== ============================================

``PREFIX`` is ``scoredsl_`` by default (option ``prefix``); names are lower-cased. The
``properties`` option of the sink renames any of them: ``{ "b2b.fit" = "lead_fit_score" }``
(or ``fit = ...`` when only one model has that name). All of them live in one property group
(option ``group``, default ``scoredsl``), created by ``scoredsl hubspot setup``.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping, Sequence

import attrs

from scoredsl.api import STATUSES, SinkError

from .options import SinkSettings

__all__ = ["Column", "ModelShape", "columns_for", "shapes_from_program"]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}")


@attrs.frozen
class ModelShape:
    """What the layout needs to know about a model (tier labels only for setup)."""
    name: str
    scores: tuple[str, ...]
    tiers: tuple[str, ...]
    tier_labels: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    version: str = ""


@attrs.frozen
class Column:
    model: str
    kind: str               # score | tier | status | reason
    name: str               # the score or tier name, or "status" / "reason"
    hubspot: str
    label: str
    type: str               # HubSpot property type
    field_type: str
    options: tuple[str, ...] = ()

    def definition(self, group: str, description: str) -> dict:
        body = {"name": self.hubspot, "label": self.label, "type": self.type, "fieldType": self.field_type,
                "groupName": group, "description": description, "formField": False}
        if self.type == "enumeration":
            body["options"] = [{"label": o, "value": o, "displayOrder": i, "hidden": False}
                               for i, o in enumerate(self.options)]
        return body


def columns_for(models: Sequence[ModelShape], settings: SinkSettings) -> list[Column]:
    """Every property the sink writes for ``models``; :class:`SinkError` for a bad or clashing name."""
    renames = dict(settings.properties)
    used: set[str] = set()
    out: list[Column] = []
    counts: dict[str, int] = {}
    for model in models:
        for name in (*model.scores, *model.tiers, "status", "reason"):
            counts[name] = counts.get(name, 0) + 1

    def hubspot_name(model: str, name: str) -> str:
        key = f"{model}.{name}"
        if key in renames:
            used.add(key)
            return renames[key]
        if name in renames and counts.get(name) == 1:
            used.add(name)
            return renames[name]
        return f"{settings.prefix}{model}_{name}".lower()

    for model in models:
        items: list[tuple[str, str, str, str, str, tuple[str, ...]]] = []
        for score in model.scores:
            items.append(("score", score, f"{model.name} {score} score", "number", "number", ()))
        for tier in model.tiers:
            items.append(("tier", tier, f"{model.name} {tier} tier", "enumeration", "select",
                          tuple(model.tier_labels.get(tier, ()))))
        items.append(("status", "status", f"{model.name} scoring status", "enumeration", "select", STATUSES))
        items.append(("reason", "reason", f"{model.name} disqualification reason", "string", "text", ()))
        for kind, name, label, type_, field, options in items:
            out.append(Column(model.name, kind, name, hubspot_name(model.name, name), label, type_, field, options))
    unknown = sorted(set(renames) - used)
    if unknown:
        raise SinkError(f"{settings.text}: properties renames {', '.join(unknown)}, which this run does not write "
                        "(use MODEL.NAME, or NAME when only one model has it)")
    seen: dict[str, Column] = {}
    for column in out:
        if not _NAME.fullmatch(column.hubspot):
            raise SinkError(f"{settings.text}: {column.hubspot!r} is not a valid HubSpot property name "
                            "(lower-case letters, digits and _, starting with a letter, at most 100 characters)")
        other = seen.get(column.hubspot)
        if other is not None:
            raise SinkError(f"{settings.text}: {column.model}.{column.name} and {other.model}.{other.name} would "
                            f"both be written to {column.hubspot}; rename one with the properties option")
        seen[column.hubspot] = column
    return out


def shapes_from_program(models: Iterable) -> list[ModelShape]:
    """Model shapes, tier labels included, from compiled models (``scoredsl.api.CompiledModel``)."""
    shapes = []
    for model in models:
        labels = {tier.name: tuple(entry.label for entry in tier.entries) for tier in model.ir.tiers}
        shapes.append(ModelShape(model.name, tuple(model.score_names), tuple(model.tier_names), labels,
                                 model.version))
    return shapes
