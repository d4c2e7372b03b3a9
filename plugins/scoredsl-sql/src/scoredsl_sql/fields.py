"""The values a source record needs, by schema name, and the columns they come from (the
``columns=`` and ``event_columns=`` mappings); shared by the row reader and pushdown."""

from __future__ import annotations

import attrs

from scoredsl.api import DataSchema, TypeSpec

from . import typemap


TIMESTAMP = TypeSpec("datetime")


@attrs.frozen
class Field:
    """One value a record needs: schema name, type, the column (``None``: always missing)."""
    name: str
    spec: TypeSpec | str              # a TypeSpec, or typemap.IDENTITY / LABEL
    column: str | None


def contact_fields(schema: DataSchema, mapping: dict) -> list[Field]:
    fields = [Field("id", typemap.IDENTITY, mapping.get("id", "id"))]
    for name, spec in schema.contact.items():
        if name != "id":
            fields.append(Field(name, spec, mapping.get(name, name)))
    return fields


def company_fields(schema: DataSchema, mapping: dict) -> list[Field]:
    """The fields of a company record: ``id`` and the properties of the schema's company."""
    fields = [Field("id", typemap.IDENTITY, mapping.get("id", "id"))]
    for name, spec in (schema.company or {}).items():
        fields.append(Field(name, spec, mapping.get(name, name)))
    return fields


def event_fields(schema: DataSchema, mapping: dict) -> list[Field]:
    fields = [Field("contact_id", typemap.IDENTITY, mapping.get("contact_id", "contact_id")),
              Field("type", typemap.LABEL, mapping.get("type", "type")),
              Field("timestamp", TIMESTAMP, mapping.get("timestamp", "timestamp"))]
    seen: dict[str, TypeSpec] = {}
    for declared in schema.events.values():
        for name, spec in declared.items():
            if name not in seen:
                seen[name] = spec
                fields.append(Field(name, spec, mapping.get(name, name)))
    return fields
