"""The canonical relation layout: how every SQL engine holds contacts and events, so that one
compiled query runs the same everywhere.

* ``_sd_contacts``: ``_sd_row`` (the source's order), ``_sd_id``, then one column ``_sd_p<i>``
  per contact property; ``_sd_events_<i>``: ``_sd_cid``, ``_sd_ts``, then ``_sd_a<i>`` per
  attribute of the i-th event type.
* Instants are BIGINT microseconds since the epoch; blank text is NULL.
* ``list[text]`` is one text: the items, escaped, between :data:`LIST_SEP` separators, so that
  membership is an exact substring test on every engine.
"""

from __future__ import annotations

from typing import Any

from scoredsl.data.records import DataSchema, TypeSpec, epoch_micros

LIST_SEP = "\x1f"
LIST_ESC = "\x1e"
CONTACTS = "_sd_contacts"
# What Python's str.strip() removes, so that "blank" means the same in SQL: every character
# for which str.isspace() holds (written out: computing it scans every code point, a tenth of a
# second at every start; tests/data/test_canonical_whitespace.py checks it against Python's).
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
              "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def escape_item(text: str) -> str:
    """A list item as stored between separators: ``\x1e`` doubled, ``\x1f`` as ``\x1eS``, so
    that no stored item holds a separator and membership is an exact substring test."""
    return text.replace(LIST_ESC, LIST_ESC + LIST_ESC).replace(LIST_SEP, LIST_ESC + "1")


def encode_list(items) -> str:
    return LIST_SEP + LIST_SEP.join(escape_item(i) for i in items) + LIST_SEP


def event_table(index: int) -> str:
    return f"_sd_events_{index}"


def contacts_columns(schema: DataSchema) -> list[tuple[str, str, "object"]]:
    """``(canonical column, property name, TypeSpec)`` for every contact property but ``id``,
    then, when the schema declares companies, every property of the contact's company
    (``company.id``, ``company.NAME``: see :mod:`scoredsl.data.companies`)."""
    properties = [(name, spec) for name, spec in schema.contact.items() if name != "id"]
    if schema.company is not None:
        properties += [("company.id", TypeSpec("text"))] + [(f"company.{n}", s) for n, s in schema.company.items()]
    return [(f"_sd_p{i}", name, spec) for i, (name, spec) in enumerate(properties)]


def event_columns(schema: DataSchema, event: str) -> list[tuple[str, str, "object"]]:
    return [(f"_sd_a{i}", name, spec) for i, (name, spec) in enumerate(schema.events[event].items())]


_TYPES = {"text": "VARCHAR", "int": "BIGINT", "number": "DOUBLE", "bool": "BOOLEAN", "date": "BIGINT",
          "datetime": "BIGINT"}


def canonical_type(spec: TypeSpec) -> str:
    """The SQL type of a value's canonical column (``list[...]`` is encoded text)."""
    return "VARCHAR" if spec.is_list else _TYPES[spec.base]


def encode(value: Any, spec: TypeSpec) -> Any:
    """A typed Python value (as sources give it) in its canonical encoding; ``None`` if missing."""
    if value is None:
        return None
    if spec.is_list:
        return encode_list(value) if value else None
    base = spec.base
    if base == "text":
        return None if not value or value.isspace() else value
    if base == "int" and not -(1 << 63) <= value < (1 << 63):
        raise OutOfRange(f"{value} is beyond the 64-bit integers SQL engines compute with "
                         "(--engine python takes it)")
    if base in ("date", "datetime"):
        return value if isinstance(value, int) else epoch_micros(value)
    return value


class OutOfRange(ValueError):
    """A value the SQL engines cannot hold."""


def table_columns(schema: DataSchema) -> dict[str, list[tuple[str, str]]]:
    """Every canonical relation's ``(column, SQL type)`` list, by table name."""
    tables = {CONTACTS: [("_sd_row", "BIGINT"), ("_sd_id", "VARCHAR")]
              + [(column, canonical_type(spec)) for column, _name, spec in contacts_columns(schema)]}
    for index, event in enumerate(schema.events):
        tables[event_table(index)] = [("_sd_cid", "VARCHAR"), ("_sd_ts", "BIGINT")] + [
            (column, canonical_type(spec)) for column, _name, spec in event_columns(schema, event)]
    return tables

